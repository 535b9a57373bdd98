#include "services/gateway/gateway.h"

#include <chrono>

#include "services/auth/credentials.h"
#include "services/platform/grpc_malformed.h"
#include "services/platform/logging.h"
#include "services/platform/status.h"

namespace crvs::gateway {

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Start(const GatewayConfig& config,
                                                        const kafka::KafkaConfig& kafka,
                                                        const kafka::ProducerConfig& producer,
                                                        const std::string& bootstrap_servers,
                                                        prometheus::Registry& metrics,
                                                        const auth::TlsConfig& tls,
                                                        store::Store* database,
                                                        const validation::ReferenceData* reference) {
  std::vector<FieldViolation> bad = ConfigViolations(config);
  if (config.receipt_after == "database" && database == nullptr) {
    bad.push_back({"gateway.receipt_after",
                   "database needs the gateway to reach the database (database.url)"});
  }
  if (!bad.empty()) return InvalidArgument(bad);
  DocumentIntakeConfig documents;
  documents.signature = *documents::ParseSignaturePolicy(config.document_signature);
  documents.certificates_dir = config.document_certificates_dir;
  documents.max_bytes = static_cast<size_t>(config.document_max_bytes);
  auto credentials = auth::MakeServerCredentials("gateway", config.plaintext, tls);
  if (!credentials.ok()) return credentials.status();
  std::unique_ptr<Gateway> g(new Gateway());
  g->config_ = config;
  g->kafka_ = kafka;
  if (reference == nullptr) {
    auto built_in = validation::ReferenceData::Load("");
    if (!built_in.ok()) return built_in.status();
    g->own_reference_ = std::make_unique<validation::ReferenceData>(std::move(*built_in));
    reference = g->own_reference_.get();
  }
  g->reference_ = reference;

  auto p = kafka::Producer::Create(kafka, producer, bootstrap_servers);
  if (!p.ok()) return p.status();
  g->producer_ = std::move(*p);
  auto inbox = ResendInbox::Start(kafka, bootstrap_servers, g->producer_.get());
  if (!inbox.ok()) return inbox.status();
  g->inbox_ = std::move(*inbox);
  auto points = ResumePoints::Start(kafka, bootstrap_servers, g->producer_.get());
  if (!points.ok()) return points.status();
  g->resume_points_ = std::move(*points);
  g->book_ = std::make_unique<ReceiptBook>(static_cast<size_t>(config.receipt_cache_entries));
  g->metrics_ = std::make_unique<GatewayMetrics>(metrics);
  g->limiter_ = std::make_unique<RateLimiter>(config.rate_limit_per_second,
                                              static_cast<double>(config.rate_limit_burst));
  const std::string receipt_after = ReceiptAfter(config, kafka, database != nullptr);
  if (database != nullptr) {
    g->outcomes_ = std::make_unique<OutcomeWatcher>(
        database, absl::Milliseconds(config.outcome_poll.count()));
  }
  g->pipeline_ = std::make_unique<IngestPipeline>(
      &g->kafka_, g->producer_.get(), g->book_.get(), g->metrics_.get(), g->outcomes_.get(),
      receipt_after == "database" ? absl::Milliseconds(config.commit_wait.count())
                                  : absl::ZeroDuration());
  g->health_ = std::make_unique<HealthIngestService>(HealthIngestService::Deps{
      g->pipeline_.get(), g->book_.get(), g->inbox_.get(), g->metrics_.get(), g->reference_,
      config.stream_max_in_flight, g->limiter_.get(), g->outcomes_.get(), database, documents});
  g->court_ = std::make_unique<CourtIngestService>(CourtIngestService::Deps{
      g->pipeline_.get(), g->book_.get(), g->inbox_.get(), g->resume_points_.get(),
      g->metrics_.get(), g->reference_, config.stream_max_in_flight, g->limiter_.get(),
      g->outcomes_.get(), database});

  grpc::ServerBuilder builder;
  // Our port alone: with SO_REUSEPORT (gRPC's default) a second process on the same port
  // would bind too and take part of the traffic.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(config.listen, *credentials, &g->port_);
  // SubmitDocument too: a document over max_message_bytes is RESOURCE_EXHAUSTED there (the
  // HTTPS door takes up to document_max_bytes).
  builder.SetMaxReceiveMessageSize(config.max_message_bytes);
  builder.RegisterService(g->health_.get());
  builder.RegisterService(g->court_.get());
  AnswerMalformedRequests(builder);
  g->server_ = builder.BuildAndStart();
  if (g->server_ == nullptr || g->port_ == 0) {
    return absl::UnavailableError("gateway: cannot listen on " + config.listen);
  }
  if (!config.documents_listen.empty()) {
    auto door = DocumentDoor::Start(config.documents_listen, config.plaintext, tls,
                                    &g->health_->documents());
    if (!door.ok()) return door.status();
    g->document_door_ = std::move(*door);
  }
  logging::Get("gateway")->info(
      "gateway listening address={} port={} tls={} rate_limit_per_second={} receipt_after={}",
      config.listen, g->port_, config.plaintext ? "off" : "mutual", config.rate_limit_per_second,
      receipt_after);
  return g;
}

void Gateway::Stop() {
  if (server_ == nullptr) return;
  if (document_door_ != nullptr) document_door_->Stop();  // its calls end in the pipeline
  // In-flight calls get until the producer's close timeout to receive their receipts.
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(10));
  server_.reset();
  resume_points_.reset();
  inbox_.reset();
  producer_.reset();  // flushes; anything undelivered fails (no receipt was given for it)
  outcomes_.reset();  // receipts still waiting for the database: UNAVAILABLE, re-send
}

