// Exponential backoff between attempts of one operation, cut short when the component stops.
// Thread-safety: one Backoff per retry loop, used by one thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "services/platform/config.h"

namespace crvs {

class Backoff {
 public:
  Backoff(config::Duration initial, config::Duration max) : delay_(initial), max_(max) {}

  // Sleeps the current delay (returning early once `stop` is set), then doubles it up to max.
  void Sleep(const std::atomic<bool>& stop) {
    auto until = std::chrono::steady_clock::now() + delay_;
    while (!stop.load() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    delay_ = std::min(delay_ * 2, max_);
  }
  // Waits the longest from now on (a permanent error: retry slowly, never give up).
  void UseMax() { delay_ = max_; }
  config::Duration delay() const { return delay_; }

 private:
  config::Duration delay_;
  config::Duration max_;
};

}  // namespace crvs
