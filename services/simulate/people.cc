#include "services/simulate/people.h"

#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>

namespace crvs::simulate {
namespace {

// Commune codes are illustrative (validation checks their syntax only: the project has no
// commune register); province codes and ID prefixes are those of provinces.csv.
const std::vector<Place> kPlaces = {
    {"01", "001", "Hà Nội", "00004", "Phường Ba Đình"},
    {"79", "079", "Hồ Chí Minh", "26734", "Phường Sài Gòn"},
    {"48", "048", "Đà Nẵng", "20194", "Phường Hải Châu"},
    {"31", "031", "Hải Phòng", "11311", "Phường Hồng Bàng"},
    {"92", "092", "Cần Thơ", "31117", "Phường Ninh Kiều"},
    {"38", "038", "Thanh Hóa", "14755", "Phường Hạc Thành"},
    {"40", "040", "Nghệ An", "16681", "Phường Trường Vinh"},
    {"56", "056", "Khánh Hòa", "22333", "Phường Nha Trang"},
    {"66", "066", "Đắk Lắk", "24121", "Phường Buôn Ma Thuột"},
    {"91", "089", "An Giang", "30280", "Phường Long Xuyên"},
    {"22", "022", "Quảng Ninh", "06652", "Phường Hạ Long"},
    {"15", "010", "Lào Cai", "02647", "Phường Lào Cai"},
};

const std::vector<std::string> kFamily = {"Nguyễn", "Trần", "Lê",  "Phạm", "Hoàng", "Huỳnh",
                                          "Phan",   "Vũ",   "Võ",  "Đặng", "Bùi",   "Đỗ",
                                          "Hồ",     "Ngô",  "Dương", "Lý"};
const std::vector<std::string> kMiddleMale = {"Văn", "Hữu", "Đức", "Minh", "Quang", "Thành"};
const std::vector<std::string> kMiddleFemale = {"Thị", "Ngọc", "Thu", "Thanh", "Kim", "Mỹ"};
const std::vector<std::string> kGivenMale = {"An",  "Bình",  "Cường", "Dũng", "Hùng",
                                             "Khánh", "Long", "Nam",  "Phong", "Quân",
                                             "Sơn", "Tuấn",  "Việt"};
const std::vector<std::string> kGivenFemale = {"Anh", "Chi", "Dung", "Hà",     "Hạnh",
                                               "Hoa", "Lan", "Linh", "Mai",    "Nga",
                                               "Phương", "Thảo", "Trang", "Yến"};
const std::vector<std::string> kEthnicities = {"Tày", "Thái", "Mường", "Khmer", "H'Mông",
                                               "Nùng"};

}  // namespace

const std::vector<Place>& Places() { return kPlaces; }

std::vector<Source> MakeFacilities(int count) {
  std::vector<Source> out;
  for (int i = 0; i < count; ++i) {
    Source s;
    s.place = static_cast<size_t>(i) % kPlaces.size();
    const Place& p = kPlaces[s.place];
    const int n = i / static_cast<int>(kPlaces.size()) + 1;
    s.code = absl::StrFormat("BV%s%03d", p.province_code, n);
    s.name = n == 1 ? absl::StrCat("Bệnh viện Đa khoa ", p.province_name)
                    : absl::StrCat("Bệnh viện Đa khoa khu vực ", n, " ", p.province_name);
    s.principal = "facility:" + s.code;
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<Source> MakeCourts(int count) {
  std::vector<Source> out;
  for (int i = 0; i < count; ++i) {
    Source s;
    s.place = kPlaces.size() - 1 - static_cast<size_t>(i) % kPlaces.size();
    const Place& p = kPlaces[s.place];
    const int n = i / static_cast<int>(kPlaces.size()) + 1;
    s.code = absl::StrFormat("TA%s%03d", p.province_code, n);
    s.name = absl::StrCat("Tòa án nhân dân khu vực ", n, " - ", p.province_name);
    s.principal = "court:" + s.code;
    out.push_back(std::move(s));
  }
  return out;
}

std::string RegistryOfficePrincipal(const std::string& commune_code) {
  return "registry_office:" + commune_code;
}

int64_t PersonMaker::Between(int64_t lo, int64_t hi) {
  return lo + static_cast<int64_t>((*rng_)() % static_cast<uint64_t>(hi - lo + 1));
}

double PersonMaker::Uniform() { return static_cast<double>((*rng_)() >> 11) * 0x1.0p-53; }

bool PersonMaker::Chance(double percent) { return Uniform() * 100 < percent; }

size_t PersonMaker::PickPlace() {
  return static_cast<size_t>(Between(0, static_cast<int64_t>(kPlaces.size()) - 1));
}

std::string PersonMaker::Name(bool male) {
  return absl::StrCat(Pick(kFamily), " ", male ? Pick(kMiddleMale) : Pick(kMiddleFemale), " ",
                      male ? Pick(kGivenMale) : Pick(kGivenFemale));
}

std::string PersonMaker::OfficerName() { return Name(Chance(45)); }

std::string PersonMaker::PersonalId(const std::string& prefix, bool male, int year) {
  const int digit = (year / 100 - 19) * 2 + (male ? 0 : 1);
  return absl::StrFormat("%s%d%02d%06d", prefix, digit, year % 100, Between(0, 999999));
}

absl::CivilDay PersonMaker::DayIn(int year, absl::CivilDay latest) {
  const absl::CivilDay first(year, 1, 1);
  const absl::CivilDay last = std::min(absl::CivilDay(year, 12, 31), latest);
  return first + Between(0, std::max<int64_t>(0, last - first));
}

common::v1::Person PersonMaker::Person(bool male, absl::CivilDay born, size_t birth_place,
                                       size_t home_place) {
  common::v1::Person p;
  p.mutable_personal_id()->set_number(
      PersonalId(kPlaces[birth_place].id_prefix, male, static_cast<int>(born.year())));
  p.set_full_name(Name(male));
  p.set_sex(male ? common::v1::SEX_MALE : common::v1::SEX_FEMALE);
  *p.mutable_date_of_birth() = ToLocalDate(born);
  p.set_ethnicity(Chance(85) ? "Kinh" : Pick(kEthnicities));
  p.mutable_residence()->set_commune_code(kPlaces[home_place].commune_code);
  return p;
}

common::v1::LocalDate ToLocalDate(absl::CivilDay day) {
  common::v1::LocalDate d;
  d.set_year(static_cast<int32_t>(day.year()));
  d.set_month(day.month());
  d.set_day(day.day());
  return d;
}

}  // namespace crvs::simulate
