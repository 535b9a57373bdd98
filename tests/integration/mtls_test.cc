// Mutual TLS and authorization, for real: a gateway and an admin service started in-process
// with certificates made by `crvs certs`'s code in a scratch directory, the embedded broker
// (librdkafka's mock cluster), and clients that connect the way integrators do (MakeChannel).
// What reached Kafka is read back by an independent consumer, never asked of the gateway.
#include <gmock/gmock.h>
#include <google/rpc/error_details.pb.h>
#include <google/rpc/status.pb.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "connectors/kafka/embedded_broker.h"
#include "crvs/admin/v1/admin.grpc.pb.h"
#include "crvs/ingest/v1/court_ingest.grpc.pb.h"
#include "crvs/ingest/v1/health_ingest.grpc.pb.h"
#include "services/admin/admin.h"
#include "services/auth/certs.h"
#include "services/gateway/gateway.h"
#include "services/platform/grpc_client.h"
#include "services/platform/status.h"
#include "services/store/store.h"
#include "tests/integration/topic_reader.h"
#include "tests/support/fixtures.h"
#include "tests/support/scratch_dir.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_pki.h"

namespace crvs {
namespace {

using ingest::v1::IngestRequest;
using ingest::v1::Receipt;
using ::testing::HasSubstr;
namespace av1 = admin::v1;

constexpr const char* kCourtInput = "court.cdc";

// A birth certificate of facility BV79001 (testing::BirthCertificate's facility).
IngestRequest Birth(int i) {
  IngestRequest r;
  r.set_message_id("his-birth-" + std::to_string(i));
  r.set_action(records::v1::ACTION_SUBMIT);
  *r.mutable_birth_certificate() = testing::BirthCertificate("GCS-2026-" + std::to_string(700 + i));
  return r;
}

// A death notice of facility BV01002 (testing::DeathNotice's facility).
IngestRequest OtherFacilitysNotice() {
  IngestRequest r;
  r.set_message_id("his-death-1");
  r.set_action(records::v1::ACTION_SUBMIT);
  *r.mutable_death_notice() = testing::DeathNotice("GBT-2026-000001");
  return r;
}

ingest::v1::CourtIngestRequest Decision(uint64_t sequence) {
  ingest::v1::CourtIngestRequest r;
  r.set_sequence(sequence);
  r.set_message_id("court-" + std::to_string(sequence));
  r.set_action(records::v1::ACTION_SUBMIT);
  *r.mutable_decision() = testing::DivorceDecision(std::to_string(sequence) + "/2026/QĐST-HNGĐ");
  return r;
}

// The reason of the status's google.rpc.ErrorInfo, and its principal when it names one.
std::string ErrorInfoReason(const grpc::Status& status) {
  google::rpc::Status rpc;
  if (!rpc.ParseFromString(status.error_details())) return "";
  for (const auto& any : rpc.details()) {
    google::rpc::ErrorInfo info;
    if (any.type_url() == kErrorInfoTypeUrl && info.ParseFromString(any.value())) {
      auto principal = info.metadata().find("principal");
      return principal == info.metadata().end() ? info.reason()
                                                : info.reason() + " principal=" + principal->second;
    }
  }
  return "";
}

std::unique_ptr<grpc::ClientContext> Context() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  return ctx;
}

class MutualTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(certs_.ok() && foreign_.ok());
    server_tls_ = certs_.server();

