// The one place a crvs client (console, CLI commands, tests) decides how to connect to a crvs
// gRPC service: plaintext when that service runs plaintext (local development), otherwise
// mutual TLS with this process's [tls] identity (auth::MakeChannelCredentials).
#pragma once

#include <memory>
#include <string>

#include <absl/status/statusor.h>
#include <grpcpp/grpcpp.h>

#include "services/auth/credentials.h"

namespace crvs {

// A channel to `address` ("host:port"; with TLS the host must be a name or address in the
// server certificate, e.g. localhost or 127.0.0.1). Errors name the tls.* key at fault.
inline absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const std::string& address,
                                                                  const auth::TlsConfig& tls,
                                                                  bool plaintext) {
  auto credentials = auth::MakeChannelCredentials(plaintext, tls);
  if (!credentials.ok()) return credentials.status();
  return grpc::CreateChannel(address, *credentials);
}

}  // namespace crvs
