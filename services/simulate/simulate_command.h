// `crvs simulate`: simulated sources calling running services until SIGINT/SIGTERM, or until
// simulate.duration has passed and everything due was sent. Its flags (simulate_flags.h) are
// configuration assignments applied after every other source.
//
// Thread-safety: construct and run from main.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "services/simulate/simulate_config.h"
#include "services/validation/reference_config.h"

namespace crvs::simulate {

class SimulateCommand {
 public:
  // Adds `simulate` to `app`.
  explicit SimulateCommand(CLI::App& app);

  bool parsed() const { return command_->parsed(); }
  // "simulate.<key>=<value>" for each flag given: apply after every --set.
  const std::vector<std::string>& Assignments() const { return assignments_; }
  // Exit 0 finished or stopped by a signal, 2 bad settings.
  int Run(const SimulateConfig& config, const validation::ReferenceConfig& reference) const;

 private:
  CLI::App* command_;
  std::vector<std::string> assignments_;
};

}  // namespace crvs::simulate
