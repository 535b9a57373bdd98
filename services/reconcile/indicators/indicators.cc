#include "services/reconcile/indicators/indicators.h"

#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "services/platform/status.h"
#include "services/reconcile/coverage.h"
#include "services/reconcile/indicators/events.h"
#include "services/reconcile/indicators/period.h"
#include "services/records/records.h"

namespace crvs::reconcile::indicators {
namespace {

namespace rv1 = ::crvs::reconcile::v1;
using records::v1::RecordKind;

// Where an indicator's numbers come from.
enum class Basis { kEvents, kNotices, kCoverage };

// One indicator of docs/indicators.md.
struct Spec {
  const char* id = "";
  Basis basis = Basis::kEvents;
  // kEvents: births or deaths, the deadline in days, facility deaths only (D3).
  EventKind event_kind = EventKind::kBirth;
  int deadline_days = 0;
  bool facility_deaths_only = false;
  // kCoverage: the manifests' kind and backlog flag; on time (B3, D4) or present (V1, V2).
  RecordKind coverage_kind = records::v1::RECORD_KIND_UNSPECIFIED;
  bool backlog = false;
  bool on_time = false;
  bool from_2026 = false;  // manifests with period_start >= 2026-01-01 only (V1)
  // The breakdown applying beyond province and commune: FACILITY, COURT or NONE.
  rv1::Breakdown unit_breakdown = rv1::BREAKDOWN_NONE;
  std::optional<double> target_2028;
  std::optional<double> target_2030;
  const char* definition = "";
};

Spec EventSpec(const char* id, EventKind kind, int days, bool facility_only,
               std::optional<double> t2028, std::optional<double> t2030, const char* definition) {
  Spec s;
  s.id = id;
  s.basis = Basis::kEvents;
  s.event_kind = kind;
  s.deadline_days = days;
  s.facility_deaths_only = facility_only;
  if (facility_only) s.unit_breakdown = rv1::BREAKDOWN_FACILITY;
  s.target_2028 = t2028;
  s.target_2030 = t2030;
  s.definition = definition;
  return s;
}

Spec CoverageSpec(const char* id, RecordKind kind, bool backlog, bool on_time,
                  rv1::Breakdown unit, std::optional<double> t2028,
                  std::optional<double> t2030, const char* definition) {
  Spec s;
  s.id = id;
  s.basis = Basis::kCoverage;
  s.coverage_kind = kind;
  s.backlog = backlog;
  s.on_time = on_time;
  s.unit_breakdown = unit;
  s.target_2028 = t2028;
  s.target_2030 = t2030;
  s.definition = definition;
  return s;
}

// Every indicator, in report order.
const std::vector<Spec>& Catalog() {
  static const std::vector<Spec> catalog = [] {
    constexpr auto kBirth = EventKind::kBirth;
    constexpr auto kDeath = EventKind::kDeath;
    const auto kNone = std::nullopt;
    Spec d5;
    d5.id = "D5";
    d5.basis = Basis::kNotices;
    d5.unit_breakdown = rv1::BREAKDOWN_FACILITY;
    d5.target_2028 = 75;
    d5.target_2030 = 80;
    d5.definition =
        "deaths in a health facility in P (death notices with in_facility, by date of death) "
        "with a valid ICD-10 underlying cause outside chapter R / deaths in a health facility "
        "in P";
    Spec v1 = CoverageSpec("V1", records::v1::RECORD_KIND_DIVORCE_DECISION, false, false,
                           rv1::BREAKDOWN_COURT, 100, 100,
                           "divorce decisions effective in P (from 2026-01-01) recorded in the "
                           "database / effective decisions the courts declared");
    v1.from_2026 = true;
    return std::vector<Spec>{
        EventSpec("B1", kBirth, 60, false, 95, 98.5,
                  "mature births in P registered within 60 days / mature births in P"),
        EventSpec("B2", kBirth, 365, false, 98, 99,
                  "mature births in P registered within 365 days / mature births in P"),
        CoverageSpec("B3", records::v1::RECORD_KIND_BIRTH_CERTIFICATE, false, true,
                     rv1::BREAKDOWN_FACILITY, 95, kNone,
                     "birth certificates issued in P committed within the sync SLA / "
                     "birth certificates the facilities declared issued in P"),
        EventSpec("D1", kDeath, 15, false, 85, 90,
                  "mature deaths in P registered within 15 days / mature deaths in P"),
        EventSpec("D2", kDeath, 365, false, 90, 95,
                  "mature deaths in P registered within 365 days / mature deaths in P"),
        EventSpec("D3", kDeath, 15, true, kNone, 100,
                  "mature facility deaths (with a death notice) in P registered within 15 days / "
                  "mature facility deaths in P"),
        CoverageSpec("D4", records::v1::RECORD_KIND_DEATH_NOTICE, false, true,
                     rv1::BREAKDOWN_FACILITY, 80, 90,
                     "death notices issued in P committed within the sync SLA / "
                     "death notices the facilities declared issued in P"),
        d5,
        v1,
        CoverageSpec("V2", records::v1::RECORD_KIND_DIVORCE_DECISION, true, false,
                     rv1::BREAKDOWN_COURT, 85, 95,
                     "backlog divorce decisions (effective up to 2025-12-31) recorded in the "
                     "database / decisions in the courts' backlog inventories"),
    };
  }();
  return catalog;
}

const Spec* FindSpec(const std::string& id) {
  for (const Spec& s : Catalog()) {
    if (id == s.id) return &s;
  }
  return nullptr;
}

// The area asked for and the breakdown.
struct Scope {
  const Areas* areas = nullptr;
  std::string province;  // "" = any
  std::string commune;   // "" = any
  rv1::Breakdown breakdown = rv1::BREAKDOWN_NONE;

