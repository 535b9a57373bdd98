#include "services/reconcile/indicators/report_format.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/status_matchers.h"

namespace crvs::reconcile::indicators {
namespace {

namespace rv1 = ::crvs::reconcile::v1;
using ::crvs::testing::StatusIs;
using ::testing::HasSubstr;

rv1::IndicatorValue Value(const std::string& id, const std::string& key, int64_t n, int64_t d,
                          int64_t open, std::optional<double> t2028,
                          std::optional<double> t2030) {
  rv1::IndicatorValue v;
  v.set_id(id);
  v.set_area("VN");
  v.set_breakdown_key(key);
  v.set_numerator(n);
  v.set_denominator(d);
  v.set_open_not_mature(open);
  v.set_definition("definition of " + id);
  if (d > 0) v.set_percent(100.0 * n / d);
  if (t2028) v.set_target_2028(*t2028);
  if (t2030) v.set_target_2030(*t2030);
  if (d > 0 && t2028) v.set_met_2028(v.percent() >= *t2028);
  if (d > 0 && t2030) v.set_met_2030(v.percent() >= *t2030);
  return v;
}

// B1: 3/4 (75 %) and, in province 79, 2/3 (66.666… → 66.67); B3: nothing declared (no
// percent, no 2030 target); D5: 4/4, both targets met.
rv1::IndicatorReport SmallReport() {
  rv1::IndicatorReport r;
  r.set_period("2026-Q1");
  r.mutable_as_of()->set_year(2026);
  r.mutable_as_of()->set_month(6);
  r.mutable_as_of()->set_day(30);
  r.mutable_computed_at()->set_seconds(1782867723);  // 2026-07-01T01:02:03Z
  *r.add_values() = Value("B1", "", 3, 4, 1, 95, 98.5);
  *r.add_values() = Value("B1", "79", 2, 3, 0, 95, 98.5);
  *r.add_values() = Value("B3", "", 0, 0, 0, 95, std::nullopt);
  *r.add_values() = Value("D5", "", 4, 4, 0, 75, 80);
  return r;
}

TEST(ReportFormatTest, TableAlignsColumnsAndMarksTargetsMetOrNot) {
  EXPECT_EQ(FormatTable(SmallReport(), i18n::Language::kEnglish),
            "CRVS indicators: period 2026-Q1, area VN, as of 2026-06-30, computed "
            "2026-07-01T01:02:03.000Z\n"
            "\n"
            "id  group  numerator  denominator  open  percent  target 2028  target 2030  "
            "met 2028  met 2030\n"
            "B1  total          3            4     1    75.00           95         98.5  ✗    "
            "     ✗\n"
            "B1  79             2            3     0    66.67           95         98.5  ✗    "
            "     ✗\n"
            "B3  total          0            0     0        -           95            -  -    "
            "     -\n"
            "D5  total          4            4     0   100.00           75           80  ✓    "
            "     ✓\n"
            "\n"
            "B1  Births registered on time (within 60 days)\n"
            "    definition of B1\n"
            "B3  Electronic birth certificates reaching the civil-status database on time\n"
            "    definition of B3\n"
            "D5  Deaths in a health facility with the cause certified to the international "
            "standard (ICD-10)\n"
            "    definition of D5\n");
}

// Issue 17: Vietnamese by default — title, column names, "tổng", the indicators' names as the
// programme writes them; figures and ids unchanged.
TEST(ReportFormatTest, TheTableSpeaksVietnameseByDefault) {
  const std::string table = FormatTable(SmallReport());
  EXPECT_THAT(table, ::testing::StartsWith("Chỉ tiêu CRVS: kỳ 2026-Q1, địa bàn VN, tính đến ngày "
                                           "2026-06-30, tính lúc 2026-07-01T01:02:03.000Z\n"));
  EXPECT_THAT(table, HasSubstr("chỉ tiêu  nhóm  tử số  mẫu số  chưa đến hạn  tỷ lệ %"));
  EXPECT_THAT(table, HasSubstr("B1        tổng      3       4             1    75.00"));
  EXPECT_THAT(table, HasSubstr("B1  Tỷ lệ đăng ký khai sinh đúng hạn"));
  auto json = nlohmann::json::parse(FormatJson(SmallReport()));
  EXPECT_EQ(json["language"], "vi");
  EXPECT_THAT(json["note"].get<std::string>(), HasSubstr("hệ thống chỉ tiêu thống kê quốc gia"));
  EXPECT_THAT(json["names"]["D5"].get<std::string>(), HasSubstr("ICD-10"));
  EXPECT_EQ(json["definitions"]["B3"], "definition of B3");  // the computation's own words
  auto meta = nlohmann::json::parse(FormatCsvMetadata(SmallReport(), "x.csv"));
  EXPECT_EQ(meta["column_labels"]["numerator"], "tử số");
  EXPECT_EQ(meta["columns"][3], "numerator");  // identifiers stay
  // The CSV's rows are the same in either language.
  EXPECT_EQ(FormatCsv(SmallReport()), FormatReport(SmallReport(), ReportFormat::kCsv,
                                                   i18n::Language::kEnglish));
}

TEST(ReportFormatTest, CsvHasAHeaderLineAndEmptyFieldsForAbsentValues) {
  EXPECT_EQ(FormatCsv(SmallReport()),
            "id,area,breakdown_key,numerator,denominator,open_not_mature,percent,target_2028,"
            "target_2030,met_2028,met_2030\r\n"
            "B1,VN,,3,4,1,75.0,95,98.5,false,false\r\n"
            "B1,VN,79,2,3,0,66.66666666666667,95,98.5,false,false\r\n"
            "B3,VN,,0,0,0,,95,,,\r\n"
            "D5,VN,,4,4,0,100.0,75,80,true,true\r\n");
}

TEST(ReportFormatTest, CsvQuotesFieldsPerRfc4180) {
  rv1::IndicatorReport r;
  *r.add_values() = Value("V2", "court \"A\", B", 1, 2, 0, std::nullopt, std::nullopt);
  EXPECT_THAT(FormatCsv(r), HasSubstr("\r\nV2,VN,\"court \"\"A\"\", B\",1,2,0,50.0,,,,\r\n"));
}

TEST(ReportFormatTest, JsonCarriesThePublicationMetadataAndTheValues) {
  auto json = nlohmann::json::parse(FormatJson(SmallReport(), i18n::Language::kEnglish));
  EXPECT_EQ(json["source"], "crvs-sync");
  EXPECT_THAT(json["note"].get<std::string>(), HasSubstr("national statistical indicator system"));
  EXPECT_EQ(json["period"], "2026-Q1");
  EXPECT_EQ(json["as_of"], "2026-06-30");
  EXPECT_EQ(json["computed_at"], "2026-07-01T01:02:03.000Z");
  EXPECT_EQ(json["area"], "VN");
  EXPECT_EQ(json["definitions"]["B3"], "definition of B3");
  EXPECT_EQ(json["targets"]["B1"]["2030"], 98.5);
  EXPECT_TRUE(json["targets"]["B3"]["2030"].is_null());
  ASSERT_EQ(json["values"].size(), 4u);
  EXPECT_EQ(json["values"][1]["breakdown_key"], "79");
  EXPECT_EQ(json["values"][1]["percent"], 200.0 / 3);  // full precision, as the API gives it
  EXPECT_EQ(json["values"][1]["met_2028"], false);
  EXPECT_TRUE(json["values"][2]["percent"].is_null());
  EXPECT_TRUE(json["values"][2]["met_2028"].is_null());
  EXPECT_EQ(json["values"][3]["numerator"], 4);
}

class WriteReportTest : public ::testing::Test {
 protected:
  WriteReportTest() {
    char tmpl[] = "/tmp/crvs-report-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  ~WriteReportTest() override { std::filesystem::remove_all(dir_); }
  static std::string Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }
  std::string dir_;
};

TEST_F(WriteReportTest, CsvExportWritesTheDataAndItsMetadataSidecar) {
  const std::string path = dir_ + "/indicators-2026-Q1.csv";
  ASSERT_TRUE(WriteReport(SmallReport(), ReportFormat::kCsv, path).ok());
  EXPECT_EQ(Read(path), FormatCsv(SmallReport()));
  auto meta = nlohmann::json::parse(Read(MetadataPath(path)));
  EXPECT_EQ(meta["data_file"], "indicators-2026-Q1.csv");
  EXPECT_EQ(meta["columns"][0], "id");
  EXPECT_EQ(meta["period"], "2026-Q1");
  EXPECT_EQ(meta["source"], "crvs-sync");
  EXPECT_FALSE(meta.contains("values"));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  EXPECT_EQ(MetadataPath(path), path + ".meta.json");
}

TEST_F(WriteReportTest, JsonExportIsOneFile) {
  const std::string path = dir_ + "/indicators.json";
  ASSERT_TRUE(WriteReport(SmallReport(), ReportFormat::kJson, path).ok());
  EXPECT_EQ(Read(path), FormatJson(SmallReport()));
  EXPECT_FALSE(std::filesystem::exists(MetadataPath(path)));
}

TEST_F(WriteReportTest, UnwritablePathIsAnErrorNamingIt) {
  const std::string path = dir_ + "/no/such/dir/out.csv";
  absl::Status written = WriteReport(SmallReport(), ReportFormat::kCsv, path);
  EXPECT_THAT(written, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(std::string(written.message()), HasSubstr(dir_ + "/no/such/dir/out.csv"));
}

TEST(ReportFormatTest, FormatReportPicksTheRendering) {
  EXPECT_EQ(FormatReport(SmallReport(), ReportFormat::kTable), FormatTable(SmallReport()));
  EXPECT_EQ(FormatReport(SmallReport(), ReportFormat::kJson), FormatJson(SmallReport()));
  EXPECT_EQ(FormatReport(SmallReport(), ReportFormat::kCsv), FormatCsv(SmallReport()));
}

TEST(ReportFormatNameTest, ParsesTheThreeFormats) {
  EXPECT_EQ(*ParseReportFormat("table"), ReportFormat::kTable);
  EXPECT_EQ(*ParseReportFormat("json"), ReportFormat::kJson);
  EXPECT_EQ(*ParseReportFormat("csv"), ReportFormat::kCsv);
  EXPECT_THAT(ParseReportFormat("xml"), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace crvs::reconcile::indicators
