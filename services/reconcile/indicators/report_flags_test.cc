#include "services/reconcile/indicators/report_flags.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace crvs::reconcile::indicators {
namespace {

namespace rv1 = ::crvs::reconcile::v1;
using ::crvs::testing::StatusIs;
using ::crvs::testing::ViolatedFields;
using ::testing::ElementsAre;

TEST(ReportFlagsTest, DefaultsAreAllIndicatorsNoBreakdownTodayAndATable) {
  ReportFlags flags;
  flags.period = "2026";
  auto job = ParseReportFlags(flags);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->request.period(), "2026");
  EXPECT_FALSE(job->request.has_as_of());
  EXPECT_EQ(job->request.breakdown(), rv1::BREAKDOWN_NONE);
  EXPECT_TRUE(job->request.indicator_ids().empty());
  EXPECT_EQ(job->format, ReportFormat::kTable);
  EXPECT_EQ(job->output, "");
  EXPECT_EQ(job->request.knowledge(), rv1::KNOWLEDGE_AS_KNOWN_ON_AS_OF);
}

TEST(ReportFlagsTest, EveryFlagReachesTheRequest) {
  ReportFlags flags{"2026-Q1", "2026-03-31", "79", "26734", "facility", " b1, D5 ,,",
                    "csv",     "out.csv",    "now"};
  auto job = ParseReportFlags(flags);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->request.as_of().year(), 2026);
  EXPECT_EQ(job->request.as_of().month(), 3);
  EXPECT_EQ(job->request.as_of().day(), 31);
  EXPECT_EQ(job->request.province_code(), "79");
  EXPECT_EQ(job->request.commune_code(), "26734");
  EXPECT_EQ(job->request.breakdown(), rv1::BREAKDOWN_FACILITY);
  EXPECT_THAT(job->request.indicator_ids(), ElementsAre("B1", "D5"));
  EXPECT_EQ(job->format, ReportFormat::kCsv);
  EXPECT_EQ(job->output, "out.csv");
  EXPECT_EQ(job->request.knowledge(), rv1::KNOWLEDGE_EVERYTHING_KNOWN_NOW);
}

TEST(ReportFlagsTest, BadFlagsAreNamedAllAtOnce) {
  ReportFlags flags{"", "2026-02-30", "", "", "district", "", "xml", "", "later"};
  auto job = ParseReportFlags(flags);
  EXPECT_THAT(job, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ViolatedFields(job.status()),
              ElementsAre("--period", "--as-of", "--known", "--breakdown", "--format"));
}

TEST(ReportFlagsTest, RequestFieldErrorsAreNamedByTheirFlag) {
  absl::Status status = InvalidArgument({{"indicator_ids[1]", "unknown indicator \"X9\""},
                                         {"as_of", "in the future"},
                                         {"province_code", "expected 2 digits"}});
  EXPECT_THAT(FlagErrors(status),
              ElementsAre("--indicators: unknown indicator \"X9\"", "--as-of: in the future",
                          "--province: expected 2 digits"));
  EXPECT_THAT(FlagErrors(absl::FailedPreconditionError("set reconcile.reference_communes_file")),
              ElementsAre("set reconcile.reference_communes_file"));
}

}  // namespace
}  // namespace crvs::reconcile::indicators
