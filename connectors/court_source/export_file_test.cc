// The court's NDJSON export as a re-send source: lookup by business key, the position and
// commit-time columns, duplicate rows, bad lines, and re-indexing when the file changes.
#include "connectors/court_source/export_file.h"

#include <unistd.h>

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace crvs::court_source {
namespace {

using ::crvs::testing::StatusIs;

class ExportFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "/court-export-" + std::to_string(getpid()) + ".ndjson";
    auto mapping = DecisionMapping::Compile(DecisionMappingConfig());
    ASSERT_TRUE(mapping.ok());
    mapping_ = std::make_unique<DecisionMapping>(*mapping);
  }
  void TearDown() override { std::remove(path_.c_str()); }

  void Write(const std::string& text) {
    std::ofstream out(path_, std::ios::trunc);
    out << text;
  }

  std::unique_ptr<ExportFile> Open() {
    auto file = ExportFile::Open(path_, "__lsn", "__source_ts_ms", mapping_.get());
    EXPECT_TRUE(file.ok()) << file.status();
    return file.ok() ? std::move(*file) : nullptr;
  }

  std::string path_;
  std::unique_ptr<DecisionMapping> mapping_;
};

TEST_F(ExportFileTest, FindsRowsByCourtAndDecisionNumberWithTheirPositionAndTime) {
  Write(R"({"court_code":"TA79001","decision_no":"12/2026/QĐST-HNGĐ","decision_type":"BAN_AN","__lsn":9000,"__source_ts_ms":1790000000000}
{"court_code":"TA79001","decision_no":"13/2026/QĐST-HNGĐ","decision_type":"BAN_AN"}
)");
  auto file = Open();
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(file->rows(), 2u);
  auto row = file->Find("TA79001", "12/2026/QĐST-HNGĐ");
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_EQ(row->columns["decision_type"], "BAN_AN");
  EXPECT_EQ(row->position, 9000u);
  EXPECT_EQ(row->committed_at, absl::FromUnixMillis(1790000000000));

  auto no_position = file->Find("TA79001", "13/2026/QĐST-HNGĐ");
  ASSERT_TRUE(no_position.ok());
  EXPECT_EQ(no_position->position, kLowestPosition)
      << "without a position a re-sent row must lose against any change event";

  EXPECT_THAT(file->Find("TA79001", "99/2026"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(file->Find("TA01002", "12/2026/QĐST-HNGĐ"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(ExportFileTest, TheHighestPositionOfARepeatedKeyWinsAndBadLinesAreSkipped) {
  Write(R"({"court_code":"TA79001","decision_no":"1/2026","marriage_book":"new","__lsn":300}
not json
{"court_code":"TA79001","decision_no":"1/2026","marriage_book":"old","__lsn":200}
{"decision_no":"2/2026"}
[1,2]

)");
  auto file = Open();
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(file->rows(), 1u);
  EXPECT_EQ(file->skipped_lines(), 3);
  auto row = file->Find("TA79001", "1/2026");
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row->columns["marriage_book"], "new");
}

TEST_F(ExportFileTest, ARewrittenFileIsIndexedAgain) {
  Write(R"({"court_code":"TA79001","decision_no":"1/2026"})" "\n");
  auto file = Open();
  ASSERT_NE(file, nullptr);
  EXPECT_THAT(file->Find("TA79001", "2/2026"), StatusIs(absl::StatusCode::kNotFound));
  Write(R"({"court_code":"TA79001","decision_no":"1/2026"})" "\n"
        R"({"court_code":"TA79001","decision_no":"2/2026","__lsn":77})" "\n");
  auto row = file->Find("TA79001", "2/2026");
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_EQ(row->position, 77u);
}

TEST_F(ExportFileTest, AnUnreadableFileIsAConfigurationErrorNamingTheKey) {
  auto file = ExportFile::Open(path_ + ".missing", "__lsn", "", mapping_.get());
  EXPECT_THAT(file, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(file.status().message()),
              ::testing::StartsWith("court_source.resend_source_file: cannot read "));
}

}  // namespace
}  // namespace crvs::court_source
