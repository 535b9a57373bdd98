// The words people read, Vietnamese first and English one switch away (issue 17). The texts
// live in data files at the repository's i18n/ (vi.json, en.json: flat {"key": "text"} with
// the same keys), compiled in; the console serves the same files to its page, so the console
// and `crvs report` name an indicator alike. "{name}" in a text is replaced by a parameter.
//
// Thread-safety: the files are parsed once, on first use; then read-only.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace crvs::i18n {

enum class Language { kVietnamese, kEnglish };

// "vi" / "en" (case-insensitive); nullopt otherwise.
std::optional<Language> ParseLanguage(std::string_view code);
std::string LanguageCode(Language language);  // "vi", "en"

// The text of `key` in `language` with `params` substituted; the English text when the
// language lacks it, the key itself when neither has it (a test keeps the files complete).
std::string Text(Language language, const std::string& key,
                 const std::map<std::string, std::string>& params = {});
// Whether `language`'s file has `key`.
bool Has(Language language, const std::string& key);

}  // namespace crvs::i18n
