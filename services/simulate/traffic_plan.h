// The traffic of the simulated sources as a deterministic schedule: which request each
// facility, court and registry office sends, and when. No I/O; the Simulator sends the steps.
//
// Time. Steps are placed at offsets from the plan's start in real time, and every timestamp in
// a step is computed from its planned instant (so a step sent a little late is still valid:
// nothing is ever in the future). Vital events arrive as a Poisson stream at `rate`. What
// happens days later — the commune registering a birth or death, a judgment taking legal
// effect, an amend or a void — runs on a compressed clock: a simulated delay D takes
// D / time_scale of real time, and dates derived from it are capped at the planned day
// (registration_date = event date + D, never after today).
//
// What a step can be:
// * a birth certificate or death notice (HealthIngest.Submit as the facility): a submit, its
//   amend or void, or — for `invalid_percent` of them — first a copy with a planted error
//   (Step::planted_field names the field the gateway must reject) and, a few simulated hours
//   later, the corrected record under a new message id;
// * a divorce decision (CourtIngest.Submit as the court): consensual divorces are effective at
//   once, judgments and annulments are sent pending and amended when they take legal effect;
// * a registration (Registry.RecordRegistration as the commune's registry office): births within
//   60 days mostly (some late, a few never), deaths within 15 days mostly, divorces noted after
//   taking effect, and home births and deaths (no certificate) entered from the paper book;
// * a manifest (Reconciliation.DeclareManifest as the source) every `manifest_interval`: each
//   facility's certificates / notices and each court's effective decisions of the current
//   month, including the `missing_percent` records the facility issued but never sends (a
//   month of more than manifest_interval / 10 ms entries is re-declared every 10 ms per entry).
//
// One facility (the last, a small clinic with a quarter of a hospital's traffic) goes quiet
// after `silent_after`: no records, follow-ups or manifests.
//
// Deterministic: the same options and start give the same steps, byte for byte.
// Thread-safety: not thread-safe; one thread calls Next().
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <absl/time/civil_time.h>
#include <absl/time/time.h>

#include "crvs/ingest/v1/court_ingest.pb.h"
#include "crvs/ingest/v1/health_ingest.pb.h"
#include "crvs/reconcile/v1/reconciliation.pb.h"
#include "crvs/registry/v1/registry.pb.h"
#include "services/simulate/people.h"
#include "services/simulate/simulate_config.h"

namespace crvs::simulate {

// What a step carries, for counting.
enum class Channel { kBirth, kDeath, kDivorce, kRegistration, kManifest };
inline constexpr int kChannelCount = 5;
const char* ChannelName(Channel channel);

using Request = std::variant<ingest::v1::IngestRequest, ingest::v1::CourtIngestRequest,
                             registry::v1::RecordRegistrationRequest, reconcile::v1::Manifest>;

struct Step {
  absl::Duration at;      // after the plan's start (real time)
  Channel channel = Channel::kBirth;
  std::string principal;  // the caller, sent as `crvs-principal` metadata
  Request request;
  // Set for a planted invalid record: the field path the service must name in its
  // INVALID_ARGUMENT (e.g. "birth_certificate.child.weight_grams").
  std::string planted_field;
};

struct PlanOptions {
  double rate = 20;
  int facilities = 12;
  int courts = 3;
  double invalid_percent = 3;
  double late_percent = 5;
  double missing_percent = 2;
  double amend_percent = 3;
  double void_percent = 1;
  double time_scale = 1440;
  uint64_t seed = 1;
  absl::Duration silent_after = absl::Minutes(1);  // 0: no silent facility
  absl::Duration manifest_interval = absl::Seconds(30);

  static PlanOptions From(const SimulateConfig& config);
};

// Vietnam's civil date (UTC+07:00) at `t`.
absl::CivilDay VietnamDay(absl::Time t);

class TrafficPlan {
 public:
  TrafficPlan(const PlanOptions& options, absl::Time start);

  // The next step, in time order (ties in generation order). The plan never ends.
  Step Next();

  absl::Time start() const { return start_; }
  // Unique per start second; part of every message id and record number, so runs never reuse
  // each other's keys.
  const std::string& run_id() const { return run_id_; }
  const std::vector<Source>& facilities() const { return facilities_; }
  const std::vector<Source>& courts() const { return courts_; }
  // Code of the facility that goes quiet after silent_after; empty when there is none.
  const std::string& silent_facility() const { return silent_facility_; }
  // The real time a simulated delay takes on the compressed clock.
  absl::Duration RealDelay(absl::Duration simulated) const;

 private:
  struct Pending {
    absl::Duration at;
    uint64_t seq;
    std::function<std::optional<Step>(absl::Duration at)> make;
  };
  struct Later {
    bool operator()(const Pending& a, const Pending& b) const {
      return a.at != b.at ? a.at > b.at : a.seq > b.seq;
    }
  };
  // A record a source declares: key, issued_at, the local day that puts it in a period.
  struct Declared {
    int64_t issued_at_us = 0;
    absl::CivilDay day;
    bool voided = false;
  };
  using Ledger = std::map<std::string, Declared>;  // business key → declaration

  void Schedule(absl::Duration at, std::function<std::optional<Step>(absl::Duration)> make);
  void NewEvent(absl::Duration at);
  // One delivery at a facility: what the certificates of its children (twins: two) share.
  struct Delivery {
    const Source* facility = nullptr;
    size_t home_place = 0;  // the family's commune (index in Places())
    absl::Time born;
    absl::Time issued;  // of the certificates
    int plurality = 1;
    common::v1::Person mother;
    std::optional<common::v1::Person> father;
  };

