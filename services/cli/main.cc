// `crvs`: the one binary of crvs-sync. main only wires: it parses the command line, loads the
// configuration, starts the components a subcommand needs, registers their stops, and waits.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>
#include <google/protobuf/stubs/common.h>
#include <grpcpp/grpcpp.h>
#include <librdkafka/rdkafka.h>
#include <sqlite3.h>

#include "connectors/kafka/embedded_broker.h"
#include "connectors/kafka/topics_command.h"
#include "connectors/registry_sink/registry_sink.h"
#include "connectors/court_source/court_source.h"
#include "connectors/kafka/connector_control.h"
#include "services/admin/admin.h"
#include "services/auth/certs_command.h"
#include "services/console/console.h"
#include "services/backfill/backfill.h"
#include "services/backfill/backfill_bench.h"
#include "services/backfill/generator.h"
#include "services/bench/gateway_bench.h"
#include "services/bench/sink_bench.h"
#include "services/crypto/keyring_file.h"
#include "services/gateway/gateway.h"
#include "services/reconcile/reconcile_bench.h"
#include "services/reconcile/reconciler.h"
#include "services/reconcile/indicators/indicators.h"
#include "services/reconcile/indicators/report_flags.h"
#include "services/registry/registry.h"
#include "services/simulate/simulate_flags.h"
#include "services/simulate/simulator.h"
#include "services/store/store.h"
#include "services/operators/operators_command.h"
#include "services/store/audit_command.h"
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
// The court's change-stream topic is created too, so a court-source started early finds it.
absl::StatusOr<kafka::EmbeddedBroker*> StartEmbeddedBroker(const RootConfig& root,
                                                           Lifecycle& lifecycle) {
  const kafka::KafkaConfig& cfg = root.kafka;
  std::vector<std::string> topics = cfg.AllTopics();
  topics.push_back(root.court_source.input_topic);
  auto broker = kafka::EmbeddedBroker::Start({cfg.embedded_brokers, cfg.embedded_partitions, topics});
  if (!broker.ok()) return broker.status();
  kafka::EmbeddedBroker* raw = broker->release();
  lifecycle.OnStop("embedded-broker", [raw] { delete raw; });
  logging::Get("devbroker")
      ->info("embedded Kafka-protocol broker up bootstrap={} brokers={} partitions={} topics={}",
             raw->bootstrap_servers(), cfg.embedded_brokers, cfg.embedded_partitions,
             topics.size());
  return raw;
}

// `crvs config check`: every value a component would refuse at start, and every reference
// file the configuration names, read as the components read them — so a configuration that
// passes here starts.
int CheckConfiguration(const RootConfig& root, bool read_files) {
  std::vector<FieldViolation> bad = gateway::Gateway::ConfigViolations(root.gateway);
  for (FieldViolation& v : FieldViolations(console::ValidateConsoleConfig(root.console))) {
    bad.push_back(std::move(v));
  }
  if (root.sink.batch_max_records < 1) bad.push_back({"sink.batch_max_records", "must be >= 1"});
  if (root.sink.batch_max_wait.count() <= 0) bad.push_back({"sink.batch_max_wait", "must be > 0"});
  if (root.sink.session_timeout.count() < 1000) {
    bad.push_back({"sink.session_timeout", "must be at least 1s"});
  }
  std::vector<std::string> errors;
  for (const auto& [key, file] : !read_files ? std::vector<std::pair<std::string, std::string>>{} :
       std::vector<std::pair<std::string, std::string>>{
           {"gateway.reference_provinces_file", root.gateway.reference_provinces_file},
           {"backfill.reference_provinces_file", root.backfill.reference_provinces_file}}) {
    if (file.empty()) continue;
    auto loaded = validation::ReferenceData::Load(file);
    if (!loaded.ok()) errors.push_back(key + ": " + std::string(loaded.status().message()));
  }
  if (read_files) {  // the register, the pre-2025 mapping and source locations, read together
    auto areas = reconcile::indicators::Areas::Load(
        {root.reconcile.reference_communes_file,
         root.reconcile.reference_communes_before_2025_file,
         root.reconcile.reference_sources_file});
    if (!areas.ok()) {
      errors.push_back("reconcile.reference_*: " + std::string(areas.status().message()));
    }
  }
  if (read_files && !root.kafka.crypto.keyring_file.empty()) {
    auto cipher = crypto::LoadPayloadCipher(root.kafka.crypto);
    if (!cipher.ok()) errors.push_back(std::string(cipher.status().message()));  // names the key
  }
  for (const auto& v : bad) errors.push_back(v.field + ": " + v.description);
  if (errors.empty()) {
    std::cout << "configuration OK\n";
    return 0;
  }
  for (const auto& e : errors) std::cerr << "crvs: " << e << "\n";
  std::cerr << "crvs: configuration invalid (" << errors.size() << " problem"
            << (errors.size() == 1 ? "" : "s") << ")\n";
  return kExitConfig;
}

int RunDevBroker(const RootConfig& root) {
  Lifecycle lifecycle;
  auto broker = StartEmbeddedBroker(root, lifecycle);
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
  // Declared first, destroyed last: components count in it until they have stopped (the
  // producers' last delivery reports arrive during the stops).
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  Lifecycle lifecycle;
  // Where the admin and reconciliation services listen once started (their configured address
  // with port 0 replaced by the port they bound): what the console of `crvs dev` dials.
  std::string admin_address;
  std::string reconcile_address;
};

// "host:0" with the port a server bound.
std::string BoundAddress(const std::string& listen, int port) {
  return listen.substr(0, listen.rfind(':')) + ":" + std::to_string(port);
}

// Kafka's bootstrap address: the configured cluster, or an embedded broker started here.
absl::StatusOr<std::string> Bootstrap(const RootConfig& root, Process& process) {
  if (!root.kafka.bootstrap_servers.empty()) return root.kafka.bootstrap_servers;
  auto broker = StartEmbeddedBroker(root, process.lifecycle);
  if (!broker.ok()) return broker.status();
  return (*broker)->bootstrap_servers();
}

absl::StatusOr<store::Store*> OpenDatabase(const RootConfig& root, const char* component,
                                           Process& process);

absl::Status StartGateway(const RootConfig& root, const std::string& bootstrap, Process& process,
                          MetricsServer& metrics) {
  // Receipts that wait for the database need a connection of their own to read outcomes.
  store::Store* database = nullptr;
  if (gateway::Gateway::ReceiptAfter(root.gateway, root.kafka, true) == "database") {
    auto db = OpenDatabase(root, "gateway", process);
    if (!db.ok()) return db.status();
    database = *db;
  }
  auto gateway = gateway::Gateway::Start(root.gateway, root.kafka, root.producer, bootstrap,
                                         *process.registry, root.tls, database);
  if (!gateway.ok()) return gateway.status();
  gateway::Gateway* raw = gateway->release();
  process.lifecycle.OnStop("gateway", [raw] { delete raw; });
  metrics.AddReadinessCheck("gateway", [raw] {
    raw->RefreshMetrics();
    return raw->NotReady();
  });
  return absl::OkStatus();
}

