#include "services/feeds/events.h"

#include <absl/strings/str_cat.h>
#include <absl/time/time.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "services/store/record_rules.h"

namespace crvs::feeds {
namespace {

namespace v1 = records::v1;
namespace common = crvs::common::v1;
using nlohmann::json;
namespace rules = store::rules;

void Put(json& o, const char* name, const std::string& value) {
  if (!value.empty()) o[name] = value;
}

std::string Instant(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ",
                          absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos()),
                          absl::UTCTimeZone());
}

std::string Date(const common::LocalDate& d) {
  return d.year() == 0 ? "" : rules::FormatDate(d);
}

std::string SexName(common::Sex sex) {
  switch (sex) {
    case common::SEX_MALE: return "MALE";
    case common::SEX_FEMALE: return "FEMALE";
    case common::SEX_UNDETERMINED: return "UNDETERMINED";
    default: return "";
  }
}

json PersonJson(const common::Person& p) {
  json o = json::object();
  Put(o, "personal_id", p.personal_id().number());
  Put(o, "full_name", p.full_name());
  Put(o, "sex", SexName(p.sex()));
  Put(o, "date_of_birth", Date(p.date_of_birth()));
  Put(o, "ethnicity", p.ethnicity());
  Put(o, "residence_province", p.residence().province_code());
  Put(o, "residence_commune", p.residence().commune_code());
  return o;
}

void PutObject(json& o, const char* name, json value) {
  if (!value.empty()) o[name] = std::move(value);
}

void BirthCertificateFields(const v1::BirthCertificate& b, json& out) {
  json cert = json::object();
  Put(cert, "facility_code", b.key().facility_code());
  Put(cert, "number", b.key().certificate_no());
  Put(cert, "issued_at", Instant(b.issued_at()));
  PutObject(out, "certificate", std::move(cert));
  json child = json::object();
  Put(child, "full_name", b.child().full_name());
  Put(child, "sex", SexName(b.child().sex()));
  Put(child, "born_at", Instant(b.child().born_at().instant()));
  if (b.child().weight_grams() > 0) child["weight_grams"] = b.child().weight_grams();
  if (b.child().plurality() > 0) child["plurality"] = b.child().plurality();
  PutObject(out, "child", std::move(child));
  json place = json::object();
  Put(place, "commune_code", b.place_of_birth().commune_code());
  Put(place, "facility_code", b.place_of_birth().facility().facility_code());
  place["in_facility"] = b.place_of_birth().in_facility();
  PutObject(out, "place_of_birth", std::move(place));
  PutObject(out, "mother", PersonJson(b.mother()));
  PutObject(out, "father", PersonJson(b.father()));
}

void DeathNoticeFields(const v1::DeathNotice& d, json& out) {
  json notice = json::object();
  Put(notice, "facility_code", d.key().facility_code());
  Put(notice, "number", d.key().notice_no());
  Put(notice, "issued_at", Instant(d.issued_at()));
  PutObject(out, "notice", std::move(notice));
  PutObject(out, "deceased", PersonJson(d.deceased()));
  json death = json::object();
  Put(death, "died_at", Instant(d.died_at().instant()));
  Put(death, "commune_code", d.place_of_death().commune_code());
  death["in_facility"] = d.place_of_death().in_facility();
  for (const auto& line : d.cause_of_death().chain()) {
    if (line.role() == v1::CAUSE_ROLE_UNDERLYING) Put(death, "underlying_cause_icd10", line.icd10_code());
  }
  PutObject(out, "death", std::move(death));
}

void DivorceFields(const v1::DivorceDecision& d, json& out) {
  json decision = json::object();
  Put(decision, "court_code", d.key().court_code());
  Put(decision, "number", d.key().decision_no());
  Put(decision, "kind", rules::StripEnumPrefix(v1::DecisionKind_Name(d.kind()), "DECISION_KIND_"));
  Put(decision, "decision_date", Date(d.decision_date()));
  Put(decision, "legal_effect_date", Date(d.legal_effect_date()));
  Put(decision, "set_aside_on", Date(d.set_aside().set_aside_on()));
  PutObject(out, "decision", std::move(decision));
  PutObject(out, "spouse_a", PersonJson(d.spouse_a()));
  PutObject(out, "spouse_b", PersonJson(d.spouse_b()));
  json marriage = json::object();
  Put(marriage, "registry_office_commune_code", d.marriage().registry_office_commune_code());
  Put(marriage, "registration_no", d.marriage().registration_no());
  Put(marriage, "registered_on", Date(d.marriage().registered_on()));
  PutObject(out, "marriage", std::move(marriage));
}

