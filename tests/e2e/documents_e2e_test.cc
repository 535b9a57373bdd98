// Hospital documents end to end (issue 19), as `crvs dev` runs them: a signed death notice
// through the HTTP form door (plaintext development mode: the crvs-principal header names the
// facility), its re-issue through SubmitDocument, and a claims envelope's table 9 with twins
// land in the civil-status database as the right records — the re-issue as version 2, an
// amend — each version keeping its document and signature check, read back through the
// registry service.
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <absl/strings/escaping.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "crvs/ingest/v1/health_ingest.grpc.pb.h"
#include "crvs/registry/v1/registry.grpc.pb.h"
#include "services/documents/signature.h"
#include "tests/e2e/pipeline_harness.h"
#include "tests/support/scratch_dir.h"
#include "tests/support/signing_keys.h"
#include "tests/support/subprocess.h"

namespace crvs::e2e {
namespace {

using nlohmann::json;

std::string Sample(const std::string& name) {
  std::ifstream in(std::string(CRVS_SOURCE_DIR) + "/docs/documents/samples/" + name,
                   std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(DocumentsE2e, SignedDocumentsLandAsRecordsAndAReissueAsAnAmend) {
  testing::ScratchDir dir("crvs-documents-e2e");
  const auto signer = testing::MakeSigningIdentity("Benh vien mau 79001");
  std::ofstream(dir.File("79001.crt")) << signer.certificate_pem;
  auto sign = [&](const std::string& xml) {
    auto signed_xml = documents::SignDocument(xml, signer.key_pem, signer.certificate_pem);
    EXPECT_TRUE(signed_xml.ok()) << signed_xml.status();
    return signed_xml.ok() ? *signed_xml : "";
  };
  const int gateway = FreePort(), registry = FreePort(), door = FreePort();
  testing::Subprocess dev(
      {CRVS_BINARY, "--set", "database.url=sqlite:" + dir.File("crvs.db"), "--set",
       "gateway.listen=127.0.0.1:" + std::to_string(gateway), "--set",
       "registry.listen=127.0.0.1:" + std::to_string(registry), "--set",
       "gateway.documents_listen=127.0.0.1:" + std::to_string(door), "--set",
       "gateway.document_signature=require", "--set",
       "gateway.document_certificates_dir=" + dir.path(), "--set", "reconcile.listen=127.0.0.1:0",
       "--set", "admin.listen=127.0.0.1:0", "--set", "feeds.listen=127.0.0.1:0", "--set",
       "console.listen=127.0.0.1:0", "--set",
       "gateway.metrics_listen=127.0.0.1:0", "--set", "log.level=warn", "dev"});
  auto deadline = [](int s) { return std::chrono::system_clock::now() + std::chrono::seconds(s); };
  auto gw = grpc::CreateChannel("127.0.0.1:" + std::to_string(gateway),
                                grpc::InsecureChannelCredentials());
  auto reg = grpc::CreateChannel("127.0.0.1:" + std::to_string(registry),
                                 grpc::InsecureChannelCredentials());
  ASSERT_TRUE(gw->WaitForConnected(deadline(30)));
  ASSERT_TRUE(reg->WaitForConnected(deadline(30)));

  // The death notice through the form door, as a hospital's system calls the insurance gateway.
  httplib::Client http("127.0.0.1", door);
  http.set_read_timeout(30);
  auto post = [&](const std::string& xml, const std::string& loai_hs) {
    auto res = http.Post("/api/documents", {{"crvs-principal", "facility:79001"}},
                         httplib::Params{{"maCskcb", "79001"},
                                         {"loaiHs", loai_hs},
                                         {"fileBase64Str", absl::Base64Escape(xml)}});
    EXPECT_TRUE(res) << "the door did not answer";
    return res ? json::parse(res->body, nullptr, false) : json();
  };
  const std::string notice = sign(Sample("death_notice_valid.xml"));
  json first = post(notice, "60");
  ASSERT_EQ(first["MaKetQua"], 200) << first.dump();
  // `crvs dev` receipts wait for the database.
  EXPECT_EQ(first["receipts"][0]["state"], "RECEIPT_STATE_COMMITTED") << first.dump();
  EXPECT_EQ(first["receipts"][0]["version"], 1) << first.dump();

  // The re-issued notice through SubmitDocument: the same record, version 2, an amend.
  ingest::v1::SubmitDocumentRequest request;
  request.set_document(sign(Sample("death_notice_reissued_valid.xml")));
  request.set_document_type("60");
  ingest::v1::SubmitDocumentResponse reissued;
  grpc::ClientContext submit;
  submit.AddMetadata("crvs-principal", "facility:79001");
  submit.set_deadline(deadline(30));
  grpc::Status st = ingest::v1::HealthIngest::NewStub(gw)->SubmitDocument(&submit, request,
                                                                         &reissued);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(reissued.receipts_size(), 1);
  EXPECT_EQ(reissued.receipts(0).state(), ingest::v1::RECEIPT_STATE_COMMITTED)
      << reissued.receipts(0).ShortDebugString();
  EXPECT_EQ(reissued.receipts(0).version(), 2);

  // The first document again: already received, nothing new.
  json again = post(notice, "60");
  EXPECT_EQ(again["MaKetQua"], 205) << again.dump();

  // Twins in a claims envelope's table 9.
  json twins = post(sign(Sample("claims_table9_twins_valid.xml")), "9");
  ASSERT_EQ(twins["MaKetQua"], 200) << twins.dump();
  ASSERT_EQ(twins["receipts"].size(), 2u);

  // What the database holds, through the registry service.
  auto stub = registry::v1::Registry::NewStub(reg);
  auto get = [&](const std::string& key, registry::v1::RecordView* view) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("crvs-principal", "operator:ops-1");
    ctx.set_deadline(deadline(10));
    registry::v1::GetRecordRequest r;
    r.set_business_key(key);
    return stub->GetRecord(&ctx, r, view);
  };
  registry::v1::RecordView death;
  ASSERT_TRUE(get("death/79001/79001.GBT.96025.26", &death).ok());
  ASSERT_EQ(death.versions_size(), 2) << death.ShortDebugString();
  EXPECT_EQ(death.versions(0).envelope().action(), records::v1::ACTION_SUBMIT);
  EXPECT_EQ(death.versions(1).envelope().action(), records::v1::ACTION_AMEND);
  // The re-issue corrected the cause of death: the record now says so.
  EXPECT_EQ(death.versions(1).envelope().death_notice().cause_of_death().chain(0).icd10_code(),
            "I21.0");
  for (const auto& v : death.versions()) {
    const auto& document = v.envelope().source_document();
    EXPECT_EQ(document.type(), "HSDLGBT");
    EXPECT_EQ(document.signature_state(), records::v1::DOCUMENT_SIGNATURE_STATE_VALID);
    EXPECT_NE(document.signer().find("Benh vien mau 79001"), std::string::npos)
        << document.signer();
  }
  EXPECT_EQ(death.versions(0).envelope().source_document().transaction_id(),
            first["MaGD"].get<std::string>());
  EXPECT_EQ(death.versions(1).envelope().source_document().transaction_id(),
            reissued.transaction_id());
  for (const auto& receipt : twins["receipts"]) {
    registry::v1::RecordView child;
    ASSERT_TRUE(get(receipt["business_key"].get<std::string>(), &child).ok()) << receipt.dump();
    EXPECT_EQ(child.versions(0).envelope().source_document().type(), "GIAMDINHHS");
    EXPECT_EQ(child.versions(0).envelope().birth_certificate().child().plurality(), 2);
  }
  EXPECT_EQ(dev.Stop(SIGINT, 15000), 0);
}

}  // namespace
}  // namespace crvs::e2e
