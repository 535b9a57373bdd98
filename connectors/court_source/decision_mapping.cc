#include "connectors/court_source/decision_mapping.h"

#include <optional>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/time/civil_time.h>

#include "services/platform/status.h"
#include "services/validation/validators.h"

namespace crvs::court_source {
namespace {

using Json = nlohmann::json;
namespace v1 = records::v1;
namespace common = common::v1;

constexpr std::string_view kDebeziumDate = "io.debezium.time.Date";
constexpr std::string_view kDebeziumTimestamp = "io.debezium.time.Timestamp";
constexpr std::string_view kDebeziumMicroTimestamp = "io.debezium.time.MicroTimestamp";
constexpr std::string_view kDebeziumNanoTimestamp = "io.debezium.time.NanoTimestamp";

common::LocalDate ToLocalDate(absl::CivilDay day) {
  common::LocalDate d;
  d.set_year(static_cast<int32_t>(day.year()));
  d.set_month(day.month());
  d.set_day(day.day());
  return d;
}

// "value=NAME" entries of a value map, NAME resolved by `resolve` (false: unknown name).
template <class T, class Resolve>
absl::Status ParseValueMap(const std::vector<std::string>& entries, const char* key,
                           const char* names, Resolve resolve, std::map<std::string, T>* out) {
  for (const std::string& entry : entries) {
    size_t eq = entry.rfind('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == entry.size()) {
      return absl::InvalidArgumentError(absl::StrCat("court_source.", key, ": '", entry,
                                                     "' is not court_value=NAME"));
    }
    T value{};
    std::string name = entry.substr(eq + 1);
    if (!resolve(name, &value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("court_source.", key, ": '", name, "' is not one of ", names));
    }
    if (!out->emplace(entry.substr(0, eq), value).second) {
      return absl::InvalidArgumentError(absl::StrCat("court_source.", key, ": court value '",
                                                     entry.substr(0, eq), "' appears twice"));
    }
  }
  return absl::OkStatus();
}

// Reads mapped columns of one row; every error names the column and its configuration key.
class RowReader {
 public:
  RowReader(const Json& row, const std::map<std::string, std::string>& types)
      : row_(row), types_(types) {}

  // The value of `column`, or nullptr for an unmapped column or a NULL value.
  absl::StatusOr<const Json*> Get(const std::string& column, const std::string& key) const {
    if (column.empty()) return static_cast<const Json*>(nullptr);
    auto it = row_.find(column);
    if (it == row_.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(Name(column, key), " is not in the row (the mapping does not fit the "
                                          "table)"));
    }
    return it->is_null() ? nullptr : &*it;
  }

  // Text of `column`: a string, or an integer written in decimal. Empty text is unset.
  absl::StatusOr<std::optional<std::string>> Text(const std::string& column,
                                                  const std::string& key) const {
    auto value = Get(column, key);
    if (!value.ok()) return value.status();
    if (*value == nullptr) return std::optional<std::string>();
    std::string text;
    if ((*value)->is_boolean() || !ScalarText(**value, &text)) {
      return absl::InvalidArgumentError(
          absl::StrCat(Name(column, key), ": must be text (a JSON string)"));
    }
    if (text.empty()) return std::optional<std::string>();
    return std::optional<std::string>(std::move(text));
  }

  absl::StatusOr<std::optional<common::LocalDate>> Date(const std::string& column,
                                                        const std::string& key) const {
    auto value = Get(column, key);
    if (!value.ok()) return value.status();
    if (*value == nullptr) return std::optional<common::LocalDate>();
    auto date = ParseDateValue(**value, TypeOf(column));
    if (!date.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(Name(column, key), ": ", date.status().message()));
    }
    return std::optional<common::LocalDate>(*date);
  }

  std::string_view TypeOf(const std::string& column) const {
    auto it = types_.find(column);
    return it == types_.end() ? std::string_view() : std::string_view(it->second);
  }

  static std::string Name(const std::string& column, const std::string& key) {
    return absl::StrCat("column ", column, " (court_source.", key, ")");
  }

 private:
  const Json& row_;
  const std::map<std::string, std::string>& types_;
};

}  // namespace

bool ScalarText(const Json& value, std::string* out) {
  if (value.is_string()) {
    *out = value.get<std::string>();
  } else if (value.is_number_unsigned()) {
    *out = std::to_string(value.get<uint64_t>());
  } else if (value.is_number_integer()) {
    *out = std::to_string(value.get<int64_t>());
  } else if (value.is_boolean()) {
    *out = value.get<bool>() ? "true" : "false";
  } else {
    return false;
  }
  return true;
}

