#include "tests/e2e/reconcile/population.h"

#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <tuple>

#include "services/records/records.h"

namespace crvs::e2e::population {
namespace {

namespace common = ::crvs::common::v1;
using reconcile::v1::Manifest;
using reconcile::v1::ManifestEntry;

// What happens to one facility record or court decision between the source and the database,
// and what the source's manifest says about it.
enum class Fate {
  kDeclared,        // sent; declared with its hash
  kDeclaredNoHash,  // sent; declared without a hash (not compared)
  kNeverSent,       // declared, never sent: missing
  kStaleHash,       // sent; declared with the hash of a version the source never sent: mismatch
  kAmended,         // sent, amended; declared with the amended hash
  kAmendedStale,    // sent, amended; declared with the first version's hash: mismatch
  kUndeclared,      // sent, not declared: extra
  kVoided,          // sent, voided, not declared: counts nowhere
  kVoidedDeclared,  // sent, voided, still declared: missing and mismatch
  kDuplicateEntry,  // sent; declared twice in one manifest, first with a wrong hash
  kSetAside,        // (decisions) sent effective, amended when set aside; declared amended
  kPendingOnly,     // (decisions) sent without legal effect; not declared, dated nowhere
};

struct Weighted {
  Fate fate;
  int permille;
};

constexpr Weighted kFacilityFates[] = {{Fate::kDeclared, 895},     {Fate::kDeclaredNoHash, 10},
                                       {Fate::kNeverSent, 20},     {Fate::kStaleHash, 15},
                                       {Fate::kAmended, 15},       {Fate::kAmendedStale, 5},
                                       {Fate::kUndeclared, 15},    {Fate::kVoided, 10},
                                       {Fate::kVoidedDeclared, 5}, {Fate::kDuplicateEntry, 10}};
constexpr Weighted kDecisionFates[] = {
    {Fate::kDeclared, 900}, {Fate::kDeclaredNoHash, 10}, {Fate::kNeverSent, 20},
    {Fate::kStaleHash, 10}, {Fate::kAmended, 15},        {Fate::kUndeclared, 15},
    {Fate::kVoided, 5},     {Fate::kVoidedDeclared, 5},  {Fate::kDuplicateEntry, 5},
    {Fate::kSetAside, 5},   {Fate::kPendingOnly, 10}};
constexpr Weighted kBacklogFates[] = {
    {Fate::kDeclared, 850},     {Fate::kDeclaredNoHash, 20}, {Fate::kNeverSent, 80},
    {Fate::kStaleHash, 10},     {Fate::kUndeclared, 20},     {Fate::kVoided, 5},
    {Fate::kVoidedDeclared, 5}, {Fate::kDuplicateEntry, 5},  {Fate::kSetAside, 5}};

// Days from the event to its registration: `permille` of events draw lo..hi; hi < 0 = never.
struct Delay {
  int permille;
  int lo;
  int hi;
};
constexpr Delay kBirthDelays[] = {{850, 0, 59}, {20, 60, 60}, {60, 61, 240}, {70, -1, -1}};
constexpr Delay kDeathDelays[] = {{800, 0, 14}, {30, 15, 15}, {70, 16, 200}, {100, -1, -1}};
// Share of records issued at least kLateAge ago (when P is old enough to hold them).
constexpr int kLatePermille = 60;
// Of the late death notices, those of deaths in the year before P (indicator D5's year boundary).
constexpr int kAcrossNewYearPermille = 100;

struct CommuneSpec {
  const char* code;
  const char* province;
  const char* id_prefix;  // of personal IDs of people whose births were registered there
  const char* name;
  bool listed;
};
constexpr CommuneSpec kCommunes[] = {
    {"00004", "01", "001", "Phường Ba Đình", true},
    {"00091", "01", "001", "Phường Long Biên", true},
    {"26734", "79", "079", "Phường Bến Thành", true},
    {"26740", "79", "079", "Phường Sài Gòn", true},
    {"20194", "48", "048", "Phường Hải Châu", true},
    {"11311", "31", "031", "Phường Hồng Bàng", true},
    {"31117", "92", "092", "Phường Ninh Kiều", true},
    {"22333", "56", "056", "Phường Nha Trang", true},
    {"15118", "38", "038", "Xã Quảng Phú", true},
    {"17998", "40", "040", "Xã Nghi Lộc", false},  // missing from the file: province "??"
};

struct SourceSpec {
  const char* code;
  const char* commune;
  const char* name;
  bool listed;
  int weight;  // share of the kind's records
};
constexpr SourceSpec kFacilities[] = {
    {"BV01001", "00004", "Bệnh viện Phụ sản Hà Nội", true, 14},
    {"BV01002", "00091", "Bệnh viện Đa khoa Đức Giang", true, 8},
    {"BV79001", "26734", "Bệnh viện Từ Dũ", true, 24},
    {"BV79002", "26740", "Bệnh viện Hùng Vương", true, 16},  // declares month by month
    {"BV48001", "20194", "Bệnh viện Phụ sản - Nhi Đà Nẵng", true, 10},
    {"BV31001", "11311", "Bệnh viện Phụ sản Hải Phòng", true, 10},
    {"TTYT92001", "31117", "Trung tâm Y tế quận Ninh Kiều", true, 8},
    {"BV56001", "22333", "Bệnh viện Đa khoa tỉnh Khánh Hòa", false, 10},
};
constexpr SourceSpec kCourts[] = {
    {"TAND01", "00004", "Tòa án nhân dân TP Hà Nội", true, 25},
    {"TAND79", "26734", "Tòa án nhân dân TP Hồ Chí Minh", true, 30},
    {"TAND48", "20194", "Tòa án nhân dân TP Đà Nẵng", true, 12},
    {"TAND31", "11311", "Tòa án nhân dân TP Hải Phòng", true, 13},
    {"TAND92", "31117", "Tòa án nhân dân TP Cần Thơ", true, 10},
    {"TANDTC", "00004", "Tòa án nhân dân tối cao", false, 10},  // no location: national only
};
constexpr const char* kMonthlyFacility = "BV79002";
constexpr const char* kPreviousYearFacility = "BV01001";
constexpr int kPreviousYearEntries = 30;

constexpr const char* kFamily[] = {"Nguyễn", "Trần", "Lê",   "Phạm", "Hoàng", "Huỳnh", "Phan",
                                   "Vũ",     "Võ",   "Đặng", "Bùi",  "Đỗ",    "Hồ",    "Ngô"};
constexpr const char* kMiddleMale[] = {"Văn", "Hữu", "Đức", "Minh", "Quang", "Thành"};
constexpr const char* kMiddleFemale[] = {"Thị", "Ngọc", "Thu", "Thanh", "Kim", "Mỹ"};
constexpr const char* kGivenMale[] = {"An",  "Bình",  "Cường", "Dũng", "Hùng", "Khánh", "Long",
                                      "Nam", "Phong", "Quân",  "Sơn",  "Tuấn", "Việt"};
constexpr const char* kGivenFemale[] = {"Anh",  "Chi", "Dung", "Hà",     "Hạnh", "Hoa",   "Lan",
                                        "Linh", "Mai", "Nga",  "Phương", "Thảo", "Trang", "Yến"};
constexpr const char* kOfficers[] = {"BS. Lê Thị Hoa", "BS. Vũ Quang Huy", "BS. Trần Văn Đức",
                                     "Hộ sinh Phạm Thị Mai", "BS. Nguyễn Thị Hồng"};
constexpr const char* kRegistrars[] = {"Ngô Thị Hạnh", "Trần Thị Thu Hà", "Nguyễn Văn Bình",
                                       "Lê Thị Hồng", "Phạm Minh Tuấn"};
struct Cause {
  const char* code;
  const char* description;
};
constexpr Cause kCertifiedCauses[] = {{"I21.9", "Nhồi máu cơ tim cấp"},
                                      {"I63.9", "Nhồi máu não"},
                                      {"C34.9", "Ung thư phổi"},
                                      {"J18.9", "Viêm phổi"},
                                      {"E11.9", "Đái tháo đường type 2"},
                                      {"V89.2", "Tai nạn giao thông"},
                                      {"C22", "Ung thư gan"},
                                      {"U07.1", "COVID-19"}};
constexpr Cause kIllDefinedCauses[] = {
    {"R99", "Không rõ nguyên nhân"}, {"R54", "Già yếu"}, {"R96.0", "Đột tử"}};

common::LocalDate ToDate(absl::CivilDay d) {
  common::LocalDate out;
  out.set_year(static_cast<int32_t>(d.year()));
  out.set_month(d.month());
  out.set_day(d.day());
  return out;
}

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp out;
  out.set_seconds(absl::ToUnixSeconds(t));
  return out;
}

common::DateTime ToDateTime(absl::Time t) {
  common::DateTime out;
  *out.mutable_instant() = ToTimestamp(t);
  out.set_utc_offset_minutes(420);
  return out;
}

absl::CivilDay LocalDay(absl::Time t) { return absl::ToCivilDay(t, VietnamTime()); }
absl::Time LocalAt(absl::CivilDay day, int hour) {
  return absl::FromCivil(absl::CivilHour(day.year(), day.month(), day.day(), hour), VietnamTime());
}

const CommuneSpec& CommuneOf(const std::string& code) {
  for (const auto& c : kCommunes) {
    if (code == c.code) return c;
  }
  return kCommunes[0];
}

Source MakeSource(const char* kind, const SourceSpec& s) {
  return Source{absl::StrCat(kind, ":", s.code), s.code, s.commune, s.name, s.listed};
}

// The content a source's later, never-sent version would have: same key, another hash.
v1::BirthCertificate Variant(v1::BirthCertificate r) {
  r.mutable_issuing_officer()->set_title("Trưởng khoa Sản (ký lại)");
  return r;
}
v1::DeathNotice Variant(v1::DeathNotice r) {
  r.mutable_certifier()->set_title("Trưởng khoa (ký lại)");
  return r;
}
v1::DivorceDecision Variant(v1::DivorceDecision r) {
  r.mutable_spouse_b()->set_ethnicity("Kinh (đính chính)");
  return r;
}

void SetRecord(v1::RecordEnvelope* e, v1::BirthCertificate r) {
  *e->mutable_birth_certificate() = std::move(r);
}
void SetRecord(v1::RecordEnvelope* e, v1::DeathNotice r) {
  *e->mutable_death_notice() = std::move(r);
}
void SetRecord(v1::RecordEnvelope* e, v1::DivorceDecision r) {
  *e->mutable_divorce_decision() = std::move(r);
}
void SetRecord(v1::RecordEnvelope* e, v1::Registration r) {
  *e->mutable_registration() = std::move(r);
}

template <class R>
R KeyOnly(const R& r) {
  R out;
  *out.mutable_key() = r.key();
  return out;
}

// The local date a manifest files a declared record under: issued_at for certificates and
// notices, legal effect for decisions.
absl::CivilDay DeclaredDay(const v1::BirthCertificate& r) {
  return LocalDay(absl::FromUnixSeconds(r.issued_at().seconds()));
}
absl::CivilDay DeclaredDay(const v1::DeathNotice& r) {
  return LocalDay(absl::FromUnixSeconds(r.issued_at().seconds()));
}
absl::CivilDay DeclaredDay(const v1::DivorceDecision& r) {
  const auto& d = r.legal_effect_date();
  return absl::CivilDay(d.year(), d.month(), d.day());
}

class Generator {
 public:
  Generator(const Options& options, Population* out)
      : options_(options), rng_(options.seed), out_(out) {
    out_->calendar = Calendar::At(options.now);
    for (const auto& c : kCommunes) {
      out_->communes.push_back(Commune{c.code, c.province, c.name, c.listed});
    }
    for (const auto& f : kFacilities) facilities_.push_back(MakeSource("facility", f));
    for (const auto& c : kCourts) courts_.push_back(MakeSource("court", c));
    out_->sources = facilities_;
    out_->sources.insert(out_->sources.end(), courts_.begin(), courts_.end());
  }

