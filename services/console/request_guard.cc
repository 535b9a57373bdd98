#include "services/console/request_guard.h"

#include <absl/strings/ascii.h>
#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>

namespace crvs::console {
namespace {

std::string Lower(std::string_view s) { return absl::AsciiStrToLower(std::string(s)); }

// The host of "name", "name:port", "[v6]" or "[v6]:port", lower-case, with IPv6 brackets.
std::string HostPart(const std::string& authority) {
  if (!authority.empty() && authority[0] == '[') {
    const size_t close = authority.find(']');
    return close == std::string::npos ? "" : Lower(authority.substr(0, close + 1));
  }
  return Lower(authority.substr(0, authority.find(':')));
}

bool IsSafeMethod(const std::string& method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS";
}

}  // namespace

RequestGuard::RequestGuard(const std::string& listen_host,
                           const std::vector<std::string>& allowed_hosts) {
  any_port_ = {"localhost", "127.0.0.1", "[::1]"};
  const std::string listen = Lower(listen_host);
  if (!listen.empty() && listen != "0.0.0.0" && listen != "::" && listen != "[::]") {
    any_port_.insert(listen.find(':') != std::string::npos && listen[0] != '['
                         ? absl::StrCat("[", listen, "]")
                         : listen);
  }
  for (const std::string& entry : allowed_hosts) {
    const std::string host = HostPart(entry);
    if (Lower(entry) == host) {
      any_port_.insert(host);
    } else {
      with_port_.insert(Lower(entry));
    }
  }
}

bool RequestGuard::HostAllowed(const std::string& host_header) const {
  if (host_header.empty()) return false;
  return any_port_.count(HostPart(host_header)) > 0 || with_port_.count(Lower(host_header)) > 0;
}

std::string RequestGuard::Refusal(const RequestHeaders& r) const {
  if (r.path == "/healthz" || r.path == "/readyz" || r.path == "/metrics") return "";
  if (!HostAllowed(r.host)) {
    return absl::StrCat("this console does not answer to Host \"", r.host,
                        "\" (console.allowed_hosts lists the names it answers to)");
  }
  if (IsSafeMethod(r.method)) return "";
  if (!r.origin.empty()) {
    const size_t scheme = r.origin.find("://");
    const std::string authority =
        scheme == std::string::npos ? "" : Lower(r.origin.substr(scheme + 3));
    if (authority != Lower(r.host)) {
      return absl::StrCat("a ", r.method, " from another origin (", r.origin,
                          ") is refused: the console acts only on its own page's requests");
    }
  }
  if (!r.sec_fetch_site.empty() && r.sec_fetch_site != "same-origin") {
    return absl::StrCat("a ", r.method, " from a ", r.sec_fetch_site,
                        " page is refused: the console acts only on its own page's requests");
  }
  if (!absl::StartsWith(Lower(r.content_type), "application/json")) {
    return absl::StrCat("a ", r.method,
                        " must send Content-Type: application/json (a form cannot act here)");
  }
  return "";
}

}  // namespace crvs::console
