// The court-source connector's rebalance and offset branches, driven by a scripted Kafka
// consumer (kafka::FakeConsumer) for the change stream; its outputs go through the real
// producer to an embedded broker, so every batch waits for real delivery confirmations before
// its offsets are committed (to the fake, which keeps the group's Kafka-committed offsets).
#include "connectors/court_source/court_source.h"

#include <atomic>
#include <chrono>
#include <map>
#include <optional>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "connectors/kafka/embedded_broker.h"
#include "connectors/kafka/fake_consumer.h"
#include "connectors/kafka/producer.h"

namespace crvs::court_source {
namespace {

using Json = nlohmann::json;
using kafka::FakeConsumer;
using model::Offset;
using model::TopicPartition;
using ::testing::ElementsAre;

const kafka::KafkaConfig kKafka;
const std::string kInputTopic = "court.cdc.decisions";
const TopicPartition kInput0{model::Topic(kInputTopic), model::Partition(0)};

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
      if (match) total += metric.counter.value + metric.gauge.value;
    }
  }
  return total;
}

// A Debezium create event (bare payload, PostgreSQL source) of decision `i` under the default
// mapping: a pending consensual divorce.
std::string ChangeEvent(int i) {
  Json row = {{"id", i},
              {"court_code", "TA79001"},
              {"decision_no", std::to_string(i) + "/2026/QĐST-HNGĐ"},
              {"decision_type", "CONG_NHAN_THUAN_TINH"},
              {"decision_date", "2026-09-15"},
              {"effective_date", nullptr},
              {"set_aside_date", nullptr},
              {"set_aside_by_decision_no", nullptr},
              {"set_aside_reason", nullptr},
              {"spouse1_personal_id", "001090005678"},
              {"spouse1_full_name", "Trần Văn Minh"},
              {"spouse1_sex", "M"},
              {"spouse1_birth_date", "1990-07-01"},
              {"spouse2_personal_id", "079194001234"},
              {"spouse2_full_name", "Nguyễn Thị Lan"},
              {"spouse2_sex", "F"},
              {"spouse2_birth_date", "1994-03-12"},
              {"marriage_commune_code", "26734"},
              {"marriage_book", "01/2018"},
              {"marriage_registration_no", "57"},
              {"marriage_registered_on", "2018-04-02"}};
  Json event = {{"before", nullptr},
                {"after", row},
                {"source",
                 {{"connector", "postgresql"},
                  {"db", "court"},
                  {"table", "decisions"},
                  {"ts_ms", 1790000000000},
                  {"lsn", 1000 + i}}},
                {"op", "c"},
                {"ts_ms", 1790000000150}};
  return event.dump();
}

class CourtSourceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto broker = kafka::EmbeddedBroker::Start(
        {1, 1, {kKafka.topic_divorces, kKafka.topic_dead_letters, kKafka.topic_resync}});
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
    config_.input_topic = kInputTopic;
    // Flushes only by rebalance, out-of-range and stop: poll numbers decide everything.
    config_.batch_max_records = 1000;
    config_.batch_max_wait = std::chrono::hours(1);
    config_.retry_initial_backoff = std::chrono::milliseconds(10);
    config_.retry_max_backoff = std::chrono::milliseconds(50);
  }

  void ProduceEvents(FakeConsumer& fake, int first, int n) {
    for (int i = first; i < first + n; ++i) {
      fake.Produce(kInput0, "{\"id\":" + std::to_string(i) + "}", ChangeEvent(i));
    }
  }

  // Runs a connector over `fake` until the fake has played its script up to poll `script_end`
  // and then found nothing to deliver for a while; stops it (confirm, commit, leave).
  FakeConsumer& Run(std::unique_ptr<FakeConsumer> fake, int script_end) {
    FakeConsumer* raw = fake.get();
    auto source = CourtSource::Start(config_, kKafka, std::move(fake),
                                     {producer_, &validation::ReferenceData::Default(), &metrics_});
    EXPECT_TRUE(source.ok()) << source.status();
    if (!source.ok()) std::abort();
    source_ = std::move(*source);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while ((raw->polls() <= script_end || raw->idle_polls() < 50) &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_GT(raw->polls(), script_end) << "the script did not run to its end";
    source_->Stop();
    return *raw;
  }

  double Produced() {
    return Metric(metrics_, "crvs_court_source_events_total", {{"outcome", "produced"}});
  }
  // Envelopes the broker confirmed.
  double Confirmed() { return Metric(metrics_, "crvs_court_source_decisions_total"); }

  CourtSourceConfig config_;
  prometheus::Registry metrics_;
  std::unique_ptr<CourtSource> source_;

  static kafka::EmbeddedBroker* broker_;
  static kafka::Producer* producer_;
};

