// The composition root of a running `crvs` process (after redpanda's application.h): it starts
// the components a subcommand asks for, each through one helper that takes the component and
// registers its stop, so they stop in reverse order (last started, first stopped: the gateway
// stops taking calls before the producers and databases under it close). Components that serve
// report their readiness on the process's /readyz.
//
// Thread-safety: construct, Start and destroy from main.
#pragma once

#include <memory>
#include <string>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <prometheus/registry.h>

#include "services/cli/root_config.h"
#include "services/platform/lifecycle.h"
#include "services/platform/metrics_server.h"
#include "services/store/store.h"
#include "services/validation/reference_data.h"

namespace crvs::cli {

// What a subcommand runs in this process.
struct Components {
  bool gateway = false;
  bool sink = false;
  bool registry = false;
  bool court_source = false;
  bool reconcile = false;
  bool admin = false;
  bool feeds = false;  // the feeds to the agencies (gRPC pull, Kafka relays)
  // The web console: kWatchingThisProcess (`crvs dev`: this process's /metrics, admin and
  // reconciliation services, unless [console] points elsewhere) or kAsConfigured.
  enum class Console { kNone, kWatchingThisProcess, kAsConfigured } console = Console::kNone;
  bool simulate = false;  // `crvs dev --simulate`: started last, stopped first
  // `crvs dev` only: with no kafka.bootstrap_servers, run the embedded broker in-process. A
  // standalone service must never quietly run a broker of its own that nothing else reads.
  bool embedded_broker = false;
  // `crvs dev` only: a fresh database gets a first console account (its password printed once).
  bool first_console_admin = false;

  bool NeedKafka() const {
    return gateway || sink || court_source || reconcile || admin || feeds;
  }
  bool NeedReference() const { return gateway || sink || registry || court_source || simulate; }
};

class Application {
 public:
  explicit Application(const RootConfig& root);
  // Stops the metrics endpoint, then every component, newest first.
  ~Application();
  Application(const Application&) = delete;
  Application& operator=(const Application&) = delete;

  // Starts `components` in dependency order, with the process's /metrics, /healthz and /readyz
  // on `metrics_listen` (empty: none). Stops at the first error; what started is stopped by the
  // destructor.
  absl::Status Start(const Components& components, const std::string& metrics_listen);
  // The Kafka cluster the components use (after Start).
  const std::string& bootstrap() const { return bootstrap_; }

 private:
  // Takes a started component and registers its stop under `name`.
  template <class T>
  absl::StatusOr<T*> Own(const std::string& name, absl::StatusOr<std::unique_ptr<T>> started) {
    if (!started.ok()) return started.status();
    T* raw = started->release();
    lifecycle_.OnStop(name, [raw] { delete raw; });
    return raw;
  }
  // Own(), and the component's NotReady() reported on /readyz.
  template <class T>
  absl::StatusOr<T*> OwnServing(const std::string& name,
                                absl::StatusOr<std::unique_ptr<T>> started) {
    auto raw = Own(name, std::move(started));
    if (raw.ok()) metrics_server_.AddReadinessCheck(name, [c = *raw] { return c->NotReady(); });
    return raw;
  }
  // A connection to the civil-status database for one component (each gets its own, so the
  // registry's reads do not queue behind the sink's batches).
  absl::StatusOr<store::Store*> OpenDatabase(const std::string& component);
  absl::Status LoadReference();
  // Lets operators pause and resume `connector` (PauseConnector) and reports its state on the
  // control topic; stops before the connector.
  template <class Connector>
  absl::Status StartControl(const std::string& name, Connector* connector,
                            kafka::Producer* producer);

  absl::Status StartGateway();
  absl::Status StartSink();
  absl::Status StartRegistry();
  absl::Status StartCourtSource();
  absl::Status StartReconcile();
  absl::Status StartAdmin();
  absl::Status StartConsole(Components::Console mode, bool first_admin);
  absl::Status StartFeeds();
  absl::Status StartSimulator();

  const RootConfig& root_;
  // Declared first, destroyed last: components count in it until they have stopped (the
  // producers' last delivery reports arrive during the stops).
  std::shared_ptr<prometheus::Registry> metrics_ = std::make_shared<prometheus::Registry>();
  Lifecycle lifecycle_;
  // Its readiness checks point at the components, so it stops first (declared after them).
  MetricsServer metrics_server_{metrics_};
  std::string metrics_listen_;
  std::string bootstrap_;
  const validation::ReferenceData* reference_ = nullptr;
  // Where the admin and reconciliation services listen once started (their configured address
  // with port 0 replaced by the port they bound): what the console of `crvs dev` dials.
  std::string admin_address_;
  std::string reconcile_address_;
};

}  // namespace crvs::cli
