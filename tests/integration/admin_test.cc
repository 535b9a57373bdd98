// The admin service end to end in one process: the real registry sink consuming librdkafka's
// mock cluster into a real SQLite database, the connector control topic, and the Admin gRPC
// service an operator (or the console) calls. Every effect is checked in the database or on
// the topics, never by asking the service what it did.
#include <gmock/gmock.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>

#include "connectors/kafka/connector_control.h"
#include "connectors/kafka/embedded_broker.h"
#include "connectors/kafka/producer.h"
#include "connectors/registry_sink/registry_sink.h"
#include "crvs/admin/v1/admin.grpc.pb.h"
#include "services/admin/admin.h"
#include "services/console/console.h"
#include "services/operators/accounts.h"
#include "services/records/records.h"
#include "services/store/sql.h"
#include "services/store/store.h"
#include "services/store/store_test_util.h"
#include "services/validation/reference_data.h"
#include "tests/support/fixtures.h"
#include "tests/support/status_matchers.h"

namespace crvs {
namespace {

namespace av1 = ::crvs::admin::v1;
namespace rv1 = ::crvs::records::v1;
namespace fx = ::crvs::testing;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kOperator[] = "operator:lan";
constexpr char kPassword[] = "mật khẩu đủ dài 2026";

// The provinces reference data without Hà Nội (personal-ID prefix 001, province 01): records
// of people registered there fail the domain rules until the reference data is fixed.
validation::ReferenceData ReferenceWithoutHanoi() {
  std::ifstream in(std::string(CRVS_SOURCE_DIR) + "/deploy/reference/provinces.csv");
  std::stringstream kept;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("01,", 0) != 0) kept << line << "\n";
  }
  auto ref = validation::ReferenceData::FromCsv(kept.str(), "provinces-without-hanoi.csv");
  EXPECT_TRUE(ref.ok()) << ref.status();
  return *ref;
}

class AdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("crvs_admin_test_" + std::to_string(::getpid()) + "_" + std::to_string(++counter));
    std::filesystem::create_directories(dir_);
    db_.url = "sqlite:" + (dir_ / "crvs.db").string();
    auto opened = store::Store::Open(db_);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
    auto broker = kafka::EmbeddedBroker::Start({1, 3, Topics()});
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = std::move(*broker);
    auto producer = kafka::Producer::Create(kafka_, {}, broker_->bootstrap_servers());
    ASSERT_TRUE(producer.ok());
    producer_ = std::move(*producer);
    admin::AdminConfig config;
    config.listen = "127.0.0.1:0";
    config.plaintext = true;
    auto admin = admin::Admin::Start(config, kafka_, {}, broker_->bootstrap_servers(),
                                     {store_.get(), &metrics_, sink_.group_id, "crvs-court-source",
                                      "court.cdc"});
    ASSERT_TRUE(admin.ok()) << admin.status();
    admin_ = std::move(*admin);
    stub_ = av1::Admin::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(admin_->port()), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    StopSink();
    admin_.reset();
    store_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::vector<std::string> Topics() const {
    auto topics = kafka_.AllTopics();
    topics.push_back("court.cdc");
    return topics;
  }

  // A sink with its control, as `crvs sink` runs it.
  void StartSink(const validation::ReferenceData* reference) {
    auto sink = sink::RegistrySink::Start(sink_, kafka_, broker_->bootstrap_servers(),
                                          {store_.get(), producer_.get(), reference, &sink_metrics_});
    ASSERT_TRUE(sink.ok()) << sink.status();
    sink_runner_ = std::move(*sink);
    auto* raw = sink_runner_.get();
    auto control = kafka::ConnectorControl::Start(
        kafka_, broker_->bootstrap_servers(), "registry-sink", producer_.get(),
        {[raw](bool pause) { pause ? raw->Pause() : raw->Resume(); },
         [raw] { return raw->paused(); }, [raw] { return raw->NotReady(); }});
    ASSERT_TRUE(control.ok());
    control_ = std::move(*control);
  }
  void StopSink() {
    control_.reset();
    sink_runner_.reset();
  }

  // Produces death notices as the gateway would.
  void Produce(const std::vector<rv1::RecordEnvelope>& envelopes) {
    std::vector<std::future<absl::Status>> done;
    for (const auto& e : envelopes) {
      auto promise = std::make_shared<std::promise<absl::Status>>();
      done.push_back(promise->get_future());
      ASSERT_TRUE(producer_
                      ->Produce({kafka_.topic_deaths, e.business_key(), e.SerializeAsString(),
                                 records::HeadersOf(e)},
                                [promise](const kafka::Delivery& d) { promise->set_value(d.status); })
                      .ok());
    }
    for (auto& f : done) ASSERT_TRUE(f.get().ok());
  }

  rv1::RecordEnvelope Notice(const std::string& no, const std::string& message_id) {
    auto e = store::testing::Envelope(fx::DeathNotice(no), rv1::ACTION_SUBMIT, message_id);
    *e.mutable_received_at() = google::protobuf::util::TimeUtil::GetCurrentTime();
    return e;
  }

  int64_t Count(const std::string& sql) {
    int64_t n = -1;
    EXPECT_TRUE(store_
                    ->Read([&](store::sql::Connection& c) -> absl::Status {
                      auto rows = c.Execute(sql, {});
                      if (!rows.ok()) return rows.status();
                      n = rows->at(0).at(0).AsInt();
                      return absl::OkStatus();
                    })
                    .ok());
    return n;
  }
  bool WaitForCount(const std::string& sql, int64_t want) {
    for (int i = 0; i < 150; ++i) {
      if (Count(sql) == want) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  std::unique_ptr<grpc::ClientContext> As(const std::string& principal,
                                          const std::string& on_behalf_of = "") {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("crvs-principal", principal);
    if (!on_behalf_of.empty()) ctx->AddMetadata("crvs-on-behalf-of", on_behalf_of);
    return ctx;
  }

  av1::PipelineStatus Status() {
    av1::PipelineStatus status;
    av1::GetPipelineStatusRequest request;
    request.set_kind(rv1::RECORD_KIND_DEATH_NOTICE);
    grpc::Status st = stub_->GetPipelineStatus(As(kOperator).get(), request, &status);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return status;
  }
  static int64_t TotalLag(const av1::PipelineStatus& s) {
    int64_t lag = 0;
    for (const auto& p : s.partitions()) lag += p.lag_messages();
    return lag;
  }

  std::filesystem::path dir_;
  store::DatabaseConfig db_;
  kafka::KafkaConfig kafka_;
  sink::SinkConfig sink_;
  prometheus::Registry metrics_, sink_metrics_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<kafka::EmbeddedBroker> broker_;
  std::unique_ptr<kafka::Producer> producer_;
  std::unique_ptr<admin::Admin> admin_;
  std::unique_ptr<av1::Admin::Stub> stub_;
  std::unique_ptr<sink::RegistrySink> sink_runner_;
  std::unique_ptr<kafka::ConnectorControl> control_;
};

// 30 notices wait in the topic before any sink runs: lag 30 messages, with an age; once the
// sink ran, lag 0 and the committed offsets (from the database) reach the high watermarks.
TEST_F(AdminTest, PipelineStatusShowsLagInMessagesAndSeconds) {
  std::vector<rv1::RecordEnvelope> notices;
  for (int i = 0; i < 30; ++i) notices.push_back(Notice("L" + std::to_string(i), "l-" + std::to_string(i)));
  Produce(notices);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  av1::PipelineStatus before = Status();
  ASSERT_EQ(before.partitions_size(), 3);  // deaths topic, 3 partitions
  EXPECT_EQ(TotalLag(before), 30);
  for (const auto& p : before.partitions()) {
    EXPECT_EQ(p.topic(), kafka_.topic_deaths);
    EXPECT_EQ(p.committed_offset(), -1);
    if (p.lag_messages() > 0) {
      EXPECT_GE(p.lag_seconds(), 1.0) << p.partition();
    }
  }

  StartSink(&validation::ReferenceData::Default());
  ASSERT_TRUE(WaitForCount("SELECT COUNT(*) FROM records", 30));
  av1::PipelineStatus after = Status();
  EXPECT_EQ(TotalLag(after), 0);
  for (const auto& p : after.partitions()) {
    EXPECT_EQ(p.committed_offset(), p.high_watermark());
    EXPECT_EQ(p.lag_seconds(), 0.0);
    EXPECT_FALSE(p.behind_log_start());
  }
  EXPECT_EQ(after.open_dead_letters(), 0);

  // Operators only.
  av1::PipelineStatus denied;
  grpc::Status st = stub_->GetPipelineStatus(As("facility:BV01002").get(),
                                             av1::GetPipelineStatusRequest(), &denied);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(AdminTest, PauseStopsTheSinkAndResumeCatchesUp) {
  StartSink(&validation::ReferenceData::Default());
  Produce({Notice("P0", "p-0")});
  ASSERT_TRUE(WaitForCount("SELECT COUNT(*) FROM records", 1));

  av1::PauseConnectorRequest pause;
  pause.set_name("registry-sink");
  av1::ConnectorStatus state;
  grpc::Status st = stub_->PauseConnector(As(kOperator).get(), pause, &state);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(state.state(), av1::CONNECTOR_STATE_PAUSED);

  Produce({Notice("P1", "p-1"), Notice("P2", "p-2")});
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM records"), 1) << "a paused sink applied records";
  av1::PipelineStatus paused = Status();
  EXPECT_EQ(TotalLag(paused), 2);
  for (const auto& p : paused.partitions()) EXPECT_TRUE(p.paused());
  ASSERT_EQ(paused.connectors_size(), 1);
  EXPECT_EQ(paused.connectors(0).name(), "registry-sink");
  EXPECT_EQ(paused.connectors(0).state(), av1::CONNECTOR_STATE_PAUSED);

  av1::ResumeConnectorRequest resume;
  resume.set_name("registry-sink");
  st = stub_->ResumeConnector(As(kOperator).get(), resume, &state);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(state.state(), av1::CONNECTOR_STATE_RUNNING);
  EXPECT_TRUE(WaitForCount("SELECT COUNT(*) FROM records", 3));

  pause.set_name("no-such-connector");
  st = stub_->PauseConnector(As(kOperator).get(), pause, &state);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  pause.set_name("registry-sink");
  st = stub_->PauseConnector(As("facility:BV01002").get(), pause, &state);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

// A notice of a person registered in Hà Nội fails while the sink's reference data lacks Hà Nội;
// the reference data is fixed (the sink restarted with the full file) and the operator replays
// the dead letter: it lands exactly once, and cannot be replayed twice.
TEST_F(AdminTest, ReplayAfterTheCauseIsFixedLandsOnce) {
  const validation::ReferenceData broken = ReferenceWithoutHanoi();
  StartSink(&broken);
  Produce({Notice("R1", "r-1")});
  ASSERT_TRUE(WaitForCount("SELECT COUNT(*) FROM dead_letters WHERE state = 'OPEN'", 1));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM records"), 0);

  av1::ListDeadLettersResponse list;
  av1::ListDeadLettersRequest all;
  ASSERT_TRUE(stub_->ListDeadLetters(As(kOperator).get(), all, &list).ok());
  ASSERT_EQ(list.dead_letters_size(), 1);
  const int64_t id = list.dead_letters(0).id();
  EXPECT_EQ(list.dead_letters(0).error_class(), "VALIDATION");

  StopSink();
  StartSink(&validation::ReferenceData::Default());  // the fix

  av1::DiscardDeadLetterRequest discard;
  discard.set_id(id);
  av1::DeadLetter letter;
  grpc::Status st = stub_->DiscardDeadLetter(As(kOperator).get(), discard, &letter);
  EXPECT_THAT(fx::ViolatedFields(st), ElementsAre("reason"));

  // The replay goes through the operators' dashboard API, as an operator clicks it: signed in
  // as lan, the console (operator:console, a delegate) calls the Admin service for lan.
  operators::Accounts accounts(*store_);
  ASSERT_TRUE(accounts.Add("lan", operators::Role::kOperator, "", kPassword, "system:test",
                           absl::Now())
                  .ok());
  console::ConsoleConfig console_config;
  console_config.listen = "127.0.0.1:0";
  console_config.admin_address = "127.0.0.1:" + std::to_string(admin_->port());
  console_config.metrics_urls = {"http://127.0.0.1:1/metrics"};  // lag figures not used here
  console::ConsoleDeps console_deps;
  console_deps.store = store_.get();
  auto console = console::Console::Start(console_config, std::move(console_deps));
  ASSERT_TRUE(console.ok()) << console.status();
  httplib::Client web("127.0.0.1", (*console)->port());
  auto signed_in = web.Post("/api/session",
                            nlohmann::json{{"name", "lan"}, {"password", kPassword}}.dump(),
                            "application/json");
  ASSERT_TRUE(signed_in);
  ASSERT_EQ(signed_in->status, 200) << signed_in->body;
  const std::string cookie = signed_in->get_header_value("Set-Cookie");
  const httplib::Headers session = {
      {"Cookie", cookie.substr(0, cookie.find(';'))},
      {"X-CSRF-Token", nlohmann::json::parse(signed_in->body)["csrf_token"].get<std::string>()}};
  const std::string replay_path = "/api/dead-letters/" + std::to_string(id) + "/replay";
  const std::string body = nlohmann::json{{"note", "Hà Nội restored in the reference data"}}.dump();
  auto replayed = web.Post(replay_path.c_str(), session, body, "application/json");
  ASSERT_TRUE(replayed) << "console unreachable";
  ASSERT_EQ(replayed->status, 200) << replayed->body;
  EXPECT_EQ(nlohmann::json::parse(replayed->body).value("state", ""), "replayed")
      << replayed->body;
  ASSERT_TRUE(WaitForCount("SELECT COUNT(*) FROM records", 1));
  ASSERT_TRUE(stub_->GetDeadLetter(As(kOperator).get(), [&] {
    av1::GetDeadLetterRequest r;
    r.set_id(id);
    return r;
  }(), &letter).ok());
  EXPECT_EQ(letter.state(), av1::DEAD_LETTER_STATE_REPLAYED);
  EXPECT_EQ(letter.resolved_by(), kOperator);
  EXPECT_THAT(letter.resolution_note(), HasSubstr("Hà Nội restored"));

  // Replayed once: a second click is refused (409) and nothing more lands.
  auto again = web.Post(replay_path.c_str(), session, body, "application/json");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 409) << again->body;
  av1::ReplayDeadLetterRequest replay;
  replay.set_id(id);
  st = stub_->ReplayDeadLetter(As(kOperator).get(), replay, &letter);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM records"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM record_versions"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM dead_letters WHERE state = 'OPEN'"), 0);
}

// Issue 17: role and province come from the operator's account. A provincial operator sees
// and resolves only its province's dead letters (by the commune of the death); a viewer
// cannot act; only a delegate (the console) may act for another operator, and only for one
// with an account.
TEST_F(AdminTest, RolesAndProvincesComeFromTheAccount) {
  operators::Accounts accounts(*store_);
  for (auto [name, role, province] :
       {std::tuple{"ha", operators::Role::kOperator, "01"},
        std::tuple{"vy", operators::Role::kViewer, ""}}) {
    ASSERT_TRUE(accounts.Add(name, role, province, kPassword, "system:test", absl::Now()).ok());
  }
  const validation::ReferenceData broken = ReferenceWithoutHanoi();
  StartSink(&broken);
  rv1::RecordEnvelope in_hanoi = Notice("P01", "p-01");  // died in 00004, Ba Đình (01)
  rv1::RecordEnvelope in_79 = Notice("P79", "p-79");
  in_79.mutable_death_notice()->mutable_place_of_death()->set_commune_code("25747");  // 79
  Produce({in_hanoi, in_79});
  ASSERT_TRUE(WaitForCount("SELECT COUNT(*) FROM dead_letters WHERE state = 'OPEN'", 2));
  auto id_of = [&](const std::string& key_part) {
    return Count("SELECT id FROM dead_letters WHERE business_key LIKE '%" + key_part + "'");
  };
  const int64_t hanoi = id_of("P01"), hcmc = id_of("P79");

  av1::ListDeadLettersResponse seen;
  ASSERT_TRUE(stub_->ListDeadLetters(As("operator:ha").get(), {}, &seen).ok());
  ASSERT_EQ(seen.dead_letters_size(), 1);
  EXPECT_EQ(seen.dead_letters(0).id(), hanoi);
  EXPECT_TRUE(seen.dead_letters(0).payload().empty()) << "not asked for: not given";
  seen.Clear();
  ASSERT_TRUE(stub_->ListDeadLetters(As(kOperator).get(), {}, &seen).ok());  // no account: national
  EXPECT_EQ(seen.dead_letters_size(), 2);

  av1::DeadLetter letter;
  av1::GetDeadLetterRequest get;
  get.set_id(hcmc);
  EXPECT_EQ(stub_->GetDeadLetter(As("operator:ha").get(), get, &letter).error_code(),
            grpc::StatusCode::NOT_FOUND);
  av1::DiscardDeadLetterRequest discard;
  discard.set_id(hcmc);
  discard.set_reason("not ours");
  EXPECT_EQ(stub_->DiscardDeadLetter(As("operator:ha").get(), discard, &letter).error_code(),
            grpc::StatusCode::NOT_FOUND);
  av1::ReplayDeadLetterRequest replay;
  replay.set_id(hcmc);
  EXPECT_EQ(stub_->ReplayDeadLetter(As("operator:ha").get(), replay, &letter).error_code(),
            grpc::StatusCode::NOT_FOUND);
  av1::PauseConnectorRequest pause;
  pause.set_name("registry-sink");
  av1::ConnectorStatus connector;
  grpc::Status st = stub_->PauseConnector(As("operator:ha").get(), pause, &connector);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(st.error_message(), HasSubstr("national operators"));

  // A viewer reads, and cannot act.
  replay.set_id(hanoi);
  st = stub_->ReplayDeadLetter(As("operator:vy").get(), replay, &letter);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(st.error_message(), HasSubstr("operator:vy has the role viewer"));

  // Acting for another: only from tls.delegates (operator:console by default), only for an
  // account.
  st = stub_->ListDeadLetters(As(kOperator, "operator:ha").get(), {}, &seen);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  st = stub_->ListDeadLetters(As("operator:console", "operator:ghost").get(), {}, &seen);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  discard.set_id(hanoi);
  discard.set_reason("a training record");
  ASSERT_TRUE(
      stub_->DiscardDeadLetter(As("operator:console", "operator:ha").get(), discard, &letter).ok());
  EXPECT_EQ(letter.resolved_by(), "operator:ha");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_log WHERE actor = 'operator:ha' AND "
                  "action = 'dead_letter.discarded'"),
            1);
}

