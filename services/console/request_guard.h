// Which browser requests the console answers at all, before any route (issue 17):
//
// * Host: only names operators type for this console — localhost, 127.0.0.1 and [::1] on any
//   port, the listen host, and console.allowed_hosts. A page served from another name that
//   resolves to this address (DNS rebinding) gets 403 and reads nothing.
// * State-changing requests (every method but GET, HEAD, OPTIONS) must be same-origin JSON: a
//   Content-Type of application/json (a cross-origin <form> cannot send one without a CORS
//   preflight, which the console never grants), an Origin, when sent, equal to this Host, and
//   a Sec-Fetch-Site, when sent, of same-origin. A cross-site form or script that tries to
//   replay, discard or pause gets 403 and changes nothing.
//
// The probes /healthz, /readyz and /metrics are exempt (Prometheus scrapes them by address).
//
// Thread-safety: immutable after construction.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace crvs::console {

struct RequestHeaders {
  std::string method;
  std::string path;
  std::string host;            // Host
  std::string origin;          // Origin ("" when absent)
  std::string sec_fetch_site;  // Sec-Fetch-Site ("" when absent)
  std::string content_type;    // Content-Type ("" when absent)
};

class RequestGuard {
 public:
  // `listen_host`: the host part of console.listen (a wildcard 0.0.0.0 / :: adds nothing);
  // `allowed_hosts`: "name" (any port) or "name:port", case-insensitive.
  RequestGuard(const std::string& listen_host, const std::vector<std::string>& allowed_hosts);

  // Why the request is refused (for the 403 answer), or "" when it may proceed.
  std::string Refusal(const RequestHeaders& request) const;

 private:
  bool HostAllowed(const std::string& host_header) const;

  std::set<std::string, std::less<>> any_port_;   // lower-case host names
  std::set<std::string, std::less<>> with_port_;  // lower-case "name:port"
};

}  // namespace crvs::console
