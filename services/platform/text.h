// What a text field may hold. Names, codes and reasons travel into the civil-status database
// (PostgreSQL refuses a NUL byte in text), onto operators' screens and into reports: control
// characters and bidirectional overrides there are either a bug in a source's software or an
// attempt to make text read differently from what is stored. The gateway rejects them field by
// field; what must be shown anyway (Kafka keys and headers are bytes) is escaped.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace crvs::text {

// Well-formed UTF-8: no overlong forms, surrogates or values beyond U+10FFFF.
bool IsUtf8(std::string_view s);

// Why `s` is not acceptable text, or "" when it is: not UTF-8, or it holds a C0 control
// character (tab, and line feed / carriage return when `allow_newlines`, excepted), DEL, a C1
// control (U+0080..U+009F), or a bidirectional embedding / override / isolate (U+202A..U+202E,
// U+2066..U+2069). The reason names the character and its byte offset, e.g.
// "control character U+0000 at byte 12".
std::string Unacceptable(std::string_view s, bool allow_newlines = false);

// `s` when Unacceptable(s, true) is "", else `s` with every byte outside printable ASCII escaped
// as \xNN (so the result is plain ASCII and shows exactly which bytes came).
std::string Printable(std::string_view s);

}  // namespace crvs::text
