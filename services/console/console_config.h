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
  // How browser users sign in: "password" (accounts of `crvs operators`) or "certificate"
  // (HTTPS asking for a client certificate of client_ca_file, CN operator:<name>, which must
  // name an account too: it gives the role and province).
  std::string auth = "password";
  // HTTPS: the console's server certificate and key (PEM). Empty: plain HTTP, allowed only on
  // a loopback listen address (browsers keep Secure cookies over HTTP for localhost only).
  std::string https_cert_file;
  std::string https_key_file;
  // CA(s) whose client certificates the console accepts (auth = certificate); empty: tls.ca_file.
  std::string client_ca_file;
  config::Duration session_idle{30 * 60 * 1000};
  config::Duration session_lifetime{12 * 3600 * 1000};
  // Password sign-ins allowed per client address per minute (beyond: 429).
  int login_attempts_per_minute = 10;
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
      "operator:<name> the console calls Admin and Reconciliation as in plaintext development "
      "mode (crvs-principal); each call acts for the signed-in operator (crvs-on-behalf-of), "
      "so this must be one of tls.delegates");
    v("auth", auth,
      "how operators sign in: certificate (HTTPS with a client certificate from client_ca_file, "
      "CN operator:<name>; the production default) or password (accounts of crvs operators, "
      "argon2id, locked after repeated failures); either way the account gives role and "
      "province");
    v("https_cert_file", https_cert_file,
      "PEM server certificate of the console's HTTPS (required unless listen is a loopback "
      "address)");
    v("https_key_file", https_key_file, "PEM private key of https_cert_file (mode 0600)");
    v("client_ca_file", client_ca_file,
      "PEM CA(s) trusted for operators' client certificates (auth = certificate); empty: "
      "tls.ca_file");
    v("session_idle", session_idle, "a session ends after this long without a request");
    v("session_lifetime", session_lifetime,
      "a session ends this long after sign-in, however active");
    v("login_attempts_per_minute", login_attempts_per_minute,
      "password sign-ins allowed per client address per minute; more get 429");
    v("sample_interval", sample_interval, "how often the metrics are scraped (the rate window)");
    v("history", history, "how much sampled history the charts keep in memory");
    v("call_timeout", call_timeout, "deadline of each gRPC call and scrape the console makes");
  }
};

}  // namespace crvs::console
