// Hospital documents through both doors of the gateway (issue 19): the SubmitDocument RPC and
// the HTTPS form door shaped like the social-insurance gateway, under mutual TLS, with the
// embedded broker (librdkafka's mock cluster). The documents are the vendor samples of
// docs/documents/samples/, signed in the test with an RSA key made here and xmlsec
// (documents::SignDocument); what landed is read back from the topics by an independent
// consumer.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/resource.h>

#include <fstream>
#include <sstream>

#include <absl/strings/ascii.h>
#include <absl/strings/escaping.h>
#include <absl/strings/str_replace.h>
#include <google/rpc/error_details.pb.h>
#include <google/rpc/status.pb.h>
#include <nlohmann/json.hpp>

#include "connectors/kafka/embedded_broker.h"
#include "crvs/ingest/v1/health_ingest.grpc.pb.h"
#include "services/auth/certs.h"
#include "services/documents/signature.h"
#include "services/gateway/gateway.h"
#include "services/platform/grpc_client.h"
#include "tests/integration/topic_reader.h"
#include "tests/support/scratch_dir.h"
#include "tests/support/signing_keys.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_pki.h"

namespace crvs {
namespace {

using ingest::v1::SubmitDocumentRequest;
using ingest::v1::SubmitDocumentResponse;
using nlohmann::json;
using ::testing::HasSubstr;

constexpr const char* kFacility = "79001";  // MACSKCB of the samples

std::string Sample(const std::string& name) {
  std::ifstream in(std::string(CRVS_SOURCE_DIR) + "/docs/documents/samples/" + name,
                   std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  EXPECT_FALSE(text.str().empty()) << name;
  return text.str();
}

std::vector<records::v1::RecordEnvelope> Envelopes(const std::string& bootstrap,
                                                   const std::string& topic) {
  std::vector<records::v1::RecordEnvelope> out;
  for (const auto& m : testing::ReadTopic(bootstrap, topic)) {
    out.emplace_back();
    EXPECT_TRUE(out.back().ParseFromString(m.value));
  }
  return out;
}

// The element paths of an INVALID_ARGUMENT's BadRequest.
std::vector<std::string> ViolationPaths(const grpc::Status& status) {
  std::vector<std::string> paths;
  google::rpc::Status rich;
  if (!rich.ParseFromString(status.error_details())) return paths;
  for (const auto& detail : rich.details()) {
    google::rpc::BadRequest bad;
    if (detail.UnpackTo(&bad)) {
      for (const auto& v : bad.field_violations()) paths.push_back(v.field());
    }
  }
  return paths;
}

// `xml` with `from` replaced by `to`, also inside the base64 NOIDUNGFILE of a claims envelope.
std::string ChangeEverywhere(const std::string& xml, const std::string& from,
                             const std::string& to) {
  std::string out = absl::StrReplaceAll(xml, {{from, to}});
  const std::string open = "<NOIDUNGFILE>", close = "</NOIDUNGFILE>";
  for (size_t at = out.find(open); at != std::string::npos; at = out.find(open, at + 1)) {
    const size_t begin = at + open.size(), end = out.find(close, begin);
    if (end == std::string::npos) break;
    std::string inner;
    std::string encoded(absl::StripAsciiWhitespace(out.substr(begin, end - begin)));
    if (!absl::Base64Unescape(encoded, &inner)) continue;
    out.replace(begin, end - begin, absl::Base64Escape(absl::StrReplaceAll(inner, {{from, to}})));
  }
  return out;
}

class DocumentDoorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pki_.ok());
    server_tls_ = pki_.server();
    client_tls_ = Client("facility:" + std::string(kFacility));
    // The facility's signing certificate, registered with the gateway.
    signer_ = testing::MakeSigningIdentity("Benh vien mau 79001");
    std::ofstream(signing_.File(std::string(kFacility) + ".crt")) << signer_.certificate_pem;
    auto broker = kafka::EmbeddedBroker::Start({1, 2, kafka_.AllTopics()});
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = std::move(*broker);
  }

