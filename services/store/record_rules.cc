#include "services/store/record_rules.h"

#include <absl/strings/str_cat.h>
#include <absl/time/civil_time.h>
#include <absl/time/time.h>

#include <algorithm>
#include <cstdio>
#include <cstddef>
#include <tuple>
#include <utility>

#include "services/platform/status.h"
#include "services/records/records.h"

namespace crvs::store::rules {
namespace {

// The stored names of the store's enums, every value once.
template <class E>
using Name = std::pair<E, std::string_view>;

constexpr Name<RecordState> kStateNames[] = {
    {RecordState::kUnspecified, "UNSPECIFIED"},
    {RecordState::kActive, "ACTIVE"},
    {RecordState::kVoided, "VOIDED"},
    {RecordState::kPendingEffect, "PENDING_EFFECT"},
    {RecordState::kEffective, "EFFECTIVE"},
    {RecordState::kSetAside, "SET_ASIDE"},
    {RecordState::kConflict, "CONFLICT"},
};
constexpr Name<VitalStatus> kVitalNames[] = {
    {VitalStatus::kUnspecified, "UNSPECIFIED"},
    {VitalStatus::kUnknown, "UNKNOWN"},
    {VitalStatus::kAlive, "ALIVE"},
    {VitalStatus::kDeceased, "DECEASED"},
};
constexpr Name<MaritalStatus> kMaritalNames[] = {
    {MaritalStatus::kUnspecified, "UNSPECIFIED"},
    {MaritalStatus::kUnknown, "UNKNOWN"},
    {MaritalStatus::kMarried, "MARRIED"},
    {MaritalStatus::kDivorced, "DIVORCED"},
    {MaritalStatus::kWidowed, "WIDOWED"},
    {MaritalStatus::kAnnulled, "ANNULLED"},
};
constexpr Name<DeadLetterState> kDeadLetterStateNames[] = {
    {DeadLetterState::kUnspecified, "UNSPECIFIED"},
    {DeadLetterState::kOpen, "OPEN"},
    {DeadLetterState::kReplayed, "REPLAYED"},
    {DeadLetterState::kDiscarded, "DISCARDED"},
};

template <class E, size_t N>
std::string NameOf(const Name<E> (&names)[N], E value) {
  for (const auto& [v, name] : names) {
    if (v == value) return std::string(name);
  }
  return "";
}

template <class E, size_t N>
E Parse(const Name<E> (&names)[N], std::string_view name, E otherwise) {
  for (const auto& [v, n] : names) {
    if (n == name) return v;
  }
  return otherwise;
}

}  // namespace

std::string StripEnumPrefix(const std::string& name, std::string_view prefix) {
  return name.compare(0, prefix.size(), prefix) == 0 ? name.substr(prefix.size()) : name;
}

std::string LinkedKey(const v1::Registration& r) {
  switch (r.linked_case()) {
    case v1::Registration::kBirthCertificate:
      return records::KeyOf(r.birth_certificate()).value;
    case v1::Registration::kDeathNotice:
      return records::KeyOf(r.death_notice()).value;
    case v1::Registration::kDivorceDecision:
      return records::KeyOf(r.divorce_decision()).value;
    case v1::Registration::LINKED_NOT_SET:
      break;
  }
  return "";
}

absl::Status CheckEnvelope(const v1::RecordEnvelope& e) {
  std::vector<FieldViolation> violations;
  if (e.message_id().empty()) violations.push_back({"message_id", "required"});
  if (e.record_case() == v1::RecordEnvelope::RECORD_NOT_SET) {
    violations.push_back({"record", "required: no record in the envelope"});
  } else {
    if (e.kind() != records::KindOf(e)) {
      violations.push_back(
          {"kind", absl::StrCat(v1::RecordKind_Name(e.kind()), " does not match the record (",
                                v1::RecordKind_Name(records::KindOf(e)), ")")});
    }
    std::string key = records::KeyOf(e).value;
    if (e.business_key() != key) {
      violations.push_back(
          {"business_key",
           absl::StrCat("\"", e.business_key(), "\" is not the record's key \"", key, "\"")});
    }
  }
  if (e.action() == v1::ACTION_UNSPECIFIED || !v1::Action_IsValid(e.action())) {
    violations.push_back({"action", "required"});
  }
  if ((e.action() == v1::ACTION_AMEND || e.action() == v1::ACTION_VOID) && e.reason().empty()) {
    violations.push_back({"reason", "required for AMEND and VOID"});
  }
  if (e.content_hash().size() != 32) {
    violations.push_back({"content_hash", absl::StrCat("must be 32 bytes (SHA-256), got ",
                                                       e.content_hash().size())});
  }
  if (e.source().kind() == common::v1::PRINCIPAL_KIND_UNSPECIFIED || e.source().code().empty()) {
    violations.push_back({"source", "required (kind and code)"});
  }
  if (!e.has_issued_at()) violations.push_back({"issued_at", "required"});
  if (violations.empty()) return absl::OkStatus();
  return InvalidArgument(violations);
}

std::string KindName(v1::RecordKind kind) {
  return StripEnumPrefix(v1::RecordKind_Name(kind), "RECORD_KIND_");
}
std::string ActionName(v1::Action action) {
  return StripEnumPrefix(v1::Action_Name(action), "ACTION_");
}
std::string StateName(RecordState state) { return NameOf(kStateNames, state); }
v1::RecordKind ParseKind(std::string_view name) {
  v1::RecordKind kind = v1::RECORD_KIND_UNSPECIFIED;
  v1::RecordKind_Parse(std::string("RECORD_KIND_").append(name), &kind);
  return kind;
}
v1::Action ParseAction(std::string_view name) {
  v1::Action action = v1::ACTION_UNSPECIFIED;
  v1::Action_Parse(std::string("ACTION_").append(name), &action);
  return action;
}
RecordState ParseState(std::string_view name) {
  return Parse(kStateNames, name, RecordState::kUnspecified);
}

std::string VitalName(VitalStatus status) { return NameOf(kVitalNames, status); }
std::string MaritalName(MaritalStatus status) { return NameOf(kMaritalNames, status); }
VitalStatus ParseVital(std::string_view name) {
  return Parse(kVitalNames, name, VitalStatus::kUnknown);
}
MaritalStatus ParseMarital(std::string_view name) {
  return Parse(kMaritalNames, name, MaritalStatus::kUnknown);
}

std::string DeadLetterStateName(DeadLetterState state) {
  return NameOf(kDeadLetterStateNames, state);
}
DeadLetterState ParseDeadLetterState(std::string_view name) {
  return Parse(kDeadLetterStateNames, name, DeadLetterState::kUnspecified);
}

std::string FormatDate(const common::v1::LocalDate& d) {
  if (d.year() == 0 && d.month() == 0 && d.day() == 0) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year(), d.month(), d.day());
  return buf;
}

