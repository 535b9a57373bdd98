// Operator actions reach the audit trail through the real services: the Admin gRPC service
// (discard, replay, pause, resume) and the Reconciliation service (re-send requests, manifests),
// each over a real SQLite database and librdkafka's mock cluster. The rows are read back from
// the database and the chain is verified.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "connectors/kafka/connector_control.h"
#include "connectors/kafka/embedded_broker.h"
#include "connectors/kafka/producer.h"
#include "crvs/admin/v1/admin.grpc.pb.h"
#include "crvs/reconcile/v1/reconciliation.grpc.pb.h"
#include "services/admin/admin.h"
#include "services/platform/status.h"
#include "services/reconcile/reconciler.h"
#include "services/store/audit.h"
#include "services/store/store.h"

namespace crvs {
namespace {

namespace av1 = ::crvs::admin::v1;
namespace rc = ::crvs::reconcile::v1;
namespace rv1 = ::crvs::records::v1;
using ::testing::AllOf;
using ::testing::HasSubstr;

class AuditTrailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("crvs_audit_trail_test_" + std::to_string(::getpid()) + "_" +
            std::to_string(++counter));
    std::filesystem::create_directories(dir_);
    store::DatabaseConfig db;
    db.url = "sqlite:" + (dir_ / "crvs.db").string();
    auto opened = store::Store::Open(db);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
    auto topics = kafka_.AllTopics();
    topics.push_back("court.cdc");
    auto broker = kafka::EmbeddedBroker::Start({1, 3, topics});
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = std::move(*broker);
  }
  void TearDown() override {
    store_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  static std::unique_ptr<grpc::ClientContext> As(const std::string& principal) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("crvs-principal", principal);
    return ctx;
  }

  std::vector<store::AuditRow> RowsOf(const std::string& action) {
    std::vector<store::AuditRow> rows;
    absl::Status read = store_->Read([&](store::sql::Connection& c) -> absl::Status {
      CRVS_ASSIGN_OR_RETURN(auto all, store::ListAudit(c, 0, 10000));
      for (auto& r : all) {
        if (r.action == action) rows.push_back(std::move(r));
      }
      return absl::OkStatus();
    });
    EXPECT_TRUE(read.ok()) << read;
    return rows;
  }

  bool ChainIntact() {
    store::AuditVerifyResult v;
    absl::Status read = store_->Read([&](store::sql::Connection& c) -> absl::Status {
      CRVS_ASSIGN_OR_RETURN(v, store::VerifyAudit(c));
      return absl::OkStatus();
    });
    EXPECT_TRUE(read.ok()) << read;
    EXPECT_TRUE(v.intact) << v.problem;
    return v.intact;
  }

  std::filesystem::path dir_;
  kafka::KafkaConfig kafka_;
  prometheus::Registry metrics_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<kafka::EmbeddedBroker> broker_;
};

TEST_F(AuditTrailTest, AdminDiscardReplayPauseAndResumeAreAuditedWithTheOperator) {
  // Two undecodable messages on the death-notice topic became dead letters 1 and 2.
  store::ApplyBatch batch;
  batch.group = store::ConsumerGroup("crvs-registry-sink");
  for (int64_t offset : {0, 1}) {
    store::FailedMessage f;
    f.message.topic_partition = {store::Topic(kafka_.topic_deaths), store::Partition(0)};
    f.message.offset = store::Offset(offset);
    f.message.key = "death/BV01002/X" + std::to_string(offset);
    f.message.value = "\xff not an envelope";
    f.error_class = "DECODE";
    f.error_message = "not a crvs.records.v1.RecordEnvelope";
    f.business_key = f.message.key;
    batch.failures.push_back(f);
  }
  ASSERT_TRUE(store_->Apply(batch).ok());

  auto producer = kafka::Producer::Create(kafka_, {}, broker_->bootstrap_servers());
  ASSERT_TRUE(producer.ok()) << producer.status();
  // A connector that obeys pause / resume, as the sink's control does.
  std::atomic<bool> paused{false};
  auto control = kafka::ConnectorControl::Start(
      kafka_, broker_->bootstrap_servers(), "registry-sink", producer->get(),
      {[&](bool pause) { paused = pause; }, [&] { return paused.load(); },
       [] { return std::string(); }});
  ASSERT_TRUE(control.ok()) << control.status();
  admin::AdminConfig config;
  config.listen = "127.0.0.1:0";
  config.plaintext = true;
  auto admin = admin::Admin::Start(config, kafka_, {}, broker_->bootstrap_servers(),
                                   {store_.get(), &metrics_, "crvs-registry-sink",
                                    "crvs-court-source", "court.cdc"});
  ASSERT_TRUE(admin.ok()) << admin.status();
  auto stub = av1::Admin::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string((*admin)->port()), grpc::InsecureChannelCredentials()));

  av1::DeadLetter letter;
  av1::DiscardDeadLetterRequest discard;
  discard.set_id(1);
  discard.set_reason("test bytes from a broken client");
  grpc::Status st = stub->DiscardDeadLetter(As("operator:lan").get(), discard, &letter);
  ASSERT_TRUE(st.ok()) << st.error_message();
  av1::ReplayDeadLetterRequest replay;
  replay.set_id(2);
  replay.set_operator_note("client fixed");
  st = stub->ReplayDeadLetter(As("operator:minh").get(), replay, &letter);
  ASSERT_TRUE(st.ok()) << st.error_message();
  // Refused calls leave no trace.
  st = stub->DiscardDeadLetter(As("facility:BV01002").get(), discard, &letter);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  st = stub->ReplayDeadLetter(As("operator:minh").get(), replay, &letter);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  av1::ConnectorStatus state;
  av1::PauseConnectorRequest pause;
  pause.set_name("registry-sink");
  // The admin service knows the connector once its first state report arrived.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  do {
    st = stub->PauseConnector(As("operator:lan").get(), pause, &state);
    if (st.error_code() != grpc::StatusCode::NOT_FOUND) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  } while (std::chrono::steady_clock::now() < give_up);
  ASSERT_TRUE(st.ok()) << st.error_message();
  av1::ResumeConnectorRequest resume;
  resume.set_name("registry-sink");
  st = stub->ResumeConnector(As("operator:lan").get(), resume, &state);
  ASSERT_TRUE(st.ok()) << st.error_message();

  auto discarded = RowsOf("dead_letter.discarded");
  ASSERT_EQ(discarded.size(), 1u);
  EXPECT_EQ(discarded[0].actor, "operator:lan");
  EXPECT_EQ(discarded[0].subject, "dead_letter/1");
  EXPECT_THAT(discarded[0].detail, HasSubstr("note=\"test bytes from a broken client\""));
  auto replayed = RowsOf("dead_letter.replayed");
  ASSERT_EQ(replayed.size(), 1u);
  EXPECT_EQ(replayed[0].actor, "operator:minh");
  EXPECT_EQ(replayed[0].subject, "dead_letter/2");
  EXPECT_THAT(replayed[0].detail,
              AllOf(HasSubstr("error_class=DECODE"), HasSubstr("business_key=death/BV01002/X1"),
                    HasSubstr("note=\"replayed to " + kafka_.topic_deaths),
                    HasSubstr(": client fixed\"")));
  auto paused_rows = RowsOf("connector.paused");
  ASSERT_EQ(paused_rows.size(), 1u);
  EXPECT_EQ(paused_rows[0].actor, "operator:lan");
  EXPECT_EQ(paused_rows[0].subject, "connector/registry-sink");
  EXPECT_EQ(paused_rows[0].detail, "state=CONNECTOR_STATE_PAUSED");
  auto resumed = RowsOf("connector.resumed");
  ASSERT_EQ(resumed.size(), 1u);
  EXPECT_EQ(resumed[0].detail, "state=CONNECTOR_STATE_RUNNING");
  EXPECT_EQ(RowsOf("dead_letter.opened").size(), 2u);
  EXPECT_TRUE(ChainIntact());
}

