#include "services/platform/logging.h"

#include <gtest/gtest.h>

namespace crvs::logging {
namespace {

TEST(MaskPersonalId, KeepsProvincePrefixAndLastTwoDigits) {
  EXPECT_EQ(MaskPersonalId("079203001234"), "079*******34");
}

TEST(MaskPersonalIds, MasksEveryTwelveDigitRunOnly) {
  EXPECT_EQ(MaskPersonalIds("mother=079203001234 father=001085000111 offset=1234567"),
            "mother=079*******34 father=001*******11 offset=1234567");
  // 11 and 13 digits are not personal IDs (offsets, phone numbers): left alone.
  EXPECT_EQ(MaskPersonalIds("a=12345678901 b=1234567890123"), "a=12345678901 b=1234567890123");
  EXPECT_EQ(MaskPersonalIds("079203001234"), "079*******34");
  EXPECT_EQ(MaskPersonalIds(""), "");
}

TEST(Get, ReturnsTheSameNamedLogger) {
  auto a = Get("gateway");
  auto b = Get("gateway");
  EXPECT_EQ(a.get(), b.get());
  EXPECT_EQ(a->name(), "gateway");
  EXPECT_NE(Get("sink").get(), a.get());
}

TEST(Get, LogLinesReachingTheSinkAreMasked) {
  ::testing::internal::CaptureStderr();
  auto log = Get("masking-test");
  log->warn("rejected personal_id={}", "079203001234");
  log->flush();
  std::string out = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(out.find("rejected personal_id=079*******34"), std::string::npos) << out;
  EXPECT_EQ(out.find("079203001234"), std::string::npos) << out;
}

TEST(Configure, RejectsUnknownLevel) {
  EXPECT_EQ(Configure({"verbose"}),
            "log.level: unknown level 'verbose' (expected trace, debug, info, warn, error, "
            "critical or off)");
  EXPECT_EQ(Configure({"debug"}), "");
  EXPECT_EQ(Get("level-test")->level(), spdlog::level::debug);
  EXPECT_EQ(Configure({"info"}), "");
}

}  // namespace
}  // namespace crvs::logging
