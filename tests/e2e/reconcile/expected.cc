#include "tests/e2e/reconcile/expected.h"

#include <absl/strings/str_cat.h>

#include <regex>
#include <vector>

#include "services/records/records.h"

namespace crvs::e2e::population {
namespace {

namespace common = ::crvs::common::v1;
using reconcile::v1::Manifest;
using reconcile::v1::ManifestEntry;

// The database after every submission: each key's latest content and whether it was voided.
struct Stored {
  const v1::RecordEnvelope* content = nullptr;  // the latest SUBMIT or AMEND
  bool voided = false;
};
using Database = std::map<std::string, Stored>;

Database FinalContent(const Population& p) {
  Database db;
  for (const auto* wave : {&p.submits, &p.changes}) {
    for (const auto& e : *wave) {
      Stored& s = db[records::KeyOf(e).value];
      if (e.action() == v1::ACTION_VOID) {
        s.voided = true;
      } else {
        s.content = &e;
      }
    }
  }
  return db;
}

absl::CivilDay Day(const common::LocalDate& d) {
  return absl::CivilDay(d.year(), d.month(), d.day());
}
absl::Time Instant(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}
absl::CivilDay LocalDay(const google::protobuf::Timestamp& t) {
  return absl::ToCivilDay(Instant(t), VietnamTime());
}
absl::CivilDay LocalDay(const common::DateTime& dt) {
  return absl::ToCivilDay(Instant(dt.instant()), absl::FixedTimeZone(dt.utc_offset_minutes() * 60));
}

// The date a record falls in a period by: issued_at for certificates and notices, legal effect
// for decisions (none while pending).
std::optional<absl::CivilDay> DatedOn(const v1::RecordEnvelope& e) {
  if (e.has_birth_certificate()) return LocalDay(e.birth_certificate().issued_at());
  if (e.has_death_notice()) return LocalDay(e.death_notice().issued_at());
  if (e.has_divorce_decision() && e.divorce_decision().has_legal_effect_date()) {
    return Day(e.divorce_decision().legal_effect_date());
  }
  return std::nullopt;
}

bool InScope(const Manifest& m, const CoverageScope& scope) {
  const absl::CivilDay start = Day(m.period_start());
  return m.backlog_inventory() == scope.backlog && start >= scope.first &&
         start >= scope.min_period_start && Day(m.period_end()) <= scope.last;
}

using SourceKind = std::pair<std::string, v1::RecordKind>;
using Declarations = std::map<SourceKind, std::map<std::string, const ManifestEntry*>>;

// Declared entries of the manifests in scope by source and kind, a later entry of a key
// replacing an earlier one.
Declarations Declared(const Population& p, const CoverageScope& scope) {
  Declarations declared;
  for (const Manifest& m : p.manifests) {
    if (!InScope(m, scope)) continue;
    auto& keys = declared[{records::FormatPrincipal(m.source()), m.kind()}];
    for (const ManifestEntry& e : m.entries()) keys[e.business_key()] = &e;
  }
  return declared;
}

CoverageCounts CountDeclared(const std::map<std::string, const ManifestEntry*>& keys,
                             const Database& db, absl::Time latest_commit, absl::Duration sla) {
  CoverageCounts c;
  for (const auto& [key, entry] : keys) {
    ++c.declared;
    auto it = db.find(key);
    if (it == db.end() || it->second.voided) {
      ++c.missing;
      if (it != db.end()) ++c.content_mismatch;  // declared, but voided in the database
      continue;
    }
    ++c.present;
    if (Instant(entry->issued_at()) + sla >= latest_commit) ++c.present_on_time;
    const std::string stored = records::ContentHash(*records::RecordOf(*it->second.content));
    if (!entry->content_hash().empty() && entry->content_hash() != stored) ++c.content_mismatch;
  }
  return c;
}

// --- events ------------------------------------------------------------------------------------

struct Event {
  absl::CivilDay date;
  std::string commune;
  bool facility = false;  // evidenced by a notice of a death in a facility
  std::optional<absl::CivilDay> registered;
};

void RegisteredOn(absl::CivilDay day, Event* e) {
  if (!e->registered || day < *e->registered) e->registered = day;
}

// The facility records of the events: certificates (births) or notices (deaths) in force.
std::map<std::string, Event> FacilityEvents(const Database& db, v1::RegistrationKind kind) {
  std::map<std::string, Event> events;
  for (const auto& [key, s] : db) {
    if (s.voided) continue;
    const v1::RecordEnvelope& e = *s.content;
    if (kind == v1::REGISTRATION_KIND_BIRTH && e.has_birth_certificate()) {
      const auto& b = e.birth_certificate();
      events[key] = {LocalDay(b.child().born_at()), b.place_of_birth().commune_code(), false, {}};
    } else if (kind == v1::REGISTRATION_KIND_DEATH && e.has_death_notice()) {
      const auto& d = e.death_notice();
      events[key] = {LocalDay(d.died_at()),
                     d.place_of_death().commune_code(),
                     d.place_of_death().in_facility(),
                     {}};
    }
  }
  return events;
}

std::string LinkedKey(const v1::Registration& r) {
  if (r.has_birth_certificate()) return records::KeyOf(r.birth_certificate()).value;
  if (r.has_death_notice()) return records::KeyOf(r.death_notice()).value;
  return "";
}

// Births or deaths: facility records in force, plus registrations without one (home events),
// deduplicated through the registrations' links (docs/indicators.md, "Events").
std::map<std::string, Event> Events(const Database& db, v1::RegistrationKind kind) {
  std::map<std::string, Event> events = FacilityEvents(db, kind);
  std::map<std::string, std::vector<const v1::Registration*>> unmatched;  // by linked key
  for (const auto& [key, s] : db) {
    if (s.voided || !s.content->has_registration()) continue;
    const v1::Registration& r = s.content->registration();
    if (r.kind() != kind) continue;
    const std::string link = LinkedKey(r);
    if (link.empty()) {
      events[key] = {Day(r.event_date()), r.key().registry_office_code(), false,
                     Day(r.registration_date())};
    } else if (auto it = events.find(link); it != events.end()) {
      RegisteredOn(Day(r.registration_date()), &it->second);
    } else {
      unmatched[link].push_back(&r);
    }
  }
  for (const auto& [link, registrations] : unmatched) {
    Event e{Day(registrations[0]->event_date()), registrations[0]->key().registry_office_code(),
            false, std::nullopt};
    for (const v1::Registration* r : registrations) {
      if (Day(r->event_date()) < e.date) {
        e.date = Day(r->event_date());
        e.commune = r->key().registry_office_code();
      }
      RegisteredOn(Day(r->registration_date()), &e);
    }
    events[link] = e;
  }
  return events;
}

// --- areas -------------------------------------------------------------------------------------

class Areas {
 public:
  Areas(const Population& p, const Database& db) {
    for (const Commune& c : p.communes) {
      if (c.listed) provinces_[c.code] = c.province;
    }
    for (const Source& s : p.sources) {
      if (s.listed) locations_[s.principal] = s.commune;
    }
    LocateUnlistedFacilities(db);
  }

