#include "services/platform/lifecycle.h"

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

}  // namespace
}  // namespace crvs