  auth::TlsConfig Client(const std::string& principal) { return pki_.Client(principal); }

  void StartGateway(const std::string& policy = "require") {
    gateway::GatewayConfig config;
    config.listen = "127.0.0.1:0";
    config.documents_listen = "127.0.0.1:0";
    config.document_signature = policy;
    config.document_certificates_dir = signing_.path();
    kafka::ProducerConfig producer;
    producer.close_timeout = config::Duration(2000);
    auto gw = gateway::Gateway::Start(config, kafka_, producer, broker_->bootstrap_servers(),
                                      metrics_, server_tls_);
    ASSERT_TRUE(gw.ok()) << gw.status();
    gateway_ = std::move(*gw);
    auto channel = MakeChannel("127.0.0.1:" + std::to_string(gateway_->port()), client_tls_,
                               /*plaintext=*/false);
    ASSERT_THAT(channel, testing::IsOk());
    stub_ = ingest::v1::HealthIngest::NewStub(*channel);
  }

  std::string Signed(const std::string& xml) {
    auto signed_xml = documents::SignDocument(xml, signer_.key_pem, signer_.certificate_pem);
    EXPECT_THAT(signed_xml, testing::IsOk());
    return signed_xml.ok() ? *signed_xml : "";
  }

  grpc::Status SubmitDocument(const std::string& document, SubmitDocumentResponse* response,
                              const std::string& type = "") {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    SubmitDocumentRequest request;
    request.set_document(document);
    request.set_document_type(type);
    return stub_->SubmitDocument(&ctx, request, response);
  }

  // The HTTPS door, as a hospital's system calls the insurance gateway: HTTP status and JSON.
  std::pair<int, json> PostForm(const std::string& document, const std::string& loai_hs,
                                const auth::TlsConfig* as = nullptr) {
    const auth::TlsConfig& tls = as != nullptr ? *as : client_tls_;
    httplib::SSLClient client("127.0.0.1", gateway_->documents_port(), tls.cert_file,
                              tls.key_file);
    client.set_ca_cert_path(tls.ca_file.c_str());
    client.enable_server_certificate_verification(true);
    client.set_read_timeout(30);
    httplib::Params form = {{"maCskcb", kFacility},
                            {"loaiHs", loai_hs},
                            {"token", "ignored"},
                            {"fileBase64Str", absl::Base64Escape(document)}};
    auto res = client.Post("/api/documents", form);
    if (!res) return {-1, json(httplib::to_string(res.error()))};
    return {res->status, json::parse(res->body, nullptr, /*allow_exceptions=*/false)};
  }

  std::vector<records::v1::RecordEnvelope> Deaths() {
    return Envelopes(broker_->bootstrap_servers(), kafka_.topic_deaths);
  }
  std::vector<records::v1::RecordEnvelope> Births() {
    return Envelopes(broker_->bootstrap_servers(), kafka_.topic_births);
  }

  testing::TestPki pki_{"crvs-documents-ca"};
  testing::ScratchDir signing_{"crvs-documents-signing"};
  auth::TlsConfig server_tls_, client_tls_;
  testing::SigningIdentity signer_;
  kafka::KafkaConfig kafka_;
  prometheus::Registry metrics_;
  std::unique_ptr<kafka::EmbeddedBroker> broker_;
  std::unique_ptr<gateway::Gateway> gateway_;
  std::unique_ptr<ingest::v1::HealthIngest::Stub> stub_;
};

