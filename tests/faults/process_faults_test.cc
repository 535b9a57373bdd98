// Process faults under a running pipeline: kill -9 of the gateway mid-stream, and the sinks'
// consumer group scaled out and in mid-stream. (kill -9 of a sink, PostgreSQL restarts and
// poison messages are tests/e2e/exactly_once_test.cc, labelled `faults` too.)
#include <chrono>
#include <iostream>
#include <thread>

#include <gtest/gtest.h>

#include "tests/e2e/pipeline_harness.h"
#include "tests/faults/fault_checks.h"
#include "tests/faults/fault_source.h"

namespace crvs::faults {
namespace {

using e2e::Backend;
using e2e::Pipeline;
using ingest::v1::RECEIPT_STATE_REJECTED;

std::vector<int> Range(int n) {
  std::vector<int> all(n);
  for (int i = 0; i < n; ++i) all[i] = i;
  return all;
}

class ProcessFaults : public ::testing::TestWithParam<Backend> {};

TEST_P(ProcessFaults, GatewayKilledMidStreamReceiptsHoldAndResendsApplyOnce) {
  constexpr int kRecords = 15000;
  constexpr int kReceiptsLost = 500;  // a source that also lost some receipts re-sends those
  Pipeline p(GetParam());
  p.StartGateway();
  p.StartSink();
  FaultSource source("gwkill", kRecords);
  grpc::Status stream_status;
  std::thread sender(
      [&] { stream_status = source.Stream(*p.Stub(), Range(kRecords), /*per_second=*/3000); });
  EXPECT_TRUE(WaitUntil([&] { return source.accepted() >= 4000; }, 60));
  p.KillGateway();
  sender.join();
  const auto before_kill = source.Accepted();
  const int unanswered = kRecords - static_cast<int>(before_kill.size());
  EXPECT_FALSE(stream_status.ok()) << "the stream outlived its gateway";
  EXPECT_GT(unanswered, 0) << "the kill came after the stream had ended";

  // Before anyone re-sends: every receipt given is exactly one row; what had no receipt may or
  // may not be there, but not twice. (The sink drains what the gateway produced before dying.)
  EXPECT_TRUE(ExpectReceiptsLandedOnce(p, {&source}));

  p.RestartGateway();
  EXPECT_TRUE(source.ResendUnaccepted(p, 120));
  std::vector<int> lost;
  for (const auto& [id, receipt] : before_kill) {
    if (static_cast<int>(lost.size()) == kReceiptsLost) break;
    lost.push_back(std::stoi(id.substr(source.prefix().size() + 1)));
  }
  // The new gateway never saw these: it produces them again, and only the sink's
  // message-id check keeps them from being applied twice.
  EXPECT_TRUE(source.Stream(*p.Stub(), lost).ok());
  const int64_t on_topic = TopicEnd(p.bootstrap(), kDeathTopic);
  EXPECT_GE(on_topic, kRecords + kReceiptsLost)
      << "the re-sends did not reach Kafka a second time: deduplication was not exercised";
  EXPECT_EQ(source.ReceiptsIn(RECEIPT_STATE_REJECTED), 0);
  EXPECT_TRUE(ExpectEachRecordOnce(p, {&source}));
  EXPECT_TRUE(ExpectCaughtUp(p, kDeathTopic));
  EXPECT_TRUE(ExpectNewRecordsFlow(p, "after"));
  std::cout << "[ figures  ] receipts before the kill=" << before_kill.size()
            << " records without a receipt=" << unanswered << " re-sent=" << source.resent()
            << " messages on the topic=" << on_topic << std::endl;
}

TEST_P(ProcessFaults, SinksScaledOutToThreeThenInToTwoMidStream) {
  constexpr int kRecords = 20000;
  constexpr int kPartitions = 6;
  Pipeline p(GetParam(), kPartitions);
  p.StartGateway();
  int first = p.StartSink();
  FaultSource source("scale", kRecords);
  BackgroundSend sender(source, p, /*per_second=*/1500);
  const std::string landed = "SELECT count(*) FROM record_versions";

  p.WaitForCount(landed, 1500, 60);
  int second = p.StartSink();
  EXPECT_TRUE(WaitUntil([&] { return p.SinkCommitted(second) > 0; }, 30))
      << "the second sink never got partitions";
  int third = p.StartSink();
  EXPECT_TRUE(WaitUntil([&] { return p.SinkCommitted(third) > 0; }, 30))
      << "the third sink never got partitions";
  const double second_committed = p.SinkCommitted(second);
  const int64_t at_scale_in = p.Count(landed);
  p.StopSink(second);  // graceful: commits its batch and leaves the group
  EXPECT_TRUE(sender.Join());
  EXPECT_LT(at_scale_in, kRecords) << "the scale-in came after the stream had landed";
  EXPECT_EQ(source.ReceiptsIn(RECEIPT_STATE_REJECTED), 0);
  EXPECT_TRUE(ExpectEachRecordOnce(p, {&source}));
  EXPECT_TRUE(ExpectCaughtUp(p, kDeathTopic));
  // The remaining sinks say so too: their lag gauges are back to 0.
  double lag = -1;
  EXPECT_TRUE(WaitUntil(
      [&] {
        lag = p.SinkMetric(first, "crvs_sink_lag_messages") +
              p.SinkMetric(third, "crvs_sink_lag_messages");
        return lag == 0;
      },
      30))
      << "lag of the remaining sinks: " << lag;
  EXPECT_TRUE(ExpectNewRecordsFlow(p, "after"));
  std::cout << "[ figures  ] committed by sink 1=" << p.SinkCommitted(first)
            << " sink 2 (stopped)=" << second_committed << " sink 3=" << p.SinkCommitted(third)
            << " rows when sink 2 stopped=" << at_scale_in << std::endl;
}

INSTANTIATE_TEST_SUITE_P(Backends, ProcessFaults,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return e2e::BackendName(info.param); });

}  // namespace
}  // namespace crvs::faults
