#include "services/simulate/simulate_command.h"

#include "services/platform/exit_codes.h"
#include "services/platform/lifecycle.h"
#include "services/simulate/simulate_flags.h"
#include "services/simulate/simulator.h"
#include "services/validation/reference_data.h"

namespace crvs::simulate {

// How often a run with a duration looks for a signal while it waits to finish.
constexpr absl::Duration kSignalPoll = absl::Milliseconds(200);

SimulateCommand::SimulateCommand(CLI::App& app) {
  command_ = app.add_subcommand(
      "simulate",
      "send live traffic from simulated health facilities, courts and commune registry offices "
      "to running services (gateway, registry, reconcile): birth certificates, death notices, "
      "divorce decisions, registrations days later on a compressed clock, monthly manifests "
      "with forgotten records, planted invalid records, late syncs, amends, voids and one "
      "facility that goes silent; progress on stderr; until Ctrl-C or --duration. Every option "
      "is also the configuration key simulate.<option> (with underscores)");
  AddSimulateFlags(command_, &assignments_);
}

int SimulateCommand::Run(const SimulateConfig& config,
                         const validation::ReferenceConfig& reference) const {
  auto loaded = validation::ReferenceData::Load(reference.provinces_file);
  if (!loaded.ok()) return FailWith(loaded.status(), kExitConfig);
  Lifecycle lifecycle;
  auto simulator = Simulator::Start(config, *loaded);
  if (!simulator.ok()) return FailWith(simulator.status(), kExitConfig);
  Simulator* raw = simulator->release();
  lifecycle.OnStop("simulator", [raw] { delete raw; });
  // Signals are blocked in every thread: poll for one, so a run with a duration can end alone.
  while (!Lifecycle::ShutdownSignalPending() && !raw->WaitFinished(kSignalPoll)) {
  }
  return kExitOk;
}

}  // namespace crvs::simulate
