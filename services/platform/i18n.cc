#include "services/platform/i18n.h"

#include <absl/strings/ascii.h>
#include <absl/strings/str_replace.h>

#include <nlohmann/json.hpp>

namespace crvs::i18n {
namespace internal {
std::string_view I18nVi();  // generated from i18n/vi.json (CMakeLists.txt)
std::string_view I18nEn();  // generated from i18n/en.json
}  // namespace internal

namespace {

using Table = std::map<std::string, std::string, std::less<>>;

Table Parse(std::string_view text) {
  Table out;
  auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return out;  // i18n_test fails the build's tests first
  for (auto it = json.begin(); it != json.end(); ++it) {
    if (it.value().is_string()) out[it.key()] = it.value().get<std::string>();
  }
  return out;
}

const Table& For(Language language) {
  static const Table* vi = new Table(Parse(internal::I18nVi()));
  static const Table* en = new Table(Parse(internal::I18nEn()));
  return language == Language::kVietnamese ? *vi : *en;
}

}  // namespace

std::optional<Language> ParseLanguage(std::string_view code) {
  const std::string lower = absl::AsciiStrToLower(std::string(code));
  if (lower == "vi") return Language::kVietnamese;
  if (lower == "en") return Language::kEnglish;
  return std::nullopt;
}

std::string LanguageCode(Language language) {
  return language == Language::kVietnamese ? "vi" : "en";
}

bool Has(Language language, const std::string& key) { return For(language).count(key) > 0; }

std::string Text(Language language, const std::string& key,
                 const std::map<std::string, std::string>& params) {
  const Table& table = For(language);
  auto it = table.find(key);
  if (it == table.end()) {
    it = For(Language::kEnglish).find(key);
    if (it == For(Language::kEnglish).end()) return key;
  }
  std::string text = it->second;
  for (const auto& [name, value] : params) {
    text = absl::StrReplaceAll(text, {{"{" + name + "}", value}});
  }
  return text;
}

}  // namespace crvs::i18n
