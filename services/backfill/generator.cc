#include "services/backfill/generator.h"

#include <cmath>
#include <cstdio>
#include <memory>
#include <random>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <absl/time/civil_time.h>
#include <nlohmann/json.hpp>

#include "services/backfill/report.h"

namespace crvs::backfill {
namespace {

using Row = std::vector<std::string>;  // by column id

constexpr const char* kFamily[] = {"Nguyễn", "Trần", "Lê",    "Phạm", "Hoàng", "Huỳnh",
                                   "Phan",   "Vũ",   "Võ",    "Đặng", "Bùi",   "Đỗ",
                                   "Hồ",     "Ngô",  "Dương", "Lý"};
constexpr const char* kMiddleMale[] = {"Văn", "Hữu", "Đức", "Minh", "Quang", "Thành"};
constexpr const char* kMiddleFemale[] = {"Thị", "Ngọc", "Thu", "Thanh", "Kim", "Mỹ"};
constexpr const char* kGivenMale[] = {"An",  "Bình",  "Cường", "Dũng", "Hùng", "Khánh", "Long",
                                      "Nam", "Phong", "Quân",  "Sơn",  "Tuấn", "Việt"};
constexpr const char* kGivenFemale[] = {"Anh",  "Chi", "Dung", "Hà",     "Hạnh", "Hoa",   "Lan",
                                        "Linh", "Mai", "Nga",  "Phương", "Thảo", "Trang", "Yến"};
constexpr const char* kIdPrefixes[] = {"001", "079", "048", "031", "092", "022", "038",
                                       "040", "056", "075", "026", "036", "083", "096"};
constexpr const char* kCourts[] = {"TAND01", "TAND79", "TAND48", "TAND31", "TAND92",
                                   "TAND22", "TAND38", "TAND40", "TAND56", "TAND75"};
constexpr const char* kOffices[] = {"00004", "26734", "00091", "19543", "31117",
                                    "20194", "09877", "25747", "16279", "28840"};
constexpr const char* kFacilities[] = {"BV01002", "BV79001", "BV48010", "TTYT31005", "BV92003"};
constexpr const char* kEthnicities[] = {"Tày", "Thái", "Mường", "Khmer", "H'Mông", "Nùng"};
constexpr const char* kRegistrars[] = {"Trần Thị Thu Hà", "Nguyễn Văn Bình", "Lê Thị Hồng",
                                       "Phạm Minh Tuấn", "Đỗ Thị Lan"};
constexpr absl::CivilDay kLastDay(2025, 12, 31);

template <class T, size_t N>
const char* Pick(const T (&list)[N], std::mt19937_64& rng) {
  return list[rng() % N];
}

std::string Day(absl::CivilDay d) { return absl::FormatCivilTime(d); }

class Maker {
 public:
  Maker(ExportKind kind, uint64_t seed) : kind_(kind), rng_(seed) {}

  int64_t Between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(rng_() % (hi - lo + 1));
  }
  bool Chance(int percent) { return static_cast<int>(rng_() % 100) < percent; }

  absl::CivilDay DayIn(int year, int last_day_of_year = 365) {
    return absl::CivilDay(year, 1, 1) + Between(0, last_day_of_year - 1);
  }

  std::string Name(bool male) {
    return absl::StrCat(Pick(kFamily, rng_), " ",
                        male ? Pick(kMiddleMale, rng_) : Pick(kMiddleFemale, rng_), " ",
                        male ? Pick(kGivenMale, rng_) : Pick(kGivenFemale, rng_));
  }

  // A personal ID consistent with sex and year of birth; the last six digits come from the
  // row, so IDs never collide between rows (nor between the people of one row, who differ in
  // the sex/century digit or the year).
  static std::string Id(int64_t row, bool male, int year) {
    const int century = (year - 1900) / 100;
    const int digit = century * 2 + (male ? 0 : 1);
    const char* prefix = kIdPrefixes[(row / 1000000) % (sizeof kIdPrefixes / sizeof *kIdPrefixes)];
    return absl::StrFormat("%s%d%02d%06d", prefix, digit, year % 100, row % 1000000);
  }

