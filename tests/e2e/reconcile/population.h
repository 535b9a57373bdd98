// A synthetic year of vital events for checking reconciliation end to end: birth certificates
// and death notices from several health facilities, divorce decisions from several courts (the
// current year's and a historical backlog), the registrations commune software records for
// them, the manifests in which the sources declare what they issued, and the reference data
// (communes, source locations) that places all of it in provinces.
//
// The population is for the current year in Vietnam (P = the year of `now` in UTC+07:00, events
// dated from 1 January to today) and plants every gap docs/indicators.md distinguishes:
// declared-but-never-sent, sent-but-undeclared, declared hashes that differ from what was sent,
// amendments and voids, a key declared twice in one manifest, registrations on time, exactly at
// the deadline, late, never, twice, voided and replaced, linked to certificates that never
// arrived, home events without a certificate, and deaths in the last days of the year before P
// certified in P's first days (in a facility and not).
//
// Sync timeliness is planted so that it cannot depend on how fast the test pushes: a record is
// issued either within the last two hours (kOnTimeWindow; it reaches the database within
// minutes, well inside the 24 h SLA) or at least 48 hours ago (kLateAge; it reaches the
// database now, after its SLA ran out). Nothing is issued in between.
//
// Deterministic: the same Options (seed and `now`) give the same population, byte for byte.
// Every record is valid for the validators at `now` (services/validation).
#pragma once

#include <absl/status/statusor.h>
#include <absl/time/civil_time.h>
#include <absl/time/time.h>

#include <cstdint>
#include <string>
#include <vector>

#include "crvs/ingest/v1/court_ingest.pb.h"
#include "crvs/ingest/v1/health_ingest.pb.h"
#include "crvs/reconcile/v1/reconciliation.pb.h"
#include "crvs/records/v1/envelope.pb.h"
#include "crvs/registry/v1/registry.pb.h"

namespace crvs::e2e::population {

namespace v1 = ::crvs::records::v1;

// On-time records are issued no earlier than this before `now`.
inline constexpr absl::Duration kOnTimeWindow = absl::Hours(2);
// Late records are issued at least this long before `now`.
inline constexpr absl::Duration kLateAge = absl::Hours(48);
// Last day of the divorce backlog (indicator V2) and the period of the courts' inventories.
inline constexpr absl::CivilDay kBacklogFirstDay{2016, 1, 1};
inline constexpr absl::CivilDay kBacklogLastDay{2025, 12, 31};

// Generate needs at least this much of the year to have passed, to date events in it.
inline constexpr absl::Duration kMinTimeIntoYear = absl::Minutes(5);

// Vietnam local time, UTC+07:00 without daylight saving.
absl::TimeZone VietnamTime();

// The calendar a population is generated for.
struct Calendar {
  absl::Time now;
  absl::CivilDay today;      // the as-of date A (Vietnam)
  int year = 0;              // the period P
  absl::CivilDay first_day;  // 1 January of P
  absl::Time period_start;   // 1 January of P, 00:00 Vietnam

  static Calendar At(absl::Time now);
  std::string Period() const { return std::to_string(year); }
};

// A commune of the reference data (reconcile.reference_communes_file). `listed` false: left
// out of the file, so its events group under province "??".
struct Commune {
  std::string code;
  std::string province;
  std::string name;
  bool listed = true;
};

// A facility or court. `listed` false: left out of reconcile.reference_sources_file (a facility
// is then located by its in-facility events, a court counts only nationally).
struct Source {
  std::string principal;  // "facility:BV79001", "court:TAND79"
  std::string code;
  std::string commune;
  std::string name;
  bool listed = true;
};

struct Options {
  uint64_t seed = 1;
  absl::Time now = absl::Now();
  int64_t birth_certificates = 54000;
  int64_t death_notices = 25000;
  int64_t divorce_decisions = 20000;  // taking legal effect in P, pending ones included
  int64_t backlog_decisions = 6000;   // effective 2016..2025
  int64_t home_births = 2500;         // attempted; only those registered by today exist
  int64_t home_deaths = 2500;
};

// What the sources send, in two waves: every record's first version (`submits`), then its one
// later version, an AMEND or a VOID (`changes`), sent once the first wave is acknowledged so
// that each key's versions arrive in order. Each envelope has message_id, action, reason,
// source and the record set (the producer completes the rest); `source_sequence` numbers each
// court's decisions in sending order (StreamDecisions' sequence).
struct Population {
  Calendar calendar;
  std::vector<Commune> communes;
  std::vector<Source> sources;
  std::vector<v1::RecordEnvelope> submits;
  std::vector<v1::RecordEnvelope> changes;
  // Every manifest, `source` set. Facilities declare births and deaths of P (one of them month
  // by month, another also December of the previous year), courts their decisions effective in
  // P and their backlog inventory.
  std::vector<reconcile::v1::Manifest> manifests;
};

// The generated population; FAILED_PRECONDITION in the first kMinTimeIntoYear of a year,
// INVALID_ARGUMENT for negative counts.
absl::StatusOr<Population> Generate(const Options& options);

// reconcile.reference_communes_file text: "commune_code,province_code,name" and the listed
// communes. reconcile.reference_sources_file text: "principal,commune_code,name" and the listed
// sources.
std::string CommunesCsv(const Population& population);
std::string SourcesCsv(const Population& population);

// A submission as its source sends it: a facility's certificate or notice to HealthIngest, a
// court's decision to CourtIngest (sequence = source_sequence), a registry office's
// registration to Registry.RecordRegistration.
ingest::v1::IngestRequest HealthRequest(const v1::RecordEnvelope& submission);
ingest::v1::CourtIngestRequest CourtRequest(const v1::RecordEnvelope& submission);
registry::v1::RecordRegistrationRequest RegistryRequest(const v1::RecordEnvelope& submission);

}  // namespace crvs::e2e::population
