#include "services/platform/metrics_server.h"

#include "services/platform/http_listen.h"

#include <chrono>

#include <sstream>

#include <httplib.h>
#include <prometheus/text_serializer.h>

namespace crvs {

std::string RenderMetrics(const prometheus::Registry& metrics) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, metrics.Collect());
  return out.str();
}

MetricsServer::MetricsServer(std::shared_ptr<prometheus::Registry> metrics)
    : metrics_(std::move(metrics)), server_(std::make_unique<httplib::Server>()) {}

MetricsServer::~MetricsServer() { Stop(); }

void MetricsServer::AddReadinessCheck(std::string name, ReadinessCheck check) {
  checks_.emplace_back(std::move(name), std::move(check));
}

absl::Status MetricsServer::Start(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError("metrics listen address '" + listen + "': expected host:port");
  }
  std::string host = listen.substr(0, colon);
  int port = std::atoi(listen.c_str() + colon + 1);

  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(RenderMetrics(*metrics_), "text/plain; version=0.0.4; charset=utf-8");
  });
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  server_->Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    std::string failing;
    for (const auto& [name, check] : checks_) {
      std::string why = check();
      if (!why.empty()) failing += name + ": " + why + "\n";
    }
    res.status = failing.empty() ? 200 : 503;
    res.set_content(failing.empty() ? "ready\n" : failing, "text/plain");
  });

  ListenExclusively(*server_);
  if (port == 0) {
    port_ = server_->bind_to_any_port(host.c_str());
    if (port_ <= 0) return absl::UnavailableError("metrics: cannot bind " + listen);
  } else {
    if (!server_->bind_to_port(host.c_str(), port)) {
      return absl::UnavailableError("metrics: cannot bind " + listen);
    }
    port_ = port;
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // httplib's stop() does nothing before the listen loop runs: wait for it, so a Stop() right
  // after Start() cannot leave the thread listening forever.
  for (int i = 0; i < 5000 && !server_->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return absl::OkStatus();
}

void MetricsServer::Stop() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

}  // namespace crvs
