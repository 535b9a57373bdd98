#include "services/platform/text.h"

#include <gtest/gtest.h>

namespace crvs::text {
namespace {

TEST(Text, VietnameseNamesAreAcceptable) {
  EXPECT_EQ(Unacceptable("Nguyễn Thị Hồng Nhung"), "");
  EXPECT_EQ(Unacceptable("Sở Tư pháp\ttỉnh"), "");  // a tab is harmless
  EXPECT_TRUE(IsUtf8("Hoàng Văn Tư"));
}

// Regression: an AMEND whose reason held a NUL byte was accepted, then PostgreSQL refused the
// sink's batch ("invalid byte sequence for encoding UTF8: 0x00") forever.
TEST(Text, ControlCharactersAreNamedWithTheirOffset) {
  EXPECT_EQ(Unacceptable(std::string("fix\0typo", 8)), "control character U+0000 at byte 3");
  EXPECT_EQ(Unacceptable("a\x1b[31mred"), "control character U+001B at byte 1");
  EXPECT_EQ(Unacceptable("two\nlines"), "control character U+000A at byte 3");
  EXPECT_EQ(Unacceptable("two\nlines", /*allow_newlines=*/true), "");
  EXPECT_EQ(Unacceptable("\x7f"), "control character U+007F at byte 0");
  EXPECT_EQ(Unacceptable("\xc2\x85"), "control character U+0085 at byte 0");  // NEL (C1)
}

TEST(Text, BidirectionalOverridesAreRefused) {
  EXPECT_EQ(Unacceptable("abc\xe2\x80\xae" "fdp.exe"), "bidirectional control U+202E at byte 3");
  EXPECT_EQ(Unacceptable("\xe2\x81\xa6x"), "bidirectional control U+2066 at byte 0");
}

TEST(Text, MalformedUtf8IsRefused) {
  EXPECT_FALSE(IsUtf8("\xff"));
  EXPECT_FALSE(IsUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsUtf8("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(IsUtf8("\xe1\xba"));          // cut short
  EXPECT_EQ(Unacceptable("ok\xff"), "not UTF-8 at byte 2");
}

TEST(Text, PrintableEscapesOnlyWhatNeedsIt) {
  EXPECT_EQ(Printable("death/BV01002/GBT-1"), "death/BV01002/GBT-1");
  EXPECT_EQ(Printable("Tư"), "Tư");
  EXPECT_EQ(Printable(std::string("k\0\xff", 3)), "k\\x00\\xff");
  EXPECT_EQ(Printable("a\\b\x01"), "a\\x5cb\\x01");  // a backslash is escaped too, unambiguous
}

}  // namespace
}  // namespace crvs::text
