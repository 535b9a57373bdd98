#include "services/bench/document_bench.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/documents/hospital_document.h"
#include "services/validation/reference_data.h"

namespace crvs::bench {
namespace {

using ::testing::HasSubstr;

DocumentBenchInputs Defaults() { return DocumentBenchInputs{}; }

TEST(ValidateDocumentBenchInputs, DefaultsAreRunnable) {
  EXPECT_TRUE(ValidateDocumentBenchInputs(Defaults()).ok());
}

TEST(ValidateDocumentBenchInputs, ZeroConnectionsIsRefusedNamingTheFlag) {
  DocumentBenchInputs in = Defaults();
  in.connections = 0;
  absl::Status st = ValidateDocumentBenchInputs(in);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(st.message()), HasSubstr("--connections"));
}

TEST(ValidateDocumentBenchInputs, EachBadFlagIsNamed) {
  DocumentBenchInputs in = Defaults();
  in.documents = 0;
  EXPECT_THAT(std::string(ValidateDocumentBenchInputs(in).message()), HasSubstr("--documents"));
  in = Defaults();
  in.type = "9";
  EXPECT_THAT(std::string(ValidateDocumentBenchInputs(in).message()), HasSubstr("--type"));
  in = Defaults();
  in.policies = {"strict"};
  EXPECT_THAT(std::string(ValidateDocumentBenchInputs(in).message()), HasSubstr("--signature"));
  in = Defaults();
  in.kafka.bootstrap_servers = "kafka:9092";
  EXPECT_THAT(std::string(ValidateDocumentBenchInputs(in).message()),
              HasSubstr("kafka.bootstrap_servers"));
}

TEST(BenchDocumentType, MixAlternatesDeathsAndBirths) {
  EXPECT_EQ(BenchDocumentType("mix", 0), "60");
  EXPECT_EQ(BenchDocumentType("mix", 1), "61");
  EXPECT_EQ(BenchDocumentType("61", 0), "61");
}

// The bench's documents must read cleanly, or it measures refusals; and each must be its own
// record, or the second is a duplicate (MaKetQua 205).
TEST(BenchDocumentXml, DocumentsReadAsDistinctRecordsUnderTheirBusinessKeys) {
  documents::ReadOptions options;
  options.reference = &validation::ReferenceData::Default();
  options.facility_code = kDocumentBenchFacility;
  for (const std::string type : {"60", "61"}) {
    for (int64_t i : {0, 1, 999999, 1000001}) {
      auto read = documents::ReadHospitalDocument(BenchDocumentXml(type, i), options);
      ASSERT_TRUE(read.ok()) << type << " " << i << ": " << read.errors.front().path << " "
                             << read.errors.front().message_en;
      ASSERT_EQ(read.records.size(), 1u);
      const auto& request = read.records[0].request;
      const std::string number = type == "60" ? request.death_notice().key().notice_no()
                                              : request.birth_certificate().key().certificate_no();
      EXPECT_EQ(BenchDocumentBusinessKey(type, i),
                (type == "60" ? "death/79001/" : "birth/79001/") + number);
    }
    EXPECT_NE(BenchDocumentXml(type, 1), BenchDocumentXml(type, 2));
    EXPECT_NE(BenchDocumentBusinessKey(type, 1), BenchDocumentBusinessKey(type, 2));
  }
}

}  // namespace
}  // namespace crvs::bench
