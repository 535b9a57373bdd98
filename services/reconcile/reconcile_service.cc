#include "services/reconcile/reconcile_service.h"

#include <absl/strings/escaping.h>
#include <absl/strings/str_cat.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <random>

#include "services/auth/caller.h"
#include "services/platform/logging.h"
#include "services/platform/status.h"
#include "services/reconcile/calendar.h"
#include "services/reconcile/coverage.h"
#include "services/reconcile/manifest_store.h"
#include "services/records/records.h"
#include "services/store/record_rules.h"

namespace crvs::reconcile {
namespace {

namespace common = ::crvs::common::v1;
using google::protobuf::util::TimeUtil;

constexpr absl::Duration kDigestCacheTtl = absl::Seconds(10);
constexpr size_t kDigestCacheEntries = 8;
constexpr int kMaxResendKeys = 1000;

std::shared_ptr<spdlog::logger> Log() { return logging::Get("reconcile"); }

bool IsSource(const common::Principal& p) {
  return p.kind() == common::PRINCIPAL_KIND_FACILITY || p.kind() == common::PRINCIPAL_KIND_COURT;
}
bool IsOperator(const common::Principal& p) { return p.kind() == common::PRINCIPAL_KIND_OPERATOR; }

absl::Status Denied(const common::Principal& caller, const std::string& what) {
  return absl::PermissionDeniedError(
      absl::StrCat("caller ", records::FormatPrincipal(caller), " may not ", what));
}

// The source a call is about: a facility or court is always itself (a different `requested`
// is PERMISSION_DENIED); an operator names it (`required`) or means every source (empty).
absl::StatusOr<std::string> SourceFor(const common::Principal& caller,
                                      const common::Principal& requested, bool has_requested,
                                      bool required, const std::string& field) {
  const bool named = has_requested && requested.kind() != common::PRINCIPAL_KIND_UNSPECIFIED;
  if (IsSource(caller)) {
    if (named && (requested.kind() != caller.kind() || requested.code() != caller.code())) {
      return Denied(caller, absl::StrCat("act for ", records::FormatPrincipal(requested),
                                         " (sources act for themselves only)"));
    }
    return records::FormatPrincipal(caller);
  }
  if (!IsOperator(caller)) return Denied(caller, "use reconciliation (sources and operators only)");
  if (!named) {
    if (required) return InvalidArgument({{field, "is required when an operator calls"}});
    return std::string();
  }
  if (!IsSource(requested) || requested.code().empty()) {
    return InvalidArgument({{field, "must be a facility or court with a code"}});
  }
  return records::FormatPrincipal(requested);
}

// Period fields of coverage, gaps and digest requests.
absl::Status CheckPeriod(bool has_start, const common::LocalDate& start, bool has_end,
                         const common::LocalDate& end, std::vector<FieldViolation>& out) {
  bool ok = true;
  for (auto [present, date, field] : {std::tuple{has_start, &start, "period_start"},
                                      std::tuple{has_end, &end, "period_end"}}) {
    if (!present) {
      out.push_back({field, "is required"});
      ok = false;
    } else if (!validation::internal::IsValidDate(*date)) {
      out.push_back({field, "is not a valid calendar date"});
      ok = false;
    }
  }
  if (ok && validation::internal::DayOf(end) < validation::internal::DayOf(start)) {
    out.push_back({"period_end", "is before period_start"});
  }
  return absl::OkStatus();
}

absl::Status CheckKind(records::v1::RecordKind kind, bool required,
                       std::vector<FieldViolation>& out) {
  if (kind == records::v1::RECORD_KIND_UNSPECIFIED) {
    if (required) out.push_back({"kind", "is required"});
    return absl::OkStatus();
  }
  if (kind != records::v1::RECORD_KIND_BIRTH_CERTIFICATE &&
      kind != records::v1::RECORD_KIND_DEATH_NOTICE &&
      kind != records::v1::RECORD_KIND_DIVORCE_DECISION) {
    out.push_back({"kind", "must be BIRTH_CERTIFICATE, DEATH_NOTICE or DIVORCE_DECISION"});
  }
  return absl::OkStatus();
}

std::string NewRequestId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char kHex[] = "0123456789abcdef";
  std::string id = "rs-";
  for (int i = 0; i < 24; ++i) id += kHex[rng() & 0xf];
  return id;
}

// The kind of a business key, from its first component.
records::v1::RecordKind KindOfKey(const std::string& key) {
  if (key.rfind("birth/", 0) == 0) return records::v1::RECORD_KIND_BIRTH_CERTIFICATE;
  if (key.rfind("death/", 0) == 0) return records::v1::RECORD_KIND_DEATH_NOTICE;
  if (key.rfind("divorce/", 0) == 0) return records::v1::RECORD_KIND_DIVORCE_DECISION;
  return records::v1::RECORD_KIND_UNSPECIFIED;
}

// Runs `body` for whom the call acts for (an operator signed in to the console arrives through
// a tls.delegates principal, auth/caller.h).
template <class F>
grpc::Status Serve(grpc::ServerContext* context, const char* method,
                   const std::vector<std::string>& delegates, F body) {
  auto caller = auth::ActingCallerFromContext(*context, delegates);
  absl::Status status = caller.ok() ? body(caller->principal) : caller.status();
  if (!status.ok() && status.code() != absl::StatusCode::kInvalidArgument &&
      status.code() != absl::StatusCode::kPermissionDenied &&
      status.code() != absl::StatusCode::kUnauthenticated &&
      status.code() != absl::StatusCode::kFailedPrecondition) {
    Log()->warn("event=call_failed method={} code={} error=\"{}\"", method,
                absl::StatusCodeToString(status.code()), std::string(status.message()));
    if (IsRetryable(status)) {
      status = absl::UnavailableError(
          absl::StrCat("civil-status database unavailable (", status.message(), "); retry"));
    }
  }
  return ToGrpcStatus(status);
}

}  // namespace