bool ParseDate(std::string_view text, common::v1::LocalDate* date) {
  int y = 0, m = 0, d = 0;
  if (text.size() != 10 || std::sscanf(std::string(text).c_str(), "%4d-%2d-%2d", &y, &m, &d) != 3) {
    return false;
  }
  date->set_year(y);
  date->set_month(m);
  date->set_day(d);
  return true;
}

std::string LocalDateOf(const common::v1::DateTime& at) {
  if (!at.has_instant()) return "";
  absl::Time t = absl::FromUnixSeconds(at.instant().seconds());
  absl::CivilDay day = absl::ToCivilDay(t, absl::FixedTimeZone(at.utc_offset_minutes() * 60));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", static_cast<int>(day.year()), day.month(),
                day.day());
  return buf;
}

RecordState StateOf(const v1::RecordEnvelope& content, std::string* detail) {
  detail->clear();
  if (content.record_case() != v1::RecordEnvelope::kDivorceDecision) {
    return RecordState::kActive;
  }
  const auto& d = content.divorce_decision();
  if (d.has_set_aside()) {
    *detail = absl::StrCat("set aside on ", FormatDate(d.set_aside().set_aside_on()), " by ",
                           d.set_aside().by_decision_no());
    return RecordState::kSetAside;
  }
  if (d.has_legal_effect_date()) return RecordState::kEffective;
  return RecordState::kPendingEffect;
}

std::vector<PersonFact> FactsOf(const v1::RecordEnvelope& content) {
  std::vector<PersonFact> facts;
  const std::string& key = content.business_key();
  auto add = [&](const common::v1::Person& person, std::string_view fact, std::string date) {
    const std::string& id = person.personal_id().number();
    if (id.empty()) return;
    PersonFact f{id, key, std::string(fact), std::move(date)};
    if (std::find(facts.begin(), facts.end(), f) == facts.end()) facts.push_back(std::move(f));
  };
  switch (content.record_case()) {
    case v1::RecordEnvelope::kBirthCertificate: {
      const auto& b = content.birth_certificate();
      if (b.has_mother()) add(b.mother(), kMentioned, "");
      if (b.has_father()) add(b.father(), kMentioned, "");
      break;
    }
    case v1::RecordEnvelope::kDeathNotice: {
      const auto& d = content.death_notice();
      add(d.deceased(), kDeathNotice, LocalDateOf(d.died_at()));
      break;
    }
    case v1::RecordEnvelope::kDivorceDecision: {
      const auto& d = content.divorce_decision();
      std::string detail;
      switch (StateOf(content, &detail)) {
        case RecordState::kEffective: {
          auto fact = d.kind() == v1::DECISION_KIND_ANNULMENT ? kAnnulled : kDivorced;
          std::string date = FormatDate(d.legal_effect_date());
          add(d.spouse_a(), fact, date);
          add(d.spouse_b(), fact, date);
          break;
        }
        case RecordState::kSetAside: {
          std::string date = FormatDate(d.set_aside().set_aside_on());
          add(d.spouse_a(), kDivorceSetAside, date);
          add(d.spouse_b(), kDivorceSetAside, date);
          break;
        }
        default:
          add(d.spouse_a(), kMentioned, "");
          add(d.spouse_b(), kMentioned, "");
          break;
      }
      break;
    }
    case v1::RecordEnvelope::kRegistration: {
      const auto& r = content.registration();
      if (r.kind() == v1::REGISTRATION_KIND_DEATH) {
        add(r.subject(), kDeathRegistered, FormatDate(r.event_date()));
      } else {
        add(r.subject(), kMentioned, "");
        for (const auto& other : r.other_persons()) add(other, kMentioned, "");
      }
      break;
    }
    case v1::RecordEnvelope::RECORD_NOT_SET:
      break;
  }
  return facts;
}