  bool filtered() const { return !province.empty() || !commune.empty(); }
  bool by_place() const {
    return breakdown == rv1::BREAKDOWN_PROVINCE || breakdown == rv1::BREAKDOWN_COMMUNE;
  }
  std::string area() const {
    if (!commune.empty()) return commune;
    return province.empty() ? "VN" : province;
  }
};

// A validated request.
struct Plan {
  Period period;
  absl::CivilDay as_of;
  // Records first committed by the end of this day count: as_of, or today for "everything known
  // now" (rv1::Knowledge).
  absl::CivilDay known_by;
  // known_by is before today: records may have changed since its end.
  bool known_by_is_past = false;
  rv1::Knowledge knowledge = rv1::KNOWLEDGE_AS_KNOWN_ON_AS_OF;
  std::vector<const Spec*> specs;  // catalogue order
  Scope scope;
};

bool IsDigits(const std::string& s, size_t n) {
  return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) {
           return absl::ascii_isdigit(static_cast<unsigned char>(c));
         });
}

std::string KnownIds() {
  std::vector<std::string> ids;
  for (const Spec& s : Catalog()) ids.push_back(s.id);
  return absl::StrJoin(ids, ", ");
}

void CheckDates(const rv1::IndicatorsRequest& r, absl::CivilDay today, Plan& plan,
                std::vector<FieldViolation>& bad) {
  if (r.period().empty()) {
    bad.push_back({"period", "required: a year (2026), a quarter (2026-Q1) or a month (2026-03)"});
  } else if (auto period = ParsePeriod(r.period())) {
    plan.period = *period;
  } else {
    bad.push_back({"period", absl::StrCat("expected a year (2026), a quarter (2026-Q1..2026-Q4) "
                                          "or a month (2026-03), got \"", r.period(), "\"")});
  }
  plan.as_of = plan.known_by = today;
  if (r.knowledge() == rv1::KNOWLEDGE_EVERYTHING_KNOWN_NOW) {
    plan.knowledge = rv1::KNOWLEDGE_EVERYTHING_KNOWN_NOW;
  } else if (r.knowledge() != rv1::KNOWLEDGE_UNSPECIFIED &&
             r.knowledge() != rv1::KNOWLEDGE_AS_KNOWN_ON_AS_OF) {
    bad.push_back({"knowledge", absl::StrCat("unknown reading ", r.knowledge())});
  }
  if (!r.has_as_of()) return;
  std::optional<absl::CivilDay> as_of = ToCivilDay(r.as_of());
  if (!as_of) {
    bad.push_back({"as_of", "not a calendar date"});
  } else if (*as_of > today) {
    bad.push_back({"as_of", absl::StrCat("in the future: today in Vietnam is ", FormatDay(today))});
  } else {
    plan.as_of = *as_of;
    if (plan.knowledge == rv1::KNOWLEDGE_AS_KNOWN_ON_AS_OF) plan.known_by = *as_of;
    plan.known_by_is_past = plan.known_by < today;
  }
}

