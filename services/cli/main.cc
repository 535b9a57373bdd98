// `crvs`: the one binary of crvs-sync, and its composition root. Each library registers its own
// subcommands and flags (an XCommand next to the code it drives); main parses the command
// line, loads the configuration and hands each command the sections it reads. The services
// themselves are started by Application (application.h).
#include <iostream>

#include <CLI/CLI.hpp>

#include "connectors/kafka/topics_command.h"
#include "services/auth/certs_command.h"
#include "services/backfill/backfill_command.h"
#include "services/bench/bench_command.h"
#include "services/cli/config_command.h"
#include "services/cli/root_config.h"
#include "services/cli/service_commands.h"
#include "services/crypto/keys_command.h"
#include "services/documents/document_command.h"
#include "services/operators/operators_command.h"
#include "services/platform/exit_codes.h"
#include "services/platform/lifecycle.h"
#include "services/reconcile/indicators/report_command.h"
#include "services/reconcile/reconcile_bench_command.h"
#include "services/simulate/simulate_command.h"
#include "services/store/audit_command.h"

extern char** environ;

namespace crvs::cli {
namespace {

constexpr const char* kAbout =
    "crvs-sync: carries birth certificates, death notices and divorce decisions into the "
    "civil-status database, exactly once, and measures how much of what the sources issued "
    "has arrived.\n\nConfiguration: defaults < --config file (TOML) < CRVS_<SECTION>_<KEY> "
    "environment < --set section.key=value. `crvs config describe` lists every key.";

// Options of `crvs` itself may also follow a subcommand (`crvs dev --set ...`).
void FallThroughEverywhere(CLI::App* app) {
  for (CLI::App* sub : app->get_subcommands([](CLI::App*) { return true; })) {
    sub->fallthrough();
    FallThroughEverywhere(sub);
  }
}

// Every subcommand of `crvs`, registered with the command line.
struct Commands {
  explicit Commands(CLI::App& app)
      : version(app),
        certs(app),
        topics(app),
        operators(app),
        services(app),
        simulate(app),
        bench_group(BenchGroup(app)),
        bench(*bench_group),
        backfill(app, *bench_group),
        reconcile_bench(*bench_group),
        report(app),
        keys(app),
        audit(app),
        document(app),
        config(app) {}

  static CLI::App* BenchGroup(CLI::App& app) {
    CLI::App* bench = app.add_subcommand("bench", "measure performance (see docs/benchmarks.md)");
    bench->require_subcommand(1);
    return bench;
  }

  // The parsed subcommand, run with the configuration sections it reads.
  int Run(const RootConfig& root, const config::Config& loaded) const {
    if (topics.parsed()) return topics.Run(root.kafka, {root.court_source.input_topic});
    if (operators.parsed()) return operators.Run(root.database, std::cin, stdout, stderr);
    if (config.parsed()) return config.Run(root, loaded);
    if (report.parsed()) return report.Run(root.reconcile, root.database);
    if (audit.parsed()) return audit.Run(root.database, stdout, stderr);
    if (keys.parsed()) return keys.Run(root.kafka.crypto.keyring_file);
    if (document.parsed()) return document.Run(root.reference);
    if (simulate.parsed()) return simulate.Run(root.simulate, root.reference);
    if (backfill.parsed()) {
      return backfill.Run({root.kafka, root.producer, root.backfill, root.reference});
    }
    if (bench.parsed()) {
      return bench.Run(
          {root.kafka, root.producer, root.sink, root.database, root.gateway, root.tls});
    }
    if (reconcile_bench.parsed()) return reconcile_bench.Run();
    if (services.parsed()) return services.Run(root);
    return kExitFailed;
  }

  VersionCommand version;
  auth::CertsCommand certs;
  kafka::TopicsCommand topics;
  operators::OperatorsCommand operators;
  ServiceCommands services;
  simulate::SimulateCommand simulate;
  CLI::App* bench_group;
  bench::BenchCommand bench;
  backfill::BackfillCommand backfill;
  reconcile::ReconcileBenchCommand reconcile_bench;
  reconcile::indicators::ReportCommand report;
  crypto::KeysCommand keys;
  store::AuditCommand audit;
  documents::DocumentCommand document;
  ConfigCommand config;
};

}  // namespace
}  // namespace crvs::cli

int main(int argc, char** argv) {
  using namespace crvs;
  using namespace crvs::cli;
  Lifecycle::BlockShutdownSignals();

  CLI::App app{kAbout, "crvs"};
  app.require_subcommand(1);
  ConfigSources sources;
  app.add_option("-c,--config", sources.file, "configuration file (TOML); also $CRVS_CONFIG")
      ->check(CLI::ExistingFile);
  app.add_option("-s,--set", sources.sets, "override one key: section.key=value (repeatable)");
  Commands commands(app);
  FallThroughEverywhere(&app);
  CLI11_PARSE(app, argc, argv);

  // Needing no configuration, these run before it is loaded.
  if (commands.version.parsed()) return commands.version.Run();
  if (commands.certs.parsed()) return commands.certs.Run();

  // Flags that are configuration (`crvs simulate --rate`, `crvs dev --kafka`) win over --set.
  for (const auto& more : {commands.simulate.Assignments(), commands.services.Assignments()}) {
    sources.sets.insert(sources.sets.end(), more.begin(), more.end());
  }
  RootConfig root;
  commands.services.SetDefaults(root);
  config::Config loaded;
  absl::Status status = LoadConfig(sources, environ, &root, &loaded);
  if (!status.ok()) return FailWith(status, kExitConfig);
  return commands.Run(root, loaded);
}
