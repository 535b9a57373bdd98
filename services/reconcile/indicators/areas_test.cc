// Areas: the built-in register and pre-2025 mapping, the communes, mapping and sources files
// (and their errors), and facility locations derived from the database.
#include "services/reconcile/indicators/areas.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/reconcile/indicators/test_fixture.h"
#include "tests/support/status_matchers.h"

namespace crvs::reconcile::indicators::testing {
namespace {

using ::crvs::testing::StatusIs;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

constexpr char kBeforeHeader[] =
    "old_commune_code,old_province_code,old_name,commune_code,province_code,counted_here,note\n";

class AreasTest : public IndicatorsDb {
 protected:
  // The error message of loading `communes` (and `sources`, `before` the pre-2025 mapping)
  // text; "" for the built-in register and mapping, and no sources.
  std::string LoadError(const std::string& communes, const std::string& sources = "",
                        const std::string& before = "") {
    Areas::Files files;
    if (!communes.empty()) files.communes = WriteFile("communes.csv", communes);
    if (!communes.empty() || !before.empty()) {
      files.communes_before_2025 =
          WriteFile("communes-before-2025.csv", before.empty() ? kBeforeHeader : before);
    }
    if (!sources.empty()) files.sources = WriteFile("sources.csv", sources);
    auto areas = Areas::Load(files);
    EXPECT_THAT(areas, StatusIs(absl::StatusCode::kInvalidArgument));
    return std::string(areas.status().message());
  }
};

// With nothing configured: Vietnam's register since 2025-07-01, built in.
TEST_F(AreasTest, TheBuiltInRegisterHasThe34ProvincesAndTheir3321Communes) {
  auto areas = Areas::Load({});
  ASSERT_TRUE(areas.ok()) << areas.status();
  EXPECT_TRUE(areas->has_communes());
  EXPECT_EQ(areas->province_count(), 34u);
  EXPECT_EQ(areas->commune_count(), 3321u);
  EXPECT_EQ(areas->ProvinceOf("00004"), "01");  // Phường Ba Đình, Hà Nội
  EXPECT_EQ(areas->ProvinceOf("26740"), "79");  // Phường Sài Gòn, TP Hồ Chí Minh
  EXPECT_EQ(areas->ProvinceOf("00691"), "08");  // Phường Hà Giang 2, Tuyên Quang
}

// Old codes count where communes-before-2025.csv marks counted_here, when written before
// 2025-07-01: 00688 Phường Quang Trung of Hà Giang (old province 02), split between 00691 and
// 00694 of Tuyên Quang (08), counts in 00691; 00016 Phường Ngọc Hà, split between 00004 and
// 00008 of Hà Nội, counts in 00008, which carries its name. The same digits written on or
// after 2025-07-01 are a code of today's register.
TEST_F(AreasTest, CodesWrittenBeforeTheReorganisationCountInTodaysCommune) {
  auto areas = Areas::Load({});
  ASSERT_TRUE(areas.ok()) << areas.status();
  const absl::CivilDay before(2024, 3, 5), eve(2025, 6, 30), since(2025, 7, 1);
  EXPECT_EQ(areas->CurrentCommune("00688", before), "00691");
  EXPECT_EQ(areas->ProvinceOf(areas->CurrentCommune("00688", eve)), "08");
  EXPECT_EQ(areas->CurrentCommune("00016", before), "00008");
  EXPECT_EQ(areas->CurrentCommune("00004", before), "00004");  // Trúc Bạch → Ba Đình
  EXPECT_EQ(areas->CurrentCommune("00016", since), "00016");
  EXPECT_EQ(areas->CurrentCommune("00688", std::nullopt), "00688");
  EXPECT_EQ(areas->CurrentCommune("99999", before), "99999");  // unknown: itself ("??")
}

TEST_F(AreasTest, MappingBefore2025ErrorsNameTheFileAndLine) {
  const std::string communes = "commune_code,province_code,name\n00004,01,A\n00008,01,B\n";
  const std::string file = WriteFile("communes-before-2025.csv", "");
  const std::string h = kBeforeHeader;
  EXPECT_EQ(LoadError(communes, "", h + "00016,01,Ngọc Hà,00012,01,1,x\n"),
            file + ":2: commune_code: 00012 is not in the register of communes");
  EXPECT_EQ(LoadError(communes, "", h + "00016,01,Ngọc Hà,00008,79,1,x\n"),
            file + ":2: province_code: commune 00008 is in province 01 in the register, not 79");
  EXPECT_EQ(LoadError(communes, "", h + "00016,01,Ngọc Hà,00008,01,yes,x\n"),
            file + ":2: counted_here: expected 0 or 1, got \"yes\"");
  EXPECT_EQ(LoadError(communes, "", h + "0016,01,Ngọc Hà,00008,01,1,x\n"),
            file + ":2: old_commune_code: expected 5 digits, got \"0016\"");
  EXPECT_EQ(LoadError(communes, "",
                      h + "00016,01,Ngọc Hà,00004,01,1,x\n00016,01,Ngọc Hà,00008,01,1,x\n"),
            file + ":3: counted_here: old commune 00016 is already counted in another commune "
                   "(line 2)");
  EXPECT_EQ(LoadError(communes, "", h + "00016,01,Ngọc Hà,00004,01,0,x\n"),
            file + ": counted_here: old commune 00016 has no row with counted_here 1");
  EXPECT_EQ(LoadError(communes, "", "old,new\n"),
            file + ":1: expected the header line \"" + h.substr(0, h.size() - 1) + "\"");
}

TEST_F(AreasTest, MapsCommunesToProvincesAndUnlistedOnesToQuestionMarks) {
  Areas::Files files;
  files.communes = WriteFile("communes.csv",
                             "\xEF\xBB\xBF"
                             "commune_code,province_code,name\r\n"
                             "26734,79,\"Phường Sài Gòn, TP HCM\"\r\n"
                             "\r\n"
                             "00004, 01 ,Ba Đình\r\n");
  files.communes_before_2025 = WriteFile("communes-before-2025.csv", kBeforeHeader);
  auto areas = Areas::Load(files);
  ASSERT_TRUE(areas.ok()) << areas.status();
  EXPECT_TRUE(areas->has_communes());
  EXPECT_EQ(areas->ProvinceOf("26734"), "79");
  EXPECT_EQ(areas->ProvinceOf("00004"), "01");
  EXPECT_EQ(areas->ProvinceOf("12345"), "??");
  EXPECT_FALSE(Areas().has_communes());
  EXPECT_EQ(Areas().ProvinceOf("26734"), "??");
}

TEST_F(AreasTest, CommunesFileErrorsNameTheFileAndLine) {
  const std::string header = "commune_code,province_code,name\n";
  const std::string file = WriteFile("communes.csv", "");  // the path LoadError writes to
  EXPECT_EQ(LoadError("code,province,name\n"),
            file + ":1: expected the header line \"commune_code,province_code,name\"");
  EXPECT_EQ(LoadError(header + "26734,79,A\n2673,79,B\n"),
            file + ":3: commune_code: expected 5 digits, got \"2673\"");
  EXPECT_EQ(LoadError(header + "26734,079,A\n"),
            file + ":2: province_code: expected 2 digits, got \"079\"");
  EXPECT_EQ(LoadError(header + "26734,79\n"),
            file + ":2: expected 3 columns (commune_code,province_code,name), found 2");
  EXPECT_EQ(LoadError(header + "26734,79,A\n00004,01,B\n26734,79,C\n"),
            file + ":4: commune 26734 is listed twice (first on line 2)");
  EXPECT_EQ(LoadError(header + "26734,79,\"A\n"), file + ":2: unterminated quoted field");
  EXPECT_EQ(LoadError("\n"), file + ":1: empty file, expected the header line "
                                    "\"commune_code,province_code,name\"");
}

TEST_F(AreasTest, SourcesFileErrorsNameTheFileAndLine) {
  const std::string communes = "commune_code,province_code,name\n";
  const std::string file = WriteFile("sources.csv", "");
  EXPECT_EQ(LoadError(communes, "principal,commune_code,name\nregistry_office:26734,26734,X\n"),
            file + ":2: principal: expected facility:<code> or court:<code> ([A-Z0-9]{2,16}), "
                   "got \"registry_office:26734\"");
  EXPECT_EQ(LoadError(communes, "principal,commune_code,name\ncourt:TAND79,7,X\n"),
            file + ":2: commune_code: expected 5 digits, got \"7\"");
  EXPECT_EQ(LoadError(communes, "principal,commune_code,name\ncourt:TAND79,26734,X\n"
                                "court:TAND79,26737,Y\n"),
            file + ":3: source court:TAND79 is listed twice (first on line 2)");
}

TEST_F(AreasTest, MissingFileIsNotFound) {
  for (auto files : {Areas::Files{"/nonexistent/communes.csv", "", ""},
                     Areas::Files{"", "/nonexistent/communes-before-2025.csv", ""},
                     Areas::Files{"", "", "/nonexistent/sources.csv"}}) {
    EXPECT_THAT(Areas::Load(files), StatusIs(absl::StatusCode::kNotFound));
  }
}

// Facility BV79001 has no configured location. Its in-facility events: births in 26734 (1)
// and deaths in 26737 (2) → 26737. Not counted: 3 births outside the facility in 26734, a
// voided birth and a birth committed after the cut-off, both in 26734.
// BV79009: one in-facility birth each in 26740 and 26739 → tie → the smaller code, 26739.
// facility:BV79002 and court:TAND79 are configured (a configured location wins over events);
// court TAND01 is not, and is absent.
TEST_F(AreasTest, LocatesFacilitiesByTheirConfiguredLocationElseTheirInFacilityEvents) {
  Submit(Birth("B1", "2026-01-10", "26734", "BV79001"));
  for (int i = 0; i < 3; ++i) {
    Submit(Birth("H" + std::to_string(i), "2026-01-10", "26734", "BV79001", false));
  }
  auto voided = Birth("V", "2026-01-10", "26734", "BV79001");
  Submit(voided);
  Void(voided);
  Submit(Birth("L1", "2026-01-10", "26734", "BV79001"), Utc("2026-06-01T00:00:00Z"));
  Submit(Birth("L2", "2026-01-10", "26734", "BV79001"), Utc("2026-06-01T00:00:00Z"));
  Submit(Death("D1", "2026-01-11", "26737", "BV79001"));
  Submit(Death("D2", "2026-01-12", "26737", "BV79001"));
  Submit(Birth("T1", "2026-01-10", "26740", "BV79009"));
  Submit(Birth("T2", "2026-01-10", "26739", "BV79009"));
  Submit(Birth("B2", "2026-01-10", "26734", "BV79002"));

  Areas::Files files;
  files.sources = WriteFile("sources.csv",
                            "principal,commune_code,name\n"
                            "facility:BV79002,00004,B\ncourt:TAND79,26734,C\n");
  auto areas = Areas::Load(files);
  ASSERT_TRUE(areas.ok()) << areas.status();
  auto located = areas->LocateSources(store(), Utc("2026-02-01T00:00:00Z"));
  ASSERT_TRUE(located.ok()) << located.status();
  EXPECT_THAT(*located, UnorderedElementsAre(Pair("facility:BV79001", "26737"),
                                             Pair("facility:BV79009", "26739"),
                                             Pair("facility:BV79002", "00004"),
                                             Pair("court:TAND79", "26734")));
}

}  // namespace
}  // namespace crvs::reconcile::indicators::testing
