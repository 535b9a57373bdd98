#include "services/backfill/generator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/backfill/row_classifier.h"
#include "services/backfill/test_util.h"
#include "tests/support/status_matchers.h"

namespace crvs::backfill {
namespace {

using ::crvs::testing::IsOk;
using testing::ScratchDir;

TEST(Generator, PlantsExactlyThePercentageEvenlySpread) {
  int64_t planted = 0;
  for (int64_t i = 1; i <= 200000; ++i) planted += IsPlanted(i, 5) ? 1 : 0;
  EXPECT_EQ(planted, 10000);
  EXPECT_TRUE(IsPlanted(20, 5));
  EXPECT_FALSE(IsPlanted(19, 5));
  EXPECT_FALSE(IsPlanted(21, 5));
  int64_t none = 0;
  for (int64_t i = 1; i <= 1000; ++i) none += IsPlanted(i, 0) ? 1 : 0;
  EXPECT_EQ(none, 0);
}

// What the generator plants is exactly what the classifier finds, reason by reason, for every
// kind and format: the e2e test and the benchmark rely on the printed expectation.
class GeneratorAgreesWithClassifier
    : public ::testing::TestWithParam<std::tuple<ExportKind, ExportFormat>> {};

TEST_P(GeneratorAgreesWithClassifier, ExpectedCountsMatch) {
  const auto [kind, format] = GetParam();
  ScratchDir dir;
  GenerateOptions g;
  g.kind = kind;
  g.format = format;
  g.rows = 4000;
  g.ineligible_percent = 12.5;
  g.out = dir.File(format == ExportFormat::kCsv ? "x.csv" : "x.ndjson");
  auto generated = GenerateExport(g);
  ASSERT_THAT(generated, IsOk());
  EXPECT_EQ(generated->rows, 4000);
  EXPECT_EQ(generated->rows - generated->eligible, 500);

  auto data = ExportData::Map(g.out);
  ASSERT_THAT(data, IsOk());
  auto reader = ExportReader::Open(**data, format, kind, g.out);
  ASSERT_THAT(reader, IsOk());
  RowClassifier classifier(kind, {});
  RawRow row;
  records::v1::RecordEnvelope envelope;
  int64_t eligible = 0;
  std::array<int64_t, kReasonCount> found{};
  std::string first_unexpected;
  while ((*reader)->Next(&row)) {
    Verdict v = classifier.Classify(row, &envelope);
    if (v.eligible) {
      ++eligible;
      if (IsPlanted(row.number, g.ineligible_percent) && first_unexpected.empty() &&
          row.number > 8) {
        first_unexpected = "row " + std::to_string(row.number) + " planted but eligible";
      }
    } else {
      ++found[static_cast<int>(v.why.reason)];
      if (!IsPlanted(row.number, g.ineligible_percent) && first_unexpected.empty()) {
        first_unexpected = "row " + std::to_string(row.number) + ": " +
                           std::string(ReasonName(v.why.reason)) + " " + v.why.field + " " +
                           v.why.detail;
      }
    }
  }
  EXPECT_EQ(first_unexpected, "");
  EXPECT_EQ(eligible, generated->eligible);
  for (int i = 0; i < kReasonCount; ++i) {
    EXPECT_EQ(found[i], generated->planted[i]) << ReasonName(static_cast<Reason>(i));
  }
  for (Reason r : PlantedReasons(kind)) {
    EXPECT_GT(generated->planted[static_cast<int>(r)], 0) << ReasonName(r);
  }
}

INSTANTIATE_TEST_SUITE_P(
    KindsAndFormats, GeneratorAgreesWithClassifier,
    ::testing::Combine(::testing::Values(ExportKind::kDivorce, ExportKind::kRegistration),
                       ::testing::Values(ExportFormat::kCsv, ExportFormat::kNdjson)));

}  // namespace
}  // namespace crvs::backfill
