// Settings of `crvs registry` ([registry] section).
#pragma once

#include <string>

#include "services/platform/config.h"

namespace crvs::registry {

struct RegistryConfig {
  std::string listen = "127.0.0.1:50052";
  std::string metrics_listen = "127.0.0.1:9466";
  // Mutual TLS with the [tls] identity unless set: plaintext gRPC then trusts the
  // `crvs-principal` metadata as the caller's identity, for local development only
  // (`crvs dev` and the tests set it).
  bool plaintext = false;
  int max_message_bytes = 256 * 1024;
  int max_threads = 64;

  template <class V>
  void Visit(V& v) {
    v("listen", listen, "host:port of the gRPC registry server (port 0 picks a free port)");
    v("metrics_listen", metrics_listen,
      "host:port serving /metrics, /healthz and /readyz when the registry runs alone");
    v("plaintext", plaintext,
      "true: plaintext gRPC trusting the crvs-principal metadata as identity, local development "
      "only; false: mutual TLS with the [tls] certificate, callers identified by theirs");
    v("max_message_bytes", max_message_bytes, "largest accepted request, in bytes");
    v("max_threads", max_threads,
      "threads serving calls at most (each blocks on the database); beyond, calls fail with "
      "RESOURCE_EXHAUSTED");
  }
};

}  // namespace crvs::registry
