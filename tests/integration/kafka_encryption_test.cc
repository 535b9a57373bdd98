// Personal data on Kafka (issue 8): the gateway, the registry sink's dead letters and the
// court-source's dead letters put only sealed values on the broker — checked with the raw bytes
// kcat (a Kafka client we did not write) reads from every product topic — and key rotation keeps
// old records readable, while a ring without the old key turns them into dead letters that name
// the key, never into losses. In one process: the real gateway (gRPC), the embedded broker
// (librdkafka's mock cluster), the real sink into SQLite, the real court-source connector.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>

#include <absl/strings/escaping.h>
#include <google/protobuf/util/time_util.h>
#include <nlohmann/json.hpp>

#include "connectors/court_source/court_source.h"
#include "connectors/kafka/embedded_broker.h"
#include "connectors/kafka/producer.h"
#include "connectors/registry_sink/decode.h"
#include "connectors/registry_sink/registry_sink.h"
#include "crvs/ingest/v1/court_ingest.grpc.pb.h"
#include "crvs/ingest/v1/health_ingest.grpc.pb.h"
#include "services/admin/proto_mapping.h"
#include "services/console/json_views.h"
#include "services/crypto/payload_cipher.h"
#include "services/gateway/gateway.h"
#include "services/records/records.h"
#include "services/store/sql.h"
#include "services/store/store.h"
#include "services/store/store_test_util.h"
#include "services/validation/reference_data.h"
#include "tests/integration/topic_reader.h"
#include "tests/support/fixtures.h"
#include "tests/support/subprocess.h"

namespace crvs {
namespace {

namespace rv1 = ::crvs::records::v1;
namespace fx = ::crvs::testing;
using ::testing::HasSubstr;

// Everything personal the test puts into records: the personal IDs (also as they sit in a
// protobuf or JSON value) and the names.
const std::vector<std::string>& PersonalData() {
  static const std::vector<std::string> data = {
      "079194001234",   "001090005678",  "001052003456", "079226001111",
      "Nguyễn Thị Lan", "Trần Văn Minh", "Hoàng Văn Tư", "Trần Minh An"};
  return data;
}

// Reference data that knows only Hồ Chí Minh City: records of people registered in Hà Nội
// (personal-ID prefix 001) fail the sink's domain rules and become dead letters.
validation::ReferenceData OnlyHoChiMinhCity() {
  auto ref = validation::ReferenceData::FromCsv(
      "old_code,old_name,id_prefix,code_since_2025_07_01,name_since_2025_07_01\n"
      "79,Hồ Chí Minh,079,79,Hồ Chí Minh\n",
      "only-ho-chi-minh-city.csv");
  EXPECT_TRUE(ref.ok()) << ref.status();
  return *ref;
}

// A keyring file's line for key `id` made of 32 bytes of `fill`.
std::string KeyLine(const std::string& id, char fill) {
  return id + " = " + absl::Base64Escape(std::string(crypto::kKeyBytes, fill)) + "\n";
}

std::string Header(const fx::ReadMessage& m, const std::string& name) {
  auto it = m.headers.find(name);
  return it == m.headers.end() ? "(absent)" : it->second;
}

class KafkaEncryptionTest : public ::testing::Test {
 protected:
  static constexpr const char* kPlaintextControlTopic = "test.plaintext-control";

  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("crvs_kafka_encryption_test_" + std::to_string(::getpid()) + "_" +
            std::to_string(++counter));
    std::filesystem::create_directories(dir_);
    auto topics = kafka_.AllTopics();
    topics.push_back(court_.input_topic);
    topics.push_back(kPlaintextControlTopic);
    auto broker = kafka::EmbeddedBroker::Start({1, 3, topics});
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = std::move(*broker);
  }
  void TearDown() override {
    court_source_.reset();
    sink_.reset();
    gateway_.reset();
    producer_.reset();
    store_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  const std::string& bootstrap() const { return broker_->bootstrap_servers(); }

  // Writes a keyring file and makes every component built afterwards use it.
  void UseKeyring(const std::string& name, const std::string& text) {
    std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    std::filesystem::permissions(path, std::filesystem::perms::owner_read |
                                           std::filesystem::perms::owner_write);
    kafka_.crypto.keyring_file = path;
  }

  void StartGateway() {
    gateway::GatewayConfig config;
    config.listen = "127.0.0.1:0";
    config.plaintext = true;  // the caller named by crvs-principal (mutual TLS is not the point)
    auto gw = gateway::Gateway::Start(config, kafka_, {}, bootstrap(), metrics_);
    ASSERT_TRUE(gw.ok()) << gw.status();
    gateway_ = std::move(*gw);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(gateway_->port()),
                                   grpc::InsecureChannelCredentials());
  }
  std::unique_ptr<grpc::ClientContext> As(const std::string& principal) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("crvs-principal", principal);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return ctx;
  }
  void SubmitHealth(const ingest::v1::IngestRequest& request, const std::string& principal) {
    ingest::v1::Receipt receipt;
    grpc::Status st =
        ingest::v1::HealthIngest::NewStub(channel_)->Submit(As(principal).get(), request, &receipt);
    ASSERT_TRUE(st.ok()) << st.error_message();
    ASSERT_EQ(receipt.state(), ingest::v1::RECEIPT_STATE_ACCEPTED) << receipt.error().message();
  }
  void SubmitBirth(const std::string& no) {
    ingest::v1::IngestRequest r;
    r.set_message_id("birth-" + no);
    r.set_action(rv1::ACTION_SUBMIT);
    auto b = fx::BirthCertificate(no);
    b.clear_father();  // of Hà Nội: the sink below would dead-letter the certificate
    *r.mutable_birth_certificate() = b;
    SubmitHealth(r, "facility:BV79001");
  }
  void SubmitDeath(const std::string& no) {
    ingest::v1::IngestRequest r;
    r.set_message_id("death-" + no);
    r.set_action(rv1::ACTION_SUBMIT);
    *r.mutable_death_notice() = fx::DeathNotice(no);
    SubmitHealth(r, "facility:BV01002");
  }
  void SubmitDivorce(const std::string& no, uint64_t sequence) {
    ingest::v1::CourtIngestRequest r;
    r.set_sequence(sequence);
    r.set_message_id("divorce-" + std::to_string(sequence));
    r.set_action(rv1::ACTION_SUBMIT);
    *r.mutable_decision() = fx::DivorceDecision(no);
    ingest::v1::Receipt receipt;
    grpc::Status st = ingest::v1::CourtIngest::NewStub(channel_)->Submit(
        As("court:TA79001").get(), r, &receipt);
    ASSERT_TRUE(st.ok()) << st.error_message();
    ASSERT_EQ(receipt.state(), ingest::v1::RECEIPT_STATE_ACCEPTED) << receipt.error().message();
  }

