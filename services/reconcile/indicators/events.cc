#include "services/reconcile/indicators/events.h"

#include <absl/strings/substitute.h>

#include <algorithm>
#include <map>
#include <set>

#include "services/platform/status.h"
#include "services/store/sql.h"
#include "services/validation/validators.h"

namespace crvs::reconcile::indicators {
namespace {

using store::sql::Rows;
using store::sql::Value;

// The columns of one kind of event evidence.
struct EvidenceTables {
  const char* table;           // certificates / notices
  const char* date_column;     // their event date
  const char* commune_column;  // their event commune
  const char* registration_kind;
};

constexpr EvidenceTables kBirths{"birth_certificates", "born_on", "birth_commune_code", "BIRTH"};
constexpr EvidenceTables kDeaths{"death_notices", "died_on", "death_commune_code", "DEATH"};

// Records known on the as-of date: "x" joined to its current state and first commit (a
// substitution argument, so its "$1" is literal: the as-of cut-off, in microseconds, the start
// of the next local day).
constexpr char kKnownJoin[] =
    " JOIN records r ON r.business_key = x.business_key"
    " JOIN record_versions v ON v.business_key = x.business_key AND v.version = 1"
    " WHERE r.state <> 'VOIDED' AND v.committed_at_us < $1";

// The statements below are absl::Substitute patterns: $0 = the event date column, $1 = the
// commune column, $2 = the certificates' / notices' table, $3 = kKnownJoin; "$$n" becomes the
// SQL placeholder $n: $1 the cut-off, $2 and $3 the window's first and last dates, $4 the
// registration kind.
//
// Certificates dated in the window, and those that registrations dated in the window link
// (they decide whether such a registration registers a present certificate).
constexpr char kRecordsSql[] =
    "SELECT x.business_key, x.facility_code, x.$0, x.$1, x.in_facility, x.issued_at_us"
    " FROM $2 x$3"
    " AND (x.$0 BETWEEN $$2 AND $$3 OR x.business_key IN (SELECT g.linked_key FROM registrations g"
    " WHERE g.registration_kind = $$4 AND g.event_date BETWEEN $$2 AND $$3))";

// Registrations dated in the window, those linking a certificate dated in it, and those linking
// the same key as one dated in it (an absent certificate's event takes the earliest date).
constexpr char kRegistrationsSql[] =
    "SELECT x.business_key, x.registry_office_code, x.event_date, x.registration_date,"
    " x.linked_key FROM registrations x$3 AND x.registration_kind = $$4"
    " AND (x.event_date BETWEEN $$2 AND $$3"
    " OR x.linked_key IN (SELECT c.business_key FROM $2 c WHERE c.$0 BETWEEN $$2 AND $$3)"
    " OR x.linked_key IN (SELECT g.linked_key FROM registrations g"
    " WHERE g.registration_kind = $$4 AND g.event_date BETWEEN $$2 AND $$3))";

// Notices of deaths in a health facility dated (died_on, the local date of death) in
// [$2, $3]; $0 = kKnownJoin. When the notice was issued does not matter: a death on 30 December
// certified on 3 January belongs to the year it happened in.
constexpr char kNoticesSql[] =
    "SELECT x.facility_code, x.death_commune_code, x.underlying_icd10, x.issued_at_us"
    " FROM death_notices x$0"
    " AND x.in_facility = 1 AND x.died_on BETWEEN $$2 AND $$3";

std::string Sql(const char* pattern, const EvidenceTables& t) {
  return absl::Substitute(pattern, t.date_column, t.commune_column, t.table, kKnownJoin);
}

int64_t CutOffMicros(absl::CivilDay known_by) {
  return absl::ToUnixMicros(StartOfVietnamDay(known_by + 1));
}

// A certificate's or notice's commune, as counted today: its code was written when it was
// issued (docs/indicators.md, "Records from before the 2025 reorganisation").
std::string CommuneAsOfToday(const Areas& areas, const std::string& code, int64_t issued_at_us) {
  return areas.CurrentCommune(code, VietnamDayOfMicros(issued_at_us));
}

std::vector<FacilityRecord> ToRecords(const Rows& rows, const Areas& areas) {
  std::vector<FacilityRecord> records;
  records.reserve(rows.size());
  for (const auto& row : rows) {
    records.push_back({row[0].AsString(), row[1].AsString(), ParseStoredDate(row[2].AsString()),
                       CommuneAsOfToday(areas, row[3].AsString(), row[5].AsInt()),
                       row[4].AsInt() != 0});
  }
  return records;
}

// Registrations dated <= as_of (an undated one registers nothing).
// Their registry office counts in today's commune: a code written on a registration dated
// before 2025-07-01 is one of the old register (the digitised books).
std::vector<RegistrationRecord> ToRegistrations(const Rows& rows, absl::CivilDay as_of,
                                                const Areas& areas) {
  std::vector<RegistrationRecord> registrations;
  for (const auto& row : rows) {
    std::optional<absl::CivilDay> registered = ParseStoredDate(row[3].AsString());
    if (!registered || *registered > as_of) continue;
    registrations.push_back({row[0].AsString(), areas.CurrentCommune(row[1].AsString(), registered),
                             ParseStoredDate(row[2].AsString()), *registered,
                             row[4].AsString()});
  }
  return registrations;
}

void Register(Event& event, absl::CivilDay on) {
  if (!event.registered_on || on < *event.registered_on) event.registered_on = on;
}

}  // namespace

std::vector<Event> MergeEvidence(const std::vector<FacilityRecord>& records,
                                 std::vector<RegistrationRecord> registrations) {
  std::map<std::string, Event> events;
  for (const FacilityRecord& r : records) {
    if (!r.event_date) continue;
    events[r.key] = Event{r.key, *r.event_date, r.commune, r.facility, r.in_facility, {}};
  }
  std::set<std::string> present;  // keys of records, dated or not
  for (const FacilityRecord& r : records) present.insert(r.key);
  std::sort(registrations.begin(), registrations.end(),
            [](const auto& a, const auto& b) { return a.key < b.key; });
  std::map<std::string, Event> orphans;  // linked key → event of an absent record
  for (const RegistrationRecord& g : registrations) {
    if (present.count(g.linked_key)) {
      auto it = events.find(g.linked_key);
      if (it != events.end()) Register(it->second, g.registration_date);
      continue;
    }
    if (g.linked_key.empty()) {
      if (!g.event_date) continue;
      events[g.key] = Event{g.key, *g.event_date, g.office, "", false, g.registration_date};
      continue;
    }
    Event& e = orphans[g.linked_key];
    if (g.event_date && (e.key.empty() || *g.event_date < e.date)) {
      e.key = g.linked_key;
      e.date = *g.event_date;
      e.commune = g.office;
    }
    Register(e, g.registration_date);
  }
  for (auto& [key, e] : orphans) {
    if (!e.key.empty()) events.emplace(key, std::move(e));  // undated throughout: no event
  }
  std::vector<Event> out;
  out.reserve(events.size());
  for (auto& [key, e] : events) out.push_back(std::move(e));
  return out;
}

absl::StatusOr<std::vector<Event>> LoadEvents(store::Store& store, EventKind kind,
                                              const Period& period, AsOf as_of,
                                              const Areas& areas) {
  const Period window{period.first, std::min(period.last, as_of.day)};
  if (window.last < window.first) return std::vector<Event>{};
  const EvidenceTables& t = kind == EventKind::kBirth ? kBirths : kDeaths;
  const std::vector<Value> params = {Value::Int(CutOffMicros(as_of.known_by)),
                                     Value::Text(FormatDay(window.first)),
                                     Value::Text(FormatDay(window.last)),
                                     Value::Text(t.registration_kind)};
  Rows records, registrations;
  CRVS_RETURN_IF_ERROR(store.Read([&](store::sql::Connection& c) -> absl::Status {
    CRVS_ASSIGN_OR_RETURN(records, c.Execute(Sql(kRecordsSql, t), params));
    CRVS_ASSIGN_OR_RETURN(registrations, c.Execute(Sql(kRegistrationsSql, t), params));
    return absl::OkStatus();
  }));
  std::vector<Event> events =
      MergeEvidence(ToRecords(records, areas), ToRegistrations(registrations, as_of.day, areas));
  events.erase(std::remove_if(events.begin(), events.end(),
                              [&](const Event& e) { return !window.Contains(e.date); }),
               events.end());
  return events;
}

absl::StatusOr<std::vector<Notice>> LoadNotices(store::Store& store, const Period& period,
                                                AsOf as_of, const Areas& areas) {
  const Period window{period.first, std::min(period.last, as_of.day)};
  if (window.last < window.first) return std::vector<Notice>{};
  const std::vector<Value> params = {Value::Int(CutOffMicros(as_of.known_by)),
                                     Value::Text(FormatDay(window.first)),
                                     Value::Text(FormatDay(window.last))};
  Rows rows;
  CRVS_RETURN_IF_ERROR(store.Read([&](store::sql::Connection& c) -> absl::Status {
    CRVS_ASSIGN_OR_RETURN(rows, c.Execute(absl::Substitute(kNoticesSql, kKnownJoin), params));
    return absl::OkStatus();
  }));
  std::vector<Notice> notices;
  notices.reserve(rows.size());
  for (const auto& row : rows) {
    notices.push_back({row[0].AsString(), CommuneAsOfToday(areas, row[1].AsString(), row[3].AsInt()),
                       validation::IsCertifiedCauseCode(row[2].AsString())});
  }
  return notices;
}

}  // namespace crvs::reconcile::indicators
