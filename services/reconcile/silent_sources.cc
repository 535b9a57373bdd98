#include "services/reconcile/silent_sources.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <map>

#include "services/platform/status.h"
#include "services/records/records.h"
#include "services/store/sql.h"

namespace crvs::reconcile {
namespace {

using google::protobuf::util::TimeUtil;
using store::sql::Value;

constexpr int64_t kBurstUs = 1000000;  // submissions closer than this are one burst

}  // namespace

std::optional<absl::Duration> UsualCadence(const std::vector<int64_t>& instants_us) {
  std::vector<int64_t> gaps;
  for (size_t i = 1; i < instants_us.size(); ++i) {
    const int64_t gap = instants_us[i] - instants_us[i - 1];
    if (gap >= kBurstUs) gaps.push_back(gap);
  }
  if (gaps.size() < 2) return std::nullopt;
  std::nth_element(gaps.begin(), gaps.begin() + gaps.size() / 2, gaps.end());
  return absl::Microseconds(gaps[gaps.size() / 2]);
}

absl::StatusOr<std::vector<v1::SilentSource>> FindSilentSources(store::Store& store,
                                                                const SilenceRule& rule,
                                                                common::v1::PrincipalKind kind,
                                                                absl::Duration min_quiet_for,
                                                                absl::Time now) {
  const int64_t since = absl::ToUnixMicros(now - absl::Hours(24 * 30));
  std::map<std::string, std::vector<int64_t>> activity;
  CRVS_RETURN_IF_ERROR(store.Read([&](store::sql::Connection& c) -> absl::Status {
    for (const char* sql :
         {"SELECT source, received_at_us FROM record_versions WHERE received_at_us >= $1",
          "SELECT source, declared_at_us FROM manifests WHERE declared_at_us >= $1"}) {
      CRVS_ASSIGN_OR_RETURN(auto rows, c.Execute(sql, {Value::Int(since)}));
      for (const auto& row : rows) activity[row[0].AsString()].push_back(row[1].AsInt());
    }
    return absl::OkStatus();
  }));
  struct Scored {
    double ratio;
    v1::SilentSource source;
  };
  std::vector<Scored> silent;
  for (auto& [source, instants] : activity) {
    auto principal = records::ParsePrincipal(source);
    if (!principal || (principal->kind() != common::v1::PRINCIPAL_KIND_FACILITY &&
                       principal->kind() != common::v1::PRINCIPAL_KIND_COURT)) {
      continue;  // registry offices and operators are not sources of certificates
    }
    if (kind != common::v1::PRINCIPAL_KIND_UNSPECIFIED && principal->kind() != kind) continue;
    std::sort(instants.begin(), instants.end());
    std::optional<absl::Duration> cadence = UsualCadence(instants);
    if (!cadence) continue;
    const absl::Time last_seen = absl::FromUnixMicros(instants.back());
    const absl::Duration quiet = now - last_seen;
    if (quiet <= *cadence * rule.factor || quiet < rule.min_quiet || quiet < min_quiet_for) {
      continue;
    }
    Scored s{absl::FDivDuration(quiet, *cadence), {}};
    *s.source.mutable_source() = *principal;
    *s.source.mutable_last_seen() = TimeUtil::MicrosecondsToTimestamp(instants.back());
    *s.source.mutable_usual_cadence() =
        TimeUtil::MicrosecondsToDuration(absl::ToInt64Microseconds(*cadence));
    *s.source.mutable_quiet_for() =
        TimeUtil::MicrosecondsToDuration(absl::ToInt64Microseconds(quiet));
    silent.push_back(std::move(s));
  }
  std::sort(silent.begin(), silent.end(),
            [](const Scored& a, const Scored& b) { return a.ratio > b.ratio; });
  std::vector<v1::SilentSource> out;
  for (auto& s : silent) out.push_back(std::move(s.source));
  return out;
}

}  // namespace crvs::reconcile