kafka::EmbeddedBroker* CourtSourceTest::broker_ = nullptr;
kafka::Producer* CourtSourceTest::producer_ = nullptr;

TEST_F(CourtSourceTest, ANewGroupReadsTheChangeStreamFromItsStart) {
  auto fake = std::make_unique<FakeConsumer>();
  ProduceEvents(*fake, 0, 3);
  fake->Truncate(kInput0, 1);  // the log starts at 1: a new group still loses nothing it holds
  fake->AssignAt(1, {kInput0});
  FakeConsumer& ran = Run(std::move(fake), 1);

  ASSERT_EQ(ran.assigns().size(), 1u);
  EXPECT_EQ(ran.assigns()[0].at(kInput0), kafka::kLogStart);
  EXPECT_THAT(ran.DeliveredOffsets(kInput0), ElementsAre(1, 2));
  EXPECT_EQ(Produced(), 2);
  EXPECT_EQ(Confirmed(), 2);
  EXPECT_EQ(ran.CommittedOffset(kInput0), Offset(3));
  EXPECT_EQ(Metric(metrics_, "crvs_court_source_behind_log_start_total"), 0);
  EXPECT_EQ(source_->committed_inputs(), 2);
}

TEST_F(CourtSourceTest, ACommittedPositionInsideTheLogResumesThere) {
  auto fake = std::make_unique<FakeConsumer>();
  ProduceEvents(*fake, 0, 5);
  fake->SetCommitted(kInput0, Offset(2));
  fake->AssignAt(1, {kInput0});
  FakeConsumer& ran = Run(std::move(fake), 1);

  EXPECT_EQ(ran.assigns()[0].at(kInput0), Offset(2));
  EXPECT_THAT(ran.DeliveredOffsets(kInput0), ElementsAre(2, 3, 4));
  EXPECT_EQ(Produced(), 3) << "changes below the committed offset produced again";
  EXPECT_EQ(Confirmed(), 3);
  EXPECT_EQ(ran.CommittedOffset(kInput0), Offset(5));
  EXPECT_EQ(Metric(metrics_, "crvs_court_source_behind_log_start_total"), 0);
}

TEST_F(CourtSourceTest, ACommittedPositionBelowTheLogStartRaisesTheAlarmAndResumesAtTheLogStart) {
  auto fake = std::make_unique<FakeConsumer>();
  ProduceEvents(*fake, 0, 6);
  fake->SetCommitted(kInput0, Offset(1));
  fake->Truncate(kInput0, 4);  // [1, 4) expired unread
  fake->AssignAt(1, {kInput0});
  FakeConsumer& ran = Run(std::move(fake), 1);

  EXPECT_EQ(ran.assigns()[0].at(kInput0), Offset(4));
  EXPECT_THAT(ran.DeliveredOffsets(kInput0), ElementsAre(4, 5));
  EXPECT_EQ(Metric(metrics_, "crvs_court_source_behind_log_start_total",
                   {{"topic", kInputTopic}, {"partition", "0"}}),
            1);
  EXPECT_EQ(Metric(metrics_, "crvs_court_source_lost_offsets_total"), 3);
  EXPECT_EQ(ran.CommittedOffset(kInput0), Offset(6));
}