absl::StatusOr<common::LocalDate> ParseDateValue(const Json& value,
                                                 std::string_view semantic_type) {
  if (value.is_number_integer()) {
    int64_t n = value.get<int64_t>();
    absl::CivilDay day;
    if (semantic_type.empty() || semantic_type == kDebeziumDate) {
      day = absl::CivilDay(1970, 1, 1) + n;
    } else {
      // Debezium writes a zoneless datetime's wall-clock reading as if it were UTC. absl's
      // FromUnix* saturate, so no value of the column can overflow (n * 1000 could).
      absl::Time wall;
      if (semantic_type == kDebeziumTimestamp) {
        wall = absl::FromUnixMillis(n);
      } else if (semantic_type == kDebeziumMicroTimestamp) {
        wall = absl::FromUnixMicros(n);
      } else if (semantic_type == kDebeziumNanoTimestamp) {
        wall = absl::FromUnixNanos(n);
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            "an integer date of semantic type ", std::string(semantic_type),
            " is not understood (expected io.debezium.time.Date, Timestamp, MicroTimestamp or "
            "NanoTimestamp)"));
      }
      day = absl::ToCivilDay(wall, absl::UTCTimeZone());
    }
    if (day.year() < 1 || day.year() > 9999) {
      return absl::InvalidArgumentError("is not a date between years 1 and 9999");
    }
    return ToLocalDate(day);
  }
  if (value.is_string()) {
    const std::string text = value.get<std::string>();
    absl::CivilDay day;
    bool shape = text.size() == 10 && text[4] == '-' && text[7] == '-';
    for (size_t i = 0; shape && i < text.size(); ++i) {
      if (i != 4 && i != 7 && (text[i] < '0' || text[i] > '9')) shape = false;
    }
    if (shape) {
      int y = std::stoi(text.substr(0, 4)), m = std::stoi(text.substr(5, 2)),
          d = std::stoi(text.substr(8, 2));
      day = absl::CivilDay(y, m, d);
      // CivilDay normalises 2026-02-30 to March: a changed day means it was not a real date.
      if (day.year() == y && day.month() == m && day.day() == d && y >= 1) {
        return ToLocalDate(day);
      }
    }
    return absl::InvalidArgumentError(
        "is not a date: expected \"YYYY-MM-DD\" or days since 1970-01-01");
  }
  return absl::InvalidArgumentError(
      "is not a date: expected \"YYYY-MM-DD\" or days since 1970-01-01");
}

absl::StatusOr<absl::Time> ParseTimestampValue(const Json& value,
                                               std::string_view semantic_type) {
  if (value.is_string()) {
    absl::Time t;
    std::string err;
    if (absl::ParseTime(absl::RFC3339_full, value.get<std::string>(), &t, &err)) return t;
    return absl::InvalidArgumentError(
        "is not a timestamp: expected ISO 8601 with a zone, e.g. \"2026-10-01T08:00:00Z\"");
  }
  if (value.is_number_integer()) {
    int64_t n = value.get<int64_t>();
    absl::Time wall;
    if (semantic_type == kDebeziumTimestamp) {
      wall = absl::FromUnixMillis(n);
    } else if (semantic_type.empty() || semantic_type == kDebeziumMicroTimestamp) {
      wall = absl::FromUnixMicros(n);
    } else if (semantic_type == kDebeziumNanoTimestamp) {
      wall = absl::FromUnixNanos(n);
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "an integer timestamp of semantic type ", std::string(semantic_type), " is not understood"));
    }
    // The wall-clock reading was written as if UTC; it is Vietnam time.
    return wall - absl::Minutes(kCourtUtcOffsetMinutes);
  }
  return absl::InvalidArgumentError(
      "is not a timestamp: expected ISO 8601 with a zone or a Debezium timestamp integer");
}

