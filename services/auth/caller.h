// Who is calling a crvs gRPC service. Every service asks here, so the rule is the same
// everywhere (and mutual TLS, when it lands, changes only this file).
//
// Plaintext (development) mode: the caller names itself in the `crvs-principal` metadata,
// "<kind>:<code>" with kind one of facility, court, registry_office, operator.
#pragma once

#include <absl/status/statusor.h>
#include <grpcpp/grpcpp.h>

#include "crvs/common/v1/types.pb.h"

namespace crvs::auth {

inline constexpr const char* kPrincipalMetadata = "crvs-principal";

// UNAUTHENTICATED when the identity is absent or malformed.
absl::StatusOr<common::v1::Principal> CallerFromMetadata(const grpc::ServerContextBase& context);

}  // namespace crvs::auth