TEST_F(AuditTrailTest, ResendRequestsAndManifestsAreAuditedWithTheCaller) {
  reconcile::ReconcileConfig config;
  config.listen = "127.0.0.1:0";
  config.plaintext = true;
  auto reconciler = reconcile::Reconciler::Start(config, kafka_, {}, broker_->bootstrap_servers(),
                                                 {store_.get(), &metrics_});
  ASSERT_TRUE(reconciler.ok()) << reconciler.status();
  auto stub = rc::Reconciliation::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string((*reconciler)->port()),
                          grpc::InsecureChannelCredentials()));

  rc::RequestResendRequest resend;
  resend.mutable_source()->set_kind(common::v1::PRINCIPAL_KIND_FACILITY);
  resend.mutable_source()->set_code("BV79001");
  resend.add_business_keys("birth/BV79001/C1");
  resend.add_business_keys("birth/BV79001/C2");
  resend.set_reason("missing from the database; mother 079194001234");
  rc::RequestResendResponse ids;
  grpc::Status st = stub->RequestResend(As("operator:lan").get(), resend, &ids);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(ids.request_ids_size(), 2);
  st = stub->RequestResend(As("facility:BV79001").get(), resend, &ids);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);

  auto requested = RowsOf("resend.requested");
  ASSERT_EQ(requested.size(), 2u);
  EXPECT_EQ(requested[0].actor, "operator:lan");
  EXPECT_EQ(requested[0].subject, "birth/BV79001/C1");
  EXPECT_THAT(requested[0].detail,
              AllOf(HasSubstr("source=facility:BV79001 request_id=" + ids.request_ids(0)),
                    HasSubstr("reason=\"missing from the database; mother 079*******34\"")));
  EXPECT_EQ(requested[1].subject, "birth/BV79001/C2");

  rc::Manifest manifest;
  manifest.set_manifest_id("2026-10");
  manifest.set_kind(rv1::RECORD_KIND_BIRTH_CERTIFICATE);
  for (auto [field, day] : {std::pair{manifest.mutable_period_start(), 1},
                            std::pair{manifest.mutable_period_end(), 31}}) {
    field->set_year(2026);
    field->set_month(10);
    field->set_day(day);
  }
  rc::ManifestEntry* entry = manifest.add_entries();
  entry->set_business_key("birth/BV79001/C1");
  entry->mutable_issued_at()->set_seconds(1792800000);  // 2026-10-24T00:00:00Z
  rc::ManifestAck ack;
  st = stub->DeclareManifest(As("facility:BV79001").get(), manifest, &ack);
  ASSERT_TRUE(st.ok()) << st.error_message();
  auto declared = RowsOf("manifest.declared");
  ASSERT_EQ(declared.size(), 1u);
  EXPECT_EQ(declared[0].actor, "facility:BV79001");
  EXPECT_EQ(declared[0].subject, "manifest/facility:BV79001/2026-10");
  EXPECT_EQ(declared[0].detail,
            "kind=BIRTH_CERTIFICATE period=2026-10-01..2026-10-31 backlog=false entries=1 "
            "replaced=false");
  EXPECT_TRUE(ChainIntact());
}

}  // namespace
}  // namespace crvs