  void Run() {
    for (int64_t i = 0; i < options_.birth_certificates; ++i) Birth();
    for (int64_t i = 0; i < options_.home_births; ++i) HomeBirth();
    for (int64_t i = 0; i < options_.death_notices; ++i) Death();
    for (int64_t i = 0; i < options_.home_deaths; ++i) HomeDeath();
    for (int64_t i = 0; i < options_.divorce_decisions; ++i) Decision();
    for (int64_t i = 0; i < options_.backlog_decisions; ++i) BacklogDecision();
    NumberCourtSequences();
    Manifests();
  }

 private:
  const Calendar& cal() const { return out_->calendar; }

  // --- randomness ----------------------------------------------------------------------------
  int64_t Between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(rng_() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool Permille(int p) { return static_cast<int>(rng_() % 1000) < p; }
  absl::Time TimeBetween(absl::Time lo, absl::Time hi) {
    return hi <= lo ? lo : lo + absl::Seconds(Between(0, absl::ToInt64Seconds(hi - lo)));
  }
  absl::CivilDay DayBetween(absl::CivilDay lo, absl::CivilDay hi) {
    return lo + Between(0, hi - lo);
  }
  template <class T, size_t N>
  const T& Pick(const T (&list)[N]) {
    return list[rng_() % N];
  }
  template <size_t N>
  Fate Draw(const Weighted (&table)[N]) {
    int r = static_cast<int>(rng_() % 1000);
    for (const auto& w : table) {
      if ((r -= w.permille) < 0) return w.fate;
    }
    return table[0].fate;
  }
  template <size_t N>
  std::optional<int> DrawDelay(const Delay (&table)[N]) {
    int r = static_cast<int>(rng_() % 1000);
    for (const auto& d : table) {
      if ((r -= d.permille) < 0) {
        if (d.hi < 0) return std::nullopt;
        return static_cast<int>(Between(d.lo, d.hi));
      }
    }
    return std::nullopt;
  }
  const Source& PickWeighted(const std::vector<Source>& sources, const SourceSpec* specs) {
    int total = 0;
    for (size_t i = 0; i < sources.size(); ++i) total += specs[i].weight;
    int r = static_cast<int>(Between(0, total - 1));
    for (size_t i = 0; i < sources.size(); ++i) {
      if ((r -= specs[i].weight) < 0) return sources[i];
    }
    return sources.back();
  }
  std::string AnyCommune() { return Pick(kCommunes).code; }

  // --- time ----------------------------------------------------------------------------------
  bool LateWindowOpen() const {
    return cal().now - kLateAge >= cal().period_start + absl::Hours(1);
  }
  // Room for a late record issued in P's first three days.
  bool NewYearWindowOpen() const {
    return cal().now - kLateAge >= cal().period_start + absl::Hours(72);
  }
  // issued_at of a new record: within kOnTimeWindow of now, or (kLatePermille of them, when P
  // is old enough) between 1 January and kLateAge ago.
  absl::Time Issued(bool* late) {
    *late = LateWindowOpen() && Permille(kLatePermille);
    return *late ? TimeBetween(cal().period_start, cal().now - kLateAge) : IssuedRecently();
  }
  absl::Time IssuedRecently() {
    return TimeBetween(std::max(cal().now - kOnTimeWindow, cal().period_start),
                       cal().now - absl::Minutes(1));
  }
  // When an event certified at `issued` happened: a late record soon before it was issued;
  // an on-time one any time in P before it (facilities send their year now).
  absl::Time EventBefore(absl::Time issued, bool late) {
    if (late) return std::max(cal().period_start, issued - absl::Minutes(Between(60, 1800)));
    return TimeBetween(cal().period_start, issued - absl::Minutes(1));
  }
  google::protobuf::Timestamp RecordedAt(absl::CivilDay registered) {
    return ToTimestamp(std::min(LocalAt(registered, 10), cal().now));
  }

  // --- people --------------------------------------------------------------------------------
  std::string Name(bool male) {
    const char* family = Pick(kFamily);
    const char* middle = male ? Pick(kMiddleMale) : Pick(kMiddleFemale);
    const char* given = male ? Pick(kGivenMale) : Pick(kGivenFemale);
    return absl::StrCat(family, " ", middle, " ", given);
  }
  // Unique across the population (the serial), consistent with sex and year of birth.
  std::string NewId(const std::string& commune, bool male, int64_t year) {
    const int64_t digit = (year - 1900) / 100 * 2 + (male ? 0 : 1);
    return absl::StrFormat("%s%d%02d%06d", CommuneOf(commune).id_prefix, digit, year % 100,
                           ++person_serial_);
  }
  common::Person NewPerson(bool male, absl::CivilDay born, const std::string& residence,
                           bool with_id = true) {
    common::Person p;
    if (with_id) p.mutable_personal_id()->set_number(NewId(residence, male, born.year()));
    p.set_full_name(Name(male));
    p.set_sex(male ? common::SEX_MALE : common::SEX_FEMALE);
    *p.mutable_date_of_birth() = ToDate(born);
    p.set_ethnicity("Kinh");
    p.mutable_residence()->set_commune_code(residence);
    return p;
  }
  common::Person Adult(bool male, int min_age, int max_age, absl::CivilDay at,
                       const std::string& residence, bool with_id = true) {
    const int64_t year = at.year() - Between(min_age, max_age);
    return NewPerson(male, DayBetween(absl::CivilDay(year, 1, 1), absl::CivilDay(year, 12, 28)),
                     residence, with_id);
  }

  // --- sending and declaring -----------------------------------------------------------------
  template <class R>
  void Send(const Source& s, v1::Action action, const std::string& reason, R record,
            std::vector<v1::RecordEnvelope>* wave) {
    v1::RecordEnvelope e;
    e.set_message_id(absl::StrCat("m", ++message_serial_));
    e.set_action(action);
    e.set_reason(reason);
    e.mutable_source()->set_kind(absl::StartsWith(s.principal, "court:")
                                     ? common::PRINCIPAL_KIND_COURT
                                     : common::PRINCIPAL_KIND_FACILITY);
    e.mutable_source()->set_code(s.code);
    SetRecord(&e, std::move(record));
    wave->push_back(std::move(e));
  }

  // Sends `first` (unless never sent), then `amended` or a void as the fate says, and adds
  // what the source's manifest declares.
  template <class R>
  void Issue(const Source& s, v1::RecordKind kind, bool backlog, Fate fate, const R& first,
             const R* amended) {
    if (fate != Fate::kNeverSent) Send(s, v1::ACTION_SUBMIT, "", first, &out_->submits);
    if (amended != nullptr) {
      Send(s, v1::ACTION_AMEND, "đính chính thông tin", *amended, &out_->changes);
    }
    if (fate == Fate::kVoided || fate == Fate::kVoidedDeclared) {
      Send(s, v1::ACTION_VOID, "cấp nhầm, đã hủy", KeyOnly(first), &out_->changes);
    }
    const R& current = amended != nullptr ? *amended : first;
    std::string hash = records::ContentHash(current);
    switch (fate) {
      case Fate::kUndeclared:
      case Fate::kVoided:
      case Fate::kPendingOnly:
        return;
      case Fate::kDeclaredNoHash:
        hash.clear();
        break;
      case Fate::kStaleHash:
        hash = records::ContentHash(Variant(current));
        break;
      case Fate::kAmendedStale:
      case Fate::kVoidedDeclared:
        hash = records::ContentHash(first);
        break;
      case Fate::kDuplicateEntry:
        Declare(s, kind, backlog, current, records::ContentHash(Variant(current)));
        break;
      default:
        break;
    }
    Declare(s, kind, backlog, current, hash);
  }

  template <class R>
  void Declare(const Source& s, v1::RecordKind kind, bool backlog, const R& r,
               const std::string& hash) {
    ManifestEntry entry;
    entry.set_business_key(records::KeyOf(r.key()).value);
    entry.set_content_hash(hash);
    *entry.mutable_issued_at() = r.issued_at();
    declared_[{s.principal, kind, backlog}].push_back({std::move(entry), DeclaredDay(r)});
  }

  void Register(const std::string& office, v1::Registration r, bool void_it) {
    r.mutable_key()->set_registry_office_code(office);
    r.mutable_key()->set_book(absl::StrCat("01/", r.registration_date().year()));
    r.mutable_key()->set_registration_no(std::to_string(++registration_serial_));
    r.mutable_registrar()->set_full_name(Pick(kRegistrars));
    r.mutable_registrar()->set_title("Công chức tư pháp - hộ tịch");
    v1::RecordEnvelope e;
    e.set_message_id(absl::StrCat("m", ++message_serial_));
    e.set_action(v1::ACTION_SUBMIT);
    e.mutable_source()->set_kind(common::PRINCIPAL_KIND_REGISTRY_OFFICE);
    e.mutable_source()->set_code(office);
    if (void_it) {
      v1::RecordEnvelope v = e;
      v.set_message_id(absl::StrCat("m", ++message_serial_));
      v.set_action(v1::ACTION_VOID);
      v.set_reason("đăng ký trùng, hủy");
      SetRecord(&v, KeyOnly(r));
      out_->changes.push_back(std::move(v));
    }
    SetRecord(&e, std::move(r));
    out_->submits.push_back(std::move(e));
  }

  // Whether the record stays in the database (sent and not voided).
  static bool InForce(Fate fate) {
    return fate != Fate::kNeverSent && fate != Fate::kVoided && fate != Fate::kVoidedDeclared;
  }

  // The registrations of one event registered `delay` days after `event` (none when
  // unregistered or not yet): mostly one; sometimes a second one at another office (only
  // `may_repeat`, where the certificate is in force, so the event's commune is never in
  // doubt), sometimes one voided and replaced later.
  void RegisterEvent(const v1::Registration& base, absl::CivilDay event, std::optional<int> delay,
                     const std::string& office, bool may_repeat) {
    if (!delay || event + *delay > cal().today) return;
    auto at = [&](absl::CivilDay day) {
      v1::Registration r = base;
      *r.mutable_registration_date() = ToDate(day);
      *r.mutable_event_date() = ToDate(event);
      *r.mutable_recorded_at() = RecordedAt(day);
      return r;
    };
    const absl::CivilDay day = event + *delay;
    const bool replaced = Permille(5);
    Register(office, at(day), replaced);
    if (replaced) {
      const absl::CivilDay again = day + Between(5, 70);
      if (again <= cal().today) Register(office, at(again), false);
    } else if (may_repeat && Permille(5)) {
      const absl::CivilDay again = day + Between(1, 20);
      if (again <= cal().today) Register(AnyCommune(), at(again), false);
    }
  }

  // --- births --------------------------------------------------------------------------------
  void Birth() {
    const Source& f = PickWeighted(facilities_, kFacilities);
    const Fate fate = Draw(kFacilityFates);
    bool late = false;
    const absl::Time issued = Issued(&late);
    const absl::Time born = EventBefore(issued, late);
    const absl::CivilDay born_day = LocalDay(born);
    const bool in_facility = Permille(970);
    const std::string mother_home = Permille(700) ? f.commune : AnyCommune();

    v1::BirthCertificate c;
    c.mutable_key()->set_facility_code(f.code);
    c.mutable_key()->set_certificate_no(
        absl::StrFormat("GCS-%d-%06d", cal().year, ++record_serial_));
    const bool male = Permille(512);
    auto* child = c.mutable_child();
    child->set_sex(male ? common::SEX_MALE : common::SEX_FEMALE);
    *child->mutable_born_at() = ToDateTime(born);
    child->set_weight_grams(static_cast<int32_t>(Between(2200, 4200)));
    child->set_gestational_weeks(static_cast<int32_t>(Between(35, 41)));
    child->set_birth_order(1);
    child->set_plurality(1);
    auto* place = c.mutable_place_of_birth();
    place->set_in_facility(in_facility);
    if (in_facility) {  // born outside: no facility in the place (the key names the certifier)
      place->mutable_facility()->set_facility_code(f.code);
      place->mutable_facility()->set_name(f.name);
    }
    place->set_commune_code(in_facility ? f.commune : AnyCommune());
    *c.mutable_mother() = Adult(false, 18, 42, born_day, mother_home);
    if (Permille(800)) *c.mutable_father() = Adult(true, 20, 50, born_day, mother_home);
    c.mutable_attendant()->set_full_name(Pick(kOfficers));
    c.mutable_issuing_officer()->set_full_name(Pick(kOfficers));
    *c.mutable_issued_at() = ToTimestamp(issued);

    // An amendment corrects the date of birth, sent a day late the first time.
    std::optional<v1::BirthCertificate> amended;
    if (fate == Fate::kAmended || fate == Fate::kAmendedStale) {
      amended = c;
      *c.mutable_child()->mutable_born_at() = ToDateTime(born - absl::Hours(24));
    }
    Issue(f, v1::RECORD_KIND_BIRTH_CERTIFICATE, false, fate, c, amended ? &*amended : nullptr);

    const auto delay = DrawDelay(kBirthDelays);
    RegisterEvent(BirthRegistration(amended ? *amended : c, born_day, mother_home), born_day, delay,
                  mother_home, InForce(fate));
  }

  // The birth registration of the child on `c` (dates and key filled in by RegisterEvent).
  v1::Registration BirthRegistration(const v1::BirthCertificate& c, absl::CivilDay born,
                                     const std::string& office) {
    v1::Registration r = HomeBirthRegistration(c.child().sex() == common::SEX_MALE, born, office);
    *r.mutable_other_persons(0) = c.mother();
    *r.mutable_other_persons(1) = c.has_father() ? c.father() : common::Person();
    *r.mutable_birth_certificate() = c.key();
    return r;
  }

  v1::Registration HomeBirthRegistration(bool male, absl::CivilDay born,
                                         const std::string& office) {
    v1::Registration r;
    r.set_kind(v1::REGISTRATION_KIND_BIRTH);
    *r.mutable_subject() = NewPerson(male, born, office);
    *r.add_other_persons() = Adult(false, 18, 42, born, office);
    *r.add_other_persons() = common::Person();  // father unknown
    return r;
  }

  void HomeBirth() {
    const std::string office = AnyCommune();
    const absl::CivilDay born = DayBetween(cal().first_day, cal().today);
    const auto delay = DrawDelay(kBirthDelays);
    const bool male = Permille(512);
    RegisterEvent(HomeBirthRegistration(male, born, office), born, delay, office, false);
  }

  // --- deaths --------------------------------------------------------------------------------
  void Death() {
    const Source& f = PickWeighted(facilities_, kFacilities);
    const Fate fate = Draw(kFacilityFates);
    bool late = false;
    absl::Time issued = Issued(&late);
    absl::Time died = EventBefore(issued, late);
    if (late && NewYearWindowOpen() && Permille(kAcrossNewYearPermille)) {
      // Died in the last days of the year before P, certified in P's first days: D5 counts it
      // in its own year (not in P), D4 in P (docs/indicators.md, "Notices").
      died = cal().period_start - absl::Minutes(Between(30, 3 * 1440));
      issued = cal().period_start + absl::Minutes(Between(30, 3 * 1440));
    }
    const absl::CivilDay died_day = LocalDay(died);
    const bool in_facility = Permille(880);
    const std::string home = Permille(700) ? f.commune : AnyCommune();

    v1::DeathNotice d;
    d.mutable_key()->set_facility_code(f.code);
    d.mutable_key()->set_notice_no(absl::StrFormat("GBT-%d-%06d", cal().year, ++record_serial_));
    const bool male = Permille(550);
    const bool with_id = Permille(970);
    *d.mutable_deceased() = Adult(male, 1, 95, died_day, home, with_id);
    if (!d.deceased().has_personal_id() && Permille(300)) d.mutable_deceased()->clear_full_name();
    *d.mutable_died_at() = ToDateTime(died);
    auto* place = d.mutable_place_of_death();
    place->set_in_facility(in_facility);
    if (in_facility) {
      place->mutable_facility()->set_facility_code(f.code);
      place->mutable_facility()->set_name(f.name);
    }
    place->set_commune_code(in_facility ? f.commune : AnyCommune());
    SetCause(&d);
    d.set_manner_of_death(v1::MANNER_OF_DEATH_NATURAL);
    d.mutable_certifier()->set_full_name(Pick(kOfficers));
    *d.mutable_issued_at() = ToTimestamp(issued);

    // An amendment certifies a cause first sent as ill-defined.
    std::optional<v1::DeathNotice> amended;
    if (fate == Fate::kAmended || fate == Fate::kAmendedStale) {
      amended = d;
      SetUnderlying(&*amended, Pick(kCertifiedCauses));
      SetUnderlying(&d, kIllDefinedCauses[0]);
    }
    Issue(f, v1::RECORD_KIND_DEATH_NOTICE, false, fate, d, amended ? &*amended : nullptr);

    v1::Registration r = DeathRegistration(d.deceased());
    *r.mutable_death_notice() = d.key();
    RegisterEvent(r, died_day, DrawDelay(kDeathDelays), home, InForce(fate));
  }

  // Cause chains: certified (78%), ill-defined R-chapter (12%), no underlying line (6%), an
  // underlying line without a code (4%).
  void SetCause(v1::DeathNotice* d) {
    auto* immediate = d->mutable_cause_of_death()->add_chain();
    immediate->set_role(v1::CAUSE_ROLE_IMMEDIATE);
    immediate->set_description("Sốc tim");
    immediate->set_icd10_code("R57.0");
    const int draw = static_cast<int>(Between(0, 99));
    if (draw < 78)
      SetUnderlying(d, Pick(kCertifiedCauses));
    else if (draw < 90)
      SetUnderlying(d, Pick(kIllDefinedCauses));
    else if (draw < 96)
      return;
    else
      SetUnderlying(d, Cause{"", "Đang chờ kết quả giám định"});
  }

  static void SetUnderlying(v1::DeathNotice* d, const Cause& cause) {
    auto* chain = d->mutable_cause_of_death()->mutable_chain();
    v1::CauseLine* line = nullptr;
    for (auto& l : *chain) {
      if (l.role() == v1::CAUSE_ROLE_UNDERLYING) line = &l;
    }
    if (line == nullptr) line = chain->Add();
    line->set_role(v1::CAUSE_ROLE_UNDERLYING);
    line->set_description(cause.description);
    line->set_icd10_code(cause.code);
  }

  static v1::Registration DeathRegistration(const common::Person& deceased) {
    v1::Registration r;
    r.set_kind(v1::REGISTRATION_KIND_DEATH);
    *r.mutable_subject() = deceased;
    if (r.subject().full_name().empty()) r.mutable_subject()->set_full_name("Chưa xác định");
    return r;
  }

  void HomeDeath() {
    const std::string office = AnyCommune();
    const absl::CivilDay died = DayBetween(cal().first_day, cal().today);
    const auto delay = DrawDelay(kDeathDelays);
    const bool male = Permille(550);
    RegisterEvent(DeathRegistration(Adult(male, 1, 95, died, office)), died, delay, office, false);
  }

  // --- divorce decisions ---------------------------------------------------------------------
  v1::DivorceDecision NewDecision(const Source& court, absl::CivilDay effect, absl::Time issued,
                                  bool ids_optional) {
    v1::DivorceDecision v;
    const int draw = static_cast<int>(Between(0, 99));
    v.set_kind(draw < 30   ? v1::DECISION_KIND_JUDGMENT
               : draw < 97 ? v1::DECISION_KIND_CONSENSUAL_RECOGNITION
                           : v1::DECISION_KIND_ANNULMENT);
    const absl::CivilDay decided = effect - (draw < 30 ? Between(15, 45) : Between(0, 7));
    v.mutable_key()->set_court_code(court.code);
    v.mutable_key()->set_decision_no(absl::StrFormat("%d/%d/%s", ++record_serial_, decided.year(),
                                                     draw < 30 ? "HNGĐ-ST" : "QĐST-HNGĐ"));
    *v.mutable_decision_date() = ToDate(decided);
    *v.mutable_legal_effect_date() = ToDate(effect);
    const std::string home = AnyCommune();
    *v.mutable_spouse_a() = Adult(true, 24, 60, decided, home, !ids_optional || Permille(950));
    *v.mutable_spouse_b() = Adult(false, 22, 58, decided, home, !ids_optional || Permille(950));
    if (Permille(600)) {
      const absl::CivilDay married = decided - Between(365, 4000);
      auto* m = v.mutable_marriage();
      m->set_registry_office_commune_code(home);
      m->set_book(absl::StrCat("01/", married.year()));
      m->set_registration_no(std::to_string(Between(1, 500)));
      *m->mutable_registered_on() = ToDate(married);
    }
    *v.mutable_issued_at() = ToTimestamp(issued);
    return v;
  }

  // The second version of a decision whose fate has one: it takes legal effect (the first was
  // pending), or it is set aside.
  std::optional<v1::DivorceDecision> Amend(Fate fate, v1::DivorceDecision* first) {
    if (fate == Fate::kAmended) {
      v1::DivorceDecision effective = *first;
      first->clear_legal_effect_date();
      return effective;
    }
    if (fate != Fate::kSetAside) return std::nullopt;
    v1::DivorceDecision set_aside = *first;
    const auto& e = first->legal_effect_date();
    const absl::CivilDay effect(e.year(), e.month(), e.day());
    auto* s = set_aside.mutable_set_aside();
    *s->mutable_set_aside_on() = ToDate(std::min(cal().today, effect + Between(30, 300)));
    s->set_by_decision_no(absl::StrCat(record_serial_, "/GĐT-DS"));
    s->set_reason("Vi phạm nghiêm trọng thủ tục tố tụng");
    return set_aside;
  }

  void Decision() {
    const Source& court = PickWeighted(courts_, kCourts);
    const Fate fate = Draw(kDecisionFates);
    bool late = false;
    const absl::Time issued = Issued(&late);
    const absl::CivilDay issued_day = LocalDay(issued);
    const absl::CivilDay effect = late ? std::max(cal().first_day, issued_day - Between(0, 5))
                                       : DayBetween(cal().first_day, issued_day);
    v1::DivorceDecision v = NewDecision(court, effect, issued, false);
    if (fate == Fate::kPendingOnly) v.clear_legal_effect_date();
    auto amended = Amend(fate, &v);
    Issue(court, v1::RECORD_KIND_DIVORCE_DECISION, false, fate, v, amended ? &*amended : nullptr);
  }

  // Decisions effective 2016..2025, exported by the court recently.
  void BacklogDecision() {
    const Source& court = PickWeighted(courts_, kCourts);
    const Fate fate = Draw(kBacklogFates);
    const absl::CivilDay effect = DayBetween(kBacklogFirstDay + 60, kBacklogLastDay);
    v1::DivorceDecision v = NewDecision(court, effect, IssuedRecently(), true);
    auto amended = Amend(fate, &v);
    Issue(court, v1::RECORD_KIND_DIVORCE_DECISION, true, fate, v, amended ? &*amended : nullptr);
  }

  // Each court's StreamDecisions sequence, in sending order: its submits, then its changes.
  void NumberCourtSequences() {
    std::map<std::string, uint64_t> next;
    for (auto* wave : {&out_->submits, &out_->changes}) {
      for (auto& e : *wave) {
        if (e.source().kind() == common::PRINCIPAL_KIND_COURT) {
          e.set_source_sequence(++next[e.source().code()]);
        }
      }
    }
  }

  // --- manifests -----------------------------------------------------------------------------
  struct Declared {
    ManifestEntry entry;
    absl::CivilDay day;
  };

  Manifest NewManifest(const Source& s, v1::RecordKind kind, const std::string& id,
                       absl::CivilDay first, absl::CivilDay last, bool backlog) {
    Manifest m;
    m.set_manifest_id(id);
    m.mutable_source()->set_kind(absl::StartsWith(s.principal, "court:")
                                     ? common::PRINCIPAL_KIND_COURT
                                     : common::PRINCIPAL_KIND_FACILITY);
    m.mutable_source()->set_code(s.code);
    m.set_kind(kind);
    *m.mutable_period_start() = ToDate(first);
    *m.mutable_period_end() = ToDate(last);
    m.set_backlog_inventory(backlog);
    return m;
  }

  // One manifest of `s`'s declared records of `kind` filed between `first` and `last`.
  void AddManifest(const Source& s, v1::RecordKind kind, const std::string& id,
                   absl::CivilDay first, absl::CivilDay last, bool backlog) {
    Manifest m = NewManifest(s, kind, id, first, last, backlog);
    for (const auto& d : declared_[{s.principal, kind, backlog}]) {
      if (d.day >= first && d.day <= last) *m.add_entries() = d.entry;
    }
    out_->manifests.push_back(std::move(m));
  }

  void Manifests() {
    const int year = cal().year;
    for (const auto& f : facilities_) {
      for (auto [kind, what] : {std::pair{v1::RECORD_KIND_BIRTH_CERTIFICATE, "births"},
                                std::pair{v1::RECORD_KIND_DEATH_NOTICE, "deaths"}}) {
        const std::string id = absl::StrCat(f.code, "-", what, "-", year);
        if (f.code != kMonthlyFacility) {
          AddManifest(f, kind, id, cal().first_day, cal().today, false);
          continue;
        }
        for (int month = 1; month <= cal().today.month(); ++month) {
          const absl::CivilDay first(year, month, 1);
          const absl::CivilDay last =
              std::min(cal().today, absl::CivilDay(absl::CivilMonth(first) + 1) - 1);
          AddManifest(f, kind, absl::StrFormat("%s-%02d", id, month), first, last, false);
        }
      }
      if (f.code == kPreviousYearFacility) PreviousYearManifest(f);
    }
    for (const auto& c : courts_) {
      AddManifest(c, v1::RECORD_KIND_DIVORCE_DECISION, absl::StrCat(c.code, "-decisions-", year),
                  cal().first_day, cal().today, false);
      AddManifest(c, v1::RECORD_KIND_DIVORCE_DECISION, absl::StrCat(c.code, "-backlog"),
                  kBacklogFirstDay, kBacklogLastDay, true);
    }
  }

  // December of the previous year: certificates never sent, outside every query over P.
  void PreviousYearManifest(const Source& f) {
    const int year = cal().year - 1;
    Manifest m = NewManifest(f, v1::RECORD_KIND_BIRTH_CERTIFICATE,
                             absl::StrCat(f.code, "-births-", year, "-12"),
                             absl::CivilDay(year, 12, 1), absl::CivilDay(year, 12, 31), false);
    for (int i = 1; i <= kPreviousYearEntries; ++i) {
      v1::BirthCertificateKey key;
      key.set_facility_code(f.code);
      key.set_certificate_no(absl::StrFormat("GCS-%d-9%05d", year, i));
      ManifestEntry* e = m.add_entries();
      e->set_business_key(records::KeyOf(key).value);
      *e->mutable_issued_at() = ToTimestamp(LocalAt(absl::CivilDay(year, 12, i % 31 + 1), 9));
    }
    out_->manifests.push_back(std::move(m));
  }

  const Options& options_;
  std::mt19937_64 rng_;
  Population* out_;
  std::vector<Source> facilities_;
  std::vector<Source> courts_;
  std::map<std::tuple<std::string, v1::RecordKind, bool>, std::vector<Declared>> declared_;
  int64_t person_serial_ = 0;
  int64_t record_serial_ = 0;
  int64_t registration_serial_ = 0;
  int64_t message_serial_ = 0;
};

}  // namespace

absl::TimeZone VietnamTime() { return absl::FixedTimeZone(7 * 3600); }

Calendar Calendar::At(absl::Time now) {
  Calendar c;
  c.now = absl::FromUnixSeconds(absl::ToUnixSeconds(now));  // whole seconds, like the records
  c.today = LocalDay(c.now);
  c.year = static_cast<int>(c.today.year());
  c.first_day = absl::CivilDay(c.year, 1, 1);
  c.period_start = absl::FromCivil(c.first_day, VietnamTime());
  return c;
}

absl::StatusOr<Population> Generate(const Options& options) {
  for (int64_t n : {options.birth_certificates, options.death_notices, options.divorce_decisions,
                    options.backlog_decisions, options.home_births, options.home_deaths}) {
    if (n < 0) return absl::InvalidArgumentError("record counts must be >= 0");
  }
  Population population;
  const Calendar cal = Calendar::At(options.now);
  if (cal.now - cal.period_start < kMinTimeIntoYear) {
    return absl::FailedPreconditionError(
        "the year began too recently: no room to date events in it");
  }
  Generator(options, &population).Run();
  return population;
}

std::string CommunesCsv(const Population& p) {
  std::string out = "commune_code,province_code,name\n";
  for (const auto& c : p.communes) {
    if (c.listed) absl::StrAppend(&out, c.code, ",", c.province, ",", c.name, "\n");
  }
  return out;
}

std::string SourcesCsv(const Population& p) {
  std::string out = "principal,commune_code,name\n";
  for (const auto& s : p.sources) {
    if (s.listed) absl::StrAppend(&out, s.principal, ",", s.commune, ",", s.name, "\n");
  }
  return out;
}

ingest::v1::IngestRequest HealthRequest(const v1::RecordEnvelope& e) {
  ingest::v1::IngestRequest r;
  r.set_message_id(e.message_id());
  r.set_action(e.action());
  r.set_reason(e.reason());
  if (e.has_birth_certificate()) *r.mutable_birth_certificate() = e.birth_certificate();
  if (e.has_death_notice()) *r.mutable_death_notice() = e.death_notice();
  return r;
}

ingest::v1::CourtIngestRequest CourtRequest(const v1::RecordEnvelope& e) {
  ingest::v1::CourtIngestRequest r;
  r.set_sequence(e.source_sequence());
  r.set_message_id(e.message_id());
  r.set_action(e.action());
  r.set_reason(e.reason());
  *r.mutable_decision() = e.divorce_decision();
  return r;
}

registry::v1::RecordRegistrationRequest RegistryRequest(const v1::RecordEnvelope& e) {
  registry::v1::RecordRegistrationRequest r;
  r.set_message_id(e.message_id());
  r.set_action(e.action());
  r.set_reason(e.reason());
  *r.mutable_registration() = e.registration();
  return r;
}

}  // namespace crvs::e2e::population
