// `crvs feeds`: the feeds to the agencies as a running component — the gRPC pull service, a
// Kafka relay per subscriber that receives on Kafka, and the feeds' metrics.
//
// Metrics (per subscriber): crvs_feed_lag_transactions (committed transactions after its
// acknowledged cursor; for Kafka subscribers, after what its topic holds), crvs_feed_paused,
// crvs_feed_failing (1 while its last delivery failed), crvs_feed_events_published_total
// (Kafka).
#pragma once

#include <absl/status/statusor.h>
#include <grpcpp/grpcpp.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "connectors/kafka/kafka_config.h"
#include "connectors/kafka/producer.h"
#include "services/auth/tls_config.h"
#include "services/feeds/feed_service.h"
#include "services/feeds/feeds_config.h"
#include "services/feeds/kafka_relay.h"
#include "services/feeds/subscribers.h"
#include "services/platform/mutex.h"
#include "services/store/store.h"

namespace crvs::feeds {

// The subscribers `config` names: its file, or the built-in example.
absl::StatusOr<Subscribers> ConfiguredSubscribers(const FeedsConfig& config);

// The topics of the Kafka subscribers `config` names (none when they cannot be read: starting
// the feeds then says why), for a broker that makes its topics at start (the embedded one).
std::vector<std::string> FeedTopics(const FeedsConfig& config);

class Feeds {
 public:
  struct Deps {
    store::Store* store = nullptr;
    prometheus::Registry* metrics = nullptr;
    // Whether the relays create a missing topic (the embedded broker cannot; it makes the feed
    // topics at its start, FeedTopics).
    bool create_topics = true;
  };
  static absl::StatusOr<std::unique_ptr<Feeds>> Start(const FeedsConfig& config,
                                                      const kafka::KafkaConfig& kafka,
                                                      const kafka::ProducerConfig& producer,
                                                      const std::string& bootstrap, Deps deps,
                                                      const auth::TlsConfig& tls = {});
  ~Feeds();
  Feeds(const Feeds&) = delete;
  Feeds& operator=(const Feeds&) = delete;
  void Stop();

  int port() const { return port_; }
  const Subscribers& subscribers() const { return subscribers_; }
  std::string NotReady() const;

 private:
  Feeds() = default;
  void RefreshGauges();

  Subscribers subscribers_;
  reconcile::indicators::Areas areas_;  // the built-in register, for statistics
  store::Store* store_ = nullptr;
  std::unique_ptr<FeedService> service_;
  std::vector<std::unique_ptr<KafkaRelay>> relays_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::atomic<bool> serving_{false};
  std::map<std::string, prometheus::Gauge*> lag_, paused_, failing_;
  std::map<std::string, prometheus::Counter*> published_;
  std::map<std::string, int64_t> published_seen_;
  platform::Mutex mu_;
  platform::CondVar wake_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread gauges_;
};

}  // namespace crvs::feeds