    auto broker = kafka::EmbeddedBroker::Start({1, 3, Topics()});
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = std::move(*broker);
  }

  std::vector<std::string> Topics() const {
    auto topics = kafka_.AllTopics();
    topics.push_back(kCourtInput);
    return topics;
  }

  // A client certificate of our CA (or of the foreign one) for `principal`; whoever the client
  // is, it trusts our CA to identify the server.
  auth::TlsConfig Client(const std::string& principal, bool foreign = false) {
    return (foreign ? foreign_ : certs_).Client(principal, certs_.ca_file());
  }

  void StartGateway(double rate_per_second = 0, int burst = 0) {
    gateway::GatewayConfig config;
    config.listen = "127.0.0.1:0";
    config.plaintext = false;
    config.rate_limit_per_second = rate_per_second;
    config.rate_limit_burst = burst;
    kafka::ProducerConfig producer;
    producer.close_timeout = config::Duration(2000);
    auto gw = gateway::Gateway::Start(config, kafka_, producer, broker_->bootstrap_servers(),
                                      metrics_, server_tls_);
    ASSERT_TRUE(gw.ok()) << gw.status();
    gateway_ = std::move(*gw);
  }

  void StartAdmin() {
    db_.url = "sqlite:" + store_dir_.File("crvs.db");
    auto opened = store::Store::Open(db_);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
    admin::AdminConfig config;
    config.listen = "127.0.0.1:0";
    config.plaintext = false;
    auto admin = admin::Admin::Start(
        config, kafka_, {}, broker_->bootstrap_servers(),
        {store_.get(), &metrics_, "crvs-registry-sink", "crvs-court-source", kCourtInput},
        server_tls_);
    ASSERT_TRUE(admin.ok()) << admin.status();
    admin_ = std::move(*admin);
  }

  std::shared_ptr<grpc::Channel> Channel(int port, const auth::TlsConfig& tls) {
    auto channel = MakeChannel("127.0.0.1:" + std::to_string(port), tls, /*plaintext=*/false);
    EXPECT_THAT(channel, testing::IsOk());
    return channel.ok() ? *channel : nullptr;
  }

  std::unique_ptr<ingest::v1::HealthIngest::Stub> Health(const auth::TlsConfig& tls) {
    return ingest::v1::HealthIngest::NewStub(Channel(gateway_->port(), tls));
  }

  std::unique_ptr<av1::Admin::Stub> AdminStub(const auth::TlsConfig& tls) {
    return av1::Admin::NewStub(Channel(admin_->port(), tls));
  }

  size_t MessagesOn(const std::string& topic) {
    return testing::ReadTopic(broker_->bootstrap_servers(), topic).size();
  }

  testing::TestPki certs_{"crvs-mtls-ca"};
  testing::TestPki foreign_{"crvs-mtls-foreign"};
  testing::ScratchDir store_dir_{"crvs-mtls-db"};
  auth::TlsConfig server_tls_;
  kafka::KafkaConfig kafka_;
  prometheus::Registry metrics_;
  std::unique_ptr<kafka::EmbeddedBroker> broker_;
  std::unique_ptr<gateway::Gateway> gateway_;
  store::DatabaseConfig db_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<admin::Admin> admin_;
};

TEST_F(MutualTlsTest, NoClientCertificateIsUnauthenticatedNotAHandshakeFailure) {
  StartGateway();
  StartAdmin();
  const auth::TlsConfig anonymous{certs_.File("ca.crt"), "", ""};
  Receipt receipt;
  grpc::Status st = Health(anonymous)->Submit(Context().get(), Birth(1), &receipt);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED) << st.error_message();
  EXPECT_THAT(st.error_message(), HasSubstr("no client certificate"));

  av1::ListDeadLettersResponse letters;
  st = AdminStub(anonymous)->ListDeadLetters(Context().get(), {}, &letters);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED) << st.error_message();

  // Claiming an identity in metadata does not make up for the missing certificate.
  auto ctx = Context();
  ctx->AddMetadata("crvs-principal", "facility:BV79001");
  st = Health(anonymous)->Submit(ctx.get(), Birth(1), &receipt);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED) << st.error_message();
  EXPECT_EQ(MessagesOn(kafka_.topic_births), 0u);
}