TEST_F(DocumentDoorTest, SignedDocumentsOfEachTypeAreAcceptedThroughBothDoors) {
  StartGateway("require");
  // The death notice through gRPC.
  SubmitDocumentResponse death;
  grpc::Status st = SubmitDocument(Signed(Sample("death_notice_valid.xml")), &death, "60");
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(death.document_type(), "HSDLGBT");
  EXPECT_EQ(death.signature_state(), records::v1::DOCUMENT_SIGNATURE_STATE_VALID);
  EXPECT_THAT(death.signer(), HasSubstr("Benh vien mau 79001"));
  ASSERT_EQ(death.receipts_size(), 1);
  EXPECT_EQ(death.receipts(0).state(), ingest::v1::RECEIPT_STATE_ACCEPTED)
      << death.receipts(0).error().message();

  // The birth certificate and the claims envelope's table 9 (twins) through the HTTPS door.
  auto [status, birth] = PostForm(Signed(Sample("birth_certificate_valid.xml")), "61");
  ASSERT_EQ(status, 200) << birth.dump();
  EXPECT_EQ(birth["MaKetQua"], 200) << birth.dump();
  EXPECT_FALSE(birth["MaGD"].get<std::string>().empty());
  EXPECT_EQ(birth["ThoiGianTiepNhan"].get<std::string>().size(), 14u);
  EXPECT_EQ(birth["signature"]["state"], "DOCUMENT_SIGNATURE_STATE_VALID");
  ASSERT_EQ(birth["receipts"].size(), 1u) << birth.dump();
  EXPECT_EQ(birth["receipts"][0]["state"], "RECEIPT_STATE_ACCEPTED") << birth.dump();
  auto [claims_status, claims] = PostForm(Signed(Sample("claims_table9_twins_valid.xml")), "9");
  ASSERT_EQ(claims_status, 200) << claims.dump();
  EXPECT_EQ(claims["MaKetQua"], 200) << claims.dump();
  EXPECT_EQ(claims["document_type"], "GIAMDINHHS");
  ASSERT_EQ(claims["receipts"].size(), 2u) << claims.dump();

  // What landed on the topics: the right records, each with its document.
  auto deaths = Deaths();
  ASSERT_EQ(deaths.size(), 1u);
  const auto& d = deaths[0];
  EXPECT_EQ(d.business_key(), "death/79001/79001.GBT.96025.26");
  EXPECT_EQ(d.action(), records::v1::ACTION_SUBMIT);
  EXPECT_EQ(d.source().code(), kFacility);
  EXPECT_EQ(d.death_notice().deceased().full_name(), "Trần Văn Bình");
  EXPECT_EQ(d.death_notice().deceased().personal_id().number(), "001052003456");
  EXPECT_EQ(d.death_notice().cause_of_death().chain(0).icd10_code(), "I21.9");
  EXPECT_EQ(d.death_notice().died_at().utc_offset_minutes(), 420);
  EXPECT_EQ(d.source_document().type(), "HSDLGBT");
  EXPECT_EQ(d.source_document().transaction_id(), death.transaction_id());
  EXPECT_EQ(d.source_document().signature_state(), records::v1::DOCUMENT_SIGNATURE_STATE_VALID);
  EXPECT_EQ(d.source_document().sha256().size(), 32u);
  auto births = Births();
  ASSERT_EQ(births.size(), 3u);
  std::set<std::string> types, keys;
  for (const auto& b : births) {
    types.insert(b.source_document().type());
    keys.insert(b.business_key());
    EXPECT_EQ(b.kind(), records::v1::RECORD_KIND_BIRTH_CERTIFICATE);
    EXPECT_EQ(b.source_document().signature_state(),
              records::v1::DOCUMENT_SIGNATURE_STATE_VALID);
  }
  EXPECT_EQ(types, (std::set<std::string>{"HSDLGCS", "GIAMDINHHS"}));
  EXPECT_EQ(keys.size(), 3u) << "each child is its own record";
  EXPECT_TRUE(keys.count("birth/79001/79001.GCS.00123.26")) << *keys.begin();
}

