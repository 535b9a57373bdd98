// `crvs audit verify` and `crvs audit list`: the operators' view of the audit trail
// (services/store/audit.h) of the configured database, SQLite or PostgreSQL.
//
// Thread-safety: each call opens its own Store; call from one thread.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "services/store/database_config.h"

namespace crvs::store {

// Exit codes of the audit commands.
inline constexpr int kAuditExitIntact = 0;
inline constexpr int kAuditExitFailed = 1;    // database unreachable or failing
inline constexpr int kAuditExitUsage = 2;     // bad flag
inline constexpr int kAuditExitTampered = 3;  // the chain is broken; the row is named

struct AuditVerifyFlags {
  // "SEQ:HASH" (HASH: 64 hex digits), e.g. the head a previous verification printed: the
  // chain must still hold exactly that row. Empty: not checked.
  std::string expect;
  int64_t progress_every = 100000;  // rows between progress lines on `err`; 0: none
};

// Verifies the whole chain. Intact: a summary on `out` (rows, last seq, head hash), exit 0.
// Broken: "audit trail BROKEN at row N: <what>" on `out`, exit 3. Progress lines on `err`.
int RunAuditVerify(const DatabaseConfig& database, const AuditVerifyFlags& flags, std::FILE* out,
                   std::FILE* err);

struct AuditListFlags {
  int64_t since_seq = 0;  // rows after this seq
  int limit = 100;        // 1..10000
};

// The rows after since_seq, one per line, tab-separated: seq, time (UTC), actor, action,
// subject, detail, hash (hex).
int RunAuditList(const DatabaseConfig& database, const AuditListFlags& flags, std::FILE* out,
                 std::FILE* err);

// Registers `audit verify` and `audit list` and runs the parsed one.
class AuditCommand {
 public:
  // Adds `audit` with its two subcommands to `app`.
  explicit AuditCommand(CLI::App& app);

  bool parsed() const;
  int Run(const DatabaseConfig& database, std::FILE* out, std::FILE* err) const;

 private:
  CLI::App* verify_;
  CLI::App* list_;
  AuditVerifyFlags verify_flags_;
  AuditListFlags list_flags_;
};

}  // namespace crvs::store
