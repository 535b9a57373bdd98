// The fault suite on a real Apache Kafka cluster (3 KRaft nodes on loopback, replication factor
// 3, min.insync.replicas 2, started by scripts/kafka.sh): a broker killed and restarted, a broker
// frozen longer than the session timeouts, every broker down then up, a sink group rebalancing,
// retention deleting records nobody had read, the topic deleted and re-created. The gateway and
// the sink run as processes with their defaults; the source re-sends what got no ACCEPTED
// receipt. The verdicts are those of the mock-cluster suite (fault_checks.h).
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>

#include <gtest/gtest.h>

#include "connectors/kafka/kafka_config.h"
#include "connectors/kafka/topic_admin.h"
#include "tests/e2e/pipeline_harness.h"
#include "tests/faults/fault_checks.h"
#include "tests/faults/fault_source.h"
#include "tests/support/kafka_cluster.h"

namespace crvs::faults {
namespace {

using e2e::Backend;
using e2e::ExternalKafka;
using e2e::Pipeline;
using ingest::v1::RECEIPT_STATE_FAILED;
using ingest::v1::RECEIPT_STATE_REJECTED;
using testing::KafkaCluster;

constexpr int kPartitions = 6;
// A real broker refuses sessions shorter than its group.min.session.timeout.ms (6 s).
const std::vector<std::string> kSink = {"sink.session_timeout=6s"};

std::unique_ptr<KafkaCluster> StartCluster(KafkaCluster::Options options = {}) {
  options.partitions = kPartitions;
  auto cluster = KafkaCluster::Start(options);
  if (!cluster.ok()) throw std::runtime_error(std::string(cluster.status().message()));
  return std::move(*cluster);
}

bool WaitForAccepted(const FaultSource& source, int n) {
  return WaitUntil([&] { return source.accepted() >= n; }, 90);
}

void PrintFigures(const std::string& what, const FaultSource& source, const Pipeline& p) {
  std::cout << "[ figures  ] " << what
            << " FAILED receipts=" << source.ReceiptsIn(RECEIPT_STATE_FAILED)
            << " re-sent=" << source.resent()
            << " messages on the topic=" << TopicEnd(p.bootstrap(), kDeathTopic) << std::endl;
}

class RealKafkaFaults : public ::testing::TestWithParam<Backend> {};

TEST_P(RealKafkaFaults, BrokerKilledAndRestartedWhileStreaming) {
  auto cluster = StartCluster();
  Pipeline p(GetParam(), ExternalKafka{cluster->bootstrap()});
  p.StartGateway();
  p.StartSink(kSink);
  FaultSource source("kill", 9000);
  BackgroundSend sender(source, p, /*per_second=*/1500);
  EXPECT_TRUE(WaitForAccepted(source, 1500));
  const int accepted_before = source.accepted();
  // Node 1 leads a third of the partitions and is, on a fresh cluster, usually the active
  // controller too: leader elections, and under-replicated partitions until it is back.
  // It stays down at least 4 s, and until 100 more records were accepted: how soon the
  // survivors take over depends on the machine (under a loaded CI run, seconds), not on us.
  ASSERT_TRUE(cluster->Kill(1).ok());
  std::this_thread::sleep_for(std::chrono::seconds(4));
  WaitUntil([&] { return source.accepted() - accepted_before >= 100; }, 60);
  const int accepted_while_down = source.accepted() - accepted_before;
  ASSERT_TRUE(cluster->Restart(1).ok());
  EXPECT_TRUE(sender.Join());
  EXPECT_GE(accepted_while_down, 100)
      << "one broker of three was down for a minute and fewer than 100 records were accepted";
  EXPECT_EQ(source.ReceiptsIn(RECEIPT_STATE_REJECTED), 0);
  EXPECT_TRUE(ExpectEachRecordOnce(p, {&source}));
  EXPECT_TRUE(ExpectCaughtUp(p, kDeathTopic));
  EXPECT_TRUE(ExpectNewRecordsFlow(p, "after"));
  PrintFigures("accepted before the kill=" + std::to_string(accepted_before) +
                   " accepted while it was down=" + std::to_string(accepted_while_down),
               source, p);
}

TEST_P(RealKafkaFaults, BrokerFrozenLongerThanTheSessionTimeouts) {
  auto cluster = StartCluster();
  Pipeline p(GetParam(), ExternalKafka{cluster->bootstrap()});
  p.StartGateway();
  p.StartSink(kSink);
  FaultSource source("freeze", 12000);
  BackgroundSend sender(source, p, /*per_second=*/1000);
  EXPECT_TRUE(WaitForAccepted(source, 1500));
  // SIGSTOP: its connections stay open and nothing answers, for longer than the sink's session
  // timeout (6 s) and the broker's own session with the controllers (9 s): the controllers fence it
  // and move its leaderships; thawed, it finds itself fenced and catches up.
  ASSERT_TRUE(cluster->Freeze(2).ok());
  std::this_thread::sleep_for(std::chrono::seconds(12));
  ASSERT_TRUE(cluster->Thaw(2).ok());
  EXPECT_TRUE(sender.Join());
  EXPECT_EQ(source.ReceiptsIn(RECEIPT_STATE_REJECTED), 0);
  EXPECT_TRUE(ExpectEachRecordOnce(p, {&source}));
  EXPECT_TRUE(ExpectCaughtUp(p, kDeathTopic));
  EXPECT_TRUE(ExpectNewRecordsFlow(p, "after"));
  PrintFigures("frozen 12 s;", source, p);
}

TEST_P(RealKafkaFaults, EveryBrokerDownThenUp) {
  auto cluster = StartCluster();
  Pipeline p(GetParam(), ExternalKafka{cluster->bootstrap()});
  // Deliveries give up after 5 s, so records produced during the outage get FAILED receipts.
  p.StartGateway({"producer.delivery_timeout=5s"});
  p.StartSink(kSink);
  FaultSource source("outage", 9000);
  FaultSource probe("probe", 10);  // unary calls made while every broker is down
  BackgroundSend sender(source, p, /*per_second=*/1500);
  EXPECT_TRUE(WaitForAccepted(source, 1500));
  ASSERT_TRUE(cluster->KillAll().ok());
  auto down_at = std::chrono::steady_clock::now();
  const std::vector<grpc::Status> during =
      probe.SubmitEachUntil(*p.Stub(), down_at + std::chrono::seconds(4));
  std::this_thread::sleep_until(down_at + std::chrono::seconds(8));
  ASSERT_TRUE(cluster->RestartAll().ok());
  EXPECT_TRUE(sender.Join());
  EXPECT_TRUE(probe.ResendUnaccepted(p, 90));
  ExpectOutageAnswers(during);
  EXPECT_GT(source.ReceiptsIn(RECEIPT_STATE_FAILED), 0)
      << "no stream record failed: the outage never reached the gateway's producer";
  EXPECT_EQ(source.ReceiptsIn(RECEIPT_STATE_REJECTED), 0);
  EXPECT_TRUE(ExpectEachRecordOnce(p, {&source, &probe}));
  EXPECT_TRUE(ExpectCaughtUp(p, kDeathTopic));
  EXPECT_TRUE(ExpectNewRecordsFlow(p, "after"));
  PrintFigures("unary calls during the outage=" + std::to_string(during.size()), source, p);
}

TEST_P(RealKafkaFaults, SinkGroupRebalancedAsSinksJoinAndLeave) {
  // A real group coordinator takes seconds per rebalance (every member rejoins; a member that
  // leaves without a word is noticed after its session timeout), so the stream lasts 30 s: each
  // joining sink must commit records while it still flows.
  constexpr int kRecords = 30000;
  auto cluster = StartCluster();
  Pipeline p(GetParam(), ExternalKafka{cluster->bootstrap()});
  p.StartGateway();
  int first = p.StartSink(kSink);
  FaultSource source("group", kRecords);
  BackgroundSend sender(source, p, /*per_second=*/1000);
  const std::string landed = "SELECT count(*) FROM record_versions";
  p.WaitForCount(landed, 1500, 60);
  int second = p.StartSink(kSink);  // joins: partitions move to it
  EXPECT_TRUE(WaitUntil([&] { return p.SinkCommitted(second) > 0; }, 30))
      << "the joining sink never got partitions";
  p.StopSink(second);  // leaves gracefully: its partitions move back
  int third = p.StartSink(kSink);
  EXPECT_TRUE(WaitUntil([&] { return p.SinkCommitted(third) > 0; }, 30))
      << "the third sink never got partitions";
  const int64_t at_kill = p.Count(landed);
  p.KillSink(third);  // leaves without a word: the group notices after the session timeout
  EXPECT_TRUE(sender.Join());
  EXPECT_LT(at_kill, kRecords) << "the last rebalance came after the stream had landed";
  EXPECT_EQ(source.ReceiptsIn(RECEIPT_STATE_REJECTED), 0);
  EXPECT_TRUE(ExpectEachRecordOnce(p, {&source}));
  EXPECT_TRUE(ExpectCaughtUp(p, kDeathTopic));
  EXPECT_TRUE(ExpectNewRecordsFlow(p, "after"));
  std::cout << "[ figures  ] committed by sink 1=" << p.SinkCommitted(first)
            << " rows when sink 3 was killed=" << at_kill << std::endl;
}

// The death-notice topic with 2 partitions and size retention at its smallest (1 MiB segments,
// 1 MiB kept per partition), checked every second: what the sink has not read within a few MiB
// is deleted.
std::unique_ptr<KafkaCluster> StartClusterWithShortRetention() {
  KafkaCluster::Options options;
  options.product_topics = false;
  options.broker_settings = {"log.retention.check.interval.ms=1000"};
  auto cluster = StartCluster(options);
  kafka::KafkaConfig config;
  auto topics = kafka::ProductTopics(config, kPartitions, 3);
  for (auto& t : topics) {
    if (t.name != kDeathTopic) continue;
    t.partitions = 2;
    t.configs.emplace_back("segment.bytes", "1048576");
    t.configs.emplace_back("retention.bytes", "1048576");
  }
  auto created = kafka::CreateTopics(config, cluster->bootstrap(), topics);
  if (!created.ok()) throw std::runtime_error(std::string(created.status().message()));
  return cluster;
}

TEST_P(RealKafkaFaults, RetentionDeletesUnreadRecordsTheLossIsRecordedNeverSilent) {
  auto cluster = StartClusterWithShortRetention();
  Pipeline p(GetParam(), ExternalKafka{cluster->bootstrap()});
  p.StartGateway();
  int first = p.StartSink(kSink);
  FaultSource read("read", 500);  // consumed before the sink stops: its position is stored
  EXPECT_TRUE(read.SendAll(p, 0, 60));
  EXPECT_TRUE(ExpectEachRecordOnce(p, {&read}));
  p.StopSink(first);

  // While no sink reads, records pour in until retention has deleted some of the unread ones
  // on every partition (the log start moved past the stored position).
  FaultSource unread("unread", 40000);
  const std::string stored_sql = std::string("SELECT kafka_partition, next_offset FROM "
                                             "consumed_offsets WHERE topic = '") +
                                 kDeathTopic + "'";
  std::map<int32_t, int64_t> stored;
  for (auto& row : p.Query(stored_sql, stored_sql)) stored[std::stoi(row[0])] = std::stoll(row[1]);
  auto truncated = [&] {
    for (const auto& [partition, bounds] : Watermarks(p.bootstrap(), kDeathTopic)) {
      if (bounds.first <= stored[partition]) return false;
    }
    return true;
  };
  int sent = 0;
  auto stub = p.Stub();
  while (sent < unread.size() && !truncated()) {
    std::vector<int> chunk;
    for (int i = sent; i < std::min(sent + 2000, unread.size()); ++i) chunk.push_back(i);
    EXPECT_TRUE(unread.Stream(*stub, chunk).ok());
    sent += static_cast<int>(chunk.size());
    if (!truncated()) std::this_thread::sleep_for(std::chrono::seconds(2));
  }
  ASSERT_TRUE(truncated()) << "retention deleted nothing after " << sent << " records";

  int second = p.StartSink(kSink);
  const int lost = ExpectLandedOnceOrLost(p, unread);
  EXPECT_GT(lost, 0) << "retention deleted unread records, yet no receipt is in a lost range";
  EXPECT_GT(p.Count("SELECT count(*) FROM lost_offset_ranges"), 0);
  double alarms = 0;
  EXPECT_TRUE(WaitUntil(
      [&] {
        alarms = p.SinkMetric(second, "crvs_sink_behind_log_start_total");
        return alarms > 0;
      },
      30))
      << "the sink raised no behind-log-start alarm";
  EXPECT_TRUE(ExpectCaughtUp(p, kDeathTopic));
  EXPECT_TRUE(ExpectNewRecordsFlow(p, "after"));
  std::cout << "[ figures  ] unread records sent=" << sent << " receipts in lost ranges=" << lost
            << " lost ranges=" << p.Count("SELECT count(*) FROM lost_offset_ranges")
            << " lost offsets=" << p.SinkMetric(second, "crvs_sink_lost_offsets_total")
            << std::endl;
}

TEST_P(RealKafkaFaults, TopicDeletedAndRecreatedWhileTheSinkIsStopped) {
  auto cluster = StartCluster();
  Pipeline p(GetParam(), ExternalKafka{cluster->bootstrap()});
  p.StartGateway();
  int first = p.StartSink(kSink);
  FaultSource before("before", 3000);
  EXPECT_TRUE(before.SendAll(p, 0, 60));
  EXPECT_TRUE(ExpectEachRecordOnce(p, {&before}));
  p.StopSink(first);

  // The topic is deleted and created anew, empty: the sink's stored positions are now beyond
  // the log end.
  kafka::KafkaConfig config;
  ASSERT_TRUE(kafka::DeleteTopics(config, p.bootstrap(), {kDeathTopic}).ok());
  std::vector<kafka::TopicSpec> death;
  for (auto& t : kafka::ProductTopics(config, kPartitions, 3)) {
    if (t.name == kDeathTopic) death.push_back(t);
  }
  absl::StatusOr<kafka::CreatedTopics> created;
  EXPECT_TRUE(WaitUntil(
      [&] {  // deletion completes in the background; until then creation is refused
        created = kafka::CreateTopics(config, p.bootstrap(), death);
        return created.ok() && !created->created.empty();
      },
      60))
      << (created.ok() ? "the topic still exists" : created.status().message());

  // The gateway was never restarted: its producer must find the new topic by itself. A fifth
  // of what was there before: every partition's new end is below the stored position (with as
  // many as before, about half the partitions would reach past it, and the sink would find
  // other messages at its stored offsets instead: LOG_REPLACED, the other reset).
  FaultSource after("recreated", 600);
  EXPECT_TRUE(after.SendAll(p, 0, 120));
  int second = p.StartSink(kSink);
  EXPECT_TRUE(ExpectEachRecordOnce(p, {&before, &after}));
  EXPECT_EQ(p.Count("SELECT count(*) FROM log_resets WHERE reason = 'BEYOND_LOG_END'"),
            kPartitions)
      << "the sink did not record one beyond-log-end reset per partition";
  EXPECT_TRUE(ExpectCaughtUp(p, kDeathTopic));
  EXPECT_TRUE(ExpectNewRecordsFlow(p, "after"));
  std::cout << "[ figures  ] log resets="
            << p.Count("SELECT count(*) FROM log_resets") << " FAILED receipts after="
            << after.ReceiptsIn(RECEIPT_STATE_FAILED) << " re-sent after=" << after.resent()
            << " sink 2 committed=" << p.SinkCommitted(second) << std::endl;
}

// PostgreSQL, the production store, by default: what these scenarios prove is how the gateway
// and the sink meet a real cluster's faults, and the database's side of exactly-once (offsets
// committed with the rows) is proved on both stores by the mock-cluster suite. Each scenario
// starts its own 3-node cluster, ~50 s apiece; CRVS_REAL_KAFKA_BACKENDS=all adds SQLite.
std::vector<Backend> RealKafkaBackends() {
  const char* chosen = std::getenv("CRVS_REAL_KAFKA_BACKENDS");
  if (chosen != nullptr && std::string(chosen) == "all") {
    return {Backend::kSqlite, Backend::kPostgres};
  }
  return {Backend::kPostgres};
}

INSTANTIATE_TEST_SUITE_P(Backends, RealKafkaFaults, ::testing::ValuesIn(RealKafkaBackends()),
                         [](const auto& info) { return e2e::BackendName(info.param); });

}  // namespace
}  // namespace crvs::faults
