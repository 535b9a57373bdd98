// Why a row of a historical export cannot be synced: the reasons of the eligibility report,
// each a stable lower-case code (used in the report, the summary and the tests) plus the
// export column it is about and an English explanation (never a personal ID).
#pragma once

#include <string>
#include <string_view>

namespace crvs::backfill {

enum class Reason {
  kMalformedRow,          // not readable as a record: CSV quoting / field count, JSON syntax
  kUnknownColumn,         // NDJSON: a key that is not a documented column
  kMissingField,          // a required column is empty
  kBadDate,               // a date / timestamp that does not parse or is not a real date
  kInvalidValue,          // a coded value outside its list (sex), a value of the wrong type
  kUnknownKind,           // loai_quyet_dinh / loai_dang_ky not one of the documented kinds
  kMissingPersonalId,     // a personal ID the record needs is empty
  kInvalidPersonalId,     // a personal ID breaking BRIEF §3 (digits, prefix, sex, year)
  kNoEffectiveDate,       // a decision without its date of legal effect (not yet effective)
  kEffectiveAfterCutoff,  // a decision effective after the backlog's last day
  kFailedValidation,      // any other rule of the validation library (dates in order, ...)
  kDuplicateKey,          // the business key already appeared earlier in the file
};
inline constexpr int kReasonCount = static_cast<int>(Reason::kDuplicateKey) + 1;

// "missing_personal_id" for kMissingPersonalId.
std::string_view ReasonName(Reason reason);

// One ineligible row's verdict. `field` is the export column (or, for a rule about no
// single column, the record's proto field path); `detail` says what is expected.
struct Ineligibility {
  Reason reason = Reason::kFailedValidation;
  std::string field;
  std::string detail;
};

}  // namespace crvs::backfill