// Every type through each door: the samples as they are through one, and with their keys
// changed (a different document of the same type) through the other. Each lands as its record
// with its document noted.
TEST_F(DocumentDoorTest, EachTypeIsAcceptedThroughEachDoor) {
  StartGateway("require");
  struct Case {
    const char* sample;
    const char* loai_hs;
    const char* key;    // the key as written in the sample
    const char* other;  // the key of the same document sent through the other door
    int records;
  };
  const Case cases[] = {
      {"death_notice_valid.xml", "60", "79001.GBT.96025.26", "79001.GBT.96026.26", 1},
      {"birth_certificate_valid.xml", "61", "79001.GCS.00123.26", "79001.GCS.00124.26", 1},
      {"claims_table9_twins_valid.xml", "9", "<QUYEN_SO>05/2026</QUYEN_SO>",
       "<QUYEN_SO>06/2026</QUYEN_SO>", 2},
  };
  int deaths = 0, births = 0;
  for (const Case& c : cases) {
    const std::string as_is = Sample(c.sample);
    const std::string other = ChangeEverywhere(as_is, c.key, c.other);
    ASSERT_NE(other, as_is) << c.sample << " has no " << c.key;
    SubmitDocumentResponse by_rpc;
    grpc::Status st = SubmitDocument(Signed(as_is), &by_rpc, c.loai_hs);
    ASSERT_TRUE(st.ok()) << c.sample << ": " << st.error_message();
    ASSERT_EQ(by_rpc.receipts_size(), c.records) << c.sample;
    for (const auto& r : by_rpc.receipts()) {
      EXPECT_EQ(r.state(), ingest::v1::RECEIPT_STATE_ACCEPTED) << c.sample;
      EXPECT_FALSE(r.duplicate()) << c.sample;
    }
    auto [status, form] = PostForm(Signed(other), c.loai_hs);
    ASSERT_EQ(form["MaKetQua"], 200) << c.sample << ": " << form.dump();
    ASSERT_EQ(form["receipts"].size(), static_cast<size_t>(c.records)) << form.dump();
    for (const auto& r : form["receipts"]) {
      EXPECT_EQ(r["state"], "RECEIPT_STATE_ACCEPTED") << form.dump();
      EXPECT_FALSE(r.value("duplicate", false)) << "a different document: " << form.dump();
    }
    (std::string(c.loai_hs) == "60" ? deaths : births) += 2 * c.records;
  }
  EXPECT_EQ(Deaths().size(), static_cast<size_t>(deaths));
  EXPECT_EQ(Births().size(), static_cast<size_t>(births));
  for (const auto& e : Births()) {
    EXPECT_EQ(e.source_document().signature_state(), records::v1::DOCUMENT_SIGNATURE_STATE_VALID);
  }
}

// A re-issued birth certificate (CAP_LAN_DAU = 0) is an amend of the certificate it re-issues.
TEST_F(DocumentDoorTest, AReissuedBirthCertificateIsAnAmend) {
  StartGateway("require");
  auto [status, first] = PostForm(Signed(Sample("birth_certificate_valid.xml")), "61");
  ASSERT_EQ(first["MaKetQua"], 200) << first.dump();
  // Re-issued with a corrected weight.
  const std::string reissued = absl::StrReplaceAll(
      Sample("birth_certificate_reissued_valid.xml"),
      {{"<CAN_NANG_CON>3200</CAN_NANG_CON>", "<CAN_NANG_CON>3250</CAN_NANG_CON>"}});
  ASSERT_THAT(reissued, HasSubstr("3250"));
  auto [again_status, again] = PostForm(Signed(reissued), "61");
  ASSERT_EQ(again["MaKetQua"], 200) << again.dump();
  auto births = Births();
  ASSERT_EQ(births.size(), 2u);
  EXPECT_EQ(births[0].business_key(), births[1].business_key());
  EXPECT_EQ(births[0].action(), records::v1::ACTION_SUBMIT);
  EXPECT_EQ(births[1].action(), records::v1::ACTION_AMEND);
  EXPECT_EQ(births[1].birth_certificate().child().weight_grams(), 3250);
}

