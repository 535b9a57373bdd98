// Who is calling a crvs gRPC service. Every service asks here, so the rule is the same
// everywhere.
//
// Mutual TLS (a service whose `plaintext` is false): the identity is the subject CN of the
// client certificate the TLS handshake verified against tls.ca_file, "<kind>:<code>" with kind
// one of facility, court, registry_office, operator (`crvs certs issue --principal`). The
// crvs-principal metadata is ignored, so a client cannot claim another identity.
// Plaintext (development) mode: the caller names itself in the `crvs-principal` metadata.
// The mode is the connection's: a TLS server only has TLS connections, a plaintext one none.
#pragma once

#include <absl/status/statusor.h>
#include <grpcpp/grpcpp.h>

#include <string>
#include <vector>

#include "crvs/common/v1/types.pb.h"

namespace crvs::auth {

inline constexpr const char* kPrincipalMetadata = "crvs-principal";
// The operator a delegate (the console) calls for: "operator:<name>".
inline constexpr const char* kOnBehalfOfMetadata = "crvs-on-behalf-of";

// UNAUTHENTICATED when the identity is absent or malformed (no client certificate, no or a
// malformed crvs-principal); PERMISSION_DENIED when a verified certificate names no principal
// (a server certificate such as "server:registry").
absl::StatusOr<common::v1::Principal> CallerFromContext(const grpc::ServerContextBase& context);

// Former name of CallerFromContext (the same rule, TLS included), kept for existing callers.
inline absl::StatusOr<common::v1::Principal> CallerFromMetadata(
    const grpc::ServerContextBase& context) {
  return CallerFromContext(context);
}

// Whom a call acts for. The caller (CallerFromContext), unless it sends crvs-on-behalf-of:
// then it must be one of `delegates` (tls.delegates, the console) and the call acts for the
// operator named there; `via` is set to the delegate. PERMISSION_DENIED when a caller that is
// not a delegate sends it, or it names anything but an operator.
struct ActingCaller {
  common::v1::Principal principal;
  std::string via;  // "" for a direct call; else the delegate's principal
};
absl::StatusOr<ActingCaller> ActingCallerFromContext(const grpc::ServerContextBase& context,
                                                     const std::vector<std::string>& delegates);

}  // namespace crvs::auth