  // A birth: at home, a registration from the commune's paper book; else a delivery at a
  // facility, a certificate per child with its amend or void, and the family's registration.
  void NewBirth(absl::Duration at, bool home);
  void NewHomeBirth(absl::Duration at, absl::CivilDay today);
  Delivery NewDelivery(absl::Duration at);
  records::v1::BirthCertificate BirthCertificateOf(const Delivery& delivery, absl::CivilDay today,
                                                   int order, bool male);
  // Maybe an amend or a void of a sent certificate, later; true when it is voided (the family
  // then never registers the birth).
  bool ScheduleBirthChange(absl::Duration at, const Source& facility,
                           const ingest::v1::IngestRequest& request, const std::string& key,
                           bool male);
  // The family registers the birth at its commune, days later (or never, for a few).
  void ScheduleBirthRegistration(absl::Duration at, const Delivery& delivery,
                                 absl::CivilDay today,
                                 const records::v1::BirthCertificate& certificate, bool male);
  // SubmitHealth, its first step scheduled at `at`; false when the facility never sends it.
  bool SendHealth(absl::Duration at, const Source& facility, Channel channel,
                  const ingest::v1::IngestRequest& request, const std::string& key,
                  absl::Time issued);

  // A death: at home, a registration from the commune's paper book; else a facility's death
  // notice with its amend or void, and the family's registration.
  void NewDeath(absl::Duration at, bool home);
  int DeathAge();
  void NewHomeDeath(absl::Duration at, absl::CivilDay today, bool male, int age);
  void SetPlaceOfDeath(const Source& facility, size_t home_place, records::v1::DeathNotice* d);
  // An amend (always when `investigated`: the investigation's finding) or maybe a void of a
  // sent notice, later; true when it is voided (the family then never registers the death).
  bool ScheduleDeathChange(absl::Duration at, const Source& facility,
                           const ingest::v1::IngestRequest& request, const std::string& key,
                           bool investigated, bool ill_defined);
  void ScheduleDeathRegistration(absl::Duration at, size_t home_place, absl::CivilDay today,
                                 absl::CivilDay died_day, const common::v1::Person& deceased,
                                 const records::v1::DeathNoticeKey& notice);

  // A court's divorce decision: sent (after a copy with a planted error, for a few), then
  // noted by the registry office once it takes legal effect.
  void NewDivorce(absl::Duration at);
  // The spouses and, for most, the marriage; returns the commune whose registry office notes
  // the divorce (the marriage's, else the couple's home).
  size_t AddSpousesAndMarriage(const Source& court, absl::CivilDay decided,
                               records::v1::DivorceDecision* decision);
  // A copy of `request` with a planted error (cycling through the errors a court makes), sent
  // at `at`.
  void ScheduleBrokenDecision(absl::Duration at, const std::string& principal,
                              const ingest::v1::CourtIngestRequest& request,
                              absl::CivilDay decided);
  // The registry office of Places()[office] notes the effective `decision` in its book, days
  // after `at`.
  void NoteDivorce(absl::Duration at, size_t office, const records::v1::DivorceDecision& decision,
                   absl::CivilDay effect);
  // A judgment or annulment takes legal effect after its appeal period: the court sends it
  // again with that date, and the divorce is noted.
  void ScheduleLegalEffect(absl::Duration at, const std::string& principal,
                           ingest::v1::CourtIngestRequest request, absl::CivilDay decided,
                           const std::string& key, int64_t first_issued_us, size_t office);
  void ManifestTick(absl::Duration at);
  // Records a facility's certificate or notice in its ledger and returns its first step: the
  // submit, or a copy with a planted error (the corrected submit is scheduled). nullopt when
  // the facility never sends it (missing_percent).
  std::optional<Step> SubmitHealth(absl::Duration at, const Source& facility, Channel channel,
                                   ingest::v1::IngestRequest request, const std::string& key,
                                   absl::Time issued);
  // Breaks one field of `request` (cycling through the errors of its kind); returns its path.
  std::string PlantHealthError(absl::Duration at, ingest::v1::IngestRequest* request);
  // An AMEND (the full `changed` record) or a VOID (its key) of a facility's record at `at`.
  void ScheduleChange(absl::Duration at, const Source& facility, Channel channel,
                      ingest::v1::IngestRequest changed, std::string reason, bool void_it,
                      const std::string& key);
  // The registry office records `registration` at `at`; its registration_date is
  // event + delay_days, never after the day it is recorded.
  void ScheduleRegistration(absl::Duration at, records::v1::Registration registration,
                            absl::CivilDay event, double delay_days);
  // Whether `principal` has gone quiet at `at`.
  bool Silenced(const std::string& principal, absl::Duration at) const;
  const Source& PickFacility(absl::Duration at);
  // A simulated registration delay in days: mostly within `deadline_days`, some late, and
  // nullopt (never registered) for a few.
  std::optional<double> RegistrationDelayDays(int deadline_days, double late_percent,
                                              double never_percent);
  std::string NextNumber();
  std::string NextMessageId();
  absl::Time At(absl::Duration at) const { return start_ + at; }

  PlanOptions options_;
  absl::Time start_;
  std::string run_id_;
  std::mt19937_64 rng_;
  PersonMaker people_;
  std::vector<Source> facilities_;
  std::vector<Source> courts_;
  std::string silent_facility_;
  std::string silent_principal_;
  std::priority_queue<Pending, std::vector<Pending>, Later> pending_;
  uint64_t seq_ = 0;
  uint64_t numbers_ = 0;
  uint64_t messages_ = 0;
  uint64_t planted_ = 0;
  absl::Duration next_event_;
  // principal → kind label ("birth", "death", "divorce") → declared records.
  std::map<std::string, std::map<std::string, Ledger>> ledgers_;
  // "<principal>/<kind>" → when its current month was last declared.
  std::map<std::string, absl::Duration> last_declared_;
};

}  // namespace crvs::simulate
