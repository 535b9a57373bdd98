#include "services/platform/metrics_server.h"

#include <httplib.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/counter.h>

#include "tests/support/status_matchers.h"

namespace crvs {
namespace {

using ::testing::HasSubstr;

TEST(MetricsServer, ServesMetricsHealthAndReadiness) {
  auto registry = std::make_shared<prometheus::Registry>();
  auto& calls = prometheus::BuildCounter()
                    .Name("crvs_test_calls_total")
                    .Help("calls")
                    .Register(*registry);
  calls.Add({{"method", "Submit"}, {"code", "OK"}}).Increment(3);

  bool ready = false;
  MetricsServer server(registry);
  server.AddReadinessCheck("kafka", [&] { return ready ? "" : "no broker connection"; });
  ASSERT_THAT(server.Start("127.0.0.1:0"), ::crvs::testing::IsOk());
  ASSERT_GT(server.port(), 0);

  httplib::Client client("127.0.0.1", server.port());
  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_THAT(metrics->body, HasSubstr("# TYPE crvs_test_calls_total counter"));
  EXPECT_THAT(metrics->body, HasSubstr(R"(crvs_test_calls_total{code="OK",method="Submit"} 3)"));

  auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);

  auto not_ready = client.Get("/readyz");
  ASSERT_TRUE(not_ready);
  EXPECT_EQ(not_ready->status, 503);
  EXPECT_EQ(not_ready->body, "kafka: no broker connection\n");
  ready = true;
  auto is_ready = client.Get("/readyz");
  ASSERT_TRUE(is_ready);
  EXPECT_EQ(is_ready->status, 200);
  server.Stop();
}

// Regression: two processes could bind the same port (SO_REUSEPORT) and split the traffic
// between two pipelines. The second one must fail to start.
TEST(MetricsServer, RefusesAPortAnotherServerListensOn) {
  MetricsServer first(std::make_shared<prometheus::Registry>());
  ASSERT_THAT(first.Start("127.0.0.1:0"), ::crvs::testing::IsOk());
  MetricsServer second(std::make_shared<prometheus::Registry>());
  EXPECT_THAT(second.Start("127.0.0.1:" + std::to_string(first.port())),
              ::crvs::testing::StatusIs(absl::StatusCode::kUnavailable));
  first.Stop();
}

TEST(MetricsServer, RejectsAddressWithoutPort) {
  MetricsServer server(std::make_shared<prometheus::Registry>());
  EXPECT_THAT(server.Start("localhost"),
              ::crvs::testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace crvs
