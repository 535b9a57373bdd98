#include "services/reconcile/indicators/areas.h"

#include <absl/strings/ascii.h>
#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/strings/str_split.h>

#include <fstream>
#include <functional>
#include <sstream>
#include <vector>

#include "services/platform/status.h"
#include "services/store/sql.h"
#include "services/validation/validators.h"

namespace crvs::reconcile::indicators {
namespace {

using store::sql::Value;

// One CSV line's fields, unquoted and trimmed; INVALID_ARGUMENT for an unterminated quote.
absl::StatusOr<std::vector<std::string>> SplitCsvLine(absl::string_view line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
      fields.back() += '"';
      ++i;
    } else if (c == '"' && (quoted || fields.back().empty())) {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  if (quoted) return absl::InvalidArgumentError("unterminated quoted field");
  for (auto& f : fields) f = std::string(absl::StripAsciiWhitespace(f));
  return fields;
}

using RowHandler =
    std::function<std::string(const std::vector<std::string>& fields, int line)>;

// Checks the header, then passes every non-blank line of `csv` to `row` (which returns "" or
// what is wrong with it). Errors read "<origin>:<line>: <what>".
absl::Status ForEachRow(absl::string_view csv, absl::string_view origin, absl::string_view header,
                        const RowHandler& row) {
  constexpr absl::string_view kUtf8Bom = "\xEF\xBB\xBF";
  if (absl::StartsWith(csv, kUtf8Bom)) csv.remove_prefix(kUtf8Bom.size());
  const std::vector<absl::string_view> names = absl::StrSplit(header, ',');
  const size_t columns = names.size();
  int line_no = 0;
  bool seen_header = false;
  for (absl::string_view line : absl::StrSplit(csv, '\n')) {
    ++line_no;
    line = absl::StripTrailingAsciiWhitespace(line);
    if (line.empty()) continue;
    auto fail = [&](absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat(origin, ":", line_no, ": ", what));
    };
    auto fields = SplitCsvLine(line);
    if (!fields.ok()) return fail(fields.status().message());
    if (!seen_header) {
      if (absl::StrJoin(*fields, ",") != header) {
        return fail(absl::StrCat("expected the header line \"", header, "\""));
      }
      seen_header = true;
      continue;
    }
    if (fields->size() != columns) {
      return fail(absl::StrCat("expected ", columns, " columns (", header, "), found ",
                               fields->size()));
    }
    std::string problem = row(*fields, line_no);
    if (!problem.empty()) return fail(problem);
  }
  if (!seen_header) {
    return absl::InvalidArgumentError(
        absl::StrCat(origin, ":1: empty file, expected the header line \"", header, "\""));
  }
  return absl::OkStatus();
}

bool IsDigits(absl::string_view s, size_t n) {
  if (s.size() != n) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// A facility or court principal, "facility:BV79001" / "court:TAND79".
bool IsSourcePrincipal(absl::string_view principal) {
  for (absl::string_view kind : {"facility:", "court:"}) {
    if (absl::StartsWith(principal, kind)) {
      const absl::string_view code = principal.substr(kind.size());
      return validation::IsFacilityOrCourtCode(std::string_view(code.data(), code.size()));
    }
  }
  return false;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot be read"));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Fills `seen` (key → first line) and reports a duplicate key.
std::string Duplicate(std::map<std::string, int>& seen, const std::string& what,
                      const std::string& key, int line) {
  auto [it, inserted] = seen.emplace(key, line);
  if (inserted) return "";
  return absl::StrCat(what, " ", key, " is listed twice (first on line ", it->second, ")");
}

// In-facility births and deaths per (facility, commune).
constexpr char kFacilityCommunesSql[] =
    "SELECT b.facility_code, b.birth_commune_code, COUNT(*) FROM birth_certificates b "
    "JOIN records r ON r.business_key = b.business_key "
    "JOIN record_versions v ON v.business_key = b.business_key AND v.version = 1 "
    "WHERE b.in_facility = 1 AND b.birth_commune_code IS NOT NULL AND r.state <> 'VOIDED' "
    "AND v.committed_at_us < $1 GROUP BY b.facility_code, b.birth_commune_code "
    "UNION ALL "
    "SELECT d.facility_code, d.death_commune_code, COUNT(*) FROM death_notices d "
    "JOIN records r ON r.business_key = d.business_key "
    "JOIN record_versions v ON v.business_key = d.business_key AND v.version = 1 "
    "WHERE d.in_facility = 1 AND d.death_commune_code IS NOT NULL AND r.state <> 'VOIDED' "
    "AND v.committed_at_us < $1 GROUP BY d.facility_code, d.death_commune_code";

}  // namespace

absl::StatusOr<Areas> Areas::Load(const std::string& communes_file,
                                  const std::string& sources_file) {
  Areas areas;
  if (!communes_file.empty()) {
    CRVS_ASSIGN_OR_RETURN(std::string text, ReadFile(communes_file));
    CRVS_RETURN_IF_ERROR(areas.ParseCommunes(text, communes_file));
  }
  if (!sources_file.empty()) {
    CRVS_ASSIGN_OR_RETURN(std::string text, ReadFile(sources_file));
    CRVS_RETURN_IF_ERROR(areas.ParseSources(text, sources_file));
  }
  return areas;
}

absl::Status Areas::ParseCommunes(const std::string& csv, const std::string& origin) {
  std::map<std::string, int> seen;
  CRVS_RETURN_IF_ERROR(ForEachRow(
      csv, origin, "commune_code,province_code,name",
      [&](const std::vector<std::string>& f, int line) -> std::string {
        if (!IsDigits(f[0], 5)) return "commune_code: expected 5 digits, got \"" + f[0] + "\"";
        if (!IsDigits(f[1], 2)) return "province_code: expected 2 digits, got \"" + f[1] + "\"";
        std::string duplicate = Duplicate(seen, "commune", f[0], line);
        if (!duplicate.empty()) return duplicate;
        province_of_commune_.emplace(f[0], f[1]);
        return "";
      }));
  has_communes_ = true;
  return absl::OkStatus();
}

absl::Status Areas::ParseSources(const std::string& csv, const std::string& origin) {
  std::map<std::string, int> seen;
  return ForEachRow(
      csv, origin, "principal,commune_code,name",
      [&](const std::vector<std::string>& f, int line) -> std::string {
        if (!IsSourcePrincipal(f[0])) {
          return "principal: expected facility:<code> or court:<code> ([A-Z0-9]{2,16}), got \"" +
                 f[0] + "\"";
        }
        if (!IsDigits(f[1], 5)) return "commune_code: expected 5 digits, got \"" + f[1] + "\"";
        std::string duplicate = Duplicate(seen, "source", f[0], line);
        if (!duplicate.empty()) return duplicate;
        source_communes_.emplace(f[0], f[1]);
        return "";
      });
}

std::string Areas::ProvinceOf(std::string_view commune) const {
  auto it = province_of_commune_.find(commune);
  return it == province_of_commune_.end() ? kUnknownArea : it->second;
}

absl::StatusOr<std::map<std::string, std::string>> Areas::LocateSources(
    store::Store& store, absl::Time committed_before) const {
  std::map<std::string, std::map<std::string, int64_t>> events;  // facility → commune → n
  CRVS_RETURN_IF_ERROR(store.Read([&](store::sql::Connection& c) -> absl::Status {
    CRVS_ASSIGN_OR_RETURN(
        store::sql::Rows rows,
        c.Execute(kFacilityCommunesSql, {Value::Int(absl::ToUnixMicros(committed_before))}));
    for (const auto& row : rows) {
      events[absl::StrCat("facility:", row[0].AsString())][row[1].AsString()] += row[2].AsInt();
    }
    return absl::OkStatus();
  }));
  std::map<std::string, std::string> located(source_communes_.begin(), source_communes_.end());
  for (const auto& [facility, communes] : events) {
    if (located.count(facility)) continue;
    auto most = communes.begin();  // ordered by code: the first maximum is the smaller code
    for (auto it = communes.begin(); it != communes.end(); ++it) {
      if (it->second > most->second) most = it;
    }
    located.emplace(facility, most->first);
  }
  return located;
}

}  // namespace crvs::reconcile::indicators
