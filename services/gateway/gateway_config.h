// Settings of `crvs gateway` ([gateway] section).
#pragma once

#include <string>

#include "services/platform/config.h"

namespace crvs::gateway {

struct GatewayConfig {
  std::string listen = "127.0.0.1:50051";
  std::string metrics_listen = "127.0.0.1:9464";
  // Plaintext gRPC trusts the `crvs-principal` metadata ("facility:BV79001") as the caller's
  // identity: for local development only. Production uses mutual TLS (issue 8).
  bool plaintext = true;
  int max_message_bytes = 256 * 1024;
  int stream_max_in_flight = 5000;
  int receipt_cache_entries = 1000000;
  std::string reference_provinces_file;  // empty: the copy built into the binary

  template <class V>
  void Visit(V& v) {
    v("listen", listen, "host:port of the gRPC ingest server (port 0 picks a free port)");
    v("metrics_listen", metrics_listen, "host:port serving /metrics, /healthz and /readyz");
    v("plaintext", plaintext,
      "plaintext gRPC trusting the crvs-principal metadata as identity: local development only");
    v("max_message_bytes", max_message_bytes, "largest accepted request, in bytes");
    v("stream_max_in_flight", stream_max_in_flight,
      "records of one stream awaiting their receipt at most; beyond, reading pauses "
      "(back-pressure)");
    v("receipt_cache_entries", receipt_cache_entries,
      "recent receipts kept for idempotent re-sends and GetReceipt");
    v("reference_provinces_file", reference_provinces_file,
      "provinces CSV (deploy/reference/provinces.csv format); empty uses the built-in copy");
  }
};

}  // namespace crvs::gateway
