#include "services/backfill/export_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace crvs::backfill {
namespace {

using ::crvs::testing::IsOk;
using ::crvs::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Reads every row of `text`; each row as "number|problem reason:field:detail" or
// "number|court|decision_no|kind|decision date|ten_ben_a".
std::vector<std::string> ReadDivorces(const std::string& text, ExportFormat format) {
  auto data = ExportData::FromString(text);
  auto reader = ExportReader::Open(*data, format, ExportKind::kDivorce, "test.csv");
  EXPECT_THAT(reader, IsOk());
  std::vector<std::string> out;
  if (!reader.ok()) return out;
  RawRow row;
  while ((*reader)->Next(&row)) {
    std::string line = std::to_string(row.number) + "|";
    if (row.problem) {
      line += std::string(ReasonName(row.problem->reason)) + ":" + row.problem->field + ":" +
              row.problem->detail;
    } else {
      for (int c : {divorce::kCourtCode, divorce::kDecisionNo, divorce::kKind,
                    divorce::kDecisionDate, divorce::kNameA}) {
        line += std::string(row.values[c]) + (c == divorce::kNameA ? "" : "|");
      }
    }
    out.push_back(line);
  }
  auto count = CountRows(*data, format, ExportKind::kDivorce);
  EXPECT_THAT(count, IsOk());
  EXPECT_EQ(count.value_or(-1), static_cast<int64_t>(out.size())) << "CountRows disagrees";
  return out;
}

TEST(CsvReader, ReadsRfc4180QuotingCrlfBomAndSkipsBlankLines) {
  const std::string text =
      "\xEF\xBB\xBF Ma_Toa_An ,so_quyet_dinh,loai_quyet_dinh,ngay_quyet_dinh,ho_ten_ben_a\r\n"
      "TAND79,\"12/2019/QĐST-HNGĐ\",THUAN_TINH,2019-03-04,\"Nguyễn, Văn \"\"An\"\"\"\r\n"
      "\r\n"
      "TAND01,\"7/2020\nphụ lục\",BAN_AN,2020-01-02,Lê Thị Hoa\n"
      "TAND01,8/2020,BAN_AN,,\n";
  EXPECT_THAT(ReadDivorces(text, ExportFormat::kCsv),
              ElementsAre("1|TAND79|12/2019/QĐST-HNGĐ|THUAN_TINH|2019-03-04|Nguyễn, Văn \"An\"",
                          "2|TAND01|7/2020\nphụ lục|BAN_AN|2020-01-02|Lê Thị Hoa",
                          "3|TAND01|8/2020|BAN_AN||"));
}

TEST(CsvReader, MalformedRowsAreReportedAndReadingGoesOn) {
  const std::string text =
      "ma_toa_an,so_quyet_dinh,loai_quyet_dinh\n"
      "TAND79,1/2019,BAN_AN,EXTRA\n"
      "TAND79,2/2019\n"
      "TAND79,3/20\"19,BAN_AN\n"
      "TAND79,\"4/2019\"x,BAN_AN\n"
      "TAND79,5/2019,BAN_AN\n"
      "TAND79,\"6/2019,BAN_AN\n"
      "TAND79,7/2019,BAN_AN\n";
  EXPECT_THAT(
      ReadDivorces(text, ExportFormat::kCsv),
      ElementsAre("1|malformed_row::has 4 fields, the header has 3",
                  "2|malformed_row::has 2 fields, the header has 3",
                  "3|malformed_row::field 2: a quote inside an unquoted field (quote the whole "
                  "field and write the quote twice)",
                  "4|malformed_row::field 2: unexpected text after the closing quote",
                  "5|TAND79|5/2019|BAN_AN||",
                  // An unterminated quote swallows the rest of the file: one malformed row.
                  "6|malformed_row::field 2: quoted field is not closed"));
}

TEST(CsvReader, HeaderErrorsNameTheColumns) {
  auto open = [](const std::string& text) {
    auto data = ExportData::FromString(text);
    return ExportReader::Open(*data, ExportFormat::kCsv, ExportKind::kDivorce, "d.csv").status();
  };
  EXPECT_EQ(open(""), absl::InvalidArgumentError("d.csv: no header row"));
  EXPECT_EQ(open("ma_toa_an,so_quyet_dinh,loai_quyet_dinh,ten_toa,ghi_chu\n"),
            absl::InvalidArgumentError(
                "d.csv: header: unknown columns 'ten_toa', 'ghi_chu' for a divorce export (see "
                "services/backfill/README.md for the columns)"));
  EXPECT_EQ(open("ma_toa_an,so_quyet_dinh,loai_quyet_dinh,ma_toa_an\n"),
            absl::InvalidArgumentError("d.csv: header: column ma_toa_an appears twice"));
  EXPECT_EQ(open("ma_toa_an,loai_quyet_dinh\n"),
            absl::InvalidArgumentError("d.csv: header: required column so_quyet_dinh is missing"));
}

// Found by export_reader_fuzz: the unescaped text of a quoted field with "" lived in a
// std::vector<std::string> that reallocated when a later field of the same record needed a
// new slot, leaving the earlier field's view dangling (heap-use-after-free; here the header
// error quoted whatever reused the memory).
TEST(CsvReader, EscapedQuotedFieldSurvivesMoreFieldsInTheSameRecord) {
  const std::string text =
      "\"a\"\"b\",\"cccccccccccccccccccccc\"\"xyz\",ma_toa_an,so_quyet_dinh,\"d\"\"e\",f,g,h,i\n";
  auto data = ExportData::FromString(text);
  auto reader = ExportReader::Open(*data, ExportFormat::kCsv, ExportKind::kDivorce, "d.csv");
  ASSERT_THAT(reader, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(reader.status().message()),
              HasSubstr("unknown columns 'a\"b', 'cccccccccccccccccccccc\"xyz', 'd\"e', 'f', "
                        "'g', 'h', 'i' for a divorce export"));
}

TEST(NdjsonReader, ReadsObjectsNumbersAndNullsAndReportsBadLines) {
  const std::string text =
      "{\"ma_toa_an\":\"TAND79\",\"so_quyet_dinh\":\"1/2019\",\"loai_quyet_dinh\":\"BAN_AN\","
      "\"ngay_quyet_dinh\":\"2019-01-02\",\"ho_ten_ben_a\":null}\n"
      "\n"
      "{\"ma_toa_an\":\"TAND79\",\"so_quyet_dinh\":125,\"loai_quyet_dinh\":\"BAN_AN\"}\r\n"
      "{\"ma_toa_an\":\"TAND79\",\"so_quyet_dinh\":\"3/2019\",\"ten_toa\":\"x\"}\n"
      "{\"ma_toa_an\":\"TAND79\",\"so_quyet_dinh\":\n"
      "[1,2]\n"
      "{\"ma_toa_an\":true}\n";
  EXPECT_THAT(ReadDivorces(text, ExportFormat::kNdjson),
              ElementsAre("1|TAND79|1/2019|BAN_AN|2019-01-02|", "2|TAND79|125|BAN_AN||",
                          "3|unknown_column:ten_toa:is not a column of a divorce export",
                          "4|malformed_row::not valid JSON (at byte 39)",
                          "5|malformed_row::is not a JSON object",
                          "6|invalid_value:ma_toa_an:must be a string"));
}

// Found by export_reader_fuzz: a number beyond double's range made nlohmann::json throw
// out_of_range (not parse_error), which ended the process. Now a malformed row; reading goes on.
TEST(NdjsonReader, NumberOutOfRangeIsAMalformedRowNotACrash) {
  const std::string text =
      "{\"ma_toa_an\":2e733}\n"
      "{\"ma_toa_an\":\"TAND79\",\"so_quyet_dinh\":\"1/2019\"}\n";
  EXPECT_THAT(ReadDivorces(text, ExportFormat::kNdjson),
              ElementsAre("1|malformed_row::not valid JSON (a number out of range)",
                          "2|TAND79|1/2019|||"));
}

TEST(ExportFormat, FromPathAndName) {
  EXPECT_EQ(*FormatFromPath("/x/a.CSV"), ExportFormat::kCsv);
  EXPECT_EQ(*FormatFromPath("a.ndjson"), ExportFormat::kNdjson);
  EXPECT_EQ(*FormatFromPath("a.jsonl"), ExportFormat::kNdjson);
  EXPECT_EQ(FormatFromPath("a.txt").status(),
            absl::InvalidArgumentError("--format: cannot tell the format of 'a.txt' from its name "
                                       "(.csv, .ndjson or .jsonl); give --format"));
  EXPECT_EQ(ParseExportFormat("xml").status(),
            absl::InvalidArgumentError("--format: must be csv or ndjson, got 'xml'"));
}

TEST(ExportData, MissingFileIsNotFound) {
  EXPECT_THAT(ExportData::Map("/nonexistent/export.csv"), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace crvs::backfill
