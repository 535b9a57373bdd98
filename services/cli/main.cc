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
#include "connectors/registry_sink/registry_sink.h"
#include "services/bench/sink_bench.h"
#include "services/gateway/gateway.h"
#include "services/store/store.h"
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

// The database and the sink that fills it, with their stops registered.
absl::Status StartSink(const RootConfig& root, const std::string& bootstrap, Process& process,
                       MetricsServer& metrics) {
  auto reference = validation::ReferenceData::Load(root.gateway.reference_provinces_file);
  if (!reference.ok()) return reference.status();
  auto* ref = new validation::ReferenceData(std::move(*reference));
  process.lifecycle.OnStop("reference-data", [ref] { delete ref; });

  auto store = store::Store::Open(root.database);
  if (!store.ok()) return store.status();
  store::Store* db = store->release();
  process.lifecycle.OnStop("database", [db] { delete db; });
  logging::Get("sink")->info("database open backend={} schema_version={}", db->backend(),
                             db->schema_version());

  auto producer = kafka::Producer::Create(root.kafka, root.producer, bootstrap);
  if (!producer.ok()) return producer.status();
  kafka::Producer* dlq = producer->release();
  process.lifecycle.OnStop("dead-letter-producer", [dlq] { delete dlq; });

  auto sink = sink::RegistrySink::Start(root.sink, root.kafka, bootstrap,
                                        {db, dlq, ref, process.registry.get()});
  if (!sink.ok()) return sink.status();
  sink::RegistrySink* raw = sink->release();
  process.lifecycle.OnStop("sink", [raw] { delete raw; });
  metrics.AddReadinessCheck("sink", [raw] { return raw->NotReady(); });
  return absl::OkStatus();
}

struct Components {
  bool gateway = false;
  bool sink = false;
};

// Runs `components` with one metrics endpoint until SIGINT/SIGTERM.
int Serve(const RootConfig& root, const char* name, Components components,
          const std::string& metrics_listen) {
  auto log = logging::Get(name);
  Process process;
  auto bootstrap = Bootstrap(root, process);
  if (!bootstrap.ok()) return Fail(bootstrap.status(), kExitFailed);
  // Its readiness checks point at the components, so it stops first: after `process` in
  // declaration order, destroyed before it.
  MetricsServer metrics(process.registry);
  absl::Status st;
  if (st.ok() && components.sink) st = StartSink(root, *bootstrap, process, metrics);
  if (st.ok() && components.gateway) st = StartGateway(root, *bootstrap, process, metrics);
  if (st.ok()) st = metrics.Start(metrics_listen);
  if (!st.ok()) return Fail(st, kExitFailed);
  log->info("crvs {} running kafka={} metrics=http://{}/metrics; Ctrl-C stops", name, *bootstrap,
            metrics_listen);
  int sig = Lifecycle::WaitForSignal();
  log->info("signal={} received, shutting down", sig);
  metrics.Stop();
  return 0;
}

int RunSinkBench(const RootConfig& root, int records) {
  Process process;
  auto bootstrap = Bootstrap(root, process);
  if (!bootstrap.ok()) return Fail(bootstrap.status(), kExitFailed);
  bench::SinkBenchInputs in{root.kafka, root.producer, root.sink, root.database, *bootstrap,
                            records};
  auto report = bench::RunSinkBench(in, [](const std::string& line) {
    std::fprintf(stderr, "  %s\n", line.c_str());
  });
  if (!report.ok()) return Fail(report.status(), kExitFailed);
  std::printf("crvs bench sink: %d death notices (%d-byte envelopes), database %s\n",
              report->records, report->envelope_bytes, report->backend.c_str());
  std::printf("  producer (acks=all)            %10.0f records/s\n", report->produce_per_s);
  std::printf("  raw batched upsert (ceiling)   %10.0f records/s\n", report->raw_upsert_per_s);
  std::printf("  sink, Kafka -> database        %10.0f records/s\n", report->sink_per_s);
  std::printf("  sink / raw upsert              %10.2f\n",
              report->sink_per_s / report->raw_upsert_per_s);
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
      "run the whole pipeline on the embedded defaults (embedded broker, gateway, sink into "
      "SQLite) until Ctrl-C");
  auto* gateway_cmd = app.add_subcommand(
      "gateway",
      "run the ingest gateway: gRPC for health facilities (HealthIngest), producing to Kafka "
      "with durable receipts; kafka.bootstrap_servers empty starts an embedded broker");
  auto* sink_cmd = app.add_subcommand(
      "sink",
      "run the registry sink: consume the record topics and apply them to the civil-status "
      "database exactly once (offsets stored with the rows)");
  auto* devbroker = app.add_subcommand(
      "devbroker",
      "run only the embedded Kafka-protocol broker (librdkafka mock cluster) with the product's "
      "topics; prints the bootstrap address on stdout");
  auto* bench = app.add_subcommand("bench", "measure performance (see docs/benchmarks.md)");
  bench->require_subcommand(1);
  int bench_records = 100000;
  auto* bench_sink = bench->add_subcommand(
      "sink",
      "registry sink throughput (Kafka -> configured database, exactly once) next to the "
      "database's raw batched-upsert rate, in one run");
  bench_sink->add_option("--records", bench_records, "death notices to move")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000000));
  auto* config_cmd = app.add_subcommand("config", "inspect the configuration");
  config_cmd->require_subcommand(1);
  auto* describe = config_cmd->add_subcommand("describe", "every key: type, value, env name, help");
  auto* dump = config_cmd->add_subcommand("dump", "the effective configuration as a TOML file");
  auto* check = config_cmd->add_subcommand("check", "load the configuration; exit 2 if invalid");
  for (auto* sub : {version, dev, gateway_cmd, sink_cmd, devbroker, bench, bench_sink, config_cmd, describe, dump, check}) sub->fallthrough();

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
  if (bench_sink->parsed()) return RunSinkBench(root, bench_records);
  if (dev->parsed()) {
    return Serve(root, "dev", {/*gateway=*/true, /*sink=*/true}, root.gateway.metrics_listen);
  }
  if (gateway_cmd->parsed()) {
    return Serve(root, "gateway", {/*gateway=*/true, /*sink=*/false}, root.gateway.metrics_listen);
  }
  if (sink_cmd->parsed()) {
    return Serve(root, "sink", {/*gateway=*/false, /*sink=*/true}, root.sink.metrics_listen);
  }
  return kExitFailed;
}
