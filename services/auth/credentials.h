// gRPC credentials from the [tls] section, decided in one place for every server and client.
//
// Servers in TLS mode ask for a client certificate and verify it against tls.ca_file when one
// is presented, but do not fail the handshake without one: the call then reaches the service
// and CallerFromContext answers UNAUTHENTICATED, a gRPC status the client can read (a
// handshake failure would only show as UNAVAILABLE). A certificate that does not verify
// against the CA fails the handshake. gRPC negotiates TLS 1.2 or 1.3 only (its minimum is
// TLS 1.2; nothing here lowers it).
#pragma once

#include <memory>
#include <string_view>

#include <absl/status/statusor.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include "services/auth/tls_config.h"

namespace crvs::auth {

// Insecure credentials when `plaintext`; otherwise TLS with tls.cert_file/key_file as the
// server certificate and tls.ca_file verifying clients. FAILED_PRECONDITION naming
// `<section>.plaintext` and the missing tls.* keys (and suggesting `crvs certs`) when files are
// not configured; NOT_FOUND naming the key and path when one cannot be read.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    std::string_view section, bool plaintext, const TlsConfig& tls);

// Insecure credentials when `plaintext`; otherwise TLS trusting tls.ca_file, presenting
// tls.cert_file/key_file as the client certificate when both are set (without them the
// server sees a caller with no identity).
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    bool plaintext, const TlsConfig& tls);

}  // namespace crvs::auth
