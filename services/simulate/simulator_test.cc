// The Simulator against an in-process fake gateway: with document_share = 1 the facilities'
// births and deaths arrive as signed documents through SubmitDocument (read with the product's
// reader, so a record the documents cannot carry would show), amends as re-issued documents,
// only voids (and planted errors a document cannot carry) through Submit.
#include "services/simulate/simulator.h"

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "services/documents/hospital_document.h"
#include "services/documents/signature.h"
#include "services/validation/validators.h"

namespace crvs::simulate {
namespace {

namespace iv1 = ingest::v1;
namespace rv1 = records::v1;

std::string Principal(const grpc::ServerContext& context) {
  auto it = context.client_metadata().find("crvs-principal");
  return it == context.client_metadata().end() ? "" : std::string(it->second.data(),
                                                                      it->second.size());
}

// HealthIngest as the gateway answers it, minus Kafka: the same reader and validators, a
// receipt ACCEPTED per record. Court, registry and reconciliation calls are UNIMPLEMENTED.
class FakeHealthIngest final : public iv1::HealthIngest::Service {
 public:
  struct Document {
    std::string principal;
    std::string xml;
    bool accepted = false;
    rv1::Action action = rv1::ACTION_UNSPECIFIED;
  };
  struct Native {
    std::string principal;
    rv1::Action action = rv1::ACTION_UNSPECIFIED;
    bool accepted = false;
  };

  grpc::Status Submit(grpc::ServerContext* context, const iv1::IngestRequest* request,
                      iv1::Receipt* receipt) override {
    const bool ok = validation::ValidateIngestRequest(*request, validation::Context{}).empty();
    {
      std::lock_guard<std::mutex> lock(mu_);
      natives_.push_back({Principal(*context), request->action(), ok});
    }
    if (!ok) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "invalid");
    receipt->set_message_id(request->message_id());
    receipt->set_state(iv1::RECEIPT_STATE_ACCEPTED);
    return grpc::Status::OK;
  }

  grpc::Status SubmitDocument(grpc::ServerContext* context,
                              const iv1::SubmitDocumentRequest* request,
                              iv1::SubmitDocumentResponse* response) override {
    const std::string principal = Principal(*context);
    documents::ReadOptions options;
    options.declared = documents::ParseDocumentType(request->document_type());
    options.facility_code = principal.substr(principal.find(':') + 1);
    const documents::DocumentResult read =
        documents::ReadHospitalDocument(request->document(), options);
    Document doc{principal, request->document(), read.ok(), rv1::ACTION_UNSPECIFIED};
    if (read.ok() && !read.records.empty()) doc.action = read.records[0].request.action();
    {
      std::lock_guard<std::mutex> lock(mu_);
      documents_.push_back(doc);
    }
    if (!read.ok()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          read.errors[0].path + ": " + read.errors[0].message_en);
    }
    response->set_document_type(documents::DocumentTypeName(read.type));
    for (const documents::DocumentRecord& record : read.records) {
      iv1::Receipt* receipt = response->add_receipts();
      receipt->set_message_id(record.request.message_id());
      receipt->set_state(iv1::RECEIPT_STATE_ACCEPTED);
    }
    return grpc::Status::OK;
  }

  std::vector<Document> documents() {
    std::lock_guard<std::mutex> lock(mu_);
    return documents_;
  }
  std::vector<Native> natives() {
    std::lock_guard<std::mutex> lock(mu_);
    return natives_;
  }

 private:
  std::mutex mu_;
  std::vector<Document> documents_;
  std::vector<Native> natives_;
};

SimulateConfig FastConfig(const std::string& address) {
  SimulateConfig c;
  c.gateway_address = c.registry_address = c.reconcile_address = address;
  c.rate = 40;
  c.facilities = 4;
  c.courts = 1;
  c.invalid_percent = 15;
  c.late_percent = 0;
  c.missing_percent = 0;
  c.amend_percent = 40;
  c.void_percent = 15;
  c.time_scale = 1e6;  // amends and voids 8..96 simulated hours later: well within the run
  c.duration = config::Duration(3000);
  c.silent_after = config::Duration(0);
  c.manifest_interval = config::Duration(60 * 1000);
  c.call_timeout = config::Duration(5000);
  c.senders = 2;
  c.seed = 7;
  return c;
}

