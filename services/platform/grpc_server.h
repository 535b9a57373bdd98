// One way to start the synchronous gRPC servers of the registry, reconcile and admin services:
// mutual TLS from [tls] unless the service's `plaintext` is set (auth::MakeServerCredentials),
// a thread quota (each call blocks a thread on the database; beyond the quota calls fail with
// RESOURCE_EXHAUSTED) and a request size limit.
#pragma once

#include <absl/status/statusor.h>
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "services/auth/credentials.h"
#include "services/platform/grpc_malformed.h"

namespace crvs {

struct GrpcServer {
  std::unique_ptr<grpc::Server> server;
  int port = 0;  // the bound port (useful with port 0)
};

// `name` is also the config section (`<name>.plaintext`). FAILED_PRECONDITION / NOT_FOUND
// naming the tls.* keys when TLS is asked for but not configured; UNAVAILABLE naming `name`
// and `listen` when the address cannot be bound.
inline absl::StatusOr<GrpcServer> StartGrpcServer(const std::string& name,
                                                  const std::string& listen, int max_threads,
                                                  int max_message_bytes, grpc::Service* service,
                                                  bool plaintext, const auth::TlsConfig& tls) {
  auto credentials = auth::MakeServerCredentials(name, plaintext, tls);
  if (!credentials.ok()) return credentials.status();
  grpc::ResourceQuota quota("crvs-" + name);
  quota.SetMaxThreads(max_threads);
  grpc::ServerBuilder builder;
  // Our port alone: with SO_REUSEPORT (gRPC's default) a second process on the same port
  // would bind too and take part of the traffic.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  GrpcServer out;
  builder.AddListeningPort(listen, *credentials, &out.port);
  if (max_message_bytes > 0) builder.SetMaxReceiveMessageSize(max_message_bytes);
  builder.SetResourceQuota(quota);
  builder.RegisterService(service);
  AnswerMalformedRequests(builder);
  out.server = builder.BuildAndStart();
  if (out.server == nullptr || out.port == 0) {
    return absl::UnavailableError(name + ": cannot listen on " + listen);
  }
  return out;
}

}  // namespace crvs
