// Operator accounts on a real SQLite database: argon2id hashes, roles and scope, sign-in with
// lockout, disable / reset, the audit trail, and `crvs operators`.
#include "services/operators/accounts.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "services/operators/operators_command.h"
#include "services/store/audit.h"
#include "services/store/sql.h"
#include "tests/support/scratch_dir.h"
#include "tests/support/status_matchers.h"

namespace crvs::operators {
namespace {

using ::crvs::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kPassword[] = "mật khẩu đủ dài 2026";  // 20 characters, UTF-8

absl::Time At(int minutes) { return absl::FromUnixSeconds(1790000000) + absl::Minutes(minutes); }

class AccountsTest : public ::testing::Test {
 protected:
  AccountsTest() {
    database_.url = "sqlite:" + dir_.File("crvs.db");
    auto opened = store::Store::Open(database_);
    EXPECT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
    accounts_ = std::make_unique<Accounts>(*store_);
  }

  std::vector<store::AuditRow> AuditRows(const std::string& action_prefix) {
    std::vector<store::AuditRow> out;
    EXPECT_TRUE(store_->Read([&](store::sql::Connection& c) -> absl::Status {
      auto rows = store::ListAudit(c, 0, 10000);
      if (!rows.ok()) return rows.status();
      for (auto& r : *rows) {
        if (r.action.rfind(action_prefix, 0) == 0) out.push_back(r);
      }
      return absl::OkStatus();
    }).ok());
    return out;
  }

  crvs::testing::ScratchDir dir_{"crvs-operators"};
  store::DatabaseConfig database_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Accounts> accounts_;
};

TEST_F(AccountsTest, AddsAccountsWithArgon2idHashesRolesAndScope) {
  ASSERT_TRUE(accounts_->Add("lan", Role::kOperator, "79", kPassword, "system:cli", At(0)).ok());
  ASSERT_TRUE(accounts_->Add("an.admin", Role::kAdmin, "", kPassword, "operator:lan", At(1)).ok());
  auto list = accounts_->List();
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "an.admin");
  EXPECT_EQ((*list)[0].role, Role::kAdmin);
  EXPECT_EQ((*list)[0].province_code, "");
  EXPECT_EQ((*list)[1].name, "lan");
  EXPECT_EQ((*list)[1].role, Role::kOperator);
  EXPECT_EQ((*list)[1].province_code, "79");

  std::string hash;
  ASSERT_TRUE(store_->Read([&](store::sql::Connection& c) -> absl::Status {
    auto rows = c.Execute("SELECT password_hash FROM operators WHERE name = 'lan'", {});
    if (!rows.ok()) return rows.status();
    hash = (*rows)[0][0].AsString();
    return absl::OkStatus();
  }).ok());
  EXPECT_THAT(hash, StartsWith("$argon2id$"));
  EXPECT_THAT(hash, ::testing::Not(HasSubstr("mật khẩu")));

  auto added = AuditRows("operator.");
  ASSERT_EQ(added.size(), 2u);
  EXPECT_EQ(added[0].actor, "system:cli");
  EXPECT_EQ(added[0].subject, "operator/lan");
  EXPECT_EQ(added[0].detail, "role=operator province=79 sign_in=password");
  EXPECT_EQ(added[1].actor, "operator:lan");
}

// Issue 17: operators of a PKI deployment sign in with their certificate; their account only
// gives role and province, and no password ever matches it.
TEST_F(AccountsTest, ACertificateOnlyAccountHasNoPassword) {
  ASSERT_TRUE(accounts_->Add("cert.lan", Role::kViewer, "01", "", "system:cli", At(0)).ok());
  auto found = accounts_->Find("cert.lan");
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->province_code, "01");
  EXPECT_EQ((*found)->role, Role::kViewer);
  for (const char* guess : {"", "x", kPassword}) {
    EXPECT_THAT(accounts_->SignIn("cert.lan", guess, At(1)),
                StatusIs(absl::StatusCode::kUnauthenticated))
        << guess;
  }
  auto none = accounts_->Find("nobody");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto added = AuditRows("operator.added");
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(added[0].detail, "role=viewer province=01 sign_in=certificate");
}

