// The flags of `crvs report` turned into an IndicatorsRequest, and errors named by flag: the
// command line's side of ComputeIndicators, kept out of main so it can be tested.
//
// Thread-safety: pure functions.
#pragma once

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include <string>
#include <vector>

#include "crvs/reconcile/v1/reconciliation.pb.h"
#include "services/reconcile/indicators/report_format.h"

namespace crvs::reconcile::indicators {

// As typed on the command line.
struct ReportFlags {
  std::string period;              // --period, required
  std::string as_of;               // --as-of YYYY-MM-DD; "" = today in Vietnam
  std::string province;            // --province
  std::string commune;             // --commune
  std::string breakdown = "none";  // --breakdown none|province|commune|facility|court
  std::string indicators;          // --indicators B1,D5 (case-insensitive); "" = all
  std::string format = "table";    // --format table|json|csv
  std::string output;              // --output FILE; "" = standard output
  std::string known = "as-of";     // --known as-of|now (rv1::Knowledge)
  std::string lang = "vi";         // --lang vi|en
};

struct ReportJob {
  crvs::reconcile::v1::IndicatorsRequest request;
  ReportFormat format = ReportFormat::kTable;
  std::string output;
  i18n::Language language = i18n::Language::kVietnamese;
};

// INVALID_ARGUMENT with one field violation per bad flag, the field being the flag
// ("--as-of"): --period missing, --as-of not a date, unknown --breakdown, --format or --lang. Values
// the request carries as typed (the period's syntax, codes, ids) are ComputeIndicators' to
// check.
absl::StatusOr<ReportJob> ParseReportFlags(const ReportFlags& flags);

// "<flag>: <what is wrong>" lines for an error of ParseReportFlags or ComputeIndicators
// (request fields named by the flag that sets them: "indicator_ids[2]" → "--indicators");
// the status message alone when it names no field.
std::vector<std::string> FlagErrors(const absl::Status& status);

}  // namespace crvs::reconcile::indicators
