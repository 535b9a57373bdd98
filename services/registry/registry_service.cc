#include "services/registry/registry_service.h"
#include "services/platform/elapsed.h"

#include <chrono>
#include <string>
#include <utility>

#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>

#include "services/auth/caller.h"
#include "services/platform/logging.h"
#include "services/platform/status.h"
#include "services/records/records.h"
#include "services/store/record_rules.h"
#include "services/registry/proto_mapping.h"
#include "services/registry/registration_write.h"
#include "services/validation/validators.h"

namespace crvs::registry {
namespace {

namespace common = ::crvs::common::v1;
namespace rv1 = ::crvs::records::v1;
using Clock = std::chrono::steady_clock;

std::shared_ptr<spdlog::logger> Log() { return logging::Get("registry"); }

absl::Time FromProto(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

// A store failure as the client should see it: transient → UNAVAILABLE (retry), NOT_FOUND and
// INVALID_ARGUMENT as they are (they are about the request), anything else → INTERNAL.
absl::Status FromStore(const absl::Status& status, const std::string& retry_hint) {
  if (IsRetryable(status)) {
    return absl::UnavailableError(
        absl::StrCat("civil-status database unavailable (",
                     logging::MaskPersonalIds(std::string(status.message())), "); retry",
                     retry_hint));
  }
  if (status.code() == absl::StatusCode::kNotFound ||
      status.code() == absl::StatusCode::kInvalidArgument) {
    return status;
  }
  return absl::InternalError(absl::StrCat(
      "civil-status database error: ", logging::MaskPersonalIds(std::string(status.message()))));
}

absl::Status CheckReader(const common::Principal& caller) {
  if (caller.kind() == common::PRINCIPAL_KIND_REGISTRY_OFFICE ||
      caller.kind() == common::PRINCIPAL_KIND_OPERATOR) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat("caller ", records::FormatPrincipal(caller),
                   " may not read the civil-status database (registry offices and operators "
                   "only)"));
}

// The trace id of a W3C `traceparent` header ("00-<32 hex>-<16 hex>-<2 hex>"), or "" when
// there is none or it is malformed (a new one is generated then).
std::string TraceIdOf(const grpc::ServerContext& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("traceparent");
  if (it == metadata.end()) return "";
  const std::string value(it->second.data(), it->second.size());
  if (value.size() < 55 || value[2] != '-' || value[35] != '-') return "";
  std::string trace_id = value.substr(3, 32);
  for (char c : trace_id) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) && (c < 'a' || c > 'f')) return "";
  }
  return trace_id == std::string(32, '0') ? "" : trace_id;
}

std::string LinkedKey(const rv1::Registration& r) {
  switch (r.linked_case()) {
    case rv1::Registration::kBirthCertificate:
      return records::KeyOf(r.birth_certificate()).value;
    case rv1::Registration::kDeathNotice:
      return records::KeyOf(r.death_notice()).value;
    case rv1::Registration::kDivorceDecision:
      return records::KeyOf(r.divorce_decision()).value;
    case rv1::Registration::LINKED_NOT_SET:
      break;
  }
  return "";
}

std::string ActionName(rv1::Action action) {
  std::string name = rv1::Action_Name(action);
  return name.rfind("ACTION_", 0) == 0 ? name.substr(7) : name;
}

}  // namespace

RegistryService::RegistryService(Deps deps) : deps_(std::move(deps)), accounts_(*deps_.store) {
  auto areas = reconcile::indicators::Areas::Load({});
  if (areas.ok()) {
    areas_ = std::move(*areas);
  } else {  // then offices read only what their registrations link to
    Log()->error("event=areas_unavailable error=\"{}\"", std::string(areas.status().message()));
  }
}

absl::StatusOr<RegistryService::ReadScope> RegistryService::ScopeOf(
    const common::Principal& caller) {
  ReadScope scope;
  scope.principal = records::FormatPrincipal(caller);
  if (caller.kind() == common::PRINCIPAL_KIND_REGISTRY_OFFICE) {
    scope.office = caller.code();
    rv1::RecordEnvelope office;  // the province of its commune, as for a registration it made
    office.mutable_registration()->mutable_key()->set_registry_office_code(caller.code());
    scope.province = reconcile::indicators::RecordProvince(office, areas_);
    if (scope.province.empty()) scope.province = "??";  // a commune the register lacks
    return scope;
  }
  CRVS_ASSIGN_OR_RETURN(auto account, accounts_.Find(caller.code()));
  if (account && account->disabled) {
    return absl::PermissionDeniedError(scope.principal + ": this account is disabled");
  }
  if (account) scope.province = account->province_code;
  return scope;
}

