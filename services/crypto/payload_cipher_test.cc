#include "services/crypto/payload_cipher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include <absl/strings/escaping.h>

#include "tests/support/status_matchers.h"

namespace crvs::crypto {
namespace {

using ::crvs::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPersonalId[] = "079194001234";

std::string KeyBytes(char fill) { return std::string(kKeyBytes, fill); }

Keyring Ring(std::vector<std::pair<std::string, char>> keys, const std::string& active) {
  Keyring ring;
  for (const auto& [id, fill] : keys) EXPECT_TRUE(ring.Add(id, KeyBytes(fill)).ok());
  EXPECT_TRUE(ring.SetActive(active).ok());
  return ring;
}

std::string Plaintext() {
  return std::string("\x0a\x0c") + kPersonalId + " Nguyễn Thị Lan, born 1994-03-12";
}

TEST(PayloadCipher, RoundTripHidesThePlaintextAndNamesTheKeyId) {
  PayloadCipher cipher(Ring({{"k1", 'a'}}, "k1"));
  auto sealed = cipher.Seal(Plaintext(), "birth/BV79001/GCS-1");
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_THAT(*sealed, Not(HasSubstr(kPersonalId)));
  EXPECT_THAT(*sealed, Not(HasSubstr("Lan")));
  EXPECT_EQ(sealed->size(), Plaintext().size() + 5 + 1 + 1 + 2 + kNonceBytes + kTagBytes);
  auto parts = ParseSealed(*sealed);
  ASSERT_TRUE(parts.has_value());
  EXPECT_EQ(parts->key_id, "k1");
  auto opened = cipher.Open(*sealed, "birth/BV79001/GCS-1");
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, Plaintext());
}

TEST(PayloadCipher, EverySealUsesAFreshNonce) {
  PayloadCipher cipher(Ring({{"k1", 'a'}}, "k1"));
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(*cipher.Seal(Plaintext(), "key"));
  EXPECT_EQ(seen.size(), 100u);
}

TEST(PayloadCipher, EmptyPlaintextAndEmptyAadRoundTrip) {
  PayloadCipher cipher(Ring({{"k1", 'a'}}, "k1"));
  auto sealed = cipher.Seal("", "");
  ASSERT_TRUE(sealed.ok());
  EXPECT_TRUE(IsSealed(*sealed));
  EXPECT_EQ(*cipher.Open(*sealed, ""), "");
}

TEST(PayloadCipher, AnyAlteredByteFailsAuthentication) {
  PayloadCipher cipher(Ring({{"k1", 'a'}, {"k2", 'b'}}, "k1"));
  const std::string sealed = *cipher.Seal(Plaintext(), "key");
  auto header = ParseSealed(sealed)->header.size();
  // Every byte after the key id: nonce, ciphertext, tag.
  for (size_t i = header; i < sealed.size(); ++i) {
    std::string tampered = sealed;
    tampered[i] = static_cast<char>(tampered[i] ^ 0x01);
    auto opened = cipher.Open(tampered, "key");
    EXPECT_THAT(opened, StatusIs(absl::StatusCode::kDataLoss)) << "byte " << i;
  }
  // The key id swapped for another key of the ring: the header is authenticated too.
  std::string relabelled = sealed;
  relabelled[header - 1] = '2';
  auto opened = cipher.Open(relabelled, "key");
  EXPECT_THAT(opened, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(std::string(opened.status().message()),
              HasSubstr("authentication failed under key id 'k2'"));
}

TEST(PayloadCipher, AnotherKafkaKeyFailsAuthentication) {
  PayloadCipher cipher(Ring({{"k1", 'a'}}, "k1"));
  const std::string sealed = *cipher.Seal(Plaintext(), "death/BV01002/GBT-1");
  EXPECT_THAT(cipher.Open(sealed, "death/BV01002/GBT-2"), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(cipher.Open(sealed, ""), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(PayloadCipher, SameIdButAnotherKeyFailsAuthentication) {
  PayloadCipher writer(Ring({{"k1", 'a'}}, "k1"));
  PayloadCipher reader(Ring({{"k1", 'z'}}, "k1"));
  EXPECT_THAT(reader.Open(*writer.Seal(Plaintext(), "key"), "key"),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(PayloadCipher, UnknownKeyIdIsNamed) {
  PayloadCipher old_writer(Ring({{"k2023", 'a'}}, "k2023"));
  PayloadCipher reader(Ring({{"k2026", 'b'}}, "k2026"));
  auto opened = reader.Open(*old_writer.Seal(Plaintext(), "key"), "key");
  EXPECT_THAT(opened, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(std::string(opened.status().message()), HasSubstr("unknown key id 'k2023'"));
}

TEST(PayloadCipher, RotationKeepsOldValuesReadable) {
  PayloadCipher before(Ring({{"k1", 'a'}}, "k1"));
  PayloadCipher after(Ring({{"k1", 'a'}, {"k2", 'b'}}, "k2"));
  const std::string old_value = *before.Seal(Plaintext(), "key");
  const std::string new_value = *after.Seal(Plaintext(), "key");
  EXPECT_EQ(ParseSealed(new_value)->key_id, "k2");
  EXPECT_EQ(*after.Open(old_value, "key"), Plaintext());
  EXPECT_EQ(*after.Open(new_value, "key"), Plaintext());
  // A process still on the old ring cannot read the new values, and says which key it lacks.
  EXPECT_THAT(before.Open(new_value, "key"), StatusIs(absl::StatusCode::kNotFound));
}

TEST(PayloadCipher, PlaintextIsNotSealed) {
  PayloadCipher cipher(Keyring::Development());
  for (std::string plain : {std::string("\x0a\x03" "abc"), std::string("{\"id\":1}"),
                            std::string(""), std::string("\0CRVS", 5),
                            std::string("\0CRVS\x01\x00", 7) + std::string(40, 'x')}) {
    EXPECT_FALSE(IsSealed(plain)) << absl::CHexEscape(plain);
    EXPECT_THAT(cipher.Open(plain, "k"), StatusIs(absl::StatusCode::kInvalidArgument));
  }
  // The shortest sealed value (nothing encrypted) minus one byte is no longer one.
  std::string truncated = *cipher.Seal("", "k");
  EXPECT_TRUE(IsSealed(truncated));
  truncated.pop_back();
  EXPECT_FALSE(IsSealed(truncated));
}

TEST(Keyring, DevelopmentKeyIsStableAndMarked) {
  Keyring dev = Keyring::Development();
  EXPECT_TRUE(dev.is_development());
  EXPECT_EQ(dev.active_id(), kDevelopmentKeyId);
  // Another process (another build) opens what this one sealed.
  std::string sealed = *PayloadCipher(dev).Seal("x", "k");
  EXPECT_EQ(*PayloadCipher(Keyring::Development()).Open(sealed, "k"), "x");
}

TEST(Keyring, ParseReadsIdsAndTheActiveOne) {
  std::string a = absl::Base64Escape(KeyBytes('a'));
  std::string b = absl::Base64Escape(KeyBytes('b'));
  auto ring = Keyring::Parse("# comment\n\nactive = \"k2\"\nk1 = " + a + "\nk2='" + b + "'\n", "f");
  ASSERT_TRUE(ring.ok()) << ring.status();
  EXPECT_EQ(ring->active_id(), "k2");
  EXPECT_EQ(ring->ids(), (std::vector<std::string>{"k1", "k2"}));
  EXPECT_FALSE(ring->is_development());
}

TEST(Keyring, ParseErrorsNameTheLineAndNeverEchoKeyMaterial) {
  std::string a = absl::Base64Escape(KeyBytes('a'));
  struct Case {
    std::string text;
    std::string error;
  } cases[] = {
      {"active = k1\nk1 = " + a + "\nk1 = " + a + "\n", "ring.toml line 3: key id 'k1' appears twice"},
      {"active = k1\nk1 = abc\n", "ring.toml line 2: the key has 2 bytes; AES-256 needs 32"},
      {"active = k1\nk1 = !!!\n", "ring.toml line 2: the key after '=' is not base64"},
      {"active = k1\nk 1 = " + a + "\n", "ring.toml line 2: the key id before '=' must be"},
      // Regression: a bare key (no `id =`) read its '=' padding as the separator and the error
      // quoted the "id" — the key itself — into the log.
      {"active = k1\n" + a + "\n", "ring.toml line 2: the key has 0 bytes"},
      {"active = k1\nk1 = " + a.substr(0, 20) + "\n", "ring.toml line 2: the key has 15 bytes"},
      {"k1 = " + a + "\n", "ring.toml: no `active = id` line"},
      {"active = k9\nk1 = " + a + "\n", "ring.toml: active key id 'k9' is not in the keyring"},
      {"active = k1\n", "ring.toml: the keyring holds no key"},
      {"[crypto]\n", "ring.toml line 1: sections are not allowed"},
      {"active = k1\nk1\n", "ring.toml line 2: expected `id = base64 key`"},
  };
  for (const auto& c : cases) {
    auto ring = Keyring::Parse(c.text, "ring.toml");
    ASSERT_FALSE(ring.ok()) << c.text;
    EXPECT_THAT(std::string(ring.status().message()), HasSubstr(c.error)) << c.text;
    EXPECT_THAT(std::string(ring.status().message()), Not(HasSubstr(a.substr(0, 12))))
        << "key material in an error";
  }
}

TEST(LoadPayloadCipher, EmptyFileNameMeansTheDevelopmentKey) {
  auto cipher = LoadPayloadCipher({});
  ASSERT_TRUE(cipher.ok());
  EXPECT_TRUE((*cipher)->keyring().is_development());
  CryptoConfig missing;
  missing.keyring_file = "/nonexistent/keyring";
  auto failed = LoadPayloadCipher(missing);
  EXPECT_THAT(failed, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(std::string(failed.status().message()),
              HasSubstr("crypto.keyring_file: cannot read '/nonexistent/keyring'"));
}

}  // namespace
}  // namespace crvs::crypto
