// The command-line face of accounts.h: `crvs operators add | disable | reset-password | list`,
// run by whoever administers the database (the first admin account has to come from
// somewhere). Changes are audited with the actor `system:cli`.
//
// Thread-safety: construct and run from main.
#pragma once

#include <cstdio>
#include <istream>
#include <string>

#include <CLI/CLI.hpp>

#include "services/store/database_config.h"
#include "services/store/store.h"

namespace crvs::operators {

class OperatorsCommand {
 public:
  // Adds `operators` with its four subcommands to `app`.
  explicit OperatorsCommand(CLI::App& app);

  bool parsed() const;
  // Runs the parsed subcommand against `database`; a password is read as one line of `in`
  // with --password-stdin, else generated and printed once. Exit 0 done, 2 bad input, 1 the
  // database failed, 3 no such operator / already exists.
  int Run(const store::DatabaseConfig& database, std::istream& in, std::FILE* out,
          std::FILE* err) const;

 private:
  CLI::App* operators_;
  CLI::App* add_;
  CLI::App* disable_;
  CLI::App* reset_;
  CLI::App* list_;
  std::string name_;
  std::string role_ = "viewer";
  std::string province_;
  bool password_stdin_ = false;
  bool certificate_only_ = false;
};

// `crvs dev` on a database without any account: adds "admin" (role admin, national) with a
// generated password and prints name and password once to `out`, so the console of the
// development pipeline can be signed in to. Does nothing when an account exists.
absl::Status EnsureFirstAdmin(store::Store& store, std::FILE* out);

}  // namespace crvs::operators
