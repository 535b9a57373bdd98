#include "services/reconcile/manifest_store.h"

#include <absl/strings/str_cat.h>
#include <google/protobuf/util/time_util.h>

#include <map>
#include <string_view>

#include "services/platform/status.h"
#include "services/reconcile/calendar.h"
#include "services/reconcile/coverage.h"
#include "services/reconcile/manifest_compare.h"
#include "services/records/records.h"
#include "services/store/audit.h"
#include "services/store/record_rules.h"
#include "services/store/sql.h"

namespace crvs::reconcile {
namespace {

using google::protobuf::util::TimeUtil;
using store::sql::Value;
using Violations = std::vector<FieldViolation>;

bool IsManifestIdChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '-';
}

// "birth/" for a birth certificate: the first component of its business keys.
std::string KeyPrefix(records::v1::RecordKind kind) {
  switch (kind) {
    case records::v1::RECORD_KIND_BIRTH_CERTIFICATE: return "birth/";
    case records::v1::RECORD_KIND_DEATH_NOTICE: return "death/";
    case records::v1::RECORD_KIND_DIVORCE_DECISION: return "divorce/";
    default: return "";
  }
}

common::v1::PrincipalKind IssuerKind(records::v1::RecordKind kind) {
  return kind == records::v1::RECORD_KIND_DIVORCE_DECISION ? common::v1::PRINCIPAL_KIND_COURT
                                                           : common::v1::PRINCIPAL_KIND_FACILITY;
}

std::optional<absl::CivilDay> CheckDay(bool present, const common::v1::LocalDate& date,
                                       const std::string& field, Violations& out) {
  if (!present) {
    out.push_back({field, "is required"});
    return std::nullopt;
  }
  if (!validation::internal::IsValidDate(date)) {
    out.push_back({field, "is not a valid calendar date"});
    return std::nullopt;
  }
  return validation::internal::DayOf(date);
}

void CheckHeader(const v1::Manifest& m, absl::CivilDay today, Violations& out) {
  const std::string& id = m.manifest_id();
  if (id.empty() || id.size() > 64 ||
      !std::all_of(id.begin(), id.end(), [](char c) { return IsManifestIdChar(c); })) {
    out.push_back({"manifest_id", "must be 1..64 characters from [A-Za-z0-9._:-]"});
  }
  if (KeyPrefix(m.kind()).empty()) {
    out.push_back({"kind", "must be BIRTH_CERTIFICATE, DEATH_NOTICE or DIVORCE_DECISION"});
  } else if (m.source().kind() != IssuerKind(m.kind()) || m.source().code().empty()) {
    out.push_back({"source", absl::StrCat("must be the ",
                                          IssuerKind(m.kind()) == common::v1::PRINCIPAL_KIND_COURT
                                              ? "court"
                                              : "health facility",
                                          " that issued the records")});
  }
  auto start = CheckDay(m.has_period_start(), m.period_start(), "period_start", out);
  auto end = CheckDay(m.has_period_end(), m.period_end(), "period_end", out);
  if (start && end && *end < *start) out.push_back({"period_end", "is before period_start"});
  if (end && *end > today) out.push_back({"period_end", "is in the future"});
  if (m.backlog_inventory()) {
    if (m.kind() != records::v1::RECORD_KIND_DIVORCE_DECISION) {
      out.push_back({"backlog_inventory", "is only for divorce decisions"});
    }
    if (end && *end > absl::CivilDay(kLastBacklogYear, 12, 31)) {
      out.push_back({"period_end", "must be on or before 2025-12-31 in a backlog inventory"});
    }
  }
}

void CheckEntry(const v1::ManifestEntry& e, const std::string& path, const std::string& prefix,
                bool backlog, Violations& out) {
  const std::string& key = e.business_key();
  if (key.empty()) {
    out.push_back({path + ".business_key", "is required"});
  } else if (prefix.empty()) {
    // The header's kind or source is wrong; that violation says it all.
  } else if (key.size() <= prefix.size() || key.compare(0, prefix.size(), prefix) != 0 ||
             key.find('/', prefix.size()) != std::string::npos) {
    out.push_back({path + ".business_key",
                   absl::StrCat("is not a key of this manifest's kind and source (expected ",
                                prefix, "<number>)")});
  }
  if (!e.content_hash().empty() && e.content_hash().size() != 32) {
    out.push_back({path + ".content_hash", "must be empty or a 32-byte SHA-256"});
  }
  if (!e.has_issued_at()) {
    if (!backlog) out.push_back({path + ".issued_at", "is required"});
  } else if (e.issued_at().seconds() < TimeUtil::kTimestampMinSeconds ||
             e.issued_at().seconds() > TimeUtil::kTimestampMaxSeconds || e.issued_at().nanos() < 0 ||
             e.issued_at().nanos() > 999999999) {
    out.push_back({path + ".issued_at", "is not a valid timestamp"});
  }
}

// The manifests of the same source, kind and backlog flag whose period overlaps [start, end]
// without being it, other than `id` itself.
absl::StatusOr<std::string> OverlappingManifest(store::sql::Connection& c,
                                                const std::string& source, const std::string& kind,
                                                bool backlog, const std::string& id,
                                                const std::string& start, const std::string& end) {
  CRVS_ASSIGN_OR_RETURN(
      auto rows,
      c.Execute("SELECT manifest_id, period_start, period_end FROM manifests WHERE source = $1 "
                "AND kind = $2 AND backlog = $3 AND manifest_id <> $4 AND period_start <= $6 "
                "AND period_end >= $5 AND NOT (period_start = $5 AND period_end = $6)",
                {Value::Text(source), Value::Text(kind), Value::Int(backlog ? 1 : 0),
                 Value::Text(id), Value::Text(start), Value::Text(end)}));
  if (rows.empty()) return std::string();
  return absl::StrCat(rows[0][0].AsString(), " (", rows[0][1].AsString(), "..",
                      rows[0][2].AsString(), ")");
}

// For an append: whether the manifest `id` exists (false: the append creates it), and
// FAILED_PRECONDITION when it does with another kind, backlog flag or period_start, or a later
// period_end than `end`.
absl::StatusOr<bool> CheckAppend(store::sql::Connection& c, const std::string& source,
                                 const std::string& id, const std::string& kind, bool backlog,
                                 const std::string& start, const std::string& end) {
  CRVS_ASSIGN_OR_RETURN(
      auto rows, c.Execute("SELECT kind, backlog, period_start, period_end FROM manifests "
                           "WHERE source = $1 AND manifest_id = $2",
                           {Value::Text(source), Value::Text(id)}));
  if (rows.empty()) return false;
  const std::string had_kind = rows[0][0].AsString(), had_start = rows[0][2].AsString(),
                    had_end = rows[0][3].AsString();
  const bool had_backlog = rows[0][1].AsInt() != 0;
  if (had_kind != kind || had_backlog != backlog || had_start != start) {
    return absl::FailedPreconditionError(absl::StrCat(
        "append: manifest ", id, " is ", had_kind, had_backlog ? " (backlog)" : "", " from ",
        had_start, "; an append keeps its kind, backlog_inventory and period_start (declare it "
        "without append to replace it whole)"));
  }
  if (end < had_end) {
    return absl::FailedPreconditionError(
        absl::StrCat("append: period_end ", end, " is before the manifest's ", had_end,
                     "; an append may only extend the period"));
  }
  return true;
}

// Every entry of manifest `id`.
absl::StatusOr<std::vector<DeclaredEntry>> LoadDeclared(store::sql::Connection& c,
                                                        const std::string& source,
                                                        const std::string& id) {
  CRVS_ASSIGN_OR_RETURN(
      auto rows,
      c.Execute("SELECT business_key, content_hash, issued_at_us, declared_at_us "
                "FROM manifest_entries WHERE source = $1 AND manifest_id = $2",
                {Value::Text(source), Value::Text(id)}));
  std::vector<DeclaredEntry> out;
  out.reserve(rows.size());
  for (auto& row : rows) {
    DeclaredEntry d{row[0].AsString(), row[1].AsString(), row[2].AsInt(), 0};
    d.declared_at_us = row[3].AsInt();
    out.push_back(std::move(d));
  }
  return out;
}

// The columns of manifests, in table order; superseded_manifests has them and then
// superseded_at_us.
constexpr char kManifestColumns[] =
    "source, manifest_id, kind, period_start, period_end, backlog, entries, declared_at_us, "
    "declared_by";

// Keeps manifest `id` of `source` as superseded at `now_us`: its header, and with
// `with_entries` its entries (before a re-declaration deletes them).
absl::Status KeepSuperseded(store::sql::Connection& c, const std::string& source,
                            const std::string& id, const Value& now_us, bool with_entries) {
  const std::vector<Value> params = {Value::Text(source), Value::Text(id), now_us};
  CRVS_RETURN_IF_ERROR(c.Execute(absl::StrCat("INSERT INTO superseded_manifests (",
                                              kManifestColumns, ", superseded_at_us) SELECT ",
                                              kManifestColumns, ", $3 FROM manifests ",
                                              "WHERE source = $1 AND manifest_id = $2"),
                                 params)
                           .status());
  if (!with_entries) return absl::OkStatus();
  return c
      .Execute("INSERT INTO superseded_manifest_entries (source, manifest_id, business_key, "
               "content_hash, issued_at_us, declared_at_us, superseded_at_us) SELECT source, "
               "manifest_id, business_key, content_hash, issued_at_us, declared_at_us, $3 "
               "FROM manifest_entries WHERE source = $1 AND manifest_id = $2",
               params)
      .status();
}

// Keeps, as superseded at `now_us`, each entry of `before` that `after` declares again with
// other content or issue time.
absl::Status SupersedeChangedEntries(store::sql::Connection& c, const std::string& source,
                                     const std::string& id,
                                     const std::vector<DeclaredEntry>& before,
                                     const std::vector<DeclaredEntry>& after,
                                     const Value& now_us) {
  std::map<std::string_view, const DeclaredEntry*> by_key;
  for (const DeclaredEntry& d : before) by_key.emplace(d.business_key, &d);
  std::vector<Value> values;
  for (const DeclaredEntry& d : after) {
    auto it = by_key.find(d.business_key);
    if (it == by_key.end()) continue;
    const DeclaredEntry& old = *it->second;
    if (old.content_hash == d.content_hash && old.issued_at_us == d.issued_at_us) continue;
    for (Value v : {Value::Text(source), Value::Text(id), Value::Text(old.business_key),
                    Value::Blob(old.content_hash), Value::Int(old.issued_at_us),
                    Value::Int(old.declared_at_us), now_us}) {
      values.push_back(std::move(v));
    }
  }
  if (values.empty()) return absl::OkStatus();
  return store::sql::ExecuteBulk(c,
                                 {"INSERT INTO superseded_manifest_entries (source, manifest_id, "
                                  "business_key, content_hash, issued_at_us, declared_at_us, "
                                  "superseded_at_us) VALUES ",
                                  7, ""},
                                 values, 1024)
      .status();
}

}  // namespace

