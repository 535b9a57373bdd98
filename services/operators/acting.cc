#include "services/operators/acting.h"

#include <absl/strings/str_cat.h>

#include "services/auth/caller.h"
#include "services/records/records.h"

namespace crvs::operators {

absl::StatusOr<Operator> OperatorFromContext(const grpc::ServerContextBase& context,
                                             const std::vector<std::string>& delegates,
                                             Accounts& accounts) {
  auto caller = auth::ActingCallerFromContext(context, delegates);
  if (!caller.ok()) return caller.status();
  Operator op;
  op.principal = records::FormatPrincipal(caller->principal);
  op.via = caller->via;
  if (caller->principal.kind() != common::v1::PRINCIPAL_KIND_OPERATOR) {
    return absl::PermissionDeniedError(
        absl::StrCat("caller ", op.principal, " may not use this service (operators only)"));
  }
  auto account = accounts.Find(caller->principal.code());
  if (!account.ok()) return account.status();
  if (!account->has_value()) {
    if (!op.via.empty()) {
      return absl::PermissionDeniedError(
          absl::StrCat(op.principal, " has no account (crvs operators add)"));
    }
    op.role = Role::kOperator;  // a certificate our CA issued, without an account: national
    return op;
  }
  if ((*account)->disabled) {
    return absl::PermissionDeniedError(absl::StrCat(op.principal, ": this account is disabled"));
  }
  op.role = (*account)->role;
  op.province_code = (*account)->province_code;
  return op;
}

absl::Status RequireRole(const Operator& op, Role role, const std::string& what) {
  if (op.role >= role) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(op.principal, " has the role ",
                                                  RoleName(op.role), "; ", what, " needs the ",
                                                  RoleName(role), " role"));
}

}  // namespace crvs::operators
