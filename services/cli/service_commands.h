// The subcommands that run long-lived components until SIGINT/SIGTERM: `crvs dev` (all of
// them, the embedded defaults), one per service (`gateway`, `sink`, `registry`,
// `court-source`, `reconcile`, `admin`, `console`) and `devbroker`. Each becomes a set of
// Components started by Application.
//
// Thread-safety: construct and run from main.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "services/cli/root_config.h"

namespace crvs::cli {

class ServiceCommands {
 public:
  explicit ServiceCommands(CLI::App& app);

  bool parsed() const;
  // `crvs dev`: every service plaintext unless the configuration says otherwise. Call on the
  // defaults, before the configuration is loaded over them.
  void SetDefaults(RootConfig& root) const;
  // Configuration assignments from flags (`crvs dev --kafka`), applied after every --set.
  std::vector<std::string> Assignments() const;
  // Runs the parsed subcommand until SIGINT/SIGTERM. Exit 0 stopped by a signal, 2 bad
  // configuration, 1 a component failed to start.
  int Run(const RootConfig& root) const;

 private:
  struct Service {
    CLI::App* command;
    const char* name;
  };
  CLI::App* dev_;
  CLI::App* devbroker_;
  CLI::App* console_;
  std::vector<Service> services_;  // one component each, with its metrics endpoint
  bool simulate_ = false;
  std::string kafka_;
};

}  // namespace crvs::cli
