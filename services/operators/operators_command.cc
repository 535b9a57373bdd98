#include "services/operators/operators_command.h"

#include <absl/strings/str_cat.h>
#include <absl/time/clock.h>

#include <memory>

#include "services/operators/accounts.h"
#include "services/platform/status.h"
#include "services/store/store.h"

namespace crvs::operators {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitConflict = 3;

int ExitCodeOf(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kInvalidArgument:
      return kExitUsage;
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
      return kExitConflict;
    default:
      return kExitFailed;
  }
}

// Whoever can run this command can already write the database: the change is audited as the
// command's.
constexpr char kActor[] = "system:cli";

}  // namespace

OperatorsCommand::OperatorsCommand(CLI::App& app) {
  operators_ = app.add_subcommand(
      "operators",
      "console accounts for sign-in with a password (deployments without a PKI): argon2id "
      "hashes in the database (database.url), a role and a scope; every change audited");
  operators_->require_subcommand(1);
  add_ = operators_->add_subcommand(
      "add", "create an account; its password is read from stdin (--password-stdin) or "
             "generated and printed once");
  add_->add_option("name", name_, "account name: 1-64 of a-z 0-9 . _ - (becomes operator:NAME)")
      ->required();
  add_->add_option("--role", role_, "viewer (read), operator (also replay, discard, pause), "
                                    "admin (also manage accounts)")
      ->check(CLI::IsMember({"viewer", "operator", "admin"}))
      ->capture_default_str();
  add_->add_option("--province", province_,
                   "two-digit province code of the register since 2025-07-01: the account sees "
                   "and acts on that province only (default: national)");
  add_->add_flag("--password-stdin", password_stdin_, "read the password from stdin (one line)");
  add_->add_flag("--certificate-only", certificate_only_,
                 "no password: the operator signs in with a client certificate whose CN is "
                 "operator:NAME (console.auth = certificate)")
      ->excludes("--password-stdin");
  disable_ = operators_->add_subcommand("disable", "disable an account (it is kept: the audit "
                                                   "trail names it)");
  disable_->add_option("name", name_, "account name")->required();
  reset_ = operators_->add_subcommand(
      "reset-password", "set a new password (read with --password-stdin or generated); also "
                        "lifts a lockout and re-enables the account");
  reset_->add_option("name", name_, "account name")->required();
  reset_->add_flag("--password-stdin", password_stdin_, "read the password from stdin (one line)");
  list_ = operators_->add_subcommand(
      "list", "every account, tab-separated: name, role, province, state, created (UTC)");
  for (auto* sub : {operators_, add_, disable_, reset_, list_}) sub->fallthrough();
}

bool OperatorsCommand::parsed() const { return operators_->parsed(); }

int OperatorsCommand::Run(const store::DatabaseConfig& database, std::istream& in,
                          std::FILE* out, std::FILE* err) const {
  auto fail = [&](const absl::Status& s) {
    std::fprintf(err, "crvs operators: %s\n", std::string(s.message()).c_str());
    return ExitCodeOf(s);
  };
  // The password first: a bad one is refused before the database is touched.
  std::string password;
  bool generated = false;
  if ((add_->parsed() && !certificate_only_) || reset_->parsed()) {
    if (password_stdin_) {
      if (!std::getline(in, password)) {
        return fail(absl::InvalidArgumentError("password: nothing on stdin"));
      }
      if (!password.empty() && password.back() == '\r') password.pop_back();
    } else {
      password = GeneratePassword();
      generated = true;
    }
    if (absl::Status s = CheckPassword(password); !s.ok()) return fail(s);
  }
  auto opened = store::Store::Open(database);
  if (!opened.ok()) return fail(opened.status());
  Accounts accounts(**opened);
  const absl::Time now = absl::Now();
  absl::Status done;
  if (add_->parsed()) {
    done = accounts.Add(name_, *ParseRole(role_), province_, password, kActor, now);
    if (done.ok()) {
      std::fprintf(out, "added operator:%s, role %s, %s\n", name_.c_str(), role_.c_str(),
                   province_.empty() ? "national" : ("province " + province_).c_str());
    }
  } else if (disable_->parsed()) {
    done = accounts.Disable(name_, kActor, now);
    if (done.ok()) std::fprintf(out, "disabled operator:%s\n", name_.c_str());
  } else if (reset_->parsed()) {
    done = accounts.ResetPassword(name_, password, kActor, now);
    if (done.ok()) std::fprintf(out, "new password set for operator:%s\n", name_.c_str());
  } else if (list_->parsed()) {
    auto list = accounts.List();
    if (!list.ok()) return fail(list.status());
    for (const Account& a : *list) {
      const char* state = a.disabled ? "disabled" : a.locked_until > now ? "locked" : "active";
      std::fprintf(out, "%s\t%s\t%s\t%s\t%s\n", a.name.c_str(), RoleName(a.role).c_str(),
                   a.province_code.empty() ? "national" : a.province_code.c_str(), state,
                   absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", a.created_at, absl::UTCTimeZone())
                       .c_str());
    }
    return kExitOk;
  }
  if (!done.ok()) return fail(done);
  if (generated) {
    std::fprintf(out, "password (shown once): %s\n", password.c_str());
  }
  return kExitOk;
}

absl::Status EnsureFirstAdmin(store::Store& store, std::FILE* out) {
  Accounts accounts(store);
  auto list = accounts.List();
  if (!list.ok()) return list.status();
  if (!list->empty()) return absl::OkStatus();
  const std::string password = GeneratePassword();
  CRVS_RETURN_IF_ERROR(accounts.Add("admin", Role::kAdmin, "", password, "system:dev", absl::Now()));
  std::fprintf(out,
               "crvs dev: console account \"admin\" created (role admin, national); password, "
               "shown once: %s\n  (crvs operators reset-password admin sets a new one)\n",
               password.c_str());
  std::fflush(out);
  return absl::OkStatus();
}

}  // namespace crvs::operators