absl::StatusOr<DecisionMapping> DecisionMapping::Compile(const DecisionMappingConfig& config) {
  DecisionMapping m;
  m.config_ = config;
  if (config.column_decision_no.empty()) {
    return absl::InvalidArgumentError(
        "court_source.column_decision_no: the decision number column is required");
  }
  if (config.column_court_code.empty()) {
    if (!validation::IsFacilityOrCourtCode(config.court_code)) {
      return absl::InvalidArgumentError(
          "court_source.court_code: with no court code column every row needs this court code "
          "([A-Z0-9]{2,16})");
    }
  } else if (!config.court_code.empty()) {
    return absl::InvalidArgumentError(
        "court_source.court_code: set either it or court_source.column_court_code, not both");
  }
  absl::Status st = ParseValueMap<v1::DecisionKind>(
      config.kind_values, "kind_values", "JUDGMENT, CONSENSUAL_RECOGNITION, ANNULMENT",
      [](const std::string& name, v1::DecisionKind* kind) {
        return v1::DecisionKind_Parse("DECISION_KIND_" + name, kind) &&
               *kind != v1::DECISION_KIND_UNSPECIFIED;
      },
      &m.kinds_);
  if (!st.ok()) return st;
  st = ParseValueMap<common::Sex>(
      config.sex_values, "sex_values", "MALE, FEMALE, UNDETERMINED",
      [](const std::string& name, common::Sex* sex) {
        return common::Sex_Parse("SEX_" + name, sex) && *sex != common::SEX_UNSPECIFIED;
      },
      &m.sexes_);
  if (!st.ok()) return st;

  const auto& c = config;
  m.columns_by_field_ = {
      {"key.court_code", c.column_court_code},
      {"key.decision_no", c.column_decision_no},
      {"kind", c.column_kind},
      {"decision_date", c.column_decision_date},
      {"legal_effect_date", c.column_legal_effect_date},
      {"set_aside.set_aside_on", c.column_set_aside_on},
      {"set_aside.by_decision_no", c.column_set_aside_by},
      {"set_aside.reason", c.column_set_aside_reason},
      {"spouse_a.personal_id.number", c.column_spouse_a_personal_id},
      {"spouse_a.full_name", c.column_spouse_a_full_name},
      {"spouse_a.sex", c.column_spouse_a_sex},
      {"spouse_a.date_of_birth", c.column_spouse_a_date_of_birth},
      {"spouse_b.personal_id.number", c.column_spouse_b_personal_id},
      {"spouse_b.full_name", c.column_spouse_b_full_name},
      {"spouse_b.sex", c.column_spouse_b_sex},
      {"spouse_b.date_of_birth", c.column_spouse_b_date_of_birth},
      {"marriage.registry_office_commune_code", c.column_marriage_commune_code},
      {"marriage.book", c.column_marriage_book},
      {"marriage.registration_no", c.column_marriage_registration_no},
      {"marriage.registered_on", c.column_marriage_registered_on},
      {"issued_at", c.column_issued_at},
  };
  return m;
}

std::string DecisionMapping::ColumnFor(std::string_view field_path) const {
  auto it = columns_by_field_.find(std::string(field_path));
  if (it != columns_by_field_.end()) return it->second;
  // A whole message: the columns of its fields.
  std::vector<std::string> columns;
  const std::string prefix = std::string(field_path) + ".";
  for (const auto& [field, column] : columns_by_field_) {
    if (field.compare(0, prefix.size(), prefix) == 0 && !column.empty()) columns.push_back(column);
  }
  return absl::StrJoin(columns, ", ");
}

absl::StatusOr<v1::DivorceDecisionKey> DecisionMapping::MapKey(const Json& row) const {
  if (!row.is_object()) return absl::InvalidArgumentError("the row must be a JSON object");
  RowReader r(row, {});
  v1::DivorceDecisionKey key;
  if (config_.column_court_code.empty()) {
    key.set_court_code(config_.court_code);
  } else {
    CRVS_ASSIGN_OR_RETURN(auto court, r.Text(config_.column_court_code, "column_court_code"));
    if (court) key.set_court_code(*court);
  }
  CRVS_ASSIGN_OR_RETURN(auto number, r.Text(config_.column_decision_no, "column_decision_no"));
  if (number) key.set_decision_no(*number);
  return key;
}

