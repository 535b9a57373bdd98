// The live indicator feed for the government's operations centre: a background thread that,
// every `interval`, checks whether records or manifests landed in the database (the consumed
// offsets and the manifests changed) and, if so — or at least every `heartbeat` — computes the
// current year's national indicators and publishes them on the indicators topic:
//   key = "VN/<period>", value = the report as JSON (report_format.h FormatJson, with its
//   metadata), headers crvs-schema = "crvs.reconcile.v1.IndicatorReport+json;v=1" and
//   crvs-snapshot-sequence = 1, 2, ... (per process).
// It also keeps the gauges the alert rules read: crvs_reconcile_indicator_percent{indicator}
// and crvs_reconcile_indicator_target_percent{indicator,year} (national, current year) at each
// snapshot, and crvs_reconcile_silent_sources every minute.
// The work a check costs is two tiny queries; a snapshot costs a full indicator computation,
// so the interval stretches to twice the last computation's duration on big databases.
//
// Lifetime: Start() runs the thread; the destructor stops it (finishing a snapshot in
// progress). Thread-safety: the accessors are thread-safe.
#pragma once

#include <absl/status/statusor.h>
#include <absl/time/time.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "connectors/kafka/producer.h"
#include "crvs/reconcile/v1/reconciliation.pb.h"
#include "services/platform/mutex.h"
#include "services/reconcile/silent_sources.h"
#include "services/store/store.h"

namespace crvs::reconcile {

inline constexpr const char* kSnapshotSchema = "crvs.reconcile.v1.IndicatorReport+json;v=1";

class IndicatorFeed {
 public:
  struct Deps {
    store::Store* store;
    kafka::Producer* producer;
    std::string topic;
    std::function<absl::StatusOr<v1::IndicatorReport>(const v1::IndicatorsRequest&)> indicators;
    absl::Duration interval = absl::Seconds(2);
    absl::Duration heartbeat = absl::Seconds(30);
    std::function<absl::Time()> now;  // empty: absl::Now
    prometheus::Registry* metrics = nullptr;
    SilenceRule silence;
  };
  static std::unique_ptr<IndicatorFeed> Start(Deps deps);
  ~IndicatorFeed();

  int64_t snapshots_published() const { return published_.load(); }

 private:
  explicit IndicatorFeed(Deps deps) : deps_(std::move(deps)) {}
  void Run();
  // A value that changes whenever the sink commits or a manifest is declared.
  absl::StatusOr<std::string> Watermark();
  absl::Status Publish();
  void SetIndicatorGauges(const v1::IndicatorReport& report);
  void CountSilentSources();

  Deps deps_;
  prometheus::Family<prometheus::Gauge>* percent_ = nullptr;
  prometheus::Family<prometheus::Gauge>* target_ = nullptr;
  prometheus::Gauge* silent_ = nullptr;
  absl::Time silent_counted_ = absl::InfinitePast();
  std::atomic<int64_t> published_{0};
  platform::Mutex mu_;
  platform::CondVar wake_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace crvs::reconcile
