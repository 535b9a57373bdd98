// `crvs console`: the operators' web dashboard. One page (HTML, CSS and vanilla JS embedded in
// the binary, no CDN: it works offline) over a JSON API under /api/, plus /healthz, /readyz and
// /metrics, all on console.listen:
//
//   GET  /api/session                     who is signed in, role, province, CSRF token (401:
//                                         sign in; with client certificates it signs in)
//   POST /api/session                     {"name", "password"}: password sign-in; sets the
//                                         session cookie (sessions.h)
//   POST /api/session/logout
//   GET  /api/status                      lag per partition and kind, throughput, latency
//                                         p50/p99, connectors, open dead letters
//   GET  /api/history                     the sampled lag/throughput of the last hour
//   GET  /api/dead-letters[?state=&topic=&error_class=&page_size=&page_token=]
//   GET  /api/dead-letters/{id}           headers, key, payload (decoded as a RecordEnvelope)
//   POST /api/dead-letters/{id}/reveal    {"reason": "..."} (required): the full personal data,
//                                         audited (personal_data.revealed)
//   POST /api/dead-letters/{id}/replay    {"note": "..."}
//   POST /api/dead-letters/{id}/discard   {"reason": "..."} (required)
//   POST /api/connectors/{name}/pause|resume
//   GET  /api/coverage[?period=YYYY|YYYY-MM]       default: this month (Vietnam)
//   GET  /api/indicators[?period=YYYY|YYYY-Qn|YYYY-MM&province=NN&breakdown=province]
//                                         default: this year, the caller's whole scope
//   GET  /api/silent-sources[?kind=facility|court|registry_office&page_token=]
//   GET  /api/feeds                       the agencies' data feeds: cursor, lag, paused, errors
//   POST /api/feeds/{name}/pause|resume   national operators only (audited feed.paused /
//                                         feed.resumed); 404 when no feeds are configured
//
// Every /api/ route but POST /api/session needs a session (401 otherwise), every POST also the
// session's CSRF token in X-CSRF-Token (403), and replay, discard, reveal, pause / resume and
// acknowledging alarms the operator role (403); pausing or resuming an agency's feed also
// national scope (403 for a provincial operator: the console checks it, there is no backend). Sign-in is by password (console.auth =
// password, accounts of `crvs operators`) or by client certificate (console.auth =
// certificate, HTTPS, CN operator:<name> naming an account); the account gives role and
// province either way.
//
// Lag, throughput and latency come from scraping console.metrics_urls (Sampler, Figures);
// everything else from the Admin (console.admin_address) and Reconciliation
// (console.reconcile_address) gRPC services, called for the signed-in operator (their name
// travels as crvs-on-behalf-of; the services check role and province again and audit that
// name). Errors are JSON {"error", "code", "fields"} with an HTTP status mapped from the gRPC
// code (HttpStatusFor); a 401 also says which sign-in ("auth").
//
// Lag, throughput and latency are sampled every console.sample_interval; the Admin service's
// pipeline status (offsets, paused, behind log start, connectors, open dead letters) is polled
// in the background at the same interval; /api/status serves the latest of each.
//
// Lifetime: Start() binds, takes the first sample and serves on background threads until
// destruction. Thread-safety: port() and NotReady() may be called from any thread.
#pragma once

#include <absl/status/statusor.h>
#include <absl/time/time.h>
#include <prometheus/registry.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "services/console/console_config.h"
#include "services/auth/tls_config.h"
#include "services/console/figures.h"
#include "services/console/sampler.h"
#include "services/store/store.h"

namespace httplib {
class Server;
}

namespace crvs::feeds {
struct Subscribers;
}

namespace crvs::console {

struct ConsoleDeps {
  // Where the console's own metrics register; /metrics renders them. Null: private ones. In
  // `crvs dev` they are the process's metrics, so /metrics shows the whole process.
  std::shared_ptr<prometheus::Registry> metrics;
  // Topic -> record kind label, to group partitions by kind (from the [kafka] topics).
  TopicKinds topic_kinds;
  // Null: HTTP scrapes. Must outlive the console.
  MetricsFetcher* fetcher = nullptr;
  // Null: absl::Now.
  std::function<absl::Time()> clock;
  // How to reach Admin and Reconciliation (MakeChannel): plaintext, sending
  // console.operator as crvs-principal, or mutual TLS with the [tls] certificate, which must
  // then name an operator ("operator:console"). `crvs console` / `crvs dev` take the
  // admin.plaintext and reconcile.plaintext of the same configuration.
  auth::TlsConfig tls;
  // Operator accounts (services/operators): who may sign in, with what role and province.
  // Required; must outlive the console.
  store::Store* store = nullptr;
  bool admin_plaintext = true;
  bool reconcile_plaintext = true;
  // The agencies receiving data feeds (services/feeds, feeds.subscribers_file): the page's
  // "Data feeds" section and /api/feeds, read from and paused in `store`. Null: no feeds here;
  // the section stays hidden and /api/feeds* answer 404 saying so. Must outlive the console.
  const feeds::Subscribers* subscribers = nullptr;
};

// The topic -> kind map of the default [kafka] topic names' shape, from explicit names.
TopicKinds MakeTopicKinds(const std::string& births, const std::string& deaths,
                          const std::string& divorces, const std::string& registrations);

// INVALID_ARGUMENT naming each bad key ("console.operator", "console.metrics_urls", ...).
absl::Status ValidateConsoleConfig(const ConsoleConfig& config);

class Console {
 public:
  static absl::StatusOr<std::unique_ptr<Console>> Start(const ConsoleConfig& config,
                                                        ConsoleDeps deps);
  ~Console();
  Console(const Console&) = delete;
  Console& operator=(const Console&) = delete;

  int port() const { return port_; }
  // Empty when serving.
  std::string NotReady() const;
  Sampler& sampler() { return *sampler_; }
  // Asks the Admin service for the pipeline status now (it is otherwise polled in the
  // background every sample_interval; /api/status serves the latest answer).
  void RefreshPipelineStatus();

  struct Impl;

 private:
  Console() = default;

  std::unique_ptr<Impl> impl_;
  std::unique_ptr<MetricsFetcher> own_fetcher_;
  std::unique_ptr<Sampler> sampler_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace crvs::console
