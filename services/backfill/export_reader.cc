#include "services/backfill/export_reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <map>
#include <set>

#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <nlohmann/json.hpp>

namespace crvs::backfill {
namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

bool IsBlank(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

// The column ids of a kind by name.
std::map<std::string, int, std::less<>> ColumnIds(ExportKind kind) {
  std::map<std::string, int, std::less<>> ids;
  const auto& columns = Columns(kind);
  for (size_t i = 0; i < columns.size(); ++i) ids.emplace(columns[i].name, static_cast<int>(i));
  return ids;
}

// --- CSV -------------------------------------------------------------------------------------

class CsvReader : public ExportReader {
 public:
  CsvReader(std::string_view data, ExportKind kind) : data_(data), kind_(kind) {
    if (data_.substr(0, kByteOrderMark.size()) == kByteOrderMark) pos_ = kByteOrderMark.size();
  }

  absl::Status ReadHeader(const std::string& origin) {
    std::string error;
    if (!ReadRecord(&error)) return absl::InvalidArgumentError(origin + ": no header row");
    if (!error.empty()) return absl::InvalidArgumentError(origin + ": header: " + error);
    const auto ids = ColumnIds(kind_);
    std::vector<std::string> unknown;
    std::set<int> seen;
    for (std::string_view raw : fields_) {
      std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(std::string(raw)));
      auto it = ids.find(name);
      if (it == ids.end()) {
        unknown.push_back("'" + name + "'");
        column_of_field_.push_back(-1);
        continue;
      }
      if (!seen.insert(it->second).second) {
        return absl::InvalidArgumentError(origin + ": header: column " + name + " appears twice");
      }
      column_of_field_.push_back(it->second);
    }
    if (!unknown.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(origin, ": header: unknown column", unknown.size() > 1 ? "s " : " ",
                       absl::StrJoin(unknown, ", "), " for a ", std::string(ExportKindName(kind_)),
                       " export (see services/backfill/README.md for the columns)"));
    }
    const auto& columns = Columns(kind_);
    for (size_t i = 0; i < columns.size(); ++i) {
      if (columns[i].required_in_header && !seen.count(static_cast<int>(i))) {
        return absl::InvalidArgumentError(origin + ": header: required column " + columns[i].name +
                                          " is missing");
      }
    }
    return absl::OkStatus();
  }

  bool Next(RawRow* row) override {
    std::string error;
    if (!ReadRecord(&error)) return false;
    row->number = ++number_;
    row->values.assign(Columns(kind_).size(), std::string_view());
    row->problem.reset();
    if (error.empty() && fields_.size() != column_of_field_.size()) {
      error = absl::StrCat("has ", fields_.size(), " field", fields_.size() == 1 ? "" : "s",
                           ", the header has ", column_of_field_.size());
    }
    if (!error.empty()) {
      row->problem = Ineligibility{Reason::kMalformedRow, "", error};
      return true;
    }
    for (size_t i = 0; i < fields_.size(); ++i) row->values[column_of_field_[i]] = fields_[i];
    return true;
  }

