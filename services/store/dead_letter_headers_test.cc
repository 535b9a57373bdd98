#include "services/store/dead_letter_headers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace crvs::store {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

MATCHER_P2(Header, key, value, "") { return arg.key == key && arg.value == value; }

// The bytes crvs.admin.v1.DeadLetter with only these headers serialized to (protoc 3.21),
// i.e. what rows written before the store had its own types hold.
const std::string kEncoded(
    "\x5a\x15\x0a\x0f"
    "crvs-message-id"
    "\x12\x02"
    "m2"
    "\x5a\x00"
    "\x5a\x03\x0a\x01k"
    "\x5a\x05\x12\x03\x00\xff\x01",
    2 + 21 + 2 + 2 + 3 + 2 + 5);

std::vector<KafkaHeader> Sample() {
  return {{"crvs-message-id", "m2"}, {"", ""}, {"k", ""}, {"", std::string("\x00\xff\x01", 3)}};
}

TEST(DeadLetterHeadersTest, EncodesAsTheDeadLetterMessageAlwaysDid) {
  EXPECT_EQ(EncodeDeadLetterHeaders(Sample()), kEncoded);
  EXPECT_EQ(EncodeDeadLetterHeaders({}), "");
}

TEST(DeadLetterHeadersTest, DecodesWhatItEncodesInOrder) {
  EXPECT_THAT(DecodeDeadLetterHeaders(kEncoded),
              ElementsAre(Header("crvs-message-id", "m2"), Header("", ""), Header("k", ""),
                          Header("", std::string("\x00\xff\x01", 3))));
  EXPECT_THAT(DecodeDeadLetterHeaders(""), IsEmpty());
}

TEST(DeadLetterHeadersTest, SkipsOtherFields) {
  // Field 1 (varint 7) before, field 5 (string "x") inside an entry: both skipped.
  const std::string bytes("\x08\x07\x5a\x08\x0a\x01k\x2a\x01x\x12\x00", 2 + 2 + 8);
  EXPECT_THAT(DecodeDeadLetterHeaders(bytes), ElementsAre(Header("k", "")));
}

TEST(DeadLetterHeadersTest, MalformedBytesGiveNoHeadersAtAll) {
  EXPECT_THAT(DecodeDeadLetterHeaders(kEncoded.substr(0, kEncoded.size() - 1)), IsEmpty());
  EXPECT_THAT(DecodeDeadLetterHeaders("\x5a\x7f\x0a\x01k"), IsEmpty());  // entry too long
  EXPECT_THAT(DecodeDeadLetterHeaders("\xff"), IsEmpty());               // bad tag varint
  // A key that is not UTF-8: a protobuf string, so the message does not parse.
  EXPECT_THAT(DecodeDeadLetterHeaders(std::string("\x5a\x03\x0a\x01\xff", 5)), IsEmpty());
}

}  // namespace
}  // namespace crvs::store
