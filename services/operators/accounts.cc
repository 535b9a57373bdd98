#include "services/operators/accounts.h"

#include <sodium.h>

#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>

#include <cstdio>
#include <cstdlib>

#include "services/platform/status.h"
#include "services/platform/text.h"
#include "services/store/sql.h"
#include "services/validation/reference_data.h"

namespace crvs::operators {
namespace {

using store::sql::Rows;
using store::sql::Value;

// libsodium must be initialised once before use; it is thread-safe to call again.
void InitSodium() {
  if (sodium_init() < 0) {
    std::fprintf(stderr, "crvs: libsodium could not be initialised\n");
    std::abort();
  }
}

// argon2id at libsodium's "interactive" cost (64 MiB, 2 passes): a sign-in costs tens of
// milliseconds; an offline guess costs as much.
std::string HashPassword(const std::string& password) {
  InitSodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(),
                            crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return "";  // out of memory
  }
  return out;
}

bool VerifyPassword(const std::string& hash, const std::string& password) {
  InitSodium();
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

// A hash of a password nobody has, verified when the name is unknown so that a wrong name
// costs what a wrong password costs.
const std::string& DecoyHash() {
  static const std::string* hash = new std::string(HashPassword("decoy: no such operator"));
  return *hash;
}

std::optional<Role> RoleFromStored(const std::string& s) { return ParseRole(s); }

std::string StoredRole(Role role) { return absl::AsciiStrToUpper(RoleName(role)); }

Account ToAccount(const store::sql::Row& row) {
  Account a;
  a.name = row[0].AsString();
  a.role = RoleFromStored(row[1].AsString()).value_or(Role::kViewer);
  a.province_code = row[2].AsString();
  a.disabled = row[3].AsInt() != 0;
  a.failed_logins = static_cast<int>(row[4].AsInt());
  a.locked_until =
      row[5].AsInt() == 0 ? absl::InfinitePast() : absl::FromUnixMicros(row[5].AsInt());
  a.created_at = absl::FromUnixMicros(row[6].AsInt());
  a.updated_at = absl::FromUnixMicros(row[7].AsInt());
  return a;
}

constexpr char kSelect[] =
    "SELECT name, role, province_code, disabled, failed_logins, locked_until_us, created_at_us, "
    "updated_at_us, password_hash FROM operators";

absl::StatusOr<std::optional<store::sql::Row>> FindRow(store::sql::Connection& c,
                                                    const std::string& name) {
  CRVS_ASSIGN_OR_RETURN(Rows rows,
                        c.Execute(absl::StrCat(kSelect, " WHERE name = $1"), {Value::Text(name)}));
  if (rows.empty()) return std::optional<store::sql::Row>();
  return std::optional<store::sql::Row>(std::move(rows[0]));
}

absl::Status Audit(store::sql::Connection& c, const std::string& actor, const std::string& action,
                   const std::string& name, std::string detail, absl::Time now) {
  return store::AppendAudit(c, {{actor, action, absl::StrCat("operator/", name), std::move(detail)}},
                            now);
}

}  // namespace

std::optional<Role> ParseRole(std::string_view text) {
  const std::string lower = absl::AsciiStrToLower(std::string(text));
  if (lower == "viewer") return Role::kViewer;
  if (lower == "operator") return Role::kOperator;
  if (lower == "admin") return Role::kAdmin;
  return std::nullopt;
}

std::string RoleName(Role role) {
  switch (role) {
    case Role::kViewer:
      return "viewer";
    case Role::kOperator:
      return "operator";
    case Role::kAdmin:
      return "admin";
  }
  return "viewer";
}

absl::Status CheckName(std::string_view name) {
  auto ok = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  };
  bool valid = !name.empty() && name.size() <= 64 && ok(name[0]) && name[0] != '.' &&
               name[0] != '_' && name[0] != '-';
  for (char c : name) valid = valid && ok(c);
  if (valid) return absl::OkStatus();
  return absl::InvalidArgumentError(
      "name: must be 1-64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit");
}