ReconcileService::ReconcileService(Deps deps)
    : deps_(std::move(deps)), accounts_(*deps_.store) {}

absl::StatusOr<std::string> ReconcileService::ScopedProvince(grpc::ServerContext* context,
                                                             const std::string& requested,
                                                             operators::Role role,
                                                             const std::string& what) {
  CRVS_ASSIGN_OR_RETURN(operators::Operator op,
                        operators::OperatorFromContext(*context, deps_.delegates, accounts_));
  CRVS_RETURN_IF_ERROR(operators::RequireRole(op, role, what));
  if (op.national()) return requested;
  if (!requested.empty() && requested != op.province_code) {
    return absl::PermissionDeniedError(absl::StrCat(op.principal, " works for province ",
                                                    op.province_code, "; ", what,
                                                    " for province ", requested, " is refused"));
  }
  return op.province_code;
}

absl::StatusOr<v1::ManifestAck> ReconcileService::Declare(const common::Principal& caller,
                                                          v1::Manifest header,
                                                          std::vector<v1::ManifestEntry> entries) {
  CRVS_ASSIGN_OR_RETURN(std::string source, SourceFor(caller, header.source(),
                                                      header.has_source(), true, "source"));
  *header.mutable_source() = *records::ParsePrincipal(source);
  CRVS_RETURN_IF_ERROR(ValidateManifest(header, entries, validation::internal::VietnamDay(Now())));
  CRVS_ASSIGN_OR_RETURN(
      v1::ManifestAck ack,
      StoreManifest(*deps_.store, header, std::move(entries), records::FormatPrincipal(caller),
                    Now(), absl::Milliseconds(deps_.config->sync_sla.count())));
  Log()->debug(
      "event=manifest_declared source={} manifest_id={} kind={} entries={} replaced={} "
      "present={} missing={}",
      source, ack.manifest_id(), store::rules::KindName(header.kind()), ack.entries(),
      ack.replaced(), ack.summary().present(), ack.summary().missing());
  return ack;
}

