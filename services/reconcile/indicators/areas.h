// Where the indicators' events and sources are (docs/indicators.md, "Areas and breakdowns"):
// - communes → provinces: Vietnam's administrative register in force since 2025-07-01 (34
//   provinces, 3,321 communes), built in from deploy/reference/communes.csv, or the file
//   reconcile.reference_communes_file names (commune_code,province_code,name);
// - communes before 2025-07-01 → today's: deploy/reference/communes-before-2025.csv built in, or
//   reconcile.reference_communes_before_2025_file (old_commune_code,old_province_code,old_name,
//   commune_code,province_code,counted_here,note): a code written before the reorganisation
//   counts in the commune of today marked counted_here;
// - source locations from reconcile.reference_sources_file (principal,commune_code,name, e.g.
//   "facility:BV79001,26734,Bệnh viện Từ Dũ"), and, for a facility with no configured location,
//   the commune most of its in-facility births and deaths took place in (from the database).
//
// The files are CSV with a header line; fields may be double-quoted (RFC 4180, no embedded
// line breaks). A default-constructed Areas has no mapping at all: province filters and
// breakdowns then fail with FAILED_PRECONDITION (see ComputeIndicators).
//
// Errors: Load returns NOT_FOUND "<file>: cannot be read" for an unreadable file and
// INVALID_ARGUMENT "<file>:<line>: <what>" for a malformed one (header, column count, code
// syntax, duplicates, a mapping to a commune the register lacks). LocateSources returns the
// store's errors.
//
// Thread-safety: immutable after Load; any number of threads may read one instance.
#pragma once

#include <absl/status/statusor.h>
#include <absl/time/civil_time.h>
#include <absl/time/time.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "crvs/records/v1/envelope.pb.h"
#include "services/store/store.h"

namespace crvs::reconcile::indicators {

// The group of a commune missing from the communes file, and of an event without a commune.
inline constexpr char kUnknownArea[] = "??";

// The config key named when a province filter or breakdown needs the communes file.
inline constexpr char kCommunesFileKey[] = "reconcile.reference_communes_file";

// The first day of the administrative register in force today (Resolution 202/2025/QH15).
inline constexpr absl::CivilDay kRegisterSince{2025, 7, 1};

class Areas {
 public:
  // No mapping at all: no provinces, no configured source locations.
  Areas() = default;

  // The files of the [reconcile] section. An empty communes or communes-before-2025 path means
  // the built-in copy; an empty sources path means no configured locations.
  struct Files {
    std::string communes;
    std::string communes_before_2025;
    std::string sources;
  };
  static absl::StatusOr<Areas> Load(const Files& files);

  // Whether a register of communes was loaded (even one listing no commune).
  bool has_communes() const { return has_communes_; }
  // Number of communes and of provinces in the register.
  size_t commune_count() const { return province_of_commune_.size(); }
  size_t province_count() const;
  // The communes of today's register in `province`, in code order (none for an unknown one).
  std::vector<std::string> CommunesOf(std::string_view province) const;
  // Province code of `commune` (a code of today's register); kUnknownArea when not listed.
  std::string ProvinceOf(std::string_view commune) const;
  // The commune of today where a record counts whose commune code `code` was written on
  // `written_on` (its issue or registration date): before 2025-07-01, the code is one of the
  // old register and maps to its counted_here successor; otherwise, or for a code the mapping
  // does not know, `code` itself.
  std::string CurrentCommune(std::string_view code, std::optional<absl::CivilDay> written_on) const;

  // Commune of every source ("facility:BV79001", "court:TAND79") that has one: its configured
  // location, else, for a facility, the commune where most of its non-voided in-facility
  // births and deaths first committed before `committed_before` took place (ties: the smaller
  // commune code). Courts without a configured location are absent (national figures only).
  absl::StatusOr<std::map<std::string, std::string>> LocateSources(
      store::Store& store, absl::Time committed_before) const;

 private:
  absl::Status ParseCommunes(const std::string& csv, const std::string& origin);
  absl::Status ParseCommunesBefore2025(const std::string& csv, const std::string& origin);
  absl::Status ParseSources(const std::string& csv, const std::string& origin);

  bool has_communes_ = false;
  std::map<std::string, std::string, std::less<>> province_of_commune_;
  std::map<std::string, std::string, std::less<>> successor_;  // old commune → today's
  std::map<std::string, std::string, std::less<>> source_communes_;  // principal → commune
};

// The province a record belongs to, for operators' scope (issue 17): that of the commune where
// its event happened or was registered — a birth's place_of_birth, a death's place_of_death, a
// registration's registry office, a divorce's marriage registry office. A code of the register
// before 2025-07-01 counts in its successor's province. "" when the record names no commune the
// register knows (national operators only see it).
std::string RecordProvince(const records::v1::RecordEnvelope& envelope, const Areas& areas);

}  // namespace crvs::reconcile::indicators