absl::Status ValidateManifest(const v1::Manifest& header,
                              const std::vector<v1::ManifestEntry>& entries, absl::CivilDay today) {
  Violations out;
  CheckHeader(header, today, out);
  std::string prefix;
  if (!KeyPrefix(header.kind()).empty() && header.source().kind() == IssuerKind(header.kind())) {
    prefix = KeyPrefix(header.kind()) + records::EscapeKeyComponent(header.source().code()) + "/";
  }
  for (size_t i = 0; i < entries.size() && out.size() < 100; ++i) {
    CheckEntry(entries[i], absl::StrCat("entries[", i, "]"), prefix, header.backlog_inventory(),
               out);
  }
  return out.empty() ? absl::OkStatus() : InvalidArgument(out);
}

absl::StatusOr<v1::ManifestAck> StoreManifest(store::Store& store, const v1::Manifest& header,
                                              std::vector<v1::ManifestEntry> entries,
                                              const std::string& declared_by, absl::Time now,
                                              absl::Duration sla) {
  const std::string source = records::FormatPrincipal(header.source());
  const std::string kind = store::rules::KindName(header.kind());
  const std::string start = FormatDay(validation::internal::DayOf(header.period_start()));
  const std::string end = FormatDay(validation::internal::DayOf(header.period_end()));
  const bool backlog = header.backlog_inventory();

  std::vector<DeclaredEntry> declared;
  declared.reserve(entries.size());
  for (auto& e : entries) {
    declared.push_back({std::move(*e.mutable_business_key()), std::move(*e.mutable_content_hash()),
                        e.has_issued_at() ? TimeUtil::TimestampToMicroseconds(e.issued_at()) : 0,
                        0});
  }
  entries.clear();
  v1::ManifestAck ack;
  ack.set_manifest_id(header.manifest_id());
  ack.set_duplicate_entries(DeduplicateDeclared(declared));
  ack.set_entries(static_cast<int64_t>(declared.size()));
  *ack.mutable_declared_at() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(now));

  CRVS_RETURN_IF_ERROR(store.Transact([&](store::sql::Connection& c) -> absl::Status {
    bool extending = false;
    if (header.append()) {
      CRVS_ASSIGN_OR_RETURN(bool exists, CheckAppend(c, source, header.manifest_id(), kind,
                                                     backlog, start, end));
      extending = exists;
    }
    CRVS_ASSIGN_OR_RETURN(std::string overlap,
                          OverlappingManifest(c, source, kind, backlog, header.manifest_id(),
                                              start, end));
    if (!overlap.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "period_start..period_end ", start, "..", end, " overlaps manifest ", overlap,
          " of the same source and kind; declare the same period to replace it, or periods "
          "that do not overlap"));
    }
    // The same id, or another manifest of exactly this period, is replaced.
    CRVS_ASSIGN_OR_RETURN(
        auto replaced,
        c.Execute("SELECT manifest_id FROM manifests WHERE source = $1 AND (manifest_id = $2 OR "
                  "(kind = $3 AND backlog = $4 AND period_start = $5 AND period_end = $6))",
                  {Value::Text(source), Value::Text(header.manifest_id()), Value::Text(kind),
                   Value::Int(backlog ? 1 : 0), Value::Text(start), Value::Text(end)}));
    const Value now_us = Value::Int(absl::ToUnixMicros(now));
    for (const auto& row : replaced) {
      if (extending && row[0].AsString() == header.manifest_id()) continue;  // extended below
      CRVS_RETURN_IF_ERROR(KeepSuperseded(c, source, row[0].AsString(), now_us, true));
      for (const char* table : {"manifest_entries", "manifests"}) {
        CRVS_RETURN_IF_ERROR(
            c.Execute(absl::StrCat("DELETE FROM ", table,
                                   " WHERE source = $1 AND manifest_id = $2"),
                      {Value::Text(source), row[0]})
                .status());
      }
    }
    ack.set_replaced(static_cast<int>(replaced.size()) > (extending ? 1 : 0));
    ack.set_extended(extending);
    if (extending) {
      // The header as it was, and the entries this append changes; entries it repeats
      // unchanged keep their first declaration.
      CRVS_RETURN_IF_ERROR(KeepSuperseded(c, source, header.manifest_id(), now_us, false));
      CRVS_ASSIGN_OR_RETURN(std::vector<DeclaredEntry> before,
                            LoadDeclared(c, source, header.manifest_id()));
      CRVS_RETURN_IF_ERROR(SupersedeChangedEntries(c, source, header.manifest_id(), before,
                                                   declared, now_us));
    }
    // One statement for a new manifest and an extended one: the row is (re)written whole.
    CRVS_RETURN_IF_ERROR(
        c.Execute("INSERT INTO manifests (source, manifest_id, kind, period_start, period_end, "
                  "backlog, entries, declared_at_us, declared_by) "
                  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (source, manifest_id) "
                  "DO UPDATE SET period_end = excluded.period_end, "
                  "declared_at_us = excluded.declared_at_us, declared_by = excluded.declared_by",
                  {Value::Text(source), Value::Text(header.manifest_id()), Value::Text(kind),
                   Value::Text(start), Value::Text(end), Value::Int(backlog ? 1 : 0),
                   Value::Int(ack.entries()), now_us, Value::Text(declared_by)})
            .status());
    std::vector<Value> values;
    values.reserve(declared.size() * 6);
    for (const DeclaredEntry& d : declared) {
      values.push_back(Value::Text(source));
      values.push_back(Value::Text(header.manifest_id()));
      values.push_back(Value::Text(d.business_key));
      values.push_back(Value::Blob(d.content_hash));
      values.push_back(Value::Int(d.issued_at_us));
      values.push_back(now_us);
    }
    if (!values.empty()) {
      // An entry an append repeats unchanged is left as it was (with its declaration time).
      CRVS_RETURN_IF_ERROR(
          store::sql::ExecuteBulk(c,
                                  {"INSERT INTO manifest_entries (source, manifest_id, "
                                   "business_key, content_hash, issued_at_us, declared_at_us) "
                                   "VALUES ",
                                   6,
                                   " ON CONFLICT (source, manifest_id, business_key) DO UPDATE "
                                   "SET content_hash = excluded.content_hash, "
                                   "issued_at_us = excluded.issued_at_us, "
                                   "declared_at_us = excluded.declared_at_us "
                                   "WHERE manifest_entries.content_hash <> excluded.content_hash "
                                   "OR manifest_entries.issued_at_us <> excluded.issued_at_us"},
                                  values, 1024)
              .status());
    }
    if (extending) {  // the whole manifest now: its entries, for the count and the summary
      CRVS_ASSIGN_OR_RETURN(declared, LoadDeclared(c, source, header.manifest_id()));
      ack.set_entries(static_cast<int64_t>(declared.size()));
      CRVS_RETURN_IF_ERROR(
          c.Execute("UPDATE manifests SET entries = $3 WHERE source = $1 AND manifest_id = $2",
                    {Value::Text(source), Value::Text(header.manifest_id()),
                     Value::Int(ack.entries())})
              .status());
    }
    // The acknowledgement's summary: this manifest alone against the database now.
    std::vector<StoredRecord> stored;
    CRVS_RETURN_IF_ERROR(LoadStoredRecords(c, source, kind, stored));
    CompareOptions options;
    options.sla_us = absl::ToInt64Microseconds(sla);
    options.covered_days.push_back({DayNumber(ParseDay(start)), DayNumber(ParseDay(end))});
    *ack.mutable_summary() = CompareEntries(declared, stored, options);
    *ack.mutable_summary()->mutable_source() = header.source();
    ack.mutable_summary()->set_kind(header.kind());
    // Audited in the same transaction, last (store/audit.h): the manifest and its audit row
    // commit together.
    return store::AppendAudit(
        c,
        {{declared_by, "manifest.declared", absl::StrCat("manifest/", source, "/", header.manifest_id()),
          absl::StrCat("kind=", kind, " period=", start, "..", end,
                       " backlog=", backlog ? "true" : "false", " entries=", ack.entries(),
                       " replaced=", ack.replaced() ? "true" : "false",
                       extending ? " extended=true" : "")}},
        now);
  }));
  return ack;
}

}  // namespace crvs::reconcile
