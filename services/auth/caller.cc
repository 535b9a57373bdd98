#include "services/auth/caller.h"

#include "services/records/records.h"

namespace crvs::auth {

absl::StatusOr<common::v1::Principal> CallerFromMetadata(const grpc::ServerContextBase& context) {
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
                                      "' is not <facility|court|registry_office|operator>:<code>");
  }
  return *p;
}

}  // namespace crvs::auth
