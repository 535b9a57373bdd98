#include "services/auth/caller.h"

#include <grpc/grpc_security_constants.h>

#include <algorithm>
#include <optional>
#include <string>

#include "services/records/records.h"

namespace crvs::auth {
namespace {

bool IsTls(const grpc::AuthContext& auth) {
  for (const auto& type : auth.FindPropertyValues(GRPC_TRANSPORT_SECURITY_TYPE_PROPERTY_NAME)) {
    if (type == GRPC_SSL_TRANSPORT_SECURITY_TYPE) return true;
  }
  return false;
}

absl::StatusOr<common::v1::Principal> FromCertificate(const grpc::AuthContext& auth) {
  // A certificate that failed verification never gets here (the handshake fails), so a peer
  // identity means a certificate our CA signed.
  auto names = auth.FindPropertyValues(GRPC_X509_CN_PROPERTY_NAME);
  if (!auth.IsPeerAuthenticated() || names.empty()) {
    return absl::UnauthenticatedError(
        "no client certificate: this service uses mutual TLS; present a certificate issued by "
        "its CA whose subject CN names you (crvs certs issue --principal facility:BV79001)");
  }
  std::string cn(names.front().data(), names.front().size());
  std::optional<common::v1::Principal> p = records::ParsePrincipal(cn);
  if (!p) {
    return absl::PermissionDeniedError(
        "client certificate CN '" + cn +
        "' names no caller: <facility|court|registry_office|operator|agency>:<code>");
  }
  return *p;
}

absl::StatusOr<common::v1::Principal> FromMetadata(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(kPrincipalMetadata);
  if (it == metadata.end()) {
    return absl::UnauthenticatedError(
        "no caller identity: send crvs-principal metadata such as facility:BV79001");
  }
  std::string value(it->second.data(), it->second.size());
  std::optional<common::v1::Principal> p = records::ParsePrincipal(value);
  if (!p) {
    return absl::UnauthenticatedError("crvs-principal '" + value +
                                      "' is not <facility|court|registry_office|operator|agency>:<code>");
  }
  return *p;
}

}  // namespace

absl::StatusOr<common::v1::Principal> CallerFromContext(const grpc::ServerContextBase& context) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth != nullptr && IsTls(*auth)) return FromCertificate(*auth);
  return FromMetadata(context);
}

absl::StatusOr<ActingCaller> ActingCallerFromContext(const grpc::ServerContextBase& context,
                                                     const std::vector<std::string>& delegates) {
  auto caller = CallerFromContext(context);
  if (!caller.ok()) return caller.status();
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(kOnBehalfOfMetadata);
  if (it == metadata.end()) return ActingCaller{*caller, ""};
  const std::string via = records::FormatPrincipal(*caller);
  if (std::find(delegates.begin(), delegates.end(), via) == delegates.end()) {
    return absl::PermissionDeniedError("caller " + via +
                                       " may not act on behalf of another (crvs-on-behalf-of); "
                                       "only tls.delegates may");
  }
  std::string value(it->second.data(), it->second.size());
  std::optional<common::v1::Principal> p = records::ParsePrincipal(value);
  if (!p || p->kind() != common::v1::PRINCIPAL_KIND_OPERATOR) {
    return absl::PermissionDeniedError("crvs-on-behalf-of '" + value +
                                       "' is not operator:<name>");
  }
  return ActingCaller{*p, via};
}

}  // namespace crvs::auth
