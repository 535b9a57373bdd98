// CSV writing shared by every export (backfill eligibility reports, indicator publications).
#pragma once

#include <string>
#include <string_view>

namespace crvs {

// `value` as one RFC 4180 field: quoted when it holds a comma, quote, CR or LF.
inline std::string CsvField(std::string_view value) {
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace crvs
