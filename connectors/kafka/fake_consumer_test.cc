// The fake answers like librdkafka where the connectors' branches depend on it: the same
// script runs against FakeConsumer and against KafkaConsumer on the embedded broker (the real
// protocol), and must see the same thing — a position past the log end is one out-of-range
// error, the partition then stays silent until sought, a seek resumes it, and the watermarks.
#include "connectors/kafka/fake_consumer.h"

#include <chrono>
#include <future>
#include <memory>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "connectors/kafka/embedded_broker.h"
#include "connectors/kafka/producer.h"

namespace crvs::kafka {
namespace {

using ::testing::ElementsAre;

const model::TopicPartition kTopic0{model::Topic("contract.topic"), model::Partition(0)};

class ConsumerContract : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    std::vector<std::pair<std::string, std::string>> messages = {
        {"k0", "v0"}, {"k1", "v1"}, {"k2", "v2"}};
    if (!GetParam()) {
      auto fake = std::make_unique<FakeConsumer>();
      for (const auto& [k, v] : messages) fake->Produce(kTopic0, k, v, {{"h", "x"}});
      consumer_ = std::move(fake);
      return;
    }
    auto broker = EmbeddedBroker::Start({1, 1, {kTopic0.topic.value()}});
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = std::move(*broker);
    auto producer = Producer::Create(kafka_, {}, broker_->bootstrap_servers());
    ASSERT_TRUE(producer.ok()) << producer.status();
    for (const auto& [k, v] : messages) {
      std::promise<absl::Status> done;
      ASSERT_TRUE((*producer)
                      ->Produce({kTopic0.topic.value(), k, v, {{"h", "x"}}},
                                [&](const Delivery& d) { done.set_value(d.status); })
                      .ok());
      ASSERT_TRUE(done.get_future().get().ok());
    }
    auto consumer = KafkaConsumer::Create(
        kafka_, broker_->bootstrap_servers(),
        {{"group.id", "contract"}, {"auto.offset.reset", "error"}, {"enable.auto.commit", "false"}});
    ASSERT_TRUE(consumer.ok()) << consumer.status();
    consumer_ = std::move(*consumer);
  }

  // Polls until a message or error arrives (or `wait` passes).
  std::optional<ConsumedMessage> Next(std::chrono::milliseconds wait = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < deadline) {
      auto m = consumer_->Poll(std::chrono::milliseconds(50));
      if (m) return m;
    }
    return std::nullopt;
  }

  KafkaConfig kafka_;
  std::unique_ptr<EmbeddedBroker> broker_;
  std::unique_ptr<Consumer> consumer_;
};

TEST_P(ConsumerContract, APositionPastTheLogEndIsOneOutOfRangeErrorThenSilenceUntilSought) {
  auto bounds = consumer_->QueryWatermarks(kTopic0, std::chrono::seconds(5));
  ASSERT_TRUE(bounds.ok()) << bounds.status();
  EXPECT_EQ(bounds->low.value(), 0);
  EXPECT_EQ(bounds->high.value(), 3);

  ASSERT_TRUE(consumer_->Assign({{kTopic0, model::Offset(10)}}).ok());
  auto error = Next();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->error, ConsumedMessage::Error::kOffsetOutOfRange) << error->error_message;
  EXPECT_EQ(error->topic, kTopic0.topic.value());
  EXPECT_EQ(error->partition, 0);
  EXPECT_FALSE(Next(std::chrono::milliseconds(1500)).has_value()) << "fetched without a seek";

  absl::Status sought = consumer_->Seek(kTopic0, model::Offset(1), std::chrono::seconds(5));
  ASSERT_TRUE(sought.ok()) << sought;
  std::vector<int64_t> offsets;
  for (int i = 0; i < 2; ++i) {
    auto m = Next();
    ASSERT_TRUE(m.has_value());
    ASSERT_TRUE(m->ok()) << m->error_message;
    offsets.push_back(m->offset);
    EXPECT_EQ(m->key, "k" + std::to_string(m->offset));
    EXPECT_EQ(m->value, "v" + std::to_string(m->offset));
    EXPECT_THAT(m->headers, ElementsAre(std::make_pair(std::string("h"), std::string("x"))));
  }
  EXPECT_THAT(offsets, ElementsAre(1, 2));
  EXPECT_FALSE(Next(std::chrono::milliseconds(500)).has_value()) << "the log end is silent";
  consumer_->Close();
}

INSTANTIATE_TEST_SUITE_P(FakeAndLibrdkafka, ConsumerContract, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Kafka" : "Fake"; });

// The registry sink's and the court-source connector's heartbeat.interval.ms.
TEST(HeartbeatIntervalFor, IsAFifthOfTheSessionTimeoutAndAtLeast100Ms) {
  using std::chrono::milliseconds;
  EXPECT_EQ(HeartbeatIntervalFor(milliseconds(10000)), milliseconds(2000));
  EXPECT_EQ(HeartbeatIntervalFor(milliseconds(45001)), milliseconds(9000));
  EXPECT_EQ(HeartbeatIntervalFor(milliseconds(500)), milliseconds(100));
  EXPECT_EQ(HeartbeatIntervalFor(milliseconds(100)), milliseconds(100));
}

}  // namespace
}  // namespace crvs::kafka