grpc::Status ReconcileService::DeclareManifest(grpc::ServerContext* context,
                                               const v1::Manifest* request,
                                               v1::ManifestAck* response) {
  return Serve(context, "DeclareManifest", deps_.delegates, [&](const common::Principal& caller) -> absl::Status {
    if (request->entries_size() > kMaxUnaryManifestEntries) {
      return InvalidArgument({{"entries", absl::StrCat("has ", request->entries_size(),
                                                       " entries; at most 20,000 in one call, "
                                                       "use DeclareManifestStream")}});
    }
    v1::Manifest header = *request;
    std::vector<v1::ManifestEntry> entries(header.mutable_entries()->begin(),
                                           header.mutable_entries()->end());
    header.clear_entries();
    CRVS_ASSIGN_OR_RETURN(*response, Declare(caller, std::move(header), std::move(entries)));
    return absl::OkStatus();
  });
}

grpc::Status ReconcileService::DeclareManifestStream(grpc::ServerContext* context,
                                                     grpc::ServerReader<v1::ManifestChunk>* reader,
                                                     v1::ManifestAck* response) {
  return Serve(context, "DeclareManifestStream", deps_.delegates,
               [&](const common::Principal& caller) -> absl::Status {
                 v1::Manifest header;
                 std::vector<v1::ManifestEntry> entries;
                 v1::ManifestChunk chunk;
                 int64_t n = 0;
                 for (; reader->Read(&chunk); ++n) {
                   const std::string at = absl::StrCat("chunk ", n, ": ");
                   if (n == 0 && !chunk.has_header()) {
                     return InvalidArgument({{"header", at + "the first chunk must carry it"}});
                   }
                   if (n > 0 && chunk.has_header()) {
                     return InvalidArgument({{"header", at + "only the first chunk carries it"}});
                   }
                   if (chunk.entries_size() > kMaxChunkEntries) {
                     return InvalidArgument(
                         {{"entries", at + "more than 10,000 entries in one chunk"}});
                   }
                   if (n == 0) {
                     header = chunk.header();
                     for (auto& e : *header.mutable_entries()) entries.push_back(std::move(e));
                     header.clear_entries();
                   }
                   for (auto& e : *chunk.mutable_entries()) entries.push_back(std::move(e));
                 }
                 if (context->IsCancelled()) return absl::CancelledError("stream cancelled");
                 if (n == 0) return InvalidArgument({{"header", "no chunk received"}});
                 CRVS_ASSIGN_OR_RETURN(*response,
                                       Declare(caller, std::move(header), std::move(entries)));
                 return absl::OkStatus();
               });
}

