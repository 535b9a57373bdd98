// The health ingest gateway end to end: a real gRPC server in-process, the embedded broker
// (librdkafka's mock cluster, real Kafka protocol), and checks made by an independent consumer
// or by kcat — never by asking the gateway what it did.
#include <google/protobuf/util/message_differencer.h>
#include <gmock/gmock.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <google/protobuf/unknown_field_set.h>

#include <future>
#include <map>
#include <set>
#include <thread>

#include "connectors/kafka/embedded_broker.h"
#include "crvs/ingest/v1/court_ingest.grpc.pb.h"
#include "crvs/ingest/v1/health_ingest.grpc.pb.h"
#include <google/rpc/error_details.pb.h>
#include <google/rpc/status.pb.h>
#include "services/crypto/payload_cipher.h"
#include "services/gateway/gateway.h"
#include "services/platform/metrics_server.h"
#include "services/records/records.h"
#include "tests/integration/topic_reader.h"
#include "tests/support/fixtures.h"
#include "tests/support/status_matchers.h"
#include "tests/support/subprocess.h"

namespace crvs {
namespace {

using google::protobuf::util::MessageDifferencer;
using ingest::v1::IngestRequest;
using ingest::v1::Receipt;
using ::testing::ElementsAre;
using ::testing::HasSubstr;


IngestRequest Notice(int i) {
  IngestRequest r;
  r.set_message_id("his-" + std::to_string(i));
  r.set_action(records::v1::ACTION_SUBMIT);
  *r.mutable_death_notice() = testing::DeathNotice("GBT-2026-" + std::to_string(100000 + i));
  return r;
}

class GatewayTest : public ::testing::Test {
 protected:
  void StartSystem(int queue_max_messages = 100000, int delivery_timeout_ms = 30000) {
    auto broker = kafka::EmbeddedBroker::Start({1, 4, kafka_.AllTopics()});
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = std::move(*broker);
    gateway::GatewayConfig config;
    config.listen = "127.0.0.1:0";
    config.plaintext = true;
    kafka::ProducerConfig producer;
    producer.queue_max_messages = queue_max_messages;
    producer.delivery_timeout = config::Duration(delivery_timeout_ms);
    producer.close_timeout = config::Duration(2000);
    auto gw = gateway::Gateway::Start(config, kafka_, producer, broker_->bootstrap_servers(),
                                      metrics_);
    ASSERT_TRUE(gw.ok()) << gw.status();
    gateway_ = std::move(*gw);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(gateway_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = ingest::v1::HealthIngest::NewStub(channel_);
  }

  std::unique_ptr<grpc::ClientContext> Context(const std::string& principal = "facility:BV01002",
                                               int deadline_ms = 20000) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    if (!principal.empty()) ctx->AddMetadata("crvs-principal", principal);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms));
    return ctx;
  }

  grpc::Status Submit(const IngestRequest& request, Receipt* receipt,
                      const std::string& principal = "facility:BV01002", int deadline_ms = 20000) {
    auto ctx = Context(principal, deadline_ms);
    return stub_->Submit(ctx.get(), request, receipt);
  }

  std::vector<testing::ReadMessage> Deaths() {
    return testing::ReadTopic(broker_->bootstrap_servers(), kafka_.topic_deaths);
  }

  kafka::KafkaConfig kafka_;
  prometheus::Registry metrics_;
  std::unique_ptr<kafka::EmbeddedBroker> broker_;
  std::unique_ptr<gateway::Gateway> gateway_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<ingest::v1::HealthIngest::Stub> stub_;
};

