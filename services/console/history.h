// The console's own memory of the last hour (console.history): one point per sample, in a
// fixed-size ring, so the lag and throughput charts need no Prometheus server. Lost on restart
// by design: it is a view, not a record.
//
// Thread-safety: thread-safe (one mutex); the sampler pushes, HTTP handlers read.
#pragma once

#include <absl/time/time.h>

#include <cstddef>
#include <optional>
#include <vector>

#include "services/platform/mutex.h"

namespace crvs::console {

struct HistoryPoint {
  absl::Time at;
  double lag_messages_total = 0;
  std::optional<double> lag_seconds_max;
  std::optional<double> committed_per_second;
  std::optional<double> accepted_per_second;
};

class HistoryRing {
 public:
  // Keeps the newest `capacity` points (at least 1).
  explicit HistoryRing(size_t capacity);

  void Push(HistoryPoint point);
  // Oldest first.
  std::vector<HistoryPoint> Points() const;
  // Oldest first, only those at or after `since`.
  std::vector<HistoryPoint> PointsSince(absl::Time since) const;
  size_t capacity() const { return capacity_; }

 private:
  const size_t capacity_;
  mutable platform::Mutex mu_;
  std::vector<HistoryPoint> points_ ABSL_GUARDED_BY(mu_);  // the ring, `capacity` slots
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;                   // slot of the next push
  size_t size_ ABSL_GUARDED_BY(mu_) = 0;                   // slots in use
};

}  // namespace crvs::console