  Row Divorce(int64_t i) {
    using namespace divorce;
    Row r(kColumnCount);
    const int year = 2016 + static_cast<int>(i % 10);
    const int kind_draw = static_cast<int>(rng_() % 100);
    const char* kind = kind_draw < 30 ? "BAN_AN" : kind_draw < 97 ? "THUAN_TINH" : "HUY_KET_HON";
    r[kCourtCode] = kCourts[i % (sizeof kCourts / sizeof *kCourts)];
    r[kDecisionNo] = absl::StrCat(i, "/", year, kind_draw < 30 ? "/HNGĐ-ST" : "/QĐST-HNGĐ");
    r[kKind] = kind;
    const absl::CivilDay decided = DayIn(year, 300);
    const absl::CivilDay effect = decided + (kind_draw < 30 ? Between(15, 45) : Between(0, 7));
    r[kDecisionDate] = Day(decided);
    r[kEffectDate] = Day(effect);
    const int born_a = static_cast<int>(Between(1960, 1990));
    const int born_b = static_cast<int>(Between(1962, 1992));
    r[kNameA] = Name(true);
    r[kIdA] = Id(i, true, born_a);
    r[kSexA] = "M";
    r[kBirthA] = Day(DayIn(born_a));
    r[kNameB] = Name(false);
    r[kIdB] = Id(i, false, born_b);
    r[kSexB] = "F";
    r[kBirthB] = Day(DayIn(born_b));
    if (Chance(60)) {
      const absl::CivilDay married = decided - Between(365, 4000);
      r[kMarriageOffice] = Pick(kOffices, rng_);
      r[kMarriageBook] = absl::StrCat("01/", married.year());
      r[kMarriageNo] = std::to_string(Between(1, 500));
      r[kMarriageDate] = Day(married);
    }
    if (Chance(1)) {
      const absl::CivilDay set_aside = std::min(kLastDay, effect + Between(100, 300));
      r[kSetAsideOn] = Day(set_aside);
      r[kSetAsideBy] = absl::StrCat(i, "/", set_aside.year(), "/GĐT-DS");
      r[kSetAsideReason] = "Vi phạm nghiêm trọng thủ tục tố tụng";
    }
    if (Chance(20)) r[kUpdatedAt] = Day(std::min(kLastDay, effect + 1)) + "T09:30:00+07:00";
    return r;
  }

  Row Registration(int64_t i) {
    using namespace registration;
    Row r(kColumnCount);
    const int year = 2016 + static_cast<int>(i % 10);
    const int kind_draw = static_cast<int>(rng_() % 100);
    r[kOffice] = kOffices[i % (sizeof kOffices / sizeof *kOffices)];
    r[kBook] = absl::StrCat("01/", year);
    r[kNumber] = std::to_string(i);
    const absl::CivilDay event = DayIn(year, 300);
    absl::CivilDay registered = event;
    if (kind_draw < 70) {
      r[kKind] = "KHAI_SINH";
      registered = event + Between(0, 75);
      const bool male = Chance(51);
      r[kName] = Name(male);
      r[kId] = Id(i, male, year);
      r[kSex] = male ? "M" : "F";
      r[kBirth] = Day(event);
      r[kEthnicity] = Chance(85) ? "Kinh" : Pick(kEthnicities, rng_);
      r[kResidence] = r[kOffice];
      const int mother_born = static_cast<int>(Between(1980, 1998));
      r[kMotherName] = Name(false);
      r[kMotherId] = Id(i, false, mother_born);
      r[kMotherBirth] = Day(DayIn(mother_born));
      if (Chance(80)) {
        const int father_born = static_cast<int>(Between(1975, 1995));
        r[kFatherName] = Name(true);
        r[kFatherId] = Id(i, true, father_born);
        r[kFatherBirth] = Day(DayIn(father_born));
      }
      if (Chance(60)) {
        r[kFacility] = Pick(kFacilities, rng_);
        r[kCertificateNo] = absl::StrCat("GCS-", i);
      }
    } else if (kind_draw < 90) {
      r[kKind] = "KHAI_TU";
      registered = event + Between(0, 20);
      const bool male = Chance(55);
      const int born = static_cast<int>(Between(1925, 1990));
      r[kName] = Name(male);
      if (Chance(90)) r[kId] = Id(i, male, born);  // the others died without one
      r[kSex] = male ? "M" : "F";
      r[kBirth] = Day(DayIn(born));
      r[kResidence] = r[kOffice];
      if (Chance(50)) {
        r[kFacility] = Pick(kFacilities, rng_);
        r[kNoticeNo] = absl::StrCat("GBT-", i);
      }
    } else {
      r[kKind] = "GHI_CHU_LY_HON";
      registered = event + Between(0, 30);
      const int born_a = static_cast<int>(Between(1960, 1990));
      const int born_b = static_cast<int>(Between(1962, 1992));
      r[kName] = Name(true);
      r[kId] = Id(i, true, born_a);
      r[kSex] = "M";
      r[kBirth] = Day(DayIn(born_a));
      r[kSpouseName] = Name(false);
      r[kSpouseId] = Id(i, false, born_b);
      r[kSpouseSex] = "F";
      r[kSpouseBirth] = Day(DayIn(born_b));
      r[kCourt] = kCourts[i % (sizeof kCourts / sizeof *kCourts)];
      r[kDecisionNo] = absl::StrCat(i, "/", year, "/QĐST-HNGĐ");
    }
    registered = std::min(registered, kLastDay);
    r[kEventDate] = Day(event);
    r[kRegistrationDate] = Day(registered);
    r[kRegistrar] = Pick(kRegistrars, rng_);
    r[kRegistrarTitle] = "Công chức tư pháp - hộ tịch";
    if (Chance(30)) r[kRecordedAt] = Day(registered) + "T10:15:00+07:00";
    return r;
  }

