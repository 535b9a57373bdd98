// The command-line face of reconcile_bench.h: `crvs bench reconcile` (in memory; see
// docs/benchmarks.md).
//
// Thread-safety: construct and run from main.
#pragma once

#include <CLI/CLI.hpp>

#include "services/reconcile/reconcile_bench.h"

namespace crvs::reconcile {

class ReconcileBenchCommand {
 public:
  // Adds `reconcile` to `bench` (the `crvs bench` group).
  explicit ReconcileBenchCommand(CLI::App& bench);

  bool parsed() const { return command_->parsed(); }
  // Progress on stderr, the medians on stdout. Exit 0 done, 1 failed.
  int Run() const;

 private:
  CLI::App* command_;
  ReconcileBenchOptions options_;
};

}  // namespace crvs::reconcile
