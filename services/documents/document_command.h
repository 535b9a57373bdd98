// `crvs document check FILE…`: reads hospital documents (hospital_document.h) the way the
// gateway would, and prints, per file, "FILE: OK, N records (TYPE)" or one line per problem,
// "FILE: ELEMENT/PATH: message", in Vietnamese (default) or English (--lang en). Nothing is
// sent anywhere: a vendor's tool to check its output before going live.
//
// Thread-safety: construct and run from main.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "services/validation/reference_config.h"

namespace crvs::documents {

struct DocumentCheckFlags {
  std::vector<std::string> files;
  std::string lang = "vi";      // vi | en
  std::string type;             // "" (from the root element), 60, 61 or 9
  std::string facility;         // the sender's facility code, "" = not known
  int64_t now_unix_seconds = 0;  // "now" for the date rules; 0 = the clock (tests fix it)
};

// Checks every file. Exit 0 when all are OK, 1 when any has a problem (or cannot be read), 2
// for a bad flag or reference file.
int RunDocumentCheck(const DocumentCheckFlags& flags, const validation::ReferenceConfig& reference,
                     std::FILE* out, std::FILE* err);

class DocumentCommand {
 public:
  // Adds `document` with its subcommand `check` to `app`.
  explicit DocumentCommand(CLI::App& app);
  bool parsed() const;
  // Runs `check` with the configured reference data (reference.provinces_file).
  int Run(const validation::ReferenceConfig& reference) const;

 private:
  CLI::App* document_;
  CLI::App* check_;
  DocumentCheckFlags flags_;
};

}  // namespace crvs::documents
