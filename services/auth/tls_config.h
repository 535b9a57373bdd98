// The [tls] section: this process's identity for mutual TLS and the CA it trusts. One key and
// certificate serve both ways: as the server certificate of every gRPC service the process
// runs (unless that service's `plaintext` is true) and as the client certificate when it calls
// another crvs service (the console calling Admin and Reconciliation, CLI clients).
// `crvs certs` makes a development CA and such certificates (services/auth/README.md).
#pragma once

#include <string>
#include <vector>

namespace crvs::auth {

struct TlsConfig {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  // Principals that may act on behalf of an operator (crvs-on-behalf-of, caller.h): the
  // console's, so that each browser user's calls carry their own name.
  std::vector<std::string> delegates = {"operator:console"};

  template <class V>
  void Visit(V& v) {
    v("ca_file", ca_file,
      "PEM CA certificate(s) trusted to sign client and server certificates (crvs certs init "
      "writes ca.crt)");
    v("cert_file", cert_file,
      "PEM certificate of this process: server certificate of its gRPC services and client "
      "certificate when it calls another crvs service; subject CN names the principal");
    v("key_file", key_file, "PEM private key of cert_file (keep it mode 0600)");
    v("delegates", delegates,
      "principals (the console's certificate CN) whose calls to Admin and Reconciliation may "
      "act on behalf of a signed-in operator (crvs-on-behalf-of metadata); from anyone else "
      "that metadata is refused");
  }
};

}  // namespace crvs::auth
