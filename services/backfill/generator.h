// Generates realistic historical exports for tests and benchmarks: `crvs backfill generate`.
// Valid rows (Vietnamese names, consistent personal IDs, dates in order, keys unique by row
// number) with planted ineligible rows spread evenly through the file — row i is planted when
// floor(i·P/100) steps up — each plant cycling through the reasons that apply to the kind, in
// a fixed order (PlantedReasons). Deterministic for a given seed, so the expected eligible
// count (and which row fails why) is known before the backfill runs.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <absl/status/statusor.h>

#include "services/backfill/columns.h"
#include "services/backfill/eligibility.h"
#include "services/backfill/export_reader.h"

namespace crvs::backfill {

struct GenerateOptions {
  ExportKind kind = ExportKind::kDivorce;
  ExportFormat format = ExportFormat::kCsv;
  int64_t rows = 1000;
  double ineligible_percent = 5;  // 0..100
  uint64_t seed = 1;
  std::string out;
};

struct GenerateResult {
  int64_t rows = 0;
  int64_t eligible = 0;
  std::array<int64_t, kReasonCount> planted{};  // ineligible rows by reason
};

// The reasons planted for `kind`, in the order plants cycle through them.
const std::vector<Reason>& PlantedReasons(ExportKind kind);

// Whether row `row` (1-based) is planted for `percent`.
bool IsPlanted(int64_t row, double percent);

absl::StatusOr<GenerateResult> GenerateExport(const GenerateOptions& options);

// "expected_eligible: 190000" and friends, one "key: value" a line.
std::string FormatGenerateResult(const GenerateResult& result, const GenerateOptions& options);

}  // namespace crvs::backfill