std::vector<FieldViolation> Gateway::ConfigViolations(const GatewayConfig& config) {
  std::vector<FieldViolation> bad;
  if (config.receipt_after != "auto" && config.receipt_after != "kafka" &&
      config.receipt_after != "database") {
    bad.push_back({"gateway.receipt_after", "must be auto, kafka or database"});
  }
  if (config.commit_wait.count() <= 0) bad.push_back({"gateway.commit_wait", "must be > 0"});
  if (config.outcome_poll.count() <= 0) bad.push_back({"gateway.outcome_poll", "must be > 0"});
  if (config.stream_max_in_flight < 1) {
    bad.push_back({"gateway.stream_max_in_flight",
                   "must be at least 1 (0 would stall every stream before its first receipt)"});
  }
  if (config.max_message_bytes < 1024) {
    bad.push_back({"gateway.max_message_bytes", "must be at least 1024 bytes"});
  }
  if (config.receipt_cache_entries < 0) {
    bad.push_back({"gateway.receipt_cache_entries", "must not be negative"});
  }
  if (config.rate_limit_per_second < 0) {
    bad.push_back({"gateway.rate_limit_per_second", "must not be negative (0 = no limit)"});
  }
  if (!documents::ParseSignaturePolicy(config.document_signature).ok()) {
    bad.push_back({"gateway.document_signature", "must be require, record or off"});
  }
  if (config.document_max_bytes < 1024) {
    bad.push_back({"gateway.document_max_bytes", "must be at least 1024 bytes"});
  }
  if (config.rate_limit_burst < 0) {
    bad.push_back({"gateway.rate_limit_burst", "must not be negative (0 = one second's worth)"});
  }
  return bad;
}

std::string Gateway::ReceiptAfter(const GatewayConfig& config, const kafka::KafkaConfig& kafka,
                                  bool have_database) {
  if (config.receipt_after == "auto") {
    return kafka.bootstrap_servers.empty() && have_database ? "database" : "kafka";
  }
  return config.receipt_after;
}

Gateway::~Gateway() { Stop(); }

std::string Gateway::NotReady() const {
  if (producer_ == nullptr) return "stopped";
  std::string fatal = producer_->FatalError();
  return fatal.empty() ? "" : "kafka producer: " + fatal;
}

void Gateway::RefreshMetrics() {
  if (producer_ != nullptr) metrics_->SetQueueDepth(producer_->QueueDepth());
}

}  // namespace crvs::gateway
