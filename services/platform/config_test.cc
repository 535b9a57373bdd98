#include "services/platform/config.h"

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace crvs::config {
namespace {

using ::crvs::testing::IsOk;
using ::crvs::testing::StatusIs;

struct SampleConfig {
  std::string listen = "127.0.0.1:50051";
  int64_t max_bytes = 1 << 20;
  int workers = 2;
  double ratio = 0.5;
  bool tls = true;
  Duration deadline{5000};
  std::vector<std::string> properties;

  template <class V>
  void Visit(V& v) {
    v("listen", listen, "address");
    v("max_bytes", max_bytes, "bytes");
    v("workers", workers, "threads");
    v("ratio", ratio, "a ratio");
    v("tls", tls, "use TLS");
    v("deadline", deadline, "deadline");
    v("properties", properties, "passthrough");
  }
};

class ConfigTest : public ::testing::Test {
 protected:
  ConfigTest() { config.Bind("gateway", &sample); }
  SampleConfig sample;
  Config config;
};

TEST_F(ConfigTest, DefaultsStandWhenNothingIsSet) {
  EXPECT_EQ(sample.listen, "127.0.0.1:50051");
  EXPECT_EQ(sample.deadline, Duration(5000));
}

TEST_F(ConfigTest, FileSetsEveryType) {
  ASSERT_THAT(config.LoadText(R"(
[gateway]
listen = "0.0.0.0:6000"
max_bytes = 4096
workers = 8
ratio = 0.75
tls = false
deadline = "24h"
properties = ["security.protocol=SSL", "ssl.ca.location=/etc/ca.pem"]
)",
                              "test"),
              IsOk());
  EXPECT_EQ(sample.listen, "0.0.0.0:6000");
  EXPECT_EQ(sample.max_bytes, 4096);
  EXPECT_EQ(sample.workers, 8);
  EXPECT_DOUBLE_EQ(sample.ratio, 0.75);
  EXPECT_FALSE(sample.tls);
  EXPECT_EQ(sample.deadline, Duration(24LL * 3600 * 1000));
  EXPECT_EQ(sample.properties,
            (std::vector<std::string>{"security.protocol=SSL", "ssl.ca.location=/etc/ca.pem"}));
}

TEST_F(ConfigTest, UnknownFileKeyIsRejectedByName) {
  absl::Status s = config.LoadText("[gateway]\nlisten_addr = \"x\"\n", "config file a.toml");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_NE(s.message().find("config file a.toml: unknown configuration key 'gateway.listen_addr'"),
            absl::string_view::npos)
      << s;
}

TEST_F(ConfigTest, UnknownSectionIsRejected) {
  absl::Status s = config.LoadText("[gatway]\nlisten = \"x\"\n", "f");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_NE(s.message().find("'gatway.listen'"), absl::string_view::npos) << s;
}

TEST_F(ConfigTest, KeyOutsideSectionIsRejected) {
  EXPECT_THAT(config.LoadText("listen = \"x\"\n", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ConfigTest, WrongTypeNamesKeyAndExpectation) {
  absl::Status s = config.LoadText("[gateway]\nworkers = \"many\"\n", "f");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(s.message(), "f: gateway.workers: expected an integer, got 'many'");
  s = config.Set("gateway.deadline=5 minutes");
  EXPECT_EQ(s.message(),
            "--set: gateway.deadline: expected a duration such as 250ms, 5s, 2m, 24h or 7d, got "
            "'5 minutes'");
  EXPECT_THAT(config.Set("gateway.tls=yes"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ConfigTest, EnvironmentOverridesFileAndFlagOverridesEnvironment) {
  ASSERT_THAT(config.LoadText("[gateway]\nworkers = 3\nlisten = \"file\"\n", "f"), IsOk());
  const char* env[] = {"PATH=/bin", "CRVS_GATEWAY_WORKERS=5", "CRVS_GATEWAY_LISTEN=env",
                       "CRVS_CONFIG=/etc/crvs.toml", nullptr};
  ASSERT_THAT(config.LoadEnvironment(env), IsOk());
  EXPECT_EQ(sample.workers, 5);
  ASSERT_THAT(config.Set("gateway.listen=flag"), IsOk());
  EXPECT_EQ(sample.listen, "flag");
  EXPECT_EQ(sample.workers, 5);
}

TEST_F(ConfigTest, UnknownEnvironmentVariableIsRejected) {
  const char* env[] = {"CRVS_GATEWAY_LISTN=x", nullptr};
  absl::Status s = config.LoadEnvironment(env);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_NE(s.message().find("CRVS_GATEWAY_LISTN"), absl::string_view::npos) << s;
}

TEST_F(ConfigTest, AMovedKeyIsRefusedNamingItsNewPlace) {
  config.Moved("gateway.listen_address", "gateway.listen");
  absl::Status s = config.LoadText("[gateway]\nlisten_address = \"x\"\n", "config file a.toml");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(s.message(),
            "config file a.toml: configuration key 'gateway.listen_address' is now 'gateway.listen'");
  const char* env[] = {"CRVS_GATEWAY_LISTEN_ADDRESS=x", nullptr};
  s = config.LoadEnvironment(env);
  EXPECT_EQ(s.message(), "environment: CRVS_GATEWAY_LISTEN_ADDRESS is now CRVS_GATEWAY_LISTEN");
  EXPECT_EQ(sample.listen, "127.0.0.1:50051");  // nothing applied
}

TEST_F(ConfigTest, UnknownFlagKeyAndMalformedFlagAreRejected) {
  EXPECT_THAT(config.Set("gateway.nope=1"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(config.Set("gateway.listen"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ConfigTest, DumpLoadsBackToTheSameValues) {
  ASSERT_THAT(config.Set("gateway.deadline=90s"), IsOk());
  ASSERT_THAT(config.Set("gateway.properties=a=1, b=2"), IsOk());
  ASSERT_THAT(config.Set(R"(gateway.listen=with "quotes")"), IsOk());
  std::string dumped = config.Dump();

  SampleConfig other;
  Config reread;
  reread.Bind("gateway", &other);
  ASSERT_THAT(reread.LoadText(dumped, "dump"), IsOk()) << dumped;
  EXPECT_EQ(other.deadline, Duration(90000));
  EXPECT_EQ(other.properties, (std::vector<std::string>{"a=1", "b=2"}));
  EXPECT_EQ(other.listen, "with \"quotes\"");
  EXPECT_EQ(reread.Dump(), dumped);
}

TEST(ParseDuration, AcceptsUnitsRejectsBareNumbers) {
  Duration d;
  ASSERT_THAT(ParseDuration("250ms", &d), IsOk());
  EXPECT_EQ(d.count(), 250);
  ASSERT_THAT(ParseDuration("7d", &d), IsOk());
  EXPECT_EQ(d.count(), 7LL * 86400 * 1000);
  EXPECT_FALSE(ParseDuration("250", &d).ok());
  EXPECT_FALSE(ParseDuration("s", &d).ok());
  EXPECT_FALSE(ParseDuration("-5s", &d).ok());
  EXPECT_EQ(FormatDuration(Duration(90000)), "90s");
  EXPECT_EQ(FormatDuration(Duration(86400000)), "1d");
  EXPECT_EQ(FormatDuration(Duration(1500)), "1500ms");
}

}  // namespace
}  // namespace crvs::config