absl::Status RegistryService::CheckRecordInScope(const ReadScope& scope,
                                                 const store::RecordRow& view) {
  if (scope.province.empty() || view.versions.empty()) return absl::OkStatus();
  const rv1::RecordEnvelope& current = view.versions.back().envelope;
  if (reconcile::indicators::RecordProvince(current, areas_) == scope.province) {
    return absl::OkStatus();
  }
  bool linked = false;
  if (!scope.office.empty()) {
    CRVS_RETURN_IF_ERROR(deps_.store->Read([&](store::sql::Connection& c) -> absl::Status {
      CRVS_ASSIGN_OR_RETURN(
          auto rows, c.Execute("SELECT 1 FROM registrations WHERE linked_key = $1 AND "
                               "registry_office_code = $2 LIMIT 1",
                               {store::sql::Value::Text(view.business_key),
                                store::sql::Value::Text(scope.office)}));
      linked = !rows.empty();
      return absl::OkStatus();
    }));
  }
  if (linked) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      scope.principal, " reads the records of province ", scope.province,
      scope.office.empty() ? "" : " and those its registrations link to", "; ",
      view.business_key, " is not one of them"));
}

absl::Status RegistryService::CheckPersonInScope(const ReadScope& scope,
                                                 const std::string& personal_id) {
  if (scope.province.empty()) return absl::OkStatus();
  // Where each record about the person was made: a birth's or death's commune, a
  // registration's office (a divorce decision's commune is not kept in a column: it counts
  // through the registration that noted it).
  bool in_scope = false;
  CRVS_RETURN_IF_ERROR(deps_.store->Read([&](store::sql::Connection& c) -> absl::Status {
    // The records about the person: the keys of their facts (persons.facts).
    CRVS_ASSIGN_OR_RETURN(auto person,
                          c.Execute("SELECT facts FROM persons WHERE personal_id = $1",
                                    {store::sql::Value::Text(personal_id)}));
    std::vector<store::sql::Value> keys;
    std::string list;
    if (!person.empty()) {
      for (const auto& f : store::rules::ParseFacts(personal_id, person[0][0].AsString())) {
        keys.push_back(store::sql::Value::Text(f.business_key));
        absl::StrAppend(&list, list.empty() ? "$" : ", $", keys.size());
      }
    }
    if (keys.empty()) return absl::OkStatus();
    CRVS_ASSIGN_OR_RETURN(
        auto rows,
        c.Execute(absl::StrCat("SELECT b.birth_commune_code, d.death_commune_code, "
                               "r.registry_office_code FROM records k "
                               "LEFT JOIN birth_certificates b ON b.business_key = k.business_key "
                               "LEFT JOIN death_notices d ON d.business_key = k.business_key "
                               "LEFT JOIN registrations r ON r.business_key = k.business_key "
                               "WHERE k.business_key IN (",
                               list, ")"),
                  keys));
    for (const auto& row : rows) {
      for (int i = 0; i < 3 && !in_scope; ++i) {
        if (row[i].is_null()) continue;
        const std::string commune = row[i].AsString();
        if (i == 2 && commune == scope.office) in_scope = true;
        rv1::RecordEnvelope at;
        at.mutable_registration()->mutable_key()->set_registry_office_code(commune);
        if (reconcile::indicators::RecordProvince(at, areas_) == scope.province) in_scope = true;
      }
    }
    return absl::OkStatus();
  }));
  if (in_scope) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      scope.principal, " may read the status of a person whose records were made in province ",
      scope.province, scope.office.empty() ? "" : " or whom its office registered",
      "; none of this person's are"));
}

template <class Response, class Body>
grpc::Status RegistryService::Handle(const char* method, grpc::ServerContext* context,
                                     Response* response, Body body) {
  const auto start = Clock::now();
  absl::Status status;
  auto caller = auth::CallerFromMetadata(*context);
  if (!caller.ok()) {
    status = caller.status();
  } else {
    auto result = body(*caller);
    status = result.status();
    if (result.ok()) *response = std::move(*result);
  }
  deps_.metrics->Call(method, absl::StatusCodeToString(status.code()),
                      platform::SecondsSince(start));
  if (status.code() == absl::StatusCode::kInternal ||
      status.code() == absl::StatusCode::kUnavailable) {
    Log()->warn("call failed method={} caller={} code={} error={}", method,
                caller.ok() ? records::FormatPrincipal(*caller) : "-",
                absl::StatusCodeToString(status.code()), std::string(status.message()));
  }
  return ToGrpcStatus(status);
}

