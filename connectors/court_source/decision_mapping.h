// The configurable mapping from a row of the court's decision table (a JSON object, as in a
// Debezium change event's `after` or a line of the court's NDJSON export) to the canonical
// crvs.records.v1.DivorceDecision. Pure: no I/O.
//
// What is a mapping error (the row cannot become a record; dead-letter class MAPPING): a mapped
// column absent from the row (the mapping does not fit the table), a value of the wrong JSON
// type, a date that does not parse, a kind or sex value not in the value maps. A NULL (or empty
// text) value just leaves the field unset; whether the record may lack it is validation's call.
//
// Thread-safety: immutable after Compile; share freely.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/time/time.h>
#include <nlohmann/json.hpp>

#include "connectors/court_source/court_source_config.h"
#include "crvs/records/v1/divorce_decision.pb.h"

namespace crvs::court_source {

// Dates and wall-clock times without a zone in the court database are Vietnam local time.
inline constexpr int kCourtUtcOffsetMinutes = 7 * 60;

class DecisionMapping {
 public:
  // INVALID_ARGUMENT naming the key (court_source.kind_values, court_source.court_code, ...) for
  // a value map entry that is not value=NAME, an unknown kind or sex name, a missing decision
  // number column, or neither a court code column nor a fixed court code.
  static absl::StatusOr<DecisionMapping> Compile(const DecisionMappingConfig& config);

  // The full record of `row`. `column_types` are Debezium semantic types by column (empty for a
  // schemaless event or an export row); `committed_at` is the change's commit time, used as
  // issued_at when no issued-at column is mapped. Errors: INVALID_ARGUMENT "column <name>
  // (court_source.<key>): <what is wrong>" — never quoting a personal value.
  absl::StatusOr<records::v1::DivorceDecision> MapRow(
      const nlohmann::json& row, const std::map<std::string, std::string>& column_types,
      absl::Time committed_at) const;

  // Only the business key (court code, decision number) of `row`: what a delete needs.
  absl::StatusOr<records::v1::DivorceDecisionKey> MapKey(const nlohmann::json& row) const;

  // The column feeding a field path relative to the record ("legal_effect_date",
  // "spouse_a.personal_id.number", "key.decision_no"); for a whole message ("spouse_a",
  // "marriage") its columns joined by ", "; "" when no column feeds it.
  std::string ColumnFor(std::string_view field_path) const;

  const DecisionMappingConfig& config() const { return config_; }

 private:
  DecisionMapping() = default;

  DecisionMappingConfig config_;
  std::map<std::string, records::v1::DecisionKind> kinds_;  // court value → kind
  std::map<std::string, common::v1::Sex> sexes_;             // court value → sex
  std::map<std::string, std::string> columns_by_field_;     // field path → column
};

// The text form under which a scalar JSON value is looked up in a value map: strings as they
// are, integers in decimal, booleans as "true"/"false". False for other JSON types.
bool ScalarText(const nlohmann::json& value, std::string* out);

// A date column value: io.debezium.time.Date days since 1970-01-01 (an integer; also without
// schema), Debezium Timestamp / MicroTimestamp / NanoTimestamp (wall-clock datetimes, by the
// column's semantic type), or "YYYY-MM-DD". INVALID_ARGUMENT saying what was expected.
absl::StatusOr<common::v1::LocalDate> ParseDateValue(const nlohmann::json& value,
                                                     std::string_view semantic_type);

// A timestamp column value: ISO 8601 with a zone ("2026-10-01T08:00:00Z",
// "2026-10-01T15:00:00+07:00"; io.debezium.time.ZonedTimestamp), or an integer Debezium
// Timestamp (ms) / MicroTimestamp (µs, also when there is no schema) / NanoTimestamp (ns) of a
// zoneless column, read as Vietnam wall-clock time.
absl::StatusOr<absl::Time> ParseTimestampValue(const nlohmann::json& value,
                                               std::string_view semantic_type);

}  // namespace crvs::court_source
