#include "services/validation/reference_data.h"

#include <cstdio>
#include <fstream>
#include <ostream>
#include <set>
#include <string>

#include <absl/strings/str_format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace crvs::validation {
namespace {

using ::crvs::testing::IsOk;
using ::crvs::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kHeader =
    "old_code,old_name,id_prefix,code_since_2025_07_01,name_since_2025_07_01\n";

// Every 3-digit id prefix / 2-digit province code the data accepts (enumerated through the
// public API, so the test sees exactly what validators see).
std::set<std::string> IdPrefixes(const ReferenceData& data) {
  std::set<std::string> out;
  for (int i = 0; i < 1000; ++i) {
    std::string s = absl::StrFormat("%03d", i);
    if (data.IsIdPrefix(s)) out.insert(s);
  }
  return out;
}

std::set<std::string> ProvinceCodes(const ReferenceData& data) {
  std::set<std::string> out;
  for (int i = 0; i < 100; ++i) {
    std::string s = absl::StrFormat("%02d", i);
    if (data.IsProvinceCode(s)) out.insert(s);
  }
  return out;
}

TEST(ReferenceDataTest, DefaultHasTheCsvsSixtyThreePrefixesAndThirtyFourProvinces) {
  const ReferenceData& data = ReferenceData::Default();
  // deploy/reference/provinces.csv: 63 rows, each with its own id_prefix; 34 distinct
  // code_since_2025_07_01 values.
  EXPECT_EQ(IdPrefixes(data).size(), 63u);
  EXPECT_EQ(ProvinceCodes(data).size(), 34u);
}

TEST(ReferenceDataTest, DefaultKnowsOldPrefixesAndCurrentCodes) {
  const ReferenceData& data = ReferenceData::Default();
  EXPECT_TRUE(data.IsIdPrefix("079"));
  EXPECT_TRUE(data.IsIdPrefix("002"));   // Hà Giang: gone as a province, still in old IDs
  EXPECT_FALSE(data.IsIdPrefix("003"));  // never a province code
  EXPECT_FALSE(data.IsIdPrefix("79"));
  EXPECT_TRUE(data.IsProvinceCode("79"));
  EXPECT_FALSE(data.IsProvinceCode("02"));  // merged into Tuyên Quang (08) on 2025-07-01
  EXPECT_FALSE(data.IsProvinceCode("079"));
  EXPECT_EQ(data.ProvinceName("79"), "Hồ Chí Minh");
  EXPECT_EQ(data.ProvinceName("08"), "Tuyên Quang");
  EXPECT_EQ(data.ProvinceName("02"), "");
}

TEST(ReferenceDataTest, LoadEmptyPathIsTheDefault) {
  auto loaded = ReferenceData::Load("");
  ASSERT_THAT(loaded, IsOk());
  EXPECT_EQ(IdPrefixes(*loaded), IdPrefixes(ReferenceData::Default()));
  EXPECT_EQ(ProvinceCodes(*loaded), ProvinceCodes(ReferenceData::Default()));
  EXPECT_EQ(loaded->ProvinceName("01"), "Hà Nội");
}

TEST(ReferenceDataTest, LoadReadsAReplacementFile) {
  const std::string path = ::testing::TempDir() + "/provinces_replacement.csv";
  {
    std::ofstream out(path);
    out << kHeader << "01,Hà Nội,001,01,Hà Nội\n";
  }
  auto loaded = ReferenceData::Load(path);
  std::remove(path.c_str());
  ASSERT_THAT(loaded, IsOk());
  EXPECT_EQ(IdPrefixes(*loaded), std::set<std::string>{"001"});
  EXPECT_EQ(ProvinceCodes(*loaded), std::set<std::string>{"01"});
}

TEST(ReferenceDataTest, LoadOfAMissingFileIsNotFoundNamingThePath) {
  auto loaded = ReferenceData::Load("/nonexistent/provinces.csv");
  EXPECT_THAT(loaded, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(loaded.status().message(), HasSubstr("/nonexistent/provinces.csv"));
}

TEST(ReferenceDataTest, AcceptsCrlfBlankLinesByteOrderMarkAndQuotedNames) {
  auto data = ReferenceData::FromCsv(
      "\xEF\xBB\xBF" + kHeader +
          "01,\"Hà Nội, thủ đô\",001,01,Hà Nội\r\n\n77,Bà Rịa - Vũng Tàu,077,79,\"Hồ \"\"Chí\"\" Minh\"\n",
      "test.csv");
  ASSERT_THAT(data, IsOk());
  EXPECT_EQ(IdPrefixes(*data), (std::set<std::string>{"001", "077"}));
  EXPECT_EQ(data->ProvinceName("79"), "Hồ \"Chí\" Minh");
}

struct CsvErrorRow {
  std::string name;
  std::string csv;
  std::string error;  // expected message prefix
};

void PrintTo(const CsvErrorRow& row, std::ostream* os) { *os << row.name; }

class CsvErrorTest : public ::testing::TestWithParam<CsvErrorRow> {};

TEST_P(CsvErrorTest, NamesOriginAndLine) {
  auto data = ReferenceData::FromCsv(GetParam().csv, "provinces.csv");
  EXPECT_THAT(data, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(data.status().message()), StartsWith(GetParam().error));
}

const std::string kRow1 = "01,Hà Nội,001,01,Hà Nội\n";

INSTANTIATE_TEST_SUITE_P(
    ReferenceData, CsvErrorTest,
    ::testing::Values(
        CsvErrorRow{"empty", "", "provinces.csv:1: empty file"},
        CsvErrorRow{"wrong_header", "code,name\n" + kRow1, "provinces.csv:1: header must be"},
        CsvErrorRow{"header_only", kHeader, "provinces.csv:1: no province rows"},
        CsvErrorRow{"too_few_columns", kHeader + kRow1 + "02,Hà Giang,002,08\n",
                    "provinces.csv:3: expected 5 columns, got 4"},
        CsvErrorRow{"bad_old_code", kHeader + "1,Hà Nội,001,01,Hà Nội\n",
                    "provinces.csv:2: old_code must be 2 digits"},
        CsvErrorRow{"bad_id_prefix", kHeader + "01,Hà Nội,01,01,Hà Nội\n",
                    "provinces.csv:2: id_prefix must be 3 digits"},
        CsvErrorRow{"bad_current_code", kHeader + "01,Hà Nội,001,1A,Hà Nội\n",
                    "provinces.csv:2: code_since_2025_07_01 must be 2 digits"},
        CsvErrorRow{"empty_current_name", kHeader + "01,Hà Nội,001,01,\n",
                    "provinces.csv:2: name_since_2025_07_01 is empty"},
        CsvErrorRow{"blank_lines_still_count", kHeader + kRow1 + "\n\n01,X,0X1,01,Hà Nội\n",
                    "provinces.csv:5: id_prefix must be 3 digits"},
        CsvErrorRow{"duplicate_prefix", kHeader + kRow1 + "02,Hà Giang,001,08,Tuyên Quang\n",
                    "provinces.csv:3: duplicate id_prefix 001 (first on line 2)"},
        CsvErrorRow{"names_disagree", kHeader + kRow1 + "02,Hà Tây,002,01,Hanoi\n",
                    "provinces.csv:3: province 01 is named"},
        CsvErrorRow{"unterminated_quote", kHeader + "01,\"Hà Nội,001,01,Hà Nội\n",
                    "provinces.csv:2: unterminated quoted field"}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace crvs::validation
