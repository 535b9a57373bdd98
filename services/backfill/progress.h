// Progress of a backfill run on stderr: on a terminal a bar redrawn in place
//
//   [#########...........]  45.1%  90,123/200,000 rows  35,210 rows/s  ETA 0:03
//
// otherwise (a log file, a pipe) a `backfill` log line every `interval` with the same figures
// as key=value. The rate is over the last few seconds, so the ETA follows the current speed.
//
// Thread-safety: one thread calls Update/Finish.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <string>
#include <utility>

#include "services/platform/config.h"

namespace crvs::backfill {

class Progress {
 public:
  using Clock = std::chrono::steady_clock;

  Progress(int64_t total, bool terminal, config::Duration interval, std::FILE* out = stderr);

  // `done` rows of `total` are fully done. Cheap when nothing is due.
  void Update(int64_t done);
  // The final figures (and the end of the bar's line on a terminal).
  void Finish(int64_t done);

  // "[####......]  45.1%  90,123/200,000 rows  35,210 rows/s  ETA 0:03" (for tests).
  static std::string Line(int64_t done, int64_t total, double rows_per_s);

 private:
  void Draw(int64_t done, Clock::time_point now, bool final);
  double Rate(int64_t done, Clock::time_point now);

  int64_t total_;
  bool terminal_;
  Clock::duration interval_;
  std::FILE* out_;
  Clock::time_point next_draw_;
  std::deque<std::pair<Clock::time_point, int64_t>> samples_;
};

}  // namespace crvs::backfill
