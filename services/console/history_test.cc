#include "services/console/history.h"

#include <gtest/gtest.h>

namespace crvs::console {
namespace {

absl::Time At(int seconds) { return absl::FromUnixSeconds(1'780'000'000 + seconds); }

std::vector<double> Lags(const std::vector<HistoryPoint>& points) {
  std::vector<double> out;
  for (const auto& p : points) out.push_back(p.lag_messages_total);
  return out;
}

TEST(HistoryRing, KeepsTheNewestPointsOldestFirst) {
  HistoryRing ring(3);
  EXPECT_TRUE(ring.Points().empty());
  ring.Push({At(0), 10, std::nullopt, std::nullopt, std::nullopt});
  ring.Push({At(5), 20, 1.5, 100, 120});
  EXPECT_EQ(Lags(ring.Points()), (std::vector<double>{10, 20}));
  ring.Push({At(10), 30, std::nullopt, std::nullopt, std::nullopt});
  ring.Push({At(15), 40, std::nullopt, std::nullopt, std::nullopt});
  ring.Push({At(20), 50, std::nullopt, std::nullopt, std::nullopt});
  EXPECT_EQ(Lags(ring.Points()), (std::vector<double>{30, 40, 50}));
  EXPECT_EQ(ring.capacity(), 3u);
}

TEST(HistoryRing, KeepsEveryFieldOfAPoint) {
  HistoryRing ring(2);
  ring.Push({At(5), 20, 1.5, 100, 120});
  auto points = ring.Points();
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(points[0].at, At(5));
  EXPECT_EQ(points[0].lag_seconds_max, 1.5);
  EXPECT_EQ(points[0].committed_per_second, 100);
  EXPECT_EQ(points[0].accepted_per_second, 120);
}

TEST(HistoryRing, PointsSinceDropsOlderPoints) {
  HistoryRing ring(10);
  for (int i = 0; i < 6; ++i)
    ring.Push({At(i * 5), double(i), std::nullopt, std::nullopt, std::nullopt});
  EXPECT_EQ(Lags(ring.PointsSince(At(15))), (std::vector<double>{3, 4, 5}));
  EXPECT_TRUE(ring.PointsSince(At(100)).empty());
}

TEST(HistoryRing, CapacityZeroStillHoldsOnePoint) {
  HistoryRing ring(0);
  ring.Push({At(0), 1, std::nullopt, std::nullopt, std::nullopt});
  ring.Push({At(1), 2, std::nullopt, std::nullopt, std::nullopt});
  EXPECT_EQ(Lags(ring.Points()), (std::vector<double>{2}));
}

}  // namespace
}  // namespace crvs::console