grpc::Status RegistryService::GetRecord(grpc::ServerContext* context,
                                        const v1::GetRecordRequest* request,
                                        v1::RecordView* response) {
  return Handle("GetRecord", context, response,
                [&](const common::Principal& caller) { return Get(caller, *request); });
}

grpc::Status RegistryService::GetPersonStatus(grpc::ServerContext* context,
                                              const v1::GetPersonStatusRequest* request,
                                              v1::PersonStatus* response) {
  return Handle("GetPersonStatus", context, response,
                [&](const common::Principal& caller) { return Person(caller, *request); });
}

grpc::Status RegistryService::ListRecords(grpc::ServerContext* context,
                                          const v1::ListRecordsRequest* request,
                                          v1::ListRecordsResponse* response) {
  return Handle("ListRecords", context, response,
                [&](const common::Principal& caller) { return List(caller, *request); });
}

grpc::Status RegistryService::RecordRegistration(grpc::ServerContext* context,
                                                 const v1::RecordRegistrationRequest* request,
                                                 v1::RecordRegistrationResponse* response) {
  const std::string trace_id = TraceIdOf(*context);
  return Handle("RecordRegistration", context, response,
                [&](const common::Principal& caller) { return Record(caller, *request, trace_id); });
}

absl::StatusOr<v1::RecordView> RegistryService::Get(const common::Principal& caller,
                                                    const v1::GetRecordRequest& request) {
  CRVS_RETURN_IF_ERROR(CheckReader(caller));
  auto violations = validation::ValidateGetRecordRequest(request);
  if (!violations.empty()) return InvalidArgument(violations);
  CRVS_ASSIGN_OR_RETURN(ReadScope scope, ScopeOf(caller));
  auto view = deps_.store->GetRecord(store::BusinessKey(request.business_key()));
  if (!view.ok()) return FromStore(view.status(), "");
  CRVS_RETURN_IF_ERROR(CheckRecordInScope(scope, *view));
  return ToProto(*view);
}

absl::StatusOr<v1::PersonStatus> RegistryService::Person(
    const common::Principal& caller, const v1::GetPersonStatusRequest& request) {
  CRVS_RETURN_IF_ERROR(CheckReader(caller));
  validation::Context ctx;
  ctx.reference = deps_.reference;
  ctx.now = Now();
  auto violations = validation::ValidateGetPersonStatusRequest(request, ctx);
  if (!violations.empty()) return InvalidArgument(violations);
  CRVS_ASSIGN_OR_RETURN(ReadScope scope, ScopeOf(caller));
  CRVS_RETURN_IF_ERROR(CheckPersonInScope(scope, request.personal_id().number()));
  auto status = deps_.store->GetPersonStatus(request.personal_id().number());
  if (!status.ok()) return FromStore(status.status(), "");
  return ToProto(*status);
}

absl::StatusOr<v1::ListRecordsResponse> RegistryService::List(
    const common::Principal& caller, const v1::ListRecordsRequest& request) {
  CRVS_RETURN_IF_ERROR(CheckReader(caller));
  auto violations = validation::ValidateListRecordsRequest(request);
  if (!violations.empty()) return InvalidArgument(violations);

  store::RecordQuery query;
  if (request.has_source()) query.source = request.source();
  if (caller.kind() == common::PRINCIPAL_KIND_REGISTRY_OFFICE) {
    // The store cannot tell which records concern a commune; an office lists what it sent.
    if (!query.source) {
      query.source = caller;
    } else if (records::FormatPrincipal(*query.source) != records::FormatPrincipal(caller)) {
      return absl::PermissionDeniedError(absl::StrCat(
          "a registry office lists only the records it sent: leave source unset or set it to ",
          records::FormatPrincipal(caller)));
    }
  }
  query.kind = request.kind();
  if (request.has_issued_from()) query.issued_from = FromProto(request.issued_from());
  if (request.has_issued_to()) query.issued_to = FromProto(request.issued_to());
  query.page_size = request.page_size();
  query.page_token = request.page_token();

  CRVS_ASSIGN_OR_RETURN(ReadScope scope, ScopeOf(caller));
  auto page = deps_.store->ListRecords(query);
  if (!page.ok()) return FromStore(page.status(), "");
  v1::ListRecordsResponse response;
  for (const auto& view : page->records) {
    // A provincial operator's page keeps its province's records (it may come out short).
    if (scope.office.empty() && !CheckRecordInScope(scope, view).ok()) continue;
    *response.add_records() = ToProto(view);
  }
  response.set_next_page_token(std::move(page->next_page_token));
  return response;
}

