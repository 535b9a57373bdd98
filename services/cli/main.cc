// `crvs`: the one binary of crvs-sync. main only wires: it parses the command line, loads the
// configuration, starts the components a subcommand needs, registers their stops, and waits.
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>
#include <google/protobuf/stubs/common.h>
#include <grpcpp/grpcpp.h>
#include <librdkafka/rdkafka.h>
#include <sqlite3.h>

#include "connectors/kafka/embedded_broker.h"
#include "services/gateway/gateway.h"
#include "services/platform/metrics_server.h"
#include "services/cli/root_config.h"
#include "services/platform/lifecycle.h"
#include "services/platform/logging.h"

extern char** environ;

namespace crvs::cli {
namespace {

constexpr int kExitConfig = 2;
constexpr int kExitFailed = 1;

int Fail(const absl::Status& status, int code) {
  std::fprintf(stderr, "crvs: %s\n", std::string(status.message()).c_str());
  return code;
}

// Starts the embedded broker with every product topic and registers its stop.
absl::StatusOr<kafka::EmbeddedBroker*> StartEmbeddedBroker(const kafka::KafkaConfig& cfg,
                                                           Lifecycle& lifecycle) {
  auto broker = kafka::EmbeddedBroker::Start(
      {cfg.embedded_brokers, cfg.embedded_partitions, cfg.AllTopics()});
  if (!broker.ok()) return broker.status();
  kafka::EmbeddedBroker* raw = broker->release();
  lifecycle.OnStop("embedded-broker", [raw] { delete raw; });
  logging::Get("devbroker")
      ->info("embedded Kafka-protocol broker up bootstrap={} brokers={} partitions={} topics={}",
             raw->bootstrap_servers(), cfg.embedded_brokers, cfg.embedded_partitions,
             cfg.AllTopics().size());
  return raw;
}

int RunDevBroker(const RootConfig& root) {
  Lifecycle lifecycle;
  auto broker = StartEmbeddedBroker(root.kafka, lifecycle);
  if (!broker.ok()) return Fail(broker.status(), kExitFailed);
  // The bootstrap address alone on stdout, so scripts can capture it.
  std::printf("%s\n", (*broker)->bootstrap_servers().c_str());
  std::fflush(stdout);
  Lifecycle::WaitForSignal();
  return 0;
}

// The composition root of a running process: each component is started, then its stop is
// registered, so Lifecycle stops them in reverse order.
struct Process {
  Lifecycle lifecycle;
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
};

// Kafka's bootstrap address: the configured cluster, or an embedded broker started here.
absl::StatusOr<std::string> Bootstrap(const RootConfig& root, Process& process) {
  if (!root.kafka.bootstrap_servers.empty()) return root.kafka.bootstrap_servers;
  auto broker = StartEmbeddedBroker(root.kafka, process.lifecycle);
  if (!broker.ok()) return broker.status();
  return (*broker)->bootstrap_servers();
}

absl::Status StartGateway(const RootConfig& root, const std::string& bootstrap, Process& process,
                          MetricsServer& metrics) {
  auto gateway = gateway::Gateway::Start(root.gateway, root.kafka, root.producer, bootstrap,
                                         *process.registry);
  if (!gateway.ok()) return gateway.status();
  gateway::Gateway* raw = gateway->release();
  process.lifecycle.OnStop("gateway", [raw] { delete raw; });
  metrics.AddReadinessCheck("gateway", [raw] {
    raw->RefreshMetrics();
    return raw->NotReady();
  });
  return absl::OkStatus();
}

// Runs `components` (in order) with one metrics endpoint until SIGINT/SIGTERM.
int Serve(const RootConfig& root, const char* name, bool gateway) {
  auto log = logging::Get(name);
  Process process;
  auto bootstrap = Bootstrap(root, process);
  if (!bootstrap.ok()) return Fail(bootstrap.status(), kExitFailed);
  // Constructed before the components (its readiness checks point at them) and stopped before
  // them: declared after `process`, so destroyed first.
  MetricsServer metrics(process.registry);
  if (gateway) {
    absl::Status st = StartGateway(root, *bootstrap, process, metrics);
    if (!st.ok()) return Fail(st, kExitFailed);
  }
  absl::Status st = metrics.Start(root.gateway.metrics_listen);
  if (!st.ok()) return Fail(st, kExitFailed);
  log->info("crvs {} running kafka={} metrics=http://{}/metrics; Ctrl-C stops", name, *bootstrap,
            root.gateway.metrics_listen);
  int sig = Lifecycle::WaitForSignal();
  log->info("signal={} received, shutting down", sig);
  metrics.Stop();
  return 0;
}

void PrintVersion() {
  std::printf("crvs %s\n", CRVS_VERSION);
  std::printf("  grpc %s, protobuf %s, librdkafka %s, sqlite %s\n", grpc::Version().c_str(),
              google::protobuf::internal::VersionString(GOOGLE_PROTOBUF_VERSION).c_str(),
              rd_kafka_version_str(), sqlite3_libversion());
}

}  // namespace
}  // namespace crvs::cli

