// The court's export of its decision table as NDJSON (one JSON object per line, with the same
// column names as the change events' `after`), indexed by business key so re-send requests can
// be served from it. Only byte offsets are kept in memory; a row is read back when requested.
// The file is indexed again when its size or modification time changes.
//
// Two optional columns order a re-sent row against the change stream (README.md, "Re-send
// requests"): the position column (the row's change-stream position when it was exported, same
// unit as the stream's: LSN or binlog position) and the time column (its commit time, ms since
// the epoch). A row without a position is re-sent at position 1: it creates a record the
// database lacks but is STALE against any version the change stream delivered.
//
// Thread-safety: not thread-safe; owned by the connector's consumer thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <absl/status/statusor.h>
#include <absl/time/time.h>
#include <nlohmann/json.hpp>

#include "connectors/court_source/decision_mapping.h"

namespace crvs::court_source {

// The position of a re-sent row whose export has no position for it.
inline constexpr uint64_t kLowestPosition = 1;

class ExportFile {
 public:
  struct Row {
    nlohmann::json columns;
    uint64_t position = kLowestPosition;
    absl::Time committed_at;
  };

  // Indexes `path`. INVALID_ARGUMENT naming court_source.resend_source_file when it cannot be
  // read. Lines that are not a JSON object with a mappable key are skipped and counted
  // (skipped_lines) with a warning naming the line number. `mapping` must outlive the file.
  static absl::StatusOr<std::unique_ptr<ExportFile>> Open(const std::string& path,
                                                          const std::string& position_column,
                                                          const std::string& time_column,
                                                          const DecisionMapping* mapping);

  // The row of (court_code, decision_no). NOT_FOUND when the export has none; UNAVAILABLE when
  // the file cannot be read now. When several lines have the key, the highest position wins
  // (the last line among equals).
  absl::StatusOr<Row> Find(const std::string& court_code, const std::string& decision_no);

  size_t rows() const { return index_.size(); }
  int64_t skipped_lines() const { return skipped_lines_; }

 private:
  struct Entry {
    int64_t offset = 0;
    uint64_t position = kLowestPosition;
  };

  ExportFile() = default;
  absl::Status IndexIfChanged();
  uint64_t PositionOf(const nlohmann::json& row) const;

  std::string path_;
  std::string position_column_;
  std::string time_column_;
  const DecisionMapping* mapping_ = nullptr;
  std::map<std::pair<std::string, std::string>, Entry> index_;
  int64_t skipped_lines_ = 0;
  int64_t indexed_size_ = -1;
  absl::Time indexed_mtime_;
};

}  // namespace crvs::court_source
