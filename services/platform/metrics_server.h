// The HTTP endpoint every crvs process exposes for operators and Prometheus:
//   /metrics  Prometheus text exposition of the process's metrics (a prometheus-cpp Registry)
//   /healthz  200 while the process runs
//   /readyz   200 when every readiness check passes, 503 naming the failing ones otherwise
//
// Lifetime: Start() binds and serves on a background thread until Stop() or destruction.
// Thread-safety: AddReadinessCheck before Start; everything else is thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <absl/status/status.h>
#include <prometheus/registry.h>

namespace httplib {
class Server;
}

namespace crvs {

// The Prometheus text exposition (format 0.0.4) of everything in `metrics`.
std::string RenderMetrics(const prometheus::Registry& metrics);

class MetricsServer {
 public:
  // A readiness check returns an empty string when ready, or why it is not.
  using ReadinessCheck = std::function<std::string()>;

  explicit MetricsServer(std::shared_ptr<prometheus::Registry> metrics);
  ~MetricsServer();

  void AddReadinessCheck(std::string name, ReadinessCheck check);
  // `listen` is host:port; port 0 picks a free port (see port()).
  absl::Status Start(const std::string& listen);
  void Stop();
  int port() const { return port_; }

 private:
  std::shared_ptr<prometheus::Registry> metrics_;
  std::vector<std::pair<std::string, ReadinessCheck>> checks_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace crvs