// Reference data, loaded once per process and shared (read-only).
absl::StatusOr<const validation::ReferenceData*> LoadReference(const RootConfig& root,
                                                               Process& process) {
  auto reference = validation::ReferenceData::Load(root.gateway.reference_provinces_file);
  if (!reference.ok()) return reference.status();
  auto* ref = new validation::ReferenceData(std::move(*reference));
  process.lifecycle.OnStop("reference-data", [ref] { delete ref; });
  return ref;
}

// A connection to the civil-status database for one component (each gets its own, so the
// registry's reads do not queue behind the sink's batches).
absl::StatusOr<store::Store*> OpenDatabase(const RootConfig& root, const char* component,
                                           Process& process) {
  auto store = store::Store::Open(root.database);
  if (!store.ok()) return store.status();
  store::Store* db = store->release();
  process.lifecycle.OnStop(std::string(component) + "-database", [db] { delete db; });
  logging::Get(component)->info("database open backend={} schema_version={}", db->backend(),
                                db->schema_version());
  return db;
}

// Lets operators pause and resume `connector` (crvs admin, PauseConnector) and reports its
// state on the control topic; stops before the connector.
template <class Connector>
absl::Status StartControl(const RootConfig& root, const std::string& bootstrap,
                          const std::string& name, Connector* connector,
                          kafka::Producer* producer, Process& process) {
  kafka::ConnectorControl::Hooks hooks{
      [connector](bool pause) { pause ? connector->Pause() : connector->Resume(); },
      [connector] { return connector->paused(); }, [connector] { return connector->NotReady(); }};
  auto control =
      kafka::ConnectorControl::Start(root.kafka, bootstrap, name, producer, std::move(hooks));
  if (!control.ok()) return control.status();
  kafka::ConnectorControl* raw = control->release();
  process.lifecycle.OnStop(name + "-control", [raw] { delete raw; });
  return absl::OkStatus();
}

// The sink that fills the database, with its stops registered.
absl::Status StartSink(const RootConfig& root, const std::string& bootstrap,
                       const validation::ReferenceData* ref, Process& process,
                       MetricsServer& metrics) {
  auto db = OpenDatabase(root, "sink", process);
  if (!db.ok()) return db.status();
  auto producer = kafka::Producer::Create(root.kafka, root.producer, bootstrap);
  if (!producer.ok()) return producer.status();
  kafka::Producer* dlq = producer->release();
  process.lifecycle.OnStop("dead-letter-producer", [dlq] { delete dlq; });

  auto sink = sink::RegistrySink::Start(root.sink, root.kafka, bootstrap,
                                        {*db, dlq, ref, process.registry.get()});
  if (!sink.ok()) return sink.status();
  sink::RegistrySink* raw = sink->release();
  process.lifecycle.OnStop("sink", [raw] { delete raw; });
  metrics.AddReadinessCheck("sink", [raw] { return raw->NotReady(); });
  return StartControl(root, bootstrap, "registry-sink", raw, dlq, process);
}

// The registry gRPC service over the database.
absl::Status StartRegistry(const RootConfig& root, const validation::ReferenceData* ref,
                           Process& process, MetricsServer& metrics) {
  auto db = OpenDatabase(root, "registry", process);
  if (!db.ok()) return db.status();
  auto registry =
      registry::Registry::Start(root.registry, {*db, ref, process.registry.get()}, root.tls);
  if (!registry.ok()) return registry.status();
  registry::Registry* raw = registry->release();
  process.lifecycle.OnStop("registry", [raw] { delete raw; });
  metrics.AddReadinessCheck("registry", [raw] { return raw->NotReady(); });
  return absl::OkStatus();
}

// The court-source connector and its producer (divorce topic, dead letters, re-send
// acknowledgements), with their stops registered.
absl::Status StartCourtSource(const RootConfig& root, const std::string& bootstrap,
                              const validation::ReferenceData* ref, Process& process,
                              MetricsServer& metrics) {
  auto producer = kafka::Producer::Create(root.kafka, root.producer, bootstrap);
  if (!producer.ok()) return producer.status();
  kafka::Producer* out = producer->release();
  process.lifecycle.OnStop("court-source-producer", [out] { delete out; });
  auto source = court_source::CourtSource::Start(root.court_source, root.kafka, bootstrap,
                                                 {out, ref, process.registry.get()});
  if (!source.ok()) return source.status();
  court_source::CourtSource* raw = source->release();
  process.lifecycle.OnStop("court-source", [raw] { delete raw; });
  metrics.AddReadinessCheck("court-source", [raw] { return raw->NotReady(); });
  return StartControl(root, bootstrap, "court-source", raw, out, process);
}

// The reconciliation service (manifests, coverage, re-send requests, indicators, live feed).
absl::Status StartReconcile(const RootConfig& root, const std::string& bootstrap,
                            Process& process, MetricsServer& metrics) {
  auto db = OpenDatabase(root, "reconcile", process);
  if (!db.ok()) return db.status();
  auto reconciler = reconcile::Reconciler::Start(root.reconcile, root.kafka, root.producer,
                                                 bootstrap, {*db, process.registry.get()},
                                                 root.tls);
  if (!reconciler.ok()) return reconciler.status();
  reconcile::Reconciler* raw = reconciler->release();
  process.lifecycle.OnStop("reconcile", [raw] { delete raw; });
  process.reconcile_address = BoundAddress(root.reconcile.listen, raw->port());
  metrics.AddReadinessCheck("reconcile", [raw] { return raw->NotReady(); });
  return absl::OkStatus();
}

// The operators' admin service (pipeline status, dead letters, pause / resume).
absl::Status StartAdmin(const RootConfig& root, const std::string& bootstrap, Process& process,
                        MetricsServer& metrics) {
  auto db = OpenDatabase(root, "admin", process);
  if (!db.ok()) return db.status();
  auto admin = admin::Admin::Start(
      root.admin, root.kafka, root.producer, bootstrap,
      {*db, process.registry.get(), root.sink.group_id, root.court_source.group_id,
       root.court_source.input_topic},
      root.tls);
  if (!admin.ok()) return admin.status();
  admin::Admin* raw = admin->release();
  process.lifecycle.OnStop("admin", [raw] { delete raw; });
  process.admin_address = BoundAddress(root.admin.listen, raw->port());
  metrics.AddReadinessCheck("admin", [raw] { return raw->NotReady(); });
  return absl::OkStatus();
}