TEST_F(GatewayTest, ThousandNoticesOverOneStreamLandExactlyOnceWithHeadersAndPayloads) {
  StartSystem();
  constexpr int kCount = 1000;
  auto ctx = Context();
  auto stream = stub_->SubmitStream(ctx.get());
  std::map<std::string, IngestRequest> sent;
  std::thread writer([&] {
    for (int i = 0; i < kCount; ++i) {
      IngestRequest r = Notice(i);
      ASSERT_TRUE(stream->Write(r));
    }
    stream->WritesDone();
  });
  for (int i = 0; i < kCount; ++i) sent[Notice(i).message_id()] = Notice(i);
  std::map<std::string, Receipt> receipts;
  Receipt receipt;
  while (stream->Read(&receipt)) {
    EXPECT_TRUE(receipts.emplace(receipt.message_id(), receipt).second)
        << "two receipts for " << receipt.message_id();
  }
  writer.join();
  ASSERT_TRUE(stream->Finish().ok());
  ASSERT_EQ(receipts.size(), static_cast<size_t>(kCount));
  for (const auto& [id, r] : receipts) {
    ASSERT_EQ(r.state(), ingest::v1::RECEIPT_STATE_ACCEPTED) << id << " " << r.error().message();
  }

  auto messages = Deaths();
  ASSERT_EQ(messages.size(), static_cast<size_t>(kCount));
  std::set<std::string> keys;
  for (const auto& m : messages) {
    keys.insert(m.key);
    records::v1::RecordEnvelope envelope;
    ASSERT_TRUE(envelope.ParseFromString(m.value));
    const IngestRequest& request = sent.at(envelope.message_id());
    EXPECT_EQ(m.key, records::KeyOf(request.death_notice().key()).value);
    EXPECT_EQ(envelope.business_key(), m.key);
    EXPECT_TRUE(MessageDifferencer::Equals(envelope.death_notice(), request.death_notice()));
    EXPECT_EQ(envelope.content_hash(), records::ContentHash(request.death_notice()));
    EXPECT_EQ(envelope.kind(), records::v1::RECORD_KIND_DEATH_NOTICE);
    EXPECT_EQ(envelope.schema_version(), 1u);
    EXPECT_EQ(envelope.trace_id().size(), 32u);
    EXPECT_EQ(m.headers.at("crvs-schema"), "crvs.records.v1.RecordEnvelope;v=1");
    EXPECT_EQ(m.headers.at("crvs-source"), "facility:BV01002");
    EXPECT_EQ(m.headers.at("crvs-message-id"), envelope.message_id());
    EXPECT_EQ(m.headers.at("crvs-trace-id"), envelope.trace_id());
    EXPECT_EQ(m.headers.at("crvs-issued-at"), "2026-10-25T16:00:00.000Z");
    EXPECT_EQ(m.headers.at("crvs-received-at"), records::FormatTimestamp(envelope.received_at()));
    // The receipt points at exactly this message.
    const Receipt& r = receipts.at(envelope.message_id());
    EXPECT_EQ(r.partition(), m.partition);
    EXPECT_EQ(r.offset(), m.offset);
    EXPECT_EQ(r.topic(), kafka_.topic_deaths);
  }
  EXPECT_EQ(keys.size(), static_cast<size_t>(kCount));
}

TEST_F(GatewayTest, KcatReadsWhatTheGatewayWrote) {
  StartSystem();
  for (int i = 0; i < 3; ++i) {
    Receipt r;
    ASSERT_TRUE(Submit(Notice(i), &r).ok());
  }
  auto out = testing::RunProgram({"kcat", "-C", "-b", broker_->bootstrap_servers(), "-t",
                                  kafka_.topic_deaths, "-o", "beginning", "-e", "-q", "-f",
                                  "%k|%h\n"});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  std::vector<std::string> lines;
  std::istringstream in(out.out);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 3u) << out.out;
  std::sort(lines.begin(), lines.end());
  EXPECT_THAT(lines[0], HasSubstr("death/BV01002/GBT-2026-100000|crvs-schema="
                                  "crvs.records.v1.RecordEnvelope;v=1,crvs-source=facility:BV01002,"
                                  "crvs-message-id=his-0,"));
  EXPECT_THAT(lines[2], HasSubstr("death/BV01002/GBT-2026-100002|"));
  // The payload kcat prints is the sealed envelope (no personal ID on the broker); with the key
  // it opens to the protobuf envelope, decodable by any protobuf client.
  const testing::ReadMessage first = Deaths()[0];
  auto raw = testing::RunProgram({"kcat", "-C", "-b", broker_->bootstrap_servers(), "-t",
                                  kafka_.topic_deaths, "-p", std::to_string(first.partition),
                                  "-o", "beginning", "-c", "1", "-e", "-q", "-f", "%s"});
  ASSERT_TRUE(crypto::IsSealed(raw.out));
  EXPECT_EQ(raw.out.find("001052003456"), std::string::npos);
  auto opened = crypto::PayloadCipher(crypto::Keyring::Development()).Open(raw.out, first.key);
  ASSERT_TRUE(opened.ok()) << opened.status();
  records::v1::RecordEnvelope envelope;
  ASSERT_TRUE(envelope.ParseFromString(*opened));
  EXPECT_EQ(envelope.kind(), records::v1::RECORD_KIND_DEATH_NOTICE);
}

