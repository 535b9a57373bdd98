#include "services/platform/lifecycle.h"

#include <csignal>

#include <gtest/gtest.h>

namespace crvs {
namespace {

TEST(Lifecycle, StopsInReverseOrderOnce) {
  std::vector<std::string> order;
  {
    Lifecycle lifecycle;
    lifecycle.OnStop("database", [&] { order.push_back("database"); });
    lifecycle.OnStop("broker", [&] { order.push_back("broker"); });
    lifecycle.OnStop("sink", [&] { order.push_back("sink"); });
    lifecycle.Stop();
    lifecycle.Stop();  // second call is a no-op; so is the destructor
  }
  EXPECT_EQ(order, (std::vector<std::string>{"sink", "broker", "database"}));
}

TEST(Lifecycle, ShutdownSignalPendingTakesABlockedSignalOnce) {
  Lifecycle::BlockShutdownSignals();
  EXPECT_FALSE(Lifecycle::ShutdownSignalPending());
  ASSERT_EQ(raise(SIGTERM), 0);  // blocked: stays pending for this thread
  EXPECT_TRUE(Lifecycle::ShutdownSignalPending());
  EXPECT_FALSE(Lifecycle::ShutdownSignalPending());  // taken
}

}  // namespace
}  // namespace crvs