// The operators' web console with its stop registered. It serves its own /metrics (the
// process's registry), /healthz and /readyz on console.listen.
absl::Status StartConsole(const RootConfig& root, const console::ConsoleConfig& config,
                          Process& process, bool first_admin) {
  auto db = OpenDatabase(root, "console", process);
  if (!db.ok()) return db.status();
  if (first_admin) CRVS_RETURN_IF_ERROR(operators::EnsureFirstAdmin(**db, stderr));
  console::ConsoleDeps deps;
  deps.store = *db;
  deps.registry = process.registry;
  deps.topic_kinds = console::MakeTopicKinds(root.kafka.topic_births, root.kafka.topic_deaths,
                                             root.kafka.topic_divorces,
                                             root.kafka.topic_registrations);
  deps.tls = root.tls;
  deps.admin_plaintext = root.admin.plaintext;
  deps.reconcile_plaintext = root.reconcile.plaintext;
  auto started = console::Console::Start(config, std::move(deps));
  if (!started.ok()) return started.status();
  console::Console* raw = started->release();
  process.lifecycle.OnStop("console", [raw] { delete raw; });
  return absl::OkStatus();
}

// In `crvs dev` the console watches this very process (its /metrics, admin and reconciliation
// services) unless [console] points elsewhere.
console::ConsoleConfig DevConsoleConfig(const RootConfig& root, const Process& process,
                                        const std::string& metrics_listen, int metrics_port) {
  console::ConsoleConfig config = root.console;
  const console::ConsoleConfig defaults;
  if (config.metrics_urls == defaults.metrics_urls) {
    config.metrics_urls = {"http://" + BoundAddress(metrics_listen, metrics_port) + "/metrics"};
  }
  if (config.admin_address == defaults.admin_address) config.admin_address = process.admin_address;
  if (config.reconcile_address == defaults.reconcile_address) {
    config.reconcile_address = process.reconcile_address;
  }
  return config;
}

// `crvs console`: the dashboard alone, over the services and endpoints [console] names.
int RunConsole(const RootConfig& root) {
  Process process;
  absl::Status st = StartConsole(root, root.console, process, /*first_admin=*/false);
  if (!st.ok()) {
    return Fail(st, st.code() == absl::StatusCode::kInvalidArgument ? kExitConfig : kExitFailed);
  }
  auto log = logging::Get("console");
  log->info("crvs console running; Ctrl-C stops");
  int sig = Lifecycle::WaitForSignal();
  log->info("signal={} received, shutting down", sig);
  process.lifecycle.Stop();
  return 0;
}

// The traffic simulator inside this process (`crvs dev --simulate`), calling this process's own
// gateway, registry and reconciliation service at their listen addresses.
absl::Status StartSimulator(const RootConfig& root, const validation::ReferenceData& ref,
                            Process& process) {
  auto config = simulate::ForLocalServices(root.simulate, root.gateway.listen,
                                           root.registry.listen, root.reconcile.listen);
  if (!config.ok()) return config.status();
  auto simulator = simulate::Simulator::Start(*config, ref);
  if (!simulator.ok()) return simulator.status();
  simulate::Simulator* raw = simulator->release();
  process.lifecycle.OnStop("simulator", [raw] { delete raw; });
  return absl::OkStatus();
}

struct Components {
  bool gateway = false;
  bool sink = false;
  bool registry = false;
  bool court_source = false;
  bool reconcile = false;
  bool admin = false;
  bool console = false;  // the web console, watching this process
  bool simulate = false;  // `crvs dev --simulate`: started last, stopped first
  // `crvs dev` only: with no kafka.bootstrap_servers, run the embedded broker in-process. A
  // standalone service must never quietly run a broker of its own that nothing else reads.
  bool embedded_broker = false;
  // `crvs dev` only: a fresh database gets a first console account (its password printed once).
  bool first_console_admin = false;
};

