#include "services/registry/registry.h"

#include <chrono>

#include <absl/strings/str_cat.h>

#include "services/platform/logging.h"
#include "services/platform/grpc_server.h"
#include "services/platform/status.h"

namespace crvs::registry {

absl::StatusOr<std::unique_ptr<Registry>> Registry::Start(const RegistryConfig& config,
                                                          Deps deps,
                                                          const auth::TlsConfig& tls) {
  std::vector<FieldViolation> bad;
  if (config.max_message_bytes < 1024) {
    bad.push_back({"registry.max_message_bytes", "must be at least 1024"});
  }
  // gRPC's pollers take threads from the same quota as the calls.
  if (config.max_threads < 4) bad.push_back({"registry.max_threads", "must be at least 4"});
  if (deps.store == nullptr || deps.reference == nullptr || deps.metrics == nullptr) {
    return absl::InvalidArgumentError("registry: store, reference data and metrics are required");
  }
  if (!bad.empty()) return InvalidArgument(bad);

  std::unique_ptr<Registry> r(new Registry());
  r->metrics_ = std::make_unique<RegistryMetrics>(*deps.metrics);
  r->service_ = std::make_unique<RegistryService>(
      RegistryService::Deps{deps.store, deps.reference, r->metrics_.get(), std::move(deps.now)});

  auto server = StartGrpcServer("registry", config.listen, config.max_threads,
                                config.max_message_bytes, r->service_.get(), config.plaintext,
                                tls);
  if (!server.ok()) return server.status();
  r->server_ = std::move(server->server);
  r->port_ = server->port;
  r->serving_ = true;
  logging::Get("registry")->info("registry listening address={} port={} tls={}", config.listen,
                                 r->port_, config.plaintext ? "off" : "mutual");
  return r;
}

void Registry::Stop() {
  if (server_ == nullptr) return;
  serving_ = false;
  // Registry calls are short database reads and writes: 2 s lets those in flight finish, then
  // gRPC cancels what is left (a connected but idle client would otherwise hold the shutdown
  // for the whole grace period).
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server_.reset();
  logging::Get("registry")->info("registry stopped port={}", port_);
}

Registry::~Registry() { Stop(); }

std::string Registry::NotReady() const { return serving_ ? "" : "stopped"; }

}  // namespace crvs::registry