TEST_F(DocumentDoorTest, TheSameDocumentSentAgainIsAlreadyReceived) {
  StartGateway("require");
  const std::string document = Signed(Sample("death_notice_valid.xml"));
  auto [first_status, first] = PostForm(document, "60");
  ASSERT_EQ(first["MaKetQua"], 200) << first.dump();
  auto [again_status, again] = PostForm(document, "60");
  ASSERT_EQ(again_status, 200);
  EXPECT_EQ(again["MaKetQua"], 205) << again.dump();
  EXPECT_EQ(again["receipts"][0]["duplicate"], true) << again.dump();
  EXPECT_EQ(Deaths().size(), 1u);
}

TEST_F(DocumentDoorTest, ATamperedOrUnsignedDocumentIsRefusedUnderRequire) {
  StartGateway("require");
  std::string tampered = Signed(Sample("death_notice_valid.xml"));
  ASSERT_THAT(tampered, HasSubstr("Trần Văn Bình"));
  tampered = absl::StrReplaceAll(tampered, {{"Trần Văn Bình", "Trần Văn Bính"}});
  auto [status, answer] = PostForm(tampered, "60");
  ASSERT_EQ(status, 200);
  EXPECT_EQ(answer["MaKetQua"], 1001) << answer.dump();
  ASSERT_EQ(answer["errors"].size(), 1u) << answer.dump();
  EXPECT_EQ(answer["errors"][0]["path"], "CHUKYDONVI");
  EXPECT_EQ(answer["errors"][0]["code"], "signature_invalid");
  EXPECT_FALSE(answer["errors"][0]["message"].get<std::string>().empty());
  SubmitDocumentResponse unsigned_response;
  grpc::Status st = SubmitDocument(Sample("death_notice_valid.xml"), &unsigned_response);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolationPaths(st), ::testing::ElementsAre("CHUKYDONVI"));
  EXPECT_THAT(st.error_message() + " " + st.error_details(), HasSubstr("MISSING"));
  // Signed by another key than the facility's registered certificate.
  auto stranger = testing::MakeSigningIdentity("Someone else");
  auto foreign = documents::SignDocument(Sample("death_notice_valid.xml"), stranger.key_pem,
                                         stranger.certificate_pem);
  ASSERT_THAT(foreign, testing::IsOk());
  st = SubmitDocument(*foreign, &unsigned_response);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Deaths().size(), 0u) << "nothing refused may reach the topic";
}

TEST_F(DocumentDoorTest, UnderRecordATamperedDocumentIsAcceptedAndItsCheckKept) {
  StartGateway("record");
  std::string tampered = absl::StrReplaceAll(Signed(Sample("death_notice_valid.xml")),
                                             {{"Trần Văn Bình", "Trần Văn Bính"}});
  SubmitDocumentResponse response;
  grpc::Status st = SubmitDocument(tampered, &response);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(response.signature_state(), records::v1::DOCUMENT_SIGNATURE_STATE_INVALID);
  auto deaths = Deaths();
  ASSERT_EQ(deaths.size(), 1u);
  EXPECT_EQ(deaths[0].source_document().signature_state(),
            records::v1::DOCUMENT_SIGNATURE_STATE_INVALID);
  EXPECT_FALSE(deaths[0].source_document().signature_detail().empty());
}