  // A producer as every component has one (it seals record and dead-letter values).
  kafka::Producer& Producer() {
    if (!producer_) {
      auto p = kafka::Producer::Create(kafka_, {}, bootstrap());
      EXPECT_TRUE(p.ok()) << p.status();
      producer_ = std::move(*p);
    }
    return *producer_;
  }
  void Produce(kafka::OutgoingMessage message) {
    std::promise<absl::Status> done;
    ASSERT_TRUE(Producer()
                    .Produce(std::move(message),
                             [&done](const kafka::Delivery& d) { done.set_value(d.status); })
                    .ok());
    ASSERT_TRUE(done.get_future().get().ok());
  }
  // A death notice envelope as the gateway produces it.
  void ProduceNotice(const std::string& no) {
    auto e = store::testing::Envelope(fx::DeathNotice(no), rv1::ACTION_SUBMIT, "m-" + no);
    *e.mutable_received_at() = google::protobuf::util::TimeUtil::GetCurrentTime();
    Produce({kafka_.topic_deaths, e.business_key(), e.SerializeAsString(), records::HeadersOf(e)});
  }

  void OpenDatabase(const std::string& name) {
    store_.reset();
    store::DatabaseConfig db;
    db.url = "sqlite:" + (dir_ / name).string();
    auto opened = store::Store::Open(db);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
  }
  void StartSink(const validation::ReferenceData* reference, const std::string& group) {
    sink::SinkConfig config;
    config.group_id = group;
    auto sink = sink::RegistrySink::Start(config, kafka_, bootstrap(),
                                          {store_.get(), &Producer(), reference, &sink_metrics_});
    ASSERT_TRUE(sink.ok()) << sink.status();
    sink_ = std::move(*sink);
  }
  // The rows of `sql`, every cell as text.
  std::vector<std::vector<std::string>> Rows(const std::string& sql) {
    std::vector<std::vector<std::string>> out;
    EXPECT_TRUE(store_
                    ->Read([&](store::sql::Connection& c) -> absl::Status {
                      auto rows = c.Execute(sql, {});
                      if (!rows.ok()) return rows.status();
                      for (const auto& row : *rows) {
                        std::vector<std::string> cells;
                        for (const auto& cell : row) {
                          cells.push_back(cell.type() == store::sql::Value::Type::kInt
                                              ? std::to_string(cell.AsInt())
                                              : cell.AsString());
                        }
                        out.push_back(std::move(cells));
                      }
                      return absl::OkStatus();
                    })
                    .ok());
    return out;
  }
  int64_t Count(const std::string& sql) {
    auto rows = Rows(sql);
    return rows.empty() || rows[0].empty() ? -1 : std::stoll(rows[0][0]);
  }
  bool WaitFor(const std::function<bool()>& done, int seconds = 30) {
    for (int i = 0; i < seconds * 10; ++i) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return done();
  }
  size_t MessageCount(const std::string& topic) { return fx::ReadTopic(bootstrap(), topic).size(); }

