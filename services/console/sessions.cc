#include "services/console/sessions.h"

#include <sodium.h>

#include <absl/strings/escaping.h>

#include <algorithm>
#include <vector>

namespace crvs::console {

std::string RandomToken() {
  unsigned char bytes[32];
  if (sodium_init() < 0) std::abort();
  randombytes_buf(bytes, sizeof bytes);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

Session Sessions::Create(const operators::Account& account, const std::string& auth,
                         absl::Time now) {
  Session s;
  s.id = RandomToken();
  s.csrf_token = RandomToken();
  s.name = account.name;
  s.role = account.role;
  s.province_code = account.province_code;
  s.auth = auth;
  s.created_at = now;
  s.last_seen = now;
  platform::MutexLock lock(&mu_);
  // Forget expired sessions now and then, so abandoned ones do not pile up.
  for (auto it = by_id_.begin(); it != by_id_.end();) {
    it = Expired(it->second, now) ? by_id_.erase(it) : std::next(it);
  }
  by_id_[s.id] = s;
  return s;
}

std::optional<Session> Sessions::Touch(const std::string& id, absl::Time now) {
  platform::MutexLock lock(&mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  if (Expired(it->second, now)) {
    by_id_.erase(it);
    return std::nullopt;
  }
  it->second.last_seen = now;
  return it->second;
}

void Sessions::Remove(const std::string& id) {
  platform::MutexLock lock(&mu_);
  by_id_.erase(id);
}

void Sessions::RemoveAllOf(const std::string& name) {
  platform::MutexLock lock(&mu_);
  for (auto it = by_id_.begin(); it != by_id_.end();) {
    it = it->second.name == name ? by_id_.erase(it) : std::next(it);
  }
}

bool LoginThrottle::Allow(const std::string& address, absl::Time now,
                          absl::Duration* retry_after) {
  platform::MutexLock lock(&mu_);
  // Addresses whose attempts are all older than the window are forgotten now and then, so a
  // scan from many addresses does not grow the map for ever.
  if (recent_.size() > 10000) {
    for (auto it = recent_.begin(); it != recent_.end();) {
      it = !it->second.empty() && now - it->second.back() >= window_ ? recent_.erase(it)
                                                                      : std::next(it);
    }
  }
  std::vector<absl::Time>& times = recent_[address];
  times.erase(std::remove_if(times.begin(), times.end(),
                             [&](absl::Time t) { return now - t >= window_; }),
              times.end());
  if (static_cast<int>(times.size()) >= attempts_) {
    *retry_after = times.front() + window_ - now;
    return false;
  }
  times.push_back(now);
  return true;
}

}  // namespace crvs::console
