// Small text helpers the tests share: lines of a program's output, and sums over a Prometheus
// text exposition (what a test compares with a dashboard or an alert).
#pragma once

#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace crvs::testing {

inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Sum of every sample of `name` (any labels) in a text exposition.
inline double SumOf(const std::string& exposition, const std::string& name) {
  const std::regex sample("^" + name + R"((\{[^}]*\})? ([-+0-9.eE]+|NaN|[-+]Inf)$)");
  double total = 0;
  for (const auto& line : Lines(exposition)) {
    std::smatch m;
    if (std::regex_match(line, m, sample)) total += std::stod(m[2]);
  }
  return total;
}

}  // namespace crvs::testing
