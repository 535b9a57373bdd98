#include "services/admin/admin.h"

#include <absl/strings/str_cat.h>

#include <chrono>

#include "services/platform/logging.h"
#include "services/platform/grpc_server.h"
#include "services/platform/status.h"

namespace crvs::admin {

absl::StatusOr<std::unique_ptr<Admin>> Admin::Start(const AdminConfig& config,
                                                    const kafka::KafkaConfig& kafka,
                                                    const kafka::ProducerConfig& producer,
                                                    const std::string& bootstrap, Deps deps,
                                                    const auth::TlsConfig& tls) {
  if (config.max_threads < 4) return InvalidArgument({{"admin.max_threads", "must be at least 4"}});
  if (deps.store == nullptr || deps.metrics == nullptr) {
    return absl::InvalidArgumentError("admin: store and metrics are required");
  }
  std::unique_ptr<Admin> a(new Admin());
  CRVS_ASSIGN_OR_RETURN(a->producer_, kafka::Producer::Create(kafka, producer, bootstrap));
  CRVS_ASSIGN_OR_RETURN(a->control_,
                        kafka::ControlView::Start(kafka, bootstrap, a->producer_.get()));
  std::vector<InspectedTopic> topics;
  std::map<std::string, std::string> connector_of_topic;
  for (auto kind : {records::v1::RECORD_KIND_BIRTH_CERTIFICATE,
                    records::v1::RECORD_KIND_DEATH_NOTICE,
                    records::v1::RECORD_KIND_DIVORCE_DECISION,
                    records::v1::RECORD_KIND_REGISTRATION}) {
    topics.push_back({kafka.TopicFor(kind), kind, deps.sink_group, true});
    connector_of_topic[kafka.TopicFor(kind)] = "registry-sink";
  }
  topics.push_back({deps.court_source_input, records::v1::RECORD_KIND_UNSPECIFIED,
                    deps.court_source_group, false});
  connector_of_topic[deps.court_source_input] = "court-source";
  CRVS_ASSIGN_OR_RETURN(a->inspector_,
                        PipelineInspector::Create(kafka, bootstrap, topics, deps.store));
  a->service_ = std::make_unique<AdminService>(AdminService::Deps{
      deps.store, a->inspector_.get(), a->control_.get(), a->producer_.get(), connector_of_topic,
      absl::Milliseconds(config.command_wait.count()), {}, tls.delegates});
  a->open_dead_letters_ = &prometheus::BuildGauge()
                               .Name("crvs_admin_dead_letters_open")
                               .Help("Dead letters waiting for an operator (state OPEN)")
                               .Register(*deps.metrics)
                               .Add({});

  auto server = StartGrpcServer("admin", config.listen, config.max_threads, 0,
                                a->service_.get(), config.plaintext, tls);
  if (!server.ok()) return server.status();
  a->server_ = std::move(server->server);
  a->port_ = server->port;
  a->gauges_ = std::thread([raw = a.get()] { raw->RefreshGauges(); });
  a->serving_ = true;
  logging::Get("admin")->info("admin listening address={} port={} tls={}", config.listen,
                              a->port_, config.plaintext ? "off" : "mutual");
  return a;
}

void Admin::RefreshGauges() {
  platform::MutexLock lock(&mu_);
  while (!stop_) {
    mu_.Unlock();
    auto open = service_->OpenDeadLetters();
    if (open.ok()) open_dead_letters_->Set(static_cast<double>(*open));
    mu_.Lock();
    const auto next = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!stop_ && wake_.WaitUntil(&mu_, next)) {
    }
  }
}

void Admin::Stop() {
  {
    platform::MutexLock lock(&mu_);
    stop_ = true;
  }
  wake_.SignalAll();
  if (gauges_.joinable()) gauges_.join();
  if (server_ == nullptr) return;
  serving_ = false;
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server_.reset();
  logging::Get("admin")->info("admin stopped port={}", port_);
}

Admin::~Admin() { Stop(); }

std::string Admin::NotReady() const {
  if (!serving_) return "stopped";
  const std::string fatal = producer_->FatalError();
  return fatal.empty() ? "" : "producer: " + fatal;
}

}  // namespace crvs::admin
