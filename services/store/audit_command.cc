#include "services/store/audit_command.h"

#include <absl/strings/escaping.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <absl/time/time.h>

#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "services/store/audit.h"
#include "services/store/store.h"

namespace crvs::store {
namespace {

std::string Hex(const std::string& bytes) { return absl::BytesToHexString(bytes); }

int Failed(std::FILE* err, const char* command, const absl::Status& status) {
  std::fprintf(err, "crvs audit %s: %s\n", command, std::string(status.message()).c_str());
  return kAuditExitFailed;
}

}  // namespace

int RunAuditVerify(const DatabaseConfig& database, const AuditVerifyFlags& flags, std::FILE* out,
                   std::FILE* err) {
  AuditVerifyOptions options;
  if (!flags.expect.empty()) {
    std::pair<std::string, std::string> parts = absl::StrSplit(flags.expect, absl::MaxSplits(':', 1));
    int64_t seq = 0;
    std::optional<std::string> hash = HashFromHex(parts.second);
    if (!absl::SimpleAtoi(parts.first, &seq) || seq < 1 || !hash) {
      std::fprintf(err,
                   "crvs audit verify: --expect: \"%s\" is not SEQ:HASH (a row number and 64 "
                   "hex digits, as a verification prints them)\n",
                   flags.expect.c_str());
      return kAuditExitUsage;
    }
    options.expect = std::make_pair(seq, *hash);
  }
  options.progress_every = flags.progress_every;
  options.progress = [err](int64_t rows, int64_t seq) {
    std::fprintf(err, "crvs audit verify: %lld rows verified (seq %lld)\n",
                 static_cast<long long>(rows), static_cast<long long>(seq));
    std::fflush(err);
  };
  auto store = Store::Open(database);
  if (!store.ok()) return Failed(err, "verify", store.status());
  AuditVerifyResult result;
  absl::Status read = (*store)->Read([&](sql::Connection& c) -> absl::Status {
    auto verified = VerifyAudit(c, options);
    if (!verified.ok()) return verified.status();
    result = std::move(*verified);
    return absl::OkStatus();
  });
  if (!read.ok()) return Failed(err, "verify", read);
  if (!result.intact) {
    std::fprintf(out, "audit trail BROKEN at row %lld: %s\n", static_cast<long long>(result.bad_seq),
                 result.problem.c_str());
    std::fprintf(out, "  (%lld rows before it verified; audit_head: seq %lld, hash %s)\n",
                 static_cast<long long>(result.rows), static_cast<long long>(result.head_seq),
                 Hex(result.head_hash).c_str());
    return kAuditExitTampered;
  }
  std::fprintf(out, "audit trail intact: %lld rows verified, last seq %lld (%s)\n",
               static_cast<long long>(result.rows), static_cast<long long>(result.last_seq),
               std::string((*store)->backend()).c_str());
  std::fprintf(out, "head %lld:%s\n", static_cast<long long>(result.head_seq),
               Hex(result.head_hash).c_str());
  std::fprintf(out,
               "keep this head outside the database; `crvs audit verify --expect %lld:<hash>` "
               "later proves the history up to it unchanged\n",
               static_cast<long long>(result.head_seq));
  return kAuditExitIntact;
}

int RunAuditList(const DatabaseConfig& database, const AuditListFlags& flags, std::FILE* out,
                 std::FILE* err) {
  if (flags.limit < 1 || flags.limit > 10000 || flags.since_seq < 0) {
    std::fprintf(err, "crvs audit list: --limit must be 1..10000 and --since-seq >= 0\n");
    return kAuditExitUsage;
  }
  auto store = Store::Open(database);
  if (!store.ok()) return Failed(err, "list", store.status());
  std::vector<AuditRow> rows;
  absl::Status read = (*store)->Read([&](sql::Connection& c) -> absl::Status {
    auto listed = ListAudit(c, flags.since_seq, flags.limit);
    if (!listed.ok()) return listed.status();
    rows = std::move(*listed);
    return absl::OkStatus();
  });
  if (!read.ok()) return Failed(err, "list", read);
  std::fprintf(out, "seq\tat\tactor\taction\tsubject\tdetail\thash\n");
  for (const AuditRow& row : rows) {
    std::fprintf(out, "%lld\t%s\t%s\t%s\t%s\t%s\t%s\n", static_cast<long long>(row.seq),
                 absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::FromUnixMicros(row.at_us),
                                  absl::UTCTimeZone())
                     .c_str(),
                 row.actor.c_str(), row.action.c_str(), row.subject.c_str(), row.detail.c_str(),
                 Hex(row.hash).c_str());
  }
  return kAuditExitIntact;
}

AuditCommand::AuditCommand(CLI::App& app) {
  CLI::App* audit = app.add_subcommand(
      "audit",
      "the tamper-evident audit trail of the civil-status database (database.url): every "
      "applied record, dead letter, offset movement, operator action and migration, chained "
      "by SHA-256");
  audit->require_subcommand(1);
  verify_ = audit->add_subcommand(
      "verify",
      "check the whole chain: exit 0 when intact (prints the rows verified and the head "
      "SEQ:HASH), 3 when a row was edited, deleted, inserted or reordered (names the first "
      "such row), 1 when the database fails, 2 for a bad flag. Keep the printed head outside "
      "the database and pass it back with --expect to detect a rewritten chain");
  verify_->add_option("--expect", verify_flags_.expect,
                      "SEQ:HASH printed by an earlier verification: the chain must still hold "
                      "that row with that hash");
  verify_->add_option("--progress-every", verify_flags_.progress_every,
                      "print progress on stderr every N rows (0: never)")
      ->capture_default_str();
  list_ = audit->add_subcommand(
      "list", "print audit rows, oldest first, tab-separated: seq, time, actor, action, "
              "subject, detail, hash");
  list_->add_option("--since-seq", list_flags_.since_seq, "rows after this seq")
      ->capture_default_str();
  list_->add_option("--limit", list_flags_.limit, "at most this many rows (1..10000)")
      ->capture_default_str();
}

bool AuditCommand::parsed() const { return verify_->parsed() || list_->parsed(); }

int AuditCommand::Run(const DatabaseConfig& database, std::FILE* out, std::FILE* err) const {
  if (verify_->parsed()) return RunAuditVerify(database, verify_flags_, out, err);
  return RunAuditList(database, list_flags_, out, err);
}

}  // namespace crvs::store
