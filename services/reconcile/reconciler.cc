#include "services/reconcile/reconciler.h"

#include <absl/strings/str_cat.h>
#include <absl/time/clock.h>

#include <chrono>

#include "services/platform/logging.h"
#include "services/platform/grpc_server.h"
#include "services/platform/status.h"
#include "services/reconcile/indicators/indicators.h"

namespace crvs::reconcile {

absl::StatusOr<std::unique_ptr<Reconciler>> Reconciler::Start(
    const ReconcileConfig& config, const kafka::KafkaConfig& kafka,
    const kafka::ProducerConfig& producer, const std::string& bootstrap, Deps deps,
    const auth::TlsConfig& tls) {
  std::vector<FieldViolation> bad;
  if (config.max_message_bytes < 1024 * 1024) {
    bad.push_back({"reconcile.max_message_bytes", "must be at least 1048576 (a manifest chunk)"});
  }
  if (config.max_threads < 4) bad.push_back({"reconcile.max_threads", "must be at least 4"});
  if (config.sync_sla.count() <= 0) bad.push_back({"reconcile.sync_sla", "must be positive"});
  if (config.feed_interval.count() < 0) {
    bad.push_back({"reconcile.feed_interval", "must not be negative"});
  }
  if (config.silent_cadence_factor < 1) {
    bad.push_back({"reconcile.silent_cadence_factor", "must be at least 1"});
  }
  if (!bad.empty()) return InvalidArgument(bad);
  if (deps.store == nullptr || deps.metrics == nullptr) {
    return absl::InvalidArgumentError("reconciler: store and metrics are required");
  }

  std::unique_ptr<Reconciler> r(new Reconciler());
  r->config_ = config;
  r->deps_ = deps;
  CRVS_ASSIGN_OR_RETURN(r->areas_, indicators::Areas::Load(
                                       {config.reference_communes_file,
                                        config.reference_communes_before_2025_file,
                                        config.reference_sources_file}));
  CRVS_ASSIGN_OR_RETURN(r->producer_, kafka::Producer::Create(kafka, producer, bootstrap));
  CRVS_ASSIGN_OR_RETURN(r->resend_,
                        gateway::ResendInbox::Start(kafka, bootstrap, r->producer_.get()));
  Reconciler* raw = r.get();
  auto indicators = [raw](const v1::IndicatorsRequest& request) {
    return raw->Indicators(request);
  };
  r->service_ = std::make_unique<ReconcileService>(ReconcileService::Deps{
      deps.store, &r->config_, r->resend_.get(), indicators,
      [raw](const std::string& s, const std::string& p, const std::string& c) {
        return raw->SourceInArea(s, p, c);
      },
      deps.now, tls.delegates});

  auto server = StartGrpcServer("reconcile", config.listen, config.max_threads,
                                config.max_message_bytes, r->service_.get(), config.plaintext,
                                tls);
  if (!server.ok()) return server.status();
  r->server_ = std::move(server->server);
  r->port_ = server->port;
  if (config.feed_interval.count() > 0) {
    IndicatorFeed::Deps feed;
    feed.store = deps.store;
    feed.producer = r->producer_.get();
    feed.topic = kafka.topic_indicators;
    feed.indicators = indicators;
    feed.interval = absl::Milliseconds(config.feed_interval.count());
    feed.now = deps.now;
    feed.metrics = deps.metrics;
    feed.silence = {config.silent_cadence_factor,
                    absl::Milliseconds(config.silent_min_quiet.count())};
    r->feed_ = IndicatorFeed::Start(std::move(feed));
  }
  r->serving_ = true;
  logging::Get("reconcile")
      ->info("reconciler listening address={} port={} tls={} feed_topic={} feed={}",
             config.listen, r->port_, config.plaintext ? "off" : "mutual", kafka.topic_indicators,
             config.feed_interval.count() > 0 ? "on" : "off");
  return r;
}

absl::StatusOr<v1::IndicatorReport> Reconciler::Indicators(const v1::IndicatorsRequest& request) {
  indicators::IndicatorOptions options;
  options.now = deps_.now ? deps_.now() : absl::Now();
  options.sync_sla = absl::Milliseconds(config_.sync_sla.count());
  return indicators::ComputeIndicators(*deps_.store, areas_, request, options);
}

absl::StatusOr<bool> Reconciler::SourceInArea(const std::string& source,
                                              const std::string& province,
                                              const std::string& commune) {
  if (!province.empty() && !areas_.has_communes()) {
    return absl::FailedPreconditionError(
        absl::StrCat("province_code: filtering by province needs ", indicators::kCommunesFileKey));
  }
  CRVS_ASSIGN_OR_RETURN(auto located, areas_.LocateSources(*deps_.store, absl::InfiniteFuture()));
  auto it = located.find(source);
  if (it == located.end()) return false;
  if (!commune.empty() && it->second != commune) return false;
  return province.empty() || areas_.ProvinceOf(it->second) == province;
}

void Reconciler::Stop() {
  feed_.reset();
  if (server_ == nullptr) return;
  serving_ = false;
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server_.reset();
  logging::Get("reconcile")->info("reconciler stopped port={}", port_);
}

Reconciler::~Reconciler() { Stop(); }

std::string Reconciler::NotReady() const {
  if (!serving_) return "stopped";
  const std::string fatal = producer_->FatalError();
  return fatal.empty() ? "" : "producer: " + fatal;
}

}  // namespace crvs::reconcile