void CheckScope(const rv1::IndicatorsRequest& r, Plan& plan, std::vector<FieldViolation>& bad) {
  if (!r.province_code().empty() && !IsDigits(r.province_code(), 2)) {
    bad.push_back({"province_code", "expected a 2-digit province code"});
  }
  if (!r.commune_code().empty() && !IsDigits(r.commune_code(), 5)) {
    bad.push_back({"commune_code", "expected a 5-digit commune code"});
  }
  if (!rv1::Breakdown_IsValid(r.breakdown())) {
    bad.push_back({"breakdown", absl::StrCat("unknown breakdown ", r.breakdown())});
  }
  plan.scope.province = r.province_code();
  plan.scope.commune = r.commune_code();
  plan.scope.breakdown =
      r.breakdown() == rv1::BREAKDOWN_UNSPECIFIED ? rv1::BREAKDOWN_NONE : r.breakdown();
}

void CheckIds(const rv1::IndicatorsRequest& r, Plan& plan, std::vector<FieldViolation>& bad) {
  for (int i = 0; i < r.indicator_ids_size(); ++i) {
    if (FindSpec(r.indicator_ids(i)) == nullptr) {
      bad.push_back({absl::StrCat("indicator_ids[", i, "]"),
                     absl::StrCat("unknown indicator \"", r.indicator_ids(i),
                                  "\"; expected one of ", KnownIds())});
    }
  }
  for (const Spec& s : Catalog()) {
    const auto& ids = r.indicator_ids();
    if (ids.empty() || std::find(ids.begin(), ids.end(), s.id) != ids.end()) {
      plan.specs.push_back(&s);
    }
  }
}

absl::StatusOr<Plan> Validate(const rv1::IndicatorsRequest& r, const Areas& areas,
                              const IndicatorOptions& options) {
  Plan plan;
  std::vector<FieldViolation> bad;
  CheckDates(r, VietnamDate(options.now), plan, bad);
  CheckScope(r, plan, bad);
  CheckIds(r, plan, bad);
  if (!bad.empty()) return InvalidArgument(bad);
  plan.scope.areas = &areas;
  if ((!plan.scope.province.empty() || plan.scope.breakdown == rv1::BREAKDOWN_PROVINCE) &&
      !areas.has_communes()) {
    return absl::FailedPreconditionError(
        absl::StrCat("a province filter or breakdown needs the commune → province mapping: set ",
                     kCommunesFileKey, " (CSV commune_code,province_code,name)"));
  }
  return plan;
}

// What one event, notice or source adds to an indicator.
struct Contribution {
  std::optional<std::string> commune;  // nullopt: located nowhere (national figures only)
  std::string unit;                    // facility or court code; "" when none
  int64_t numerator = 0;
  int64_t denominator = 0;
  int64_t open = 0;
};

