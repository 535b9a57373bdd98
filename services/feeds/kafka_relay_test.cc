// The Kafka delivery of a subscriber's feed, on librdkafka's mock cluster (real protocol).
#include "services/feeds/kafka_relay.h"

#include "services/feeds/feed_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "connectors/kafka/embedded_broker.h"
#include "connectors/kafka/topic_admin.h"
#include "connectors/kafka/topic_follower.h"
#include "services/store/store_test_util.h"
#include "tests/support/status_matchers.h"

namespace crvs::feeds {
namespace {

namespace rv1 = records::v1;
namespace st = store::testing;
using ::crvs::testing::IsOk;
using ::crvs::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsSubsetOf;

crypto::Keyring Ring(const std::string& id, char fill) {
  crypto::Keyring ring;
  EXPECT_THAT(ring.Add(id, std::string(crypto::kKeyBytes, fill)), IsOk());
  EXPECT_THAT(ring.SetActive(id), IsOk());
  return ring;
}

struct Received {
  std::string key, position, type, payload_json;
};

class KafkaRelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/crvs-relay-XXXXXX";
    dir_ = mkdtemp(tmpl);
    store::DatabaseConfig config;
    config.url = "sqlite:" + dir_ + "/crvs.db";
    auto opened = store::Store::Open(config);
    ASSERT_THAT(opened, IsOk());
    store_ = *std::move(opened);
    // The embedded broker makes the feed's topic (the mock cluster has no CreateTopics);
    // with 3 partitions, of which the relay writes the first only.
    auto broker = kafka::EmbeddedBroker::Start({3, 3, {"crvs.feed.population-db"}});
    ASSERT_THAT(broker, IsOk());
    broker_ = *std::move(broker);
    auto subs = ParseSubscribers(R"({"subscribers": [
      {"name": "population-db",
       "events": ["birth.registered", "death.registered", "status.changed", "record.amended",
                  "record.voided"],
       "fields": ["subject.personal_id", "subject.full_name", "status.personal_id",
                  "status.fact", "status.change", "void.reason"],
       "delivery": ["kafka"]}]})",
                                 "test");
    ASSERT_THAT(subs, IsOk());
    subscribers_ = *std::move(subs);
    cipher_ = std::make_shared<crypto::PayloadCipher>(Ring("pop-2026", 'p'));
  }
  void TearDown() override {
    relay_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Apply(std::vector<store::InboundRecord> records) {
    store::ApplyBatch batch;
    batch.group = model::ConsumerGroup("crvs-sink");
    batch.records = std::move(records);
    ASSERT_THAT(store_->Apply(batch), IsOk());
  }

  absl::Status StartRelay() {
    RelayOptions o;
    o.page_events = 3;  // several pages
    o.poll_interval = absl::Milliseconds(50);
    o.create_topic = false;
    auto relay = KafkaRelay::Start(*subscribers_.Find("population-db"), cipher_, store_.get(),
                                   kafka_, producer_, broker_->bootstrap_servers(), o);
    if (!relay.ok()) return relay.status();
    relay_ = *std::move(relay);
    return absl::OkStatus();
  }

  // Everything on the topic, in order.
  std::vector<Received> ReadTopic(size_t expect) {
    std::vector<Received> out;
    platform::Mutex mu;
    auto follower = kafka::TopicFollower::Start(
        kafka_, broker_->bootstrap_servers(), "crvs.feed.population-db",
        [&](const kafka::FollowedMessage& m) {
          platform::MutexLock lock(&mu);
          out.push_back({m.key, m.headers.count("crvs-feed-position") ? m.headers.at("crvs-feed-position") : "",
                         m.headers.count("crvs-event-type") ? m.headers.at("crvs-event-type") : "",
                         m.value});
        });
    EXPECT_THAT(follower, IsOk());
    if (!follower.ok()) return out;
    (*follower)->WaitCaughtUp(std::chrono::seconds(20));
    for (int i = 0; i < 200; ++i) {
      {
        platform::MutexLock lock(&mu);
        if (out.size() >= expect) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    follower->reset();
    return out;
  }

  void WaitPublished(int64_t n) {
    for (int i = 0; i < 400 && relay_->events_published() < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    EXPECT_EQ(relay_->events_published(), n);
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<kafka::EmbeddedBroker> broker_;
  kafka::KafkaConfig kafka_;
  kafka::ProducerConfig producer_;
  Subscribers subscribers_;
  std::shared_ptr<const crypto::PayloadCipher> cipher_;
  std::unique_ptr<KafkaRelay> relay_;
};

TEST_F(KafkaRelayTest, EventsReachTheSubscribersTopicOnceInOrderSealedWithItsKey) {
  // Two death registrations and a birth registration, then the second death voided.
  auto d1 = st::Envelope(st::DeathRegistration("1", crvs::testing::Date(2026, 10, 20)),
                         rv1::ACTION_SUBMIT, "r-1");
  auto birth = st::Envelope(crvs::testing::BirthRegistration("7"), rv1::ACTION_SUBMIT, "r-2");
  Apply({st::Inbound(d1, "crvs.registrations", 0, 0), st::Inbound(birth, "crvs.registrations", 1, 0)});
  ASSERT_THAT(StartRelay(), IsOk());
  // death.registered + status.changed, birth.registered.
  WaitPublished(3);

  // The relay stops (as a process would), more is committed, a new relay goes on where the
  // topic ends: nothing twice, nothing missing.
  relay_.reset();
  auto void_d1 = st::Envelope(st::DeathRegistration("1", crvs::testing::Date(2026, 10, 20)),
                              rv1::ACTION_VOID, "r-3", "registered in error");
  Apply({st::Inbound(void_d1, "crvs.registrations", 0, 1)});
  ASSERT_THAT(StartRelay(), IsOk());
  EXPECT_EQ(relay_->published().seq > 0, true);
  WaitPublished(2);  // record.voided + status.changed (withdrawn)
  // What Kafka acknowledged is the subscriber's acknowledged cursor: no lag left.
  for (int i = 0; i < 100; ++i) {
    auto status = ListFeedStatus(*store_, subscribers_);
    ASSERT_THAT(status, IsOk());
    if ((*status)[0].lag_transactions == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  auto status = ListFeedStatus(*store_, subscribers_);
  ASSERT_THAT(status, IsOk());
  EXPECT_EQ((*status)[0].lag_transactions, 0);
  EXPECT_EQ((*status)[0].cursor.acknowledged, relay_->published());

  std::vector<Received> got = ReadTopic(5);
  std::vector<std::string> types;
  for (const auto& r : got) types.push_back(r.type);
  EXPECT_THAT(types, ElementsAre("death.registered", "status.changed", "birth.registered",
                                 "record.voided", "status.changed"));
  Position last;
  std::set<std::string> allowed = subscribers_.Find("population-db")->fields;
  for (const char* f : {"event.id", "event.type", "event.committed_at", "record.business_key",
                        "record.kind", "record.version", "record.action"}) {
    allowed.insert(f);
  }
  for (const auto& r : got) {
    auto at = ParsePosition(r.position);
    ASSERT_THAT(at, IsOk());
    EXPECT_TRUE(last < *at) << r.position;
    last = *at;
    ASSERT_TRUE(crypto::IsSealed(r.payload_json)) << "a plaintext value on the topic";
    auto plain = cipher_->Open(r.payload_json, r.key);
    ASSERT_THAT(plain, IsOk());
    auto payload = nlohmann::json::parse(*plain);
    EXPECT_EQ(payload["event"]["id"], r.position);
    EXPECT_THAT(FieldPaths(payload), IsSubsetOf(allowed)) << *plain;
    // Another agency's key opens nothing.
    crypto::PayloadCipher other(Ring("si-2026", 's'));
    EXPECT_THAT(other.Open(r.payload_json, r.key), StatusIs(absl::StatusCode::kNotFound));
  }
  // Every delivery is audited, as Kafka deliveries.
  int audited = 0;
  ASSERT_THAT(store_->Read([&](store::sql::Connection& c) -> absl::Status {
    auto rows = store::ListAudit(c, 0, 1000);
    if (!rows.ok()) return rows.status();
    for (const auto& r : *rows) {
      if (r.action == "feed.delivered") {
        ++audited;
        EXPECT_THAT(r.detail, ::testing::HasSubstr("via=kafka"));
      }
    }
    return absl::OkStatus();
  }), IsOk());
  EXPECT_GE(audited, 2);
}

// A subscriber that receives both ways: the relay's progress does not move the cursor its
// Pull starts from.
TEST_F(KafkaRelayTest, ASubscriberThatAlsoPullsKeepsItsPullCursor) {
  auto subs = ParseSubscribers(R"({"subscribers": [
    {"name": "population-db", "events": ["death.registered"], "fields": [],
     "delivery": ["kafka", "pull"]}]})",
                               "test");
  ASSERT_THAT(subs, IsOk());
  subscribers_ = *std::move(subs);
  auto d1 = st::Envelope(st::DeathRegistration("1", crvs::testing::Date(2026, 10, 20)),
                         rv1::ACTION_SUBMIT, "r-1");
  Apply({st::Inbound(d1, "crvs.registrations", 0, 0)});
  ASSERT_THAT(StartRelay(), IsOk());
  WaitPublished(1);
  FeedService service({store_.get(), &subscribers_, {}});
  auto page = service.PullFor(*subscribers_.Find("population-db"), {});
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->events_size(), 1);
  EXPECT_EQ(page->events(0).type(), "death.registered");
}

TEST_F(KafkaRelayTest, ATopicWrittenBySomeoneElseIsRefusedNamingIt) {
  auto producer = kafka::Producer::Create(kafka_, producer_, broker_->bootstrap_servers());
  ASSERT_THAT(producer, IsOk());
  std::atomic<bool> done{false};
  ASSERT_THAT((*producer)->Produce({"crvs.feed.population-db", "k", "v", {}, 0},
                                   [&](const kafka::Delivery&) { done = true; }),
              IsOk());
  for (int i = 0; i < 200 && !done; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  EXPECT_THAT(StartRelay(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                     ::testing::HasSubstr("crvs.feed.population-db")));
}

}  // namespace
}  // namespace crvs::feeds
