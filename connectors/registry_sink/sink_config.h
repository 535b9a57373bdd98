// Settings of `crvs sink` ([sink] section).
#pragma once

#include <string>

#include "services/platform/config.h"

namespace crvs::sink {

struct SinkConfig {
  std::string group_id = "crvs-registry-sink";
  int batch_max_records = 2000;
  config::Duration batch_max_wait{20};
  config::Duration fetch_max_wait{10};
  config::Duration retry_initial_backoff{100};
  config::Duration retry_max_backoff{10000};
  config::Duration session_timeout{10000};
  std::string metrics_listen = "127.0.0.1:9465";

  template <class V>
  void Visit(V& v) {
    v("group_id", group_id,
      "Kafka consumer group; every sink of one database shares it (partitions are split)");
    v("batch_max_records", batch_max_records, "records applied in one database transaction at most");
    v("batch_max_wait", batch_max_wait,
      "longest a consumed record waits for its batch to fill (latency against throughput)");
    v("fetch_max_wait", fetch_max_wait,
      "longest the broker holds a fetch for new records (Kafka fetch.wait.max.ms): bounds how "
      "late an idle sink sees a new record; librdkafka's 500 ms default would add that to "
      "submit-to-committed latency");
    v("retry_initial_backoff", retry_initial_backoff,
      "first wait before retrying a batch after a transient database error (doubles each time)");
    v("retry_max_backoff", retry_max_backoff, "longest wait between retries of a batch");
    v("session_timeout", session_timeout,
      "how soon a dead sink's partitions move to the others (Kafka session.timeout.ms; at "
      "least the brokers' group.min.session.timeout.ms, 6 s unless changed, or joining the "
      "group fails)");
    v("metrics_listen", metrics_listen,
      "host:port serving /metrics, /healthz and /readyz when the sink runs alone");
  }
};

}  // namespace crvs::sink
