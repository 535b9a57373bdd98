#include "services/platform/backoff.h"

#include <gtest/gtest.h>

namespace crvs {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, DoublesUpToTheMaximum) {
  Backoff b(milliseconds(1), milliseconds(5));
  std::atomic<bool> stop{false};
  b.Sleep(stop);
  EXPECT_EQ(b.delay(), milliseconds(2));
  b.Sleep(stop);
  b.Sleep(stop);
  EXPECT_EQ(b.delay(), milliseconds(5));
  b.UseMax();
  EXPECT_EQ(b.delay(), milliseconds(5));
}

TEST(Backoff, StopCutsTheWaitShort) {
  Backoff b(milliseconds(60000), milliseconds(60000));
  std::atomic<bool> stop{true};
  auto start = std::chrono::steady_clock::now();
  b.Sleep(stop);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1000));
}

}  // namespace
}  // namespace crvs