  std::string Province(const std::string& commune) const {
    auto it = provinces_.find(commune);
    return it == provinces_.end() ? "??" : it->second;
  }
  // The source's province; nullopt for a court without a configured location.
  std::optional<std::string> SourceProvince(const std::string& principal) const {
    auto it = locations_.find(principal);
    if (it == locations_.end()) return std::nullopt;
    return Province(it->second);
  }

 private:
  // A facility missing from the sources file is where most of its in-facility births and
  // deaths took place (the smallest commune code on a tie).
  void LocateUnlistedFacilities(const Database& db) {
    std::map<std::string, std::map<std::string, int64_t>> counts;  // principal → commune → n
    for (const auto& [key, s] : db) {
      if (s.voided) continue;
      const v1::RecordEnvelope& e = *s.content;
      const std::string source = records::FormatPrincipal(e.source());
      if (e.has_birth_certificate() && e.birth_certificate().place_of_birth().in_facility()) {
        ++counts[source][e.birth_certificate().place_of_birth().commune_code()];
      } else if (e.has_death_notice() && e.death_notice().place_of_death().in_facility()) {
        ++counts[source][e.death_notice().place_of_death().commune_code()];
      }
    }
    for (const auto& [source, communes] : counts) {
      if (locations_.count(source)) continue;
      int64_t best = 0;
      for (const auto& [commune, n] : communes) {
        if (n > best) {
          best = n;
          locations_[source] = commune;
        }
      }
    }
  }