absl::Status CheckPassword(std::string_view password) {
  if (password.size() > kMaxPasswordBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("password: must be at most ", kMaxPasswordBytes, " bytes"));
  }
  if (std::string why = text::Unacceptable(password); !why.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("password: ", why));
  }
  size_t characters = 0;
  for (unsigned char c : password) characters += (c & 0xC0) != 0x80;
  if (characters < kMinPasswordLength) {
    return absl::InvalidArgumentError(absl::StrCat("password: must be at least ",
                                                   kMinPasswordLength, " characters, got ",
                                                   characters));
  }
  return absl::OkStatus();
}

std::string GeneratePassword() {
  InitSodium();
  static constexpr char kAlphabet[] = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::string out;
  for (int i = 0; i < 20; ++i) out += kAlphabet[randombytes_uniform(sizeof kAlphabet - 1)];
  return out;
}

Accounts::Accounts(store::Store& store, LoginPolicy policy) : store_(store), policy_(policy) {}

absl::Status Accounts::Add(const std::string& name, Role role, const std::string& province_code,
                           const std::string& password, const std::string& actor,
                           absl::Time now) {
  CRVS_RETURN_IF_ERROR(CheckName(name));
  if (!password.empty()) CRVS_RETURN_IF_ERROR(CheckPassword(password));
  if (!province_code.empty() &&
      !validation::ReferenceData::Default().IsProvinceCode(province_code)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "province: \"", text::Printable(province_code),
        "\" is not a province code of the register since 2025-07-01 (\"01\" .. \"96\")"));
  }
  // "" never verifies (crypto_pwhash_str_verify refuses it): certificate only.
  const std::string hash = password.empty() ? "" : HashPassword(password);
  if (!password.empty() && hash.empty()) {
    return absl::ResourceExhaustedError("password hashing ran out of memory");
  }
  const int64_t now_us = absl::ToUnixMicros(now);
  return store_.Transact([&](store::sql::Connection& c) -> absl::Status {
    CRVS_ASSIGN_OR_RETURN(auto existing, FindRow(c, name));
    if (existing) {
      return absl::AlreadyExistsError(absl::StrCat("operator \"", name, "\" already exists"));
    }
    CRVS_RETURN_IF_ERROR(
        c.Execute("INSERT INTO operators (name, role, province_code, password_hash, disabled, "
                  "failed_logins, locked_until_us, created_at_us, updated_at_us) "
                  "VALUES ($1, $2, $3, $4, 0, 0, 0, $5, $5)",
                  {Value::Text(name), Value::Text(StoredRole(role)), Value::Text(province_code),
                   Value::Text(hash), Value::Int(now_us)})
            .status());
    return Audit(c, actor, "operator.added", name,
                 absl::StrCat("role=", RoleName(role), " province=",
                              province_code.empty() ? "national" : province_code,
                              password.empty() ? " sign_in=certificate" : " sign_in=password"),
                 now);
  });
}

absl::Status Accounts::Disable(const std::string& name, const std::string& actor,
                               absl::Time now) {
  return store_.Transact([&](store::sql::Connection& c) -> absl::Status {
    CRVS_ASSIGN_OR_RETURN(auto existing, FindRow(c, name));
    if (!existing) return absl::NotFoundError(absl::StrCat("no operator \"", name, "\""));
    CRVS_RETURN_IF_ERROR(c.Execute("UPDATE operators SET disabled = 1, updated_at_us = $2 "
                                   "WHERE name = $1",
                                   {Value::Text(name), Value::Int(absl::ToUnixMicros(now))})
                             .status());
    return Audit(c, actor, "operator.disabled", name, "", now);
  });
}

