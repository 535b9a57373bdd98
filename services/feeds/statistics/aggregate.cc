#include "services/feeds/statistics/aggregate.h"

#include <absl/strings/str_cat.h>

#include <map>

#include "crvs/records/v1/envelope.pb.h"
#include "services/platform/status.h"

namespace crvs::feeds::statistics {
namespace {

namespace ind = reconcile::indicators;
namespace rv1 = records::v1;
namespace common = crvs::common::v1;

const char* SexLabel(common::Sex sex) {
  switch (sex) {
    case common::SEX_MALE: return "MALE";
    case common::SEX_FEMALE: return "FEMALE";
    default: return "UNKNOWN";
  }
}

// Sex and date of birth of the person an event is about, from its record's current content.
struct Subject {
  common::Sex sex = common::SEX_UNSPECIFIED;
  common::LocalDate date_of_birth;
};

Subject SubjectOf(const rv1::RecordEnvelope& e) {
  Subject s;
  switch (e.record_case()) {
    case rv1::RecordEnvelope::kBirthCertificate:
      s.sex = e.birth_certificate().child().sex();
      break;
    case rv1::RecordEnvelope::kDeathNotice:
      s.sex = e.death_notice().deceased().sex();
      s.date_of_birth = e.death_notice().deceased().date_of_birth();
      break;
    case rv1::RecordEnvelope::kRegistration:
      s.sex = e.registration().subject().sex();
      s.date_of_birth = e.registration().subject().date_of_birth();
      break;
    default:
      break;
  }
  return s;
}

}  // namespace

std::string AgeGroup(int years) {
  if (years < 0) return "unknown";
  if (years < 1) return "<1";
  if (years < 5) return "1-4";
  if (years < 15) return "5-14";
  if (years < 50) return "15-49";
  if (years < 65) return "50-64";
  return "65+";
}

absl::StatusOr<SuppressedTable> AggregateMonth(store::Store& store, const ind::Areas& areas,
                                               const MonthRequest& request) {
  const std::vector<std::string> communes = areas.CommunesOf(request.province);
  if (communes.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "province \"", request.province, "\" is not a province of the register of communes"));
  }
  const bool deaths = request.kind == ind::EventKind::kDeath;
  const int deadline_days = deaths ? 15 : 60;

  ind::Period period{absl::CivilDay(request.month), absl::CivilDay(request.month + 1) - 1};
  CRVS_ASSIGN_OR_RETURN(std::vector<ind::Event> events,
                        ind::LoadEvents(store, request.kind, period,
                                        {request.today, request.today, false}, areas));
  std::map<std::string, Subject> subjects;
  std::vector<store::sql::Value> keys;
  for (const ind::Event& e : events) {
    if (areas.ProvinceOf(e.commune) == request.province) {
      keys.push_back(store::sql::Value::Text(e.key));
    }
  }
  if (!keys.empty()) {
    CRVS_RETURN_IF_ERROR(store.Read([&](store::sql::Connection& c) -> absl::Status {
      CRVS_ASSIGN_OR_RETURN(
          store::sql::Rows rows,
          store::sql::ExecuteBulk(
              c,
              {"SELECT r.business_key, v.envelope FROM records r JOIN record_versions v ON "
               "v.business_key = r.business_key AND v.version = r.current_version WHERE "
               "r.business_key IN (",
               1, ")", true},
              keys, 500));
      for (const auto& row : rows) {
        rv1::RecordEnvelope e;
        if (!e.ParseFromString(row[1].AsString())) {
          return absl::DataLossError(absl::StrCat("record_versions ", row[0].AsString(),
                                                  ": the stored envelope does not parse"));
        }
        subjects[row[0].AsString()] = SubjectOf(e);
      }
      return absl::OkStatus();
    }));
  }

  Dimension area("area", request.province);
  for (const std::string& commune : communes) area.Add(commune);
  std::vector<Dimension> dims = {area, Dimension::Flat("sex", {"MALE", "FEMALE", "UNKNOWN"})};
  if (deaths) {
    dims.push_back(Dimension::Flat("age_group",
                                   {"<1", "1-4", "5-14", "15-49", "50-64", "65+", "unknown"}));
  }
  dims.push_back(Dimension::Flat("timeliness", {"on_time", "late", "not_registered"}));

  std::vector<Table::LeafCount> counts;
  for (const ind::Event& e : events) {
    if (areas.ProvinceOf(e.commune) != request.province) continue;
    const Subject s = subjects.count(e.key) ? subjects[e.key] : Subject{};
    std::vector<std::string> labels = {e.commune, SexLabel(s.sex)};
    if (deaths) {
      int years = -1;
      if (s.date_of_birth.year() > 0) {
        const absl::CivilDay born(s.date_of_birth.year(), s.date_of_birth.month(),
                                  s.date_of_birth.day() > 0 ? s.date_of_birth.day() : 1);
        years = static_cast<int>(e.date.year() - born.year());
        if (absl::CivilDay(e.date.year(), born.month(), born.day()) > e.date) --years;
      }
      labels.push_back(AgeGroup(years));
    }
    const char* timeliness = !e.registered_on                                   ? "not_registered"
                             : *e.registered_on - e.date <= deadline_days ? "on_time"
                                                                          : "late";
    labels.push_back(timeliness);
    counts.push_back({std::move(labels), 1});
  }
  CRVS_ASSIGN_OR_RETURN(Table table, Table::FromLeafCounts(std::move(dims), counts));
  return Suppress(table, {request.threshold});
}

}  // namespace crvs::feeds::statistics
