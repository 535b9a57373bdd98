#include "services/console/figures.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>

#include "services/console/promql.h"

namespace crvs::console {
namespace {

constexpr const char* kLagMessages = "crvs_sink_lag_messages";
constexpr const char* kLagSeconds = "crvs_sink_lag_seconds";
constexpr const char* kSinkRecords = "crvs_sink_records_total";
constexpr const char* kGatewayRecords = "crvs_gateway_records_total";
constexpr const char* kGatewayLatency = "crvs_gateway_call_duration_seconds_bucket";
constexpr const char* kCommitLatency = "crvs_sink_event_to_commit_seconds_bucket";
constexpr const char* kBehindLogStart = "crvs_sink_behind_log_start_total";

// The record kinds in proto order; always shown, even before any traffic.
const std::vector<std::string>& KnownKinds() {
  static const std::vector<std::string> kinds = {"birth_certificate", "death_notice",
                                                 "divorce_decision", "registration"};
  return kinds;
}

bool Matches(const Sample& s, const Labels& match) {
  for (const auto& [k, v] : match) {
    const std::string* have = s.Label(k);
    if (have == nullptr || *have != v) return false;
  }
  return true;
}

template <class F>
void ForEach(const Scrape& scrape, const std::string& name, const Labels& match, F&& f) {
  if (!scrape.ok) return;
  for (const MetricFamily& family : scrape.families) {
    for (const Sample& s : family.samples) {
      if (s.name == name && Matches(s, match)) f(s);
    }
  }
}

std::map<Labels, double> Series(const Scrape& scrape, const std::string& name,
                                const Labels& match) {
  std::map<Labels, double> out;
  ForEach(scrape, name, match, [&](const Sample& s) { out[s.labels] = s.value; });
  return out;
}

const Scrape* Find(const Observation& o, const std::string& url) {
  for (const Scrape& s : o.scrapes) {
    if (s.url == url) return &s;
  }
  return nullptr;
}

// Per-series increases of counter `name` over the window, for every endpoint scraped at both
// ends. `visit(labels, increase)`. Returns whether any endpoint took part.
template <class F>
bool Increases(const Observation& previous, const Observation& current, const std::string& name,
               const Labels& match, F&& visit) {
  bool any = false;
  for (const Scrape& now : current.scrapes) {
    const Scrape* before = Find(previous, now.url);
    if (!now.ok || before == nullptr || !before->ok) continue;
    any = true;
    std::map<Labels, double> start = Series(*before, name, match);
    for (const auto& [labels, value] : Series(now, name, match)) {
      auto it = start.find(labels);
      visit(labels, CounterIncrease(it == start.end() ? 0 : it->second, value));
    }
  }
  return any;
}

std::optional<double> Rate(const Observation* previous, const Observation& current,
                           std::optional<double> window, const std::string& name,
                           const Labels& match) {
  if (previous == nullptr || !window || *window <= 0) return std::nullopt;
  double total = 0;
  bool any = Increases(*previous, current, name, match,
                       [&](const Labels&, double increase) { total += increase; });
  if (!any) return std::nullopt;
  return total / *window;
}

// histogram_quantile over sum by (le) (increase(bucket[window])).
LatencyFigures Latency(const Observation* previous, const Observation& current,
                       const std::string& bucket_name) {
  LatencyFigures out;
  if (previous == nullptr) return out;
  std::map<double, double> by_le;
  Increases(*previous, current, bucket_name, {}, [&](const Labels& labels, double increase) {
    for (const auto& [k, v] : labels) {
      if (k != "le") continue;
      auto bound = ParseFloatValue(v);
      if (bound.ok()) by_le[*bound] += increase;
    }
  });
  std::vector<Bucket> buckets;
  for (const auto& [le, count] : by_le) buckets.push_back({le, count});
  if (!buckets.empty() && std::isinf(buckets.back().upper_bound)) {
    out.observations = buckets.back().count;
  }
  double p50 = HistogramQuantile(0.5, buckets);
  double p99 = HistogramQuantile(0.99, buckets);
  if (!std::isnan(p50)) out.p50_seconds = p50;
  if (!std::isnan(p99)) out.p99_seconds = p99;
  return out;
}

void MaxInto(std::optional<double>& into, double value) {
  if (std::isnan(value)) return;
  if (!into || value > *into) into = value;
}

}  // namespace

double SumSamples(const Scrape& scrape, const std::string& name, const Labels& match) {
  double sum = 0;
  ForEach(scrape, name, match, [&](const Sample& s) { sum += s.value; });
  return sum;
}

Figures ComputeFigures(const Observation* previous, const Observation& current,
                       const TopicKinds& topic_kinds) {
  Figures f;
  f.sampled_at = current.at;
  if (previous != nullptr) f.window_seconds = absl::ToDoubleSeconds(current.at - previous->at);
  for (const Scrape& s : current.scrapes) f.scrapes.push_back({s.url, s.ok, s.error});

  // Per-partition lag, from every endpoint.
  std::map<std::pair<std::string, int>, PartitionLag> partitions;
  auto partition_of = [&](const Sample& s) -> PartitionLag* {
    const std::string* topic = s.Label("topic");
    const std::string* number = s.Label("partition");
    if (topic == nullptr || number == nullptr) return nullptr;
    int p = std::atoi(number->c_str());
    PartitionLag& lag = partitions[{*topic, p}];
    lag.topic = *topic;
    lag.partition = p;
    auto kind = topic_kinds.find(*topic);
    if (kind != topic_kinds.end()) lag.kind = kind->second;
    return &lag;
  };
  for (const Scrape& s : current.scrapes) {
    ForEach(s, kLagMessages, {}, [&](const Sample& sample) {
      if (PartitionLag* lag = partition_of(sample)) lag->lag_messages += sample.value;
    });
    ForEach(s, kLagSeconds, {}, [&](const Sample& sample) {
      if (PartitionLag* lag = partition_of(sample)) MaxInto(lag->lag_seconds, sample.value);
    });
    f.behind_log_start_events += SumSamples(s, kBehindLogStart);
  }
  for (auto& [key, lag] : partitions) {
    f.lag_messages_total += lag.lag_messages;
    if (lag.lag_seconds) MaxInto(f.lag_seconds_max, *lag.lag_seconds);
    f.partitions.push_back(lag);
  }

  f.committed_per_second = Rate(previous, current, f.window_seconds, kSinkRecords, {});
  f.accepted_per_second =
      Rate(previous, current, f.window_seconds, kGatewayRecords, {{"outcome", "accepted"}});
  f.gateway_latency = Latency(previous, current, kGatewayLatency);
  f.commit_latency = Latency(previous, current, kCommitLatency);

  // Per kind: the known kinds, those the topics map to, and any kind label the counters carry.
  std::vector<std::string> kinds = KnownKinds();
  std::set<std::string> extra;
  for (const auto& [topic, kind] : topic_kinds) extra.insert(kind);
  for (const Scrape& s : current.scrapes) {
    for (const char* name : {kSinkRecords, kGatewayRecords}) {
      ForEach(s, name, {}, [&](const Sample& sample) {
        if (const std::string* kind = sample.Label("kind")) extra.insert(*kind);
      });
    }
  }
  for (const std::string& k : extra) {
    if (std::find(kinds.begin(), kinds.end(), k) == kinds.end() && !k.empty()) kinds.push_back(k);
  }
  for (const std::string& kind : kinds) {
    KindFigures k;
    k.kind = kind;
    for (const PartitionLag& lag : f.partitions) {
      if (lag.kind != kind) continue;
      k.lag_messages += lag.lag_messages;
      if (lag.lag_seconds) MaxInto(k.lag_seconds_max, *lag.lag_seconds);
    }
    k.committed_per_second =
        Rate(previous, current, f.window_seconds, kSinkRecords, {{"kind", kind}});
    k.accepted_per_second = Rate(previous, current, f.window_seconds, kGatewayRecords,
                                 {{"kind", kind}, {"outcome", "accepted"}});
    f.kinds.push_back(std::move(k));
  }
  return f;
}

}  // namespace crvs::console
