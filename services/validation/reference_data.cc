#include "services/validation/reference_data.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <utility>
#include <map>
#include <vector>

#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>

#include "services/validation/embedded_reference.h"

namespace crvs::validation {
namespace {

constexpr std::string_view kHeader[] = {"old_code", "old_name", "id_prefix",
                                        "code_since_2025_07_01", "name_since_2025_07_01"};
constexpr size_t kColumns = std::size(kHeader);
constexpr char kHeaderLine[] =
    "old_code,old_name,id_prefix,code_since_2025_07_01,name_since_2025_07_01";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && absl::ascii_isspace(static_cast<unsigned char>(s.front()))) {
    s.remove_prefix(1);
  }
  while (!s.empty() && absl::ascii_isspace(static_cast<unsigned char>(s.back()))) {
    s.remove_suffix(1);
  }
  return s;
}

bool IsDigits(std::string_view s, size_t n) {
  if (s.size() != n) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Splits one CSV line. Double-quoted fields (with "" for a quote) are accepted because
// spreadsheet tools add them around names; nothing in this file needs embedded newlines.
absl::StatusOr<std::vector<std::string>> SplitCsvLine(std::string_view line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c != '"') {
        fields.back() += c;
      } else if (i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else {
        quoted = false;
      }
    } else if (c == '"' && fields.back().empty()) {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  if (quoted) return absl::InvalidArgumentError("unterminated quoted field");
  for (auto& f : fields) f = std::string(Trim(f));
  return fields;
}

}  // namespace

absl::StatusOr<ReferenceData> ReferenceData::FromCsv(std::string_view csv,
                                                     std::string_view origin) {
  constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
  if (csv.substr(0, kUtf8Bom.size()) == kUtf8Bom) csv.remove_prefix(kUtf8Bom.size());

  ReferenceData data;
  std::map<std::string, int> prefix_line;  // to name the first of two duplicates
  int line_no = 0;
  bool header_seen = false;
  auto error = [&](const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(origin), ":", line_no, ": ", what));
  };

  while (!csv.empty()) {
    ++line_no;
    size_t end = csv.find('\n');
    std::string_view line = csv.substr(0, end);
    csv.remove_prefix(end == std::string_view::npos ? csv.size() : end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (Trim(line).empty()) continue;

    auto fields = SplitCsvLine(line);
    if (!fields.ok()) return error(std::string(fields.status().message()));
    if (!header_seen) {
      if (fields->size() != kColumns ||
          !std::equal(fields->begin(), fields->end(), std::begin(kHeader))) {
        return error(absl::StrCat("header must be \"", kHeaderLine, "\""));
      }
      header_seen = true;
      continue;
    }
    if (fields->size() != kColumns) {
      return error(absl::StrCat("expected ", kColumns, " columns, got ", fields->size()));
    }
    const std::string& old_code = (*fields)[0];
    const std::string& old_name = (*fields)[1];
    const std::string& id_prefix = (*fields)[2];
    const std::string& code = (*fields)[3];
    const std::string& name = (*fields)[4];
    if (!IsDigits(old_code, 2)) return error("old_code must be 2 digits");
    if (old_name.empty()) return error("old_name is empty");
    if (!IsDigits(id_prefix, 3)) return error("id_prefix must be 3 digits");
    if (!IsDigits(code, 2)) return error("code_since_2025_07_01 must be 2 digits");
    if (name.empty()) return error("name_since_2025_07_01 is empty");

    auto [it, inserted] = prefix_line.emplace(id_prefix, line_no);
    if (!inserted) {
      return error(absl::StrCat("duplicate id_prefix ", id_prefix, " (first on line ",
                                it->second, ")"));
    }
    data.id_prefixes_.insert(id_prefix);
    // Several old provinces map to one current province: the rows must agree on its name.
    auto [name_it, new_code] = data.province_names_.emplace(code, name);
    if (!new_code && name_it->second != name) {
      return error(absl::StrCat("province ", code, " is named \"", name_it->second,
                                "\" on an earlier line but \"", name, "\" here"));
    }
  }
  if (!header_seen) {
    line_no = std::max(line_no, 1);
    return error("empty file: expected a header line");
  }
  if (data.id_prefixes_.empty()) return error("no province rows");
  return data;
}

absl::StatusOr<ReferenceData> ReferenceData::Load(const std::string& path) {
  if (path.empty()) return Default();
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open province reference file"));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read failed"));
  return FromCsv(text.str(), path);
}

const ReferenceData& ReferenceData::Default() {
  static const ReferenceData* const data = [] {
    auto parsed = FromCsv(internal::EmbeddedProvincesCsv(), "embedded provinces.csv");
    if (!parsed.ok()) {
      // The build embedded a file that does not parse: no validator can run without it.
      std::fprintf(stderr, "crvs: %s\n", parsed.status().ToString().c_str());
      std::abort();
    }
    return new ReferenceData(*std::move(parsed));
  }();
  return *data;
}

bool ReferenceData::IsIdPrefix(std::string_view three_digits) const {
  return id_prefixes_.find(three_digits) != id_prefixes_.end();
}

bool ReferenceData::IsProvinceCode(std::string_view two_digits) const {
  return province_names_.find(two_digits) != province_names_.end();
}

std::string_view ReferenceData::ProvinceName(std::string_view code) const {
  auto it = province_names_.find(code);
  return it == province_names_.end() ? std::string_view() : std::string_view(it->second);
}

}  // namespace crvs::validation
