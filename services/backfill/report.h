// The eligibility report of a backfill run: one CSV line per row that was not synced,
//
//   row,business_key,reason,field,detail
//   17,divorce/TAND79/17%2F2019%2FQĐST-HNGĐ,missing_personal_id,so_dinh_danh_ben_a,is required: ...
//
// row = 1-based data row number (header not counted), business_key = canonical key when the
// key columns were given, reason = eligibility.h code, field = the export column, detail =
// English explanation. RFC 4180 quoting; no personal IDs. The whole file is rewritten by
// every run (rows before a checkpoint are re-classified, not re-produced) and appears
// atomically when the run finishes.
//
// Thread-safety: one writer; not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include "services/backfill/atomic_file.h"
#include "services/backfill/eligibility.h"

#include "services/platform/csv.h"

namespace crvs::backfill {

inline constexpr std::string_view kReportHeader = "row,business_key,reason,field,detail";

class EligibilityReport {
 public:
  static absl::StatusOr<std::unique_ptr<EligibilityReport>> Create(const std::string& path);

  absl::Status Add(int64_t row, std::string_view business_key, const Ineligibility& why);
  // Makes the report appear at its path (atomically).
  absl::Status Commit();

 private:
  explicit EligibilityReport(std::unique_ptr<AtomicFile> file) : file_(std::move(file)) {}
  std::unique_ptr<AtomicFile> file_;
  std::string line_;
};

}  // namespace crvs::backfill
