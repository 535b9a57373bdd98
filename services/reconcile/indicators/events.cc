#include "services/reconcile/indicators/events.h"

#include <absl/strings/str_cat.h>
#include <absl/strings/substitute.h>

#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "services/platform/status.h"
#include "services/store/record_columns.h"
#include "services/store/sql.h"
#include "services/validation/validators.h"

namespace crvs::reconcile::indicators {
namespace {

using store::sql::Row;
using store::sql::Rows;
using store::sql::Value;

// The columns of one kind of event evidence.
struct EvidenceTables {
  const char* kind;            // records.kind of the certificates / notices
  const char* table;           // certificates / notices
  const char* date_column;     // their event date
  const char* commune_column;  // their event commune
  const char* registration_kind;
};

constexpr EvidenceTables kBirths{"BIRTH_CERTIFICATE", "birth_certificates", "born_on", "birth_commune_code", "BIRTH"};
constexpr EvidenceTables kDeaths{"DEATH_NOTICE", "death_notices", "died_on", "death_commune_code", "DEATH"};

// Records known on the as-of date and unchanged since: "x" joined to its current state and
// first commit (a substitution argument, so its "$1" is literal: the as-of cut-off, in
// microseconds, the start of the next local day). A record changed at or after the cut-off
// (every new version rewrites records.updated_at_us) is read from its version in force then
// (kChangedSql) instead: its per-kind row holds newer content.
constexpr char kKnownJoin[] =
    " JOIN records r ON r.business_key = x.business_key"
    " JOIN record_versions v ON v.business_key = x.business_key AND v.version = 1"
    " WHERE r.state <> 'VOIDED' AND v.committed_at_us < $1 AND r.updated_at_us < $1";

// The records of kind $2 and the registrations changed at or after the cut-off $1, each with
// its last version committed before it (none: not yet known then).
constexpr char kChangedSql[] =
    "SELECT v.business_key, v.action, v.envelope FROM records r"
    " JOIN record_versions v ON v.business_key = r.business_key"
    " WHERE r.kind IN ($2, 'REGISTRATION') AND r.updated_at_us >= $1"
    " AND v.version = (SELECT MAX(w.version) FROM record_versions w"
    " WHERE w.business_key = r.business_key AND w.committed_at_us < $1)";

// The columns the statements below select, in order: also how a version read from
// record_versions is projected (Project) to look like a row of theirs.
std::vector<std::string> RecordColumns(const EvidenceTables& t) {
  return {"business_key", "facility_code", t.date_column, t.commune_column, "in_facility",
          "issued_at_us"};
}
const std::vector<std::string> kRegistrationColumns = {
    "business_key", "registry_office_code", "event_date", "registration_date", "linked_key"};
const std::vector<std::string> kNoticeColumns = {"facility_code", "death_commune_code",
                                                      "underlying_icd10", "issued_at_us",
                                                      "died_on", "in_facility"};

std::string SelectList(const std::vector<std::string>& columns) {
  std::string list;
  for (const std::string& c : columns) absl::StrAppend(&list, list.empty() ? "x." : ", x.", c);
  return list;
}

// The statements below are absl::Substitute patterns: $0 = the select list, $1 = the
// certificates' / notices' table, $2 = kKnownJoin, $3 = the event date column; "$$n" becomes
// the SQL placeholder $n: $1 the cut-off, $2 and $3 the window's first and last dates, $4 the
// registration kind.
//
// Certificates dated in the window, and those that registrations dated in the window link
// (they decide whether such a registration registers a present certificate).
constexpr char kRecordsSql[] =
    "SELECT $0 FROM $1 x$2"
    " AND (x.$3 BETWEEN $$2 AND $$3 OR x.business_key IN (SELECT g.linked_key FROM registrations g"
    " WHERE g.registration_kind = $$4 AND g.event_date BETWEEN $$2 AND $$3))";

// Registrations dated in the window, those linking a certificate dated in it, and those linking
// the same key as one dated in it (an absent certificate's event takes the earliest date).
constexpr char kRegistrationsSql[] =
    "SELECT $0 FROM registrations x$2 AND x.registration_kind = $$4"
    " AND (x.event_date BETWEEN $$2 AND $$3"
    " OR x.linked_key IN (SELECT c.business_key FROM $1 c WHERE c.$3 BETWEEN $$2 AND $$3)"
    " OR x.linked_key IN (SELECT g.linked_key FROM registrations g"
    " WHERE g.registration_kind = $$4 AND g.event_date BETWEEN $$2 AND $$3))";

// Notices of deaths in a health facility dated (died_on, the local date of death) in
// [$2, $3]. When the notice was issued does not matter: a death on 30 December certified on
// 3 January belongs to the year it happened in.
constexpr char kNoticesSql[] =
    "SELECT $0 FROM death_notices x$2 AND x.in_facility = 1 AND x.died_on BETWEEN $$2 AND $$3";

std::string Sql(const char* pattern, const std::vector<std::string>& columns,
                const EvidenceTables& t) {
  return absl::Substitute(pattern, SelectList(columns), t.table, kKnownJoin, t.date_column);
}

// The start of the day after as_of.known_by, in microseconds; when that is tomorrow or later,
// no limit (a clock a little ahead elsewhere must not hide today's records).
int64_t CutOff(const AsOf& as_of) {
  if (!as_of.known_by_is_past) return std::numeric_limits<int64_t>::max();
  return absl::ToUnixMicros(StartOfVietnamDay(as_of.known_by + 1));
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

// The records of kind `kind` and the registrations changed at or after `cutoff`, as they
// were before it: the per-kind row of each one known and not voided then. (The statements
// joining kKnownJoin leave all of them out.)
struct Changed {
  std::vector<store::DetailRow> rows;
};

absl::StatusOr<Changed> LoadChanged(store::sql::Connection& c, int64_t cutoff, const char* kind,
                                    bool possible) {
  Changed changed;
  if (!possible) return changed;  // (the statement scans every record)
  CRVS_ASSIGN_OR_RETURN(Rows rows, c.Execute(kChangedSql, {Value::Int(cutoff), Value::Text(kind)}));
  for (const Row& row : rows) {
    const std::string& key = row[0].AsString();
    if (row[1].AsString() == "VOID") continue;
    records::v1::RecordEnvelope envelope;
    if (!envelope.ParseFromString(row[2].AsString())) {
      return absl::DataLossError(
          absl::StrCat("record_versions: the stored envelope of ", key, " does not parse"));
    }
    changed.rows.push_back(store::DetailRowOf(key, envelope));
  }
  return changed;
}

// A version's per-kind row as a row of a statement selecting `columns`.
Row Project(const store::DetailRow& d, const std::vector<std::string>& columns) {
  Row row;
  row.reserve(columns.size());
  for (const std::string& column : columns) row.push_back(d[column]);
  return row;
}

// The rows of `table` ("x") whose `column` is one of `keys` and that were known and unchanged
// at the cut-off (kKnownJoin's conditions, checked here: an IN list takes every placeholder),
// with `columns` selected; `registration_kind` ("" for any) filters registrations.
absl::StatusOr<Rows> SelectKnownIn(store::sql::Connection& c, const std::string& table,
                                   const std::vector<std::string>& columns,
                                   const std::string& column, const std::vector<Value>& keys,
                                   int64_t cutoff, const std::string& registration_kind) {
  const std::string head = absl::StrCat(
      "SELECT ", SelectList(columns), ", r.state, r.updated_at_us, v.committed_at_us",
      registration_kind.empty() ? "" : ", x.registration_kind", " FROM ", table,
      " x JOIN records r ON r.business_key = x.business_key"
      " JOIN record_versions v ON v.business_key = x.business_key AND v.version = 1"
      " WHERE x.",
      column, " IN (");
  constexpr int kKeysPerStatement = 256;
  CRVS_ASSIGN_OR_RETURN(Rows rows,
                        store::sql::ExecuteBulk(c, {head, 1, ")", true}, keys, kKeysPerStatement));
  Rows known;
  const size_t n = columns.size();
  for (Row& row : rows) {
    if (row[n].AsString() == "VOIDED" || row[n + 1].AsInt() >= cutoff ||
        row[n + 2].AsInt() >= cutoff ||
        (!registration_kind.empty() && row[n + 3].AsString() != registration_kind)) {
      continue;
    }
    row.erase(row.begin() + static_cast<std::ptrdiff_t>(n), row.end());
    known.push_back(std::move(row));
  }
  return known;
}

void AddByKey(Rows rows, std::map<std::string, Row>* by_key) {
  for (Row& row : rows) {
    std::string key = row[0].AsString();
    by_key->emplace(std::move(key), std::move(row));  // a row read as it was then stays
  }
}

Rows TakeRows(std::map<std::string, Row>& by_key) {
  Rows rows;
  rows.reserve(by_key.size());
  for (auto& [key, row] : by_key) rows.push_back(std::move(row));
  return rows;
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
  const int64_t cutoff = CutOff(as_of);
  const std::vector<Value> params = {Value::Int(cutoff), Value::Text(FormatDay(window.first)),
                                     Value::Text(FormatDay(window.last)),
                                     Value::Text(t.registration_kind)};
  const std::vector<std::string> record_columns = RecordColumns(t);
  std::map<std::string, Row> records, registrations;  // by business key
  CRVS_RETURN_IF_ERROR(store.Read([&](store::sql::Connection& c) -> absl::Status {
    CRVS_ASSIGN_OR_RETURN(Rows rows, c.Execute(Sql(kRecordsSql, record_columns, t), params));
    AddByKey(std::move(rows), &records);
    CRVS_ASSIGN_OR_RETURN(rows, c.Execute(Sql(kRegistrationsSql, kRegistrationColumns, t), params));
    AddByKey(std::move(rows), &registrations);

    // Records changed since the cut-off count as they were then: in the window or not by
    // their content then, and with the unchanged rows their content then linked.
    CRVS_ASSIGN_OR_RETURN(Changed changed, LoadChanged(c, cutoff, t.kind, as_of.known_by_is_past));
    std::vector<Value> linked_by_changed, linking_changed;
    for (const store::DetailRow& d : changed.rows) {
      if (d.table->name == t.table) {
        linking_changed.push_back(d["business_key"]);
        records[d["business_key"].AsString()] = Project(d, record_columns);
      } else if (d.table == &store::RegistrationsTable() &&
                 d["registration_kind"].AsString() == t.registration_kind) {
        linked_by_changed.push_back(d["linked_key"]);
        linking_changed.push_back(d["linked_key"]);
        registrations[d["business_key"].AsString()] = Project(d, kRegistrationColumns);
      }
    }
    CRVS_ASSIGN_OR_RETURN(rows, SelectKnownIn(c, t.table, record_columns, "business_key",
                                              linked_by_changed, cutoff, ""));
    AddByKey(std::move(rows), &records);
    CRVS_ASSIGN_OR_RETURN(rows, SelectKnownIn(c, "registrations", kRegistrationColumns,
                                              "linked_key", linking_changed, cutoff,
                                              t.registration_kind));
    AddByKey(std::move(rows), &registrations);
    return absl::OkStatus();
  }));
  std::vector<Event> events = MergeEvidence(ToRecords(TakeRows(records), areas),
                                            ToRegistrations(TakeRows(registrations), as_of.day, areas));
  events.erase(std::remove_if(events.begin(), events.end(),
                              [&](const Event& e) { return !window.Contains(e.date); }),
               events.end());
  return events;
}

absl::StatusOr<std::vector<Notice>> LoadNotices(store::Store& store, const Period& period,
                                                AsOf as_of, const Areas& areas) {
  const Period window{period.first, std::min(period.last, as_of.day)};
  if (window.last < window.first) return std::vector<Notice>{};
  const int64_t cutoff = CutOff(as_of);
  const std::vector<Value> params = {Value::Int(cutoff), Value::Text(FormatDay(window.first)),
                                     Value::Text(FormatDay(window.last))};
  Rows rows;
  CRVS_RETURN_IF_ERROR(store.Read([&](store::sql::Connection& c) -> absl::Status {
    CRVS_ASSIGN_OR_RETURN(rows, c.Execute(Sql(kNoticesSql, kNoticeColumns, kDeaths), params));
    // Notices changed since the cut-off, as they were then.
    CRVS_ASSIGN_OR_RETURN(Changed changed, LoadChanged(c, cutoff, kDeaths.kind, as_of.known_by_is_past));
    for (const store::DetailRow& d : changed.rows) {
      if (d.table != &store::DeathNoticesTable() || d["in_facility"].AsInt() == 0) continue;
      std::optional<absl::CivilDay> died = ParseStoredDate(d["died_on"].AsString());
      if (died && window.Contains(*died)) rows.push_back(Project(d, kNoticeColumns));
    }
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