TEST(Simulator, DocumentFacilitiesSendSignedDocumentsThroughSubmitDocument) {
  FakeHealthIngest fake;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&fake);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);

  SimulateConfig config = FastConfig("127.0.0.1:" + std::to_string(port));
  config.document_share = 1;
  auto sim = Simulator::Start(config, validation::ReferenceData::Default());
  ASSERT_TRUE(sim.ok()) << sim.status();
  EXPECT_EQ((*sim)->document_facilities().size(), 4u);
  ASSERT_TRUE((*sim)->WaitFinished(absl::Seconds(60)));
  (*sim)->Stop();
  const Totals totals = (*sim)->totals();

  const auto docs = fake.documents();
  int births = 0, deaths = 0, amends = 0, refused = 0;
  for (const auto& d : docs) {
    if (d.xml.find("<HSDLGCS>") != std::string::npos) ++births;
    if (d.xml.find("<HSDLGBT>") != std::string::npos) ++deaths;
    if (d.action == rv1::ACTION_AMEND) ++amends;
    if (!d.accepted) ++refused;
    auto signer = (*sim)->document_facilities().find(d.principal);
    ASSERT_NE(signer, (*sim)->document_facilities().end()) << d.principal;
    const documents::SignatureCheck check =
        documents::VerifyDocumentSignature(d.xml, signer->second.certificate_pem);
    EXPECT_EQ(check.state, documents::SignatureState::kValid) << check.detail;
  }
  EXPECT_GT(births, 0);
  EXPECT_GT(deaths, 0);
  EXPECT_GT(amends, 0) << "amends go as re-issued documents";
  EXPECT_EQ(totals.documents_sent, static_cast<int64_t>(docs.size()));
  EXPECT_EQ(totals.documents_refused, refused);

  // Natively only voids, and planted errors the documents cannot carry (rejected).
  int voids = 0;
  for (const auto& n : fake.natives()) {
    if (n.action == rv1::ACTION_VOID) {
      ++voids;
      EXPECT_TRUE(n.accepted);
    } else {
      EXPECT_FALSE(n.accepted) << "a native " << rv1::Action_Name(n.action) << " from "
                               << n.principal << " that was not a planted error";
    }
  }
  EXPECT_GT(voids, 0);

  // Honest counts: every planted error refused, everything else accepted.
  for (Channel ch : {Channel::kBirth, Channel::kDeath}) {
    const Counts& c = totals.of(ch);
    EXPECT_GT(c.accepted, 0) << ChannelName(ch);
    EXPECT_EQ(c.rejected, c.planted) << ChannelName(ch);
    EXPECT_EQ(c.failed, 0) << ChannelName(ch);
    EXPECT_EQ(c.sent, c.accepted + c.rejected) << ChannelName(ch);
  }
  EXPECT_GT(totals.all().planted, 0);
  EXPECT_THAT(FormatTotals(totals),
              ::testing::HasSubstr(" documents=" + std::to_string(docs.size())));
  server->Shutdown();
}

TEST(Simulator, DocumentShareDefaultsToAFifthOfTheFacilitiesChosenFromTheSeed) {
  SimulateConfig config = FastConfig("127.0.0.1:1");
  config.facilities = 12;
  config.rate = 0.001;
  EXPECT_DOUBLE_EQ(SimulateConfig{}.document_share, 0.2);
  auto a = Simulator::Start(config, validation::ReferenceData::Default());
  auto b = Simulator::Start(config, validation::ReferenceData::Default());
  config.seed = 8;
  config.document_share = 0;
  auto none = Simulator::Start(config, validation::ReferenceData::Default());
  ASSERT_TRUE(a.ok() && b.ok() && none.ok());
  ASSERT_EQ((*a)->document_facilities().size(), 2u);  // round(0.2 × 12)
  std::vector<std::string> pa, pb;
  for (const auto& [p, id] : (*a)->document_facilities()) pa.push_back(p);
  for (const auto& [p, id] : (*b)->document_facilities()) pb.push_back(p);
  EXPECT_EQ(pa, pb);
  EXPECT_TRUE((*none)->document_facilities().empty());
}

TEST(Simulator, DocumentShareOutsideZeroToOneIsRefusedNamingTheKey) {
  SimulateConfig config;
  config.document_share = 1.5;
  const absl::Status st = ValidateConfig(config);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "simulate.document_share: must be >= 0 and <= 1, got 1.5");
  config.document_share = -0.1;
  EXPECT_THAT(std::string(ValidateConfig(config).message()),
              ::testing::StartsWith("simulate.document_share: "));
}

}  // namespace
}  // namespace crvs::simulate