absl::Status Accounts::ResetPassword(const std::string& name, const std::string& password,
                                     const std::string& actor, absl::Time now) {
  CRVS_RETURN_IF_ERROR(CheckPassword(password));
  const std::string hash = HashPassword(password);
  if (hash.empty()) return absl::ResourceExhaustedError("password hashing ran out of memory");
  return store_.Transact([&](store::sql::Connection& c) -> absl::Status {
    CRVS_ASSIGN_OR_RETURN(auto existing, FindRow(c, name));
    if (!existing) return absl::NotFoundError(absl::StrCat("no operator \"", name, "\""));
    CRVS_RETURN_IF_ERROR(
        c.Execute("UPDATE operators SET password_hash = $2, disabled = 0, failed_logins = 0, "
                  "locked_until_us = 0, updated_at_us = $3 WHERE name = $1",
                  {Value::Text(name), Value::Text(hash), Value::Int(absl::ToUnixMicros(now))})
            .status());
    return Audit(c, actor, "operator.password_reset", name, "", now);
  });
}

absl::StatusOr<std::vector<Account>> Accounts::List() {
  std::vector<Account> out;
  CRVS_RETURN_IF_ERROR(store_.Read([&](store::sql::Connection& c) -> absl::Status {
    CRVS_ASSIGN_OR_RETURN(Rows rows, c.Execute(absl::StrCat(kSelect, " ORDER BY name"), {}));
    for (const auto& row : rows) out.push_back(ToAccount(row));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::optional<Account>> Accounts::Find(const std::string& name) {
  std::optional<Account> out;
  CRVS_RETURN_IF_ERROR(store_.Read([&](store::sql::Connection& c) -> absl::Status {
    CRVS_ASSIGN_OR_RETURN(auto row, FindRow(c, name));
    if (row) out = ToAccount(*row);
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<Account> Accounts::SignIn(const std::string& name, const std::string& password,
                                         absl::Time now) {
  const absl::Status wrong =
      absl::UnauthenticatedError("wrong operator name or password");
  std::optional<store::sql::Row> row;
  CRVS_RETURN_IF_ERROR(store_.Read([&](store::sql::Connection& c) -> absl::Status {
    CRVS_ASSIGN_OR_RETURN(row, FindRow(c, name));
    return absl::OkStatus();
  }));
  if (!row) {
    VerifyPassword(DecoyHash(), password);
    return wrong;
  }
  Account account = ToAccount(*row);
  if (account.disabled) return absl::PermissionDeniedError("this account is disabled");
  if (account.locked_until > now) {
    return absl::PermissionDeniedError(absl::StrCat(
        "this account is locked after ", policy_.max_failures,
        " wrong passwords until ", absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", account.locked_until,
                                                     absl::UTCTimeZone())));
  }
  const bool match = VerifyPassword((*row)[8].AsString(), password);
  CRVS_RETURN_IF_ERROR(store_.Transact([&](store::sql::Connection& c) -> absl::Status {
    if (match) {
      if (account.failed_logins == 0) return absl::OkStatus();
      return c
          .Execute("UPDATE operators SET failed_logins = 0, locked_until_us = 0 WHERE name = $1",
                   {Value::Text(name)})
          .status();
    }
    // Counted in the database, so every console process sees the same count.
    CRVS_RETURN_IF_ERROR(
        c.Execute("UPDATE operators SET failed_logins = failed_logins + 1 WHERE name = $1",
                  {Value::Text(name)})
            .status());
    CRVS_ASSIGN_OR_RETURN(auto now_row, FindRow(c, name));
    if (!now_row || (*now_row)[4].AsInt() < policy_.max_failures) return absl::OkStatus();
    const absl::Time until = now + policy_.lockout;
    CRVS_RETURN_IF_ERROR(c.Execute("UPDATE operators SET failed_logins = 0, locked_until_us = $2 "
                                   "WHERE name = $1",
                                   {Value::Text(name), Value::Int(absl::ToUnixMicros(until))})
                             .status());
    return Audit(c, "system:console", "operator.locked", name,
                 absl::StrCat("failures=", policy_.max_failures, " until_us=",
                              absl::ToUnixMicros(until)),
                 now);
  }));
  if (!match) return wrong;
  account.failed_logins = 0;
  return account;
}

}  // namespace crvs::operators