absl::StatusOr<v1::DivorceDecision> DecisionMapping::MapRow(
    const Json& row, const std::map<std::string, std::string>& column_types,
    absl::Time committed_at) const {
  if (!row.is_object()) return absl::InvalidArgumentError("the row must be a JSON object");
  RowReader r(row, column_types);
  const DecisionMappingConfig& c = config_;
  v1::DivorceDecision d;
  CRVS_ASSIGN_OR_RETURN(auto key, MapKey(row));
  *d.mutable_key() = key;

  CRVS_ASSIGN_OR_RETURN(auto kind_value, r.Get(c.column_kind, "column_kind"));
  if (kind_value != nullptr) {
    std::string text;
    auto it = ScalarText(*kind_value, &text) ? kinds_.find(text) : kinds_.end();
    if (it == kinds_.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(RowReader::Name(c.column_kind, "column_kind"), ": value \"",
                       text.substr(0, 40), "\" is not in court_source.kind_values"));
    }
    d.set_kind(it->second);
  }

  CRVS_ASSIGN_OR_RETURN(auto decided, r.Date(c.column_decision_date, "column_decision_date"));
  if (decided) *d.mutable_decision_date() = *decided;
  CRVS_ASSIGN_OR_RETURN(auto effect, r.Date(c.column_legal_effect_date, "column_legal_effect_date"));
  if (effect) *d.mutable_legal_effect_date() = *effect;

  struct SpouseColumns {
    const std::string& id;
    const std::string& name;
    const std::string& sex;
    const std::string& dob;
    const char* key;  // "spouse_a"
    common::Person* person;
  };
  common::Person spouse_a, spouse_b;
  for (const SpouseColumns& s :
       {SpouseColumns{c.column_spouse_a_personal_id, c.column_spouse_a_full_name,
                      c.column_spouse_a_sex, c.column_spouse_a_date_of_birth, "spouse_a",
                      &spouse_a},
        SpouseColumns{c.column_spouse_b_personal_id, c.column_spouse_b_full_name,
                      c.column_spouse_b_sex, c.column_spouse_b_date_of_birth, "spouse_b",
                      &spouse_b}}) {
    const std::string key(s.key);
    CRVS_ASSIGN_OR_RETURN(auto id, r.Text(s.id, "column_" + key + "_personal_id"));
    if (id) s.person->mutable_personal_id()->set_number(*id);
    CRVS_ASSIGN_OR_RETURN(auto name, r.Text(s.name, "column_" + key + "_full_name"));
    if (name) s.person->set_full_name(*name);
    CRVS_ASSIGN_OR_RETURN(auto sex_value, r.Get(s.sex, "column_" + key + "_sex"));
    if (sex_value != nullptr) {
      std::string text;
      auto it = ScalarText(*sex_value, &text) ? sexes_.find(text) : sexes_.end();
      if (it == sexes_.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat(RowReader::Name(s.sex, "column_" + key + "_sex"),
                         ": value is not in court_source.sex_values"));
      }
      s.person->set_sex(it->second);
    }
    CRVS_ASSIGN_OR_RETURN(auto dob, r.Date(s.dob, "column_" + key + "_date_of_birth"));
    if (dob) *s.person->mutable_date_of_birth() = *dob;
  }
  // An all-NULL spouse stays absent, so validation says "spouse_a is required".
  if (spouse_a.ByteSizeLong() > 0) *d.mutable_spouse_a() = std::move(spouse_a);
  if (spouse_b.ByteSizeLong() > 0) *d.mutable_spouse_b() = std::move(spouse_b);

  v1::MarriageRef marriage;
  CRVS_ASSIGN_OR_RETURN(auto commune,
                        r.Text(c.column_marriage_commune_code, "column_marriage_commune_code"));
  if (commune) marriage.set_registry_office_commune_code(*commune);
  CRVS_ASSIGN_OR_RETURN(auto book, r.Text(c.column_marriage_book, "column_marriage_book"));
  if (book) marriage.set_book(*book);
  CRVS_ASSIGN_OR_RETURN(auto reg_no, r.Text(c.column_marriage_registration_no,
                                       "column_marriage_registration_no"));
  if (reg_no) marriage.set_registration_no(*reg_no);
  CRVS_ASSIGN_OR_RETURN(auto registered, r.Date(c.column_marriage_registered_on,
                                           "column_marriage_registered_on"));
  if (registered) *marriage.mutable_registered_on() = *registered;
  if (marriage.ByteSizeLong() > 0) *d.mutable_marriage() = std::move(marriage);

  v1::SetAside set_aside;
  CRVS_ASSIGN_OR_RETURN(auto set_aside_on, r.Date(c.column_set_aside_on, "column_set_aside_on"));
  if (set_aside_on) *set_aside.mutable_set_aside_on() = *set_aside_on;
  CRVS_ASSIGN_OR_RETURN(auto set_aside_by, r.Text(c.column_set_aside_by, "column_set_aside_by"));
  if (set_aside_by) set_aside.set_by_decision_no(*set_aside_by);
  CRVS_ASSIGN_OR_RETURN(auto set_aside_reason,
                        r.Text(c.column_set_aside_reason, "column_set_aside_reason"));
  // Grounds alone (no date, no ruling) do not make a decision set aside.
  if (set_aside.ByteSizeLong() > 0) {
    if (set_aside_reason) set_aside.set_reason(*set_aside_reason);
    *d.mutable_set_aside() = std::move(set_aside);
  }

  absl::Time issued = committed_at;
  CRVS_ASSIGN_OR_RETURN(auto issued_value, r.Get(c.column_issued_at, "column_issued_at"));
  if (issued_value != nullptr) {
    auto t = ParseTimestampValue(*issued_value, r.TypeOf(c.column_issued_at));
    if (!t.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          RowReader::Name(c.column_issued_at, "column_issued_at"), ": ", t.status().message()));
    }
    issued = *t;
  }
  d.mutable_issued_at()->set_seconds(absl::ToUnixSeconds(issued));
  d.mutable_issued_at()->set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(issued - absl::FromUnixSeconds(absl::ToUnixSeconds(issued)))));
  return d;
}

}  // namespace crvs::court_source