TEST_F(DocumentDoorTest, TenBrokenFieldsAnswerTenElementPaths) {
  StartGateway("record");
  const std::string broken = absl::StrReplaceAll(
      Sample("death_notice_valid.xml"),
      {{"<NGAY_SINH>19520315</NGAY_SINH>", "<NGAY_SINH>1952-03-15</NGAY_SINH>"},
       {"<GIOI_TINH>1</GIOI_TINH>", "<GIOI_TINH>7</GIOI_TINH>"},
       {"<SO_GIAYTO>001052003456</SO_GIAYTO>", "<SO_GIAYTO>00105200345X</SO_GIAYTO>"},
       {"<NGAY_TV>202611201430</NGAY_TV>", "<NGAY_TV>20261120</NGAY_TV>"},
       {"<NGAY_CAPGIAYBT>20261120</NGAY_CAPGIAYBT>", "<NGAY_CAPGIAYBT>2026-11-20</NGAY_CAPGIAYBT>"},
       {"<BENH_ICD10_ID>I21.9</BENH_ICD10_ID>", "<BENH_ICD10_ID>I2</BENH_ICD10_ID>"},
       {"<MAXA_THUONGTRU>26734</MAXA_THUONGTRU>", "<MAXA_THUONGTRU>2673</MAXA_THUONGTRU>"},
       {"<MATINH_THUONGTRU>79</MATINH_THUONGTRU>", "<MATINH_THUONGTRU>7</MATINH_THUONGTRU>"},
       {"<MAXA_HIENTAI>26734</MAXA_HIENTAI>", "<MAXA_HIENTAI>x</MAXA_HIENTAI>"},
       {"<MA_GBT>79001.GBT.96025.26</MA_GBT>", "<MA_GBT></MA_GBT>"}});
  SubmitDocumentResponse response;
  grpc::Status st = SubmitDocument(broken, &response, "60");
  ASSERT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << st.error_message();
  std::vector<std::string> paths = ViolationPaths(st);
  EXPECT_THAT(paths, ::testing::UnorderedElementsAre(
                         "GIAYBAOTU/MA_GBT", "GIAYBAOTU/GIOI_TINH", "GIAYBAOTU/NGAY_SINH",
                         "GIAYBAOTU/SO_GIAYTO", "GIAYBAOTU/MAXA_THUONGTRU",
                         "GIAYBAOTU/MATINH_THUONGTRU", "GIAYBAOTU/MAXA_HIENTAI",
                         "GIAYBAOTU/NGAY_TV", "GIAYBAOTU/BENH_ICD10_ID",
                         "GIAYBAOTU/NGAY_CAPGIAYBT"));
  for (const auto& path : paths) EXPECT_THAT(path, ::testing::StartsWith("GIAYBAOTU/"));
  // The HTTPS door answers the same paths, in Vietnamese and English.
  auto [status, answer] = PostForm(broken, "60");
  EXPECT_EQ(answer["MaKetQua"], 1001);
  ASSERT_EQ(answer["errors"].size(), paths.size()) << answer.dump();
  for (size_t i = 0; i < paths.size(); ++i) {
    EXPECT_EQ(answer["errors"][i]["path"], paths[i]);
    EXPECT_NE(answer["errors"][i]["message"], answer["errors"][i]["message_en"]) << paths[i];
  }
  EXPECT_EQ(Deaths().size(), 0u);
}

TEST_F(DocumentDoorTest, AReissuedNoticeIsAnAmendOfTheSameRecord) {
  StartGateway("require");
  SubmitDocumentResponse first, reissued;
  ASSERT_TRUE(SubmitDocument(Signed(Sample("death_notice_valid.xml")), &first).ok());
  grpc::Status st = SubmitDocument(Signed(Sample("death_notice_reissued_valid.xml")), &reissued);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(reissued.receipts_size(), 1);
  EXPECT_EQ(reissued.receipts(0).state(), ingest::v1::RECEIPT_STATE_ACCEPTED);
  EXPECT_FALSE(reissued.receipts(0).duplicate());
  auto deaths = Deaths();
  ASSERT_EQ(deaths.size(), 2u);
  EXPECT_EQ(deaths[0].business_key(), deaths[1].business_key());
  EXPECT_EQ(deaths[0].action(), records::v1::ACTION_SUBMIT);
  EXPECT_EQ(deaths[1].action(), records::v1::ACTION_AMEND);
  EXPECT_FALSE(deaths[1].reason().empty());
}

