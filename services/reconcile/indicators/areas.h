// Where the indicators' events and sources are (docs/indicators.md, "Areas and breakdowns"):
// communes → provinces from reconcile.reference_communes_file (commune_code,province_code,name),
// source locations from reconcile.reference_sources_file (principal,commune_code,name, e.g.
// "facility:BV79001,26734,Bệnh viện Từ Dũ"), and, for a facility with no configured location,
// the commune most of its in-facility births and deaths took place in (from the database).
//
// Both files are CSV with a header line; fields may be double-quoted (RFC 4180, no embedded
// line breaks). An empty path means no such mapping: province filters and breakdowns then
// fail with FAILED_PRECONDITION (see ComputeIndicators).
//
// Errors: Load returns NOT_FOUND for an unreadable file and INVALID_ARGUMENT
// "<file>:<line>: <what>" for a malformed one (header, column count, code syntax, duplicates).
// LocateSources returns the store's errors.
//
// Thread-safety: immutable after Load; any number of threads may read one instance.
#pragma once

#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include <map>
#include <string>
#include <string_view>

#include "services/store/store.h"

namespace crvs::reconcile::indicators {

// The group of a commune missing from the communes file, and of an event without a commune.
inline constexpr char kUnknownArea[] = "??";

// The config key named when a province filter or breakdown needs the communes file.
inline constexpr char kCommunesFileKey[] = "reconcile.reference_communes_file";

class Areas {
 public:
  // No mapping at all: no provinces, no configured source locations.
  Areas() = default;

  // Reads the communes and sources files; an empty path means none.
  static absl::StatusOr<Areas> Load(const std::string& communes_file,
                                    const std::string& sources_file);

  // Whether a communes file was loaded (even one listing no commune).
  bool has_communes() const { return has_communes_; }
  // Province code of `commune`; kUnknownArea when the file does not list it.
  std::string ProvinceOf(std::string_view commune) const;

  // Commune of every source ("facility:BV79001", "court:TAND79") that has one: its configured
  // location, else, for a facility, the commune where most of its non-voided in-facility
  // births and deaths first committed before `committed_before` took place (ties: the smaller
  // commune code). Courts without a configured location are absent (national figures only).
  absl::StatusOr<std::map<std::string, std::string>> LocateSources(
      store::Store& store, absl::Time committed_before) const;

 private:
  absl::Status ParseCommunes(const std::string& csv, const std::string& origin);
  absl::Status ParseSources(const std::string& csv, const std::string& origin);

  bool has_communes_ = false;
  std::map<std::string, std::string, std::less<>> province_of_commune_;
  std::map<std::string, std::string, std::less<>> source_communes_;  // principal → commune
};

}  // namespace crvs::reconcile::indicators
