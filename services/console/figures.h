// The dashboard's numbers, derived from two consecutive scrapes of the pipeline's /metrics
// endpoints (the "sample window"). Everything the page shows about lag, throughput and latency
// comes from one Figures value, so the page, /api/status and /api/history agree with the
// scraped text exactly.
//
// Metrics read (written by connectors/registry_sink and services/gateway):
//   crvs_sink_lag_messages{topic,partition}      gauge   per-partition lag, messages
//   crvs_sink_lag_seconds{topic,partition}       gauge   per-partition lag, seconds
//   crvs_sink_records_total{kind,outcome}        counter records committed by the sink
//   crvs_gateway_records_total{kind,outcome}     counter records answered by the gateway
//   crvs_gateway_call_duration_seconds{method}   histogram submit -> receipt
//   crvs_sink_event_to_commit_seconds            histogram issued-at (event) -> committed
//   crvs_sink_behind_log_start_total{topic,partition} counter  alarm events
//
// Aggregation over several endpoints: lag messages and counters are summed, lag seconds is the
// maximum. Rates and latency quantiles use only endpoints scraped successfully at both ends of
// the window; a series absent at the start of the window counts from zero.
//
// Thread-safety: pure functions over immutable values.
#pragma once

#include <absl/time/time.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "services/console/prom_text.h"

namespace crvs::console {

// One endpoint's scrape: its families, or why it failed.
struct Scrape {
  std::string url;
  bool ok = false;
  std::string error;
  std::vector<MetricFamily> families;
};

// Every endpoint scraped at one instant.
struct Observation {
  absl::Time at;
  std::vector<Scrape> scrapes;  // in the order of the configured URLs
};

// Kafka topic -> record kind label ("birth_certificate", "death_notice", "divorce_decision",
// "registration"), as the sink labels its counters.
using TopicKinds = std::map<std::string, std::string>;

struct PartitionLag {
  std::string topic;
  int partition = 0;
  std::string kind;  // empty for a topic not in TopicKinds
  double lag_messages = 0;
  std::optional<double> lag_seconds;  // absent until the sink committed on the partition
};

struct KindFigures {
  std::string kind;
  double lag_messages = 0;
  std::optional<double> lag_seconds_max;
  std::optional<double> committed_per_second;
  std::optional<double> accepted_per_second;
};

// Quantiles of the observations made during the window.
struct LatencyFigures {
  std::optional<double> p50_seconds;  // absent when nothing was observed in the window
  std::optional<double> p99_seconds;
  double observations = 0;
};

struct ScrapeResult {
  std::string url;
  bool ok = false;
  std::string error;
};

struct Figures {
  absl::Time sampled_at;
  std::optional<double> window_seconds;  // absent on the first observation
  std::vector<PartitionLag> partitions;  // by topic, then partition
  double lag_messages_total = 0;
  std::optional<double> lag_seconds_max;
  std::optional<double> committed_per_second;  // rate of crvs_sink_records_total
  std::optional<double>
      accepted_per_second;             // rate of crvs_gateway_records_total{outcome="accepted"}
  LatencyFigures gateway_latency;      // crvs_gateway_call_duration_seconds
  LatencyFigures commit_latency;       // crvs_sink_event_to_commit_seconds
  double behind_log_start_events = 0;  // crvs_sink_behind_log_start_total, summed
  std::vector<KindFigures> kinds;      // the known kinds first, in proto order
  std::vector<ScrapeResult> scrapes;
};

// Figures of `current`, with rates and quantiles over the window since `previous` (null on
// the first observation).
Figures ComputeFigures(const Observation* previous, const Observation& current,
                       const TopicKinds& topic_kinds);

// Sum of the values of `name` whose labels include every pair of `match`, in one scrape.
double SumSamples(const Scrape& scrape, const std::string& name, const Labels& match = {});

}  // namespace crvs::console