TEST_F(DocumentDoorTest, AnotherFacilitysDocumentOrAnonymousCallerIsRefused) {
  StartGateway("record");
  // Another facility's certificate sending 79001's notice.
  auth::TlsConfig other = Client("facility:79002");
  auto [status, answer] = PostForm(Signed(Sample("death_notice_valid.xml")), "60", &other);
  EXPECT_EQ(answer["MaKetQua"], 1001) << answer.dump();
  // A court may not send hospital documents.
  auth::TlsConfig court = Client("court:TAND79");
  auto [court_status, court_answer] = PostForm(Sample("death_notice_valid.xml"), "60", &court);
  EXPECT_EQ(court_answer["MaKetQua"], 1001) << court_answer.dump();
  // No client certificate: the TLS handshake itself is refused.
  httplib::SSLClient anonymous("127.0.0.1", gateway_->documents_port());
  anonymous.set_ca_cert_path(server_tls_.ca_file.c_str());
  anonymous.enable_server_certificate_verification(true);
  auto res = anonymous.Post("/api/documents", httplib::Params{{"loaiHs", "60"}});
  EXPECT_TRUE(!res || res->status == 401);
  EXPECT_EQ(Deaths().size(), 0u);
}

TEST_F(DocumentDoorTest, OversizedAndBillionLaughsDocumentsAreRefusedWithoutHarm) {
  StartGateway("record");
  // Billion laughs (ten levels of ten: 10^10 "ha"s if expanded): refused, not expanded. The
  // process's peak resident size may not grow by more than a few megabytes for it.
  std::string laughs = "<?xml version=\"1.0\"?><!DOCTYPE HSDLGBT [<!ENTITY l0 \"ha\">";
  for (int i = 1; i <= 10; ++i) {
    laughs += "<!ENTITY l" + std::to_string(i) + " \"";
    for (int j = 0; j < 10; ++j) laughs += "&l" + std::to_string(i - 1) + ";";
    laughs += "\">";
  }
  laughs += "]><HSDLGBT><GIAYBAOTU><HO_TEN>&l10;</HO_TEN></GIAYBAOTU></HSDLGBT>";
  struct rusage before, after;
  getrusage(RUSAGE_SELF, &before);
  SubmitDocumentResponse response;
  grpc::Status st = SubmitDocument(laughs, &response);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << st.error_message();
  EXPECT_THAT(ViolationPaths(st), ::testing::ElementsAre(""));
  auto [laughs_status, laughs_answer] = PostForm(laughs, "60");
  EXPECT_EQ(laughs_answer["MaKetQua"], 1001) << laughs_answer.dump();
  EXPECT_EQ(laughs_answer["errors"][0]["code"], "xml_dtd") << laughs_answer.dump();
  getrusage(RUSAGE_SELF, &after);
  EXPECT_LT(after.ru_maxrss - before.ru_maxrss, 64L * 1024)
      << "peak resident KiB grew: the entities were expanded";

  // 50 MB: refused by both doors before it is read.
  const std::string huge = "<HSDLGBT><GIAYBAOTU><GHI_CHU>" + std::string(50 << 20, 'a') +
                           "</GHI_CHU></GIAYBAOTU></HSDLGBT>";
  st = SubmitDocument(huge, &response);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << st.error_message();
  auto [status, answer] = PostForm(huge, "60");
  EXPECT_EQ(status, 413);
  EXPECT_EQ(answer["errors"][0]["code"], "too_large") << answer.dump();

  // And the doors still take a good document.
  auto [ok_status, ok] = PostForm(Sample("death_notice_valid.xml"), "60");
  EXPECT_EQ(ok["MaKetQua"], 200) << ok.dump();
  EXPECT_EQ(Deaths().size(), 1u);
}

}  // namespace
}  // namespace crvs