// Runs `components` with one metrics endpoint until SIGINT/SIGTERM.
int Serve(const RootConfig& root, const char* name, Components components,
          const std::string& metrics_listen) {
  auto log = logging::Get(name);
  const bool needs_kafka = components.gateway || components.sink || components.court_source ||
                           components.reconcile || components.admin;
  if (needs_kafka && root.kafka.bootstrap_servers.empty() && !components.embedded_broker) {
    return Fail(absl::InvalidArgumentError(absl::StrCat(
                    "kafka.bootstrap_servers: is empty; `crvs ", name,
                    "` connects to the cluster the other services use (set it in [kafka], with "
                    "CRVS_KAFKA_BOOTSTRAP_SERVERS or --set kafka.bootstrap_servers=host:port). "
                    "Only `crvs dev` runs an embedded broker; `crvs devbroker` prints the "
                    "address of one for development")),
                kExitConfig);
  }
  Process process;
  std::string bootstrap;
  if (needs_kafka) {
    auto started = Bootstrap(root, process);
    if (!started.ok()) return Fail(started.status(), kExitFailed);
    bootstrap = *started;
  }
  // Its readiness checks point at the components, so it stops first: after `process` in
  // declaration order, destroyed before it.
  MetricsServer metrics(process.registry);
  auto ref = LoadReference(root, process);
  if (!ref.ok()) return Fail(ref.status(), kExitFailed);
  absl::Status st;
  if (st.ok() && components.sink) st = StartSink(root, bootstrap, *ref, process, metrics);
  if (st.ok() && components.court_source) {
    st = StartCourtSource(root, bootstrap, *ref, process, metrics);
  }
  if (st.ok() && components.registry) st = StartRegistry(root, *ref, process, metrics);
  if (st.ok() && components.reconcile) st = StartReconcile(root, bootstrap, process, metrics);
  if (st.ok() && components.admin) st = StartAdmin(root, bootstrap, process, metrics);
  if (st.ok() && components.gateway) st = StartGateway(root, bootstrap, process, metrics);
  if (st.ok()) st = metrics.Start(metrics_listen);
  if (st.ok() && components.console) {
    // `crvs dev` on a fresh database makes the first account, so its console can be used.
    st = StartConsole(root, DevConsoleConfig(root, process, metrics_listen, metrics.port()),
                      process, components.first_console_admin);
  }
  if (st.ok() && components.simulate) st = StartSimulator(root, **ref, process);
  if (!st.ok()) return Fail(st, kExitFailed);
  log->info("crvs {} running kafka={} metrics=http://{}/metrics; Ctrl-C stops", name, bootstrap,
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

struct GatewayBenchFlags {
  std::string mode = "stream";
  int64_t records = 100000;
  std::string duration;  // e.g. 10m; empty: --records
  double rate = 0;
  int concurrency = 4;
  int births_percent = 50;
  std::string gateway_address;
  bool skip_raw_upsert = false;
  std::string sample_every = "10s";
};

void PrintPercentiles(const char* name, const bench::Percentiles& p) {
  std::printf("  %-28s n=%-9zu p50 %8.1f ms  p99 %8.1f ms  p99.9 %8.1f ms  max %8.1f ms\n", name,
              p.count, p.p50_ms, p.p99_ms, p.p999_ms, p.max_ms);
}

int RunGatewayBench(const RootConfig& root, const GatewayBenchFlags& flags) {
  Process process;
  bench::GatewayBenchInputs in;
  in.kafka = root.kafka;
  in.producer = root.producer;
  in.sink = root.sink;
  in.database = root.database;
  in.gateway = root.gateway;
  in.tls = root.tls;
  in.gateway_address = flags.gateway_address;
  if (in.gateway_address.empty()) {
    auto bootstrap = Bootstrap(root, process);
    if (!bootstrap.ok()) return Fail(bootstrap.status(), kExitFailed);
    in.bootstrap_servers = *bootstrap;
  }
  if (flags.mode != "stream" && flags.mode != "unary") {
    return Fail(absl::InvalidArgumentError("--mode must be stream or unary, not '" + flags.mode + "'"),
                kExitConfig);
  }
  in.stream = flags.mode == "stream";
  in.records = flags.records;
  if (!flags.duration.empty()) {
    if (!absl::ParseDuration(flags.duration, &in.duration) || in.duration <= absl::ZeroDuration()) {
      return Fail(absl::InvalidArgumentError("--duration '" + flags.duration +
                                             "' is not a duration such as 10m or 90s"),
                  kExitConfig);
    }
    in.records = 0;
  }
  if (!absl::ParseDuration(flags.sample_every, &in.sample_every) ||
      in.sample_every <= absl::ZeroDuration()) {
    return Fail(absl::InvalidArgumentError("--sample-every '" + flags.sample_every +
                                           "' is not a duration such as 10s"),
                kExitConfig);
  }
  in.rate = flags.rate;
  in.concurrency = flags.concurrency;
  in.births_percent = flags.births_percent;
  in.measure_raw_upsert = !flags.skip_raw_upsert;
  auto report = bench::RunGatewayBench(in, [](const std::string& line) {
    std::fprintf(stderr, "  %s\n", line.c_str());
  });
  if (!report.ok()) {
    return Fail(report.status(), report.status().code() == absl::StatusCode::kInvalidArgument
                                     ? kExitConfig
                                     : kExitFailed);
  }
  const auto& r = *report;
  std::printf("crvs bench gateway: %s, %d clients, rate %s, births %d%%, database %s\n",
              r.mode.c_str(), flags.concurrency,
              flags.rate > 0 ? (std::to_string(static_cast<int64_t>(flags.rate)) + "/s").c_str()
                             : "unpaced",
              flags.births_percent, r.backend.c_str());
  std::printf("  submitted %lld  accepted %lld  rejected %lld  failed %lld  committed %lld\n",
              static_cast<long long>(r.submitted), static_cast<long long>(r.accepted),
              static_cast<long long>(r.rejected), static_cast<long long>(r.failed),
              static_cast<long long>(r.committed));
  std::printf("  accepted (receipts)            %10.0f records/s over %.1f s\n", r.accepted_per_s,
              r.seconds);
  std::printf("  committed (end to end)         %10.0f records/s\n", r.committed_per_s);
  if (r.raw_upsert_per_s > 0) {
    std::printf("  raw batched upsert (ceiling)   %10.0f records/s\n", r.raw_upsert_per_s);
    // The ratio of BRIEF §6 compares ceilings: meaningful for an unpaced run only.
    if (flags.rate <= 0) {
      std::printf("  end to end / raw upsert        %10.2f\n", r.committed_per_s / r.raw_upsert_per_s);
    }
  }
  PrintPercentiles("submit -> receipt", r.submit_to_receipt);
  PrintPercentiles("submit -> committed", r.submit_to_committed);
  std::printf("  cpu %.2f cores   rss start %lld MB  peak %lld MB  end %lld MB\n", r.cpu_cores,
              static_cast<long long>(r.rss_start_kb / 1024), static_cast<long long>(r.rss_peak_kb / 1024),
              static_cast<long long>(r.rss_end_kb / 1024));
  if (r.timeline.size() > 1) {
    std::printf("  timeline:   t(s)  submitted  committed  rss(MB)  cpu  committed p99(ms)\n");
    for (const auto& s : r.timeline) {
      std::printf("            %6.0f %10lld %10lld %8lld %4.2f %10.1f\n", s.at_s,
                  static_cast<long long>(s.submitted), static_cast<long long>(s.committed),
                  static_cast<long long>(s.rss_kb / 1024), s.cpu_cores, s.committed_p99_ms);
    }
  }
  return r.failed > 0 || r.rejected > 0 ? kExitFailed : 0;
}

// Exit codes of `crvs backfill`: 0 done (ineligible rows included), 2 bad flags, configuration,
// input or checkpoint, 1 broker or I/O failure and 130 interrupted (running again resumes).
int BackfillExitCode(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kDataLoss:
      return kExitConfig;
    case absl::StatusCode::kCancelled:
      return 130;
    default:
      return kExitFailed;
  }
}

// SIGINT/SIGTERM are blocked in every thread (BlockShutdownSignals): takes one if pending.
bool ShutdownSignalPending() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  const timespec no_wait{0, 0};
  return sigtimedwait(&signals, nullptr, &no_wait) > 0;
}

int RunBackfill(const RootConfig& root, const backfill::BackfillFlags& flags) {
  auto options = backfill::MakeOptions(flags, root.backfill, root.kafka);
  if (!options.ok()) return Fail(options.status(), kExitConfig);
  if (root.kafka.bootstrap_servers.empty()) {
    return Fail(absl::InvalidArgumentError(
                    "kafka.bootstrap_servers: is empty; crvs backfill produces to the cluster the "
                    "sink reads (for development, `crvs devbroker` prints one)"),
                kExitConfig);
  }
  auto reference = validation::ReferenceData::Load(root.backfill.reference_provinces_file);
  if (!reference.ok()) return Fail(reference.status(), kExitConfig);
  options->reference = &*reference;
  options->progress_on_terminal = isatty(STDERR_FILENO) == 1;
  int64_t polls = 0;  // a signal check every 1024 rows is prompt enough and costs nothing
  options->stop_requested = [&polls] { return ++polls % 1024 == 0 && ShutdownSignalPending(); };
  auto producer = kafka::Producer::Create(
      root.kafka, backfill::BackfillProducerConfig(root.producer, root.backfill),
      root.kafka.bootstrap_servers);
  if (!producer.ok()) return Fail(producer.status(), kExitConfig);
  backfill::ProducerPublisher publisher(producer->get());
  auto summary = backfill::RunBackfill(*options, publisher);
  if (!summary.ok()) return Fail(summary.status(), BackfillExitCode(summary.status()));
  std::printf("%s", backfill::FormatSummary(*summary).c_str());
  return 0;
}

struct BackfillGenerateArgs {
  std::string kind;
  std::string out;
  std::string format;  // empty: from the file name
  int64_t rows = 200000;
  double ineligible_percent = 5;
  uint64_t seed = 1;
};

