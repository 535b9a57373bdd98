#include "services/gateway/rate_limiter.h"

#include <string>

#include <gmock/gmock.h>
#include <google/rpc/error_details.pb.h>
#include <gtest/gtest.h>

#include "services/platform/status.h"
#include "tests/support/status_matchers.h"

namespace crvs::gateway {
namespace {

using ::crvs::testing::IsOk;
using ::crvs::testing::StatusIs;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

// A clock the test moves by hand.
struct FakeClock {
  RateLimiter::Clock::time_point now{};
  std::function<RateLimiter::Clock::time_point()> Fn() {
    return [this] { return now; };
  }
};

TEST(RateLimiter, OffAdmitsEverything) {
  RateLimiter limiter(0, 0);
  EXPECT_FALSE(limiter.enabled());
  for (int i = 0; i < 100000; ++i) ASSERT_THAT(limiter.Admit("facility:BV79001"), IsOk());
}

TEST(RateLimiter, BurstThenRefusalNamingThePrincipalWithRateLimitedReason) {
  FakeClock clock;
  RateLimiter limiter(10, 5, clock.Fn());
  for (int i = 0; i < 5; ++i) ASSERT_THAT(limiter.Admit("facility:BV79001"), IsOk()) << i;
  absl::Status refused = limiter.Admit("facility:BV79001");
  ASSERT_THAT(refused, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(std::string(refused.message()), HasSubstr("facility:BV79001"));
  auto payload = refused.GetPayload(kErrorInfoTypeUrl);
  ASSERT_TRUE(payload.has_value());
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(info.ParseFromString(std::string(*payload)));
  EXPECT_EQ(info.reason(), "RATE_LIMITED");
  EXPECT_EQ(info.metadata().at("principal"), "facility:BV79001");
  EXPECT_EQ(info.metadata().at("retry_after_ms"), "100");  // one token at 10/s
}

TEST(RateLimiter, TokensComeBackAtTheConfiguredRateUpToTheBurst) {
  FakeClock clock;
  RateLimiter limiter(10, 5, clock.Fn());
  for (int i = 0; i < 5; ++i) ASSERT_THAT(limiter.Admit("court:TAND79"), IsOk());
  ASSERT_FALSE(limiter.Admit("court:TAND79").ok());
  clock.now += 250ms;  // 2.5 tokens
  EXPECT_THAT(limiter.Admit("court:TAND79"), IsOk());
  EXPECT_THAT(limiter.Admit("court:TAND79"), IsOk());
  EXPECT_FALSE(limiter.Admit("court:TAND79").ok());
  clock.now += 1h;  // refills to the burst, not beyond
  int admitted = 0;
  while (limiter.Admit("court:TAND79").ok()) ++admitted;
  EXPECT_EQ(admitted, 5);
}

TEST(RateLimiter, PrincipalsHaveTheirOwnBuckets) {
  FakeClock clock;
  RateLimiter limiter(1, 2, clock.Fn());
  ASSERT_THAT(limiter.Admit("facility:A"), IsOk());
  ASSERT_THAT(limiter.Admit("facility:A"), IsOk());
  EXPECT_FALSE(limiter.Admit("facility:A").ok());
  EXPECT_THAT(limiter.Admit("facility:B"), IsOk());
  EXPECT_THAT(limiter.Admit("facility:B"), IsOk());
}

TEST(RateLimiter, BurstZeroMeansOneSecondsWorth) {
  FakeClock clock;
  RateLimiter limiter(3, 0, clock.Fn());
  int admitted = 0;
  while (limiter.Admit("facility:BV79001").ok()) ++admitted;
  EXPECT_EQ(admitted, 3);
}

TEST(RateLimiter, DroppingIdleCallersNeverResetsAnActiveOne) {
  FakeClock clock;
  RateLimiter limiter(1, 1, clock.Fn());
  for (int i = 0; i < 100000; ++i) ASSERT_THAT(limiter.Admit("facility:OLD" + std::to_string(i)), IsOk());
  clock.now += 2s;  // the OLD callers' buckets are full again: idle
  ASSERT_THAT(limiter.Admit("facility:ACTIVE"), IsOk());
  ASSERT_FALSE(limiter.Admit("facility:ACTIVE").ok());
  // Enough new callers that every shard prunes its idle buckets.
  for (int i = 0; i < 100000; ++i) ASSERT_THAT(limiter.Admit("facility:NEW" + std::to_string(i)), IsOk());
  EXPECT_FALSE(limiter.Admit("facility:ACTIVE").ok());
  EXPECT_FALSE(limiter.Admit("facility:NEW7").ok());
  EXPECT_THAT(limiter.Admit("facility:OLD7"), IsOk());  // forgotten or refilled: full either way
}

}  // namespace
}  // namespace crvs::gateway