  // Makes `r` (a valid row of row number i) ineligible for `reason`.
  void Plant(Reason reason, int64_t i, Row* r) {
    if (kind_ == ExportKind::kDivorce) {
      using namespace divorce;
      switch (reason) {
        case Reason::kMissingPersonalId:
          (*r)[kIdA].clear();
          break;
        case Reason::kInvalidPersonalId:
          (*r)[kIdB][3] = '0';
          break;  // says male, born 19xx
        case Reason::kNoEffectiveDate:
          (*r)[kEffectDate].clear();
          (*r)[kUpdatedAt].clear();
          break;
        case Reason::kEffectiveAfterCutoff:
          (*r)[kDecisionDate] = "2025-12-20";
          (*r)[kEffectDate] = Day(absl::CivilDay(2026, 1, 5) + i % 100);
          (*r)[kUpdatedAt].clear();
          (*r)[kSetAsideOn].clear();
          (*r)[kSetAsideBy].clear();
          (*r)[kSetAsideReason].clear();
          break;
        case Reason::kBadDate: {
          absl::CivilDay d;
          absl::ParseCivilTime((*r)[kDecisionDate], &d);
          (*r)[kDecisionDate] = absl::StrFormat("%02d/%02d/%04d", d.day(), d.month(), d.year());
          break;
        }
        case Reason::kUnknownKind:
          (*r)[kKind] = "LY_THAN";
          break;
        case Reason::kFailedValidation: {
          absl::CivilDay d;
          absl::ParseCivilTime((*r)[kDecisionDate], &d);
          (*r)[kEffectDate] = Day(d - 10);
          (*r)[kUpdatedAt].clear();
          (*r)[kSetAsideOn].clear();
          (*r)[kSetAsideBy].clear();
          (*r)[kSetAsideReason].clear();
          break;
        }
        case Reason::kMissingField:
          (*r)[kNameB].clear();
          break;
        case Reason::kInvalidValue:
          (*r)[kSexA] = "Nam";
          break;
        default:
          break;
      }
      return;
    }
    using namespace registration;
    switch (reason) {
      case Reason::kMissingPersonalId:
        if ((*r)[kKind] == "KHAI_TU") {  // a deceased may lack one: make it a birth registration
          (*r)[kKind] = "KHAI_SINH";
          (*r)[kNoticeNo].clear();
          (*r)[kFacility].clear();
        }
        (*r)[kId].clear();
        break;
      case Reason::kInvalidPersonalId:
        if ((*r)[kId].empty())
          (*r)[kId] = Id(i, (*r)[kSex] == "M", std::stoi((*r)[kBirth].substr(0, 4)));
        (*r)[kId][5] =
            (*r)[kId][5] == '9' ? '0' : static_cast<char>((*r)[kId][5] + 1);  // another year
        break;
      case Reason::kUnknownKind:
        (*r)[kKind] = "KET_HON";
        break;
      case Reason::kBadDate:
        (*r)[kRegistrationDate] = absl::StrCat((*r)[kEventDate].substr(0, 4), "-13-01");
        break;
      case Reason::kFailedValidation: {
        absl::CivilDay d;
        absl::ParseCivilTime((*r)[kEventDate], &d);
        (*r)[kRegistrationDate] = Day(d - 3);
        (*r)[kRecordedAt].clear();
        break;
      }
      case Reason::kMissingField:
        (*r)[kRegistrar].clear();
        (*r)[kRegistrarTitle].clear();
        break;
      case Reason::kInvalidValue:
        (*r)[kSex] = "X";
        break;
      default:
        break;
    }
  }

 private:
  ExportKind kind_;
  std::mt19937_64 rng_;
};

class Writer {
 public:
  Writer(std::FILE* f, ExportKind kind, ExportFormat format)
      : f_(f), kind_(kind), format_(format) {}

  void Header() {
    if (format_ != ExportFormat::kCsv) return;
    std::string line;
    for (const auto& c : Columns(kind_)) absl::StrAppend(&line, line.empty() ? "" : ",", c.name);
    Put(line + "\n");
  }

