// Settings of `crvs backfill` ([backfill] section): where checkpoints and eligibility reports
// go by default, the divorce backlog cut-off, and the producer tuning of a bulk load (a large
// queue and a longer linger than the gateway's, since no one waits for a receipt).
#pragma once

#include <string>

#include "services/platform/config.h"

namespace crvs::backfill {

struct BackfillConfig {
  std::string checkpoint_dir;  // empty: the input file's directory
  std::string last_backlog_day = "2025-12-31";
  config::Duration checkpoint_interval{1000};
  config::Duration progress_interval{5000};
  config::Duration linger{50};
  int queue_max_messages = 500000;
  config::Duration delivery_timeout{120000};

  template <class V>
  void Visit(V& v) {
    v("checkpoint_dir", checkpoint_dir,
      "directory of the default checkpoint (<file name>.checkpoint) and eligibility report "
      "(<file name>.ineligible.csv); empty: the input file's directory");
    v("last_backlog_day", last_backlog_day,
      "divorce decisions effective after this day (yyyy-mm-dd) are not backlog: ineligible");
    v("checkpoint_interval", checkpoint_interval,
      "how often the checkpoint (rows fully delivered) is rewritten during a run");
    v("progress_interval", progress_interval,
      "when stderr is not a terminal, a progress log line this often (a terminal gets a bar)");
    v("linger", linger, "producer batching time for the bulk load (linger.ms)");
    v("queue_max_messages", queue_max_messages,
      "records produced but not yet confirmed by the broker at most (keeps the queue full)");
    v("delivery_timeout", delivery_timeout,
      "how long a record may wait for the broker's confirmation before the run stops "
      "(re-running resumes from the checkpoint)");
  }
};

}  // namespace crvs::backfill
