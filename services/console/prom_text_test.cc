#include "services/console/prom_text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cmath>

#include "services/platform/metrics_server.h"
#include "tests/support/status_matchers.h"

namespace crvs::console {
namespace {

using ::crvs::testing::IsOk;
using ::crvs::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

const MetricFamily* FindFamily(const std::vector<MetricFamily>& families, const std::string& name) {
  for (const auto& f : families) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

TEST(ParseTextFormat, CounterAndGaugeWithHelpTypeAndSortedLabels) {
  auto parsed = ParseTextFormat(
      "# HELP crvs_sink_records_total Records applied\n"
      "# TYPE crvs_sink_records_total counter\n"
      "crvs_sink_records_total{outcome=\"applied_new\",kind=\"death_notice\"} 42\n"
      "crvs_sink_records_total{kind=\"birth_certificate\",outcome=\"duplicate\"} 3 1700000000000\n"
      "\n"
      "# a plain comment\n"
      "# TYPE crvs_sink_lag_messages gauge\n"
      "crvs_sink_lag_messages{topic=\"crvs.death-notices.v1\",partition=\"0\"} 17\n");
  ASSERT_THAT(parsed, IsOk());
  ASSERT_EQ(parsed->size(), 2u);
  const MetricFamily& records = (*parsed)[0];
  EXPECT_EQ(records.name, "crvs_sink_records_total");
  EXPECT_EQ(records.type, MetricType::kCounter);
  EXPECT_EQ(records.help, "Records applied");
  ASSERT_EQ(records.samples.size(), 2u);
  EXPECT_THAT(records.samples[0].labels,
              ElementsAre(Pair("kind", "death_notice"), Pair("outcome", "applied_new")));
  EXPECT_EQ(records.samples[0].value, 42);
  EXPECT_FALSE(records.samples[0].timestamp_ms.has_value());
  EXPECT_EQ(records.samples[1].timestamp_ms, 1700000000000);
  const MetricFamily& lag = (*parsed)[1];
  EXPECT_EQ(lag.type, MetricType::kGauge);
  EXPECT_EQ(*lag.samples[0].Label("topic"), "crvs.death-notices.v1");
}

TEST(ParseTextFormat, LabelValueEscapes) {
  auto parsed = ParseTextFormat(R"(m{path="C:\\dir\\file",quote="say \"hi\"",nl="a\nb"} 1)");
  ASSERT_THAT(parsed, IsOk());
  const Sample& s = (*parsed)[0].samples[0];
  EXPECT_EQ(*s.Label("path"), "C:\\dir\\file");
  EXPECT_EQ(*s.Label("quote"), "say \"hi\"");
  EXPECT_EQ(*s.Label("nl"), "a\nb");
}

TEST(ParseTextFormat, LabelValuesMayHoldCommasBracesAndBlanks) {
  auto parsed = ParseTextFormat("m{ a = \"x, y}\" , b=\"=\" , } 2\n");
  ASSERT_THAT(parsed, IsOk());
  EXPECT_THAT((*parsed)[0].samples[0].labels, ElementsAre(Pair("a", "x, y}"), Pair("b", "=")));
}

TEST(ParseTextFormat, UnknownEscapeIsAnErrorNamingTheLine) {
  auto parsed = ParseTextFormat("ok 1\nm{a=\"tab\\there\"} 1\n");
  EXPECT_THAT(parsed, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("line 2"));
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("escape"));
}

TEST(ParseTextFormat, HelpEscapes) {
  auto parsed = ParseTextFormat("# HELP m first\\nsecond \\\\ done\n# TYPE m gauge\nm 1\n");
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ((*parsed)[0].help, "first\nsecond \\ done");
  EXPECT_THAT(ParseTextFormat("# HELP m bad \\t\n"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParseTextFormat, SpecialFloatValues) {
  auto parsed = ParseTextFormat("a NaN\nb +Inf\nc -Inf\nd 1.5e-3\ne -0\nf Inf\n");
  ASSERT_THAT(parsed, IsOk());
  ASSERT_EQ(parsed->size(), 6u);
  EXPECT_TRUE(std::isnan((*parsed)[0].samples[0].value));
  EXPECT_EQ((*parsed)[1].samples[0].value, INFINITY);
  EXPECT_EQ((*parsed)[2].samples[0].value, -INFINITY);
  EXPECT_DOUBLE_EQ((*parsed)[3].samples[0].value, 0.0015);
  EXPECT_EQ((*parsed)[4].samples[0].value, 0);
  EXPECT_EQ((*parsed)[5].samples[0].value, INFINITY);
  EXPECT_EQ((*parsed)[0].type, MetricType::kUntyped);
}

TEST(ParseTextFormat, HistogramSamplesBelongToTheirFamily) {
  auto parsed = ParseTextFormat(
      "# TYPE lat histogram\n"
      "lat_bucket{method=\"Submit\",le=\"0.1\"} 3\n"
      "lat_bucket{method=\"Submit\",le=\"1\"} 5\n"
      "lat_bucket{method=\"Submit\",le=\"+Inf\"} 6\n"
      "lat_sum{method=\"Submit\"} 2.5\n"
      "lat_count{method=\"Submit\"} 6\n");
  ASSERT_THAT(parsed, IsOk());
  ASSERT_EQ(parsed->size(), 1u);
  const MetricFamily& f = (*parsed)[0];
  EXPECT_EQ(f.type, MetricType::kHistogram);
  ASSERT_EQ(f.samples.size(), 5u);
  EXPECT_EQ(f.samples[2].name, "lat_bucket");
  EXPECT_EQ(*f.samples[2].Label("le"), "+Inf");
  EXPECT_EQ(f.samples[4].name, "lat_count");
}

TEST(ParseTextFormat, HistogramWithoutInfBucketIsRefused) {
  auto parsed =
      ParseTextFormat("# TYPE lat histogram\nlat_bucket{le=\"0.1\"} 3\nlat_sum 1\nlat_count 3\n");
  EXPECT_THAT(parsed, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("+Inf"));
}

TEST(ParseTextFormat, HistogramBucketNeedsNumericLe) {
  EXPECT_THAT(ParseTextFormat("# TYPE lat histogram\nlat_bucket 3\n"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseTextFormat("# TYPE lat histogram\nlat_bucket{le=\"soon\"} 3\n"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseTextFormat("# TYPE lat histogram\nlat 3\n"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParseTextFormat, SummaryQuantiles) {
  auto parsed = ParseTextFormat(
      "# TYPE rpc summary\nrpc{quantile=\"0.5\"} 0.2\nrpc{quantile=\"0.99\"} NaN\n"
      "rpc_sum 10\nrpc_count 50\n");
  ASSERT_THAT(parsed, IsOk());
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ((*parsed)[0].samples.size(), 4u);
}

struct BadCase {
  const char* text;
  const char* expect;
};

class ParseTextFormatRefuses : public ::testing::TestWithParam<BadCase> {};

TEST_P(ParseTextFormatRefuses, WithALineNumberedReason) {
  auto parsed = ParseTextFormat(GetParam().text);
  ASSERT_THAT(parsed, StatusIs(absl::StatusCode::kInvalidArgument)) << GetParam().text;
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr(GetParam().expect));
}

INSTANTIATE_TEST_SUITE_P(
    Strict, ParseTextFormatRefuses,
    ::testing::Values(BadCase{"m 1\nm 2\n", "appears twice"},
                      BadCase{"m{a=\"1\"} 1\nm{a=\"1\"} 2\n", "appears twice"},
                      BadCase{"# TYPE m gauge\n# TYPE m counter\nm 1\n", "second TYPE"},
                      BadCase{"m 1\n# TYPE m gauge\n", "after its samples"},
                      BadCase{"a 1\nb 1\na{x=\"y\"} 2\n", "not in one group"},
                      BadCase{"# TYPE m histogram_ish\n", "unknown metric type"},
                      BadCase{"1m 1\n", "line 1: invalid metric name"},
                      BadCase{"m-x 1\n", "invalid metric name"}, BadCase{"m\n", "without a value"},
                      BadCase{"m abc\n", "not a number"}, BadCase{"m 0x1p3\n", "not a number"},
                      BadCase{"m 1 12.5\n", "timestamp"},
                      BadCase{"m 1 2 3\n", "after the timestamp"},
                      BadCase{"m{a=\"1\",a=\"2\"} 1\n", "appears twice"},
                      BadCase{"m{a=\"1} 1\n", "not terminated"},
                      BadCase{"m{a=1} 1\n", "expected '\"'"},
                      BadCase{"m{1a=\"1\"} 1\n", "invalid label name"},
                      BadCase{"m{a=\"1\" b=\"2\"} 1\n", "expected ',' or '}'"},
                      BadCase{"ok 1\n\n# HELP m one\n# HELP m two\n", "line 4: second HELP"}));

TEST(ParseTextFormat, ReadsWhatPrometheusCppWrites) {
  prometheus::Registry metrics;
  prometheus::BuildCounter()
      .Name("crvs_gateway_records_total")
      // prometheus-cpp writes HELP unescaped, so no backslash or newline here.
      .Help("Records by kind and \"outcome\"")
      .Register(metrics)
      .Add({{"kind", "death_notice"}, {"outcome", "accepted"}})
      .Increment(7);
  prometheus::BuildGauge()
      .Name("crvs_sink_lag_seconds")
      .Help("lag")
      .Register(metrics)
      .Add({{"topic", "t\\\"x\n"}, {"partition", "3"}})
      .Set(0.125);
  auto& h = prometheus::BuildHistogram()
                .Name("crvs_sink_event_to_commit_seconds")
                .Help("event to commit")
                .Register(metrics)
                .Add({}, prometheus::Histogram::BucketBoundaries{0.01, 0.1, 1});
  h.Observe(0.05);
  h.Observe(0.5);
  h.Observe(5);

  auto parsed = ParseTextFormat(RenderMetrics(metrics));
  ASSERT_THAT(parsed, IsOk());
  const MetricFamily* records = FindFamily(*parsed, "crvs_gateway_records_total");
  ASSERT_NE(records, nullptr);
  EXPECT_EQ(records->help, "Records by kind and \"outcome\"");
  EXPECT_EQ(records->samples.at(0).value, 7);
  const MetricFamily* lag = FindFamily(*parsed, "crvs_sink_lag_seconds");
  ASSERT_NE(lag, nullptr);
  EXPECT_EQ(*lag->samples.at(0).Label("topic"), "t\\\"x\n");
  EXPECT_EQ(lag->samples.at(0).value, 0.125);
  const MetricFamily* hist = FindFamily(*parsed, "crvs_sink_event_to_commit_seconds");
  ASSERT_NE(hist, nullptr);
  EXPECT_EQ(hist->type, MetricType::kHistogram);
  std::vector<std::pair<std::string, double>> buckets;
  for (const Sample& s : hist->samples) {
    if (s.name == "crvs_sink_event_to_commit_seconds_bucket")
      buckets.emplace_back(*s.Label("le"), s.value);
  }
  EXPECT_THAT(buckets, ElementsAre(Pair("0.01", 0), Pair("0.1", 1), Pair("1", 2), Pair("+Inf", 3)));
}

}  // namespace
}  // namespace crvs::console