 private:
  // Reads the record at pos_ into fields_. False at the end of the data. A malformed record
  // sets `error` and is skipped to the end of its line (or of the data, for an unterminated
  // quote).
  bool ReadRecord(std::string* error) {
    const size_t n = data_.size();
    // Blank lines are not records.
    while (pos_ < n) {
      size_t eol = data_.find('\n', pos_);
      size_t end = eol == std::string_view::npos ? n : eol;
      if (!IsBlank(data_.substr(pos_, end - pos_))) break;
      pos_ = eol == std::string_view::npos ? n : eol + 1;
    }
    if (pos_ >= n) return false;
    fields_.clear();
    size_t field = 0;
    while (true) {
      if (unescaped_.size() <= field) unescaped_.resize(field + 1);
      if (pos_ < n && data_[pos_] == '"') {
        // Quoted: up to the closing quote; "" is an escaped quote.
        size_t start = ++pos_;
        bool escaped = false;
        size_t end;
        while (true) {
          size_t q = data_.find('"', pos_);
          if (q == std::string_view::npos) {
            *error = absl::StrCat("field ", field + 1, ": quoted field is not closed");
            pos_ = n;
            return true;
          }
          if (q + 1 < n && data_[q + 1] == '"') {
            escaped = true;
            pos_ = q + 2;
            continue;
          }
          end = q;
          pos_ = q + 1;
          break;
        }
        std::string_view value = data_.substr(start, end - start);
        if (escaped) {
          std::string& buffer = unescaped_[field];
          buffer.clear();
          for (size_t i = 0; i < value.size(); ++i) {
            buffer.push_back(value[i]);
            if (value[i] == '"') ++i;  // the second quote of ""
          }
          value = buffer;
        }
        fields_.push_back(value);
        if (pos_ < n && data_[pos_] == '\r' && pos_ + 1 < n && data_[pos_ + 1] == '\n') ++pos_;
        if (pos_ < n && data_[pos_] != ',' && data_[pos_] != '\n') {
          *error = absl::StrCat("field ", field + 1, ": unexpected text after the closing quote");
          SkipLine();
          return true;
        }
      } else {
        size_t start = pos_;
        while (pos_ < n && data_[pos_] != ',' && data_[pos_] != '\n') {
          if (data_[pos_] == '"') {
            *error = absl::StrCat("field ", field + 1,
                                  ": a quote inside an unquoted field (quote the whole field and "
                                  "write the quote twice)");
            SkipLine();
            return true;
          }
          ++pos_;
        }
        size_t end = pos_;
        if (pos_ < n && data_[pos_] == '\n' && end > start && data_[end - 1] == '\r') --end;
        fields_.push_back(data_.substr(start, end - start));
      }
      if (pos_ >= n) return true;
      if (data_[pos_] == '\n') {
        ++pos_;
        return true;
      }
      ++pos_;  // ','
      ++field;
    }
  }

  void SkipLine() {
    size_t eol = data_.find('\n', pos_);
    pos_ = eol == std::string_view::npos ? data_.size() : eol + 1;
  }

  std::string_view data_;
  ExportKind kind_;
  size_t pos_ = 0;
  int64_t number_ = 0;
  std::vector<int> column_of_field_;      // header position → column id
  std::vector<std::string_view> fields_;  // the current record's fields
  // Per field position, reused across rows. A deque: growing it for a later field must not
  // move the strings that earlier fields_ of the same record point into (a vector did).
  std::deque<std::string> unescaped_;
};

// --- NDJSON ----------------------------------------------------------------------------------

class NdjsonReader : public ExportReader {
 public:
  NdjsonReader(std::string_view data, ExportKind kind)
      : data_(data), kind_(kind), ids_(ColumnIds(kind)), text_(Columns(kind).size()) {
    if (data_.substr(0, kByteOrderMark.size()) == kByteOrderMark) pos_ = kByteOrderMark.size();
  }

  bool Next(RawRow* row) override {
    std::string_view line;
    if (!NextLine(&line)) return false;
    row->number = ++number_;
    row->values.assign(text_.size(), std::string_view());
    row->problem.reset();
    try {
      doc_ = nlohmann::json::parse(line.begin(), line.end());
    } catch (const nlohmann::json::parse_error& e) {
      // e.what() quotes the input, which may hold a personal ID: only the position is kept.
      row->problem = Ineligibility{Reason::kMalformedRow, "",
                                   absl::StrCat("not valid JSON (at byte ", e.byte, ")")};
      return true;
    } catch (const nlohmann::json::exception&) {
      // A number beyond double's range (2e733) is out_of_range, not parse_error (found by
      // export_reader_fuzz): the row is malformed, the run goes on.
      row->problem = Ineligibility{Reason::kMalformedRow, "", "not valid JSON (a number out of range)"};
      return true;
    }
    if (!doc_.is_object()) {
      row->problem = Ineligibility{Reason::kMalformedRow, "", "is not a JSON object"};
      return true;
    }
    for (const auto& [name, value] : doc_.items()) {
      auto it = ids_.find(name);
      if (it == ids_.end()) {
        if (!row->problem) {
          row->problem = Ineligibility{
              Reason::kUnknownColumn, name,
              absl::StrCat("is not a column of a ", std::string(ExportKindName(kind_)), " export")};
        }
        continue;
      }
      const int column = it->second;
      if (value.is_string()) {
        row->values[column] = value.get_ref<const std::string&>();
      } else if (value.is_number()) {
        text_[column] = value.dump();
        row->values[column] = text_[column];
      } else if (!value.is_null() && !row->problem) {
        row->problem = Ineligibility{Reason::kInvalidValue, name, "must be a string"};
      }
    }
    return true;
  }

