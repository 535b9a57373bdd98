#include "services/backfill/report.h"

#include <absl/strings/str_cat.h>

namespace crvs::backfill {

absl::StatusOr<std::unique_ptr<EligibilityReport>> EligibilityReport::Create(
    const std::string& path) {
  auto file = AtomicFile::Create(path);
  if (!file.ok()) return file.status();
  std::unique_ptr<EligibilityReport> report(new EligibilityReport(std::move(*file)));
  absl::Status st = report->file_->Write(std::string(kReportHeader) + "\n");
  if (!st.ok()) return st;
  return report;
}

absl::Status EligibilityReport::Add(int64_t row, std::string_view business_key,
                                    const Ineligibility& why) {
  line_.clear();
  absl::StrAppend(&line_, row, ",", CsvField(business_key), ",",
                  std::string(ReasonName(why.reason)), ",", CsvField(why.field), ",",
                  CsvField(why.detail), "\n");
  return file_->Write(line_);
}

absl::Status EligibilityReport::Commit() { return file_->Commit(); }

}  // namespace crvs::backfill
