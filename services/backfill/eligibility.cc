#include "services/backfill/eligibility.h"

namespace crvs::backfill {

std::string_view ReasonName(Reason reason) {
  switch (reason) {
    case Reason::kMalformedRow:
      return "malformed_row";
    case Reason::kUnknownColumn:
      return "unknown_column";
    case Reason::kMissingField:
      return "missing_field";
    case Reason::kBadDate:
      return "bad_date";
    case Reason::kInvalidValue:
      return "invalid_value";
    case Reason::kUnknownKind:
      return "unknown_kind";
    case Reason::kMissingPersonalId:
      return "missing_personal_id";
    case Reason::kInvalidPersonalId:
      return "invalid_personal_id";
    case Reason::kNoEffectiveDate:
      return "no_effective_date";
    case Reason::kEffectiveAfterCutoff:
      return "effective_after_cutoff";
    case Reason::kFailedValidation:
      return "failed_validation";
    case Reason::kDuplicateKey:
      return "duplicate_key";
  }
  return "unknown";
}

}  // namespace crvs::backfill