  bool NextLine(std::string_view* line) {
    const size_t n = data_.size();
    while (pos_ < n) {
      size_t eol = data_.find('\n', pos_);
      size_t end = eol == std::string_view::npos ? n : eol;
      *line = data_.substr(pos_, end - pos_);
      pos_ = eol == std::string_view::npos ? n : eol + 1;
      if (!IsBlank(*line)) return true;
    }
    return false;
  }

 private:
  std::string_view data_;
  ExportKind kind_;
  std::map<std::string, int, std::less<>> ids_;
  std::vector<std::string> text_;  // numbers as text, by column id
  nlohmann::json doc_;             // the current row (values point into it)
  size_t pos_ = 0;
  int64_t number_ = 0;
};

}  // namespace

absl::StatusOr<ExportFormat> ParseExportFormat(std::string_view name) {
  if (name == "csv") return ExportFormat::kCsv;
  if (name == "ndjson") return ExportFormat::kNdjson;
  return absl::InvalidArgumentError("--format: must be csv or ndjson, got '" + std::string(name) +
                                    "'");
}

std::string_view ExportFormatName(ExportFormat format) {
  return format == ExportFormat::kCsv ? "csv" : "ndjson";
}

absl::StatusOr<ExportFormat> FormatFromPath(std::string_view path) {
  std::string lower = absl::AsciiStrToLower(std::string(path));
  auto ends_with = [&](std::string_view suffix) {
    return lower.size() >= suffix.size() &&
           lower.compare(lower.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with(".csv")) return ExportFormat::kCsv;
  if (ends_with(".ndjson") || ends_with(".jsonl")) return ExportFormat::kNdjson;
  return absl::InvalidArgumentError("--format: cannot tell the format of '" + std::string(path) +
                                    "' from its name (.csv, .ndjson or .jsonl); give --format");
}

absl::StatusOr<std::unique_ptr<ExportData>> ExportData::Map(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::NotFoundError(path + ": cannot open: " + std::strerror(errno));
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(path + ": not a regular file");
  }
  std::unique_ptr<ExportData> data(new ExportData());
  if (st.st_size > 0) {
    void* map = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      return absl::InternalError(path + ": cannot map: " + std::strerror(err));
    }
    madvise(map, static_cast<size_t>(st.st_size), MADV_SEQUENTIAL);
    data->map_ = map;
    data->map_size_ = static_cast<size_t>(st.st_size);
    data->bytes_ = std::string_view(static_cast<const char*>(map), data->map_size_);
  }
  ::close(fd);
  return data;
}

std::unique_ptr<ExportData> ExportData::FromString(std::string text) {
  std::unique_ptr<ExportData> data(new ExportData());
  data->owned_ = std::move(text);
  data->bytes_ = data->owned_;
  return data;
}

ExportData::~ExportData() {
  if (map_ != nullptr) munmap(map_, map_size_);
}

absl::StatusOr<std::unique_ptr<ExportReader>> ExportReader::Open(const ExportData& data,
                                                                 ExportFormat format,
                                                                 ExportKind kind,
                                                                 std::string origin) {
  if (format == ExportFormat::kNdjson) {
    return std::unique_ptr<ExportReader>(new NdjsonReader(data.bytes(), kind));
  }
  auto reader = std::make_unique<CsvReader>(data.bytes(), kind);
  absl::Status header = reader->ReadHeader(origin);
  if (!header.ok()) return header;
  return std::unique_ptr<ExportReader>(std::move(reader));
}

absl::StatusOr<int64_t> CountRows(const ExportData& data, ExportFormat format, ExportKind kind) {
  int64_t rows = 0;
  if (format == ExportFormat::kNdjson) {
    NdjsonReader lines(data.bytes(), kind);
    std::string_view line;
    while (lines.NextLine(&line)) ++rows;
    return rows;
  }
  auto reader = ExportReader::Open(data, format, kind, "export");
  if (!reader.ok()) return reader.status();
  RawRow row;
  while ((*reader)->Next(&row)) ++rows;
  return rows;
}

}  // namespace crvs::backfill
