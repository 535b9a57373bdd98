// Decides, row by row, whether a row of a historical export can be synced, and if so turns it
// into the RecordEnvelope the pipeline carries (the same contract the gateway and connectors
// produce: SUBMIT, business key, content hash, headers via records::HeadersOf).
//
// A row is eligible when, in this order (the first failure is the row's reason):
//  1. it reads as a record (reader problems: malformed_row, unknown_column, invalid_value);
//  2. its business key did not appear in an earlier row of the file (duplicate_key);
//  3. every column parses: dates yyyy-mm-dd (bad_date), sex M/F (invalid_value), the kind
//     (unknown_kind / missing_field), columns of another registration kind left empty;
//  4. backfill policy: a divorce decision has a date of legal effect (no_effective_date) no
//     later than the backlog's last day (effective_after_cutoff); the personal IDs a record
//     needs to change anyone's status are present (missing_personal_id: both spouses of a
//     decision or of a divorce noted, the subject of a birth registration; a deceased may
//     lack one, as the contract allows);
//  5. the validation library accepts the record (invalid_personal_id, missing_field,
//     failed_validation), i.e. exactly what the sink would otherwise dead-letter.
//
// Deterministic output: the record is built from the row alone (issued_at / recorded_at come
// from the row, defaulting to the event date at 00:00 Vietnam time), so the content hash of a
// row is the same on every run; message_id = "backfill:<kind>:" + 32 hex characters of
// SHA-256(business key, content hash) and the trace id is the next 32. A row re-produced
// after a crash is therefore a DUPLICATE no-op in the store, and so is the same record in
// another export file.
//
// Source principal: court:<ma_toa_an> for decisions, registry_office:<ma_co_quan_dang_ky> for
// registrations — the party that issued the record, as if it had sent it itself.
//
// Memory: ~40 bytes per distinct business key (a 128-bit fingerprint and the row number) for
// the duplicate check. Thread-safety: one classifier per thread.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include <absl/container/flat_hash_map.h>
#include <absl/time/civil_time.h>

#include "crvs/records/v1/envelope.pb.h"
#include "services/backfill/columns.h"
#include "services/backfill/eligibility.h"
#include "services/backfill/export_reader.h"
#include "services/validation/validators.h"

namespace crvs::backfill {

struct ClassifierOptions {
  // Decisions effective after this day are not backlog (indicator V2 counts up to it).
  absl::CivilDay last_backlog_day{2025, 12, 31};
  // Reference data and the "now" that "not in the future" is judged against.
  validation::Context validation;
};

struct Verdict {
  bool eligible = false;
  // The canonical business key when the key columns were given ("" otherwise), for the report.
  std::string business_key;
  Ineligibility why;  // when not eligible
};

class RowClassifier {
 public:
  RowClassifier(ExportKind kind, ClassifierOptions options);

  // Classifies the next row of the file (rows must come in file order: the duplicate check
  // remembers every key seen). For an eligible row, `envelope` is the complete envelope to
  // produce (received_at = now); otherwise its content is unspecified.
  Verdict Classify(const RawRow& row, records::v1::RecordEnvelope* envelope);

 private:
  std::string KeyOf(const RawRow& row) const;
  bool MapDivorce(const RawRow& row, records::v1::RecordEnvelope* envelope, Ineligibility* why);
  bool MapRegistration(const RawRow& row, records::v1::RecordEnvelope* envelope,
                       Ineligibility* why);
  bool Validate(const records::v1::RecordEnvelope& envelope, Ineligibility* why) const;
  void Finish(records::v1::RecordEnvelope* envelope) const;

  ExportKind kind_;
  ClassifierOptions options_;
  // 128-bit fingerprint (SHA-256 prefix) of each business key seen → its first row.
  absl::flat_hash_map<std::pair<uint64_t, uint64_t>, int64_t> keys_;
};

}  // namespace crvs::backfill
