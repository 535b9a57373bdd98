// `crvs config describe | dump | check` (the configuration) and `crvs version` (the binary):
// the subcommands that inspect and start nothing.
//
// Thread-safety: construct and run from main.
#pragma once

#include <CLI/CLI.hpp>

#include "services/cli/root_config.h"
#include "services/platform/config.h"

namespace crvs::cli {

class ConfigCommand {
 public:
  // Adds `config` with its three subcommands to `app`.
  explicit ConfigCommand(CLI::App& app);

  bool parsed() const;
  // describe and dump print `config`; check validates `root` (exit 2 naming each problem).
  int Run(const RootConfig& root, const config::Config& config) const;

 private:
  CLI::App* describe_;
  CLI::App* dump_;
  CLI::App* check_;
  bool no_files_ = false;
};

// `crvs version`: the version of crvs and of the libraries it runs on.
class VersionCommand {
 public:
  explicit VersionCommand(CLI::App& app);
  bool parsed() const { return version_->parsed(); }
  int Run() const;

 private:
  CLI::App* version_;
};

}  // namespace crvs::cli