TEST_F(MutualTlsTest, FacilitySubmitsOnlyItsOwnRecordsAndNothingElseReachesKafka) {
  StartGateway();
  auto stub = Health(Client("facility:BV79001"));

  Receipt receipt;
  grpc::Status st = stub->Submit(Context().get(), OtherFacilitysNotice(), &receipt);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << st.error_message();
  EXPECT_THAT(st.error_message(), HasSubstr("facility:BV79001"));
  EXPECT_THAT(st.error_message(), HasSubstr("BV01002"));
  EXPECT_EQ(MessagesOn(kafka_.topic_deaths), 0u);

  // The same certificate with metadata claiming to be the other facility: ignored under TLS.
  auto claiming = Context();
  claiming->AddMetadata("crvs-principal", "facility:BV01002");
  st = stub->Submit(claiming.get(), OtherFacilitysNotice(), &receipt);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << st.error_message();
  EXPECT_EQ(MessagesOn(kafka_.topic_deaths), 0u);

  st = stub->Submit(Context().get(), Birth(1), &receipt);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(receipt.state(), ingest::v1::RECEIPT_STATE_ACCEPTED);
  auto births = testing::ReadTopic(broker_->bootstrap_servers(), kafka_.topic_births);
  ASSERT_EQ(births.size(), 1u);
  EXPECT_EQ(births[0].headers.at("crvs-source"), "facility:BV79001");
}

TEST_F(MutualTlsTest, OperatorOnlyCallsRefuseAFacilityEvenWhenItsMetadataClaimsOperator) {
  StartAdmin();
  auto facility = AdminStub(Client("facility:BV79001"));
  av1::ListDeadLettersResponse letters;
  grpc::Status st = facility->ListDeadLetters(Context().get(), {}, &letters);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << st.error_message();

  auto claiming = Context();
  claiming->AddMetadata("crvs-principal", "operator:alice");
  av1::PauseConnectorRequest pause;
  pause.set_name("registry-sink");
  av1::ConnectorStatus connector;
  st = facility->PauseConnector(claiming.get(), pause, &connector);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << st.error_message();
  EXPECT_THAT(st.error_message(), HasSubstr("facility:BV79001"));

  st = AdminStub(Client("operator:alice"))->ListDeadLetters(Context().get(), {}, &letters);
  EXPECT_TRUE(st.ok()) << st.error_message();
}

TEST_F(MutualTlsTest, CertificateOfAnotherCaFailsTheHandshake) {
  StartGateway();
  StartAdmin();
  const auth::TlsConfig forged = Client("operator:mallory", /*foreign=*/true);
  av1::ListDeadLettersResponse letters;
  grpc::Status st = AdminStub(forged)->ListDeadLetters(Context().get(), {}, &letters);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE) << st.error_message();

  const auth::TlsConfig forged_facility = Client("facility:BV79001", /*foreign=*/true);
  Receipt receipt;
  st = Health(forged_facility)->Submit(Context().get(), Birth(1), &receipt);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE) << st.error_message();
  EXPECT_EQ(MessagesOn(kafka_.topic_births), 0u);
}

TEST_F(MutualTlsTest, PlaintextClientCannotTalkToATlsServer) {
  StartGateway();
  auto channel = MakeChannel("127.0.0.1:" + std::to_string(gateway_->port()), {}, true);
  ASSERT_THAT(channel, testing::IsOk());
  auto ctx = Context();
  ctx->AddMetadata("crvs-principal", "facility:BV79001");
  Receipt receipt;
  grpc::Status st =
      ingest::v1::HealthIngest::NewStub(*channel)->Submit(ctx.get(), Birth(1), &receipt);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE) << st.error_message();
  EXPECT_EQ(MessagesOn(kafka_.topic_births), 0u);
}

TEST_F(MutualTlsTest, ServerCertificateNamesNoCaller) {
  StartAdmin();
  // A service's own certificate (CN server:crvs) is valid but is not a caller.
  av1::ListDeadLettersResponse letters;
  grpc::Status st = AdminStub(server_tls_)->ListDeadLetters(Context().get(), {}, &letters);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << st.error_message();
  EXPECT_THAT(st.error_message(), HasSubstr("server:crvs"));
}

