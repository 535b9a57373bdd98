// The registry sink's rebalance and offset branches, each driven by a scripted Kafka consumer
// (kafka::FakeConsumer) against the real store on SQLite: only Kafka is faked. Each test runs
// a sink until the fake has played its script and has nothing more to deliver, stops it (which
// applies what was consumed), then reads the database, the fake's record of what was fetched,
// and the sink's metrics.
#include "connectors/registry_sink/registry_sink.h"

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <map>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "connectors/kafka/embedded_broker.h"
#include "connectors/kafka/fake_consumer.h"
#include "connectors/kafka/producer.h"
#include "services/crypto/payload_cipher.h"
#include "services/records/records.h"
#include "services/store/store_test_util.h"
#include "tests/support/fixtures.h"
#include "tests/support/scratch_dir.h"

namespace crvs::sink {
namespace {

using kafka::FakeConsumer;
using store::TopicPartition;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const kafka::KafkaConfig kKafka;
const TopicPartition kDeaths0{store::Topic(kKafka.topic_deaths), store::Partition(0)};
const store::ConsumerGroup kGroup("crvs-registry-sink");

// The sum of the samples of metric `name` whose labels include `labels`.
double Metric(prometheus::Registry& metrics, const std::string& name,
              const std::map<std::string, std::string>& labels = {}) {
  double total = 0;
  for (const auto& family : metrics.Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      bool match = true;
      for (const auto& [k, v] : labels) {
        bool found = false;
        for (const auto& l : metric.label) found = found || (l.name == k && l.value == v);
        match = match && found;
      }
      if (!match) continue;
      total += metric.counter.value + metric.gauge.value;
    }
  }
  return total;
}

class RegistrySinkTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Dead letters go to a real broker; no test here should make one.
    auto broker = kafka::EmbeddedBroker::Start({1, 1, {kKafka.topic_dead_letters}});
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = std::move(*broker).release();
    auto producer = kafka::Producer::Create(kKafka, {}, broker_->bootstrap_servers());
    ASSERT_TRUE(producer.ok()) << producer.status();
    producer_ = std::move(*producer).release();
  }
  static void TearDownTestSuite() {
    delete producer_;
    delete broker_;
  }

  void SetUp() override {
    store::DatabaseConfig db;
    db.url = "sqlite:" + dir_.File("crvs.db");
    auto store = store::Store::Open(db);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    // Flushes only by count, rebalance, out-of-range and stop: poll numbers decide everything.
    config_.batch_max_records = 1000;
    config_.batch_max_wait = std::chrono::hours(1);
    config_.retry_initial_backoff = std::chrono::milliseconds(10);
    config_.retry_max_backoff = std::chrono::milliseconds(50);
  }

  // Death notice `i` as the gateway produces it, sealed, appended to `partition`. Sealing is
  // randomized: notice `i` is sealed once, so that every log holding it holds the same bytes.
  int64_t ProduceNotice(FakeConsumer& fake, int i, const TopicPartition& partition = kDeaths0) {
    auto e = store::testing::Envelope(crvs::testing::DeathNotice("GBT-U-" + std::to_string(i)),
                                      records::v1::ACTION_SUBMIT, "unit-" + std::to_string(i));
    auto it = sealed_.find(i);
    if (it == sealed_.end()) {
      auto sealed = cipher_.Seal(e.SerializeAsString(), e.business_key());
      EXPECT_TRUE(sealed.ok()) << sealed.status();
      it = sealed_.emplace(i, *sealed).first;
    }
    auto headers = records::HeadersOf(e);
    headers.emplace_back(crypto::kKeyIdHeader, cipher_.keyring().active_id());
    return fake.Produce(partition, e.business_key(), it->second, headers);
  }
  void ProduceNotices(FakeConsumer& fake, int first, int n) {
    for (int i = first; i < first + n; ++i) ProduceNotice(fake, i);
  }

  // Runs a sink over `fake` until the fake has played every action scripted up to poll
  // `script_end` and then found nothing to deliver for a while; stops it. The fake stays
  // readable until the next Run (the sink owns it).
  FakeConsumer& Run(std::unique_ptr<FakeConsumer> fake, int script_end) {
    FakeConsumer* raw = fake.get();
    auto sink = RegistrySink::Start(config_, kKafka, std::move(fake),
                                    {store_.get(), producer_, &validation::ReferenceData::Default(),
                                     metrics_.get()});
    EXPECT_TRUE(sink.ok()) << sink.status();
    if (!sink.ok()) std::abort();
    sink_ = std::move(*sink);
    running_.store(sink_.get());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while ((raw->polls() <= script_end || raw->idle_polls() < 50) &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_GT(raw->polls(), script_end) << "the script did not run to its end";
    not_ready_ = sink_->NotReady();
    sink_->Stop();
    running_.store(nullptr);
    return *raw;
  }
  // The running sink, for a scripted action (on the sink's thread, maybe before Run has
  // stored sink_).
  RegistrySink& Running() {
    while (running_.load() == nullptr) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return *running_.load();
  }
  // New metrics for the next sink (each sink registers its own).
  void NewMetrics() { metrics_ = std::make_shared<prometheus::Registry>(); }

  int64_t Count(const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(dir_.File("crvs.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
    int64_t n = -1;
    if (sqlite3_step(stmt) == SQLITE_ROW) n = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return n;
  }
  int64_t StoredPosition(const TopicPartition& tp = kDeaths0) {
    auto positions = store_->LoadPositions(kGroup, tp.topic);
    EXPECT_TRUE(positions.ok()) << positions.status();
    auto it = positions->find(tp.partition);
    return it == positions->end() ? -1 : it->second.next_offset.value();
  }
  double Duplicates() {
    return Metric(*metrics_, "crvs_sink_records_total", {{"outcome", "duplicate"}});
  }
  // A first sink applies notices [0, n) from offset 0: the database then holds position n
  // and the fingerprint of message n - 1.
  void ApplyFirstNotices(int n) {
    auto fake = std::make_unique<FakeConsumer>();
    ProduceNotices(*fake, 0, n);
    fake->AssignAt(1, {kDeaths0});
    Run(std::move(fake), 1);
    ASSERT_EQ(StoredPosition(), n);
    ASSERT_EQ(Count("SELECT count(*) FROM records"), n);
    sink_.reset();
    NewMetrics();
  }

  crvs::testing::ScratchDir dir_{"crvs-sink-unit"};
  std::unique_ptr<store::Store> store_;
  SinkConfig config_;
  std::shared_ptr<prometheus::Registry> metrics_ = std::make_shared<prometheus::Registry>();
  const crypto::PayloadCipher cipher_{crypto::Keyring::Development()};
  std::map<int, std::string> sealed_;  // notice number -> sealed envelope
  std::unique_ptr<RegistrySink> sink_;
  std::atomic<RegistrySink*> running_{nullptr};
  std::string not_ready_;

  static kafka::EmbeddedBroker* broker_;
  static kafka::Producer* producer_;
};

kafka::EmbeddedBroker* RegistrySinkTest::broker_ = nullptr;
kafka::Producer* RegistrySinkTest::producer_ = nullptr;

TEST_F(RegistrySinkTest, AssignedWithNoStoredPositionConsumesThePartitionFromOffsetZero) {
  auto fake = std::make_unique<FakeConsumer>();
  ProduceNotices(*fake, 0, 5);
  fake->AssignAt(1, {kDeaths0});
  FakeConsumer& ran = Run(std::move(fake), 1);

  ASSERT_EQ(ran.assigns().size(), 1u);
  EXPECT_EQ(ran.assigns()[0].at(kDeaths0), store::Offset(0));
  EXPECT_THAT(ran.DeliveredOffsets(kDeaths0), ElementsAre(0, 1, 2, 3, 4));
  EXPECT_EQ(Count("SELECT count(*) FROM records"), 5);
  EXPECT_EQ(StoredPosition(), 5);
  EXPECT_EQ(ran.CommittedOffset(kDeaths0), store::Offset(5)) << "the informational Kafka commit";
  EXPECT_EQ(Count("SELECT count(*) FROM log_resets"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM lost_offset_ranges"), 0);
  EXPECT_EQ(not_ready_, "");
}

TEST_F(RegistrySinkTest, AssignedWithAStoredPositionInsideTheLogResumesThereAndReReadsNothingBelow) {
  ApplyFirstNotices(5);
  auto fake = std::make_unique<FakeConsumer>();
  ProduceNotices(*fake, 0, 10);  // the same log, grown
  fake->AssignAt(1, {kDeaths0});
  FakeConsumer& ran = Run(std::move(fake), 1);

  // Fetched from stored - 1: the last message applied, fetched again to check the log is the
  // same one (it is: not applied again), then the rest.
  EXPECT_EQ(ran.assigns()[0].at(kDeaths0), store::Offset(4));
  EXPECT_THAT(ran.DeliveredOffsets(kDeaths0), ElementsAre(4, 5, 6, 7, 8, 9));
  EXPECT_EQ(sink_->committed(), 5) << "only the records after the stored position";
  EXPECT_EQ(Duplicates(), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM record_versions"), 10);
  EXPECT_EQ(StoredPosition(), 10);
  EXPECT_EQ(Count("SELECT count(*) FROM log_resets"), 0);
}

TEST_F(RegistrySinkTest, StoredPositionBeyondTheLogEndReReadsTheLogFromItsStartAndRaisesAnAlarm) {
  ApplyFirstNotices(10);
  // A re-created topic (or a restarted in-memory broker): a new log of 3 records.
  auto fake = std::make_unique<FakeConsumer>();
  ProduceNotices(*fake, 100, 3);
  fake->AssignAt(1, {kDeaths0});
  FakeConsumer& ran = Run(std::move(fake), 1);

  EXPECT_EQ(ran.assigns()[0].at(kDeaths0), store::Offset(0)) << "the new log from its start";
  EXPECT_THAT(ran.DeliveredOffsets(kDeaths0), ElementsAre(0, 1, 2));
  EXPECT_EQ(Count("SELECT count(*) FROM records"), 13) << "the new log's records were skipped";
  EXPECT_EQ(StoredPosition(), 3) << "the stored position moved down, then on";
  EXPECT_EQ(Count("SELECT count(*) FROM log_resets WHERE reason = 'BEYOND_LOG_END' AND "
                  "stored_offset = 10 AND log_start = 0 AND log_end = 3"),
            1);
  EXPECT_EQ(Metric(*metrics_, "crvs_sink_log_resets_total"), 1);
  EXPECT_EQ(Metric(*metrics_, "crvs_sink_unacknowledged_alarms"), 1);
  EXPECT_THAT(not_ready_, HasSubstr("1 offset alarm(s) not acknowledged"));
}

TEST_F(RegistrySinkTest, StoredPositionBelowTheLogStartRecordsTheLostRangeAndResumesAtTheLogStart) {
  ApplyFirstNotices(3);
  auto fake = std::make_unique<FakeConsumer>();
  ProduceNotices(*fake, 0, 8);
  fake->Truncate(kDeaths0, 6);  // [3, 6) expired before this sink read it
  fake->AssignAt(1, {kDeaths0});
  FakeConsumer& ran = Run(std::move(fake), 1);

  EXPECT_EQ(ran.assigns()[0].at(kDeaths0), store::Offset(6));
  EXPECT_THAT(ran.DeliveredOffsets(kDeaths0), ElementsAre(6, 7));
  auto lost = store_->ListLostRanges(kGroup);
  ASSERT_TRUE(lost.ok()) << lost.status();
  ASSERT_EQ(lost->size(), 1u);
  EXPECT_EQ((*lost)[0].topic_partition, kDeaths0);
  EXPECT_EQ((*lost)[0].from.value(), 3);
  EXPECT_EQ((*lost)[0].to.value(), 6);
  EXPECT_EQ(Count("SELECT count(*) FROM records"), 5);
  EXPECT_EQ(StoredPosition(), 8);
  EXPECT_EQ(Metric(*metrics_, "crvs_sink_lost_offsets_total"), 3);
  EXPECT_EQ(Metric(*metrics_, "crvs_sink_behind_log_start_total"), 1);
  EXPECT_THAT(not_ready_, HasSubstr("offset alarm(s) not acknowledged"));
}

TEST_F(RegistrySinkTest, NoStoredPositionAndAnExpiredLogStartIsALostRangeFromOffsetZero) {
  auto fake = std::make_unique<FakeConsumer>();
  ProduceNotices(*fake, 0, 4);
  fake->Truncate(kDeaths0, 2);
  fake->AssignAt(1, {kDeaths0});
  FakeConsumer& ran = Run(std::move(fake), 1);

  EXPECT_THAT(ran.DeliveredOffsets(kDeaths0), ElementsAre(2, 3));
  EXPECT_EQ(Count("SELECT count(*) FROM lost_offset_ranges WHERE from_offset = 0 AND "
                  "to_offset = 2"),
            1);
  EXPECT_EQ(StoredPosition(), 4);
}

TEST_F(RegistrySinkTest, RevokedMidBatchAppliesWhatWasConsumedOnceAndTheNextAssignmentResumesAfterIt) {
  auto fake = std::make_unique<FakeConsumer>();
  ProduceNotices(*fake, 0, 10);
  fake->AssignAt(1, {kDeaths0});  // polls 1-4 deliver offsets 0-3 into one open batch
  fake->RevokeAt(5);
  int64_t stored_at_revoke = -1;
  std::optional<store::Offset> kafka_commit_at_revoke;
  fake->At(6, [&](FakeConsumer& c) {
    stored_at_revoke = StoredPosition();
    kafka_commit_at_revoke = c.CommittedOffset(kDeaths0);
  });
  fake->AssignAt(8, {kDeaths0});
  FakeConsumer& ran = Run(std::move(fake), 8);

  EXPECT_EQ(stored_at_revoke, 4) << "the open batch was not applied before giving it back";
  EXPECT_EQ(kafka_commit_at_revoke, store::Offset(4));
  ASSERT_EQ(ran.assigns().size(), 2u);
  EXPECT_EQ(ran.assigns()[1].at(kDeaths0), store::Offset(3))
      << "the next owner starts at the stored position";
  EXPECT_THAT(ran.DeliveredOffsets(kDeaths0), ElementsAre(0, 1, 2, 3, 3, 4, 5, 6, 7, 8, 9));
  EXPECT_EQ(sink_->committed(), 10) << "a record applied twice (or not at all)";
  EXPECT_EQ(Duplicates(), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM record_versions"), 10);
  EXPECT_EQ(StoredPosition(), 10);
  EXPECT_EQ(ran.CommittedOffset(kDeaths0), store::Offset(10));
}

TEST_F(RegistrySinkTest, OutOfRangeAfterTheLogWasReplacedWhileConsumingReReadsTheNewLogFromItsStart) {
  auto fake = std::make_unique<FakeConsumer>();
  ProduceNotices(*fake, 0, 6);
  fake->AssignAt(1, {kDeaths0});
  // After offsets 0-5 (polls 1-6): the topic is re-created with 2 new records; the fetch
  // position 6 is now past its end.
  fake->At(7, [&](FakeConsumer& c) {
    c.ReplaceLog(kDeaths0);
    ProduceNotice(c, 100);
    ProduceNotice(c, 101);
  });
  FakeConsumer& ran = Run(std::move(fake), 7);

  ASSERT_GE(ran.delivered().size(), 7u);
  EXPECT_EQ(ran.delivered()[6].error, kafka::ConsumedMessage::Error::kOffsetOutOfRange);
  ASSERT_FALSE(ran.seeks().empty());
  EXPECT_EQ(ran.seeks().back().offset, store::Offset(0));
  EXPECT_THAT(ran.DeliveredOffsets(kDeaths0), ElementsAre(0, 1, 2, 3, 4, 5, 0, 1));
  EXPECT_EQ(Count("SELECT count(*) FROM records"), 8);
  EXPECT_EQ(Count("SELECT count(*) FROM log_resets WHERE reason = 'BEYOND_LOG_END' AND "
                  "stored_offset = 6 AND log_end = 2"),
            1)
      << "the batch before the gap was not applied first, or no reset was recorded";
  EXPECT_EQ(StoredPosition(), 2);
  EXPECT_EQ(Metric(*metrics_, "crvs_sink_log_resets_total"), 1);
}

TEST_F(RegistrySinkTest, OutOfRangeForAPositionStillInTheLogFetchesAgainFromTheStoredPosition) {
  // What a fetch from a broker whose log did not match yet (a leader change) looks like.
  auto fake = std::make_unique<FakeConsumer>();
  ProduceNotices(*fake, 0, 10);
  fake->AssignAt(1, {kDeaths0});
  fake->ErrorAt(4, kDeaths0, kafka::ConsumedMessage::Error::kOffsetOutOfRange,
                "Broker: Offset out of range");
  FakeConsumer& ran = Run(std::move(fake), 4);

  // Offsets 0-2 applied at the error; the sink seeks to 2 (stored - 1, checked) and goes on.
  ASSERT_FALSE(ran.seeks().empty());
  EXPECT_EQ(ran.seeks().back().offset, store::Offset(2));
  EXPECT_THAT(ran.DeliveredOffsets(kDeaths0), ElementsAre(0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9));
  EXPECT_EQ(sink_->committed(), 10);
  EXPECT_EQ(Duplicates(), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM record_versions"), 10);
  EXPECT_EQ(StoredPosition(), 10);
  EXPECT_EQ(Count("SELECT count(*) FROM log_resets"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM lost_offset_ranges"), 0);
  EXPECT_EQ(not_ready_, "");
}

TEST_F(RegistrySinkTest, AnotherMessageBeforeTheStoredPositionIsALogResetAndTheLogIsReadFromItsStart) {
  ApplyFirstNotices(5);
  // A new log that has already grown past the stored position 5, with other records.
  auto fake = std::make_unique<FakeConsumer>();
  ProduceNotices(*fake, 100, 8);
  fake->AssignAt(1, {kDeaths0});
  FakeConsumer& ran = Run(std::move(fake), 1);

  EXPECT_THAT(ran.DeliveredOffsets(kDeaths0), ElementsAre(4, 0, 1, 2, 3, 4, 5, 6, 7));
  EXPECT_EQ(Count("SELECT count(*) FROM records"), 13) << "the new log's first records skipped";
  EXPECT_EQ(Count("SELECT count(*) FROM log_resets WHERE reason = 'LOG_REPLACED'"), 1);
  EXPECT_EQ(StoredPosition(), 8);
}

TEST_F(RegistrySinkTest, LogBoundsUnavailableAtAssignmentFetchesFromTheStoredPosition) {
  ApplyFirstNotices(3);
  auto fake = std::make_unique<FakeConsumer>();
  ProduceNotices(*fake, 0, 5);
  fake->FailWatermarks(kDeaths0, 1);
  fake->AssignAt(1, {kDeaths0});
  FakeConsumer& ran = Run(std::move(fake), 1);

  EXPECT_EQ(ran.assigns()[0].at(kDeaths0), store::Offset(2));
  EXPECT_THAT(ran.DeliveredOffsets(kDeaths0), ElementsAre(2, 3, 4));
  EXPECT_EQ(sink_->committed(), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM records"), 5);
}

TEST_F(RegistrySinkTest, PartitionsAssignedWhilePausedStayPausedUntilResumed) {
  auto fake = std::make_unique<FakeConsumer>();
  ProduceNotices(*fake, 0, 3);
  fake->At(1, [&](FakeConsumer&) { Running().Pause(); });  // seen by the loop after this poll
  fake->AssignAt(3, {kDeaths0});
  int64_t delivered_while_paused = -1;
  fake->At(40, [&](FakeConsumer& c) {
    delivered_while_paused = static_cast<int64_t>(c.DeliveredOffsets(kDeaths0).size());
    Running().Resume();
  });
  FakeConsumer& ran = Run(std::move(fake), 40);

  EXPECT_EQ(delivered_while_paused, 0);
  EXPECT_THAT(ran.DeliveredOffsets(kDeaths0), ElementsAre(0, 1, 2));
  EXPECT_EQ(Count("SELECT count(*) FROM records"), 3);
}

}  // namespace
}  // namespace crvs::sink