TEST_F(AccountsTest, RefusesBadNamesPasswordsProvincesAndDuplicates) {
  EXPECT_THAT(accounts_->Add("Lan", Role::kViewer, "", kPassword, "system:cli", At(0)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name:")));
  EXPECT_THAT(accounts_->Add("-lan", Role::kViewer, "", kPassword, "system:cli", At(0)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name:")));
  EXPECT_THAT(accounts_->Add("lan", Role::kViewer, "", "ngắn quá", "system:cli", At(0)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("password: must be at least 12 characters, got 8")));
  EXPECT_THAT(accounts_->Add("lan", Role::kViewer, "", std::string("abc\0defghijklmn", 15),
                             "system:cli", At(0)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("control character")));
  EXPECT_THAT(accounts_->Add("lan", Role::kViewer, "63", kPassword, "system:cli", At(0)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("province:")));
  ASSERT_TRUE(accounts_->Add("lan", Role::kViewer, "01", kPassword, "system:cli", At(0)).ok());
  EXPECT_THAT(accounts_->Add("lan", Role::kAdmin, "", kPassword, "system:cli", At(1)),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(accounts_->Disable("binh", "system:cli", At(1)),
              StatusIs(absl::StatusCode::kNotFound));
  auto list = accounts_->List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].role, Role::kViewer) << "the duplicate changed nothing";
}

TEST_F(AccountsTest, SignInLocksAfterFiveWrongPasswordsUntilTheLockoutEnds) {
  ASSERT_TRUE(accounts_->Add("lan", Role::kOperator, "79", kPassword, "system:cli", At(0)).ok());
  auto ok = accounts_->SignIn("lan", kPassword, At(1));
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->role, Role::kOperator);
  EXPECT_EQ(ok->province_code, "79");

  // The same answer for a wrong name and a wrong password.
  EXPECT_THAT(accounts_->SignIn("binh", kPassword, At(2)),
              StatusIs(absl::StatusCode::kUnauthenticated, "wrong operator name or password"));
  for (int i = 0; i < 4; ++i) {
    EXPECT_THAT(accounts_->SignIn("lan", "wrong password!", At(2)),
                StatusIs(absl::StatusCode::kUnauthenticated, "wrong operator name or password"));
  }
  EXPECT_TRUE(accounts_->SignIn("lan", kPassword, At(3)).ok()) << "4 failures do not lock";
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(accounts_->SignIn("lan", "wrong password!", At(4)),
                StatusIs(absl::StatusCode::kUnauthenticated));
  }
  EXPECT_THAT(accounts_->SignIn("lan", kPassword, At(5)),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("locked")));
  EXPECT_THAT(accounts_->SignIn("lan", kPassword, At(18)),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("locked")));
  EXPECT_TRUE(accounts_->SignIn("lan", kPassword, At(4 + 15)).ok()) << "15 minutes later";

  auto locked = AuditRows("operator.locked");
  ASSERT_EQ(locked.size(), 1u);
  EXPECT_EQ(locked[0].subject, "operator/lan");
}

TEST_F(AccountsTest, DisabledAccountsCannotSignInUntilAPasswordReset) {
  ASSERT_TRUE(accounts_->Add("lan", Role::kViewer, "", kPassword, "system:cli", At(0)).ok());
  ASSERT_TRUE(accounts_->Disable("lan", "operator:an", At(1)).ok());
  EXPECT_THAT(accounts_->SignIn("lan", kPassword, At(2)),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("disabled")));
  const std::string fresh = "một mật khẩu mới 2026";
  ASSERT_TRUE(accounts_->ResetPassword("lan", fresh, "operator:an", At(3)).ok());
  EXPECT_THAT(accounts_->SignIn("lan", kPassword, At(4)),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_TRUE(accounts_->SignIn("lan", fresh, At(5)).ok());
  auto changes = AuditRows("operator.");
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[1].action, "operator.disabled");
  EXPECT_EQ(changes[1].actor, "operator:an");
  EXPECT_EQ(changes[2].action, "operator.password_reset");
  ASSERT_TRUE(store_->Read([](store::sql::Connection& c) -> absl::Status {
    auto verified = store::VerifyAudit(c);
    if (!verified.ok()) return verified.status();
    EXPECT_TRUE(verified->intact) << verified->problem;
    return absl::OkStatus();
  }).ok());
}

