#include "services/crypto/keyring_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/crypto/payload_cipher.h"
#include "tests/support/status_matchers.h"

namespace crvs::crypto {
namespace {

using ::crvs::testing::StatusIs;
using ::testing::HasSubstr;

class KeyringFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/crvs-keyring-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
    path_ = dir_ + "/keyring";
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }

  std::string Read() {
    std::ifstream in(path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  std::string dir_, path_;
  absl::Time now_ = absl::FromCivil(absl::CivilSecond(2026, 3, 15, 10, 15, 0), absl::UTCTimeZone());
};

TEST_F(KeyringFileTest, NewFileHoldsOneActiveKeyReadableOnlyByItsOwner) {
  auto added = AddNewKey(path_, "", false, now_);
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_TRUE(added->created);
  EXPECT_EQ(added->id, "k20260315T101500");
  EXPECT_EQ(added->active, "k20260315T101500");
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto ring = Keyring::LoadFile(path_);
  ASSERT_TRUE(ring.ok()) << ring.status();
  EXPECT_EQ(ring->ids(), std::vector<std::string>{"k20260315T101500"});
}

TEST_F(KeyringFileTest, AddedKeyBecomesActiveOnlyWhenAsked) {
  ASSERT_TRUE(AddNewKey(path_, "k1", false, now_).ok());
  auto k2 = AddNewKey(path_, "k2", false, now_);
  ASSERT_TRUE(k2.ok()) << k2.status();
  EXPECT_FALSE(k2->created);
  EXPECT_EQ(k2->active, "k1");
  // A value sealed now (k1) still opens after k3 is added and activated.
  auto before = Keyring::LoadFile(path_);
  ASSERT_TRUE(before.ok());
  std::string sealed = *PayloadCipher(*before).Seal("payload", "key");
  auto k3 = AddNewKey(path_, "k3", true, now_);
  ASSERT_TRUE(k3.ok()) << k3.status();
  EXPECT_EQ(k3->active, "k3");
  auto after = Keyring::LoadFile(path_);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->active_id(), "k3");
  EXPECT_EQ(after->ids(), (std::vector<std::string>{"k1", "k2", "k3"}));
  EXPECT_EQ(*PayloadCipher(*after).Open(sealed, "key"), "payload");
  EXPECT_THAT(Read(), HasSubstr("# crvs-sync keyring"));  // comments kept

  auto listed = ListKeys(path_);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(*listed, "k1\nk2\nk3  (active)\n");
}

TEST_F(KeyringFileTest, ActivateSwitchesTheSealingKeyOnlyToAKeyOfTheRing) {
  ASSERT_TRUE(AddNewKey(path_, "k1", false, now_).ok());
  ASSERT_TRUE(AddNewKey(path_, "k2", false, now_).ok());
  ASSERT_TRUE(ActivateKey(path_, "k2").ok());
  EXPECT_EQ(Keyring::LoadFile(path_)->active_id(), "k2");
  std::string before = Read();
  auto missing = ActivateKey(path_, "k9");
  EXPECT_THAT(missing, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(std::string(missing.message()), HasSubstr("--id: key id 'k9' is not in"));
  EXPECT_EQ(Read(), before);
}

TEST_F(KeyringFileTest, DuplicateOrBadIdIsRefusedAndTheFileUnchanged) {
  ASSERT_TRUE(AddNewKey(path_, "k1", false, now_).ok());
  std::string before = Read();
  EXPECT_THAT(AddNewKey(path_, "k1", true, now_), StatusIs(absl::StatusCode::kAlreadyExists));
  auto bad = AddNewKey(path_, "k/1", false, now_);
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("--id: key id 'k/1'"));
  EXPECT_EQ(Read(), before);
}

TEST_F(KeyringFileTest, ListNeverShowsKeyBytes) {
  ASSERT_TRUE(AddNewKey(path_, "k1", false, now_).ok());
  std::string file = Read();
  std::string encoded = file.substr(file.rfind("k1 = ") + 5, 44);
  auto listed = ListKeys(path_);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->find(encoded), std::string::npos);
  EXPECT_THAT(ListKeys(dir_ + "/missing"), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace crvs::crypto
