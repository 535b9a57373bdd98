#include "services/console/figures.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace crvs::console {
namespace {

const TopicKinds kTopics = {{"crvs.birth-certificates.v1", "birth_certificate"},
                            {"crvs.death-notices.v1", "death_notice"}};

absl::Time At(double seconds) {
  return absl::FromUnixSeconds(1'780'000'000) + absl::Seconds(seconds);
}

Scrape Parsed(const std::string& url, const std::string& text) {
  Scrape s;
  s.url = url;
  auto families = ParseTextFormat(text);
  EXPECT_TRUE(families.ok()) << families.status();
  s.ok = families.ok();
  if (families.ok()) s.families = std::move(*families);
  return s;
}

Scrape Failed(const std::string& url) {
  Scrape s;
  s.url = url;
  s.error = "connection refused";
  return s;
}

std::string Metrics(double births_applied, double deaths_applied, double accepted,
                    const std::string& latency_buckets) {
  return "# TYPE crvs_sink_lag_messages gauge\n"
         "crvs_sink_lag_messages{partition=\"0\",topic=\"crvs.death-notices.v1\"} 7\n"
         "crvs_sink_lag_messages{partition=\"1\",topic=\"crvs.death-notices.v1\"} 5\n"
         "crvs_sink_lag_messages{partition=\"0\",topic=\"crvs.birth-certificates.v1\"} 0\n"
         "# TYPE crvs_sink_lag_seconds gauge\n"
         "crvs_sink_lag_seconds{partition=\"0\",topic=\"crvs.death-notices.v1\"} 0.75\n"
         "crvs_sink_lag_seconds{partition=\"1\",topic=\"crvs.death-notices.v1\"} 2.5\n"
         "# TYPE crvs_sink_records_total counter\n"
         "crvs_sink_records_total{kind=\"birth_certificate\",outcome=\"applied_new\"} " +
         std::to_string(births_applied) +
         "\n"
         "crvs_sink_records_total{kind=\"death_notice\",outcome=\"applied_new\"} " +
         std::to_string(deaths_applied) +
         "\n"
         "# TYPE crvs_gateway_records_total counter\n"
         "crvs_gateway_records_total{kind=\"death_notice\",outcome=\"accepted\"} " +
         std::to_string(accepted) +
         "\n"
         "crvs_gateway_records_total{kind=\"death_notice\",outcome=\"rejected\"} 1000\n"
         "# TYPE crvs_sink_event_to_commit_seconds histogram\n" +
         latency_buckets;
}

std::string Buckets(double le_01, double le_05, double le_1, double inf) {
  return "crvs_sink_event_to_commit_seconds_bucket{le=\"0.1\"} " + std::to_string(le_01) +
         "\ncrvs_sink_event_to_commit_seconds_bucket{le=\"0.5\"} " + std::to_string(le_05) +
         "\ncrvs_sink_event_to_commit_seconds_bucket{le=\"1\"} " + std::to_string(le_1) +
         "\ncrvs_sink_event_to_commit_seconds_bucket{le=\"+Inf\"} " + std::to_string(inf) +
         "\ncrvs_sink_event_to_commit_seconds_sum 1\ncrvs_sink_event_to_commit_seconds_count " +
         std::to_string(inf) + "\n";
}

const KindFigures& KindOf(const Figures& f, const std::string& kind) {
  for (const auto& k : f.kinds) {
    if (k.kind == kind) return k;
  }
  static KindFigures none;
  ADD_FAILURE() << "no kind " << kind;
  return none;
}

TEST(ComputeFigures, FirstObservationHasLagButNoRates) {
  Observation now{At(0), {Parsed("u", Metrics(10, 20, 30, Buckets(1, 2, 3, 4)))}};
  Figures f = ComputeFigures(nullptr, now, kTopics);
  EXPECT_EQ(f.sampled_at, At(0));
  EXPECT_FALSE(f.window_seconds.has_value());
  EXPECT_EQ(f.lag_messages_total, 12);
  EXPECT_EQ(f.lag_seconds_max, 2.5);
  ASSERT_EQ(f.partitions.size(), 3u);
  EXPECT_EQ(f.partitions[0].topic, "crvs.birth-certificates.v1");
  EXPECT_EQ(f.partitions[0].kind, "birth_certificate");
  EXPECT_FALSE(f.partitions[0].lag_seconds.has_value());
  EXPECT_EQ(f.partitions[2].partition, 1);
  EXPECT_EQ(f.partitions[2].lag_seconds, 2.5);
  EXPECT_FALSE(f.committed_per_second.has_value());
  EXPECT_FALSE(f.accepted_per_second.has_value());
  EXPECT_FALSE(f.commit_latency.p50_seconds.has_value());
  EXPECT_EQ(KindOf(f, "death_notice").lag_messages, 12);
  EXPECT_EQ(KindOf(f, "death_notice").lag_seconds_max, 2.5);
  EXPECT_EQ(KindOf(f, "birth_certificate").lag_messages, 0);
  // The four kinds are always listed, in proto order.
  ASSERT_GE(f.kinds.size(), 4u);
  EXPECT_EQ(f.kinds[2].kind, "divorce_decision");
  EXPECT_EQ(f.kinds[3].kind, "registration");
}

TEST(ComputeFigures, RatesAreIncreasesOverTheWindow) {
  Observation before{At(0), {Parsed("u", Metrics(10, 20, 30, Buckets(0, 0, 0, 0)))}};
  Observation now{At(4), {Parsed("u", Metrics(18, 40, 50, Buckets(0, 0, 0, 0)))}};
  Figures f = ComputeFigures(&before, now, kTopics);
  EXPECT_EQ(f.window_seconds, 4);
  EXPECT_EQ(f.committed_per_second, (8.0 + 20.0) / 4);
  EXPECT_EQ(f.accepted_per_second, 20.0 / 4);  // rejected records are not counted
  EXPECT_EQ(KindOf(f, "birth_certificate").committed_per_second, 2);
  EXPECT_EQ(KindOf(f, "death_notice").committed_per_second, 5);
  EXPECT_EQ(KindOf(f, "death_notice").accepted_per_second, 5);
  EXPECT_EQ(KindOf(f, "birth_certificate").accepted_per_second, 0);
}

TEST(ComputeFigures, ACounterResetCountsFromZero) {
  Observation before{At(0), {Parsed("u", Metrics(1000, 20, 30, Buckets(0, 0, 0, 0)))}};
  Observation now{At(5), {Parsed("u", Metrics(10, 20, 30, Buckets(0, 0, 0, 0)))}};
  Figures f = ComputeFigures(&before, now, kTopics);
  EXPECT_EQ(KindOf(f, "birth_certificate").committed_per_second, 2);  // restarted: 0 -> 10
  EXPECT_EQ(f.committed_per_second, 2);
}

TEST(ComputeFigures, ASeriesNewInTheWindowCountsFromZero) {
  Observation before{At(0), {Parsed("u", "# TYPE crvs_sink_records_total counter\n")}};
  Observation now{
      At(2),
      {Parsed("u", "crvs_sink_records_total{kind=\"registration\",outcome=\"applied_new\"} 6\n")}};
  Figures f = ComputeFigures(&before, now, kTopics);
  EXPECT_EQ(f.committed_per_second, 3);
  EXPECT_EQ(KindOf(f, "registration").committed_per_second, 3);
}

TEST(ComputeFigures, LatencyQuantilesUseOnlyTheWindowsObservations) {
  // Before: 100 fast observations. In the window: 10 more, 5 in (0.1, 0.5], 5 in (0.5, 1].
  Observation before{At(0), {Parsed("u", Metrics(0, 0, 0, Buckets(100, 100, 100, 100)))}};
  Observation now{At(5), {Parsed("u", Metrics(0, 0, 0, Buckets(100, 105, 110, 110)))}};
  Figures f = ComputeFigures(&before, now, kTopics);
  EXPECT_EQ(f.commit_latency.observations, 10);
  ASSERT_TRUE(f.commit_latency.p50_seconds.has_value());
  EXPECT_DOUBLE_EQ(*f.commit_latency.p50_seconds, 0.5);  // rank 5: top of (0.1, 0.5]
  EXPECT_DOUBLE_EQ(*f.commit_latency.p99_seconds, 0.5 + 0.5 * 4.9 / 5);  // rank 9.9
  // Nothing observed in the window: no quantile.
  Figures idle = ComputeFigures(&now, now, kTopics);
  EXPECT_FALSE(idle.commit_latency.p50_seconds.has_value());
}

TEST(ComputeFigures, GatewayLatencySumsMethodsByLe) {
  auto text = [](int submit_fast, int stream_slow) {
    return "# TYPE crvs_gateway_call_duration_seconds histogram\n"
           "crvs_gateway_call_duration_seconds_bucket{method=\"Submit\",le=\"0.01\"} " +
           std::to_string(submit_fast) +
           "\ncrvs_gateway_call_duration_seconds_bucket{method=\"Submit\",le=\"0.1\"} " +
           std::to_string(submit_fast) +
           "\ncrvs_gateway_call_duration_seconds_bucket{method=\"Submit\",le=\"+Inf\"} " +
           std::to_string(submit_fast) +
           "\ncrvs_gateway_call_duration_seconds_bucket{method=\"SubmitStream\",le=\"0.01\"} 0"
           "\ncrvs_gateway_call_duration_seconds_bucket{method=\"SubmitStream\",le=\"0.1\"} " +
           std::to_string(stream_slow) +
           "\ncrvs_gateway_call_duration_seconds_bucket{method=\"SubmitStream\",le=\"+Inf\"} " +
           std::to_string(stream_slow) + "\n";
  };
  Observation before{At(0), {Parsed("u", text(0, 0))}};
  Observation now{At(5), {Parsed("u", text(10, 10))}};
  Figures f = ComputeFigures(&before, now, kTopics);
  EXPECT_EQ(f.gateway_latency.observations, 20);
  EXPECT_DOUBLE_EQ(*f.gateway_latency.p50_seconds, 0.01);
  EXPECT_DOUBLE_EQ(*f.gateway_latency.p99_seconds, 0.01 + 0.09 * 9.8 / 10);
}

TEST(ComputeFigures, SeveralEndpointsSumLagAndSkipFailedScrapesInRates) {
  std::string sink_b =
      "crvs_sink_lag_messages{partition=\"2\",topic=\"crvs.death-notices.v1\"} 100\n"
      "crvs_sink_lag_seconds{partition=\"2\",topic=\"crvs.death-notices.v1\"} 9\n"
      "crvs_sink_records_total{kind=\"death_notice\",outcome=\"applied_new\"} 500\n";
  Observation before{At(0), {Parsed("a", Metrics(0, 0, 0, Buckets(0, 0, 0, 0))), Failed("b")}};
  Observation now{At(10),
                  {Parsed("a", Metrics(0, 50, 0, Buckets(0, 0, 0, 0))), Parsed("b", sink_b)}};
  Figures f = ComputeFigures(&before, now, kTopics);
  EXPECT_EQ(f.lag_messages_total, 112);
  EXPECT_EQ(f.lag_seconds_max, 9);
  // b was not scraped at the start of the window: its counter says nothing about the window.
  EXPECT_EQ(f.committed_per_second, 5);
  ASSERT_EQ(f.scrapes.size(), 2u);
  EXPECT_TRUE(f.scrapes[1].ok);

  Observation broken{At(20), {Failed("a"), Failed("b")}};
  Figures none = ComputeFigures(&now, broken, kTopics);
  EXPECT_FALSE(none.committed_per_second.has_value());
  EXPECT_EQ(none.lag_messages_total, 0);
  EXPECT_FALSE(none.scrapes[0].ok);
  EXPECT_EQ(none.scrapes[0].error, "connection refused");
}

}  // namespace
}  // namespace crvs::console
