#include "services/cli/application.h"

#include "connectors/court_source/court_source.h"
#include "connectors/kafka/connector_control.h"
#include "connectors/kafka/embedded_broker.h"
#include "connectors/registry_sink/registry_sink.h"
#include "services/admin/admin.h"
#include "services/console/console.h"
#include "services/feeds/feeds.h"
#include "services/gateway/gateway.h"
#include "services/operators/operators_command.h"
#include "services/platform/logging.h"
#include "services/platform/status.h"
#include "services/reconcile/reconciler.h"
#include "services/registry/registry.h"
#include "services/simulate/simulator.h"

namespace crvs::cli {
namespace {

// "host:0" with the port a server bound.
std::string BoundAddress(const std::string& listen, int port) {
  return listen.substr(0, listen.rfind(':')) + ":" + std::to_string(port);
}

}  // namespace

Application::Application(const RootConfig& root) : root_(root) {}

Application::~Application() {
  metrics_server_.Stop();
  lifecycle_.Stop();
}

absl::Status Application::Start(const Components& c, const std::string& metrics_listen) {
  metrics_listen_ = metrics_listen;
  if (c.NeedKafka()) {
    // The court's change-stream topic is created too, so a court-source started early finds it.
    // So are the feeds' topics: the embedded broker cannot create topics on request.
    std::vector<std::string> topics = {root_.court_source.input_topic};
    if (c.feeds) {
      for (std::string& t : feeds::FeedTopics(root_.feeds)) topics.push_back(std::move(t));
    }
    CRVS_ASSIGN_OR_RETURN(bootstrap_, kafka::ConfiguredOrEmbedded(root_.kafka, topics, lifecycle_));
  }
  if (c.NeedReference()) CRVS_RETURN_IF_ERROR(LoadReference());
  if (c.sink) CRVS_RETURN_IF_ERROR(StartSink());
  if (c.court_source) CRVS_RETURN_IF_ERROR(StartCourtSource());
  if (c.registry) CRVS_RETURN_IF_ERROR(StartRegistry());
  if (c.reconcile) CRVS_RETURN_IF_ERROR(StartReconcile());
  if (c.admin) CRVS_RETURN_IF_ERROR(StartAdmin());
  if (c.feeds) CRVS_RETURN_IF_ERROR(StartFeeds());
  if (c.gateway) CRVS_RETURN_IF_ERROR(StartGateway());
  if (!metrics_listen.empty()) CRVS_RETURN_IF_ERROR(metrics_server_.Start(metrics_listen));
  if (c.console != Components::Console::kNone) {
    CRVS_RETURN_IF_ERROR(StartConsole(c.console, c.first_console_admin));
  }
  if (c.simulate) CRVS_RETURN_IF_ERROR(StartSimulator());
  return absl::OkStatus();
}

absl::StatusOr<store::Store*> Application::OpenDatabase(const std::string& component) {
  CRVS_ASSIGN_OR_RETURN(store::Store * db,
                        Own(component + "-database", store::Store::Open(root_.database)));
  logging::Get(component)->info("database open backend={} schema_version={}", db->backend(),
                                db->schema_version());
  return db;
}

// Reference data ([reference]), loaded once per process and shared (read-only).
absl::Status Application::LoadReference() {
  CRVS_ASSIGN_OR_RETURN(auto loaded,
                        validation::ReferenceData::Load(root_.reference.provinces_file));
  auto owned = std::make_unique<validation::ReferenceData>(std::move(loaded));
  reference_ = owned.get();
  lifecycle_.OnStop("reference-data", [p = owned.release()] { delete p; });
  return absl::OkStatus();
}

template <class Connector>
absl::Status Application::StartControl(const std::string& name, Connector* connector,
                                       kafka::Producer* producer) {
  kafka::ConnectorControl::Hooks hooks{
      [connector](bool pause) { pause ? connector->Pause() : connector->Resume(); },
      [connector] { return connector->paused(); }, [connector] { return connector->NotReady(); }};
  return Own(name + "-control", kafka::ConnectorControl::Start(root_.kafka, bootstrap_, name,
                                                               producer, std::move(hooks)))
      .status();
}

absl::Status Application::StartGateway() {
  // Receipts that wait for the database need a connection of their own to read outcomes.
  store::Store* database = nullptr;
  if (gateway::Gateway::ReceiptAfter(root_.gateway, root_.kafka, true) == "database") {
    CRVS_ASSIGN_OR_RETURN(database, OpenDatabase("gateway"));
  }
  CRVS_ASSIGN_OR_RETURN(
      gateway::Gateway * gateway,
      Own("gateway", gateway::Gateway::Start(root_.gateway, root_.kafka, root_.producer,
                                             bootstrap_, *metrics_, root_.tls, database,
                                             reference_)));
  metrics_server_.AddReadinessCheck("gateway", [gateway] {
    gateway->RefreshMetrics();
    return gateway->NotReady();
  });
  return absl::OkStatus();
}

// The sink that fills the database, its dead-letter producer and its pause switch.
absl::Status Application::StartSink() {
  CRVS_ASSIGN_OR_RETURN(store::Store * db, OpenDatabase("sink"));
  CRVS_ASSIGN_OR_RETURN(
      kafka::Producer * dlq,
      Own("dead-letter-producer",
          kafka::Producer::Create(root_.kafka, root_.producer, bootstrap_)));
  CRVS_ASSIGN_OR_RETURN(
      sink::RegistrySink * sink,
      OwnServing("sink", sink::RegistrySink::Start(root_.sink, root_.kafka, bootstrap_,
                                                   {db, dlq, reference_, metrics_.get()})));
  return StartControl("registry-sink", sink, dlq);
}

// The registry gRPC service over the database.
absl::Status Application::StartRegistry() {
  CRVS_ASSIGN_OR_RETURN(store::Store * db, OpenDatabase("registry"));
  return OwnServing("registry",
                    registry::Registry::Start(root_.registry,
                                              {db, reference_, metrics_.get()}, root_.tls))
      .status();
}

// The court-source connector and its producer (divorce topic, dead letters, re-send
// acknowledgements).
absl::Status Application::StartCourtSource() {
  CRVS_ASSIGN_OR_RETURN(
      kafka::Producer * out,
      Own("court-source-producer",
          kafka::Producer::Create(root_.kafka, root_.producer, bootstrap_)));
  CRVS_ASSIGN_OR_RETURN(
      court_source::CourtSource * source,
      OwnServing("court-source",
                 court_source::CourtSource::Start(root_.court_source, root_.kafka, bootstrap_,
                                                  {out, reference_, metrics_.get()})));
  return StartControl("court-source", source, out);
}

// The reconciliation service (manifests, coverage, re-send requests, indicators, live feed).
absl::Status Application::StartReconcile() {
  CRVS_ASSIGN_OR_RETURN(store::Store * db, OpenDatabase("reconcile"));
  CRVS_ASSIGN_OR_RETURN(
      reconcile::Reconciler * reconciler,
      OwnServing("reconcile", reconcile::Reconciler::Start(
                                  root_.reconcile, root_.kafka, root_.producer, bootstrap_,
                                  {db, metrics_.get()}, root_.tls)));
  reconcile_address_ = BoundAddress(root_.reconcile.listen, reconciler->port());
  return absl::OkStatus();
}

// The operators' admin service (pipeline status, dead letters, pause / resume).
absl::Status Application::StartAdmin() {
  CRVS_ASSIGN_OR_RETURN(store::Store * db, OpenDatabase("admin"));
  CRVS_ASSIGN_OR_RETURN(
      admin::Admin * admin,
      OwnServing("admin", admin::Admin::Start(
                              root_.admin, root_.kafka, root_.producer, bootstrap_,
                              {db, metrics_.get(), root_.sink.group_id,
                               root_.court_source.group_id, root_.court_source.input_topic},
                              root_.tls)));
  admin_address_ = BoundAddress(root_.admin.listen, admin->port());
  return absl::OkStatus();
}

// The feeds to the agencies entitled to the data: gRPC pull, a Kafka relay per subscriber.
absl::Status Application::StartFeeds() {
  CRVS_ASSIGN_OR_RETURN(store::Store * db, OpenDatabase("feeds"));
  return OwnServing("feeds", feeds::Feeds::Start(root_.feeds, root_.kafka, root_.producer,
                                                 bootstrap_, {db, metrics_.get()}, root_.tls))
      .status();
}

// The operators' web console. It serves its own /metrics (the process's), /healthz and /readyz
// on console.listen.
absl::Status Application::StartConsole(Components::Console mode, bool first_admin) {
  CRVS_ASSIGN_OR_RETURN(store::Store * db, OpenDatabase("console"));
  if (first_admin) CRVS_RETURN_IF_ERROR(operators::EnsureFirstAdmin(*db, stderr));
  console::ConsoleConfig config = root_.console;
  if (mode == Components::Console::kWatchingThisProcess) {
    const console::ConsoleConfig defaults;
    if (config.metrics_urls == defaults.metrics_urls) {
      config.metrics_urls = {"http://" + BoundAddress(metrics_listen_, metrics_server_.port()) +
                             "/metrics"};
    }
    if (config.admin_address == defaults.admin_address) config.admin_address = admin_address_;
    if (config.reconcile_address == defaults.reconcile_address) {
      config.reconcile_address = reconcile_address_;
    }
  }
  console::ConsoleDeps deps;
  deps.store = db;
  deps.metrics = metrics_;
  deps.topic_kinds =
      console::MakeTopicKinds(root_.kafka.topic_births, root_.kafka.topic_deaths,
                              root_.kafka.topic_divorces, root_.kafka.topic_registrations);
  deps.tls = root_.tls;
  // The feeds' subscribers, for the data-feeds section (status from the database). Owned until
  // after the console stops (stopped in reverse order of start).
  CRVS_ASSIGN_OR_RETURN(feeds::Subscribers subscribers, feeds::ConfiguredSubscribers(root_.feeds));
  auto* owned = new feeds::Subscribers(std::move(subscribers));
  lifecycle_.OnStop("feed-subscribers", [owned] { delete owned; });
  deps.subscribers = owned;
  deps.admin_plaintext = root_.admin.plaintext;
  deps.reconcile_plaintext = root_.reconcile.plaintext;
  return Own("console", console::Console::Start(config, std::move(deps))).status();
}

// The traffic simulator (`crvs dev --simulate`), calling this process's own gateway, registry
// and reconciliation service at their listen addresses.
absl::Status Application::StartSimulator() {
  CRVS_ASSIGN_OR_RETURN(auto config,
                        simulate::ForLocalServices(root_.simulate, root_.gateway.listen,
                                                   root_.registry.listen, root_.reconcile.listen));
  return Own("simulator", simulate::Simulator::Start(config, *reference_)).status();
}

}  // namespace crvs::cli