int RunBackfillGenerate(const BackfillGenerateArgs& args) {
  auto kind = backfill::ParseExportKind(args.kind);
  if (!kind.ok()) return Fail(kind.status(), kExitConfig);
  auto format =
      args.format.empty() ? backfill::FormatFromPath(args.out) : backfill::ParseExportFormat(args.format);
  if (!format.ok()) return Fail(format.status(), kExitConfig);
  backfill::GenerateOptions g{*kind, *format, args.rows, args.ineligible_percent, args.seed, args.out};
  auto result = backfill::GenerateExport(g);
  if (!result.ok()) return Fail(result.status(), kExitFailed);
  std::printf("%s", backfill::FormatGenerateResult(*result, g).c_str());
  return 0;
}

int RunBackfillBench(const RootConfig& root, const BackfillGenerateArgs& args) {
  auto kind = backfill::ParseExportKind(args.kind);
  if (!kind.ok()) return Fail(kind.status(), kExitConfig);
  auto format = backfill::ParseExportFormat(args.format);
  if (!format.ok()) return Fail(format.status(), kExitConfig);
  Process process;
  auto bootstrap = Bootstrap(root, process);
  if (!bootstrap.ok()) return Fail(bootstrap.status(), kExitFailed);
  backfill::BackfillBenchInputs in;
  in.kafka = root.kafka;
  in.producer = root.producer;
  in.backfill = root.backfill;
  in.bootstrap_servers = *bootstrap;
  in.kind = *kind;
  in.format = *format;
  in.rows = args.rows;
  in.ineligible_percent = args.ineligible_percent;
  auto report = backfill::RunBackfillBench(in, [](const std::string& line) {
    std::fprintf(stderr, "  %s\n", line.c_str());
  });
  if (!report.ok()) return Fail(report.status(), kExitFailed);
  std::printf("crvs bench backfill: %lld %s rows (%s, %lld bytes, %d-byte envelopes), %lld eligible\n",
              static_cast<long long>(report->rows), args.kind.c_str(), args.format.c_str(),
              static_cast<long long>(report->file_bytes), report->envelope_bytes,
              static_cast<long long>(report->eligible));
  std::printf("  rows read, classified           %10.0f rows/s\n", report->rows_per_s);
  std::printf("  records confirmed (acks=all)    %10.0f records/s\n", report->records_per_s);
  std::printf("  whole run                       %10.2f s\n", report->seconds);
  return 0;
}

int RunReconcileBench(const reconcile::ReconcileBenchOptions& options) {
  auto report = reconcile::RunReconcileBench(options, [](const std::string& line) {
    std::fprintf(stderr, "  %s\n", line.c_str());
  });
  if (!report.ok()) return Fail(report.status(), kExitFailed);
  std::printf("crvs bench reconcile: medians of %d runs, in memory\n", options.runs);
  std::printf("  manifest of %lld keys compared         %8.2f s  (target <= 10 s)\n",
              static_cast<long long>(report->manifest_keys), report->manifest_median_seconds);
  std::printf("  digest index of %lld keys built once   %8.2f s\n",
              static_cast<long long>(report->digest_keys), report->digest_index_seconds);
  for (const auto& row : report->digest) {
    std::printf("  digest comparison, %5.2f %% differing  %8.3f s  (%lld differences, %lld calls, "
                "%lld buckets sent)\n",
                row.difference_percent, row.median_seconds,
                static_cast<long long>(row.differences), static_cast<long long>(row.calls),
                static_cast<long long>(row.buckets_sent));
  }
  return 0;
}

// `crvs report` usage errors, one line per bad flag; exit 2.
int ReportUsageError(const absl::Status& status) {
  for (const std::string& line : reconcile::indicators::FlagErrors(status)) {
    std::fprintf(stderr, "crvs report: %s\n", line.c_str());
  }
  return kExitConfig;
}

// Prints the report, or writes it to --output (exit 2 for a bad path, 1 for a failed write).
int EmitReport(const reconcile::v1::IndicatorReport& report,
               const reconcile::indicators::ReportJob& job) {
  namespace indicators = reconcile::indicators;
  if (job.output.empty()) {
    std::cout << indicators::FormatReport(report, job.format, job.language);
    return 0;
  }
  absl::Status written = indicators::WriteReport(report, job.format, job.output, job.language);
  if (!written.ok()) {
    std::fprintf(stderr, "crvs report: --output: %s\n", std::string(written.message()).c_str());
    const bool bad_path = written.code() == absl::StatusCode::kNotFound ||
                          written.code() == absl::StatusCode::kPermissionDenied;
    return bad_path ? kExitConfig : kExitFailed;
  }
  std::fprintf(stderr, "crvs report: wrote %s%s\n", job.output.c_str(),
               job.format == indicators::ReportFormat::kCsv ? " and its .meta.json" : "");
  return 0;
}

// `crvs report`: the programme's indicators from the database, to standard output or --output.
// Exit 2 for bad flags, configuration or --output path, 1 when the database or a write fails.
int RunReport(const RootConfig& root, const reconcile::indicators::ReportFlags& flags) {
  namespace indicators = reconcile::indicators;
  auto job = indicators::ParseReportFlags(flags);
  if (!job.ok()) return ReportUsageError(job.status());
  auto areas = indicators::Areas::Load({root.reconcile.reference_communes_file,
                                        root.reconcile.reference_communes_before_2025_file,
                                        root.reconcile.reference_sources_file});
  if (!areas.ok()) return Fail(areas.status(), kExitConfig);
  indicators::IndicatorOptions options;
  options.sync_sla = absl::Milliseconds(root.reconcile.sync_sla.count());
  absl::Status valid = indicators::ValidateIndicatorsRequest(job->request, *areas, options);
  if (valid.code() == absl::StatusCode::kInvalidArgument) return ReportUsageError(valid);
  if (!valid.ok()) return Fail(valid, kExitConfig);
  auto db = store::Store::Open(root.database);
  if (!db.ok()) return Fail(db.status(), kExitFailed);
  auto report = indicators::ComputeIndicators(**db, *areas, job->request, options);
  if (!report.ok()) return Fail(report.status(), kExitFailed);
  return EmitReport(*report, *job);
}

// `crvs simulate`: simulated sources calling running services until SIGINT/SIGTERM, or until
// simulate.duration has passed and everything due was sent. Exit 2 for bad settings.
int RunSimulate(const RootConfig& root) {
  auto reference = validation::ReferenceData::Load(root.gateway.reference_provinces_file);
  if (!reference.ok()) return Fail(reference.status(), kExitConfig);
  Lifecycle lifecycle;
  auto simulator = simulate::Simulator::Start(root.simulate, *reference);
  if (!simulator.ok()) return Fail(simulator.status(), kExitConfig);
  simulate::Simulator* raw = simulator->release();
  lifecycle.OnStop("simulator", [raw] { delete raw; });
  // Signals are blocked in every thread: poll for one, so a run with a duration can end alone.
  while (!ShutdownSignalPending() && !raw->WaitFinished(absl::Milliseconds(200))) {
  }
  return 0;
}

