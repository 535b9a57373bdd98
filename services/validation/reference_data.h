// Province reference data the validators check codes against: the 63 pre-2025 province
// prefixes that personal identification numbers carry, and the 2-digit province codes of the
// 34-province structure in force since 2025-07-01.
//
// It is data, not constants: the build embeds deploy/reference/provinces.csv as the default,
// and Load(path) reads a replacement at start-up (columns
// old_code,old_name,id_prefix,code_since_2025_07_01,name_since_2025_07_01).
//
// Thread-safety: immutable after construction; any number of threads may read one instance.
// Default() is built once, on first use, and lives until process exit.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include <absl/status/statusor.h>

namespace crvs::validation {

class ReferenceData {
 public:
  // Parses provinces CSV text. Errors are INVALID_ARGUMENT and start with "<origin>:<line>: ".
  static absl::StatusOr<ReferenceData> FromCsv(std::string_view csv, std::string_view origin);
  // Reads and parses the file at `path`; an empty path gives a copy of the embedded default.
  static absl::StatusOr<ReferenceData> Load(const std::string& path);
  // The embedded deploy/reference/provinces.csv.
  static const ReferenceData& Default();

  // Whether `three_digits` is one of the id_prefix values (digits 1-3 of a personal ID).
  bool IsIdPrefix(std::string_view three_digits) const;
  // Whether `two_digits` is a current (since 2025-07-01) province code.
  bool IsProvinceCode(std::string_view two_digits) const;
  // Current name of the province with current code `code`; "" if unknown.
  std::string_view ProvinceName(std::string_view code) const;

 private:
  ReferenceData() = default;

  // Ordered containers with std::less<> for std::string_view lookups (Debian's abseil has its
  // own string_view, which its hash containers would require); 63 entries at most anyway.
  std::set<std::string, std::less<>> id_prefixes_;
  std::map<std::string, std::string, std::less<>> province_names_;  // current code → name
};

}  // namespace crvs::validation
