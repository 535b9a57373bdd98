// Settings of `crvs console` ([console] section; also used by `crvs dev`).
#pragma once

#include <string>
#include <vector>

#include "services/platform/config.h"

namespace crvs::console {

struct ConsoleConfig {
  std::string listen = "127.0.0.1:8080";
  // Names the console answers to besides localhost, 127.0.0.1, [::1] and the listen host
  // (request_guard.h).
  std::vector<std::string> allowed_hosts;
  std::string admin_address = "127.0.0.1:50054";
  std::string reconcile_address = "127.0.0.1:50053";
  std::vector<std::string> metrics_urls = {"http://127.0.0.1:9464/metrics"};
  // Plaintext development mode: the identity sent to the Admin and Reconciliation services
  // (crvs-principal metadata) on behalf of every browser user. Mutual TLS replaces it (issue 8).
  std::string operator_principal = "operator:console";
  config::Duration sample_interval{5000};
  config::Duration history{3600 * 1000};
  // Deadline of each Admin / Reconciliation call and of each scrape. Admin.GetPipelineStatus
  // reads the watermarks of every partition and can take seconds on a busy broker.
  config::Duration call_timeout{10000};

  template <class V>
  void Visit(V& v) {
    v("listen", listen,
      "host:port of the operators' web dashboard and its JSON API (port 0 picks a free port)");
    v("allowed_hosts", allowed_hosts,
      "host names (\"crvs.example.gov.vn\", any port) or host:port operators use to reach the "
      "console, besides localhost, 127.0.0.1, [::1] and the listen host; a request for any "
      "other Host is refused (403), which defeats DNS rebinding");
    v("admin_address", admin_address, "host:port of the Admin gRPC service (crvs admin)");
    v("reconcile_address", reconcile_address,
      "host:port of the Reconciliation gRPC service (crvs reconcile)");
    v("metrics_urls", metrics_urls,
      "Prometheus /metrics URLs of the gateway and sink processes, scraped every "
      "sample_interval for lag, throughput and latency");
    v("operator", operator_principal,
      "operator:<name> sent as crvs-principal to Admin and Reconciliation for browser users "
      "(plaintext development mode)");
    v("sample_interval", sample_interval, "how often the metrics are scraped (the rate window)");
    v("history", history, "how much sampled history the charts keep in memory");
    v("call_timeout", call_timeout, "deadline of each gRPC call and scrape the console makes");
  }
};

}  // namespace crvs::console
