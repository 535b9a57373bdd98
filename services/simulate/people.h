// The simulated country: places (a commune in each of a dozen provinces), the health facilities,
// courts and commune registry offices located there, and the people who appear on records —
// Vietnamese names and personal IDs that agree with sex and year of birth and carry the ID
// prefix of a province in deploy/reference/provinces.csv (Simulator::Start checks every prefix
// against the loaded reference data).
//
// Thread-safety: the tables are immutable; a PersonMaker belongs to one thread (it draws from
// the caller's generator).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <absl/time/civil_time.h>

#include "crvs/common/v1/types.pb.h"

namespace crvs::simulate {

// A commune and its province: where facilities, courts, registry offices and residents are.
struct Place {
  std::string province_code;  // since 2025-07-01, 2 digits
  std::string id_prefix;      // digits 1-3 of the personal IDs of people registered there
  std::string province_name;
  std::string commune_code;   // 5 digits; also the registry office's code
  std::string commune_name;
};

const std::vector<Place>& Places();

// A simulated facility or court.
struct Source {
  std::string code;       // "BV79001", "TA79001"
  std::string name;
  std::string principal;  // "facility:BV79001", "court:TA79001"
  size_t place = 0;       // index in Places()
};

// `count` facilities (codes "BV<province><nnn>"), spread over Places() in order.
std::vector<Source> MakeFacilities(int count);
// `count` courts (codes "TA<province><nnn>"), spread over Places() from the other end.
std::vector<Source> MakeCourts(int count);
// "registry_office:<commune>".
std::string RegistryOfficePrincipal(const std::string& commune_code);

// Draws people, names and numbers from a caller-owned generator (deterministic for its seed).
class PersonMaker {
 public:
  explicit PersonMaker(std::mt19937_64* rng) : rng_(rng) {}

  int64_t Between(int64_t lo, int64_t hi);     // uniform in [lo, hi]
  double Uniform();                            // uniform in [0, 1)
  bool Chance(double percent);                 // true with probability percent / 100
  template <class T>
  const T& Pick(const std::vector<T>& list) {
    return list[static_cast<size_t>(Between(0, static_cast<int64_t>(list.size()) - 1))];
  }
  size_t PickPlace();

  std::string Name(bool male);
  std::string OfficerName();
  // 12 digits: `prefix`, the century/sex digit, the year's last two digits, six random digits.
  std::string PersonalId(const std::string& prefix, bool male, int year);
  // A day in `year`, never after `latest`.
  absl::CivilDay DayIn(int year, absl::CivilDay latest);

  // A person born on `born` with an ID from the province of `birth_place` and a residence in
  // the commune of `home_place`.
  common::v1::Person Person(bool male, absl::CivilDay born, size_t birth_place,
                            size_t home_place);

 private:
  std::mt19937_64* rng_;
};

common::v1::LocalDate ToLocalDate(absl::CivilDay day);

}  // namespace crvs::simulate
