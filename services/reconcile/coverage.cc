#include "services/reconcile/coverage.h"

#include <absl/strings/str_cat.h>

#include <map>
#include <tuple>

#include "services/platform/status.h"
#include "services/reconcile/calendar.h"
#include "services/reconcile/manifest_compare.h"
#include "services/records/records.h"
#include "services/store/record_rules.h"
#include "services/store/sql.h"

namespace crvs::reconcile {
namespace {

using store::sql::Value;

struct ManifestRef {
  std::string id;
  int32_t first_day;
  int32_t last_day;
};

// The manifests of the query, grouped by (source, kind), oldest declaration first.
using ManifestGroups = std::map<std::pair<std::string, std::string>, std::vector<ManifestRef>>;

// With a cut-off, a manifest counts as it was declared then: the current declaration if made
// by then, else the one it superseded that was in force then (superseded_manifests); likewise
// each entry.
absl::StatusOr<ManifestGroups> LoadManifests(store::sql::Connection& c, const CoverageQuery& q) {
  std::string where = "backlog = $1";
  std::vector<Value> params{Value::Int(q.backlog ? 1 : 0)};
  auto add = [&](const std::string& condition, Value v) {
    params.push_back(std::move(v));
    absl::StrAppend(&where, " AND ", condition, " $", params.size());
  };
  if (!q.source.empty()) add("source =", Value::Text(q.source));
  if (q.kind != records::v1::RECORD_KIND_UNSPECIFIED) add("kind =", Value::Text(store::rules::KindName(q.kind)));
  if (!q.any_period) {
    add("period_start >=", Value::Text(FormatDay(q.period_start)));
    add("period_end <=", Value::Text(FormatDay(q.period_end)));
  }
  constexpr char kColumns[] =
      "SELECT source, kind, manifest_id, period_start, period_end, declared_at_us FROM ";
  std::string sql = absl::StrCat(kColumns, "manifests WHERE ", where);
  if (q.committed_by) {
    add("declared_at_us <=", Value::Int(absl::ToUnixMicros(*q.committed_by)));
    const std::string cut = absl::StrCat("$", params.size());
    absl::StrAppend(&sql, " AND declared_at_us <= ", cut, " UNION ALL ", kColumns,
                    "superseded_manifests WHERE ", where, " AND superseded_at_us > ", cut);
  }
  sql += " ORDER BY source, kind, declared_at_us, manifest_id";
  CRVS_ASSIGN_OR_RETURN(auto rows, c.Execute(sql, params));
  ManifestGroups groups;
  for (auto& row : rows) {
    ManifestRef m{row[2].AsString(), DayNumber(ParseDay(row[3].AsString())),
                  DayNumber(ParseDay(row[4].AsString()))};
    groups[{row[0].AsString(), row[1].AsString()}].push_back(std::move(m));
  }
  return groups;
}

absl::Status LoadDeclared(store::sql::Connection& c, const std::string& source,
                          const std::vector<ManifestRef>& manifests,
                          std::optional<absl::Time> committed_by,
                          std::vector<DeclaredEntry>& out) {
  constexpr char kColumns[] = "SELECT business_key, content_hash, issued_at_us FROM ";
  const std::string sql =
      committed_by
          ? absl::StrCat(kColumns, "manifest_entries WHERE source = $1 AND manifest_id = $2 ",
                         "AND declared_at_us <= $3 UNION ALL ", kColumns,
                         "superseded_manifest_entries WHERE source = $1 AND manifest_id = $2 ",
                         "AND declared_at_us <= $3 AND superseded_at_us > $3")
          : absl::StrCat(kColumns, "manifest_entries WHERE source = $1 AND manifest_id = $2");
  for (size_t i = 0; i < manifests.size(); ++i) {
    std::vector<Value> params = {Value::Text(source), Value::Text(manifests[i].id)};
    if (committed_by) params.push_back(Value::Int(absl::ToUnixMicros(*committed_by)));
    CRVS_ASSIGN_OR_RETURN(auto rows, c.Execute(sql, params));
    for (auto& row : rows) {
      out.push_back({row[0].AsString(),
                     row[1].AsString(), row[2].AsInt(),
                     static_cast<int32_t>(i)});
    }
  }
  DeduplicateDeclared(out);  // a key declared by two manifests counts once (the latest)
  return absl::OkStatus();
}

}  // namespace

absl::Status LoadStoredRecords(store::sql::Connection& c, const std::string& source,
                               const std::string& kind, std::vector<StoredRecord>& out,
                               std::optional<int64_t> as_of_us) {
  const std::vector<Value> params = {Value::Text(source), Value::Text(kind)};
  CRVS_ASSIGN_OR_RETURN(
      auto rows,
      c.Execute("SELECT r.business_key, r.state, r.content_hash, r.issued_at_us, "
                "v.committed_at_us, d.legal_effect_date FROM records r "
                "JOIN record_versions v ON v.business_key = r.business_key AND v.version = 1 "
                "LEFT JOIN divorce_decisions d ON d.business_key = r.business_key "
                "WHERE r.source = $1 AND r.kind = $2",
                params));
  // The records changed after the cut-off (every new version rewrites records.updated_at_us),
  // each with its version in force then.
  std::map<std::string, store::sql::Row> then;
  if (as_of_us) {
    CRVS_ASSIGN_OR_RETURN(
        auto changed,
        c.Execute("SELECT a.business_key, a.action, a.content_hash, a.issued_at_us, a.envelope "
                  "FROM records r JOIN record_versions a ON a.business_key = r.business_key "
                  "WHERE r.source = $1 AND r.kind = $2 AND r.updated_at_us > $3 "
                  "AND a.version = (SELECT MAX(w.version) FROM record_versions w "
                  "WHERE w.business_key = r.business_key AND w.committed_at_us <= $3)",
                  {params[0], params[1], Value::Int(*as_of_us)}));
    for (auto& row : changed) {
      std::string key = row[0].AsString();
      then.emplace(std::move(key), std::move(row));
    }
  }
  const bool divorce = kind == store::rules::KindName(records::v1::RECORD_KIND_DIVORCE_DECISION);
  out.reserve(out.size() + rows.size());
  for (auto& row : rows) {
    StoredRecord s;
    s.business_key = row[0].AsString();
    s.voided = row[1].AsString() == "VOIDED";
    s.content_hash = row[2].AsString();
    s.issued_at_us = row[3].AsInt();
    s.first_committed_us = row[4].AsInt();
    std::string legal_effect = row[5].is_null() ? "" : row[5].AsString();
    auto changed = then.find(s.business_key);
    if (changed != then.end()) {  // as it was at the cut-off
      const store::sql::Row& version = changed->second;
      s.voided = version[1].AsString() == "VOID";
      if (!s.voided) {
        s.content_hash = version[2].AsString();
        s.issued_at_us = version[3].AsInt();
        if (divorce) {
          records::v1::RecordEnvelope envelope;
          if (!envelope.ParseFromString(version[4].AsString())) {
            return absl::DataLossError(absl::StrCat(
                "record_versions: the stored envelope of ", s.business_key, " does not parse"));
          }
          legal_effect = store::rules::FormatDate(envelope.divorce_decision().legal_effect_date());
        }
      }
    }
    if (!divorce) {
      s.period_day = DayNumber(VietnamDayOfMicros(s.issued_at_us));
    } else if (!legal_effect.empty()) {
      s.period_day = DayNumber(ParseDay(legal_effect));
    }
    out.push_back(std::move(s));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::CoverageRow>> ComputeCoverage(
    store::Store& store, const CoverageQuery& query,
    const std::function<void(const v1::Gap&)>& gaps) {
  std::vector<v1::CoverageRow> rows;
  CRVS_RETURN_IF_ERROR(store.Read([&](store::sql::Connection& c) -> absl::Status {
    CRVS_ASSIGN_OR_RETURN(ManifestGroups groups, LoadManifests(c, query));
    for (const auto& entry : groups) {
      const auto& [source, kind] = entry.first;
      const auto& manifests = entry.second;  // a plain reference: lambdas below capture it
      std::vector<DeclaredEntry> declared;
      std::vector<StoredRecord> stored;
      CRVS_RETURN_IF_ERROR(LoadDeclared(c, source, manifests, query.committed_by, declared));
      std::optional<int64_t> as_of_us;
      if (query.committed_by) as_of_us = absl::ToUnixMicros(*query.committed_by);
      CRVS_RETURN_IF_ERROR(LoadStoredRecords(c, source, kind, stored, as_of_us));
      CompareOptions options;
      options.sla_us = absl::ToInt64Microseconds(query.sla);
      if (query.committed_by) options.committed_by_us = absl::ToUnixMicros(*query.committed_by);
      for (const ManifestRef& m : manifests) options.covered_days.push_back({m.first_day, m.last_day});
      std::optional<common::v1::Principal> principal = records::ParsePrincipal(source);
      records::v1::RecordKind record_kind = store::rules::ParseKind(kind);
      std::function<void(v1::Gap&, int32_t)> on_gap;
      if (gaps) {
        on_gap = [&](v1::Gap& gap, int32_t manifest) {
          if (principal) *gap.mutable_source() = *principal;
          if (manifest >= 0) gap.set_manifest_id(manifests[manifest].id);
          gaps(gap);
        };
      }
      v1::CoverageRow row = CompareEntries(declared, stored, options, on_gap);
      if (principal) *row.mutable_source() = *principal;
      row.set_kind(record_kind);
      rows.push_back(std::move(row));
    }
    return absl::OkStatus();
  }));
  return rows;
}

v1::CoverageRow SumCoverage(const std::vector<v1::CoverageRow>& rows) {
  v1::CoverageRow total;
  for (size_t i = 0; i < rows.size(); ++i) {
    const v1::CoverageRow& r = rows[i];
    if (i == 0 || r.kind() == total.kind()) {
      total.set_kind(r.kind());
    } else {
      total.set_kind(records::v1::RECORD_KIND_UNSPECIFIED);
    }
    total.set_declared(total.declared() + r.declared());
    total.set_present(total.present() + r.present());
    total.set_present_on_time(total.present_on_time() + r.present_on_time());
    total.set_content_mismatch(total.content_mismatch() + r.content_mismatch());
    total.set_missing(total.missing() + r.missing());
    total.set_extra(total.extra() + r.extra());
  }
  total.set_coverage_percent(Percent(total.present(), total.declared()));
  total.set_on_time_percent(Percent(total.present_on_time(), total.declared()));
  return total;
}

}  // namespace crvs::reconcile
