// Helpers shared by the backfill unit tests: a scratch directory (the product's) and small
// file I/O.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "services/backfill/columns.h"
#include "services/platform/scratch_dir.h"

namespace crvs::backfill::testing {

using ScratchDir = platform::ScratchDir;

inline void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream s(text);
  for (std::string line; std::getline(s, line);) lines.push_back(line);
  return lines;
}

// The CSV header naming every column of `kind`, in table order.
inline std::string Header(ExportKind kind) {
  std::string line;
  for (const auto& c : Columns(kind)) line += (line.empty() ? "" : ",") + std::string(c.name);
  return line;
}

}  // namespace crvs::backfill::testing