  std::map<std::string, std::string> provinces_;  // commune → province
  std::map<std::string, std::string> locations_;  // source principal → commune
};

// --- indicators --------------------------------------------------------------------------------

// Adds `c` to the national row and, when known, the province's.
void Add(IndicatorTable* table, const std::string& id, const std::optional<std::string>& province,
         const IndicatorCounts& c) {
  if (c == IndicatorCounts{}) return;
  (*table)[id][""] += c;
  if (province) (*table)[id][*province] += c;
}

// One event's contribution to an on-time rate with a deadline of `days`.
IndicatorCounts Timeliness(const Event& e, int days, absl::CivilDay as_of) {
  IndicatorCounts c;
  if (e.date + days > as_of) {
    c.open_not_mature = 1;
  } else {
    c.denominator = 1;
    c.numerator = e.registered && *e.registered - e.date <= days ? 1 : 0;
  }
  return c;
}

struct RateSpec {
  const char* id;
  int days;
  bool facility_only;
};

void EventIndicators(const std::map<std::string, Event>& events,
                     std::initializer_list<RateSpec> rates, const Calendar& cal, const Areas& areas,
                     IndicatorTable* table) {
  for (const auto& [key, e] : events) {
    if (e.date < cal.first_day || e.date > cal.today) continue;
    for (const RateSpec& rate : rates) {
      if (rate.facility_only && !e.facility) continue;
      Add(table, rate.id, areas.Province(e.commune), Timeliness(e, rate.days, cal.today));
    }
  }
}

// An underlying cause with a valid ICD-10 code outside chapter R.
bool Certified(const v1::DeathNotice& d) {
  static const std::regex kIcd10(R"(^[A-Z][0-9]{2}(\.[0-9A-Z]{1,2})?$)");
  for (const auto& line : d.cause_of_death().chain()) {
    if (line.role() != v1::CAUSE_ROLE_UNDERLYING) continue;
    return std::regex_match(line.icd10_code(), kIcd10) && line.icd10_code()[0] != 'R';
  }
  return false;
}

void NoticeIndicators(const Database& db, const Calendar& cal, const Areas& areas,
                      IndicatorTable* table) {
  for (const auto& [key, s] : db) {
    if (s.voided || !s.content->has_death_notice()) continue;
    const v1::DeathNotice& d = s.content->death_notice();
    if (!d.place_of_death().in_facility()) continue;  // D5 counts deaths in a facility
    const absl::CivilDay died = LocalDay(d.died_at());  // by the date of death, not of the paper
    if (died < cal.first_day || died > cal.today) continue;
    Add(table, "D5", areas.Province(d.place_of_death().commune_code()),
        IndicatorCounts{Certified(d) ? 1 : 0, 1, 0});
  }
}

void SyncIndicator(const char* id, const CoverageRows& rows, bool on_time, const Areas& areas,
                   IndicatorTable* table) {
  for (const auto& [source_kind, c] : rows) {
    Add(table, id, areas.SourceProvince(source_kind.first),
        IndicatorCounts{on_time ? c.present_on_time : c.present, c.declared, 0});
  }
}

CoverageRows OfKind(CoverageRows rows, v1::RecordKind kind) {
  for (auto it = rows.begin(); it != rows.end();) {
    it = it->first.second == kind ? std::next(it) : rows.erase(it);
  }
  return rows;
}

}  // namespace

CoverageCounts& CoverageCounts::operator+=(const CoverageCounts& o) {
  declared += o.declared;
  present += o.present;
  present_on_time += o.present_on_time;
  content_mismatch += o.content_mismatch;
  missing += o.missing;
  extra += o.extra;
  return *this;
}

bool operator==(const CoverageCounts& a, const CoverageCounts& b) {
  return a.declared == b.declared && a.present == b.present &&
         a.present_on_time == b.present_on_time && a.content_mismatch == b.content_mismatch &&
         a.missing == b.missing && a.extra == b.extra;
}

void PrintTo(const CoverageCounts& c, std::ostream* os) {
  *os << absl::StrCat("{declared ", c.declared, ", present ", c.present, ", on_time ",
                      c.present_on_time, ", mismatch ", c.content_mismatch, ", missing ", c.missing,
                      ", extra ", c.extra, "}");
}

CoverageRows ExpectedCoverage(const Population& p, const CoverageScope& scope, absl::Duration sla) {
  const Database db = FinalContent(p);
  const Declarations declared = Declared(p, scope);
  CoverageRows rows;
  for (const auto& [source_kind, keys] : declared) {
    rows[source_kind] = CountDeclared(keys, db, p.calendar.now + kMaxPushTime, sla);
  }
  for (const auto& [key, s] : db) {
    if (s.voided) continue;
    const SourceKind source_kind{records::FormatPrincipal(s.content->source()),
                                 records::KindOf(*s.content)};
    auto row = rows.find(source_kind);
    const auto day = DatedOn(*s.content);
    if (row == rows.end() || !day || *day < scope.first || *day > scope.last) continue;
    if (!declared.at(source_kind).count(key)) ++row->second.extra;
  }
  return rows;
}

CoverageCounts Total(const CoverageRows& rows) {
  CoverageCounts total;
  for (const auto& [source_kind, c] : rows) total += c;
  return total;
}

IndicatorCounts& IndicatorCounts::operator+=(const IndicatorCounts& o) {
  numerator += o.numerator;
  denominator += o.denominator;
  open_not_mature += o.open_not_mature;
  return *this;
}

std::optional<double> IndicatorCounts::Percent() const {
  if (denominator == 0) return std::nullopt;
  return 100.0 * static_cast<double>(numerator) / static_cast<double>(denominator);
}

bool operator==(const IndicatorCounts& a, const IndicatorCounts& b) {
  return a.numerator == b.numerator && a.denominator == b.denominator &&
         a.open_not_mature == b.open_not_mature;
}

void PrintTo(const IndicatorCounts& c, std::ostream* os) {
  *os << absl::StrCat("{", c.numerator, "/", c.denominator, ", open ", c.open_not_mature, "}");
}

IndicatorTable ExpectedIndicators(const Population& p, absl::Duration sla) {
  const Calendar& cal = p.calendar;
  const Database db = FinalContent(p);
  const Areas areas(p, db);
  IndicatorTable table;
  EventIndicators(Events(db, v1::REGISTRATION_KIND_BIRTH), {{"B1", 60, false}, {"B2", 365, false}},
                  cal, areas, &table);
  EventIndicators(Events(db, v1::REGISTRATION_KIND_DEATH),
                  {{"D1", 15, false}, {"D2", 365, false}, {"D3", 15, true}}, cal, areas, &table);
  NoticeIndicators(db, cal, areas, &table);

  const CoverageScope year{cal.first_day, absl::CivilDay(cal.year, 12, 31), false};
  const CoverageRows rows = ExpectedCoverage(p, year, sla);
  SyncIndicator("B3", OfKind(rows, v1::RECORD_KIND_BIRTH_CERTIFICATE), true, areas, &table);
  SyncIndicator("D4", OfKind(rows, v1::RECORD_KIND_DEATH_NOTICE), true, areas, &table);
  CoverageScope effective = year;
  effective.min_period_start = absl::CivilDay(2026, 1, 1);
  SyncIndicator("V1", OfKind(ExpectedCoverage(p, effective, sla), v1::RECORD_KIND_DIVORCE_DECISION),
                false, areas, &table);
  const CoverageScope backlog{absl::CivilDay(1, 1, 1), absl::CivilDay(9999, 12, 31), true};
  SyncIndicator("V2", ExpectedCoverage(p, backlog, sla), false, areas, &table);
  return table;
}

AckCounts ExpectedAck(const Manifest& m) {
  std::map<std::string, int> seen;
  AckCounts ack;
  for (const ManifestEntry& e : m.entries()) {
    if (seen[e.business_key()]++ == 0) {
      ++ack.entries;
    } else {
      ++ack.duplicate_entries;
    }
  }
  return ack;
}

}  // namespace crvs::e2e::population