TEST_F(CourtSourceTest, OffsetOutOfRangeWhileConsumingCommitsWhatWasHandledThenResumesAtTheLogStart) {
  auto fake = std::make_unique<FakeConsumer>();
  ProduceEvents(*fake, 0, 7);
  fake->AssignAt(1, {kInput0});  // polls 1-3 deliver offsets 0-2
  fake->At(4, [](FakeConsumer& c) { c.Truncate(kInput0, 5); });  // 3 and 4 expire unread
  FakeConsumer& ran = Run(std::move(fake), 4);

  ASSERT_GE(ran.delivered().size(), 4u);
  EXPECT_EQ(ran.delivered()[3].error, kafka::ConsumedMessage::Error::kOffsetOutOfRange);
  ASSERT_FALSE(ran.commits().empty());
  EXPECT_EQ(ran.commits().front().at(kInput0), Offset(3))
      << "what came before the gap, committed first";
  ASSERT_EQ(ran.seeks().size(), 1u);
  EXPECT_EQ(ran.seeks()[0].offset, Offset(5));
  EXPECT_THAT(ran.DeliveredOffsets(kInput0), ElementsAre(0, 1, 2, 5, 6));
  EXPECT_EQ(Metric(metrics_, "crvs_court_source_lost_offsets_total"), 2);
  EXPECT_EQ(Metric(metrics_, "crvs_court_source_behind_log_start_total"), 1);
  EXPECT_EQ(Produced(), 5);
  EXPECT_EQ(ran.CommittedOffset(kInput0), Offset(7));
}

TEST_F(CourtSourceTest, ACommittedPositionBeyondTheLogEndIsReadAgainFromTheLogStart) {
  // The court's topic was re-created: its new log is shorter than what the group committed.
  auto fake = std::make_unique<FakeConsumer>();
  ProduceEvents(*fake, 0, 3);
  fake->SetCommitted(kInput0, Offset(10));
  fake->AssignAt(1, {kInput0});
  FakeConsumer& ran = Run(std::move(fake), 1);

  EXPECT_EQ(ran.assigns()[0].at(kInput0), Offset(10));
  ASSERT_FALSE(ran.delivered().empty());
  EXPECT_EQ(ran.delivered()[0].error, kafka::ConsumedMessage::Error::kOffsetOutOfRange);
  EXPECT_THAT(ran.DeliveredOffsets(kInput0), ElementsAre(0, 1, 2));
  EXPECT_EQ(Produced(), 3);
  EXPECT_EQ(Metric(metrics_, "crvs_court_source_behind_log_start_total"), 1);
  EXPECT_EQ(Metric(metrics_, "crvs_court_source_lost_offsets_total"), 0);
  EXPECT_EQ(ran.CommittedOffset(kInput0), Offset(3));
}

TEST_F(CourtSourceTest, RevokedMidBatchConfirmsAndCommitsWhatWasHandledAndNothingIsProducedTwice) {
  auto fake = std::make_unique<FakeConsumer>();
  ProduceEvents(*fake, 0, 6);
  fake->AssignAt(1, {kInput0});  // polls 1-3 deliver offsets 0-2 into one open batch
  fake->RevokeAt(4);
  double confirmed_at_revoke = -1;
  std::optional<Offset> committed_at_revoke;
  fake->At(5, [&](FakeConsumer& c) {
    confirmed_at_revoke = Confirmed();
    committed_at_revoke = c.CommittedOffset(kInput0);
  });
  fake->AssignAt(8, {kInput0});
  FakeConsumer& ran = Run(std::move(fake), 8);

  EXPECT_EQ(committed_at_revoke, Offset(3))
      << "the open batch was not committed before giving it back";
  EXPECT_EQ(confirmed_at_revoke, 3) << "committed before the broker confirmed the outputs";
  ASSERT_EQ(ran.assigns().size(), 2u);
  EXPECT_EQ(ran.assigns()[1].at(kInput0), Offset(3));
  EXPECT_THAT(ran.DeliveredOffsets(kInput0), ElementsAre(0, 1, 2, 3, 4, 5));
  EXPECT_EQ(Produced(), 6);
  EXPECT_EQ(Confirmed(), 6);
  EXPECT_EQ(ran.CommittedOffset(kInput0), Offset(6));
}

}  // namespace
}  // namespace crvs::court_source
