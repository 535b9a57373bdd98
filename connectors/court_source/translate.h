// What the court-source connector makes of one input: a Debezium change event of the court's
// decision table (or a row of the court's export, for a re-send) becomes a RecordEnvelope for
// the divorce topic, a dead letter with its error class, or nothing (a tombstone). Pure apart
// from the clock passed in; unit-tested.
//
// Envelopes: op c/u/r → ACTION_AMEND (an upsert: AMEND of an unknown key creates it) with reason
// "court change stream: op=<op>"; op d → ACTION_VOID with reason "deleted in the court
// database"; source court:<court_code>; source_sequence = the change's position, so the store
// applies the newest position whatever the arrival order (older ones are STALE); message_id =
// "cdc-" + 40 hex digits of SHA-256(court, decision number, position, op, content hash), so
// reading the same change again yields the same message id (a DUPLICATE, never a new version).
//
// Thread-safety: immutable after construction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <absl/time/time.h>
#include <nlohmann/json.hpp>

#include "connectors/court_source/debezium.h"
#include "connectors/court_source/decision_mapping.h"
#include "crvs/records/v1/envelope.pb.h"
#include "services/platform/status.h"
#include "services/validation/reference_data.h"

namespace crvs::court_source {

// Dead-letter error classes (the crvs-dlq-error-class header).
inline constexpr const char* kErrorDecode = "DECODE";          // not JSON at all
inline constexpr const char* kErrorMapping = "MAPPING";        // not a usable change of a row
inline constexpr const char* kErrorValidation = "VALIDATION";  // mapped, fails BRIEF §3 rules

// Where a decision stands in the record produced (metric label).
enum class DecisionState { kPending, kEffective, kSetAside, kDeleted };
std::string_view DecisionStateName(DecisionState state);  // "pending", "effective", ...

struct Produced {
  records::v1::RecordEnvelope envelope;
  std::string op;  // "c", "u", "d", "r", or "resend"
  DecisionState state = DecisionState::kPending;
  // This change is the one that made the decision effective: a create with a legal effect
  // date, or an update whose `before` had none (or was not captured). Snapshots and re-sends
  // never are: they re-read old decisions. Drives the effective-to-recorded latency metric.
  bool became_effective = false;
};

struct Rejected {
  std::string error_class;    // kErrorDecode, kErrorMapping or kErrorValidation
  std::string error_message;  // English, names the field and column; no personal data
  std::string op;             // as read, "" when unknown
  std::string source;         // "court:<code>" when the court is known, else ""
};

struct Skipped {
  std::string reason;
};

using Translation = std::variant<Produced, Rejected, Skipped>;

class ChangeTranslator {
 public:
  // `reference` must outlive the translator.
  ChangeTranslator(DecisionMapping mapping, const validation::ReferenceData* reference);

  // One message of the change-stream topic; `value` is nullopt for a tombstone (the null value
  // Kafka compaction uses after a delete), which is skipped. `now` judges "in the future".
  Translation FromChangeEvent(const std::optional<std::string>& value, absl::Time now) const;

  // A row of the court's export, re-sent on request: AMEND (op "resend") at `position` (> 0)
  // with `committed_at` as the row's commit time; received_at = `now`. Message ids start with
  // "resend-".
  Translation FromExportRow(const nlohmann::json& row, uint64_t position, absl::Time committed_at,
                            absl::Time now) const;

  const DecisionMapping& mapping() const { return mapping_; }

 private:
  Translation Build(const ChangeEvent& event, std::string_view op_label,
                    std::string_view id_prefix, std::string_view reason, absl::Time received_at,
                    absl::Time now) const;
  std::string Describe(const std::vector<FieldViolation>& violations) const;

  DecisionMapping mapping_;
  const validation::ReferenceData* reference_;
};

}  // namespace crvs::court_source