absl::StatusOr<v1::CoverageReport> ReconcileService::Coverage(
    const common::Principal& caller, const v1::CoverageRequest& request,
    const std::function<void(const v1::Gap&)>& gaps) {
  CRVS_ASSIGN_OR_RETURN(std::string source, SourceFor(caller, request.source(),
                                                      request.has_source(), false, "source"));
  std::vector<FieldViolation> bad;
  CRVS_RETURN_IF_ERROR(CheckPeriod(request.has_period_start(), request.period_start(),
                                   request.has_period_end(), request.period_end(), bad));
  CRVS_RETURN_IF_ERROR(CheckKind(request.kind(), false, bad));
  if (!request.province_code().empty() && request.province_code().size() != 2) {
    bad.push_back({"province_code", "must be 2 digits"});
  }
  if (!request.commune_code().empty() && request.commune_code().size() != 5) {
    bad.push_back({"commune_code", "must be 5 digits"});
  }
  if (!bad.empty()) return InvalidArgument(bad);

  CoverageQuery q;
  q.source = source;
  q.kind = request.kind();
  q.period_start = validation::internal::DayOf(request.period_start());
  q.period_end = validation::internal::DayOf(request.period_end());
  q.backlog = request.backlog_inventory();
  q.sla = absl::Milliseconds(deps_.config->sync_sla.count());
  const bool area = !request.province_code().empty() || !request.commune_code().empty();
  std::map<std::string, bool> in_area;  // source → lies in the requested area
  auto wanted = [&](const std::string& s) -> absl::StatusOr<bool> {
    if (!area) return true;
    auto it = in_area.find(s);
    if (it != in_area.end()) return it->second;
    CRVS_ASSIGN_OR_RETURN(bool in,
                          deps_.source_in_area(s, request.province_code(), request.commune_code()));
    return in_area[s] = in;
  };
  absl::Status area_error;
  std::function<void(const v1::Gap&)> filtered;
  if (gaps) {
    filtered = [&](const v1::Gap& g) {
      auto in = wanted(records::FormatPrincipal(g.source()));
      if (in.ok() && *in) gaps(g);
    };
  }
  CRVS_ASSIGN_OR_RETURN(auto rows, ComputeCoverage(*deps_.store, q, filtered));
  v1::CoverageReport report;
  std::vector<v1::CoverageRow> kept;
  for (auto& row : rows) {
    CRVS_ASSIGN_OR_RETURN(bool in, wanted(records::FormatPrincipal(row.source())));
    if (in) kept.push_back(std::move(row));
  }
  std::sort(kept.begin(), kept.end(), [](const v1::CoverageRow& a, const v1::CoverageRow& b) {
    return std::tuple(a.source().kind(), a.source().code(), a.kind()) <
           std::tuple(b.source().kind(), b.source().code(), b.kind());
  });
  *report.mutable_total() = SumCoverage(kept);
  for (auto& row : kept) *report.add_rows() = std::move(row);
  *report.mutable_computed_at() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(Now()));
  return report;
}

grpc::Status ReconcileService::GetCoverage(grpc::ServerContext* context,
                                           const v1::CoverageRequest* request,
                                           v1::CoverageReport* response) {
  return Serve(context, "GetCoverage", deps_.delegates, [&](const common::Principal& caller) -> absl::Status {
    v1::CoverageRequest scoped = *request;
    if (IsOperator(caller)) {
      CRVS_ASSIGN_OR_RETURN(*scoped.mutable_province_code(),
                            ScopedProvince(context, request->province_code(),
                                           operators::Role::kViewer, "coverage"));
    }
    CRVS_ASSIGN_OR_RETURN(*response, Coverage(caller, scoped, {}));
    return absl::OkStatus();
  });
}