  void Write(const Row& r, bool malformed) {
    std::string line;
    if (format_ == ExportFormat::kCsv) {
      for (size_t c = 0; c < r.size(); ++c) absl::StrAppend(&line, c ? "," : "", CsvField(r[c]));
      if (malformed) line += ",EXTRA";  // one field more than the header
    } else {
      nlohmann::ordered_json j = nlohmann::ordered_json::object();
      const auto& columns = Columns(kind_);
      for (size_t c = 0; c < r.size(); ++c) {
        if (!r[c].empty()) j[columns[c].name] = r[c];
      }
      line = j.dump();
      if (malformed) line.resize(line.size() - 5);  // cut off: not valid JSON
    }
    Put(line + "\n");
  }

  bool ok() const { return ok_; }

 private:
  void Put(const std::string& s) {
    if (std::fwrite(s.data(), 1, s.size(), f_) != s.size()) ok_ = false;
  }
  std::FILE* f_;
  ExportKind kind_;
  ExportFormat format_;
  bool ok_ = true;
};

}  // namespace

const std::vector<Reason>& PlantedReasons(ExportKind kind) {
  static const std::vector<Reason> divorce = {
      Reason::kMissingPersonalId,    Reason::kInvalidPersonalId, Reason::kNoEffectiveDate,
      Reason::kEffectiveAfterCutoff, Reason::kBadDate,           Reason::kUnknownKind,
      Reason::kFailedValidation,     Reason::kDuplicateKey,      Reason::kMissingField,
      Reason::kInvalidValue,         Reason::kMalformedRow};
  static const std::vector<Reason> registration = {
      Reason::kMissingPersonalId, Reason::kInvalidPersonalId, Reason::kUnknownKind,
      Reason::kBadDate,           Reason::kFailedValidation,  Reason::kDuplicateKey,
      Reason::kMissingField,      Reason::kInvalidValue,      Reason::kMalformedRow};
  return kind == ExportKind::kDivorce ? divorce : registration;
}

bool IsPlanted(int64_t row, double percent) {
  const int64_t basis_points = std::llround(percent * 100);
  return row * basis_points / 10000 > (row - 1) * basis_points / 10000;
}

absl::StatusOr<GenerateResult> GenerateExport(const GenerateOptions& o) {
  if (o.rows < 0) return absl::InvalidArgumentError("--rows: must be >= 0");
  if (o.ineligible_percent < 0 || o.ineligible_percent > 100) {
    return absl::InvalidArgumentError("--ineligible-percent: must be 0..100");
  }
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(o.out.c_str(), "we"), &std::fclose);
  if (!f) return absl::InvalidArgumentError("--out: cannot create " + o.out);
  static char buffer[1 << 20];
  std::setvbuf(f.get(), buffer, _IOFBF, sizeof buffer);

  Maker maker(o.kind, o.seed);
  Writer writer(f.get(), o.kind, o.format);
  writer.Header();
  GenerateResult result;
  const auto& reasons = PlantedReasons(o.kind);
  int64_t plants = 0;
  Row last_eligible;
  for (int64_t i = 1; i <= o.rows; ++i) {
    Row r = o.kind == ExportKind::kDivorce ? maker.Divorce(i) : maker.Registration(i);
    ++result.rows;
    if (!IsPlanted(i, o.ineligible_percent)) {
      writer.Write(r, false);
      last_eligible = std::move(r);
      ++result.eligible;
      continue;
    }
    Reason reason = reasons[plants++ % reasons.size()];
    if (reason == Reason::kDuplicateKey) {
      if (last_eligible.empty()) {  // nothing to repeat yet: this row stays valid
        writer.Write(r, false);
        last_eligible = std::move(r);
        ++result.eligible;
        continue;
      }
      r = last_eligible;  // the same record again, key included
    } else {
      maker.Plant(reason, i, &r);
    }
    writer.Write(r, reason == Reason::kMalformedRow);
    ++result.planted[static_cast<int>(reason)];
  }
  if (!writer.ok() || std::fflush(f.get()) != 0) {
    return absl::InternalError("--out: cannot write " + o.out);
  }
  return result;
}

std::string FormatGenerateResult(const GenerateResult& r, const GenerateOptions& o) {
  std::string out =
      absl::StrCat("generated: ", o.out, " (", std::string(ExportKindName(o.kind)), ", ",
                   std::string(ExportFormatName(o.format)), ", seed ", o.seed, ")\n");
  absl::StrAppend(&out, "rows: ", r.rows, "\n");
  absl::StrAppend(&out, "expected_eligible: ", r.eligible, "\n");
  absl::StrAppend(&out, "expected_ineligible: ", r.rows - r.eligible, "\n");
  for (int i = 0; i < kReasonCount; ++i) {
    if (r.planted[i] == 0) continue;
    absl::StrAppend(&out, "expected_ineligible.", std::string(ReasonName(static_cast<Reason>(i))),
                    ": ", r.planted[i], "\n");
  }
  return out;
}

}  // namespace crvs::backfill