// Before registry writes had their own path through the store, a refused registration became
// a CONFLICT dead letter at "registry-api", a topic nobody consumes: replaying it produced the
// registration there and marked the letter REPLAYED, and the registration was lost. Such
// letters, still in databases written by those versions, are refused: the office must resend.
TEST_F(AdminTest, ADeadLetterOfARegistrationWrittenThroughTheApiIsNotReplayed) {
  store::ApplyBatch batch;
  store::FailedMessage refused;
  refused.message.topic_partition = {store::Topic("registry-api"), store::Partition(0)};
  refused.message.offset = store::Offset(4242424242);
  refused.message.key = "registration/26734/01%2F2026/123";
  refused.message.value = "an envelope";
  refused.error_class = "CONFLICT";
  refused.error_message = "SUBMIT with different content for existing business key";
  refused.business_key = refused.message.key;
  refused.source = "registry_office:26734";
  refused.message_id = "26734-2";
  batch.failures.push_back(refused);
  ASSERT_TRUE(store_->Apply(batch).ok());
  const int64_t id = Count("SELECT MAX(id) FROM dead_letters");

  av1::ReplayDeadLetterRequest replay;
  replay.set_id(id);
  av1::DeadLetter letter;
  grpc::Status st = stub_->ReplayDeadLetter(As(kOperator).get(), replay, &letter);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << st.error_message();
  EXPECT_THAT(st.error_message(), HasSubstr("written through the registry API"));
  EXPECT_THAT(st.error_message(), HasSubstr("the office must resend"));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM dead_letters WHERE state = 'OPEN'"), 1);

  // It can still be discarded, with the operator's reason.
  av1::DiscardDeadLetterRequest discard;
  discard.set_id(id);
  discard.set_reason("refused registration; the office was told and resent it");
  ASSERT_TRUE(stub_->DiscardDeadLetter(As(kOperator).get(), discard, &letter).ok());
  EXPECT_EQ(letter.state(), av1::DEAD_LETTER_STATE_DISCARDED);
}

}  // namespace
}  // namespace crvs
