// Reads a historical export row by row: CSV (RFC 4180: a header row naming the columns,
// comma-separated fields, double-quoted fields that may hold commas, quotes written "" and
// line breaks; LF or CRLF line ends; an optional UTF-8 byte-order mark) or NDJSON (one JSON
// object per line, keys = column names, string values; numbers are taken as their text, null
// as empty). Blank lines are skipped and not counted as rows.
//
// The file is memory-mapped; a row's values are views into the mapping (or into the reader's
// own buffers for unescaped CSV fields and JSON strings), valid until the next call to Next.
// Rows are numbered from 1 in file order, the header not counted.
//
// A row that cannot be read as a record is still returned, with `problem` set (wrong number
// of fields, bad quoting, invalid JSON, an unknown or non-string NDJSON key): the caller
// reports it and carries on. Problems with the file as a whole (cannot open, no header,
// unknown or repeated header columns, a key column missing from the header) are errors of
// Open.
//
// Thread-safety: one reader per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>

#include "services/backfill/columns.h"
#include "services/backfill/eligibility.h"

namespace crvs::backfill {

enum class ExportFormat { kCsv, kNdjson };

// "csv" / "ndjson".
absl::StatusOr<ExportFormat> ParseExportFormat(std::string_view name);
std::string_view ExportFormatName(ExportFormat format);
// From the file name: .csv → CSV; .ndjson, .jsonl → NDJSON (case-insensitive).
absl::StatusOr<ExportFormat> FormatFromPath(std::string_view path);

struct RawRow {
  int64_t number = 0;                    // 1-based data row number
  std::vector<std::string_view> values;  // by column id (columns.h); empty = not given
  std::optional<Ineligibility> problem;  // set when the row is not readable as a record
};

// The bytes of an export: a read-only memory mapping of a file, or a string (tests).
class ExportData {
 public:
  static absl::StatusOr<std::unique_ptr<ExportData>> Map(const std::string& path);
  static std::unique_ptr<ExportData> FromString(std::string text);
  ~ExportData();
  ExportData(const ExportData&) = delete;
  ExportData& operator=(const ExportData&) = delete;

  std::string_view bytes() const { return bytes_; }

 private:
  ExportData() = default;
  std::string_view bytes_;
  void* map_ = nullptr;
  size_t map_size_ = 0;
  std::string owned_;
};

class ExportReader {
 public:
  // `data` must outlive the reader. `origin` (the file name) prefixes error messages.
  static absl::StatusOr<std::unique_ptr<ExportReader>> Open(const ExportData& data,
                                                            ExportFormat format, ExportKind kind,
                                                            std::string origin);
  virtual ~ExportReader() = default;

  // The next row; false at the end of the data.
  virtual bool Next(RawRow* row) = 0;

 protected:
  ExportReader() = default;
};

// The number of rows Next would return over the whole of `data` (a full pass; no mapping or
// validation).
absl::StatusOr<int64_t> CountRows(const ExportData& data, ExportFormat format, ExportKind kind);

}  // namespace crvs::backfill
