#include "connectors/court_source/export_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <absl/strings/str_cat.h>

#include "services/platform/logging.h"

namespace crvs::court_source {
namespace {

auto Log() {
  static auto log = logging::Get("court-source");
  return log;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ExportFile>> ExportFile::Open(const std::string& path,
                                                             const std::string& position_column,
                                                             const std::string& time_column,
                                                             const DecisionMapping* mapping) {
  std::unique_ptr<ExportFile> file(new ExportFile());
  file->path_ = path;
  file->position_column_ = position_column;
  file->time_column_ = time_column;
  file->mapping_ = mapping;
  absl::Status st = file->IndexIfChanged();
  if (!st.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("court_source.resend_source_file: ", st.message()));
  }
  return file;
}

uint64_t ExportFile::PositionOf(const nlohmann::json& row) const {
  if (position_column_.empty()) return kLowestPosition;
  auto it = row.find(position_column_);
  if (it == row.end()) return kLowestPosition;
  if (it->is_number_unsigned() && it->get<uint64_t>() > 0 &&
      it->get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX)) {
    return it->get<uint64_t>();
  }
  if (it->is_number_integer() && it->get<int64_t>() > 0) {
    return static_cast<uint64_t>(it->get<int64_t>());
  }
  return kLowestPosition;
}

absl::Status ExportFile::IndexIfChanged() {
  struct stat st;
  if (stat(path_.c_str(), &st) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot read ", path_, ": ", std::strerror(errno)));
  }
  absl::Time mtime = absl::TimeFromTimespec(st.st_mtim);
  if (st.st_size == indexed_size_ && mtime == indexed_mtime_) return absl::OkStatus();

  std::ifstream in(path_, std::ios::binary);
  if (!in) return absl::UnavailableError(absl::StrCat("cannot open ", path_));
  std::map<std::pair<std::string, std::string>, Entry> index;
  int64_t skipped = 0;
  int64_t line_no = 0;
  std::string line;
  while (true) {
    const int64_t offset = in.tellg();
    if (!std::getline(in, line)) break;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json row = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    absl::StatusOr<records::v1::DivorceDecisionKey> key =
        row.is_object() ? mapping_->MapKey(row)
                        : absl::InvalidArgumentError("not a JSON object");
    if (!key.ok() || key->court_code().empty() || key->decision_no().empty()) {
      ++skipped;
      Log()->warn("resend export: line skipped file={} line={} error={}", path_, line_no,
                  key.ok() ? "no court code or decision number" : std::string(key.status().message()));
      continue;
    }
    Entry entry{offset, PositionOf(row)};
    auto [it, inserted] = index.emplace(std::make_pair(key->court_code(), key->decision_no()), entry);
    if (!inserted && entry.position >= it->second.position) it->second = entry;
  }
  index_ = std::move(index);
  skipped_lines_ = skipped;
  indexed_size_ = st.st_size;
  indexed_mtime_ = mtime;
  Log()->info("resend export indexed file={} rows={} skipped_lines={}", path_, index_.size(),
              skipped);
  return absl::OkStatus();
}

absl::StatusOr<ExportFile::Row> ExportFile::Find(const std::string& court_code,
                                                 const std::string& decision_no) {
  absl::Status st = IndexIfChanged();
  if (!st.ok()) return st;
  auto it = index_.find({court_code, decision_no});
  if (it == index_.end()) {
    return absl::NotFoundError(
        absl::StrCat("decision ", decision_no, " of court ", court_code, " is not in the export"));
  }
  std::ifstream in(path_, std::ios::binary);
  std::string line;
  if (!in || !in.seekg(it->second.offset) || !std::getline(in, line)) {
    return absl::UnavailableError(absl::StrCat("cannot read back ", path_));
  }
  Row row;
  row.columns = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!row.columns.is_object()) {
    // The file changed between the stat and the read: index again next time.
    indexed_size_ = -1;
    return absl::UnavailableError(absl::StrCat(path_, " changed while it was read"));
  }
  row.position = PositionOf(row.columns);
  row.committed_at = indexed_mtime_;
  auto t = time_column_.empty() ? row.columns.end() : row.columns.find(time_column_);
  if (t != row.columns.end() && t->is_number_integer() && t->get<int64_t>() > 0) {
    row.committed_at = absl::FromUnixMillis(t->get<int64_t>());
  }
  return row;
}

}  // namespace crvs::court_source