namespace {

std::string EscapeFactField(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (char c : field) {
    if (c == '%') {
      out += "%25";
    } else if (c == '\t') {
      out += "%09";
    } else if (c == '\n') {
      out += "%0A";
    } else {
      out += c;
    }
  }
  return out;
}

std::string UnescapeFactField(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '%' && i + 2 < field.size()) {
      std::string_view code = field.substr(i + 1, 2);
      if (code == "25" || code == "09" || code == "0A") {
        out += code == "25" ? '%' : code == "09" ? '\t' : '\n';
        i += 2;
        continue;
      }
    }
    out += field[i];
  }
  return out;
}

}  // namespace

std::string FormatFacts(std::vector<PersonFact> facts) {
  std::sort(facts.begin(), facts.end(), [](const PersonFact& a, const PersonFact& b) {
    return std::tie(a.business_key, a.fact, a.date) < std::tie(b.business_key, b.fact, b.date);
  });
  std::string out;
  for (const PersonFact& f : facts) {
    if (!out.empty()) out += '\n';
    absl::StrAppend(&out, EscapeFactField(f.business_key), "\t", EscapeFactField(f.fact), "\t",
                    EscapeFactField(f.date));
  }
  return out;
}

std::vector<PersonFact> ParseFacts(const std::string& personal_id, std::string_view text) {
  std::vector<PersonFact> facts;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    size_t a = line.find('\t');
    size_t b = a == std::string_view::npos ? a : line.find('\t', a + 1);
    if (b == std::string_view::npos) continue;
    facts.push_back({personal_id, UnescapeFactField(line.substr(0, a)),
                     UnescapeFactField(line.substr(a + 1, b - a - 1)),
                     UnescapeFactField(line.substr(b + 1))});
  }
  return facts;
}

DerivedPerson DerivePerson(const std::vector<PersonFact>& facts) {
  DerivedPerson out;
  if (facts.empty()) return out;
  out.vital_status = VitalStatus::kAlive;

  std::vector<const PersonFact*> registered, notices, marital;
  for (const auto& f : facts) {
    if (f.fact == kDeathRegistered) registered.push_back(&f);
    if (f.fact == kDeathNotice) notices.push_back(&f);
    if (f.fact == kDivorced || f.fact == kAnnulled || f.fact == kDivorceSetAside) {
      marital.push_back(&f);
    }
  }
  auto earliest_first = [](const PersonFact* a, const PersonFact* b) {
    return std::tie(a->date, a->business_key) < std::tie(b->date, b->business_key);
  };
  std::sort(registered.begin(), registered.end(), earliest_first);
  std::sort(notices.begin(), notices.end(), earliest_first);
  // Latest first; on the same date a set-aside outranks the effect it reverses.
  std::sort(marital.begin(), marital.end(), [](const PersonFact* a, const PersonFact* b) {
    bool a_set_aside = a->fact == kDivorceSetAside, b_set_aside = b->fact == kDivorceSetAside;
    return std::tie(a->date, a_set_aside, a->business_key) >
           std::tie(b->date, b_set_aside, b->business_key);
  });

  if (!registered.empty() || !notices.empty()) {
    out.vital_status = VitalStatus::kDeceased;
    out.date_of_death = !registered.empty() ? registered.front()->date : notices.front()->date;
  }
  if (!marital.empty()) {
    const PersonFact& latest = *marital.front();
    out.marital_status = latest.fact == kDivorced   ? MaritalStatus::kDivorced
                         : latest.fact == kAnnulled ? MaritalStatus::kAnnulled
                                                    : MaritalStatus::kMarried;
    out.marital_since = latest.date;
  }
  for (const auto* group : {&registered, &notices, &marital}) {
    for (const PersonFact* f : *group) {
      if (std::find(out.evidence_keys.begin(), out.evidence_keys.end(), f->business_key) ==
          out.evidence_keys.end()) {
        out.evidence_keys.push_back(f->business_key);
      }
    }
  }
  return out;
}

}  // namespace crvs::store::rules
