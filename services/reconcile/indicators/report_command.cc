#include "services/reconcile/indicators/report_command.h"

#include <cstdio>
#include <iostream>

#include "services/platform/exit_codes.h"
#include "services/reconcile/indicators/areas.h"
#include "services/reconcile/indicators/indicators.h"
#include "services/store/store.h"

namespace crvs::reconcile::indicators {
namespace {

// Usage errors, one line per bad flag; exit 2.
int UsageError(const absl::Status& status) {
  for (const std::string& line : FlagErrors(status)) {
    std::fprintf(stderr, "crvs report: %s\n", line.c_str());
  }
  return kExitConfig;
}

// Prints the report, or writes it to --output (exit 2 for a bad path, 1 for a failed write).
int Emit(const reconcile::v1::IndicatorReport& report, const ReportJob& job) {
  if (job.output.empty()) {
    std::cout << FormatReport(report, job.format, job.language);
    return kExitOk;
  }
  absl::Status written = WriteReport(report, job.format, job.output, job.language);
  if (!written.ok()) {
    std::fprintf(stderr, "crvs report: --output: %s\n", std::string(written.message()).c_str());
    const bool bad_path = written.code() == absl::StatusCode::kNotFound ||
                          written.code() == absl::StatusCode::kPermissionDenied;
    return bad_path ? kExitConfig : kExitFailed;
  }
  std::fprintf(stderr, "crvs report: wrote %s%s\n", job.output.c_str(),
               job.format == ReportFormat::kCsv ? " and its .meta.json" : "");
  return kExitOk;
}

}  // namespace

ReportCommand::ReportCommand(CLI::App& app) {
  report_ = app.add_subcommand(
      "report",
      "compute the programme's indicators (B1-B3, D1-D5, V1-V2, docs/indicators.md) from the "
      "civil-status database (database.url) for a period, as of a date: a table for the "
      "terminal, or JSON / CSV for publication. JSON carries its metadata (period, as-of, "
      "area, definitions, targets, source); with --format csv --output FILE the metadata goes "
      "to FILE.meta.json beside it, so the CSV holds only rows. Exit 2 on bad input");
  report_->add_option("--period", flags_.period,
                      "REQUIRED: the period, a year (2026), a quarter (2026-Q1..2026-Q4) or "
                      "a month (2026-03)");
  report_->add_option("--as-of", flags_.as_of,
                      "count what was known on this date, YYYY-MM-DD (default: today in "
                      "Vietnam; not in the future)");
  report_->add_option("--known", flags_.known,
                      "what a back-dated report counts: as-of = only records committed by "
                      "the --as-of date (reproduces a figure published then), now = also "
                      "records that arrived later, still judged at --as-of")
      ->capture_default_str();
  report_->add_option("--province", flags_.province,
                      "only this province, 2 digits (of the register in "
                      "reconcile.reference_communes_file, built in by default)");
  report_->add_option("--commune", flags_.commune, "only this commune, 5 digits");
  report_->add_option("--breakdown", flags_.breakdown,
                      "rows per group: none, province, commune (today's units: codes "
                      "written before 2025-07-01 count where they merged), facility (B3, "
                      "D3, D4, D5) or court (V1, V2)")
      ->capture_default_str();
  report_->add_option("--indicators", flags_.indicators,
                      "comma-separated ids, e.g. B1,D5 (default: all ten)");
  report_->add_option("--lang", flags_.lang,
                      "vi (default) or en: the language of the table's words and of the "
                      "published metadata's note, names and column labels")
      ->capture_default_str();
  report_->add_option("--format", flags_.format, "table, json or csv")->capture_default_str();
  report_->add_option("--output", flags_.output,
                      "write to FILE instead of standard output (csv: also FILE.meta.json)");
}

int ReportCommand::Run(const ReconcileConfig& reconcile,
                       const store::DatabaseConfig& database) const {
  auto job = ParseReportFlags(flags_);
  if (!job.ok()) return UsageError(job.status());
  auto areas = Areas::Load({reconcile.reference_communes_file,
                            reconcile.reference_communes_before_2025_file,
                            reconcile.reference_sources_file});
  if (!areas.ok()) return FailWith(areas.status(), kExitConfig);
  IndicatorOptions options;
  options.sync_sla = absl::Milliseconds(reconcile.sync_sla.count());
  absl::Status valid = ValidateIndicatorsRequest(job->request, *areas, options);
  if (valid.code() == absl::StatusCode::kInvalidArgument) return UsageError(valid);
  if (!valid.ok()) return FailWith(valid, kExitConfig);
  auto db = store::Store::Open(database);
  if (!db.ok()) return FailWith(db.status(), kExitFailed);
  auto report = ComputeIndicators(**db, *areas, job->request, options);
  if (!report.ok()) return FailWith(report.status(), kExitFailed);
  return Emit(*report, *job);
}

}  // namespace crvs::reconcile::indicators
