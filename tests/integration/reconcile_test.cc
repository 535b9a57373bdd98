// The reconciliation service end to end in one process: a real gRPC server, a real SQLite
// civil-status database filled the way the sink fills it (Store::Apply), and librdkafka's mock
// cluster for the resync topic and the live indicator feed. Every count is worked out by hand
// in the test that asserts it.
#include <gmock/gmock.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "connectors/kafka/embedded_broker.h"
#include "connectors/kafka/topic_follower.h"
#include "crvs/reconcile/v1/reconciliation.grpc.pb.h"
#include "services/gateway/resend_inbox.h"
#include "services/reconcile/digest.h"
#include "services/operators/accounts.h"
#include "services/reconcile/reconciler.h"
#include "services/records/records.h"
#include "services/store/store.h"
#include "services/store/store_test_util.h"
#include "tests/support/fixtures.h"
#include "tests/support/postgres_server.h"
#include "tests/support/status_matchers.h"

namespace crvs {
namespace {

namespace common = ::crvs::common::v1;
namespace rv1 = ::crvs::records::v1;
namespace rc = ::crvs::reconcile::v1;
namespace fx = ::crvs::testing;
using google::protobuf::util::TimeUtil;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

constexpr char kFacility[] = "facility:BV79001";
constexpr char kOtherFacility[] = "facility:BV01002";
constexpr char kOperator[] = "operator:lan";

google::protobuf::Timestamp Ts(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

common::LocalDate Local(absl::CivilDay d) {
  common::LocalDate out;
  out.set_year(static_cast<int>(d.year()));
  out.set_month(d.month());
  out.set_day(d.day());
  return out;
}

absl::CivilDay Today() { return absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(7 * 3600)); }

// A birth certificate of BV79001 issued at `issued` (the child born an hour before).
rv1::BirthCertificate Birth(const std::string& no, absl::Time issued) {
  rv1::BirthCertificate b = fx::BirthCertificate(no);
  *b.mutable_child()->mutable_born_at() = fx::LocalTime(Rfc3339(issued - absl::Hours(1)));
  *b.mutable_issued_at() = Ts(issued);
  return b;
}

class ReconcileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("crvs_reconcile_test_" + std::to_string(::getpid()) + "_" + std::to_string(++counter));
    std::filesystem::create_directories(dir_);
    store::DatabaseConfig db;
    db.url = DatabaseUrl();
    if (db.url.empty()) return;  // DatabaseUrl failed the test
    auto opened = store::Store::Open(db);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
    auto broker = kafka::EmbeddedBroker::Start({1, 3, kafka_.AllTopics()});
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = std::move(*broker);
    config_.listen = "127.0.0.1:0";
    config_.plaintext = true;
    config_.feed_interval = std::chrono::milliseconds(200);
    auto reconciler = reconcile::Reconciler::Start(config_, kafka_, {}, broker_->bootstrap_servers(),
                                                   {store_.get(), &metrics_});
    ASSERT_TRUE(reconciler.ok()) << reconciler.status();
    reconciler_ = std::move(*reconciler);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(reconciler_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = rc::Reconciliation::NewStub(channel_);
  }
  // The database every test of the fixture runs on; SQLite here.
  virtual std::string DatabaseUrl() { return "sqlite:" + (dir_ / "crvs.db").string(); }

