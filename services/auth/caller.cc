#include "services/auth/caller.h"

namespace crvs::auth {

absl::StatusOr<common::v1::Principal> CallerFromMetadata(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(kPrincipalMetadata);
  if (it == metadata.end()) {
    return absl::UnauthenticatedError(
        "no caller identity: send crvs-principal metadata such as facility:BV79001");
  }
  std::string value(it->second.data(), it->second.size());
  auto colon = value.find(':');
  std::string kind = colon == std::string::npos ? "" : value.substr(0, colon);
  std::string code = colon == std::string::npos ? "" : value.substr(colon + 1);
  common::v1::Principal p;
  if (kind == "facility") p.set_kind(common::v1::PRINCIPAL_KIND_FACILITY);
  else if (kind == "court") p.set_kind(common::v1::PRINCIPAL_KIND_COURT);
  else if (kind == "registry_office") p.set_kind(common::v1::PRINCIPAL_KIND_REGISTRY_OFFICE);
  else if (kind == "operator") p.set_kind(common::v1::PRINCIPAL_KIND_OPERATOR);
  if (p.kind() == common::v1::PRINCIPAL_KIND_UNSPECIFIED || code.empty()) {
    return absl::UnauthenticatedError("crvs-principal '" + value +
                                      "' is not <facility|court|registry_office|operator>:<code>");
  }
  p.set_code(code);
  return p;
}

}  // namespace crvs::auth