std::vector<Contribution> FromEvents(const Spec& spec, const std::vector<Event>& events,
                                     absl::CivilDay as_of) {
  std::vector<Contribution> out;
  for (const Event& e : events) {
    if (spec.facility_deaths_only && !e.in_facility) continue;
    Contribution c{e.commune, e.facility};
    if (e.date + spec.deadline_days > as_of) {
      c.open = 1;
    } else {
      c.denominator = 1;
      c.numerator = e.registered_on && *e.registered_on - e.date <= spec.deadline_days ? 1 : 0;
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<Contribution> FromNotices(const std::vector<Notice>& notices) {
  std::vector<Contribution> out;
  out.reserve(notices.size());
  for (const Notice& n : notices) out.push_back({n.commune, n.facility, n.certified ? 1 : 0, 1});
  return out;
}

// The coverage query of a B3 / D4 / V1 / V2 spec; nullopt when its period is empty (V1 before
// 2026).
std::optional<CoverageQuery> QueryOf(const Spec& spec, const Plan& plan,
                                     const IndicatorOptions& options) {
  CoverageQuery q;
  q.kind = spec.coverage_kind;
  q.period_start = plan.period.first;
  q.period_end = plan.period.last;
  q.backlog = q.any_period = spec.backlog;
  q.committed_by = StartOfVietnamDay(plan.known_by + 1) - absl::Microseconds(1);
  q.sla = options.sync_sla;
  if (spec.from_2026) {
    q.period_start = std::max(q.period_start, absl::CivilDay(2026, 1, 1));
    if (q.period_start > q.period_end) return std::nullopt;
  }
  return q;
}

absl::StatusOr<std::vector<Contribution>> FromCoverage(
    store::Store& store, const Spec& spec, const Plan& plan, const IndicatorOptions& options,
    const std::map<std::string, std::string>& locations) {
  std::optional<CoverageQuery> query = QueryOf(spec, plan, options);
  if (!query) return std::vector<Contribution>{};
  CRVS_ASSIGN_OR_RETURN(std::vector<rv1::CoverageRow> rows, ComputeCoverage(store, *query));
  std::vector<Contribution> out;
  out.reserve(rows.size());
  for (const rv1::CoverageRow& row : rows) {
    Contribution c;
    auto located = locations.find(records::FormatPrincipal(row.source()));
    if (located != locations.end()) c.commune = located->second;
    c.unit = row.source().code();
    c.numerator = spec.on_time ? row.present_on_time() : row.present();
    c.denominator = row.declared();
    out.push_back(std::move(c));
  }
  return out;
}

bool InArea(const Scope& scope, const Contribution& c) {
  if (!scope.filtered()) return true;
  if (!c.commune || c.commune->empty()) return false;
  if (!scope.commune.empty() && *c.commune != scope.commune) return false;
  return scope.province.empty() || scope.areas->ProvinceOf(*c.commune) == scope.province;
}

// The breakdown group of `c`; nullopt when the breakdown does not apply or `c` has no group.
std::optional<std::string> GroupOf(const Scope& scope, const Spec& spec, const Contribution& c) {
  if (scope.by_place()) {
    if (!c.commune) return std::nullopt;
    if (c.commune->empty()) return std::string(kUnknownArea);
    return scope.breakdown == rv1::BREAKDOWN_PROVINCE ? scope.areas->ProvinceOf(*c.commune)
                                                      : *c.commune;
  }
  const bool by_unit = scope.breakdown == rv1::BREAKDOWN_FACILITY ||
                       scope.breakdown == rv1::BREAKDOWN_COURT;
  if (!by_unit || scope.breakdown != spec.unit_breakdown || c.unit.empty()) return std::nullopt;
  return c.unit;
}

struct Tally {
  int64_t numerator = 0;
  int64_t denominator = 0;
  int64_t open = 0;
  void Add(const Contribution& c) {
    numerator += c.numerator;
    denominator += c.denominator;
    open += c.open;
  }
};

rv1::IndicatorValue ValueOf(const Spec& spec, const std::string& area, const std::string& group,
                            const Tally& t) {
  rv1::IndicatorValue v;
  v.set_id(spec.id);
  v.set_area(area);
  v.set_breakdown_key(group);
  v.set_numerator(t.numerator);
  v.set_denominator(t.denominator);
  v.set_open_not_mature(t.open);
  v.set_definition(spec.definition);
  if (t.denominator > 0) v.set_percent(100.0 * t.numerator / t.denominator);
  if (spec.target_2028) v.set_target_2028(*spec.target_2028);
  if (spec.target_2030) v.set_target_2030(*spec.target_2030);
  if (v.has_percent() && v.has_target_2028()) v.set_met_2028(v.percent() >= v.target_2028());
  if (v.has_percent() && v.has_target_2030()) v.set_met_2030(v.percent() >= v.target_2030());
  return v;
}

void AppendValues(const Spec& spec, const Scope& scope,
                  const std::vector<Contribution>& contributions, rv1::IndicatorReport& report) {
  Tally total;
  std::map<std::string, Tally> groups;
  for (const Contribution& c : contributions) {
    if (!InArea(scope, c)) continue;
    total.Add(c);
    if (auto group = GroupOf(scope, spec, c)) groups[*group].Add(c);
  }
  *report.add_values() = ValueOf(spec, scope.area(), "", total);
  for (const auto& [group, tally] : groups) {
    *report.add_values() = ValueOf(spec, scope.area(), group, tally);
  }
}

// Loads each kind of evidence once, on first use.
class Evidence {
 public:
  Evidence(store::Store& store, const Areas& areas, const Plan& plan,
           const IndicatorOptions& options)
      : store_(store), areas_(areas), plan_(plan), options_(options) {}

  absl::StatusOr<std::vector<Contribution>> For(const Spec& spec) {
    switch (spec.basis) {
      case Basis::kEvents: {
        auto& events = events_[spec.event_kind];
        if (!events) {
          CRVS_ASSIGN_OR_RETURN(events,
                                LoadEvents(store_, spec.event_kind, plan_.period,
                                           {plan_.as_of, plan_.known_by, plan_.known_by_is_past}, areas_));
        }
        return FromEvents(spec, *events, plan_.as_of);
      }
      case Basis::kNotices: {
        CRVS_ASSIGN_OR_RETURN(auto notices, LoadNotices(store_, plan_.period,
                                                          {plan_.as_of, plan_.known_by, plan_.known_by_is_past}, areas_));
        return FromNotices(notices);
      }
      case Basis::kCoverage:
        CRVS_RETURN_IF_ERROR(LocateSourcesOnce());
        return FromCoverage(store_, spec, plan_, options_, locations_);
    }
    return absl::InternalError("unknown indicator basis");
  }

 private:
  // Source locations matter only for an area filter or a province / commune breakdown.
  absl::Status LocateSourcesOnce() {
    if (located_ || !(plan_.scope.filtered() || plan_.scope.by_place())) return absl::OkStatus();
    CRVS_ASSIGN_OR_RETURN(locations_,
                          areas_.LocateSources(store_, StartOfVietnamDay(plan_.known_by + 1)));
    located_ = true;
    return absl::OkStatus();
  }

  store::Store& store_;
  const Areas& areas_;
  const Plan& plan_;
  const IndicatorOptions& options_;
  std::map<EventKind, std::optional<std::vector<Event>>> events_;
  bool located_ = false;
  std::map<std::string, std::string> locations_;
};

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t micros = absl::ToUnixMicros(t);
  ts.set_seconds(micros / 1000000);
  ts.set_nanos(static_cast<int32_t>(micros % 1000000) * 1000);
  return ts;
}

}  // namespace

absl::Status ValidateIndicatorsRequest(const rv1::IndicatorsRequest& request, const Areas& areas,
                                       const IndicatorOptions& options) {
  return Validate(request, areas, options).status();
}

absl::StatusOr<rv1::IndicatorReport> ComputeIndicators(store::Store& store, const Areas& areas,
                                                       const rv1::IndicatorsRequest& request,
                                                       const IndicatorOptions& options) {
  CRVS_ASSIGN_OR_RETURN(Plan plan, Validate(request, areas, options));
  rv1::IndicatorReport report;
  report.set_period(request.period());
  *report.mutable_as_of() = ToLocalDate(plan.as_of);
  report.set_knowledge(plan.knowledge);
  *report.mutable_computed_at() = ToTimestamp(options.now);
  Evidence evidence(store, areas, plan, options);
  for (const Spec* spec : plan.specs) {
    CRVS_ASSIGN_OR_RETURN(std::vector<Contribution> contributions, evidence.For(*spec));
    AppendValues(*spec, plan.scope, contributions, report);
  }
  return report;
}

}  // namespace crvs::reconcile::indicators
