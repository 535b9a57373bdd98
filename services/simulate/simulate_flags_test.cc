#include "services/simulate/simulate_flags.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/platform/config.h"
#include "services/simulate/simulate_config.h"
#include "services/simulate/simulator.h"
#include "tests/support/status_matchers.h"

namespace crvs::simulate {
namespace {

using ::testing::UnorderedElementsAre;
using ::testing::HasSubstr;
using testing::StatusIs;

TEST(SimulateFlags, BecomeConfigAssignmentsThatWinOverOtherSources) {
  CLI::App app("crvs");
  auto* simulate = app.add_subcommand("simulate");
  std::vector<std::string> assignments;
  AddSimulateFlags(simulate, &assignments);
  std::vector<std::string> args = {"crvs", "simulate", "--rate", "50", "--time-scale", "86400",
                                   "--silent-after", "5s", "--gateway-address", "10.0.0.1:1"};
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  app.parse(static_cast<int>(argv.size()), argv.data());
  EXPECT_THAT(assignments,
              UnorderedElementsAre("simulate.rate=50", "simulate.time_scale=86400",
                                   "simulate.silent_after=5s",
                                   "simulate.gateway_address=10.0.0.1:1"));

  SimulateConfig c;
  config::Config config;
  config.Bind("simulate", &c);
  ASSERT_TRUE(config.Set("simulate.rate=5").ok());  // e.g. from --set: the flag comes later
  for (const auto& a : assignments) ASSERT_TRUE(config.Set(a).ok()) << a;
  EXPECT_EQ(c.rate, 50);
  EXPECT_EQ(c.time_scale, 86400);
  EXPECT_EQ(c.silent_after, config::Duration(5000));
  EXPECT_EQ(c.gateway_address, "10.0.0.1:1");
}

TEST(SimulateFlags, HelpExplainsEveryKey) {
  CLI::App app("crvs");
  auto* simulate = app.add_subcommand("simulate");
  std::vector<std::string> assignments;
  AddSimulateFlags(simulate, &assignments);
  const std::string help = simulate->help();
  SimulateConfig c;
  config::Config config;
  config.Bind("simulate", &c);
  for (const char* flag : {"--gateway-address", "--registry-address", "--reconcile-address",
                           "--rate", "--facilities", "--courts", "--invalid-percent",
                           "--late-percent", "--missing-percent", "--amend-percent",
                           "--void-percent", "--time-scale", "--seed", "--duration",
                           "--silent-after", "--manifest-interval", "--progress-interval",
                           "--call-timeout", "--senders", "--document-share"}) {
    EXPECT_THAT(help, HasSubstr(flag));
  }
  EXPECT_THAT(help, HasSubstr("simulate.time_scale, default 1440"));
  // And the flags are the keys: nothing in describe that has no flag.
  const std::string described = config.Describe();
  size_t keys = 0;
  for (size_t at = described.find("simulate."); at != std::string::npos;
       at = described.find("simulate.", at + 1)) {
    ++keys;
  }
  EXPECT_EQ(keys, 20u);
}

TEST(SimulateConfig, BadValuesNameTheKey) {
  SimulateConfig c;
  EXPECT_TRUE(ValidateConfig(c).ok());
  c.rate = 0;
  EXPECT_THAT(ValidateConfig(c), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(ValidateConfig(c).message()), HasSubstr("simulate.rate"));
  c = SimulateConfig();
  c.invalid_percent = 101;
  EXPECT_THAT(std::string(ValidateConfig(c).message()), HasSubstr("simulate.invalid_percent"));
  c = SimulateConfig();
  c.time_scale = -1;
  EXPECT_THAT(std::string(ValidateConfig(c).message()), HasSubstr("simulate.time_scale"));
  c = SimulateConfig();
  c.registry_address.clear();
  EXPECT_THAT(std::string(ValidateConfig(c).message()), HasSubstr("simulate.registry_address"));
}

TEST(SimulateConfig, DevPointsTheSimulatorAtItsOwnListenAddresses) {
  auto c = ForLocalServices(SimulateConfig(), "0.0.0.0:6001", "127.0.0.1:6002", "[::]:6003");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->gateway_address, "127.0.0.1:6001");
  EXPECT_EQ(c->registry_address, "127.0.0.1:6002");
  EXPECT_EQ(c->reconcile_address, "127.0.0.1:6003");
  auto zero = ForLocalServices(SimulateConfig(), "127.0.0.1:0", "127.0.0.1:6002", "x:1");
  EXPECT_THAT(zero, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(zero.status().message()), HasSubstr("gateway.listen"));
}

}  // namespace
}  // namespace crvs::simulate