  // Everything kcat prints for `topic`: each message's key, headers and raw value bytes.
  std::string KcatRaw(const std::string& topic) {
    auto r = fx::RunProgram({"kcat", "-C", "-b", bootstrap(), "-t", topic, "-o", "beginning", "-e",
                             "-q", "-f", "%k %h %s\n"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
  // Fails naming the topic and the personal datum kcat saw in plaintext.
  void ExpectNoPersonalData(const std::string& topic) {
    const std::string raw = KcatRaw(topic);
    for (const auto& datum : PersonalData()) {
      EXPECT_EQ(raw.find(datum), std::string::npos)
          << "kcat read '" << datum << "' in plaintext on " << topic;
    }
  }

  std::filesystem::path dir_;
  kafka::KafkaConfig kafka_;
  court_source::CourtSourceConfig court_;
  prometheus::Registry metrics_, sink_metrics_, court_metrics_;
  std::unique_ptr<kafka::EmbeddedBroker> broker_;
  std::unique_ptr<gateway::Gateway> gateway_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<kafka::Producer> producer_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<sink::RegistrySink> sink_;
  std::unique_ptr<court_source::CourtSource> court_source_;
};

// The plaintext control: the same kcat check finds every personal ID of an unsealed envelope,
// so its silence on the product topics below means something.
TEST_F(KafkaEncryptionTest, KcatCheckFindsPersonalIdsInAnUnsealedValue) {
  auto e = store::testing::Envelope(fx::DivorceDecision(), rv1::ACTION_SUBMIT, "control");
  auto r = fx::RunProgram({"kcat", "-P", "-b", bootstrap(), "-t", kPlaintextControlTopic, "-k",
                           e.business_key()},
                          e.SerializeAsString());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string raw = KcatRaw(kPlaintextControlTopic);
  EXPECT_THAT(raw, HasSubstr("079194001234"));
  EXPECT_THAT(raw, HasSubstr("001090005678"));
  EXPECT_THAT(raw, HasSubstr("Nguyễn Thị Lan"));
}

TEST_F(KafkaEncryptionTest, KcatReadsNoPersonalIdOnAnyTopicFromGatewaySinkOrCourtSource) {
  UseKeyring("keyring", "active = k2026\n" + KeyLine("k2026", 'a'));
  ASSERT_NO_FATAL_FAILURE(StartGateway());
  for (int i = 0; i < 5; ++i) {
    ASSERT_NO_FATAL_FAILURE(SubmitBirth("GCS-2026-00010" + std::to_string(i)));
    ASSERT_NO_FATAL_FAILURE(SubmitDeath("GBT-2026-00020" + std::to_string(i)));
  }
  ASSERT_NO_FATAL_FAILURE(SubmitDivorce("12/2026/QĐST-HNGĐ", 1));
  // A registration, as the registry service produces it (the father, of Hà Nội, left out).
  auto birth_registration = fx::BirthRegistration();
  birth_registration.mutable_other_persons()->RemoveLast();
  auto registration =
      store::testing::Envelope(birth_registration, rv1::ACTION_SUBMIT, "reg-1");
  Produce({kafka_.topic_registrations, registration.business_key(),
           registration.SerializeAsString(), records::HeadersOf(registration)});

  // Every value on the record topics is sealed under the active key and says so in a header.
  for (const auto& topic : {kafka_.topic_births, kafka_.topic_deaths, kafka_.topic_divorces,
                            kafka_.topic_registrations}) {
    for (const auto& m : fx::ReadTopic(bootstrap(), topic)) {
      auto parts = crypto::ParseSealed(m.raw_value);
      ASSERT_TRUE(parts.has_value()) << topic << " offset " << m.offset << " is not sealed";
      EXPECT_EQ(parts->key_id, "k2026");
      EXPECT_EQ(Header(m, crypto::kKeyIdHeader), "k2026");
    }
  }

  // The sink, knowing only Hồ Chí Minh City, applies the births and the registration
  // (Hồ Chí Minh City) and dead-letters the deaths and the divorce (people of Hà Nội).
  OpenDatabase("crvs.db");
  auto reference = OnlyHoChiMinhCity();
  StartSink(&reference, "crvs-registry-sink");
  ASSERT_TRUE(WaitFor([&] { return Count("SELECT count(*) FROM records") == 6; }))
      << Count("SELECT count(*) FROM records");
  ASSERT_TRUE(WaitFor([&] { return Count("SELECT count(*) FROM dead_letters") == 6; }))
      << ::testing::PrintToString(Rows("SELECT original_topic, error_class FROM dead_letters"))
      << ::testing::PrintToString(Rows("SELECT business_key, state FROM records"))
      << MessageCount(kafka_.topic_divorces) << " divorces on the topic";
  EXPECT_EQ(Count("SELECT count(*) FROM dead_letters WHERE error_class = 'VALIDATION'"), 6);

  // The court-source dead-letters a change event it cannot map; the event (the court's own
  // topic, written by its Debezium) carries both spouses' IDs and names in plain JSON.
  nlohmann::json row = {{"id", 7},
                        {"court_code", "TA79001"},
                        {"decision_no", "7/2026/QĐST-HNGĐ"},
                        {"decision_type", "NOT_A_KIND"},
                        {"decision_date", "2026-09-01"},
                        {"spouse1_personal_id", "001090005678"},
                        {"spouse1_full_name", "Trần Văn Minh"},
                        {"spouse1_sex", "NAM"},
                        {"spouse1_birth_date", "1990-07-01"},
                        {"spouse2_personal_id", "079194001234"},
                        {"spouse2_full_name", "Nguyễn Thị Lan"},
                        {"spouse2_sex", "NU"},
                        {"spouse2_birth_date", "1994-03-12"}};
  nlohmann::json event = {{"before", nullptr},
                          {"after", row},
                          {"source", {{"lsn", 100}, {"ts_ms", 1794700800000}}},
                          {"op", "c"},
                          {"ts_ms", 1794700800020}};
  auto kcat = fx::RunProgram({"kcat", "-P", "-b", bootstrap(), "-t", court_.input_topic, "-k",
                              R"({"id":7})"},
                             event.dump());
  ASSERT_EQ(kcat.exit_code, 0) << kcat.err;
  ASSERT_THAT(KcatRaw(court_.input_topic), HasSubstr("079194001234"))
      << "the court's own change stream is plaintext: the control for the dead letter below";
  auto source = court_source::CourtSource::Start(court_, kafka_, bootstrap(),
                                                 {&Producer(), &reference, &court_metrics_});
  ASSERT_TRUE(source.ok()) << source.status();
  court_source_ = std::move(*source);
  ASSERT_TRUE(WaitFor([&] { return MessageCount(kafka_.topic_dead_letters) == 7; }))
      << MessageCount(kafka_.topic_dead_letters);
  for (const auto& m : fx::ReadTopic(bootstrap(), kafka_.topic_dead_letters)) {
    EXPECT_TRUE(crypto::IsSealed(m.raw_value)) << "dead letter " << m.key << " is not sealed";
    EXPECT_EQ(Header(m, crypto::kKeyIdHeader), "k2026");
  }

  // Raw bytes of every product topic (the court's input topic is the court's, not ours).
  for (const auto& topic : kafka_.AllTopics()) ExpectNoPersonalData(topic);
  EXPECT_THAT(KcatRaw(kafka_.topic_dead_letters), HasSubstr("crvs-dlq-error-class=MAPPING"));
}

TEST_F(KafkaEncryptionTest, RotationKeepsOldRecordsReadableAndALostKeyIsNamedNotLost) {
  const std::string k1 = KeyLine("k1", '1');
  const std::string k2 = KeyLine("k2", '2');
  // Before the rotation: k1 seals.
  UseKeyring("ring-k1", "active = k1\n" + k1);
  for (int i = 0; i < 20; ++i) ProduceNotice("OLD-" + std::to_string(i));
  producer_.reset();
  // The rotation: k2 added to every ring and activated; k1 kept for the records still on the
  // topics.
  UseKeyring("ring-k1-k2", "active = k2\n" + k1 + k2);
  for (int i = 0; i < 30; ++i) ProduceNotice("NEW-" + std::to_string(i));
  std::map<std::string, int> by_key_id;
  for (const auto& m : fx::ReadTopic(bootstrap(), kafka_.topic_deaths)) {
    ++by_key_id[Header(m, crypto::kKeyIdHeader)];
  }
  EXPECT_EQ(by_key_id, (std::map<std::string, int>{{"k1", 20}, {"k2", 30}}));

  // A sink with the rotated ring applies every record, old and new.
  OpenDatabase("rotated.db");
  const auto& reference = validation::ReferenceData::Default();
  StartSink(&reference, "sink-rotated");
  ASSERT_TRUE(WaitFor([&] { return Count("SELECT count(*) FROM records") == 50; }))
      << Count("SELECT count(*) FROM records");
  EXPECT_EQ(Count("SELECT count(*) FROM dead_letters"), 0);
  sink_.reset();

  // A sink whose ring lost k1 too early: the 20 old records become dead letters naming k1 (the
  // pipeline keeps moving), the 30 new ones apply.
  producer_.reset();
  UseKeyring("ring-k2", "active = k2\n" + k2);
  OpenDatabase("lost-k1.db");
  StartSink(&reference, "sink-lost-k1");
  ASSERT_TRUE(WaitFor([&] {
    return Count("SELECT count(*) FROM records") == 30 &&
           Count("SELECT count(*) FROM dead_letters") == 20;
  })) << Count("SELECT count(*) FROM records") << " records, "
      << Count("SELECT count(*) FROM dead_letters") << " dead letters";
  auto letters = Rows("SELECT DISTINCT error_class, error_message FROM dead_letters");
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0][0], sink::kErrorDecrypt);
  EXPECT_THAT(letters[0][1], HasSubstr("unknown key id 'k1'"));
  ASSERT_TRUE(WaitFor([&] { return MessageCount(kafka_.topic_dead_letters) == 20; }));
  for (const auto& m : fx::ReadTopic(bootstrap(), kafka_.topic_dead_letters)) {
    EXPECT_EQ(Header(m, "crvs-dlq-error-class"), sink::kErrorDecrypt);
    EXPECT_EQ(Header(m, crypto::kKeyIdHeader), "k1");  // passed through, still sealed
  }
  ExpectNoPersonalData(kafka_.topic_dead_letters);
  ExpectNoPersonalData(kafka_.topic_deaths);

  // The console shows such a dead letter as sealed, naming the key it needs.
  auto letter = store_->GetDeadLetter(Count("SELECT min(id) FROM dead_letters"));
  ASSERT_TRUE(letter.ok()) << letter.status();
  auto view = console::DeadLetterDetailJson(admin::ToProto(*letter));
  EXPECT_EQ(view["sealed_key_id"], "k1");
  EXPECT_TRUE(view["envelope"].is_null());
  EXPECT_THAT(view["envelope_error"].get<std::string>(), HasSubstr("sealed with key id 'k1'"));

  // The stored dead letter keeps the sealed bytes: once k1 is back in the ring (and the letter
  // replayed), it opens again.
  auto payloads = Rows("SELECT kafka_key, payload FROM dead_letters LIMIT 1");
  ASSERT_EQ(payloads.size(), 1u);
  crypto::Keyring restored;
  ASSERT_TRUE(restored.Add("k1", std::string(crypto::kKeyBytes, '1')).ok());
  ASSERT_TRUE(restored.SetActive("k1").ok());
  auto opened = crypto::PayloadCipher(restored).Open(payloads[0][1], payloads[0][0]);
  ASSERT_TRUE(opened.ok()) << opened.status();
  rv1::RecordEnvelope envelope;
  ASSERT_TRUE(envelope.ParseFromString(*opened));
  EXPECT_EQ(envelope.death_notice().deceased().personal_id().number(), "001052003456");
}

}  // namespace
}  // namespace crvs