  void TearDown() override {
    reconciler_.reset();
    store_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::unique_ptr<grpc::ClientContext> As(const std::string& principal,
                                          const std::string& on_behalf_of = "") {
    auto ctx = std::make_unique<grpc::ClientContext>();
    if (!principal.empty()) ctx->AddMetadata("crvs-principal", principal);
    if (!on_behalf_of.empty()) ctx->AddMetadata("crvs-on-behalf-of", on_behalf_of);
    return ctx;
  }

  // The live-feed scenario, shared by the SQLite and PostgreSQL fixtures.
  void RunLiveIndicatorFeedMovesWhenARecordLands();

  // Applies envelopes as the sink would, one batch, with a consumed offset.
  void Apply(const std::vector<rv1::RecordEnvelope>& envelopes) {
    store::ApplyBatch batch;
    batch.group = store::ConsumerGroup("crvs-sink");
    for (const auto& e : envelopes) {
      batch.records.push_back(store::testing::Inbound(e, "t", 0, next_offset_++));
    }
    batch.offsets.push_back({{store::Topic("t"), store::Partition(0)}, store::Offset(next_offset_)});
    auto applied = store_->Apply(batch);
    ASSERT_TRUE(applied.ok()) << applied.status();
  }

  rc::Manifest BirthManifest(const std::string& id) {
    rc::Manifest m;
    m.set_manifest_id(id);
    m.set_kind(rv1::RECORD_KIND_BIRTH_CERTIFICATE);
    *m.mutable_period_start() = Local(Today() - 3);
    *m.mutable_period_end() = Local(Today());
    return m;
  }

  static void AddEntry(rc::Manifest& m, const std::string& no, const std::string& hash,
                       absl::Time issued) {
    rc::ManifestEntry* e = m.add_entries();
    e->set_business_key("birth/BV79001/" + no);
    e->set_content_hash(hash);
    *e->mutable_issued_at() = Ts(issued);
  }

  std::filesystem::path dir_;
  kafka::KafkaConfig kafka_;
  reconcile::ReconcileConfig config_;
  prometheus::Registry metrics_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<kafka::EmbeddedBroker> broker_;
  std::unique_ptr<reconcile::Reconciler> reconciler_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<rc::Reconciliation::Stub> stub_;
  int64_t next_offset_ = 0;
};

// Four certificates in the database: C1 on time, C2 committed 30 h after its declared issue
// (late), C3 with content other than declared (mismatch), C5 undeclared (extra). The
// manifest declares C1..C4: C4 never arrived (missing).
//   declared 4, present 3 (C1 C2 C3), on time 2 (C1 C3), mismatch 1 (C3), missing 1 (C4),
//   extra 1 (C5); coverage 75 %, on time 50 %.
TEST_F(ReconcileTest, ManifestCoverageAndGaps) {
  const absl::Time now = absl::Now();
  std::vector<rv1::RecordEnvelope> envelopes;
  std::map<std::string, std::string> hash;
  for (const std::string no : {"C1", "C2", "C3", "C5"}) {
    auto e = store::testing::Envelope(Birth(no, now - absl::Hours(2)), rv1::ACTION_SUBMIT, "m-" + no);
    hash[no] = e.content_hash();
    envelopes.push_back(e);
  }
  Apply(envelopes);

  rc::Manifest m = BirthManifest("births-week");
  AddEntry(m, "C1", hash["C1"], now - absl::Hours(2));
  AddEntry(m, "C2", hash["C2"], now - absl::Hours(30));
  AddEntry(m, "C3", std::string(32, 'x'), now - absl::Hours(2));
  AddEntry(m, "C4", "", now - absl::Hours(2));
  rc::ManifestAck ack;
  grpc::Status st = stub_->DeclareManifest(As(kFacility).get(), m, &ack);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(ack.entries(), 4);
  EXPECT_FALSE(ack.replaced());
  EXPECT_EQ(ack.summary().present(), 3);
  EXPECT_EQ(ack.summary().missing(), 1);

  rc::CoverageRequest request;
  *request.mutable_period_start() = Local(Today() - 30);
  *request.mutable_period_end() = Local(Today());
  rc::CoverageReport report;
  st = stub_->GetCoverage(As(kFacility).get(), request, &report);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(report.rows_size(), 1);
  const rc::CoverageRow& row = report.rows(0);
  EXPECT_EQ(records::FormatPrincipal(row.source()), kFacility);
  EXPECT_EQ(row.kind(), rv1::RECORD_KIND_BIRTH_CERTIFICATE);
  EXPECT_EQ(row.declared(), 4);
  EXPECT_EQ(row.present(), 3);
  EXPECT_EQ(row.present_on_time(), 2);
  EXPECT_EQ(row.content_mismatch(), 1);
  EXPECT_EQ(row.missing(), 1);
  EXPECT_EQ(row.extra(), 1);
  EXPECT_DOUBLE_EQ(row.coverage_percent(), 75.0);
  EXPECT_DOUBLE_EQ(row.on_time_percent(), 50.0);
  EXPECT_EQ(report.total().declared(), 4);

  rc::GapsRequest gaps_request;
  *gaps_request.mutable_period_start() = request.period_start();
  *gaps_request.mutable_period_end() = request.period_end();
  auto ctx = As(kOperator);
  auto reader = stub_->ListGaps(ctx.get(), gaps_request);
  std::vector<std::pair<std::string, rc::GapKind>> gaps;
  rc::Gap gap;
  while (reader->Read(&gap)) {
    gaps.push_back({gap.business_key(), gap.kind()});
    if (gap.kind() != rc::GAP_KIND_EXTRA) {
      EXPECT_EQ(gap.manifest_id(), "births-week");
    }
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_THAT(gaps, ElementsAre(Pair("birth/BV79001/C2", rc::GAP_KIND_LATE),
                                Pair("birth/BV79001/C3", rc::GAP_KIND_CONTENT_MISMATCH),
                                Pair("birth/BV79001/C4", rc::GAP_KIND_MISSING),
                                Pair("birth/BV79001/C5", rc::GAP_KIND_EXTRA)));

  // Re-declaring the same id replaces it: now only C1 is declared.
  rc::Manifest again = BirthManifest("births-week");
  AddEntry(again, "C1", hash["C1"], now - absl::Hours(2));
  st = stub_->DeclareManifest(As(kFacility).get(), again, &ack);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_TRUE(ack.replaced());
  st = stub_->GetCoverage(As(kFacility).get(), request, &report);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(report.rows(0).declared(), 1);
  EXPECT_EQ(report.rows(0).extra(), 3);  // C2, C3, C5
}

// A current-month manifest grown day by day: declared for its first days with C1, then
// extended (append) to today with C2 and a corrected C1; a third append may not move the
// period's start or shrink it. C5, in the database and never declared, is extra once the
// extended period covers its day.
TEST_F(ReconcileTest, AnAppendExtendsAManifestWithoutRedeclaringIt) {
  const absl::Time now = absl::Now();
  std::map<std::string, std::string> hash;
  std::vector<rv1::RecordEnvelope> envelopes;
  for (const std::string no : {"C1", "C2", "C5"}) {
    auto e = store::testing::Envelope(Birth(no, now - absl::Hours(2)), rv1::ACTION_SUBMIT, "m-" + no);
    hash[no] = e.content_hash();
    envelopes.push_back(e);
  }
  Apply(envelopes);

  rc::Manifest first = BirthManifest("births-month");
  *first.mutable_period_end() = Local(Today() - 1);  // the days so far, not today's
  AddEntry(first, "C1", std::string(32, 'x'), now - absl::Hours(2));
  rc::ManifestAck ack;
  grpc::Status st = stub_->DeclareManifest(As(kFacility).get(), first, &ack);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(ack.entries(), 1);
  EXPECT_FALSE(ack.extended());

  rc::Manifest more = BirthManifest("births-month");  // period_end: today
  more.set_append(true);
  AddEntry(more, "C2", hash["C2"], now - absl::Hours(2));
  AddEntry(more, "C1", hash["C1"], now - absl::Hours(2));  // corrects C1's hash
  st = stub_->DeclareManifest(As(kFacility).get(), more, &ack);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_TRUE(ack.extended());
  EXPECT_FALSE(ack.replaced());
  EXPECT_EQ(ack.entries(), 2) << "the whole manifest: C1 and C2";
  EXPECT_EQ(ack.summary().present(), 2);
  EXPECT_EQ(ack.summary().content_mismatch(), 0) << "the appended C1 replaced the first";

  rc::CoverageRequest request;
  *request.mutable_period_start() = Local(Today() - 30);
  *request.mutable_period_end() = Local(Today());
  rc::CoverageReport report;
  st = stub_->GetCoverage(As(kFacility).get(), request, &report);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(report.rows_size(), 1);
  EXPECT_EQ(report.rows(0).declared(), 2);
  EXPECT_EQ(report.rows(0).present(), 2);
  EXPECT_EQ(report.rows(0).extra(), 1);  // C5: its day is covered now

  rc::Manifest shrink = BirthManifest("births-month");
  shrink.set_append(true);
  *shrink.mutable_period_end() = Local(Today() - 2);
  st = stub_->DeclareManifest(As(kFacility).get(), shrink, &ack);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(st.error_message(), HasSubstr("an append may only extend the period"));
  rc::Manifest moved = BirthManifest("births-month");
  moved.set_append(true);
  *moved.mutable_period_start() = Local(Today() - 2);
  st = stub_->DeclareManifest(As(kFacility).get(), moved, &ack);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(st.error_message(), HasSubstr("an append keeps its kind, backlog_inventory and "
                                            "period_start"));
}

TEST_F(ReconcileTest, BadManifestsNameTheField) {
  rc::Manifest m = BirthManifest("bad one!");
  AddEntry(m, "C1", "", absl::Now());
  m.mutable_entries(0)->set_business_key("birth/BV01002/C1");  // another facility's key
  m.add_entries()->set_business_key("birth/BV79001/C2");      // no issued_at
  m.mutable_entries(1)->set_content_hash("short");
  rc::ManifestAck ack;
  grpc::Status st = stub_->DeclareManifest(As(kFacility).get(), m, &ack);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(fx::ViolatedFields(st),
              ElementsAre("manifest_id", "entries[0].business_key", "entries[1].content_hash",
                          "entries[1].issued_at"));

  // Overlapping, not equal, periods of the same source and kind are refused.
  rc::Manifest first = BirthManifest("w1");
  ASSERT_TRUE(stub_->DeclareManifest(As(kFacility).get(), first, &ack).ok());
  rc::Manifest overlapping = BirthManifest("w2");
  *overlapping.mutable_period_start() = Local(Today() - 10);
  *overlapping.mutable_period_end() = Local(Today() - 2);
  st = stub_->DeclareManifest(As(kFacility).get(), overlapping, &ack);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(st.error_message(), HasSubstr("overlaps manifest w1"));

  // Identity and rights.
  st = stub_->DeclareManifest(As("").get(), first, &ack);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  rc::Manifest for_other = BirthManifest("w3");
  for_other.mutable_source()->set_kind(common::PRINCIPAL_KIND_FACILITY);
  for_other.mutable_source()->set_code("BV01002");
  st = stub_->DeclareManifest(As(kFacility).get(), for_other, &ack);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  st = stub_->DeclareManifest(As(kOperator).get(), BirthManifest("w4"), &ack);
  EXPECT_THAT(fx::ViolatedFields(st), ElementsAre("source"));
  rc::CoverageRequest other;
  *other.mutable_source() = for_other.source();
  *other.mutable_period_start() = Local(Today());
  *other.mutable_period_end() = Local(Today());
  rc::CoverageReport report;
  st = stub_->GetCoverage(As(kFacility).get(), other, &report);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

// The synchronous services answered INTERNAL (no message) to bytes that do not parse.
TEST_F(ReconcileTest, UnparseableRequestBytesAreInvalidArgumentNotInternal) {
  grpc::GenericStub generic(channel_);
  const std::string serialized = BirthManifest("m1").SerializeAsString();
  auto ctx = As(kFacility);
  grpc::Slice slice(serialized.substr(0, serialized.size() - 3));
  grpc::ByteBuffer request(&slice, 1), response;
  std::promise<grpc::Status> done;
  generic.UnaryCall(ctx.get(), "/crvs.reconcile.v1.Reconciliation/DeclareManifest",
                    grpc::StubOptions(), &request, &response,
                    [&](grpc::Status s) { done.set_value(s); });
  grpc::Status st = done.get_future().get();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << st.error_message();
  EXPECT_THAT(st.error_message(),
              HasSubstr("not a valid crvs.reconcile.v1.Reconciliation/DeclareManifest request"));
}

TEST_F(ReconcileTest, StreamedManifestOfManyChunks) {
  const absl::Time now = absl::Now();
  auto ctx = As(kFacility);
  rc::ManifestAck ack;
  auto writer = stub_->DeclareManifestStream(ctx.get(), &ack);
  rc::ManifestChunk first;
  *first.mutable_header() = BirthManifest("stream-1");
  int n = 0;
  for (; n < 10000; ++n) {
    AddEntry(*first.mutable_header(), "S" + std::to_string(n), "", now);
  }
  ASSERT_TRUE(writer->Write(first));
  for (int chunk = 0; chunk < 2; ++chunk) {
    rc::ManifestChunk next;
    for (int i = 0; i < 7500; ++i, ++n) {
      rc::ManifestEntry* e = next.add_entries();
      e->set_business_key("birth/BV79001/S" + std::to_string(n % 24000));  // 1,000 repeats
      *e->mutable_issued_at() = Ts(now);
    }
    ASSERT_TRUE(writer->Write(next));
  }
  ASSERT_TRUE(writer->WritesDone());
  grpc::Status st = writer->Finish();
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(ack.entries(), 24000);
  EXPECT_EQ(ack.duplicate_entries(), 1000);
  EXPECT_EQ(ack.summary().missing(), 24000);
}

TEST_F(ReconcileTest, ResendRequestsReachTheGatewaysPullCall) {
  // A gateway's inbox follows the resync topic the reconciler publishes on.
  auto producer = kafka::Producer::Create(kafka_, {}, broker_->bootstrap_servers());
  ASSERT_TRUE(producer.ok());
  auto inbox = gateway::ResendInbox::Start(kafka_, broker_->bootstrap_servers(), producer->get());
  ASSERT_TRUE(inbox.ok());

  rc::RequestResendRequest request;
  request.mutable_source()->set_kind(common::PRINCIPAL_KIND_FACILITY);
  request.mutable_source()->set_code("BV79001");
  request.add_business_keys("birth/BV79001/C4");
  request.add_business_keys("death/BV79001/N9");
  request.set_reason("declared in manifest births-week, not received");
  rc::RequestResendResponse response;
  grpc::Status st = stub_->RequestResend(As(kFacility).get(), request, &response);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  st = stub_->RequestResend(As(kOperator).get(), request, &response);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(response.request_ids_size(), 2);

  // Asked again: the open requests are reused.
  rc::RequestResendResponse again;
  ASSERT_TRUE(stub_->RequestResend(As(kOperator).get(), request, &again).ok());
  EXPECT_EQ(again.request_ids(0), response.request_ids(0));
  EXPECT_EQ(again.request_ids(1), response.request_ids(1));

  std::vector<ingest::v1::ResendRequest> pulled;
  for (int i = 0; i < 100 && pulled.size() < 2; ++i) {
    pulled = (*inbox)->Pull(kFacility, 10, {});
    if (pulled.size() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(pulled.size(), 2u);
  EXPECT_EQ(pulled[0].business_key(), "birth/BV79001/C4");
  EXPECT_EQ(pulled[0].kind(), rv1::RECORD_KIND_BIRTH_CERTIFICATE);
  EXPECT_EQ(pulled[1].kind(), rv1::RECORD_KIND_DEATH_NOTICE);
  EXPECT_EQ(pulled[0].reason(), request.reason());

  // A key of another source is refused, naming it.
  request.add_business_keys("birth/BV01002/X");
  st = stub_->RequestResend(As(kOperator).get(), request, &response);
  EXPECT_THAT(fx::ViolatedFields(st), ElementsAre("business_keys[2]"));
}

// The facility compares its inventory of 3,000 certificates with the database's 2,999 over
// gRPC: one missing, one with other content and one the facility does not list.
TEST_F(ReconcileTest, DigestComparisonOverGrpc) {
  const absl::Time now = absl::Now();
  std::vector<rv1::RecordEnvelope> envelopes;
  std::vector<rc::ManifestEntry> inventory;
  for (int i = 0; i < 3000; ++i) {
    auto e = store::testing::Envelope(Birth("D" + std::to_string(i), now - absl::Hours(1)),
                             rv1::ACTION_SUBMIT, "d-" + std::to_string(i));
    rc::ManifestEntry entry;
    entry.set_business_key(e.business_key());
    entry.set_content_hash(i == 7 ? std::string(32, 'z') : e.content_hash());
    inventory.push_back(entry);
    if (i != 42) envelopes.push_back(e);
  }
  envelopes.push_back(store::testing::Envelope(Birth("unlisted", now - absl::Hours(1)), rv1::ACTION_SUBMIT,
                                      "d-unlisted"));
  Apply(envelopes);

  reconcile::DigestIndex mine(inventory, false);
  rc::DigestRequest base;
  base.set_kind(rv1::RECORD_KIND_BIRTH_CERTIFICATE);
  *base.mutable_period_start() = Local(Today() - 1);
  *base.mutable_period_end() = Local(Today());
  auto diff = reconcile::CompareWithServer(
      mine, base, [&](const rc::DigestRequest& r) -> absl::StatusOr<rc::DigestResponse> {
        rc::DigestResponse response;
        grpc::Status st = stub_->CompareDigest(As(kFacility).get(), r, &response);
        if (!st.ok()) return FromGrpcStatus(st);
        return response;
      });
  ASSERT_TRUE(diff.ok()) << diff.status();
  EXPECT_THAT(diff->only_here, ElementsAre("birth/BV79001/D42"));
  EXPECT_THAT(diff->only_there, ElementsAre("birth/BV79001/unlisted"));
  EXPECT_THAT(diff->hash_differs, ElementsAre("birth/BV79001/D7"));
  EXPECT_LE(diff->calls, 4);

  rc::DigestRequest bad = base;
  bad.set_depth(9);
  rc::DigestResponse response;
  grpc::Status st = stub_->CompareDigest(As(kFacility).get(), bad, &response);
  EXPECT_THAT(fx::ViolatedFields(st), ElementsAre("depth"));
}

// The live feed: a death notice lands, and within seconds a snapshot shows it (D5 counts the
// notices issued this year).
TEST_F(ReconcileTest, LiveIndicatorFeedMovesWhenARecordLands) {
  RunLiveIndicatorFeedMovesWhenARecordLands();
}

void ReconcileTest::RunLiveIndicatorFeedMovesWhenARecordLands() {
  std::mutex mu;
  std::vector<nlohmann::json> snapshots;
  auto follower = kafka::TopicFollower::Start(
      kafka_, broker_->bootstrap_servers(), kafka_.topic_indicators,
      [&](const kafka::FollowedMessage& m) {
        EXPECT_EQ(m.headers.at("crvs-schema"), reconcile::kSnapshotSchema);
        std::lock_guard<std::mutex> lock(mu);
        snapshots.push_back(nlohmann::json::parse(m.value));
      });
  ASSERT_TRUE(follower.ok());
  auto d5_denominator = [&](const nlohmann::json& snapshot) -> int64_t {
    for (const auto& v : snapshot.at("values")) {
      if (v.at("id") == "D5" && v.value("breakdown_key", "") == "") return v.at("denominator");
    }
    return -1;
  };
  auto wait_for = [&](int64_t want) {
    for (int i = 0; i < 100; ++i) {
      {
        std::lock_guard<std::mutex> lock(mu);
        if (!snapshots.empty() && d5_denominator(snapshots.back()) == want) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  };
  ASSERT_TRUE(wait_for(0)) << "no first snapshot within 10 s";

  const absl::Time now = absl::Now();
  rv1::DeathNotice notice = fx::DeathNotice("GBT-live");
  notice.mutable_key()->set_facility_code("BV79001");
  *notice.mutable_died_at() = fx::LocalTime(Rfc3339(now - absl::Hours(2)));
  *notice.mutable_issued_at() = Ts(now - absl::Hours(1));
  const absl::Time landed = absl::Now();
  Apply({store::testing::Envelope(notice, rv1::ACTION_SUBMIT, "live-1")});
  ASSERT_TRUE(wait_for(1)) << "the feed did not move within 10 s";
  EXPECT_LT(absl::Now() - landed, absl::Seconds(10));
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(snapshots.back().at("period"), std::to_string(Today().year()));
}

// Regression: on PostgreSQL the feed failed every 2 s ("unsupported result type oid 1700":
// SUM over a BIGINT column is NUMERIC there). The same feed test on a real PostgreSQL server.
class ReconcileTestPostgres : public ReconcileTest {
 protected:
  std::string DatabaseUrl() override {
    auto server = testing::PostgresServer::Start();
    EXPECT_TRUE(server.ok()) << server.status();
    if (!server.ok()) return "";
    postgres_ = std::move(*server);
    auto uri = postgres_->CreateDatabase("reconcile_test");
    EXPECT_TRUE(uri.ok()) << uri.status();
    return uri.ok() ? *uri : "";
  }
  void TearDown() override {
    ReconcileTest::TearDown();
    postgres_.reset();
  }
  std::unique_ptr<testing::PostgresServer> postgres_;
};

TEST_F(ReconcileTestPostgres, LiveIndicatorFeedMovesWhenARecordLands) {
  ASSERT_NE(store_, nullptr);
  RunLiveIndicatorFeedMovesWhenARecordLands();
}

// Silent sources: BV01002 sent hourly until 7 hours ago (cadence 1 h, quiet 7 h > 3 × 1 h);
// BV79001 sent hourly until a minute ago.
TEST_F(ReconcileTest, SilentSourcesAreListedForOperators) {
  const absl::Time now = absl::Now();
  std::vector<rv1::RecordEnvelope> envelopes;
  for (int i = 0; i < 5; ++i) {
    rv1::DeathNotice quiet = fx::DeathNotice("Q" + std::to_string(i));
    auto e = store::testing::Envelope(quiet, rv1::ACTION_SUBMIT, "q-" + std::to_string(i));
    *e.mutable_received_at() = Ts(now - absl::Hours(11 - i));
    envelopes.push_back(e);
    auto busy = store::testing::Envelope(Birth("B" + std::to_string(i), now - absl::Hours(5)),
                                rv1::ACTION_SUBMIT, "b-" + std::to_string(i));
    *busy.mutable_received_at() = Ts(now - absl::Hours(4 - i) - absl::Minutes(1));
    envelopes.push_back(busy);
  }
  Apply(envelopes);
  rc::ListSilentSourcesResponse response;
  grpc::Status st =
      stub_->ListSilentSources(As(kFacility).get(), rc::ListSilentSourcesRequest(), &response);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  st = stub_->ListSilentSources(As(kOperator).get(), rc::ListSilentSourcesRequest(), &response);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(response.silent_sources_size(), 1);
  const rc::SilentSource& s = response.silent_sources(0);
  EXPECT_EQ(records::FormatPrincipal(s.source()), kOtherFacility);
  EXPECT_EQ(TimeUtil::DurationToSeconds(s.usual_cadence()), 3600);
  EXPECT_NEAR(TimeUtil::DurationToSeconds(s.quiet_for()), 7 * 3600, 60);
}

}  // namespace
// Indicators are computed for operators only (issue 17): a facility, a court, a registry office
// or a principal of no known kind is refused.
TEST_F(ReconcileTest, GetIndicatorsIsForOperatorsOnly) {
  rc::IndicatorsRequest request;
  request.set_period("2026");
  for (const char* caller : {kFacility, "court:TAND79", "registry_office:26734", "nobody:x"}) {
    rc::IndicatorReport report;
    grpc::Status st = stub_->GetIndicators(As(caller).get(), request, &report);
    EXPECT_TRUE(st.error_code() == grpc::StatusCode::PERMISSION_DENIED ||
                (std::string(caller) == "nobody:x" &&
                 st.error_code() == grpc::StatusCode::UNAUTHENTICATED))
        << caller << ": " << st.error_code() << " " << st.error_message();
    EXPECT_EQ(report.values_size(), 0) << caller;
  }
  rc::IndicatorReport report;
  grpc::Status st = stub_->GetIndicators(As(kOperator).get(), request, &report);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_GT(report.values_size(), 0);
}

// Issue 17: an operator's account confines it to its province; a viewer cannot ask for
// re-sends; the console acts for the signed-in operator, whose scope then applies.
TEST_F(ReconcileTest, ProvincialOperatorsSeeTheirProvinceOnly) {
  operators::Accounts accounts(*store_);
  ASSERT_TRUE(accounts.Add("ha", operators::Role::kOperator, "01", "mật khẩu đủ dài 2026",
                           "system:test", absl::Now())
                  .ok());
  ASSERT_TRUE(accounts.Add("vy", operators::Role::kViewer, "", "mật khẩu đủ dài 2026",
                           "system:test", absl::Now())
                  .ok());
  rc::IndicatorsRequest request;
  request.set_period("2026");
  request.set_province_code("79");
  rc::IndicatorReport report;
  grpc::Status st = stub_->GetIndicators(As("operator:ha").get(), request, &report);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << st.error_message();
  EXPECT_THAT(st.error_message(), ::testing::HasSubstr("works for province 01"));
  request.clear_province_code();
  for (auto* ctx : {As("operator:ha").release(), As("operator:console", "operator:ha").release()}) {
    std::unique_ptr<grpc::ClientContext> owned(ctx);
    report.Clear();
    st = stub_->GetIndicators(owned.get(), request, &report);
    ASSERT_TRUE(st.ok()) << st.error_message();
    ASSERT_GT(report.values_size(), 0);
    for (const auto& v : report.values()) EXPECT_EQ(v.area(), "01") << v.id();
  }
  // A national operator (no account: a certificate of our CA) still sees the country.
  report.Clear();
  ASSERT_TRUE(stub_->GetIndicators(As(kOperator).get(), request, &report).ok());
  EXPECT_EQ(report.values(0).area(), "VN");

  rc::CoverageRequest coverage;
  *coverage.mutable_period_start() = Local(Today() - 3);
  *coverage.mutable_period_end() = Local(Today());
  coverage.set_province_code("79");
  rc::CoverageReport covered;
  EXPECT_EQ(stub_->GetCoverage(As("operator:ha").get(), coverage, &covered).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  rc::RequestResendRequest resend;
  resend.mutable_source()->set_kind(::crvs::common::v1::PRINCIPAL_KIND_FACILITY);
  resend.mutable_source()->set_code("BV79001");
  resend.add_business_keys("birth/BV79001/GCS-1");
  resend.set_reason("missing");
  rc::RequestResendResponse resent;
  st = stub_->RequestResend(As("operator:vy").get(), resend, &resent);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(st.error_message(), ::testing::HasSubstr("viewer"));
  // Only a delegate may act for another.
  st = stub_->GetIndicators(As("operator:vy", "operator:ha").get(), request, &report);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace crvs
