#include "services/feeds/feeds.h"

#include <absl/strings/str_cat.h>

#include <chrono>

#include "services/feeds/embedded_subscribers.h"
#include "services/platform/grpc_server.h"
#include "services/platform/logging.h"
#include "services/platform/status.h"

namespace crvs::feeds {

absl::StatusOr<Subscribers> ConfiguredSubscribers(const FeedsConfig& config) {
  if (!config.subscribers_file.empty()) return LoadSubscribers(config.subscribers_file);
  return ParseSubscribers(internal::EmbeddedSubscribersJson(),
                          "built-in deploy/feeds/subscribers.json");
}

std::vector<std::string> FeedTopics(const FeedsConfig& config) {
  std::vector<std::string> topics;
  auto subscribers = ConfiguredSubscribers(config);
  if (!subscribers.ok()) return topics;
  for (const auto& [name, s] : subscribers->by_name) {
    if (s.delivery.count("kafka") && !s.revoked) topics.push_back(config.topic_prefix + name);
  }
  return topics;
}

absl::StatusOr<std::unique_ptr<Feeds>> Feeds::Start(const FeedsConfig& config,
                                                    const kafka::KafkaConfig& kafka,
                                                    const kafka::ProducerConfig& producer,
                                                    const std::string& bootstrap, Deps deps,
                                                    const auth::TlsConfig& tls) {
  if (config.max_threads < 4) return InvalidArgument({{"feeds.max_threads", "must be at least 4"}});
  if (config.small_cell_threshold < 1) {
    return InvalidArgument({{"feeds.small_cell_threshold", "must be at least 1"}});
  }
  if (deps.store == nullptr || deps.metrics == nullptr) {
    return absl::InvalidArgumentError("feeds: store and metrics are required");
  }
  auto log = logging::Get("feeds");
  std::unique_ptr<Feeds> f(new Feeds());
  f->store_ = deps.store;
  CRVS_ASSIGN_OR_RETURN(f->subscribers_, ConfiguredSubscribers(config));
  if (config.subscribers_file.empty()) {
    log->warn("feeds.subscribers_file is not set: serving the built-in example subscribers "
              "(deploy/feeds/subscribers.json); production names its own");
  }

  auto& lag = prometheus::BuildGauge()
                  .Name("crvs_feed_lag_transactions")
                  .Help("Committed transactions after a subscriber's acknowledged position")
                  .Register(*deps.metrics);
  auto& paused = prometheus::BuildGauge()
                     .Name("crvs_feed_paused")
                     .Help("1 while an operator has paused a subscriber's feed")
                     .Register(*deps.metrics);
  auto& failing = prometheus::BuildGauge()
                      .Name("crvs_feed_failing")
                      .Help("1 while a subscriber's last delivery failed")
                      .Register(*deps.metrics);
  auto& published = prometheus::BuildCounter()
                        .Name("crvs_feed_events_published_total")
                        .Help("Events a Kafka relay published to a subscriber's topic")
                        .Register(*deps.metrics);
  for (const auto& [name, s] : f->subscribers_.by_name) {
    f->lag_[name] = &lag.Add({{"subscriber", name}});
    f->paused_[name] = &paused.Add({{"subscriber", name}});
    f->failing_[name] = &failing.Add({{"subscriber", name}});
  }

  // A relay per subscriber that receives on Kafka, sealing with its own keyring.
  RelayOptions relay;
  relay.topic_prefix = config.topic_prefix;
  relay.replication_factor = config.replication_factor;
  relay.poll_interval = absl::Milliseconds(config.poll_interval.count());
  relay.create_topic = deps.create_topics;
  for (const auto& [name, s] : f->subscribers_.by_name) {
    if (!s.delivery.count("kafka") || s.revoked) continue;
    std::shared_ptr<const crypto::PayloadCipher> cipher;
    if (s.keyring_file.empty()) {
      log->warn("subscriber {} has no keyring_file: its topic is sealed with the built-in "
                "DEVELOPMENT key, which production must never do",
                name);
      cipher = std::make_shared<crypto::PayloadCipher>(crypto::Keyring::Development());
    } else {
      auto ring = crypto::Keyring::LoadFile(s.keyring_file);
      if (!ring.ok()) {
        return absl::Status(ring.status().code(),
                            absl::StrCat("feeds: subscriber ", name, " keyring_file: ",
                                         ring.status().message()));
      }
      cipher = std::make_shared<crypto::PayloadCipher>(*std::move(ring));
    }
    CRVS_ASSIGN_OR_RETURN(auto r, KafkaRelay::Start(s, std::move(cipher), deps.store, kafka,
                                                    producer, bootstrap, relay));
    f->published_[name] = &published.Add({{"subscriber", name}});
    f->relays_.push_back(std::move(r));
  }

  CRVS_ASSIGN_OR_RETURN(f->areas_, reconcile::indicators::Areas::Load({}));
  f->service_ = std::make_unique<FeedService>(FeedService::Deps{
      deps.store, &f->subscribers_, {}, &f->areas_, config.small_cell_threshold});
  auto server = StartGrpcServer("feeds", config.listen, config.max_threads, 0, f->service_.get(),
                                config.plaintext, tls);
  if (!server.ok()) return server.status();
  f->server_ = std::move(server->server);
  f->port_ = server->port;
  f->gauges_ = std::thread([raw = f.get()] { raw->RefreshGauges(); });
  f->serving_ = true;
  log->info("feeds listening address={} port={} tls={} subscribers={} kafka_relays={}",
            config.listen, f->port_, config.plaintext ? "off" : "mutual",
            f->subscribers_.by_name.size(), f->relays_.size());
  return f;
}

void Feeds::RefreshGauges() {
  platform::MutexLock lock(&mu_);
  while (!stop_) {
    mu_.Unlock();
    auto status = ListFeedStatus(*store_, subscribers_);
    if (status.ok()) {
      for (const FeedStatus& s : *status) {
        lag_[s.name]->Set(static_cast<double>(s.lag_transactions));
        paused_[s.name]->Set(s.cursor.paused ? 1 : 0);
        failing_[s.name]->Set(s.last_error.empty() ? 0 : 1);
      }
    }
    for (const auto& r : relays_) {
      const std::string& name = r->subscriber();
      const int64_t now = r->events_published();
      published_[name]->Increment(static_cast<double>(now - published_seen_[name]));
      published_seen_[name] = now;
    }
    mu_.Lock();
    const auto next = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!stop_ && wake_.WaitUntil(&mu_, next)) {
    }
  }
}

void Feeds::Stop() {
  {
    platform::MutexLock lock(&mu_);
    stop_ = true;
  }
  wake_.SignalAll();
  if (gauges_.joinable()) gauges_.join();
  relays_.clear();
  if (server_ == nullptr) return;
  serving_ = false;
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server_.reset();
  logging::Get("feeds")->info("feeds stopped port={}", port_);
}

Feeds::~Feeds() { Stop(); }

std::string Feeds::NotReady() const { return serving_ ? "" : "stopped"; }

}  // namespace crvs::feeds
