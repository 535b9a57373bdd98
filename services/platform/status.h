// Status helpers shared by every service: early-return macros, InvalidArgument errors that
// carry google.rpc.BadRequest field violations, and the one place where an absl::Status
// becomes a grpc::Status (rich error model: google.rpc.Status in the trailing details).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <grpcpp/support/status.h>

namespace google::rpc {
class Status;
}

namespace crvs {

#define CRVS_STATUS_CONCAT_INNER(a, b) a##b
#define CRVS_STATUS_CONCAT(a, b) CRVS_STATUS_CONCAT_INNER(a, b)

// Returns the status of `expr` from the enclosing function when it is not OK.
#define CRVS_RETURN_IF_ERROR(expr)                  \
  do {                                              \
    ::absl::Status crvs_status_ = (expr);           \
    if (!crvs_status_.ok()) return crvs_status_;    \
  } while (false)

// `CRVS_ASSIGN_OR_RETURN(auto x, MakeX());` — assigns the value or returns the error.
#define CRVS_ASSIGN_OR_RETURN(lhs, expr) \
  CRVS_ASSIGN_OR_RETURN_IMPL(CRVS_STATUS_CONCAT(crvs_statusor_, __LINE__), lhs, expr)
#define CRVS_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return std::move(tmp).status();   \
  lhs = std::move(tmp).value()

// One bad field of a request: `field` is the path in the request message
// ("birth_certificate.mother.personal_id.number"), `description` says what is wrong.
struct FieldViolation {
  std::string field;
  std::string description;
  friend bool operator==(const FieldViolation& a, const FieldViolation& b) {
    return a.field == b.field && a.description == b.description;
  }
};

// The payload type URL under which field violations travel inside an absl::Status.
inline constexpr const char* kBadRequestTypeUrl = "type.googleapis.com/google.rpc.BadRequest";
inline constexpr const char* kErrorInfoTypeUrl = "type.googleapis.com/google.rpc.ErrorInfo";

// INVALID_ARGUMENT naming every bad field. The message lists them too, so plain gRPC clients
// that ignore the details still see which fields were wrong.
absl::Status InvalidArgument(const std::vector<FieldViolation>& violations);

// The field violations an InvalidArgument status carries (empty when none).
std::vector<FieldViolation> FieldViolations(const absl::Status& status);

// Attaches a google.rpc.ErrorInfo (machine-readable reason, domain and metadata) to `status`.
void AddErrorInfo(absl::Status* status, const std::string& reason, const std::string& domain,
                  const std::vector<std::pair<std::string, std::string>>& metadata);

// absl::Status → google.rpc.Status; every detail the status carries (BadRequest, ErrorInfo)
// becomes one `details` entry.
google::rpc::Status ToRpcStatus(const absl::Status& status);

// absl::Status → grpc::Status; the serialized google.rpc.Status goes in error_details.
grpc::Status ToGrpcStatus(const absl::Status& status);

// grpc::Status → absl::Status, keeping the details (BadRequest, ErrorInfo) as payloads.
absl::Status FromGrpcStatus(const grpc::Status& status);

// Whether retrying the same operation later may succeed (broker or database unavailable,
// busy, deadline, backpressure) as opposed to a permanent failure (bad data, bug).
bool IsRetryable(const absl::Status& status);

}  // namespace crvs
