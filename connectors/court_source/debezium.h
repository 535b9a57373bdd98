// Reading Debezium change events (JSON converter) of a database table: with the embedded schema
// (`{"schema": ..., "payload": {...}}`) or the bare payload, op c/u/d/r, and the source's own
// ordering position. Pure functions, no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <absl/status/statusor.h>
#include <absl/time/time.h>
#include <nlohmann/json.hpp>

namespace crvs::court_source {

// Where ChangeEvent::position came from.
enum class PositionOrigin {
  kLsn,     // source.lsn: PostgreSQL write-ahead-log position of the change
  kBinlog,  // source.file + source.pos: MySQL binlog file index * 2^32 + byte position
  kTsMs,    // source.ts_ms (else ts_ms) * 1000: commit time in microseconds, the fallback
};
std::string_view PositionOriginName(PositionOrigin origin);  // "lsn", "binlog", "ts_ms"

// One change of one row.
struct ChangeEvent {
  std::string op;         // "c" create, "u" update, "d" delete, "r" snapshot read
  nlohmann::json before;  // the row before the change (object), or null
  nlohmann::json after;   // the row after the change (object), or null for a delete
  // The source's own ordering of changes, > 0; a later change of a row has a larger position.
  uint64_t position = 0;
  PositionOrigin position_origin = PositionOrigin::kTsMs;
  // When the change was committed in the source database (source.ts_ms, else ts_ms).
  absl::Time committed_at;
  // Semantic type of each column of the row ("io.debezium.time.Date", ...) when the event
  // carried its schema; empty for a bare payload.
  std::map<std::string, std::string> column_types;
  bool had_schema = false;

  // The row whose values describe the record: `after`, or `before` for a delete.
  const nlohmann::json& row() const { return op == "d" ? before : after; }
};

// Parses one Kafka message value. INVALID_ARGUMENT with an English message naming what is
// wrong: "not JSON: ..." for unparsable bytes (ParseFailureIsDecode tells them apart), else the
// missing or malformed envelope field ("op", "source", "after", ...). An op other than c, u, d, r
// (Debezium's "t" truncate, "m" message) is UNIMPLEMENTED naming it. A schema envelope whose
// payload is null (a tombstone written with schemas) is NOT_FOUND.
absl::StatusOr<ChangeEvent> ParseChangeEvent(std::string_view value);

// True when `status` came from bytes that are not JSON at all (dead-letter class DECODE rather
// than MAPPING).
bool ParseFailureIsDecode(const absl::Status& status);

// MySQL binlog file name "mysql-bin.000003" → 3; -1 when it has no numeric extension.
int64_t BinlogFileIndex(std::string_view file);

}  // namespace crvs::court_source
