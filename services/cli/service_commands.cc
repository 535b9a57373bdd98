#include "services/cli/service_commands.h"

#include <cstdio>

#include <absl/strings/str_cat.h>

#include "connectors/kafka/embedded_broker.h"
#include "services/cli/application.h"
#include "services/feeds/feeds.h"
#include "services/platform/exit_codes.h"
#include "services/platform/lifecycle.h"
#include "services/platform/logging.h"

namespace crvs::cli {
namespace {

// One service alone in its process: its flag in Components and its metrics endpoint.
struct ServiceSpec {
  const char* name;
  const char* help;
  bool Components::*component;
  const std::string& (*metrics_listen)(const RootConfig&);
};

const ServiceSpec kServices[] = {
    {"gateway",
     "run the ingest gateway: gRPC for health facilities (HealthIngest) and courts "
     "(CourtIngest), producing to Kafka with durable receipts",
     &Components::gateway, [](const RootConfig& r) -> const std::string& {
       return r.gateway.metrics_listen;
     }},
    {"sink",
     "run the registry sink: consume the record topics and apply them to the civil-status "
     "database exactly once (offsets stored with the rows)",
     &Components::sink,
     [](const RootConfig& r) -> const std::string& { return r.sink.metrics_listen; }},
    {"registry",
     "run the registry service: gRPC over the civil-status database for commune software "
     "(records, person status, registrations) and operators",
     &Components::registry,
     [](const RootConfig& r) -> const std::string& { return r.registry.metrics_listen; }},
    {"court-source",
     "run the court-source connector: the court database's change stream (Debezium JSON on "
     "court_source.input_topic) and re-send requests for courts -> the divorce topic",
     &Components::court_source,
     [](const RootConfig& r) -> const std::string& { return r.court_source.metrics_listen; }},
    {"reconcile",
     "run the reconciliation service: gRPC for manifests, sync coverage, gaps, re-send "
     "requests, digest comparison, indicators and silent sources; publishes the live indicator "
     "feed on kafka.topic_indicators",
     &Components::reconcile,
     [](const RootConfig& r) -> const std::string& { return r.reconcile.metrics_listen; }},
    {"admin",
     "run the operators' admin service: gRPC for pipeline lag per topic and partition, dead "
     "letters (inspect, replay, discard) and pausing / resuming connectors",
     &Components::admin,
     [](const RootConfig& r) -> const std::string& { return r.admin.metrics_listen; }},
    {"feeds",
     "run the feeds to the agencies entitled to the civil-status database's data (population "
     "database, social insurance, statistics office; subscribers in feeds.subscribers_file): "
     "gRPC pull with an acknowledged cursor (FeedService, mutual TLS agency:<name>) and a Kafka "
     "topic per subscriber sealed with its own key; each gets only its events and fields",
     &Components::feeds,
     [](const RootConfig& r) -> const std::string& { return r.feeds.metrics_listen; }},
};

// Runs `components` until SIGINT/SIGTERM.
int Serve(const RootConfig& root, const std::string& name, const Components& components,
          const std::string& metrics_listen) {
  if (components.NeedKafka() && root.kafka.bootstrap_servers.empty() &&
      !components.embedded_broker) {
    return FailWith(absl::InvalidArgumentError(absl::StrCat(
                        "kafka.bootstrap_servers: is empty; `crvs ", name,
                        "` connects to the cluster the other services use (set it in [kafka], "
                        "with CRVS_KAFKA_BOOTSTRAP_SERVERS or --set "
                        "kafka.bootstrap_servers=host:port). Only `crvs dev` runs an embedded "
                        "broker; `crvs devbroker` prints the address of one for development")),
                    kExitConfig);
  }
  auto log = logging::Get(name);
  Application app(root);
  absl::Status started = app.Start(components, metrics_listen);
  if (!started.ok()) {
    // The console alone refuses its own settings at start; services name them and exit 1.
    const bool config = components.console == Components::Console::kAsConfigured &&
                        started.code() == absl::StatusCode::kInvalidArgument;
    return FailWith(started, config ? kExitConfig : kExitFailed);
  }
  if (metrics_listen.empty()) {
    log->info("crvs {} running; Ctrl-C stops", name);
  } else {
    log->info("crvs {} running kafka={} metrics=http://{}/metrics; Ctrl-C stops", name,
              app.bootstrap(), metrics_listen);
  }
  int sig = Lifecycle::WaitForSignal();
  log->info("signal={} received, shutting down", sig);
  return kExitOk;
}

// `crvs devbroker`: the embedded broker alone; its address alone on stdout, for scripts.
int RunDevBroker(const RootConfig& root) {
  kafka::KafkaConfig own = root.kafka;
  own.bootstrap_servers.clear();  // a broker of its own, whatever the configuration names
  Lifecycle lifecycle;
  // The feeds' Kafka subscribers' topics too: this broker cannot create topics on request.
  std::vector<std::string> topics = {root.court_source.input_topic};
  for (std::string& t : feeds::FeedTopics(root.feeds)) topics.push_back(std::move(t));
  auto bootstrap = kafka::ConfiguredOrEmbedded(own, topics, lifecycle);
  if (!bootstrap.ok()) return FailWith(bootstrap.status(), kExitFailed);
  std::printf("%s\n", bootstrap->c_str());
  std::fflush(stdout);
  Lifecycle::WaitForSignal();
  return kExitOk;
}

}  // namespace

ServiceCommands::ServiceCommands(CLI::App& app) {
  dev_ = app.add_subcommand(
      "dev",
      "run the whole pipeline on the embedded defaults (embedded broker, gateway, sink into "
      "SQLite, registry, court-source, reconcile, admin, feeds, the web console on "
      "console.listen) "
      "until Ctrl-C; its gRPC services run plaintext (crvs-principal metadata as identity) "
      "unless <section>.plaintext=false asks for mutual TLS ([tls], see `crvs certs --help`)");
  dev_->add_flag("--simulate", simulate_,
                 "also run the traffic simulator against this process's services once they are "
                 "up (settings: [simulate], see `crvs simulate --help`): a living pipeline");
  dev_->add_option("--kafka", kafka_,
                   "run on this Kafka cluster (host:port,...) instead of the embedded broker; "
                   "same as --set kafka.bootstrap_servers=... The product's topics must exist: "
                   "`scripts/kafka.sh up` starts a real 3-node cluster and creates them, `crvs "
                   "topics create` creates them on any cluster");
  for (const ServiceSpec& spec : kServices) {
    services_.push_back({app.add_subcommand(spec.name, spec.help), spec.name});
  }
  console_ = app.add_subcommand(
      "console",
      "run the operators' web console on console.listen: sign-in, sync lag per kind and "
      "partition, throughput, latency, dead letters (inspect, replay, discard), pause / resume, "
      "coverage, indicators and silent sources, scoped to the operator's province; works "
      "offline");
  devbroker_ = app.add_subcommand(
      "devbroker",
      "run only the embedded Kafka-protocol broker (librdkafka mock cluster) with the product's "
      "topics and those of the feeds' Kafka subscribers (feeds.subscribers_file); prints the "
      "bootstrap address on stdout");
}

bool ServiceCommands::parsed() const {
  for (const Service& s : services_) {
    if (s.command->parsed()) return true;
  }
  return dev_->parsed() || console_->parsed() || devbroker_->parsed();
}

void ServiceCommands::SetDefaults(RootConfig& root) const {
  if (!dev_->parsed()) return;
  root.gateway.plaintext = root.registry.plaintext = true;
  root.reconcile.plaintext = root.admin.plaintext = true;
  root.feeds.plaintext = true;
  root.feeds.replication_factor = 1;  // whatever the cluster: dev may run on one broker
}

std::vector<std::string> ServiceCommands::Assignments() const {
  if (kafka_.empty()) return {};
  return {"kafka.bootstrap_servers=" + kafka_};
}

int ServiceCommands::Run(const RootConfig& root) const {
  if (devbroker_->parsed()) return RunDevBroker(root);
  Components components;
  if (console_->parsed()) {
    components.console = Components::Console::kAsConfigured;
    return Serve(root, "console", components, /*metrics_listen=*/"");
  }
  if (dev_->parsed()) {
    components.gateway = components.sink = components.registry = true;
    components.court_source = components.reconcile = components.admin = true;
    components.feeds = true;
    components.console = Components::Console::kWatchingThisProcess;
    components.simulate = simulate_;
    components.embedded_broker = components.first_console_admin = true;
    return Serve(root, "dev", components, root.gateway.metrics_listen);
  }
  for (size_t i = 0; i < services_.size(); ++i) {
    if (!services_[i].command->parsed()) continue;
    components.*kServices[i].component = true;
    return Serve(root, services_[i].name, components, kServices[i].metrics_listen(root));
  }
  return kExitFailed;
}

}  // namespace crvs::cli
