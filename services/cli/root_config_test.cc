#include "services/cli/root_config.h"

#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace crvs::cli {
namespace {

using ::crvs::testing::IsOk;
using ::crvs::testing::StatusIs;

std::string WriteTemp(const std::string& text) {
  std::string path = ::testing::TempDir() + "/crvs-config-test.toml";
  std::ofstream(path) << text;
  return path;
}

TEST(LoadConfig, FileThenEnvironmentThenFlags) {
  ConfigSources sources;
  sources.file = WriteTemp(R"(
[kafka]
bootstrap_servers = "kafka-1:9093,kafka-2:9093"
properties = ["security.protocol=SSL"]
embedded_partitions = 6

[log]
level = "warn"
)");
  sources.sets = {"kafka.topic_deaths=deaths.v2"};
  const char* env[] = {"CRVS_KAFKA_EMBEDDED_PARTITIONS=24", nullptr};
  RootConfig root;
  config::Config config;
  ASSERT_THAT(LoadConfig(sources, env, &root, &config), IsOk());
  EXPECT_EQ(root.kafka.bootstrap_servers, "kafka-1:9093,kafka-2:9093");
  EXPECT_EQ(root.kafka.properties, std::vector<std::string>{"security.protocol=SSL"});
  EXPECT_EQ(root.kafka.embedded_partitions, 24);
  EXPECT_EQ(root.kafka.topic_deaths, "deaths.v2");
  EXPECT_EQ(root.kafka.topic_births, "crvs.birth-certificates.v1");
  EXPECT_EQ(root.log.level, "warn");
  ASSERT_EQ(logging::Configure({"info"}), "");
}

TEST(LoadConfig, MisspeltKeyInFileFailsNamingIt) {
  ConfigSources sources;
  sources.file = WriteTemp("[kafka]\nbootstrap_server = \"x:1\"\n");
  RootConfig root;
  config::Config config;
  absl::Status s = LoadConfig(sources, nullptr, &root, &config);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_NE(s.message().find("'kafka.bootstrap_server'"), absl::string_view::npos) << s;
}

TEST(LoadConfig, BadLogLevelFails) {
  ConfigSources sources;
  sources.sets = {"log.level=loud"};
  RootConfig root;
  config::Config config;
  EXPECT_THAT(LoadConfig(sources, nullptr, &root, &config),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(LoadConfig, MissingFileIsNotFound) {
  ConfigSources sources;
  sources.file = "/nonexistent/crvs.toml";
  RootConfig root;
  config::Config config;
  EXPECT_THAT(LoadConfig(sources, nullptr, &root, &config),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace crvs::cli
