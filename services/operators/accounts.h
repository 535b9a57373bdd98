// Operator accounts for deployments without a PKI: people who sign in to the console with a
// name and a password (issue 17). Stored in the civil-status database (table `operators`,
// migration 10) with argon2id hashes (libsodium crypto_pwhash_str); each has a role and a
// scope; repeated wrong passwords lock the account for a while. Account changes and lockouts
// are audited (services/store/audit.h) under the name of who made them.
//
// Thread-safety: an Accounts may be shared; the Store serializes its calls.
#pragma once

#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "services/store/store.h"

namespace crvs::operators {

// What an operator may do. Each role includes the ones before it.
enum class Role {
  kViewer,    // read: coverage, gaps, indicators, silent sources, dead letters (masked)
  kOperator,  // and act: replay, discard, pause / resume, acknowledge alarms
  kAdmin,     // and manage accounts
};
// "VIEWER" / "viewer" ...; nullopt for anything else.
std::optional<Role> ParseRole(std::string_view text);
std::string RoleName(Role role);  // "viewer", "operator", "admin"

struct Account {
  std::string name;
  Role role = Role::kViewer;
  std::string province_code;  // "" = national; else one of the 34 provinces
  bool disabled = false;
  int failed_logins = 0;
  absl::Time locked_until = absl::InfinitePast();
  absl::Time created_at;
  absl::Time updated_at;
};

struct LoginPolicy {
  int max_failures = 5;                       // consecutive wrong passwords before a lockout
  absl::Duration lockout = absl::Minutes(15);
};

inline constexpr size_t kMinPasswordLength = 12;  // characters (UTF-8 code points)
inline constexpr size_t kMaxPasswordBytes = 1024;

// An account name: 1-64 of [a-z0-9._-], starting with a letter or digit (it becomes the
// principal operator:<name>). INVALID_ARGUMENT naming the rule.
absl::Status CheckName(std::string_view name);
// A new password: at least kMinPasswordLength characters, at most kMaxPasswordBytes bytes,
// valid UTF-8 without control characters. INVALID_ARGUMENT naming the rule.
absl::Status CheckPassword(std::string_view password);
// A random password of 20 characters from an unambiguous alphabet (libsodium's generator).
std::string GeneratePassword();

class Accounts {
 public:
  explicit Accounts(store::Store& store, LoginPolicy policy = {});

  // `actor` is the principal making the change ("operator:an", "system:cli"); it lands in
  // the audit trail. ALREADY_EXISTS when the name is taken; INVALID_ARGUMENT for a bad name,
  // password or province. An empty `password` makes an account that signs in with its client
  // certificate only (CN operator:<name>): no password ever matches it.
  absl::Status Add(const std::string& name, Role role, const std::string& province_code,
                   const std::string& password, const std::string& actor, absl::Time now);
  // NOT_FOUND for an unknown name. Disabling twice is not an error.
  absl::Status Disable(const std::string& name, const std::string& actor, absl::Time now);
  // A new password; also lifts a lockout and re-enables a disabled account.
  absl::Status ResetPassword(const std::string& name, const std::string& password,
                             const std::string& actor, absl::Time now);
  // Every account, by name.
  absl::StatusOr<std::vector<Account>> List();
  // The account `name`, or nullopt.
  absl::StatusOr<std::optional<Account>> Find(const std::string& name);

  // Checks a sign-in. The account when name and password match an enabled, unlocked account
  // (its failure count is cleared). Otherwise UNAUTHENTICATED with the same message whether
  // the name or the password was wrong (a wrong password counts, and the last allowed failure
  // locks the account, audited); PERMISSION_DENIED for a disabled or locked account (a locked
  // one says until when). A password is checked even for an unknown name, so timing does not
  // tell names apart.
  absl::StatusOr<Account> SignIn(const std::string& name, const std::string& password,
                                 absl::Time now);

 private:
  store::Store& store_;
  LoginPolicy policy_;
};

}  // namespace crvs::operators
