// Settings of `crvs admin` ([admin] section).
#pragma once

#include <string>

#include "services/platform/config.h"

namespace crvs::admin {

struct AdminConfig {
  std::string listen = "127.0.0.1:50054";
  std::string metrics_listen = "127.0.0.1:9468";
  // Mutual TLS with the [tls] identity unless set: plaintext gRPC then trusts the
  // `crvs-principal` metadata as the caller's identity, for local development only
  // (`crvs dev` and the tests set it).
  bool plaintext = false;
  int max_threads = 16;
  // How long PauseConnector / ResumeConnector wait for every instance to confirm.
  config::Duration command_wait{5000};

  template <class V>
  void Visit(V& v) {
    v("listen", listen, "host:port of the gRPC admin server (port 0 picks a free port)");
    v("metrics_listen", metrics_listen,
      "host:port serving /metrics, /healthz and /readyz when the admin service runs alone");
    v("plaintext", plaintext,
      "true: plaintext gRPC trusting the crvs-principal metadata as identity, local development "
      "only; false: mutual TLS with the [tls] certificate, callers identified by theirs");
    v("max_threads", max_threads,
      "threads serving calls at most; beyond, calls fail with RESOURCE_EXHAUSTED");
    v("command_wait", command_wait,
      "how long pause / resume wait for every connector instance to confirm");
  }
};

}  // namespace crvs::admin