int main(int argc, char** argv) {
  using namespace crvs::cli;
  crvs::Lifecycle::BlockShutdownSignals();

  CLI::App app{
      "crvs-sync: carries birth certificates, death notices and divorce decisions into the "
      "civil-status database, exactly once, and measures how much of what the sources issued "
      "has arrived.\n\nConfiguration: defaults < --config file (TOML) < CRVS_<SECTION>_<KEY> "
      "environment < --set section.key=value. `crvs config describe` lists every key.",
      "crvs"};
  app.require_subcommand(1);
  ConfigSources sources;
  app.add_option("-c,--config", sources.file, "configuration file (TOML); also $CRVS_CONFIG")
      ->check(CLI::ExistingFile);
  app.add_option("-s,--set", sources.sets, "override one key: section.key=value (repeatable)");

  auto* version = app.add_subcommand("version", "print the version of crvs and its libraries");
  auto* dev = app.add_subcommand(
      "dev",
      "run the whole pipeline on the embedded defaults (embedded broker, gateway) until Ctrl-C");
  auto* gateway_cmd = app.add_subcommand(
      "gateway",
      "run the ingest gateway: gRPC for health facilities (HealthIngest), producing to Kafka "
      "with durable receipts; kafka.bootstrap_servers empty starts an embedded broker");
  auto* devbroker = app.add_subcommand(
      "devbroker",
      "run only the embedded Kafka-protocol broker (librdkafka mock cluster) with the product's "
      "topics; prints the bootstrap address on stdout");
  auto* config_cmd = app.add_subcommand("config", "inspect the configuration");
  config_cmd->require_subcommand(1);
  auto* describe = config_cmd->add_subcommand("describe", "every key: type, value, env name, help");
  auto* dump = config_cmd->add_subcommand("dump", "the effective configuration as a TOML file");
  auto* check = config_cmd->add_subcommand("check", "load the configuration; exit 2 if invalid");
  for (auto* sub : {version, dev, gateway_cmd, devbroker, config_cmd, describe, dump, check}) sub->fallthrough();

  CLI11_PARSE(app, argc, argv);

  if (version->parsed()) {
    PrintVersion();
    return 0;
  }

  RootConfig root;
  crvs::config::Config config;
  absl::Status loaded = LoadConfig(sources, environ, &root, &config);
  if (!loaded.ok()) return Fail(loaded, kExitConfig);

  if (describe->parsed()) {
    std::cout << config.Describe();
    return 0;
  }
  if (dump->parsed()) {
    std::cout << config.Dump();
    return 0;
  }
  if (check->parsed()) {
    std::cout << "configuration OK\n";
    return 0;
  }
  if (devbroker->parsed()) return RunDevBroker(root);
  if (dev->parsed()) return Serve(root, "dev", /*gateway=*/true);
  if (gateway_cmd->parsed()) return Serve(root, "gateway", /*gateway=*/true);
  return kExitFailed;
}
