// An IndicatorReport for people and for publication: a terminal table, JSON with the
// publication metadata, and CSV (RFC 4180) whose metadata goes to a sidecar JSON file, so the
// CSV itself is plain rows that any tool loads. This is the public portal's export format.
//
// JSON: {"source": "crvs-sync", "note": <the national indicator-system note>, "period",
// "as_of" (YYYY-MM-DD), "computed_at" (RFC 3339 UTC), "area", "definitions": {id: text},
// "targets": {id: {"2028": x|null, "2030": y|null}}, "values": [one object per
// IndicatorValue, absent optionals as null]}. The CSV's sidecar FILE.meta.json holds the same
// metadata with "data_file" and "columns" instead of "values".
// Percentages are rounded to 2 decimals everywhere.
//
// Vietnamese first (issue 17): the table's words, the metadata's "note" and "known", each
// indicator's "name" and the sidecar's "column_labels" are in `language` (i18n/, Vietnamese by
// default); "definitions" keep the computation's exact wording (English). Keys, column names
// and values are identifiers for machines and do not change with the language.
//
// Thread-safety: pure functions, except WriteReport which writes files.
#pragma once

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include <string>
#include <string_view>

#include "crvs/reconcile/v1/reconciliation.pb.h"
#include "services/platform/i18n.h"

namespace crvs::reconcile::indicators {

enum class ReportFormat { kTable, kJson, kCsv };

// "table", "json" or "csv"; INVALID_ARGUMENT otherwise.
absl::StatusOr<ReportFormat> ParseReportFormat(std::string_view name);

// A title line, aligned columns (id, group, numerator, denominator, open, percent, targets,
// met ✓ / ✗ / -) and the definitions, for a terminal.
std::string FormatTable(const crvs::reconcile::v1::IndicatorReport& report,
                        i18n::Language language = i18n::Language::kVietnamese);
// The report with its metadata, pretty-printed.
std::string FormatJson(const crvs::reconcile::v1::IndicatorReport& report,
                       i18n::Language language = i18n::Language::kVietnamese);
// Header line then one line per value, CRLF line ends.
std::string FormatCsv(const crvs::reconcile::v1::IndicatorReport& report);
// The metadata of a CSV export written to `data_file` (its file name is recorded).
std::string FormatCsvMetadata(const crvs::reconcile::v1::IndicatorReport& report,
                              std::string_view data_file,
                              i18n::Language language = i18n::Language::kVietnamese);

// The report in `format` (FormatTable, FormatJson or FormatCsv).
std::string FormatReport(const crvs::reconcile::v1::IndicatorReport& report, ReportFormat format,
                         i18n::Language language = i18n::Language::kVietnamese);

// The sidecar of a CSV export: "<path>.meta.json".
std::string MetadataPath(std::string_view csv_path);

// Writes the report to `path` in `format` (for CSV, also the sidecar at MetadataPath(path)).
// Each file is written to "<file>.tmp" and renamed, so a reader never sees half a report.
// Errors: the file system's (errno mapped, naming the file).
absl::Status WriteReport(const crvs::reconcile::v1::IndicatorReport& report, ReportFormat format,
                         const std::string& path,
                         i18n::Language language = i18n::Language::kVietnamese);

}  // namespace crvs::reconcile::indicators
