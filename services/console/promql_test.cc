#include "services/console/promql.h"

#include <gtest/gtest.h>

#include <cmath>

namespace crvs::console {
namespace {

constexpr double kInf = INFINITY;

// 10 observations <= 0.1, 10 in (0.1, 0.5], 10 in (0.5, 1], 10 above 1.
std::vector<Bucket> Sample() { return {{0.1, 10}, {0.5, 20}, {1, 30}, {kInf, 40}}; }

TEST(HistogramQuantile, InterpolatesLinearlyWithinTheBucket) {
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.25, Sample()), 0.1);    // rank 10: top of bucket 1
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.5, Sample()), 0.5);     // rank 20
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.6, Sample()), 0.7);     // rank 24: 0.5 + 0.5 * 4/10
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.125, Sample()), 0.05);  // rank 5: 0 + 0.1 * 5/10
}

TEST(HistogramQuantile, RankInTheInfBucketAnswersTheHighestFiniteBound) {
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.99, Sample()), 1);
  EXPECT_DOUBLE_EQ(HistogramQuantile(1, Sample()), 1);
}

TEST(HistogramQuantile, OrderAndDuplicateBoundsDoNotMatter) {
  // Two series' buckets (e.g. two gateway methods) summed by le, given unsorted.
  std::vector<Bucket> buckets = {{kInf, 30}, {0.5, 15},  {0.1, 4}, {1, 20},
                                 {0.1, 6},   {kInf, 10}, {0.5, 5}, {1, 10}};
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.6, buckets), 0.7);
}

TEST(HistogramQuantile, NonMonotonicCountsAreClampedAsPrometheusDoes) {
  // The 1-bucket dipped below the 0.5-bucket (a scrape mid-update): treated as 20.
  std::vector<Bucket> buckets = {{0.1, 10}, {0.5, 20}, {1, 19}, {kInf, 40}};
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.5, buckets), 0.5);
  // Rank 30 lies beyond the clamped 1-bucket: the +Inf bucket answers the highest bound.
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.75, buckets), 1);
}

TEST(HistogramQuantile, EdgeCases) {
  EXPECT_EQ(HistogramQuantile(-0.1, Sample()), -kInf);
  EXPECT_EQ(HistogramQuantile(1.1, Sample()), kInf);
  EXPECT_TRUE(std::isnan(HistogramQuantile(NAN, Sample())));
  // No +Inf bucket, fewer than two buckets, or nothing observed: NaN.
  EXPECT_TRUE(std::isnan(HistogramQuantile(0.5, {{0.1, 10}, {1, 20}})));
  EXPECT_TRUE(std::isnan(HistogramQuantile(0.5, {{kInf, 20}})));
  EXPECT_TRUE(std::isnan(HistogramQuantile(0.5, {{0.1, 0}, {kInf, 0}})));
  EXPECT_TRUE(std::isnan(HistogramQuantile(0.5, {})));
  // A first bucket with a bound <= 0 answers that bound rather than interpolating from 0.
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.25, {{-1, 5}, {kInf, 10}}), -1);
}

TEST(CounterIncrease, ADropIsARestartFromZero) {
  EXPECT_EQ(CounterIncrease(5, 8), 3);
  EXPECT_EQ(CounterIncrease(8, 8), 0);
  EXPECT_EQ(CounterIncrease(800, 2), 2);
}

}  // namespace
}  // namespace crvs::console
