// The console's sampler: every console.sample_interval it scrapes each of console.metrics_urls,
// parses the text with ParseTextFormat, computes the Figures over the window since the previous
// scrape, keeps them as "the latest" and appends a point to the history ring.
//
// Lifetime: Start() runs a background thread until Stop() or destruction. The first sample is
// taken synchronously by Start(), so the figures exist as soon as the console serves.
// Thread-safety: Latest(), history() and SampleNow() may be called from any thread; samples
// are taken one at a time.
#pragma once

#include <absl/status/statusor.h>
#include <absl/time/time.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "services/console/figures.h"
#include "services/console/history.h"
#include "services/platform/mutex.h"

namespace crvs::console {

// Narrow I/O interface: the body of a /metrics endpoint (fakes in tests).
class MetricsFetcher {
 public:
  virtual ~MetricsFetcher() = default;
  // The body of GET `url`; UNAVAILABLE (or the HTTP status) when it cannot be had.
  virtual absl::StatusOr<std::string> Fetch(const std::string& url) = 0;
};

// Plain HTTP(S) GET with cpp-httplib; `timeout` bounds connecting and reading.
std::unique_ptr<MetricsFetcher> MakeHttpMetricsFetcher(absl::Duration timeout);

class Sampler {
 public:
  struct Options {
    std::vector<std::string> urls;
    TopicKinds topic_kinds;
    absl::Duration interval = absl::Seconds(5);
    size_t history_points = 720;
    std::function<absl::Time()> clock;  // null: absl::Now
    // Counts scrapes by outcome ("ok", "error"); may be null.
    prometheus::Family<prometheus::Counter>* scrapes = nullptr;
  };

  Sampler(Options options, MetricsFetcher* fetcher);  // `fetcher` must outlive the sampler
  ~Sampler();

  // Takes a first sample, then one every interval on a background thread.
  void Start();
  void Stop();

  // Scrapes every endpoint now and records the result.
  void SampleNow();

  // The latest figures; null before the first sample.
  std::shared_ptr<const Figures> Latest() const;
  const HistoryRing& history() const { return history_; }

 private:
  void Loop();

  Options options_;
  MetricsFetcher* fetcher_;
  HistoryRing history_;

  platform::Mutex sample_mu_;  // one sample at a time
  std::unique_ptr<Observation> previous_ ABSL_GUARDED_BY(sample_mu_);

  mutable platform::Mutex latest_mu_;
  std::shared_ptr<const Figures> latest_ ABSL_GUARDED_BY(latest_mu_);

  platform::Mutex stop_mu_;
  platform::CondVar stop_cv_;
  bool stopping_ ABSL_GUARDED_BY(stop_mu_) = false;
  std::thread thread_;
};

}  // namespace crvs::console