grpc::Status ReconcileService::ListGaps(grpc::ServerContext* context,
                                        const v1::GapsRequest* request,
                                        grpc::ServerWriter<v1::Gap>* writer) {
  return Serve(context, "ListGaps", deps_.delegates, [&](const common::Principal& caller) -> absl::Status {
    if (request->max_gaps() < 0) return InvalidArgument({{"max_gaps", "must not be negative"}});
    for (int i = 0; i < request->gap_kinds_size(); ++i) {
      if (!v1::GapKind_IsValid(request->gap_kinds(i))) {
        return InvalidArgument({{absl::StrCat("gap_kinds[", i, "]"), "is not a known gap kind"}});
      }
    }
    v1::CoverageRequest as_coverage;
    if (request->has_source()) *as_coverage.mutable_source() = request->source();
    as_coverage.set_kind(request->kind());
    if (request->has_period_start()) *as_coverage.mutable_period_start() = request->period_start();
    if (request->has_period_end()) *as_coverage.mutable_period_end() = request->period_end();
    as_coverage.set_backlog_inventory(request->backlog_inventory());
    if (IsOperator(caller)) {
      CRVS_ASSIGN_OR_RETURN(*as_coverage.mutable_province_code(),
                            ScopedProvince(context, "", operators::Role::kViewer, "gaps"));
    }
    std::vector<v1::Gap> gaps;
    auto keep = [&](const v1::Gap& g) {
      if (request->max_gaps() > 0 && static_cast<int64_t>(gaps.size()) >= request->max_gaps()) {
        return;
      }
      if (request->gap_kinds_size() > 0 &&
          std::find(request->gap_kinds().begin(), request->gap_kinds().end(), g.kind()) ==
              request->gap_kinds().end()) {
        return;
      }
      gaps.push_back(g);
    };
    CRVS_RETURN_IF_ERROR(Coverage(caller, as_coverage, keep).status());
    for (const v1::Gap& g : gaps) {
      if (!writer->Write(g)) return absl::CancelledError("client went away");
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<v1::RequestResendResponse> ReconcileService::Resend(
    const v1::RequestResendRequest& request) {
  std::vector<FieldViolation> bad;
  const common::Principal& source = request.source();
  if (!IsSource(source) || source.code().empty()) {
    bad.push_back({"source", "must be a facility or court with a code"});
  }
  if (request.business_keys().empty() || request.business_keys_size() > kMaxResendKeys) {
    bad.push_back({"business_keys", "must hold 1..1000 keys"});
  }
  if (request.reason().empty() || request.reason().size() > 1000) {
    bad.push_back({"reason", "must be 1..1000 bytes"});
  }
  const std::string escaped = records::EscapeKeyComponent(source.code());
  for (int i = 0; i < request.business_keys_size() && bad.size() < 50; ++i) {
    const std::string& key = request.business_keys(i);
    const records::v1::RecordKind kind = KindOfKey(key);
    const bool court_kind = kind == records::v1::RECORD_KIND_DIVORCE_DECISION;
    const std::string prefix = absl::StrCat(key.substr(0, key.find('/') + 1), escaped, "/");
    if (kind == records::v1::RECORD_KIND_UNSPECIFIED ||
        court_kind != (source.kind() == common::PRINCIPAL_KIND_COURT) ||
        key.compare(0, prefix.size(), prefix) != 0 || key.size() == prefix.size()) {
      bad.push_back({absl::StrCat("business_keys[", i, "]"),
                     absl::StrCat("is not a key of a record issued by ",
                                  records::FormatPrincipal(source))});
    }
  }
  if (!bad.empty()) return InvalidArgument(bad);

  const std::string principal = records::FormatPrincipal(source);
  v1::RequestResendResponse response;
  int64_t published = 0;
  for (const std::string& key : request.business_keys()) {
    std::string id = deps_.resend->OpenRequestId(principal, key);
    if (id.empty()) {
      ingest::v1::ResendRequest r;
      r.set_request_id(NewRequestId());
      r.set_business_key(key);
      r.set_kind(KindOfKey(key));
      r.set_reason(request.reason());
      *r.mutable_requested_at() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(Now()));
      CRVS_RETURN_IF_ERROR(deps_.resend->Publish(principal, r));
      id = r.request_id();
      ++published;
    }
    response.add_request_ids(id);
  }
  Log()->info("event=resend_requested source={} keys={} published={} reused={}", principal,
              request.business_keys_size(), published, request.business_keys_size() - published);
  return response;
}

grpc::Status ReconcileService::RequestResend(grpc::ServerContext* context,
                                             const v1::RequestResendRequest* request,
                                             v1::RequestResendResponse* response) {
  return Serve(context, "RequestResend", deps_.delegates, [&](const common::Principal& caller) -> absl::Status {
    if (!IsOperator(caller)) return Denied(caller, "request re-sends (operators only)");
    CRVS_ASSIGN_OR_RETURN(std::string province, ScopedProvince(context, "",
                                                               operators::Role::kOperator,
                                                               "requesting re-sends"));
    if (!province.empty()) {
      CRVS_ASSIGN_OR_RETURN(bool in, deps_.source_in_area(records::FormatPrincipal(
                                                              request->source()),
                                                          province, ""));
      if (!in) {
        return absl::PermissionDeniedError(absl::StrCat(
            records::FormatPrincipal(request->source()), " is not located in province ",
            province, ": its re-sends are asked by that province or nationally"));
      }
    }
    CRVS_ASSIGN_OR_RETURN(*response, Resend(*request));
    // Audited once published (the request travels over Kafka, not the database). If the
    // audit fails the operator retries: an open request is reused, not published again.
    const std::string source = records::FormatPrincipal(request->source());
    const std::string reason =
        absl::Utf8SafeCEscape(logging::MaskPersonalIds(request->reason()));
    std::vector<store::AuditEntry> audit;
    for (int i = 0; i < request->business_keys_size(); ++i) {
      audit.push_back({records::FormatPrincipal(caller), "resend.requested",
                       request->business_keys(i),
                       absl::StrCat("source=", source, " request_id=", response->request_ids(i),
                                    " reason=\"", reason, "\"")});
    }
    return deps_.store->Audit(audit);
  });
}

absl::StatusOr<std::shared_ptr<const DigestIndex>> ReconcileService::ServerIndex(
    const v1::DigestRequest& r) {
  const std::string source = records::FormatPrincipal(r.source());
  const int32_t first = DayNumber(validation::internal::DayOf(r.period_start()));
  const int32_t last = DayNumber(validation::internal::DayOf(r.period_end()));
  const auto key = std::make_tuple(source, static_cast<int>(r.kind()), first, last, r.keys_only());
  const absl::Time now = Now();
  {
    platform::MutexLock lock(&cache_mu_);
    auto it = digest_cache_.find(key);
    if (it != digest_cache_.end() && now - it->second.built_at < kDigestCacheTtl) {
      return it->second.index;
    }
  }
  std::vector<StoredRecord> stored;
  CRVS_RETURN_IF_ERROR(deps_.store->Read([&](store::sql::Connection& c) {
    return LoadStoredRecords(c, source, store::rules::KindName(r.kind()), stored);
  }));
  std::vector<v1::ManifestEntry> entries;
  for (StoredRecord& s : stored) {
    if (s.voided || s.period_day < first || s.period_day > last) continue;
    v1::ManifestEntry& e = entries.emplace_back();
    e.set_business_key(std::move(s.business_key));
    e.set_content_hash(std::move(s.content_hash));
    *e.mutable_issued_at() = TimeUtil::MicrosecondsToTimestamp(s.issued_at_us);
  }
  auto index = std::make_shared<const DigestIndex>(std::move(entries), r.keys_only());
  platform::MutexLock lock(&cache_mu_);
  if (digest_cache_.size() >= kDigestCacheEntries) {
    auto oldest = std::min_element(digest_cache_.begin(), digest_cache_.end(),
                                   [](const auto& a, const auto& b) {
                                     return a.second.built_at < b.second.built_at;
                                   });
    digest_cache_.erase(oldest);
  }
  digest_cache_[key] = {now, index};
  return index;
}

absl::StatusOr<v1::DigestResponse> ReconcileService::Digest(const common::Principal& caller,
                                                            v1::DigestRequest request) {
  CRVS_ASSIGN_OR_RETURN(std::string source, SourceFor(caller, request.source(),
                                                      request.has_source(), true, "source"));
  *request.mutable_source() = *records::ParsePrincipal(source);
  std::vector<FieldViolation> bad;
  CRVS_RETURN_IF_ERROR(CheckPeriod(request.has_period_start(), request.period_start(),
                                   request.has_period_end(), request.period_end(), bad));
  CRVS_RETURN_IF_ERROR(CheckKind(request.kind(), true, bad));
  if (!bad.empty()) return InvalidArgument(bad);
  CRVS_ASSIGN_OR_RETURN(auto index, ServerIndex(request));
  return AnswerDigest(*index, request);
}

grpc::Status ReconcileService::CompareDigest(grpc::ServerContext* context,
                                             const v1::DigestRequest* request,
                                             v1::DigestResponse* response) {
  return Serve(context, "CompareDigest", deps_.delegates, [&](const common::Principal& caller) -> absl::Status {
    CRVS_ASSIGN_OR_RETURN(*response, Digest(caller, *request));
    return absl::OkStatus();
  });
}

grpc::Status ReconcileService::GetIndicators(grpc::ServerContext* context,
                                             const v1::IndicatorsRequest* request,
                                             v1::IndicatorReport* response) {
  return Serve(context, "GetIndicators", deps_.delegates, [&](const common::Principal& caller) -> absl::Status {
    // The programme's figures are published by the Ministry: operators compute them; a
    // facility, court or registry office reads what is published, not the live database.
    if (!IsOperator(caller)) return Denied(caller, "compute indicators (operators only)");
    v1::IndicatorsRequest scoped = *request;
    CRVS_ASSIGN_OR_RETURN(*scoped.mutable_province_code(),
                          ScopedProvince(context, request->province_code(),
                                         operators::Role::kViewer, "indicators"));
    CRVS_ASSIGN_OR_RETURN(*response, deps_.indicators(scoped));
    return absl::OkStatus();
  });
}

grpc::Status ReconcileService::ListSilentSources(grpc::ServerContext* context,
                                                 const v1::ListSilentSourcesRequest* request,
                                                 v1::ListSilentSourcesResponse* response) {
  return Serve(context, "ListSilentSources", deps_.delegates, [&](const common::Principal& caller) -> absl::Status {
    if (!IsOperator(caller)) return Denied(caller, "list silent sources (operators only)");
    CRVS_ASSIGN_OR_RETURN(std::string province, ScopedProvince(context, "",
                                                               operators::Role::kViewer,
                                                               "silent sources"));
    std::vector<FieldViolation> bad;
    if (request->page_size() < 0 || request->page_size() > 1000) {
      bad.push_back({"page_size", "must be 0..1000"});
    }
    int64_t offset = 0;
    if (!request->page_token().empty() &&
        (!absl::SimpleAtoi(request->page_token(), &offset) || offset < 0 ||
         offset > (int64_t{1} << 40))) {  // offset + page must not overflow
      bad.push_back({"page_token", "is not a token this service returned"});
    }
    if (request->min_quiet_for().seconds() < 0) {
      bad.push_back({"min_quiet_for", "must not be negative"});
    }
    if (!bad.empty()) return InvalidArgument(bad);
    SilenceRule rule{deps_.config->silent_cadence_factor,
                     absl::Milliseconds(deps_.config->silent_min_quiet.count())};
    CRVS_ASSIGN_OR_RETURN(
        auto silent,
        FindSilentSources(*deps_.store, rule, request->kind(),
                          absl::Microseconds(TimeUtil::DurationToMicroseconds(
                              request->min_quiet_for())),
                          Now()));
    if (!province.empty()) {  // a provincial operator: the sources located in its province
      std::vector<v1::SilentSource> kept;
      for (auto& source : silent) {
        CRVS_ASSIGN_OR_RETURN(bool in, deps_.source_in_area(
                                           records::FormatPrincipal(source.source()), province, ""));
        if (in) kept.push_back(std::move(source));
      }
      silent = std::move(kept);
    }
    const int64_t page = request->page_size() == 0 ? 100 : request->page_size();
    for (int64_t i = offset; i < static_cast<int64_t>(silent.size()) && i < offset + page; ++i) {
      *response->add_silent_sources() = silent[i];
    }
    if (offset + page < static_cast<int64_t>(silent.size())) {
      response->set_next_page_token(std::to_string(offset + page));
    }
    return absl::OkStatus();
  });
}

}  // namespace crvs::reconcile