TEST_F(MutualTlsTest, MissingTlsFilesAreNamedWithTheWayToMakeThem) {
  gateway::GatewayConfig config;
  config.listen = "127.0.0.1:0";
  ASSERT_FALSE(config.plaintext) << "mutual TLS is the default";
  auto gw = gateway::Gateway::Start(config, kafka_, {}, broker_->bootstrap_servers(), metrics_,
                                    auth::TlsConfig{certs_.File("ca.crt"), "", ""});
  ASSERT_THAT(gw, testing::StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(gw.status().message()), HasSubstr("tls.cert_file, tls.key_file"));
  EXPECT_THAT(std::string(gw.status().message()), HasSubstr("crvs certs"));
  EXPECT_THAT(std::string(gw.status().message()), HasSubstr("gateway.plaintext"));

  auth::TlsConfig unreadable = server_tls_;
  unreadable.key_file = certs_.File("no-such.key");
  gw = gateway::Gateway::Start(config, kafka_, {}, broker_->bootstrap_servers(), metrics_,
                               unreadable);
  ASSERT_THAT(gw, testing::StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(std::string(gw.status().message()), HasSubstr("tls.key_file"));
}

TEST_F(MutualTlsTest, RequestOverTheSizeLimitIsRefusedAndNothingProduced) {
  StartGateway();  // gateway.max_message_bytes: 256 KiB by default
  IngestRequest big = Birth(1);
  big.set_reason(std::string(300 * 1024, 'x'));
  Receipt receipt;
  grpc::Status st =
      Health(Client("facility:BV79001"))->Submit(Context().get(), big, &receipt);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << st.error_message();
  EXPECT_EQ(MessagesOn(kafka_.topic_births), 0u);
}

TEST_F(MutualTlsTest, RateLimitRefusesPerPrincipalWithRateLimitedAndProducesNothingBeyond) {
  // 3 records at once, then one per 100 s: nothing refills during the test.
  StartGateway(/*rate_per_second=*/0.01, /*burst=*/3);
  auto stub = Health(Client("facility:BV79001"));
  Receipt receipt;
  for (int i = 1; i <= 3; ++i) {
    grpc::Status st = stub->Submit(Context().get(), Birth(i), &receipt);
    ASSERT_TRUE(st.ok()) << i << ": " << st.error_message();
  }
  grpc::Status st = stub->Submit(Context().get(), Birth(4), &receipt);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << st.error_message();
  EXPECT_THAT(st.error_message(), HasSubstr("facility:BV79001"));
  EXPECT_EQ(ErrorInfoReason(st), "RATE_LIMITED principal=facility:BV79001");

  // On a stream every record counts: each one over the limit gets a FAILED receipt (safe to
  // re-send later with the same message id) and the stream carries on.
  auto ctx = Context();
  auto stream = stub->SubmitStream(ctx.get());
  ASSERT_TRUE(stream->Write(Birth(5)));
  ASSERT_TRUE(stream->Write(Birth(6)));
  stream->WritesDone();
  int failed = 0;
  while (stream->Read(&receipt)) {
    EXPECT_EQ(receipt.state(), ingest::v1::RECEIPT_STATE_FAILED) << receipt.message_id();
    EXPECT_EQ(receipt.error().code(), static_cast<int>(grpc::StatusCode::RESOURCE_EXHAUSTED));
    ++failed;
  }
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(failed, 2);

  // Another principal has its own bucket.
  st = Health(Client("facility:BV01002"))->Submit(Context().get(), OtherFacilitysNotice(),
                                                  &receipt);
  EXPECT_TRUE(st.ok()) << st.error_message();

  // A court's stream ends at the first decision over the limit, after the ones before it.
  auto court = ingest::v1::CourtIngest::NewStub(Channel(gateway_->port(), Client("court:TA79001")));
  auto court_ctx = Context();
  ingest::v1::StreamDecisionsResponse response;
  auto decisions = court->StreamDecisions(court_ctx.get(), &response);
  for (uint64_t seq = 1; seq <= 5; ++seq) decisions->Write(Decision(seq));
  decisions->WritesDone();
  st = decisions->Finish();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << st.error_message();
  EXPECT_EQ(ErrorInfoReason(st), "RATE_LIMITED");

  EXPECT_EQ(MessagesOn(kafka_.topic_births), 3u);
  EXPECT_EQ(MessagesOn(kafka_.topic_deaths), 1u);
  EXPECT_EQ(MessagesOn(kafka_.topic_divorces), 3u);
}

}  // namespace
}  // namespace crvs
