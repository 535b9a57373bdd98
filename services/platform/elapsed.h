// Time measured for metrics and reports: seconds since a steady-clock instant.
#pragma once

#include <chrono>

namespace crvs::platform {

// Seconds (with fractions) from `start` to now on the steady clock: a call's or a batch's
// duration for a latency histogram.
inline double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace crvs::platform
