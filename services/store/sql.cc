#include "services/store/sql.h"

#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>

#include <unordered_map>

namespace crvs::store::sql {

absl::StatusOr<std::unique_ptr<Connection>> Connect(const DatabaseConfig& config) {
  if (config.bulk_rows < 1 || config.bulk_rows > 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat("database.bulk_rows: ", config.bulk_rows, " is not in 1..1000"));
  }
  const std::string& url = config.url;
  if (absl::StartsWith(url, "postgresql://") || absl::StartsWith(url, "postgres://")) {
    return ConnectPostgres(url, config);
  }
  if (absl::StartsWith(url, "sqlite:")) {
    std::string path = url.substr(7);
    if (absl::StartsWith(path, "//")) path = path.substr(2);  // "sqlite:///abs/path"
    if (path.empty()) return absl::InvalidArgumentError("database.url: sqlite: needs a path");
    return ConnectSqlite(path, config);
  }
  return absl::InvalidArgumentError(
      "database.url: expected sqlite:<path> or postgresql://... (a libpq URI)");
}

namespace {

std::string BuildBulkText(const BulkStatement& s, int rows) {
  std::string text = s.head;
  int param = 1;
  for (int r = 0; r < rows; ++r) {
    if (r > 0) text += ',';
    if (!s.bare) text += '(';
    for (int c = 0; c < s.columns; ++c) {
      if (c > 0) text += ',';
      absl::StrAppend(&text, "$", param++);
    }
    if (!s.bare) text += ')';
  }
  text += s.tail;
  return text;
}

// The text of `s` over `rows` rows, built once per thread and shape.
const std::string& BulkText(const BulkStatement& s, int rows) {
  thread_local std::unordered_map<std::string, std::string> texts;
  std::string key = absl::StrCat(s.head, "\x1f", s.tail, "\x1f", s.columns, "\x1f", s.bare,
                                 "\x1f", rows);
  auto it = texts.find(key);
  if (it == texts.end()) {
    if (texts.size() > 4096) texts.clear();  // bounded: statements are a fixed set
    it = texts.emplace(std::move(key), BuildBulkText(s, rows)).first;
  }
  return it->second;
}

}  // namespace

absl::StatusOr<Rows> ExecuteBulk(Connection& connection, const BulkStatement& statement,
                                 absl::Span<const Value> values, int max_rows) {
  const size_t columns = static_cast<size_t>(statement.columns);
  if (values.size() % columns != 0) {
    return absl::InternalError(absl::StrCat("bulk statement with ", columns, " columns got ",
                                            values.size(), " values: ", statement.head));
  }
  int largest = 1;
  while (largest * 2 <= max_rows) largest *= 2;

  Rows out;
  size_t total_rows = values.size() / columns;
  size_t done = 0;
  while (done < total_rows) {
    int rows = largest;
    while (static_cast<size_t>(rows) > total_rows - done) rows /= 2;
    auto result = connection.Execute(BulkText(statement, rows),
                                     values.subspan(done * columns, rows * columns));
    if (!result.ok()) return result.status();
    for (auto& row : *result) out.push_back(std::move(row));
    done += static_cast<size_t>(rows);
  }
  return out;
}

}  // namespace crvs::store::sql