// `crvs operators`, parsed as main parses it.
int RunCommand(const store::DatabaseConfig& database, std::vector<std::string> args,
               const std::string& stdin_text, std::string* out_text, std::string* err_text) {
  CLI::App app;
  OperatorsCommand command(app);
  std::vector<const char*> argv = {"crvs"};
  for (const auto& a : args) argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    return 2;
  }
  std::istringstream in(stdin_text);
  char* out_buf = nullptr;
  char* err_buf = nullptr;
  size_t out_size = 0, err_size = 0;
  std::FILE* out = open_memstream(&out_buf, &out_size);
  std::FILE* err = open_memstream(&err_buf, &err_size);
  const int code = command.Run(database, in, out, err);
  std::fclose(out);
  std::fclose(err);
  *out_text = std::string(out_buf, out_size);
  *err_text = std::string(err_buf, err_size);
  free(out_buf);
  free(err_buf);
  return code;
}

TEST_F(AccountsTest, TheCommandAddsListsDisablesAndResetsPrintingAGeneratedPasswordOnce) {
  std::string out, err;
  EXPECT_EQ(RunCommand(database_,
                       {"operators", "add", "lan", "--role", "operator", "--province", "79",
                        "--password-stdin"},
                       std::string(kPassword) + "\n", &out, &err),
            0)
      << err;
  EXPECT_EQ(out, "added operator:lan, role operator, province 79\n");
  EXPECT_TRUE(accounts_->SignIn("lan", kPassword, At(1)).ok());

  EXPECT_EQ(RunCommand(database_, {"operators", "add", "an", "--role", "admin"}, "", &out, &err),
            0)
      << err;
  ASSERT_THAT(out, HasSubstr("password (shown once): "));
  const std::string generated = out.substr(out.find(": ", out.find("shown once")) + 2, 20);
  EXPECT_TRUE(accounts_->SignIn("an", generated, At(1)).ok()) << generated;

  EXPECT_EQ(RunCommand(database_, {"operators", "add", "lan", "--password-stdin"},
                       std::string(kPassword) + "\n", &out, &err),
            3);
  EXPECT_THAT(err, HasSubstr("already exists"));
  EXPECT_EQ(RunCommand(database_, {"operators", "add", "binh", "--password-stdin"}, "short\n",
                       &out, &err),
            2);
  EXPECT_THAT(err, HasSubstr("password: must be at least 12 characters"));
  EXPECT_EQ(RunCommand(database_, {"operators", "add", "binh", "--role", "root"}, "", &out, &err),
            2);

  EXPECT_EQ(RunCommand(database_, {"operators", "disable", "lan"}, "", &out, &err), 0) << err;
  EXPECT_EQ(RunCommand(database_, {"operators", "list"}, "", &out, &err), 0) << err;
  EXPECT_THAT(out, HasSubstr("an\tadmin\tnational\tactive\t"));
  EXPECT_THAT(out, HasSubstr("lan\toperator\t79\tdisabled\t"));
  EXPECT_EQ(RunCommand(database_, {"operators", "reset-password", "lan", "--password-stdin"},
                       "một mật khẩu mới 2026\n", &out, &err),
            0)
      << err;
  EXPECT_TRUE(accounts_->SignIn("lan", "một mật khẩu mới 2026", At(2)).ok());
  EXPECT_EQ(RunCommand(database_, {"operators", "disable", "nobody"}, "", &out, &err), 3);
}

}  // namespace
}  // namespace crvs::operators
