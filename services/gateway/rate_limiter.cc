#include "services/gateway/rate_limiter.h"

#include <algorithm>
#include <cmath>

#include <absl/strings/str_cat.h>

#include "services/platform/status.h"

namespace crvs::gateway {

RateLimiter::RateLimiter(double per_second, double burst,
                         std::function<Clock::time_point()> now)
    : per_second_(per_second),
      burst_(burst > 0 ? burst : std::max(1.0, per_second)),
      now_(now ? std::move(now) : [] { return Clock::now(); }) {}

absl::Status RateLimiter::Admit(const std::string& principal) {
  if (!enabled()) return absl::OkStatus();
  const Clock::time_point now = now_();
  Shard& shard = shards_[std::hash<std::string>{}(principal) % kShards];
  double missing = 0;
  {
    platform::MutexLock lock(&shard.mu);
    auto [it, fresh] = shard.buckets.try_emplace(principal, Bucket{burst_, now});
    Bucket& b = it->second;
    if (!fresh) {
      const double elapsed = std::chrono::duration<double>(now - b.refilled).count();
      b.tokens = std::min(burst_, b.tokens + std::max(0.0, elapsed) * per_second_);
      b.refilled = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      if (fresh && shard.buckets.size() > shard.prune_at) {
        // Callers whose bucket refilled completely have been idle: they start full anyway.
        const Clock::time_point keep_since =
            now - std::chrono::duration_cast<Clock::duration>(
                      std::chrono::duration<double>(burst_ / per_second_));
        for (auto i = shard.buckets.begin(); i != shard.buckets.end();) {
          i = i->second.refilled < keep_since ? shard.buckets.erase(i) : std::next(i);
        }
        shard.prune_at = std::max(kPruneAbove, 2 * shard.buckets.size());
      }
      return absl::OkStatus();
    }
    missing = 1 - b.tokens;
  }
  const auto retry_ms = static_cast<int64_t>(std::ceil(missing / per_second_ * 1000));
  absl::Status st = absl::ResourceExhaustedError(absl::StrCat(
      "rate limit: ", principal, " may submit ", per_second_, " records/s (bursts of ", burst_,
      "); retry in ", retry_ms, " ms"));
  AddErrorInfo(&st, "RATE_LIMITED", "crvs-sync",
               {{"principal", principal}, {"retry_after_ms", std::to_string(retry_ms)}});
  return st;
}

}  // namespace crvs::gateway
