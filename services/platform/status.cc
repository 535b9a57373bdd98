#include "services/platform/status.h"

#include <atomic>

#include <absl/strings/str_cat.h>
#include <absl/time/clock.h>

#include "services/platform/logging.h"

#include <absl/strings/cord.h>
#include <google/rpc/error_details.pb.h>
#include <google/rpc/status.pb.h>

namespace crvs {

absl::Status InvalidArgument(const std::vector<FieldViolation>& violations) {
  google::rpc::BadRequest bad_request;
  std::string message = "invalid request:";
  for (size_t i = 0; i < violations.size(); ++i) {
    auto* v = bad_request.add_field_violations();
    v->set_field(violations[i].field);
    v->set_description(violations[i].description);
    message += (i == 0 ? " " : "; ") + violations[i].field + ": " + violations[i].description;
  }
  absl::Status status(absl::StatusCode::kInvalidArgument, message);
  status.SetPayload(kBadRequestTypeUrl, absl::Cord(bad_request.SerializeAsString()));
  return status;
}

std::vector<FieldViolation> FieldViolations(const absl::Status& status) {
  std::vector<FieldViolation> out;
  auto payload = status.GetPayload(kBadRequestTypeUrl);
  if (!payload) return out;
  google::rpc::BadRequest bad_request;
  if (!bad_request.ParseFromString(std::string(*payload))) return out;
  for (const auto& v : bad_request.field_violations()) {
    out.push_back({v.field(), v.description()});
  }
  return out;
}

void AddErrorInfo(absl::Status* status, const std::string& reason, const std::string& domain,
                  const std::vector<std::pair<std::string, std::string>>& metadata) {
  google::rpc::ErrorInfo info;
  info.set_reason(reason);
  info.set_domain(domain);
  for (const auto& [k, v] : metadata) (*info.mutable_metadata())[k] = v;
  status->SetPayload(kErrorInfoTypeUrl, absl::Cord(info.SerializeAsString()));
}

google::rpc::Status ToRpcStatus(const absl::Status& status) {
  google::rpc::Status rpc;
  rpc.set_code(static_cast<int>(status.code()));
  rpc.set_message(std::string(status.message()));
  // Payloads are keyed by their type URL, which is what google.protobuf.Any carries.
  status.ForEachPayload([&](absl::string_view type_url, const absl::Cord& payload) {
    auto* any = rpc.add_details();
    any->set_type_url(std::string(type_url));
    any->set_value(std::string(payload));
  });
  return rpc;
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl and gRPC share the canonical code numbers.
  auto code = static_cast<grpc::StatusCode>(status.code());
  std::string message(status.message());
  // A database error carries the statement and the server's words: the caller gets the code
  // and a reference to quote, the server log the detail.
  if (message.find("postgresql: ") != std::string::npos ||
      message.find("sqlite: ") != std::string::npos) {
    static std::atomic<uint64_t> counter{0};
    const uint64_t ref = (static_cast<uint64_t>(absl::ToUnixMicros(absl::Now())) << 8) ^
                         counter.fetch_add(1);
    const std::string reference = absl::StrCat(absl::Hex(ref, absl::kZeroPad16));
    logging::Get("rpc")->error("event=database_error reference={} code={} error=\"{}\"",
                               reference, absl::StatusCodeToString(status.code()), message);
    message = absl::StrCat("database error (reference ", reference, " in the server log)",
                           IsRetryable(status) ? "; retry" : "");
    absl::Status hidden(status.code(), message);
    status.ForEachPayload([&hidden](absl::string_view url, const absl::Cord& payload) {
      hidden.SetPayload(url, payload);
    });
    return grpc::Status(code, message, ToRpcStatus(hidden).SerializeAsString());
  }
  return grpc::Status(code, message, ToRpcStatus(status).SerializeAsString());
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status out(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  google::rpc::Status rpc;
  if (!status.error_details().empty() && rpc.ParseFromString(status.error_details())) {
    for (const auto& any : rpc.details()) out.SetPayload(any.type_url(), absl::Cord(any.value()));
  }
  return out;
}

bool IsRetryable(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kAborted:
      return true;
    default:
      return false;
  }
}

}  // namespace crvs
