// The translation files are complete and well formed: every key in both languages, the same
// {placeholders} in both texts of a key, and substitution works.
#include "services/platform/i18n.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

namespace crvs::i18n {
namespace {

nlohmann::json Load(const std::string& name) {
  std::ifstream in(std::string(CRVS_SOURCE_DIR) + "/i18n/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str());
}

std::set<std::string> Placeholders(const std::string& text) {
  static const std::regex placeholder(R"(\{([a-z_0-9]+)\})");
  std::set<std::string> out;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), placeholder);
       it != std::sregex_iterator(); ++it) {
    out.insert((*it)[1]);
  }
  return out;
}

TEST(I18nTest, BothLanguagesHaveTheSameKeysAndPlaceholders) {
  nlohmann::json vi = Load("vi.json"), en = Load("en.json");
  ASSERT_TRUE(vi.is_object());
  ASSERT_TRUE(en.is_object());
  for (auto it = vi.begin(); it != vi.end(); ++it) {
    ASSERT_TRUE(it.value().is_string()) << it.key();
    ASSERT_TRUE(en.contains(it.key())) << "en.json lacks " << it.key();
    EXPECT_EQ(Placeholders(it.value()), Placeholders(en[it.key()].get<std::string>()))
        << it.key();
    EXPECT_FALSE(it.value().get<std::string>().empty()) << it.key();
  }
  for (auto it = en.begin(); it != en.end(); ++it) {
    EXPECT_TRUE(vi.contains(it.key())) << "vi.json lacks " << it.key();
  }
}

TEST(I18nTest, TextsAreVietnameseFirstWithParameters) {
  EXPECT_EQ(ParseLanguage("VI"), Language::kVietnamese);
  EXPECT_EQ(ParseLanguage("en"), Language::kEnglish);
  EXPECT_FALSE(ParseLanguage("fr").has_value());
  EXPECT_EQ(Text(Language::kVietnamese, "indicator.B1").rfind("Tỷ lệ đăng ký khai sinh", 0), 0u);
  const std::map<std::string, std::string> params = {
      {"period", "2026"}, {"area", "VN"}, {"as_of", "2026-06-30"}, {"known", ""},
      {"computed", "2026-07-01T00:00:00.000Z"}};
  EXPECT_EQ(Text(Language::kEnglish, "report.title", params),
            "CRVS indicators: period 2026, area VN, as of 2026-06-30, computed "
            "2026-07-01T00:00:00.000Z");
  EXPECT_EQ(Text(Language::kVietnamese, "report.title", params),
            "Chỉ tiêu CRVS: kỳ 2026, địa bàn VN, tính đến ngày 2026-06-30, tính lúc "
            "2026-07-01T00:00:00.000Z");
  EXPECT_EQ(Text(Language::kVietnamese, "no.such.key"), "no.such.key");
  EXPECT_TRUE(Has(Language::kVietnamese, "report.col.numerator"));
}

}  // namespace
}  // namespace crvs::i18n