// `crvs keys new|list`: the keyring that seals personal data on Kafka (--file, else
// crypto.keyring_file). Key bytes are never printed.
struct KeysArgs {
  std::string file;
  std::string id;
  bool activate = false;
};

enum class KeysAction { kNew, kActivate, kList };

int RunKeys(const RootConfig& root, KeysArgs args, KeysAction action) {
  if (args.file.empty()) args.file = root.kafka.crypto.keyring_file;
  if (action == KeysAction::kList) {
    auto listed = crypto::ListKeys(args.file);
    if (!listed.ok()) return Fail(listed.status(), kExitConfig);
    std::printf("%s", listed->c_str());
    return 0;
  }
  if (action == KeysAction::kActivate) {
    absl::Status st = crypto::ActivateKey(args.file, args.id);
    if (!st.ok()) return Fail(st, kExitConfig);
    std::printf("active key of %s: %s\n", args.file.c_str(), args.id.c_str());
    return 0;
  }
  auto added = crypto::AddNewKey(args.file, args.id, args.activate, absl::Now());
  if (!added.ok()) return Fail(added.status(), kExitConfig);
  std::printf("%s key %s in %s (mode 0600); active key: %s\n",
              added->created ? "created" : "added", added->id.c_str(), args.file.c_str(),
              added->active.c_str());
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
  crvs::auth::CertsCommand certs(app);
  crvs::kafka::TopicsCommand topics(app);
  crvs::operators::OperatorsCommand operators(app);
  auto* dev = app.add_subcommand(
      "dev",
      "run the whole pipeline on the embedded defaults (embedded broker, gateway, sink into "
      "SQLite, registry, court-source, reconcile, admin, the web console on console.listen) "
      "until Ctrl-C; its gRPC services run plaintext (crvs-principal metadata as identity) "
      "unless <section>.plaintext=false asks for mutual TLS ([tls], see `crvs certs --help`)");
  bool dev_simulate = false;
  dev->add_flag("--simulate", dev_simulate,
                "also run the traffic simulator against this process's services once they are "
                "up (settings: [simulate], see `crvs simulate --help`): a living pipeline");
  std::string dev_kafka;
  dev->add_option("--kafka", dev_kafka,
                  "run on this Kafka cluster (host:port,...) instead of the embedded broker; "
                  "same as --set kafka.bootstrap_servers=... The product's topics must exist: "
                  "`scripts/kafka.sh up` starts a real 3-node cluster and creates them, `crvs "
                  "topics create` creates them on any cluster");
  std::vector<std::string> simulate_sets;
  auto* simulate_cmd = app.add_subcommand(
      "simulate",
      "send live traffic from simulated health facilities, courts and commune registry offices "
      "to running services (gateway, registry, reconcile): birth certificates, death notices, "
      "divorce decisions, registrations days later on a compressed clock, monthly manifests "
      "with forgotten records, planted invalid records, late syncs, amends, voids and one "
      "facility that goes silent; progress on stderr; until Ctrl-C or --duration. Every option "
      "is also the configuration key simulate.<option> (with underscores)");
  crvs::simulate::AddSimulateFlags(simulate_cmd, &simulate_sets);
  simulate_cmd->fallthrough();
  auto* gateway_cmd = app.add_subcommand(
      "gateway",
      "run the ingest gateway: gRPC for health facilities (HealthIngest), producing to Kafka "
      "with durable receipts; kafka.bootstrap_servers empty starts an embedded broker");
  auto* sink_cmd = app.add_subcommand(
      "sink",
      "run the registry sink: consume the record topics and apply them to the civil-status "
      "database exactly once (offsets stored with the rows)");
  auto* registry_cmd = app.add_subcommand(
      "registry",
      "run the registry service: gRPC over the civil-status database for commune software "
      "(records, person status, registrations) and operators");
  auto* court_source_cmd = app.add_subcommand(
      "court-source",
      "run the court-source connector: the court database's change stream (Debezium JSON on "
      "court_source.input_topic) and re-send requests for courts -> the divorce topic");
  auto* reconcile_cmd = app.add_subcommand(
      "reconcile",
      "run the reconciliation service: gRPC for manifests, sync coverage, gaps, re-send "
      "requests, digest comparison, indicators and silent sources; publishes the live "
      "indicator feed on kafka.topic_indicators");
  auto* admin_cmd = app.add_subcommand(
      "admin",
      "run the operators' admin service: gRPC for pipeline lag per topic and partition, dead "
      "letters (inspect, replay, discard) and pausing / resuming connectors");
  auto* console_cmd = app.add_subcommand(
      "console",
      "run the operators' web dashboard on console.listen (default http://127.0.0.1:8080/): "
      "sync lag per kind and partition, throughput, latency, dead letters (inspect, replay, "
      "discard), pause / resume, coverage, indicators and silent sources; works offline");
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
  GatewayBenchFlags gateway_bench;
  auto* bench_gateway = bench->add_subcommand(
      "gateway",
      "the whole ingest path from the source's side: clients call the gateway (unary or "
      "streaming) at a rate and concurrency with a birth/death mix; reports throughput, "
      "p50/p99/p99.9 of submit->receipt and submit->committed, CPU, RSS, and the database's raw "
      "batched-upsert rate measured in the same run. Embedded gateway + sink unless --gateway");
  bench_gateway->add_option("--mode", gateway_bench.mode, "stream (SubmitStream) or unary (Submit)")
      ->capture_default_str();
  bench_gateway->add_option("--records", gateway_bench.records, "records to send")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{50000000}));
  bench_gateway->add_option("--duration", gateway_bench.duration,
                            "send for this long instead (e.g. 10m, a soak); needs --rate");
  bench_gateway->add_option("--rate", gateway_bench.rate,
                            "records per second over all clients; 0 = as fast as accepted")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e7));
  bench_gateway->add_option("--concurrency", gateway_bench.concurrency,
                            "client threads: each one stream, or one call at a time")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  bench_gateway->add_option("--births-percent", gateway_bench.births_percent,
                            "share of birth certificates; the rest are death notices")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  bench_gateway->add_option("--gateway", gateway_bench.gateway_address,
                            "host:port of a running gateway to drive instead of the embedded one "
                            "(committed latency then reads database.url)");
  bench_gateway->add_flag("--skip-raw-upsert", gateway_bench.skip_raw_upsert,
                          "do not measure the database's raw batched-upsert rate");
  bench_gateway->add_option("--sample-every", gateway_bench.sample_every,
                            "timeline interval (RSS, CPU, committed, p99 per window)")
      ->capture_default_str();
  crvs::backfill::BackfillFlags backfill_flags;
  auto* backfill_cmd = app.add_subcommand(
      "backfill",
      "load a historical export through the pipeline: court divorce decisions effective up to "
      "backfill.last_backlog_day, or civil-status registrations (CSV or NDJSON, columns in "
      "services/backfill/README.md); eligible rows go to the record topic, the others to an "
      "eligibility report; resumable from its checkpoint");
  backfill_cmd->add_option("--kind", backfill_flags.kind, "divorce or registration");
  backfill_cmd->add_option("--file", backfill_flags.file, "the export file");
  backfill_cmd->add_option("--format", backfill_flags.format,
                           "csv or ndjson (default: from the file name)");
  backfill_cmd->add_option("--checkpoint", backfill_flags.checkpoint,
                           "checkpoint file (default: <file name>.checkpoint in "
                           "backfill.checkpoint_dir, or next to the file)");
  backfill_cmd->add_option("--report", backfill_flags.report,
                           "eligibility report, CSV (default: <file name>.ineligible.csv next to "
                           "the checkpoint)");
  BackfillGenerateArgs generate_args;
  auto* backfill_generate = backfill_cmd->add_subcommand(
      "generate",
      "write a realistic export with planted ineligible rows (tests, benchmarks); prints the "
      "expected eligible count");
  backfill_generate->add_option("--kind", generate_args.kind, "divorce or registration")
      ->required();
  backfill_generate->add_option("--rows", generate_args.rows, "rows to write")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{1000000000}));
  backfill_generate
      ->add_option("--ineligible-percent", generate_args.ineligible_percent,
                   "share of planted ineligible rows, 0..100")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 100.0));
  backfill_generate->add_option("--out", generate_args.out, "the file to write")->required();
  backfill_generate->add_option("--format", generate_args.format,
                                "csv or ndjson (default: from the file name)");
  backfill_generate->add_option("--seed", generate_args.seed, "random seed (same seed, same file)")
      ->capture_default_str();
  BackfillGenerateArgs bench_backfill_args;
  bench_backfill_args.kind = "divorce";
  bench_backfill_args.format = "csv";
  auto* bench_backfill = bench->add_subcommand(
      "backfill",
      "backfill throughput: a generated export read, classified and produced (acks=all) until "
      "the broker confirmed every record");
  bench_backfill->add_option("--kind", bench_backfill_args.kind, "divorce or registration")
      ->capture_default_str();
  bench_backfill->add_option("--rows", bench_backfill_args.rows, "rows in the export")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{100000000}));
  bench_backfill->add_option("--format", bench_backfill_args.format, "csv or ndjson")
      ->capture_default_str();
  bench_backfill
      ->add_option("--ineligible-percent", bench_backfill_args.ineligible_percent,
                   "share of planted ineligible rows, 0..100")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 100.0));
  crvs::reconcile::ReconcileBenchOptions reconcile_bench;
  auto* bench_reconcile = bench->add_subcommand(
      "reconcile",
      "reconciliation: a manifest compared with the database's records, and the digest "
      "protocol at several difference rates (in memory; see docs/benchmarks.md)");
  bench_reconcile->add_option("--manifest-keys", reconcile_bench.manifest_keys,
                              "entries of the compared manifest")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1000}, int64_t{100000000}));
  bench_reconcile->add_option("--digest-keys", reconcile_bench.digest_keys,
                              "records in each digest inventory")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1000}, int64_t{100000000}));
  bench_reconcile->add_option("--runs", reconcile_bench.runs, "runs per figure (median)")
      ->capture_default_str()
      ->check(CLI::Range(1, 99));
  for (auto* sub : {backfill_cmd, backfill_generate, bench_backfill, bench_reconcile}) {
    sub->fallthrough();
  }
  crvs::reconcile::indicators::ReportFlags report_flags;
  auto* report_cmd = app.add_subcommand(
      "report",
      "compute the programme's indicators (B1-B3, D1-D5, V1-V2, docs/indicators.md) from the "
      "civil-status database (database.url) for a period, as of a date: a table for the "
      "terminal, or JSON / CSV for publication. JSON carries its metadata (period, as-of, "
      "area, definitions, targets, source); with --format csv --output FILE the metadata goes "
      "to FILE.meta.json beside it, so the CSV holds only rows. Exit 2 on bad input");
  report_cmd->add_option("--period", report_flags.period,
                         "REQUIRED: the period, a year (2026), a quarter (2026-Q1..2026-Q4) or "
                         "a month (2026-03)");
  report_cmd->add_option("--as-of", report_flags.as_of,
                         "count what was known on this date, YYYY-MM-DD (default: today in "
                         "Vietnam; not in the future)");
  report_cmd->add_option("--known", report_flags.known,
                         "what a back-dated report counts: as-of = only records committed by "
                         "the --as-of date (reproduces a figure published then), now = also "
                         "records that arrived later, still judged at --as-of")
      ->capture_default_str();
  report_cmd->add_option("--province", report_flags.province,
                         "only this province, 2 digits (of the register in "
                         "reconcile.reference_communes_file, built in by default)");
  report_cmd->add_option("--commune", report_flags.commune, "only this commune, 5 digits");
  report_cmd->add_option("--breakdown", report_flags.breakdown,
                         "rows per group: none, province, commune (today's units: codes "
                         "written before 2025-07-01 count where they merged), facility (B3, "
                         "D3, D4, D5) or court (V1, V2)")
      ->capture_default_str();
  report_cmd->add_option("--indicators", report_flags.indicators,
                         "comma-separated ids, e.g. B1,D5 (default: all ten)");
  report_cmd->add_option("--lang", report_flags.lang,
                         "vi (default) or en: the language of the table's words and of the "
                         "published metadata's note, names and column labels")
      ->capture_default_str();
  report_cmd->add_option("--format", report_flags.format, "table, json or csv")
      ->capture_default_str();
  report_cmd->add_option("--output", report_flags.output,
                         "write to FILE instead of standard output (csv: also FILE.meta.json)");
  report_cmd->fallthrough();
  KeysArgs keys_args;
  auto* keys_cmd = app.add_subcommand(
      "keys",
      "the keyring that seals personal data on Kafka (AES-256-GCM): create, activate and list keys "
      "(key bytes are never printed); see services/crypto/README.md for rotation");
  keys_cmd->require_subcommand(1);
  auto* keys_new = keys_cmd->add_subcommand(
      "new",
      "add a random 32-byte key to the keyring file (created, mode 0600, with this key active "
      "if missing)");
  keys_new->add_option("--file", keys_args.file, "keyring file (default: crypto.keyring_file)");
  keys_new->add_option("--id", keys_args.id, "key id (default: k + UTC time, e.g. k20260315T101500)");
  keys_new->add_flag("--activate", keys_args.activate,
                     "make the new key the one new values are sealed with");
  auto* keys_activate = keys_cmd->add_subcommand(
      "activate",
      "make a key of the ring the one new values are sealed with (once every process's ring "
      "holds it)");
  keys_activate->add_option("--file", keys_args.file, "keyring file (default: crypto.keyring_file)");
  keys_activate->add_option("--id", keys_args.id, "the key id")->required();
  auto* keys_list = keys_cmd->add_subcommand("list", "the key ids of the keyring file, and the active one");
  keys_list->add_option("--file", keys_args.file, "keyring file (default: crypto.keyring_file)");
  for (auto* sub : {keys_cmd, keys_new, keys_activate, keys_list}) sub->fallthrough();
  auto* audit_cmd = app.add_subcommand(
      "audit",
      "the tamper-evident audit trail of the civil-status database (database.url): every "
      "applied record, dead letter, offset movement, operator action and migration, chained "
      "by SHA-256");
  audit_cmd->require_subcommand(1);
  crvs::store::AuditVerifyFlags audit_verify_flags;
  auto* audit_verify = audit_cmd->add_subcommand(
      "verify",
      "check the whole chain: exit 0 when intact (prints the rows verified and the head "
      "SEQ:HASH), 3 when a row was edited, deleted, inserted or reordered (names the first "
      "such row), 1 when the database fails, 2 for a bad flag. Keep the printed head outside "
      "the database and pass it back with --expect to detect a rewritten chain");
  audit_verify->add_option("--expect", audit_verify_flags.expect,
                           "SEQ:HASH printed by an earlier verification: the chain must still "
                           "hold that row with that hash");
  audit_verify->add_option("--progress-every", audit_verify_flags.progress_every,
                           "print progress on stderr every N rows (0: never)")
      ->capture_default_str();
  crvs::store::AuditListFlags audit_list_flags;
  auto* audit_list = audit_cmd->add_subcommand(
      "list", "print audit rows, oldest first, tab-separated: seq, time, actor, action, "
              "subject, detail, hash");
  audit_list->add_option("--since-seq", audit_list_flags.since_seq, "rows after this seq")
      ->capture_default_str();
  audit_list->add_option("--limit", audit_list_flags.limit, "at most this many rows (1..10000)")
      ->capture_default_str();
  for (auto* sub : {audit_cmd, audit_verify, audit_list}) sub->fallthrough();
  auto* config_cmd = app.add_subcommand("config", "inspect the configuration");
  config_cmd->require_subcommand(1);
  auto* describe = config_cmd->add_subcommand("describe", "every key: type, value, env name, help");
  auto* dump = config_cmd->add_subcommand("dump", "the effective configuration as a TOML file");
  auto* check = config_cmd->add_subcommand(
      "check",
      "load the configuration, check every value a component would refuse and read every file "
      "it names (reference data, keyring); exit 2 naming each problem");
  bool check_no_files = false;
  check->add_flag("--no-files", check_no_files,
                  "values only: do not read the files the configuration names (to check a "
                  "deployment's configuration away from the machine that holds them)");
  for (auto* sub : {version, dev, gateway_cmd, sink_cmd, registry_cmd, devbroker, bench, bench_sink, bench_gateway, config_cmd, describe, dump, check}) sub->fallthrough();

  court_source_cmd->fallthrough();
  reconcile_cmd->fallthrough();
  admin_cmd->fallthrough();
  console_cmd->fallthrough();

  CLI11_PARSE(app, argc, argv);
  // `crvs simulate`'s flags override every other configuration source.
  sources.sets.insert(sources.sets.end(), simulate_sets.begin(), simulate_sets.end());
  if (!dev_kafka.empty()) sources.sets.push_back("kafka.bootstrap_servers=" + dev_kafka);

  if (version->parsed()) {
    PrintVersion();
    return 0;
  }
  if (certs.parsed()) return certs.Run();

  RootConfig root;
  if (dev->parsed()) {
    // Local development: every service plaintext unless the configuration says otherwise.
    root.gateway.plaintext = root.registry.plaintext = true;
    root.reconcile.plaintext = root.admin.plaintext = true;
  }
  crvs::config::Config config;
  absl::Status loaded = LoadConfig(sources, environ, &root, &config);
  if (!loaded.ok()) return Fail(loaded, kExitConfig);

  if (topics.parsed()) return topics.Run(root.kafka, {root.court_source.input_topic});
  if (operators.parsed()) return operators.Run(root.database, std::cin, stdout, stderr);
  if (describe->parsed()) {
    std::cout << config.Describe();
    return 0;
  }
  if (dump->parsed()) {
    std::cout << config.Dump();
    return 0;
  }
  if (check->parsed()) return CheckConfiguration(root, /*read_files=*/!check_no_files);
  if (report_cmd->parsed()) return RunReport(root, report_flags);
  if (audit_verify->parsed()) {
    return crvs::store::RunAuditVerify(root.database, audit_verify_flags, stdout, stderr);
  }
  if (audit_list->parsed()) {
    return crvs::store::RunAuditList(root.database, audit_list_flags, stdout, stderr);
  }
  if (keys_new->parsed()) return RunKeys(root, keys_args, KeysAction::kNew);
  if (keys_activate->parsed()) return RunKeys(root, keys_args, KeysAction::kActivate);
  if (keys_list->parsed()) return RunKeys(root, keys_args, KeysAction::kList);
  if (devbroker->parsed()) return RunDevBroker(root);
  if (simulate_cmd->parsed()) return RunSimulate(root);
  if (court_source_cmd->parsed()) {
    Components components;
    components.court_source = true;
    return Serve(root, "court-source", components, root.court_source.metrics_listen);
  }
  if (backfill_generate->parsed()) return RunBackfillGenerate(generate_args);
  if (backfill_cmd->parsed()) return RunBackfill(root, backfill_flags);
  if (bench_backfill->parsed()) return RunBackfillBench(root, bench_backfill_args);
  if (bench_sink->parsed()) return RunSinkBench(root, bench_records);
  if (bench_gateway->parsed()) return RunGatewayBench(root, gateway_bench);
  if (bench_reconcile->parsed()) return RunReconcileBench(reconcile_bench);
  if (dev->parsed()) {
    Components all;
    all.gateway = all.sink = all.registry = all.court_source = all.reconcile = all.admin = true;
    all.simulate = dev_simulate;
    all.console = true;
    all.embedded_broker = true;
    all.first_console_admin = true;
    return Serve(root, "dev", all, root.gateway.metrics_listen);
  }
  if (gateway_cmd->parsed()) {
    Components c;
    c.gateway = true;
    return Serve(root, "gateway", c, root.gateway.metrics_listen);
  }
  if (sink_cmd->parsed()) {
    Components c;
    c.sink = true;
    return Serve(root, "sink", c, root.sink.metrics_listen);
  }
  if (console_cmd->parsed()) return RunConsole(root);
  if (admin_cmd->parsed()) {
    Components c;
    c.admin = true;
    return Serve(root, "admin", c, root.admin.metrics_listen);
  }
  if (reconcile_cmd->parsed()) {
    Components c;
    c.reconcile = true;
    return Serve(root, "reconcile", c, root.reconcile.metrics_listen);
  }
  if (registry_cmd->parsed()) {
    Components c;
    c.registry = true;
    return Serve(root, "registry", c, root.registry.metrics_listen);
  }
  return kExitFailed;
}