void RegistrationFields(const v1::Registration& r, json& out) {
  json reg = json::object();
  Put(reg, "office_code", r.key().registry_office_code());
  Put(reg, "book", r.key().book());
  Put(reg, "number", r.key().registration_no());
  Put(reg, "kind", rules::StripEnumPrefix(v1::RegistrationKind_Name(r.kind()), "REGISTRATION_KIND_"));
  Put(reg, "date", Date(r.registration_date()));
  Put(reg, "event_date", Date(r.event_date()));
  Put(reg, "linked_key", rules::LinkedKey(r));
  PutObject(out, "registration", std::move(reg));
  PutObject(out, "subject", PersonJson(r.subject()));
  json related = json::array();
  for (const auto& p : r.other_persons()) {
    json person = PersonJson(p);
    if (!person.empty()) related.push_back(std::move(person));
  }
  PutObject(out, "related", std::move(related));
}

void ContentFields(const v1::RecordEnvelope& e, json& out) {
  switch (e.record_case()) {
    case v1::RecordEnvelope::kBirthCertificate: BirthCertificateFields(e.birth_certificate(), out); break;
    case v1::RecordEnvelope::kDeathNotice: DeathNoticeFields(e.death_notice(), out); break;
    case v1::RecordEnvelope::kDivorceDecision: DivorceFields(e.divorce_decision(), out); break;
    case v1::RecordEnvelope::kRegistration: RegistrationFields(e.registration(), out); break;
    default: break;
  }
}

// Civil-status facts (not mere mentions) of a record in force: (personal id, fact, date).
using StatusFact = std::tuple<std::string, std::string, std::string>;
std::set<StatusFact> StatusFacts(const v1::RecordEnvelope* content) {
  std::set<StatusFact> out;
  if (content == nullptr) return out;
  for (const rules::PersonFact& f : rules::FactsOf(*content)) {
    if (f.fact != rules::kMentioned) out.emplace(f.personal_id, f.fact, f.date);
  }
  return out;
}

void Leaves(const json& value, const std::string& path, std::set<std::string>& out) {
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      Leaves(it.value(), path.empty() ? it.key() : absl::StrCat(path, ".", it.key()), out);
    }
  } else if (value.is_array()) {
    for (const auto& element : value) Leaves(element, absl::StrCat(path, "[]"), out);
  } else {
    out.insert(path);
  }
}

bool AlwaysShared(std::string_view path) {
  return path.rfind("event.", 0) == 0 || path.rfind("record.", 0) == 0;
}

json ProjectValue(const json& value, const std::string& path, const std::set<std::string>& allowed) {
  if (value.is_object()) {
    json out = json::object();
    for (auto it = value.begin(); it != value.end(); ++it) {
      json child = ProjectValue(it.value(), path.empty() ? it.key() : absl::StrCat(path, ".", it.key()),
                                allowed);
      if (!child.is_null()) out[it.key()] = std::move(child);
    }
    return out.empty() ? json() : out;
  }
  if (value.is_array()) {
    json out = json::array();
    for (const auto& element : value) {
      json child = ProjectValue(element, absl::StrCat(path, "[]"), allowed);
      if (!child.is_null()) out.push_back(std::move(child));
    }
    return out.empty() ? json() : out;
  }
  return AlwaysShared(path) || allowed.count(path) ? value : json();
}

}  // namespace

const std::vector<std::string>& EventTypes() {
  static const auto* types = new std::vector<std::string>{
      std::string(kBirthNotified),   std::string(kBirthRegistered), std::string(kDeathNotified),
      std::string(kDeathRegistered), std::string(kDivorceRecorded), std::string(kStatusChanged),
      std::string(kRecordAmended),   std::string(kRecordVoided)};
  return *types;
}

const std::set<std::string>& KnownFields() {
  static const auto* fields = [] {
    auto* out = new std::set<std::string>;
    const std::vector<std::string> person = {"personal_id", "full_name", "sex", "date_of_birth",
                                             "ethnicity", "residence_province",
                                             "residence_commune"};
    for (const char* who : {"mother", "father", "deceased", "spouse_a", "spouse_b", "subject",
                            "related[]"}) {
      for (const auto& f : person) out->insert(absl::StrCat(who, ".", f));
    }
    for (const char* f : {"certificate.facility_code", "certificate.number",
                          "certificate.issued_at", "child.full_name", "child.sex",
                          "child.born_at", "child.weight_grams", "child.plurality",
                          "place_of_birth.commune_code", "place_of_birth.facility_code",
                          "place_of_birth.in_facility", "notice.facility_code", "notice.number",
                          "notice.issued_at", "death.died_at", "death.commune_code",
                          "death.in_facility", "death.underlying_cause_icd10",
                          "decision.court_code", "decision.number", "decision.kind",
                          "decision.decision_date", "decision.legal_effect_date",
                          "decision.set_aside_on", "marriage.registry_office_commune_code",
                          "marriage.registration_no", "marriage.registered_on",
                          "registration.office_code", "registration.book",
                          "registration.number", "registration.kind", "registration.date",
                          "registration.event_date", "registration.linked_key",
                          "status.personal_id", "status.fact", "status.date", "status.change",
                          "void.reason"}) {
      out->insert(f);
    }
    return out;
  }();
  return *fields;
}

