// Settings of `crvs reconcile` and `crvs report` ([reconcile] section).
#pragma once

#include <string>

#include "services/platform/config.h"

namespace crvs::reconcile {

struct ReconcileConfig {
  std::string listen = "127.0.0.1:50053";
  std::string metrics_listen = "127.0.0.1:9467";
  // Mutual TLS with the [tls] identity unless set: plaintext gRPC then trusts the
  // `crvs-principal` metadata as the caller's identity, for local development only
  // (`crvs dev` and the tests set it).
  bool plaintext = false;
  int max_message_bytes = 16 * 1024 * 1024;
  int max_threads = 32;
  // Issued-at to first committed: the on-time limit of sync coverage (B3, D4).
  config::Duration sync_sla{24 * 3600 * 1000};
  // Commune → province (commune_code,province_code,name), pre-2025 communes → today's, and
  // source locations (principal,commune_code,name). Empty communes files: the built-in copies
  // under deploy/reference; empty sources: none (docs/indicators.md, "Areas").
  std::string reference_communes_file;
  std::string reference_communes_before_2025_file;
  std::string reference_sources_file;
  // Live indicator feed: how often the reconciler checks for newly landed records and, when
  // there are some, publishes a snapshot of the current year's indicators. 0 disables.
  config::Duration feed_interval{2000};
  // Silent sources: quiet for more than this many times their usual cadence, and at least
  // silent_min_quiet.
  int silent_cadence_factor = 3;
  config::Duration silent_min_quiet{3600 * 1000};

  template <class V>
  void Visit(V& v) {
    v("listen", listen, "host:port of the gRPC reconciliation server (port 0 picks a free port)");
    v("metrics_listen", metrics_listen,
      "host:port serving /metrics, /healthz and /readyz when the reconciler runs alone");
    v("plaintext", plaintext,
      "true: plaintext gRPC trusting the crvs-principal metadata as identity, local development "
      "only; false: mutual TLS with the [tls] certificate, callers identified by theirs");
    v("max_message_bytes", max_message_bytes,
      "largest accepted request, in bytes (a manifest chunk of 10,000 entries is about 1 MB)");
    v("max_threads", max_threads,
      "threads serving calls at most; beyond, calls fail with RESOURCE_EXHAUSTED");
    v("sync_sla", sync_sla,
      "on-time limit from a certificate's issued_at to its first commit in the database (B3, D4)");
    v("reference_communes_file", reference_communes_file,
      "CSV commune_code,province_code,name: the register of communes and their provinces; "
      "empty: the built-in register since 2025-07-01 (34 provinces, 3,321 communes)");
    v("reference_communes_before_2025_file", reference_communes_before_2025_file,
      "CSV old_commune_code,old_province_code,old_name,commune_code,province_code,counted_here,"
      "note: where records with a commune code written before 2025-07-01 count; empty: the "
      "built-in mapping of the statistics office's conversion table");
    v("reference_sources_file", reference_sources_file,
      "CSV principal,commune_code,name locating facilities and courts; empty: facilities are "
      "located by their in-facility events, courts count nationally only");
    v("feed_interval", feed_interval,
      "how often the live indicator feed checks for new records and publishes a snapshot "
      "(0 disables the feed)");
    v("silent_cadence_factor", silent_cadence_factor,
      "a source is silent when quiet for more than this many times its usual cadence");
    v("silent_min_quiet", silent_min_quiet,
      "and quiet for at least this long");
  }
};

}  // namespace crvs::reconcile
