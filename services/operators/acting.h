// Who an operator call to Admin or Reconciliation acts for, and what that person may do
// (issue 17). The console calls on behalf of the signed-in operator (crvs-on-behalf-of, from
// a tls.delegates principal); a CLI or script calls as itself with its certificate.
//
// Role and scope come from the operator's account (accounts.h, table `operators`), whichever
// way they signed in, so one place says what a person may do:
//   * an account that is disabled is refused;
//   * an operator certificate without an account acts as role `operator`, national — the CA
//     that issued it is the grant (services/auth/README.md); add an account to narrow it;
//   * a delegated call must name an account (the console signs in accounts only).
//
// Thread-safety: stateless functions; Accounts serializes through the Store.
#pragma once

#include <absl/status/statusor.h>
#include <grpcpp/grpcpp.h>

#include <string>
#include <vector>

#include "services/operators/accounts.h"

namespace crvs::operators {

struct Operator {
  std::string principal;  // "operator:lan"
  std::string via;        // the delegate it came through ("operator:console"), or ""
  Role role = Role::kViewer;
  std::string province_code;  // "" national

  bool national() const { return province_code.empty(); }
  // Whether the operator sees and acts on records of `province` ("" = of no known province:
  // national operators only).
  bool InScope(const std::string& province) const {
    return national() || province == province_code;
  }
  // What the audit trail names: "operator:lan" or "operator:lan via operator:console".
  std::string AuditName() const { return via.empty() ? principal : principal + " via " + via; }
};

// The operator a call acts for. UNAUTHENTICATED / PERMISSION_DENIED as auth's
// ActingCallerFromContext; PERMISSION_DENIED for a caller that is not an operator, a disabled
// account, a delegated call naming no account; the store's errors.
absl::StatusOr<Operator> OperatorFromContext(const grpc::ServerContextBase& context,
                                             const std::vector<std::string>& delegates,
                                             Accounts& accounts);

// PERMISSION_DENIED unless `op` has at least `role` ("<principal> is a viewer; replaying needs
// the operator role"). `what` names the action.
absl::Status RequireRole(const Operator& op, Role role, const std::string& what);

}  // namespace crvs::operators
