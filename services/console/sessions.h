// Who is signed in to the console (issue 17). A session is made when an operator signs in
// (password) or first calls with a client certificate naming an account; it lives in this
// process's memory (a restart signs everyone out) and ends after `idle` without a request, at
// `lifetime` after sign-in whatever the activity, or at logout.
//
// The session id travels in a cookie `crvs_session` (HttpOnly; Secure; SameSite=Strict; Path=/);
// its CSRF token is given to the page by GET /api/session and must come back in the
// X-CSRF-Token header of every state-changing request: a page of another origin can neither
// read it nor, with SameSite=Strict, send the cookie. Both are 32 random bytes from libsodium.
//
// LoginThrottle bounds password guesses per client address, before and independently of the
// per-account lockout (accounts.h).
//
// Thread-safety: both classes may be shared by the server's threads.
#pragma once

#include <absl/time/time.h>

#include <map>
#include <optional>
#include <string>

#include "services/operators/accounts.h"
#include "services/platform/mutex.h"

namespace crvs::console {

inline constexpr char kSessionCookie[] = "crvs_session";
inline constexpr char kCsrfHeader[] = "X-CSRF-Token";

struct Session {
  std::string id;
  std::string csrf_token;
  std::string name;  // account name: the principal is operator:<name>
  operators::Role role = operators::Role::kViewer;
  std::string province_code;  // "" national
  std::string auth;           // "password" or "certificate"
  absl::Time created_at;
  absl::Time last_seen;

  std::string principal() const { return "operator:" + name; }
};

class Sessions {
 public:
  Sessions(absl::Duration idle, absl::Duration lifetime) : idle_(idle), lifetime_(lifetime) {}

  Session Create(const operators::Account& account, const std::string& auth, absl::Time now);
  // The live session `id` (its last_seen moved to `now`), or nullopt when unknown or expired
  // (an expired one is forgotten).
  std::optional<Session> Touch(const std::string& id, absl::Time now);
  void Remove(const std::string& id);
  // Ends every session of `name` (an account disabled or its password reset elsewhere is
  // noticed at its next request through the account check; this is for logout-everywhere).
  void RemoveAllOf(const std::string& name);
  absl::Time ExpiresAt(const Session& s) const { return s.created_at + lifetime_; }
  absl::Duration idle() const { return idle_; }

 private:
  bool Expired(const Session& s, absl::Time now) const {
    return now - s.last_seen >= idle_ || now - s.created_at >= lifetime_;
  }

  const absl::Duration idle_;
  const absl::Duration lifetime_;
  platform::Mutex mu_;
  std::map<std::string, Session> by_id_ ABSL_GUARDED_BY(mu_);
};

// At most `attempts` sign-ins per client address per `window` (a sliding count of the last
// window's attempts).
class LoginThrottle {
 public:
  LoginThrottle(int attempts, absl::Duration window) : attempts_(attempts), window_(window) {}
  // Whether one more attempt from `address` may proceed now (it is counted if so); when not,
  // `retry_after` says how long to wait.
  bool Allow(const std::string& address, absl::Time now, absl::Duration* retry_after);

 private:
  const int attempts_;
  const absl::Duration window_;
  platform::Mutex mu_;
  std::map<std::string, std::vector<absl::Time>> recent_ ABSL_GUARDED_BY(mu_);
};

// 32 random bytes, hex.
std::string RandomToken();

}  // namespace crvs::console