absl::StatusOr<bool> RegistryService::LinkedRecordFound(const rv1::Registration& registration) {
  const std::string key = LinkedKey(registration);
  if (key.empty()) return false;
  auto view = deps_.store->GetRecord(store::BusinessKey(key));
  if (view.ok()) return view->state != store::RecordState::kVoided;
  if (view.status().code() == absl::StatusCode::kNotFound) return false;
  return FromStore(view.status(), " with the same message_id");
}

absl::StatusOr<v1::RecordRegistrationResponse> RegistryService::Record(
    const common::Principal& caller, const v1::RecordRegistrationRequest& request,
    const std::string& trace_id) {
  if (caller.kind() != common::PRINCIPAL_KIND_REGISTRY_OFFICE) {
    return absl::PermissionDeniedError(
        absl::StrCat("caller ", records::FormatPrincipal(caller),
                     " may not record registrations (registry offices only)"));
  }
  const absl::Time now = Now();
  validation::Context ctx;
  ctx.reference = deps_.reference;
  ctx.now = now;
  auto violations = validation::ValidateRecordRegistrationRequest(request, ctx);
  if (!violations.empty()) return InvalidArgument(violations);
  const std::string& office = request.registration().key().registry_office_code();
  if (caller.code() != office) {
    return absl::PermissionDeniedError(
        absl::StrCat("caller ", records::FormatPrincipal(caller),
                     " may not record registrations of registry office ", office));
  }

  rv1::RecordEnvelope envelope;
  envelope.set_message_id(request.message_id());
  envelope.set_action(request.action());
  envelope.set_reason(request.reason());
  envelope.set_trace_id(trace_id);
  *envelope.mutable_source() = caller;
  if (request.action() == rv1::ACTION_VOID) {
    // A VOID needs only the key; the other fields were not validated and are not kept.
    *envelope.mutable_registration()->mutable_key() = request.registration().key();
  } else {
    *envelope.mutable_registration() = request.registration();
  }
  records::CompleteEnvelope(&envelope, ToTimestamp(now));

  auto written = deps_.store->WriteRecord(envelope);
  if (!written.ok()) return FromStore(written.status(), " with the same message_id");
  const store::RecordResult& result = written->record;
  const std::string outcome(store::ApplyOutcomeName(result.outcome));
  deps_.metrics->Registration(ActionName(request.action()), outcome);
  Log()->debug(
      "registration key={} source={} message_id={} action={} outcome={} refusal={} version={}",
      envelope.business_key(), records::FormatPrincipal(caller), envelope.message_id(),
      ActionName(request.action()), outcome, store::RefusalName(result.refusal), result.version);

  v1::RecordRegistrationResponse response;
  response.set_business_key(envelope.business_key());
  response.set_version(result.version);
  switch (result.outcome) {
    case store::ApplyOutcome::kAppliedNew:
    case store::ApplyOutcome::kAppliedVersion:
    case store::ApplyOutcome::kVoided:
    case store::ApplyOutcome::kDuplicate:  // the original answer: its version's commit time
      *response.mutable_committed_at() = ToTimestamp(written->committed_at);
      break;
    case store::ApplyOutcome::kConflict:
    case store::ApplyOutcome::kInvalid:
      return RefusalStatus(envelope, result);
    case store::ApplyOutcome::kStale:
      // Only envelopes with a source_sequence can be stale; the registry sets none.
      return absl::InternalError(absl::StrCat("the database took registration ",
                                              envelope.business_key(), " for a stale event"));
  }
  CRVS_ASSIGN_OR_RETURN(bool found, LinkedRecordFound(envelope.registration()));
  response.set_linked_record_found(found);
  return response;
}

}  // namespace crvs::registry
