// Per-principal rate limit of the gateway's ingest: a token bucket per caller
// ("facility:BV79001"), refilled at `per_second` records per second up to `burst`. Every
// submitted record takes one token, whether it came alone (Submit) or on a stream.
//
// Over the limit: RESOURCE_EXHAUSTED with a google.rpc.ErrorInfo reason "RATE_LIMITED"
// (metadata: principal, retry_after_ms) and the principal in the message; the caller produced
// nothing and retries later. Checked before validation, so a flood of bad records costs
// nothing either.
//
// Thread-safety: Admit is thread-safe; buckets are spread over shards with one mutex each, so
// concurrent callers rarely meet. Buckets full again (idle callers) are dropped when a shard
// grows, so memory follows the callers active within about burst/per_second.
#pragma once

#include <array>
#include <chrono>
#include <functional>
#include <string>
#include <unordered_map>

#include <absl/status/status.h>

#include "services/platform/mutex.h"

namespace crvs::gateway {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // per_second <= 0 turns the limit off (Admit always OK). burst <= 0 means one second's worth
  // (at least 1).
  RateLimiter(double per_second, double burst, std::function<Clock::time_point()> now = {});

  bool enabled() const { return per_second_ > 0; }

  // Takes one token from `principal`'s bucket, or says when to come back.
  absl::Status Admit(const std::string& principal);

 private:
  struct Bucket {
    double tokens;
    Clock::time_point refilled;
  };
  struct Shard {
    platform::Mutex mu;
    std::unordered_map<std::string, Bucket> buckets ABSL_GUARDED_BY(mu);
    // Idle buckets are dropped when the shard grows past this; then it becomes twice what is
    // left (at least kPruneAbove), so the scans cost O(1) per new caller amortised.
    size_t prune_at ABSL_GUARDED_BY(mu) = kPruneAbove;
  };
  static constexpr size_t kShards = 16;
  static constexpr size_t kPruneAbove = 4096;

  double per_second_;
  double burst_;
  std::function<Clock::time_point()> now_;
  std::array<Shard, kShards> shards_;
};

}  // namespace crvs::gateway
