#include "services/simulate/traffic_plan.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <utility>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>

#include "services/records/records.h"

namespace crvs::simulate {
namespace {

namespace v1 = ::crvs::records::v1;
namespace common = ::crvs::common::v1;
using ingest::v1::CourtIngestRequest;
using ingest::v1::IngestRequest;
using registry::v1::RecordRegistrationRequest;

constexpr absl::Duration kDay = absl::Hours(24);
constexpr int kVietnamOffsetMinutes = 420;
constexpr double kSilentFacilityWeight = 0.25;

google::protobuf::Timestamp ToProto(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t us = absl::ToUnixMicros(t);
  const int64_t seconds = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
  ts.set_seconds(seconds);
  ts.set_nanos(static_cast<int32_t>((us - seconds * 1000000) * 1000));
  return ts;
}

common::DateTime LocalDateTime(absl::Time t) {
  common::DateTime dt;
  *dt.mutable_instant() = ToProto(t);
  dt.set_utc_offset_minutes(kVietnamOffsetMinutes);
  return dt;
}

std::string Base36(uint64_t n) {
  std::string out;
  do {
    out.insert(out.begin(), "0123456789abcdefghijklmnopqrstuvwxyz"[n % 36]);
    n /= 36;
  } while (n > 0);
  return out;
}

common::Officer Officer(std::string name, std::string title) {
  common::Officer o;
  o.set_full_name(std::move(name));
  o.set_title(std::move(title));
  return o;
}

// A cause-of-death chain as a certifier writes it: the immediate cause, then the underlying one.
struct Cause {
  const char* immediate;
  const char* immediate_code;
  const char* underlying;
  const char* underlying_code;
  v1::MannerOfDeath manner;
};

const Cause kCauses[] = {
    {"Sốc tim", "R57.0", "Nhồi máu cơ tim cấp", "I21.9", v1::MANNER_OF_DEATH_NATURAL},
    {"Phù não", "G93.6", "Nhồi máu não", "I63.9", v1::MANNER_OF_DEATH_NATURAL},
    {"Suy hô hấp cấp", "J96.0", "Viêm phổi", "J18.9", v1::MANNER_OF_DEATH_NATURAL},
    {"Suy hô hấp cấp", "J96.0", "Bệnh phổi tắc nghẽn mạn tính", "J44.9",
     v1::MANNER_OF_DEATH_NATURAL},
    {"Suy kiệt", "R64", "Ung thư phổi", "C34.9", v1::MANNER_OF_DEATH_NATURAL},
    {"Xuất huyết tiêu hóa", "K92.2", "Ung thư gan", "C22.0", v1::MANNER_OF_DEATH_NATURAL},
    {"Hôn mê nhiễm toan ceton", "E11.1", "Đái tháo đường típ 2", "E11.9",
     v1::MANNER_OF_DEATH_NATURAL},
    {"Sốc nhiễm khuẩn", "R57.2", "Nhiễm khuẩn huyết", "A41.9", v1::MANNER_OF_DEATH_NATURAL},
    {"Xuất huyết não", "I61.9", "Tăng huyết áp", "I10", v1::MANNER_OF_DEATH_NATURAL},
    {"Hôn mê gan", "K72.9", "Xơ gan", "K74.6", v1::MANNER_OF_DEATH_NATURAL},
    {"Chấn thương sọ não", "S06.9", "Tai nạn giao thông", "V89.2", v1::MANNER_OF_DEATH_ACCIDENT},
    {"Ngạt nước", "T75.1", "Đuối nước", "W74", v1::MANNER_OF_DEATH_ACCIDENT},
};
// Not certified to the standard (R chapter): what indicator D5 counts against.
const Cause kIllDefined = {"Ngừng tuần hoàn", "I46.9", "Không rõ nguyên nhân", "R99",
                           v1::MANNER_OF_DEATH_UNDETERMINED};

const std::vector<std::string> kIntervals = {"2 giờ", "6 giờ", "1 ngày", "3 ngày", "2 tuần",
                                             "3 tháng", "1 năm", "5 năm"};

// The certifier's cause of death: one of kCauses, or (8%) an ill-defined one.
const Cause& PickCause(PersonMaker& people) {
  return people.Chance(8)
             ? kIllDefined
             : kCauses[people.Between(0, static_cast<int64_t>(std::size(kCauses)) - 1)];
}

// The cause-of-death chain of `cause` on `d`: the immediate cause, then the underlying one,
// each with the interval since onset the certifier wrote.
void AddCauseChain(const Cause& cause, PersonMaker& people, v1::DeathNotice* d) {
  v1::CauseLine* immediate = d->mutable_cause_of_death()->add_chain();
  immediate->set_role(v1::CAUSE_ROLE_IMMEDIATE);
  immediate->set_description(cause.immediate);
  immediate->set_icd10_code(cause.immediate_code);
  immediate->set_interval(people.Pick(kIntervals));
  v1::CauseLine* underlying = d->mutable_cause_of_death()->add_chain();
  underlying->set_role(v1::CAUSE_ROLE_UNDERLYING);
  underlying->set_description(cause.underlying);
  underlying->set_icd10_code(cause.underlying_code);
  underlying->set_interval(people.Pick(kIntervals));
}

Step MakeStep(Channel channel, std::string principal, Request request,
              std::string planted_field = "") {
  Step s;
  s.channel = channel;
  s.principal = std::move(principal);
  s.request = std::move(request);
  s.planted_field = std::move(planted_field);
  return s;
}

}  // namespace

const char* ChannelName(Channel channel) {
  switch (channel) {
    case Channel::kBirth:
      return "birth";
    case Channel::kDeath:
      return "death";
    case Channel::kDivorce:
      return "divorce";
    case Channel::kRegistration:
      return "registration";
    case Channel::kManifest:
      return "manifest";
  }
  return "?";
}

PlanOptions PlanOptions::From(const SimulateConfig& c) {
  PlanOptions o;
  o.rate = c.rate;
  o.facilities = c.facilities;
  o.courts = c.courts;
  o.invalid_percent = c.invalid_percent;
  o.late_percent = c.late_percent;
  o.missing_percent = c.missing_percent;
  o.amend_percent = c.amend_percent;
  o.void_percent = c.void_percent;
  o.time_scale = c.time_scale;
  o.seed = static_cast<uint64_t>(c.seed);
  o.silent_after = absl::Milliseconds(c.silent_after.count());
  o.manifest_interval = absl::Milliseconds(c.manifest_interval.count());
  return o;
}

absl::CivilDay VietnamDay(absl::Time t) {
  static const absl::TimeZone vietnam = absl::FixedTimeZone(kVietnamOffsetMinutes * 60);
  return absl::ToCivilDay(t, vietnam);
}

TrafficPlan::TrafficPlan(const PlanOptions& options, absl::Time start)
    : options_(options),
      start_(start),
      run_id_(Base36(static_cast<uint64_t>(absl::ToUnixSeconds(start)))),
      rng_(options.seed),
      people_(&rng_),
      facilities_(MakeFacilities(options.facilities)),
      courts_(MakeCourts(options.courts)) {
  if (options_.silent_after > absl::ZeroDuration() && facilities_.size() >= 2) {
    silent_facility_ = facilities_.back().code;
    silent_principal_ = facilities_.back().principal;
  }
  next_event_ = absl::Seconds(-std::log(1 - people_.Uniform()) / options_.rate);
  if (options_.manifest_interval > absl::ZeroDuration()) {
    Schedule(options_.manifest_interval, [this](absl::Duration at) -> std::optional<Step> {
      ManifestTick(at);
      return std::nullopt;
    });
  }
}

absl::Duration TrafficPlan::RealDelay(absl::Duration simulated) const {
  return simulated / options_.time_scale;
}

void TrafficPlan::Schedule(absl::Duration at,
                           std::function<std::optional<Step>(absl::Duration)> make) {
  pending_.push(Pending{at, seq_++, std::move(make)});
}

Step TrafficPlan::Next() {
  for (;;) {
    if (pending_.empty() || next_event_ <= pending_.top().at) {
      const absl::Duration at = next_event_;
      next_event_ += absl::Seconds(-std::log(1 - people_.Uniform()) / options_.rate);
      NewEvent(at);
      continue;
    }
    // Moving the closure out leaves `at` and `seq`, which order the heap, intact.
    Pending p = std::move(const_cast<Pending&>(pending_.top()));
    pending_.pop();
    std::optional<Step> step = p.make(p.at);
    if (step) {
      step->at = p.at;
      return std::move(*step);
    }
  }
}

bool TrafficPlan::Silenced(const std::string& principal, absl::Duration at) const {
  return !silent_principal_.empty() && principal == silent_principal_ &&
         at >= options_.silent_after;
}

const Source& TrafficPlan::PickFacility(absl::Duration at) {
  const double others = static_cast<double>(facilities_.size()) - 1;
  if (silent_principal_.empty()) {
    return facilities_[static_cast<size_t>(people_.Between(0, static_cast<int64_t>(others)))];
  }
  if (at >= options_.silent_after) {  // quiet: only the others send
    return facilities_[static_cast<size_t>(people_.Between(0, static_cast<int64_t>(others) - 1))];
  }
  // The silent facility (the last) is a small clinic, with a quarter of a hospital's traffic:
  // its submissions come seconds apart, so the reconciler learns its cadence before it stops.
  const double u = people_.Uniform() * (others + kSilentFacilityWeight);
  return facilities_[std::min(static_cast<size_t>(u), facilities_.size() - 1)];
}

std::string TrafficPlan::NextNumber() { return absl::StrCat(run_id_, "-", ++numbers_); }

std::string TrafficPlan::NextMessageId() { return absl::StrCat("sim-", run_id_, "-", ++messages_); }

std::optional<double> TrafficPlan::RegistrationDelayDays(int deadline_days, double late_percent,
                                                         double never_percent) {
  const double u = people_.Uniform() * 100;
  if (u < never_percent) return std::nullopt;
  if (u < never_percent + late_percent) {
    return deadline_days + 1 + people_.Uniform() * 3 * deadline_days;
  }
  const double v = people_.Uniform();
  return 0.1 + (deadline_days - 0.1) * v * v;  // most families come in the first weeks
}

void TrafficPlan::NewEvent(absl::Duration at) {
  const double u = people_.Uniform();
  if (u < 0.62) {
    NewBirth(at, people_.Chance(4));
  } else if (u < 0.91) {
    NewDeath(at, people_.Chance(25));
  } else {
    NewDivorce(at);
  }
}

std::optional<Step> TrafficPlan::SubmitHealth(absl::Duration at, const Source& facility,
                                              Channel channel, IngestRequest request,
                                              const std::string& key, absl::Time issued) {
  const std::string kind(ChannelName(channel));
  ledgers_[facility.principal][kind][key] = {absl::ToUnixMicros(issued), VietnamDay(issued),
                                             false};
  if (people_.Chance(options_.missing_percent)) return std::nullopt;  // issued, never sent
  request.set_message_id(NextMessageId());
  request.set_action(v1::ACTION_SUBMIT);
  if (!people_.Chance(options_.invalid_percent)) {
    return MakeStep(channel, facility.principal, std::move(request));
  }
  // A data-entry error the gateway rejects; the clerk fixes it and sends again, with a new
  // message id, a few simulated hours later.
  IngestRequest broken = request;
  broken.set_message_id(NextMessageId());
  std::string field = PlantHealthError(at, &broken);
  const std::string principal = facility.principal;
  Schedule(at + RealDelay(absl::Seconds(people_.Between(3600, 6 * 3600))),
           [this, principal, channel, request](absl::Duration when) -> std::optional<Step> {
             if (Silenced(principal, when)) return std::nullopt;
             return MakeStep(channel, principal, request);
           });
  return MakeStep(channel, facility.principal, std::move(broken), std::move(field));
}

std::string TrafficPlan::PlantHealthError(absl::Duration at, IngestRequest* r) {
  const uint64_t n = planted_++;
  if (r->has_birth_certificate()) {
    v1::BirthCertificate* b = r->mutable_birth_certificate();
    switch (n % 4) {
      case 0: {  // the mother's ID says male
        std::string* id = b->mutable_mother()->mutable_personal_id()->mutable_number();
        (*id)[3] = static_cast<char>((*id)[3] - 1);
        return "birth_certificate.mother.personal_id.number";
      }
      case 1:
        b->mutable_child()->set_weight_grams(0);
        return "birth_certificate.child.weight_grams";
      case 2:
        b->mutable_place_of_birth()->mutable_commune_code()->pop_back();
        return "birth_certificate.place_of_birth.commune_code";
      default:
        *b->mutable_child()->mutable_born_at() = LocalDateTime(At(at) + 3 * kDay);
        return "birth_certificate.child.born_at";
    }
  }
  v1::DeathNotice* d = r->mutable_death_notice();
  switch (n % 3) {
    case 0: {  // typed in lower case: "i21.9"
      const int last = d->cause_of_death().chain_size() - 1;
      std::string* code = d->mutable_cause_of_death()->mutable_chain(last)->mutable_icd10_code();
      code->front() = static_cast<char>(code->front() - 'A' + 'a');
      return absl::StrCat("death_notice.cause_of_death.chain[", last, "].icd10_code");
    }
    case 1: {  // the ID's year digits disagree with the date of birth
      std::string* id = d->mutable_deceased()->mutable_personal_id()->mutable_number();
      (*id)[5] = (*id)[5] == '9' ? '0' : static_cast<char>((*id)[5] + 1);
      return "death_notice.deceased.personal_id.number";
    }
    default: {  // issued before the death: the hand-entered death time is the one named
      const absl::Time died = absl::FromUnixSeconds(d->died_at().instant().seconds());
      *d->mutable_issued_at() = ToProto(died - absl::Hours(1));
      return "death_notice.died_at";
    }
  }
}

void TrafficPlan::ScheduleChange(absl::Duration at, const Source& facility, Channel channel,
                                 IngestRequest amended, std::string reason, bool void_it,
                                 const std::string& key) {
  const std::string principal = facility.principal;
  const std::string kind(ChannelName(channel));
  Schedule(at, [this, principal, channel, kind, key, void_it, reason = std::move(reason),
                request = std::move(amended)](absl::Duration when) mutable -> std::optional<Step> {
    if (Silenced(principal, when)) return std::nullopt;
    request.set_message_id(NextMessageId());
    request.set_action(void_it ? v1::ACTION_VOID : v1::ACTION_AMEND);
    request.set_reason(reason);
    if (void_it) {
      auto& ledger = ledgers_[principal][kind];
      auto it = ledger.find(key);
      if (it != ledger.end()) it->second.voided = true;
      if (request.has_birth_certificate()) {
        v1::BirthCertificateKey k = request.birth_certificate().key();
        *request.mutable_birth_certificate() = v1::BirthCertificate();
        *request.mutable_birth_certificate()->mutable_key() = k;
      } else {
        v1::DeathNoticeKey k = request.death_notice().key();
        *request.mutable_death_notice() = v1::DeathNotice();
        *request.mutable_death_notice()->mutable_key() = k;
      }
    }
    return MakeStep(channel, principal, request);
  });
}

void TrafficPlan::ScheduleRegistration(absl::Duration at, v1::Registration registration,
                                       absl::CivilDay event, double delay_days) {
  Schedule(at, [this, event, delay_days, r = std::move(registration)](
                   absl::Duration when) mutable -> std::optional<Step> {
    const absl::Time t = At(when);
    const absl::CivilDay registered =
        std::min(event + static_cast<int64_t>(delay_days), VietnamDay(t));
    *r.mutable_registration_date() = ToLocalDate(registered);
    *r.mutable_event_date() = ToLocalDate(event);
    r.mutable_key()->set_registration_no(NextNumber());
    *r.mutable_registrar() = Officer(people_.OfficerName(), "Công chức tư pháp - hộ tịch");
    *r.mutable_recorded_at() = ToProto(t);
    RecordRegistrationRequest request;
    request.set_message_id(NextMessageId());
    request.set_action(v1::ACTION_SUBMIT);
    const std::string principal = RegistryOfficePrincipal(r.key().registry_office_code());
    *request.mutable_registration() = std::move(r);
    return MakeStep(Channel::kRegistration, principal, std::move(request));
  });
}

// A registration of `kind` at the commune of Places()[office] (number and dates are set when
// it is sent).
static v1::Registration RegistrationAt(size_t office, v1::RegistrationKind kind, int year) {
  v1::Registration r;
  const char* book = kind == v1::REGISTRATION_KIND_BIRTH   ? "KS"
                     : kind == v1::REGISTRATION_KIND_DEATH ? "KT"
                                                           : "LH";
  r.mutable_key()->set_registry_office_code(Places()[office].commune_code);
  r.mutable_key()->set_book(absl::StrCat(book, "-01/", year));
  r.set_kind(kind);
  return r;
}

void TrafficPlan::NewBirth(absl::Duration at, bool home) {
  const absl::CivilDay today = VietnamDay(At(at));
  if (home) {
    NewHomeBirth(at, today);
    return;
  }
  const Delivery delivery = NewDelivery(at);
  for (int order = 1; order <= delivery.plurality; ++order) {
    const bool male = people_.Chance(51);
    const v1::BirthCertificate b = BirthCertificateOf(delivery, today, order, male);
    const std::string key = records::KeyOf(b.key()).value;
    IngestRequest request;
    *request.mutable_birth_certificate() = b;
    const bool sent =
        SendHealth(at, *delivery.facility, Channel::kBirth, request, key, delivery.issued);
    if (sent && ScheduleBirthChange(at, *delivery.facility, request, key, male)) continue;
    ScheduleBirthRegistration(at, delivery, today, b, male);
  }
}

void TrafficPlan::NewHomeBirth(absl::Duration at, absl::CivilDay today) {
  // A birth at home: no certificate. The commune enters the registration from its paper
  // book, so it is dated in the past: registration_date = event + delay <= today.
  const double delay = *RegistrationDelayDays(60, 8, 0);
  const absl::CivilDay event =
      today - static_cast<int64_t>(delay) - people_.Between(0, 90);
  const size_t office = people_.PickPlace();
  const bool male = people_.Chance(51);
  v1::Registration r = RegistrationAt(office, v1::REGISTRATION_KIND_BIRTH,
                                      static_cast<int>(today.year()));
  *r.mutable_subject() = people_.Person(male, event, office, office);
  const absl::CivilDay mother_born =
      people_.DayIn(static_cast<int>(event.year() - people_.Between(18, 42)), event - 1);
  *r.add_other_persons() = people_.Person(false, mother_born, office, office);
  r.add_other_persons();  // father unknown
  ScheduleRegistration(at, std::move(r), event, delay);
}

TrafficPlan::Delivery TrafficPlan::NewDelivery(absl::Duration at) {
  Delivery d;
  d.facility = &PickFacility(at);
  const bool late = people_.Chance(options_.late_percent);
  d.issued = At(at) - absl::Seconds(late ? people_.Between(26 * 3600, 72 * 3600)
                                         : people_.Between(5, 600));
  d.born = d.issued - absl::Seconds(people_.Between(3600, 30 * 3600));
  const absl::CivilDay born_day = VietnamDay(d.born);
  d.plurality = people_.Chance(1.5) ? 2 : 1;

  d.home_place = people_.Chance(80) ? d.facility->place : people_.PickPlace();
  const size_t mother_origin = people_.Chance(75) ? d.home_place : people_.PickPlace();
  const int mother_age = static_cast<int>(people_.Between(18, 42));
  d.mother = people_.Person(
      false, people_.DayIn(static_cast<int>(born_day.year()) - mother_age, born_day - 1),
      mother_origin, d.home_place);
  if (people_.Chance(85)) {
    const int age = std::max(18, mother_age + static_cast<int>(people_.Between(-2, 8)));
    d.father = people_.Person(
        true, people_.DayIn(static_cast<int>(born_day.year()) - age, born_day - 1),
        people_.Chance(75) ? d.home_place : people_.PickPlace(), d.home_place);
  }
  return d;
}

v1::BirthCertificate TrafficPlan::BirthCertificateOf(const Delivery& delivery,
                                                     absl::CivilDay today, int order,
                                                     bool male) {
  const Source& facility = *delivery.facility;
  const int plurality = delivery.plurality;
  v1::BirthCertificate b;
  b.mutable_key()->set_facility_code(facility.code);
  b.mutable_key()->set_certificate_no(absl::StrCat("GCS-", today.year(), "-", NextNumber()));
  v1::Child* child = b.mutable_child();
  if (people_.Chance(30)) child->set_full_name(people_.Name(male));
  child->set_sex(male ? common::SEX_MALE : common::SEX_FEMALE);
  *child->mutable_born_at() = LocalDateTime(delivery.born + absl::Minutes(10 * (order - 1)));
  double spread = 0;
  for (int i = 0; i < 4; ++i) spread += people_.Uniform();
  const int weight = std::clamp(
      static_cast<int>(3100 + (spread - 2) * 600 - (plurality > 1 ? 600 : 0)), 1200, 4800);
  child->set_weight_grams(weight);
  if (people_.Chance(90)) {
    child->set_gestational_weeks(static_cast<int32_t>(
        weight < 2500 ? people_.Between(33, 37) : people_.Between(37, 41)));
  }
  child->set_birth_order(order);
  child->set_plurality(plurality);
  v1::PlaceOfBirth* where = b.mutable_place_of_birth();
  if (people_.Chance(97)) {
    where->set_in_facility(true);
    where->mutable_facility()->set_facility_code(facility.code);
    where->mutable_facility()->set_name(facility.name);
    where->set_commune_code(Places()[facility.place].commune_code);
  } else {  // born on the way; the facility certifies it
    where->set_commune_code(Places()[delivery.home_place].commune_code);
  }
  *b.mutable_mother() = delivery.mother;
  if (delivery.father) *b.mutable_father() = *delivery.father;
  *b.mutable_attendant() =
      Officer(people_.OfficerName(), people_.Chance(60) ? "Nữ hộ sinh" : "Bác sĩ");
  *b.mutable_issuing_officer() = Officer(people_.OfficerName(), "Phó Giám đốc");
  *b.mutable_issued_at() = ToProto(delivery.issued);
  return b;
}

bool TrafficPlan::ScheduleBirthChange(absl::Duration at, const Source& facility,
                                      const IngestRequest& request, const std::string& key,
                                      bool male) {
  if (people_.Chance(options_.amend_percent)) {
    IngestRequest amended = request;
    v1::Child* c = amended.mutable_birth_certificate()->mutable_child();
    std::string reason;
    if (c->full_name().empty()) {
      c->set_full_name(people_.Name(male));
      reason = "Bổ sung họ tên trẻ";
    } else {
      c->set_weight_grams(std::clamp(
          c->weight_grams() + static_cast<int>(people_.Between(-150, 150)), 1200, 4800));
      reason = "Đính chính cân nặng trẻ sơ sinh";
    }
    ScheduleChange(at + RealDelay(absl::Hours(people_.Between(8, 72))), facility,
                   Channel::kBirth, std::move(amended), std::move(reason), false, key);
    return false;
  }
  if (people_.Chance(options_.void_percent)) {
    ScheduleChange(at + RealDelay(absl::Hours(people_.Between(8, 48))), facility,
                   Channel::kBirth, request, "Cấp nhầm, hủy giấy chứng sinh", true, key);
    return true;
  }
  return false;
}

void TrafficPlan::ScheduleBirthRegistration(absl::Duration at, const Delivery& delivery,
                                            absl::CivilDay today,
                                            const v1::BirthCertificate& certificate, bool male) {
  // The family registers the birth at the mother's commune, days later.
  const std::optional<double> delay = RegistrationDelayDays(60, 8, 2);
  if (!delay) return;
  const absl::CivilDay born_day = VietnamDay(delivery.born);
  const v1::Child& child = certificate.child();
  const size_t office = delivery.home_place;
  v1::Registration r = RegistrationAt(office, v1::REGISTRATION_KIND_BIRTH,
                                      static_cast<int>(today.year()));
  common::Person* subject = r.mutable_subject();
  subject->mutable_personal_id()->set_number(people_.PersonalId(
      Places()[office].id_prefix, male, static_cast<int>(born_day.year())));
  subject->set_full_name(child.full_name().empty() ? people_.Name(male) : child.full_name());
  subject->set_sex(child.sex());
  *subject->mutable_date_of_birth() = ToLocalDate(born_day);
  subject->mutable_residence()->set_commune_code(Places()[office].commune_code);
  *r.add_other_persons() = delivery.mother;
  if (delivery.father) {
    *r.add_other_persons() = *delivery.father;
  } else {
    r.add_other_persons();
  }
  *r.mutable_birth_certificate() = certificate.key();
  ScheduleRegistration(at + RealDelay(absl::Seconds(*delay * 86400)), std::move(r), born_day,
                       *delay);
}

bool TrafficPlan::SendHealth(absl::Duration at, const Source& facility, Channel channel,
                             const IngestRequest& request, const std::string& key,
                             absl::Time issued) {
  std::optional<Step> step = SubmitHealth(at, facility, channel, request, key, issued);
  if (!step) return false;
  Schedule(at, [s = std::move(*step)](absl::Duration) mutable {
    return std::optional<Step>(std::move(s));
  });
  return true;
}

int TrafficPlan::DeathAge() {
  const double age_draw = people_.Uniform();
  return static_cast<int>(age_draw < 0.7   ? people_.Between(60, 95)
                          : age_draw < 0.9 ? people_.Between(30, 59)
                                           : people_.Between(1, 29));
}

void TrafficPlan::NewDeath(absl::Duration at, bool home) {
  const absl::Time t = At(at);
  const absl::CivilDay today = VietnamDay(t);
  const bool male = people_.Chance(55);
  const int age = DeathAge();
  if (home) {
    NewHomeDeath(at, today, male, age);
    return;
  }

  const Source& facility = PickFacility(at);
  const bool late = people_.Chance(options_.late_percent);
  const absl::Time issued =
      t - absl::Seconds(late ? people_.Between(26 * 3600, 72 * 3600) : people_.Between(5, 600));
  const absl::Time died = issued - absl::Seconds(people_.Between(1800, 12 * 3600));
  const absl::CivilDay died_day = VietnamDay(died);
  const size_t home_place = people_.Chance(80) ? facility.place : people_.PickPlace();
  const common::Person deceased = people_.Person(
      male, people_.DayIn(static_cast<int>(died_day.year()) - age, died_day - 1),
      people_.Chance(80) ? home_place : people_.PickPlace(), home_place);

  v1::DeathNotice d;
  d.mutable_key()->set_facility_code(facility.code);
  d.mutable_key()->set_notice_no(absl::StrCat("GBT-", today.year(), "-", NextNumber()));
  *d.mutable_deceased() = deceased;
  *d.mutable_died_at() = LocalDateTime(died);
  SetPlaceOfDeath(facility, home_place, &d);
  const Cause& cause = PickCause(people_);
  AddCauseChain(cause, people_, &d);
  const bool investigated =
      cause.manner == v1::MANNER_OF_DEATH_ACCIDENT && people_.Chance(30);
  d.set_manner_of_death(investigated ? v1::MANNER_OF_DEATH_PENDING_INVESTIGATION : cause.manner);
  *d.mutable_certifier() = Officer(people_.OfficerName(), "Bác sĩ");
  *d.mutable_issued_at() = ToProto(issued);

  const std::string key = records::KeyOf(d.key()).value;
  IngestRequest request;
  *request.mutable_death_notice() = d;
  const bool sent = SendHealth(at, facility, Channel::kDeath, request, key, issued);
  const bool ill_defined = std::string(cause.underlying_code) == kIllDefined.underlying_code;
  if (sent && ScheduleDeathChange(at, facility, request, key, investigated, ill_defined)) return;
  ScheduleDeathRegistration(at, home_place, today, died_day, deceased, d.key());
}

void TrafficPlan::NewHomeDeath(absl::Duration at, absl::CivilDay today, bool male, int age) {
  // A death at home: no notice; entered from the commune's paper book as for home births.
  const double delay = *RegistrationDelayDays(15, 12, 0);
  const absl::CivilDay event =
      today - static_cast<int64_t>(delay) - people_.Between(0, 60);
  const size_t office = people_.PickPlace();
  v1::Registration r = RegistrationAt(office, v1::REGISTRATION_KIND_DEATH,
                                      static_cast<int>(today.year()));
  *r.mutable_subject() = people_.Person(
      male, people_.DayIn(static_cast<int>(event.year()) - age, event - 1),
      people_.Chance(80) ? office : people_.PickPlace(), office);
  ScheduleRegistration(at, std::move(r), event, delay);
}

void TrafficPlan::SetPlaceOfDeath(const Source& facility, size_t home_place,
                                  v1::DeathNotice* d) {
  if (people_.Chance(85)) {
    d->mutable_place_of_death()->set_in_facility(true);
    d->mutable_place_of_death()->mutable_facility()->set_facility_code(facility.code);
    d->mutable_place_of_death()->set_commune_code(Places()[facility.place].commune_code);
  } else {  // brought in dead
    d->mutable_place_of_death()->set_commune_code(Places()[home_place].commune_code);
  }
}

bool TrafficPlan::ScheduleDeathChange(absl::Duration at, const Source& facility,
                                      const IngestRequest& request, const std::string& key,
                                      bool investigated, bool ill_defined) {
  if (investigated || people_.Chance(options_.amend_percent)) {
    IngestRequest amended = request;
    v1::DeathNotice* a = amended.mutable_death_notice();
    std::string reason;
    if (investigated) {
      a->set_manner_of_death(v1::MANNER_OF_DEATH_ACCIDENT);
      reason = "Kết luận điều tra: tai nạn";
    } else if (ill_defined) {
      const Cause& found = kCauses[people_.Between(0, 9)];  // the natural causes
      a->mutable_cause_of_death()->mutable_chain(1)->set_description(found.underlying);
      a->mutable_cause_of_death()->mutable_chain(1)->set_icd10_code(found.underlying_code);
      a->set_manner_of_death(v1::MANNER_OF_DEATH_NATURAL);
      reason = "Xác định nguyên nhân tử vong sau giải phẫu bệnh";
    } else {
      a->mutable_cause_of_death()->mutable_chain(1)->set_interval(people_.Pick(kIntervals));
      reason = "Đính chính thời gian mắc bệnh";
    }
    ScheduleChange(at + RealDelay(absl::Hours(people_.Between(8, 96))), facility,
                   Channel::kDeath, std::move(amended), std::move(reason), false, key);
    return false;
  }
  if (people_.Chance(options_.void_percent)) {
    ScheduleChange(at + RealDelay(absl::Hours(people_.Between(8, 48))), facility,
                   Channel::kDeath, request, "Cấp nhầm người bệnh, hủy giấy báo tử", true, key);
    return true;
  }
  return false;
}

void TrafficPlan::ScheduleDeathRegistration(absl::Duration at, size_t home_place,
                                            absl::CivilDay today, absl::CivilDay died_day,
                                            const common::Person& deceased,
                                            const v1::DeathNoticeKey& notice) {
  // The family registers the death at the deceased's commune, days later.
  const std::optional<double> delay = RegistrationDelayDays(15, 12, 3);
  if (!delay) return;
  v1::Registration r = RegistrationAt(home_place, v1::REGISTRATION_KIND_DEATH,
                                      static_cast<int>(today.year()));
  *r.mutable_subject() = deceased;
  *r.mutable_death_notice() = notice;
  ScheduleRegistration(at + RealDelay(absl::Seconds(*delay * 86400)), std::move(r), died_day,
                       *delay);
}

void TrafficPlan::NewDivorce(absl::Duration at) {
  const absl::Time t = At(at);
  const absl::CivilDay today = VietnamDay(t);
  const Source& court = courts_[static_cast<size_t>(
      people_.Between(0, static_cast<int64_t>(courts_.size()) - 1))];
  const double kind_draw = people_.Uniform();
  const v1::DecisionKind kind = kind_draw < 0.67   ? v1::DECISION_KIND_CONSENSUAL_RECOGNITION
                                : kind_draw < 0.97 ? v1::DECISION_KIND_JUDGMENT
                                                   : v1::DECISION_KIND_ANNULMENT;
  const absl::CivilDay decided = today - people_.Between(0, 10);
  const char* series = kind == v1::DECISION_KIND_JUDGMENT                ? "HNGĐ-ST"
                       : kind == v1::DECISION_KIND_CONSENSUAL_RECOGNITION ? "QĐST-HNGĐ"
                                                                          : "QĐ-HNGĐ";

  v1::DivorceDecision v;
  v.mutable_key()->set_court_code(court.code);
  v.mutable_key()->set_decision_no(
      absl::StrCat(people_.Between(1, 999), "/", decided.year(), "/", series, "-", NextNumber()));
  v.set_kind(kind);
  *v.mutable_decision_date() = ToLocalDate(decided);
  const size_t office = AddSpousesAndMarriage(court, decided, &v);
  *v.mutable_issued_at() = ToProto(t);

  const std::string key = records::KeyOf(v.key()).value;
  const int64_t first_issued_us = absl::ToUnixMicros(t);
  CourtIngestRequest request;
  request.set_action(v1::ACTION_SUBMIT);
  const bool effective_now = kind == v1::DECISION_KIND_CONSENSUAL_RECOGNITION;
  if (effective_now) {
    *v.mutable_legal_effect_date() = ToLocalDate(decided);
    ledgers_[court.principal]["divorce"][key] = {first_issued_us, decided, false};
  }
  *request.mutable_decision() = v;

  const std::string principal = court.principal;
  if (people_.Chance(options_.invalid_percent)) {
    ScheduleBrokenDecision(at, principal, request, decided);
    at += RealDelay(absl::Seconds(people_.Between(3600, 6 * 3600)));  // corrected later
  }
  request.set_message_id(NextMessageId());
  Schedule(at, [principal, request](absl::Duration) {
    return std::optional<Step>(MakeStep(Channel::kDivorce, principal, request));
  });
  if (effective_now) {
    NoteDivorce(at, office, v, decided);
    return;
  }
  ScheduleLegalEffect(at, principal, request, decided, key, first_issued_us, office);
}

size_t TrafficPlan::AddSpousesAndMarriage(const Source& court, absl::CivilDay decided,
                                          v1::DivorceDecision* v) {
  const size_t home = people_.Chance(85) ? court.place : people_.PickPlace();
  const int born_a = static_cast<int>(decided.year() - people_.Between(24, 60));
  const int born_b = static_cast<int>(std::min<int64_t>(born_a + people_.Between(-3, 6),
                                                         decided.year() - 20));
  const absl::CivilDay dob_a = people_.DayIn(born_a, decided - 1);
  const absl::CivilDay dob_b = people_.DayIn(born_b, decided - 1);
  *v->mutable_spouse_a() =
      people_.Person(true, dob_a, people_.Chance(80) ? home : people_.PickPlace(), home);
  *v->mutable_spouse_b() =
      people_.Person(false, dob_b, people_.Chance(80) ? home : people_.PickPlace(), home);
  size_t office = home;
  if (people_.Chance(60)) {
    const absl::CivilDay earliest = std::max(dob_a, dob_b) + 18 * 366;
    const absl::CivilDay latest = decided - 180;
    if (earliest < latest) {
      const absl::CivilDay married = earliest + people_.Between(0, latest - earliest);
      office = people_.Chance(70) ? home : people_.PickPlace();
      v1::MarriageRef* m = v->mutable_marriage();
      m->set_registry_office_commune_code(Places()[office].commune_code);
      m->set_book(absl::StrCat("01/", married.year()));
      m->set_registration_no(std::to_string(people_.Between(1, 500)));
      *m->mutable_registered_on() = ToLocalDate(married);
    }
  }
  return office;
}

void TrafficPlan::ScheduleBrokenDecision(absl::Duration at, const std::string& principal,
                                         const CourtIngestRequest& request,
                                         absl::CivilDay decided) {
  CourtIngestRequest broken = request;
  broken.set_message_id(NextMessageId());
  v1::DivorceDecision* b = broken.mutable_decision();
  std::string field;
  switch (planted_++ % 3) {
    case 0:
      *b->mutable_legal_effect_date() = ToLocalDate(decided - 3);
      field = "decision.legal_effect_date";
      break;
    case 1:
      *b->mutable_spouse_b()->mutable_personal_id() = b->spouse_a().personal_id();
      field = "decision.spouse_b.personal_id.number";
      break;
    default:
      b->mutable_spouse_a()->mutable_personal_id()->mutable_number()->replace(0, 3, "000");
      field = "decision.spouse_a.personal_id.number";
      break;
  }
  Step s = MakeStep(Channel::kDivorce, principal, std::move(broken), std::move(field));
  Schedule(at, [s = std::move(s)](absl::Duration) mutable {
    return std::optional<Step>(std::move(s));
  });
}

void TrafficPlan::NoteDivorce(absl::Duration at, size_t office,
                              const v1::DivorceDecision& decision, absl::CivilDay effect) {
  const double delay = 1 + people_.Uniform() * 29;
  v1::Registration r = RegistrationAt(office, v1::REGISTRATION_KIND_DIVORCE_NOTED,
                                      static_cast<int>(VietnamDay(At(at)).year()));
  *r.mutable_subject() = decision.spouse_a();
  *r.add_other_persons() = decision.spouse_b();
  *r.mutable_divorce_decision() = decision.key();
  ScheduleRegistration(at + RealDelay(absl::Seconds(delay * 86400)), std::move(r), effect,
                       delay);
}

void TrafficPlan::ScheduleLegalEffect(absl::Duration at, const std::string& principal,
                                      CourtIngestRequest request, absl::CivilDay decided,
                                      const std::string& key, int64_t first_issued_us,
                                      size_t office) {
  // A judgment or annulment takes legal effect once the appeal period has run out; the court
  // sends the decision again with its date of legal effect.
  const int64_t effect_days = people_.Between(16, 45);
  Schedule(at + RealDelay(effect_days * kDay),
           [this, principal, request = std::move(request), decided, effect_days, first_issued_us,
            key, office](absl::Duration when) mutable -> std::optional<Step> {
             const absl::Time now = At(when);
             const absl::CivilDay effect = std::min(decided + effect_days, VietnamDay(now));
             v1::DivorceDecision* d = request.mutable_decision();
             *d->mutable_legal_effect_date() = ToLocalDate(effect);
             *d->mutable_issued_at() = ToProto(now);
             request.set_message_id(NextMessageId());
             request.set_action(v1::ACTION_AMEND);
             request.set_reason("Bản án, quyết định đã có hiệu lực pháp luật");
             ledgers_[principal]["divorce"][key] = {first_issued_us, effect, false};
             NoteDivorce(when, office, *d, effect);
             return MakeStep(Channel::kDivorce, principal, request);
           });
}

void TrafficPlan::ManifestTick(absl::Duration at) {
  Schedule(at + options_.manifest_interval, [this](absl::Duration when) -> std::optional<Step> {
    ManifestTick(when);
    return std::nullopt;
  });
  const absl::CivilDay today = VietnamDay(At(at));
  const absl::CivilMonth this_month(today);
  auto declare = [&](const Source& source, common::PrincipalKind principal_kind,
                     const std::string& kind, v1::RecordKind record_kind) {
    if (Silenced(source.principal, at)) return;
    Ledger& ledger = ledgers_[source.principal][kind];
    // Earlier months get a last, complete declaration and are forgotten; the current month
    // is declared up to today.
    std::map<absl::CivilMonth, reconcile::v1::Manifest> by_month;
    by_month[this_month];
    for (auto it = ledger.begin(); it != ledger.end();) {
      const absl::CivilMonth month(it->second.day);
      if (!it->second.voided) {
        reconcile::v1::ManifestEntry* e = by_month[month].add_entries();
        e->set_business_key(it->first);
        *e->mutable_issued_at() = ToProto(absl::FromUnixMicros(it->second.issued_at_us));
      }
      it = month < this_month ? ledger.erase(it) : std::next(it);
    }
    for (auto& [month, manifest] : by_month) {
      // A large month is re-declared less often (10 ms per entry between declarations), so
      // the reconciler is not asked to replace hundreds of thousands of entries every interval.
      absl::Duration& last = last_declared_[source.principal + "/" + kind];
      if (month == this_month && last > absl::ZeroDuration() &&
          at - last < std::max(options_.manifest_interval,
                               absl::Milliseconds(10) * manifest.entries_size())) {
        continue;
      }
      if (month == this_month) last = at;
      manifest.set_manifest_id(absl::StrCat("sim-", kind, "-", absl::FormatCivilTime(month)));
      manifest.mutable_source()->set_kind(principal_kind);
      manifest.mutable_source()->set_code(source.code);
      manifest.set_kind(record_kind);
      *manifest.mutable_period_start() = ToLocalDate(absl::CivilDay(month));
      *manifest.mutable_period_end() =
          ToLocalDate(month == this_month ? today : absl::CivilDay(month + 1) - 1);
      Step s = MakeStep(Channel::kManifest, source.principal, std::move(manifest));
      Schedule(at, [s = std::move(s)](absl::Duration) mutable {
      return std::optional<Step>(std::move(s));
    });
    }
  };
  for (const Source& f : facilities_) {
    declare(f, common::PRINCIPAL_KIND_FACILITY, "birth", v1::RECORD_KIND_BIRTH_CERTIFICATE);
    declare(f, common::PRINCIPAL_KIND_FACILITY, "death", v1::RECORD_KIND_DEATH_NOTICE);
  }
  for (const Source& c : courts_) {
    declare(c, common::PRINCIPAL_KIND_COURT, "divorce", v1::RECORD_KIND_DIVORCE_DECISION);
  }
}

}  // namespace crvs::simulate