TEST_F(GatewayTest, BrokerDownGivesErrorsNotReceiptsAndResendsDeliverAfterwards) {
  StartSystem(/*queue_max_messages=*/100000, /*delivery_timeout_ms=*/2000);
  constexpr int kOutage = 4;
  Receipt r;
  ASSERT_TRUE(Submit(Notice(0), &r).ok());

  broker_->SetBrokerDown(1);
  std::vector<grpc::Status> during;
  for (int i = 1; i <= kOutage; ++i) {
    Receipt rr;
    during.push_back(Submit(Notice(i), &rr, "facility:BV01002", 4000));
  }
  for (const auto& s : during) {
    EXPECT_TRUE(s.error_code() == grpc::StatusCode::UNAVAILABLE ||
                s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)
        << s.error_code() << " " << s.error_message();
  }
  // Nothing said ACCEPTED, and GetReceipt does not claim otherwise.
  for (int i = 1; i <= kOutage; ++i) {
    auto ctx = Context();
    ingest::v1::GetReceiptRequest get;
    get.set_message_id(Notice(i).message_id());
    Receipt looked_up;
    grpc::Status s = stub_->GetReceipt(ctx.get(), get, &looked_up);
    EXPECT_TRUE(!s.ok() || looked_up.state() != ingest::v1::RECEIPT_STATE_ACCEPTED);
  }

  broker_->SetBrokerUp(1);
  std::map<std::string, Receipt> accepted;
  accepted["his-0"] = r;
  for (int i = 1; i <= kOutage; ++i) {
    Receipt rr;
    grpc::Status s;
    for (int attempt = 0; attempt < 20; ++attempt) {  // a client's retry loop, same message id
      s = Submit(Notice(i), &rr, "facility:BV01002", 8000);
      if (s.ok()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    ASSERT_TRUE(s.ok()) << s.error_message();
    accepted[rr.message_id()] = rr;
  }

  // Every receipt names a message that is in the topic, at the place the receipt says.
  auto messages = Deaths();
  std::map<std::pair<int32_t, int64_t>, std::string> at;
  for (const auto& m : messages) at[{m.partition, m.offset}] = m.headers.at("crvs-message-id");
  for (const auto& [id, receipt] : accepted) {
    auto it = at.find({receipt.partition(), receipt.offset()});
    ASSERT_NE(it, at.end()) << "receipt for " << id << " names an absent message";
    EXPECT_EQ(it->second, id);
  }
  std::set<std::string> ids;
  for (const auto& m : messages) ids.insert(m.headers.at("crvs-message-id"));
  EXPECT_EQ(ids.size(), static_cast<size_t>(kOutage + 1));
}

TEST_F(GatewayTest, FullProducerQueueAnswersResourceExhausted) {
  StartSystem(/*queue_max_messages=*/1, /*delivery_timeout_ms=*/3000);
  broker_->SetBrokerDown(1);  // nothing leaves the queue
  grpc::Status first_status;
  std::thread first([&] {  // occupies the only queue slot until its delivery times out
    Receipt first_receipt;
    first_status = Submit(Notice(1), &first_receipt);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  Receipt r;
  grpc::Status second = Submit(Notice(2), &r);
  EXPECT_EQ(second.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << second.error_message();
  first.join();
  EXPECT_EQ(first_status.error_code(), grpc::StatusCode::UNAVAILABLE);
  broker_->SetBrokerUp(1);
  // Back-pressure lost nothing that was accepted: the topic holds no record at all.
  EXPECT_TRUE(Deaths().empty());
}

// Regression: an AMEND whose reason held a NUL byte was ACCEPTED, then PostgreSQL refused the
// sink's batch forever. Control characters, bidirectional overrides and fields this build does
// not know are refused at the door, each naming its field.
TEST_F(GatewayTest, ControlCharactersAndUnknownFieldsAreRefusedNamingTheField) {
  StartSystem();
  IngestRequest amend = Notice(1);
  amend.set_action(records::v1::ACTION_AMEND);
  amend.set_reason(std::string("typo\0fixed", 10));
  amend.mutable_death_notice()->mutable_deceased()->set_full_name("Hoâ®" "ang");
  amend.mutable_death_notice()->mutable_certifier()->set_full_name("BS.[2J Huy");
  Receipt r;
  grpc::Status s = Submit(amend, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(testing::ViolatedFields(s),
              ::testing::UnorderedElementsAre("reason", "death_notice.deceased.full_name",
                                              "death_notice.certifier.full_name"));
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("control character U+0000 at byte 4"));

  // A field number no crvs proto defines, deep inside the record (15 KB nested 5,000 deep was
  // accepted and stored).
  IngestRequest unknown = Notice(2);
  unknown.mutable_death_notice()->mutable_deceased()->GetReflection()
      ->MutableUnknownFields(unknown.mutable_death_notice()->mutable_deceased())
      ->AddLengthDelimited(999, "nested bytes");
  s = Submit(unknown, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(testing::ViolatedFields(s), ElementsAre("death_notice.deceased"));
  EXPECT_TRUE(Deaths().empty());
}

// Bytes that do not parse as the request message were answered UNIMPLEMENTED with no message
// (gRPC's callback API), which sends an integrator looking for a missing method.
TEST_F(GatewayTest, UnparseableRequestBytesAreInvalidArgumentNotUnimplemented) {
  StartSystem();
  grpc::GenericStub generic(channel_);
  const std::string serialized = Notice(1).SerializeAsString();
  IngestRequest bad_utf8 = Notice(2);
  bad_utf8.set_reason("x");
  std::string not_utf8 = bad_utf8.SerializeAsString();
  not_utf8[not_utf8.rfind('x')] = '\xff';  // proto3 strings must be UTF-8
  for (const std::string& bytes : {serialized.substr(0, serialized.size() / 2), not_utf8}) {
    auto ctx = Context();
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request(&slice, 1), response;
    std::promise<grpc::Status> done;
    generic.UnaryCall(ctx.get(), "/crvs.ingest.v1.HealthIngest/Submit", grpc::StubOptions(),
                      &request, &response, [&](grpc::Status s) { done.set_value(s); });
    grpc::Status s = done.get_future().get();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr("not a valid crvs.ingest.v1.HealthIngest/Submit request"));
  }
  // The service still answers a well-formed request afterwards, and nothing bad was produced.
  Receipt r;
  EXPECT_TRUE(Submit(Notice(3), &r).ok());
  EXPECT_EQ(Deaths().size(), 1u);
}

TEST_F(GatewayTest, InvalidNoticeNamesEveryBadFieldAndProducesNothing) {
  StartSystem();
  IngestRequest bad = Notice(1);
  bad.mutable_death_notice()->mutable_deceased()->mutable_personal_id()->set_number("00105200345");
  bad.mutable_death_notice()->mutable_cause_of_death()->mutable_chain(1)->set_icd10_code("I2");
  Receipt r;
  grpc::Status s = Submit(bad, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(testing::ViolatedFields(s),
              ElementsAre("death_notice.deceased.personal_id.number",
                          "death_notice.cause_of_death.chain[1].icd10_code"));
  EXPECT_TRUE(Deaths().empty());

  // On a stream, the bad record gets a REJECTED receipt and the good one goes through.
  auto ctx = Context();
  auto stream = stub_->SubmitStream(ctx.get());
  ASSERT_TRUE(stream->Write(bad));
  ASSERT_TRUE(stream->Write(Notice(2)));
  stream->WritesDone();
  std::map<std::string, Receipt> receipts;
  while (stream->Read(&r)) receipts[r.message_id()] = r;
  ASSERT_TRUE(stream->Finish().ok());
  ASSERT_EQ(receipts.size(), 2u);
  EXPECT_EQ(receipts["his-1"].state(), ingest::v1::RECEIPT_STATE_REJECTED);
  EXPECT_EQ(receipts["his-1"].error().code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(receipts["his-1"].error().message(), HasSubstr("chain[1].icd10_code"));
  EXPECT_EQ(receipts["his-2"].state(), ingest::v1::RECEIPT_STATE_ACCEPTED);
  auto messages = Deaths();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].headers.at("crvs-message-id"), "his-2");
}

TEST_F(GatewayTest, ResendingAMessageIdYieldsTheSameReceiptAndOneMessage) {
  StartSystem();
  Receipt first, second;
  ASSERT_TRUE(Submit(Notice(7), &first).ok());
  ASSERT_TRUE(Submit(Notice(7), &second).ok());
  EXPECT_EQ(second.offset(), first.offset());
  EXPECT_EQ(second.partition(), first.partition());
  EXPECT_FALSE(first.duplicate());
  EXPECT_TRUE(second.duplicate());
  EXPECT_EQ(Deaths().size(), 1u);

  IngestRequest changed = Notice(7);
  changed.mutable_death_notice()->set_manner_of_death(records::v1::MANNER_OF_DEATH_ACCIDENT);
  Receipt r;
  grpc::Status s = Submit(changed, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(testing::ViolatedFields(s), ElementsAre("message_id"));

  Receipt looked_up;
  auto ctx = Context();
  ingest::v1::GetReceiptRequest get;
  get.set_message_id("his-7");
  ASSERT_TRUE(stub_->GetReceipt(ctx.get(), get, &looked_up).ok());
  EXPECT_EQ(looked_up.offset(), first.offset());
  EXPECT_EQ(looked_up.state(), ingest::v1::RECEIPT_STATE_ACCEPTED);
  auto ctx2 = Context();
  get.set_message_id("never-sent");
  EXPECT_EQ(stub_->GetReceipt(ctx2.get(), get, &looked_up).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(GatewayTest, IdentityIsRequiredAndAFacilitySubmitsOnlyItsOwnRecords) {
  StartSystem();
  Receipt r;
  EXPECT_EQ(Submit(Notice(1), &r, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Submit(Notice(1), &r, "facility:BV79001").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(Deaths().empty());
}

TEST_F(GatewayTest, MetricsCountCallsByMethodAndCode) {
  StartSystem();
  Receipt r;
  ASSERT_TRUE(Submit(Notice(1), &r).ok());
  Submit(Notice(2), &r, "facility:BV79001");
  gateway_->RefreshMetrics();
  std::string text = RenderMetrics(metrics_);
  EXPECT_THAT(text, HasSubstr(R"(crvs_gateway_calls_total{code="OK",method="Submit"} 1)"));
  EXPECT_THAT(text,
              HasSubstr(R"(crvs_gateway_calls_total{code="PERMISSION_DENIED",method="Submit"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(crvs_gateway_records_total{kind="death_notice",outcome="accepted"} 1)"));
  EXPECT_THAT(text, HasSubstr("crvs_gateway_call_duration_seconds_bucket"));
  EXPECT_THAT(text, HasSubstr("crvs_gateway_producer_queue_depth 0"));
}

TEST_F(GatewayTest, FacilityPullsItsResendRequestsAndAcknowledgesThem) {
  StartSystem();
  // The reconciler's side: requests published on the resync topic, keyed by addressee.
  auto producer = kafka::Producer::Create(kafka_, {}, broker_->bootstrap_servers());
  ASSERT_TRUE(producer.ok());
  auto publish = [&](const std::string& addressee, const std::string& id) {
    ingest::v1::ResendRequest request;
    request.set_request_id(id);
    request.set_business_key("death/BV01002/GBT-2026-" + id);
    request.set_kind(records::v1::RECORD_KIND_DEATH_NOTICE);
    request.set_reason("declared in the manifest, absent from the database");
    std::promise<absl::Status> delivered;
    ASSERT_TRUE((*producer)
                    ->Produce({kafka_.topic_resync, addressee, request.SerializeAsString(),
                               {{"crvs-schema", gateway::kResendSchemaHeader}}},
                              [&](const kafka::Delivery& d) { delivered.set_value(d.status); })
                    .ok());
    ASSERT_TRUE(delivered.get_future().get().ok());
  };
  publish("facility:BV01002", "r1");
  publish("facility:BV79001", "r2");
  publish("facility:BV01002", "r3");

  auto pull = [&](std::vector<std::string> acks) {
    ingest::v1::PullResendRequestsRequest request;
    for (const auto& a : acks) request.add_acknowledged_request_ids(a);
    ingest::v1::PullResendRequestsResponse response;
    auto ctx = Context();
    EXPECT_TRUE(stub_->PullResendRequests(ctx.get(), request, &response).ok());
    std::vector<std::string> ids;
    for (const auto& r : response.requests()) ids.push_back(r.request_id());
    return ids;
  };
  std::vector<std::string> ids;
  for (int i = 0; i < 100 && ids.size() < 2; ++i) {  // the inbox reads the topic asynchronously
    ids = pull({});
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_THAT(ids, ElementsAre("r1", "r3"));
  EXPECT_THAT(pull({"r1", "r2"}), ElementsAre("r3"));  // r2 is not ours: ignored

  // The acknowledgement is on the topic for every other gateway to see.
  int acks = 0;
  for (const auto& m : testing::ReadTopic(broker_->bootstrap_servers(), kafka_.topic_resync)) {
    if (m.headers.count("crvs-resend-ack")) {
      ++acks;
      EXPECT_EQ(m.value, "r1");
      EXPECT_EQ(m.key, "facility:BV01002");
    }
  }
  EXPECT_EQ(acks, 1);
}

ingest::v1::CourtIngestRequest Decision(uint64_t sequence) {
  ingest::v1::CourtIngestRequest r;
  r.set_sequence(sequence);
  r.set_message_id("court-" + std::to_string(sequence));
  r.set_action(records::v1::ACTION_SUBMIT);
  *r.mutable_decision() = testing::DivorceDecision(std::to_string(sequence) + "/2026/QĐST-HNGĐ");
  return r;
}

class CourtStreamTest : public GatewayTest {
 protected:
  // Streams decisions [from, to] in order; returns the call's status and response.
  grpc::Status Stream(uint64_t from, uint64_t to, ingest::v1::StreamDecisionsResponse* response,
                      std::function<void(ingest::v1::CourtIngestRequest&)> tweak = {}) {
    auto stub = ingest::v1::CourtIngest::NewStub(channel_);
    auto ctx = Context("court:TA79001");
    auto writer = stub->StreamDecisions(ctx.get(), response);
    for (uint64_t s = from; s <= to; ++s) {
      auto r = Decision(s);
      if (tweak) tweak(r);
      if (!writer->Write(r)) break;
    }
    writer->WritesDone();
    return writer->Finish();
  }
  uint64_t ResumePoint() {
    auto stub = ingest::v1::CourtIngest::NewStub(channel_);
    auto ctx = Context("court:TA79001");
    ingest::v1::GetResumePointRequest request;
    ingest::v1::ResumePoint point;
    EXPECT_TRUE(stub->GetResumePoint(ctx.get(), request, &point).ok());
    return point.last_accepted_sequence();
  }
  std::vector<testing::ReadMessage> Divorces() {
    return testing::ReadTopic(broker_->bootstrap_servers(), kafka_.topic_divorces);
  }
};

TEST_F(CourtStreamTest, StreamIsResumableFromTheDurableResumePoint) {
  StartSystem();
  ingest::v1::StreamDecisionsResponse response;
  ASSERT_TRUE(Stream(1, 100, &response).ok());
  EXPECT_EQ(response.last_accepted_sequence(), 100u);
  EXPECT_EQ(response.accepted(), 100);
  EXPECT_EQ(ResumePoint(), 100u);

  // A restarted gateway knows the resume point (it lives on Kafka, not in the gateway).
  gateway_.reset();
  gateway::GatewayConfig config;
  config.listen = "127.0.0.1:0";
  config.plaintext = true;
  auto gw = gateway::Gateway::Start(config, kafka_, {}, broker_->bootstrap_servers(), metrics_);
  ASSERT_TRUE(gw.ok()) << gw.status();
  gateway_ = std::move(*gw);
  channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(gateway_->port()),
                                 grpc::InsecureChannelCredentials());
  EXPECT_EQ(ResumePoint(), 100u);

  // The court restarts a little early: sequences up to 100 are duplicates, not re-produced.
  ASSERT_TRUE(Stream(51, 150, &response).ok());
  EXPECT_EQ(response.duplicates(), 50);
  EXPECT_EQ(response.accepted(), 50);
  EXPECT_EQ(response.last_accepted_sequence(), 150u);
  auto messages = Divorces();
  ASSERT_EQ(messages.size(), 150u);
  std::set<std::string> keys;
  for (const auto& m : messages) {
    keys.insert(m.key);
    records::v1::RecordEnvelope e;
    ASSERT_TRUE(e.ParseFromString(m.value));
    EXPECT_EQ(m.headers.at("crvs-source"), "court:TA79001");
    EXPECT_EQ(e.source_sequence(), std::stoull(e.message_id().substr(6)));  // the court's order
  }
  EXPECT_EQ(keys.size(), 150u);
}

TEST_F(CourtStreamTest, BadRecordEndsTheStreamNamingFieldAndSequenceAfterTheGoodOnesLand) {
  StartSystem();
  ingest::v1::StreamDecisionsResponse response;
  grpc::Status s = Stream(1, 20, &response, [](ingest::v1::CourtIngestRequest& r) {
    if (r.sequence() == 8) *r.mutable_decision()->mutable_legal_effect_date() = testing::Date(2026, 9, 1);
  });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(testing::ViolatedFields(s), ElementsAre("decision.legal_effect_date"));
  google::rpc::Status rpc;
  ASSERT_TRUE(rpc.ParseFromString(s.error_details()));
  google::rpc::ErrorInfo info;
  for (const auto& any : rpc.details()) any.UnpackTo(&info);
  EXPECT_EQ(info.reason(), "RECORD_INVALID");
  EXPECT_EQ(info.metadata().at("sequence"), "8");
  EXPECT_EQ(info.metadata().at("last_accepted_sequence"), "7");
  EXPECT_EQ(ResumePoint(), 7u);
  EXPECT_EQ(Divorces().size(), 7u);
}

// Regression: a record refused after it was read (here: its message id reused for other
// content, refused by the pipeline, not by validation) failed the stream, but reads started
// before kept arriving and their records were still produced after the stream had failed.
TEST_F(CourtStreamTest, NothingIsProducedAfterTheStreamFailed) {
  StartSystem();
  ingest::v1::StreamDecisionsResponse response;
  grpc::Status s = Stream(1, 40, &response, [](ingest::v1::CourtIngestRequest& r) {
    if (r.sequence() == 2) r.set_message_id("court-1");
  });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(testing::ViolatedFields(s), ElementsAre("message_id"));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // anything late would land
  EXPECT_EQ(Divorces().size(), 1u) << "records were produced after the stream failed";
}

TEST_F(CourtStreamTest, SequencesMustIncreaseAndACourtSendsOnlyItsOwnDecisions) {
  StartSystem();
  ingest::v1::StreamDecisionsResponse response;
  grpc::Status s = Stream(5, 6, &response, [](ingest::v1::CourtIngestRequest& r) {
    if (r.sequence() == 6) r.set_sequence(5);
  });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(testing::ViolatedFields(s), ElementsAre("sequence"));

  s = Stream(10, 10, &response, [](ingest::v1::CourtIngestRequest& r) {
    r.mutable_decision()->mutable_key()->set_court_code("TA01001");
  });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // A facility may not use the court service at all.
  auto stub = ingest::v1::CourtIngest::NewStub(channel_);
  auto ctx = Context("facility:BV01002");
  ingest::v1::Receipt r;
  EXPECT_EQ(stub->Submit(ctx.get(), Decision(1), &r).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Divorces().size(), 1u);  // only sequence 5 of the first stream
}

}  // namespace
}  // namespace crvs
