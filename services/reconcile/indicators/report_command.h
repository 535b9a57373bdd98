// The command-line face of the indicators: `crvs report`, the programme's indicators from the
// civil-status database for a period, as of a date, to standard output or --output. Exit 2 for
// bad flags, configuration or --output path, 1 when the database or a write fails.
//
// Thread-safety: construct and run from main.
#pragma once

#include <CLI/CLI.hpp>

#include "services/reconcile/indicators/report_flags.h"
#include "services/reconcile/reconcile_config.h"
#include "services/store/database_config.h"

namespace crvs::reconcile::indicators {

class ReportCommand {
 public:
  // Adds `report` to `app`.
  explicit ReportCommand(CLI::App& app);

  bool parsed() const { return report_->parsed(); }
  // Reference files and sync_sla from [reconcile]; the records from `database`.
  int Run(const ReconcileConfig& reconcile, const store::DatabaseConfig& database) const;

 private:
  CLI::App* report_;
  ReportFlags flags_;
};

}  // namespace crvs::reconcile::indicators