std::string BaseType(const v1::RecordEnvelope& e) {
  switch (e.record_case()) {
    case v1::RecordEnvelope::kBirthCertificate: return std::string(kBirthNotified);
    case v1::RecordEnvelope::kDeathNotice: return std::string(kDeathNotified);
    case v1::RecordEnvelope::kDivorceDecision: return std::string(kDivorceRecorded);
    case v1::RecordEnvelope::kRegistration:
      switch (e.registration().kind()) {
        case v1::REGISTRATION_KIND_BIRTH: return std::string(kBirthRegistered);
        case v1::REGISTRATION_KIND_DEATH: return std::string(kDeathRegistered);
        case v1::REGISTRATION_KIND_DIVORCE_NOTED: return std::string(kDivorceRecorded);
        default: return "";
      }
    default: return "";
  }
}

absl::StatusOr<std::vector<Event>> EventsOf(const VersionRow& row) {
  v1::RecordEnvelope e, previous;
  if (!e.ParseFromString(row.envelope)) {
    return absl::DataLossError(absl::StrCat("record_versions ", row.business_key, " v",
                                            row.version, ": the stored envelope does not parse"));
  }
  const bool has_previous = !row.previous.empty();
  if (has_previous && !previous.ParseFromString(row.previous)) {
    return absl::DataLossError(absl::StrCat("record_versions ", row.business_key, " v",
                                            row.version - 1,
                                            ": the stored envelope does not parse"));
  }
  // A VOID's envelope has no content: the record's kind is the previous version's.
  const v1::RecordEnvelope& kind_of = e.record_case() != v1::RecordEnvelope::RECORD_NOT_SET || !has_previous ? e : previous;
  const std::string base = BaseType(kind_of);
  if (base.empty()) return std::vector<Event>{};

  json record = {{"business_key", row.business_key},
                 {"kind", rules::KindName(kind_of.kind())},
                 {"version", row.version},
                 {"action", row.action}};
  std::vector<Event> out;
  Event own;
  own.base_type = base;
  own.payload["record"] = record;
  if (row.action == "VOID") {
    own.type = std::string(kRecordVoided);
    if (!e.reason().empty()) own.payload["void"] = {{"reason", e.reason()}};
  } else {
    own.type = row.action == "AMEND" ? std::string(kRecordAmended) : base;
    ContentFields(e, own.payload);
  }
  out.push_back(std::move(own));

  // Status changes: facts of the new content against those of the version before.
  const bool voided = row.action == "VOID";
  std::set<StatusFact> now = StatusFacts(voided ? nullptr : &e);
  std::set<StatusFact> before = StatusFacts(has_previous ? &previous : nullptr);
  std::map<std::string, std::vector<std::pair<StatusFact, const char*>>> by_person;
  for (const auto& f : now) {
    if (!before.count(f)) by_person[std::get<0>(f)].emplace_back(f, "ASSERTED");
  }
  for (const auto& f : before) {
    if (!now.count(f)) by_person[std::get<0>(f)].emplace_back(f, "WITHDRAWN");
  }
  for (const auto& [person, changes] : by_person) {
    for (const auto& [fact, change] : changes) {
      Event status;
      status.type = std::string(kStatusChanged);
      status.base_type = base;
      status.person = person;
      status.payload["record"] = record;
      json s = {{"personal_id", person}, {"fact", std::get<1>(fact)}, {"change", change}};
      if (!std::get<2>(fact).empty()) s["date"] = std::get<2>(fact);
      status.payload["status"] = std::move(s);
      out.push_back(std::move(status));
    }
  }
  return out;
}

json Project(const json& payload, const std::set<std::string>& allowed) {
  json out = ProjectValue(payload, "", allowed);
  return out.is_null() ? json::object() : out;
}

std::set<std::string> FieldPaths(const json& payload) {
  std::set<std::string> out;
  Leaves(payload, "", out);
  return out;
}

}  // namespace crvs::feeds
