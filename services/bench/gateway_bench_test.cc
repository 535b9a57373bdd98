#include "services/bench/gateway_bench.h"

#include <gtest/gtest.h>

#include "services/bench/bench_records.h"
#include "services/validation/validators.h"

namespace crvs::bench {
namespace {

TEST(PercentilesOf, NearestRankOverUnsortedValues) {
  std::vector<double> v;
  for (int i = 1000; i >= 1; --i) v.push_back(i);  // 1..1000 ms, reversed
  Percentiles p = PercentilesOf(v);
  EXPECT_EQ(p.count, 1000u);
  EXPECT_DOUBLE_EQ(p.p50_ms, 500);
  EXPECT_DOUBLE_EQ(p.p99_ms, 990);
  EXPECT_DOUBLE_EQ(p.p999_ms, 999);
  EXPECT_DOUBLE_EQ(p.max_ms, 1000);
}

TEST(PercentilesOf, OneValueAndNone) {
  std::vector<double> one{7.5};
  Percentiles p = PercentilesOf(one);
  EXPECT_DOUBLE_EQ(p.p50_ms, 7.5);
  EXPECT_DOUBLE_EQ(p.p999_ms, 7.5);
  std::vector<double> none;
  EXPECT_EQ(PercentilesOf(none).count, 0u);
}

TEST(ProcessFigures, ResidentAndCpuAreRead) {
  const int64_t resident = ResidentKb();  // before the peak: the peak only grows
  EXPECT_GT(resident, 0);
  EXPECT_GE(PeakResidentKb(), resident);
  volatile double x = 0;
  for (int i = 0; i < 20000000; ++i) x = x + i;
  EXPECT_GT(CpuSeconds(), 0);
}

// The benchmark's records must pass the gateway's validation, or it measures rejections.
TEST(BenchRecords, AreValidAndDistinct) {
  validation::Context ctx;
  for (int64_t i : {0, 1, 999999, 1000001}) {
    EXPECT_TRUE(validation::ValidateDeathNotice(BenchDeathNotice("r1", i), ctx, "").empty()) << i;
    EXPECT_TRUE(validation::ValidateBirthCertificate(BenchBirthCertificate("r1", i), ctx, "").empty())
        << i;
  }
  EXPECT_NE(BenchDeathNotice("r1", 1).deceased().personal_id().number(),
            BenchDeathNotice("r1", 2).deceased().personal_id().number());
  EXPECT_NE(BenchBirthCertificate("r1", 1).key().certificate_no(),
            BenchBirthCertificate("r2", 1).key().certificate_no());
}

}  // namespace
}  // namespace crvs::bench
