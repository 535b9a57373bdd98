#include "services/console/prom_text.h"

#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <set>

namespace crvs::console {
namespace {

bool IsNameStart(char c, bool colon_ok) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon_ok && c == ':');
}
bool IsNameChar(char c, bool colon_ok) {
  return IsNameStart(c, colon_ok) || (c >= '0' && c <= '9');
}
bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// A cursor over one line; every error names the line number.
class LineReader {
 public:
  LineReader(absl::string_view line, int number) : line_(line), number_(number) {}

  bool AtEnd() const { return pos_ >= line_.size(); }
  char Peek() const { return AtEnd() ? '\0' : line_[pos_]; }
  // Whether any blank was skipped.
  bool SkipBlanks() {
    size_t start = pos_;
    while (!AtEnd() && IsBlank(line_[pos_])) ++pos_;
    return pos_ > start;
  }
  bool Consume(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }
  // [a-zA-Z_:][a-zA-Z0-9_:]* for metric names, no colon for label names. Empty if none.
  absl::string_view Name(bool colon_ok) {
    size_t start = pos_;
    if (AtEnd() || !IsNameStart(line_[pos_], colon_ok)) return {};
    while (!AtEnd() && IsNameChar(line_[pos_], colon_ok)) ++pos_;
    return line_.substr(start, pos_ - start);
  }
  // Characters up to the next blank or end of line.
  absl::string_view Token() {
    size_t start = pos_;
    while (!AtEnd() && !IsBlank(line_[pos_])) ++pos_;
    return line_.substr(start, pos_ - start);
  }
  absl::string_view Rest() {
    absl::string_view rest = line_.substr(std::min(pos_, line_.size()));
    pos_ = line_.size();
    return rest;
  }
  // The body of a quoted label value (the opening quote already consumed), unescaping \\, \"
  // and \n; any other escape is an error.
  absl::StatusOr<std::string> QuotedValue() {
    std::string out;
    while (true) {
      if (AtEnd()) return Error("label value is not terminated by \"");
      char c = line_[pos_++];
      if (c == '"') return out;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (AtEnd()) return Error("label value ends in a lone backslash");
      char e = line_[pos_++];
      if (e == '\\') {
        out.push_back('\\');
      } else if (e == '"') {
        out.push_back('"');
      } else if (e == 'n') {
        out.push_back('\n');
      } else {
        return Error(absl::StrCat("invalid escape sequence \\", std::string(1, e),
                                  " in a label value (only \\\\, \\\" and \\n)"));
      }
    }
  }
  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat("line ", number_, ": ", what));
  }

 private:
  absl::string_view line_;
  int number_;
  size_t pos_ = 0;
};

// HELP text: escapes \\ and \n only.
absl::StatusOr<std::string> UnescapeHelp(absl::string_view text, const LineReader& reader) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 1 == text.size()) return reader.Error("HELP text ends in a lone backslash");
    char e = text[++i];
    if (e == '\\') {
      out.push_back('\\');
    } else if (e == 'n') {
      out.push_back('\n');
    } else {
      return reader.Error(absl::StrCat("invalid escape sequence \\", std::string(1, e),
                                       " in HELP text (only \\\\ and \\n)"));
    }
  }
  return out;
}

absl::StatusOr<MetricType> ParseType(absl::string_view text) {
  if (text == "counter") return MetricType::kCounter;
  if (text == "gauge") return MetricType::kGauge;
  if (text == "histogram") return MetricType::kHistogram;
  if (text == "summary") return MetricType::kSummary;
  if (text == "untyped") return MetricType::kUntyped;
  return absl::InvalidArgumentError(absl::StrCat("unknown metric type '", text, "'"));
}

bool EndsWith(absl::string_view s, absl::string_view suffix) {
  return s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Builds families line by line, enforcing the grouping rules.
class Builder {
 public:
  absl::Status Help(LineReader& r, absl::string_view name, absl::string_view text) {
    auto help = UnescapeHelp(text, r);
    if (!help.ok()) return help.status();
    MetricFamily* family = Declare(name);
    if (!family->samples.empty())
      return r.Error(absl::StrCat("HELP for ", name, " after its samples"));
    if (helped_.count(std::string(name))) return r.Error(absl::StrCat("second HELP for ", name));
    helped_.insert(std::string(name));
    family->help = std::move(*help);
    return Enter(r, name);
  }

  absl::Status Type(LineReader& r, absl::string_view name, MetricType type) {
    MetricFamily* family = Declare(name);
    if (!family->samples.empty())
      return r.Error(absl::StrCat("TYPE for ", name, " after its samples"));
    if (typed_.count(std::string(name))) return r.Error(absl::StrCat("second TYPE for ", name));
    typed_.insert(std::string(name));
    family->type = type;
    return Enter(r, name);
  }

  absl::Status Add(LineReader& r, Sample sample) {
    std::string family_name = FamilyOf(sample.name);
    MetricFamily* family = Declare(family_name);
    if (family->type == MetricType::kHistogram || family->type == MetricType::kSummary) {
      bool bare = sample.name == family_name;
      if (family->type == MetricType::kHistogram && bare) {
        return r.Error(absl::StrCat("sample ", sample.name, " of histogram ", family_name,
                                    " must be ", family_name, "_bucket, _sum or _count"));
      }
      const char* special = family->type == MetricType::kHistogram ? "le" : "quantile";
      bool needs_special =
          family->type == MetricType::kHistogram ? EndsWith(sample.name, "_bucket") : bare;
      const std::string* v = sample.Label(special);
      if (needs_special) {
        if (v == nullptr)
          return r.Error(absl::StrCat(sample.name, " has no '", special, "' label"));
        if (!ParseFloatValue(*v).ok()) {
          return r.Error(
              absl::StrCat(sample.name, " label ", special, "=\"", *v, "\" is not a number"));
        }
      } else if (v != nullptr) {
        return r.Error(absl::StrCat(sample.name, " must not have a '", special, "' label"));
      }
    }
    absl::Status entered = Enter(r, family_name);
    if (!entered.ok()) return entered;
    std::string key = sample.name;
    for (const auto& [k, v] : sample.labels) absl::StrAppend(&key, "\x1f", k, "\x1e", v);
    if (!series_.insert(key).second) {
      return r.Error(absl::StrCat("series ", sample.name, " with the same labels appears twice"));
    }
    family->samples.push_back(std::move(sample));
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<MetricFamily>> Finish() {
    for (const MetricFamily& f : families_) {
      if (f.type != MetricType::kHistogram) continue;
      // Each histogram series (labels without le) needs its +Inf bucket.
      std::map<Labels, bool> has_inf;
      for (const Sample& s : f.samples) {
        if (!EndsWith(s.name, "_bucket")) continue;
        Labels rest;
        bool inf = false;
        for (const auto& l : s.labels) {
          if (l.first == "le") {
            inf = std::isinf(*ParseFloatValue(l.second)) && *ParseFloatValue(l.second) > 0;
          } else {
            rest.push_back(l);
          }
        }
        has_inf[rest] = has_inf[rest] || inf;
      }
      for (const auto& [labels, inf] : has_inf) {
        if (!inf) {
          return absl::InvalidArgumentError(
              absl::StrCat("histogram ", f.name, ": a series has no le=\"+Inf\" bucket"));
        }
      }
    }
    return std::move(families_);
  }

 private:
  // Every family's lines must form one group.
  absl::Status Enter(const LineReader& r, absl::string_view name) {
    if (current_ == name) return absl::OkStatus();
    if (closed_.count(std::string(name))) {
      return r.Error(absl::StrCat("lines of metric family ", name, " are not in one group"));
    }
    if (!current_.empty()) closed_.insert(current_);
    current_ = std::string(name);
    return absl::OkStatus();
  }

  // The family a sample name belongs to: x for x_bucket/_sum/_count of a histogram x (and
  // _sum/_count of a summary x), else the sample's own name.
  std::string FamilyOf(const std::string& sample_name) const {
    for (absl::string_view suffix : {"_bucket", "_sum", "_count"}) {
      if (!EndsWith(sample_name, suffix)) continue;
      std::string base = sample_name.substr(0, sample_name.size() - suffix.size());
      auto it = index_.find(base);
      if (it == index_.end()) continue;
      MetricType t = families_[it->second].type;
      if (t == MetricType::kHistogram || (t == MetricType::kSummary && suffix != "_bucket")) {
        return base;
      }
    }
    return sample_name;
  }

  MetricFamily* Declare(absl::string_view name) {
    auto it = index_.find(std::string(name));
    if (it != index_.end()) return &families_[it->second];
    index_.emplace(std::string(name), families_.size());
    families_.push_back(MetricFamily{std::string(name), MetricType::kUntyped, "", {}});
    return &families_.back();
  }

  std::vector<MetricFamily> families_;
  std::map<std::string, size_t> index_;
  std::set<std::string> typed_, helped_, closed_, series_;
  std::string current_;
};

absl::Status ParseComment(LineReader& r, Builder& b) {
  r.Consume('#');
  r.SkipBlanks();
  absl::string_view keyword = r.Token();
  if (keyword != "HELP" && keyword != "TYPE") return absl::OkStatus();  // a plain comment
  if (!IsBlank(r.Peek())) return r.Error(absl::StrCat(keyword, " without a metric name"));
  r.SkipBlanks();
  absl::string_view name = r.Name(/*colon_ok=*/true);
  if (name.empty()) return r.Error(absl::StrCat(keyword, ": invalid metric name"));
  if (keyword == "HELP") {
    if (r.AtEnd()) return b.Help(r, name, "");
    if (!IsBlank(r.Peek())) return r.Error("HELP: invalid metric name");
    r.Consume(r.Peek());  // exactly one separator; the rest, blanks included, is the text
    return b.Help(r, name, r.Rest());
  }
  if (!IsBlank(r.Peek())) return r.Error("TYPE: invalid metric name or missing type");
  r.SkipBlanks();
  absl::string_view type_text = r.Token();
  r.SkipBlanks();
  if (!r.AtEnd()) return r.Error("TYPE: unexpected text after the type");
  auto type = ParseType(type_text);
  if (!type.ok()) return r.Error(type.status().message());
  return b.Type(r, name, *type);
}

absl::Status ParseSample(LineReader& r, Builder& b) {
  Sample sample;
  absl::string_view name = r.Name(/*colon_ok=*/true);
  if (name.empty()) return r.Error("invalid metric name");
  sample.name = std::string(name);
  bool blank = r.SkipBlanks();
  if (r.Consume('{')) {
    while (true) {
      r.SkipBlanks();
      if (r.Consume('}')) break;
      absl::string_view label = r.Name(/*colon_ok=*/false);
      if (label.empty()) return r.Error("invalid label name");
      r.SkipBlanks();
      if (!r.Consume('=')) return r.Error(absl::StrCat("label ", label, ": expected '='"));
      r.SkipBlanks();
      if (!r.Consume('"')) return r.Error(absl::StrCat("label ", label, ": expected '\"'"));
      auto value = r.QuotedValue();
      if (!value.ok()) return value.status();
      for (const auto& l : sample.labels) {
        if (l.first == label) return r.Error(absl::StrCat("label ", label, " appears twice"));
      }
      sample.labels.emplace_back(std::string(label), std::move(*value));
      r.SkipBlanks();
      if (r.Consume(',')) continue;
      if (r.Consume('}')) break;
      return r.Error("expected ',' or '}' after a label");
    }
    std::sort(sample.labels.begin(), sample.labels.end());
    r.SkipBlanks();
  } else if (!blank && !r.AtEnd()) {
    return r.Error("invalid metric name");
  }
  if (r.AtEnd()) return r.Error("sample without a value");
  absl::string_view value_text = r.Token();
  auto value = ParseFloatValue(value_text);
  if (!value.ok()) return r.Error(value.status().message());
  sample.value = *value;
  r.SkipBlanks();
  if (!r.AtEnd()) {
    absl::string_view ts = r.Token();
    std::string digits(ts);
    char* end = nullptr;
    errno = 0;
    long long parsed = std::strtoll(digits.c_str(), &end, 10);
    bool numeric = !digits.empty() &&
                   (std::isdigit(static_cast<unsigned char>(digits[0])) || digits[0] == '-');
    if (!numeric || end != digits.c_str() + digits.size() || errno == ERANGE) {
      return r.Error(absl::StrCat("timestamp '", ts, "' is not an integer (milliseconds)"));
    }
    sample.timestamp_ms = parsed;
    r.SkipBlanks();
    if (!r.AtEnd()) return r.Error("unexpected text after the timestamp");
  }
  return b.Add(r, std::move(sample));
}

}  // namespace

std::string_view MetricTypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
    case MetricType::kSummary:
      return "summary";
    case MetricType::kUntyped:
      break;
  }
  return "untyped";
}

const std::string* Sample::Label(std::string_view label) const {
  for (const auto& l : labels) {
    if (l.first == label) return &l.second;
  }
  return nullptr;
}

absl::StatusOr<double> ParseFloatValue(absl::string_view text) {
  std::string lower = absl::AsciiStrToLower(text);
  if (lower == "nan") return std::numeric_limits<double>::quiet_NaN();
  if (lower == "+inf" || lower == "inf") return std::numeric_limits<double>::infinity();
  if (lower == "-inf") return -std::numeric_limits<double>::infinity();
  bool digit = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      digit = true;
    } else if (c != '+' && c != '-' && c != '.' && c != 'e' && c != 'E') {
      digit = false;
      break;
    }
  }
  std::string copy(text);
  char* end = nullptr;
  double value = digit ? std::strtod(copy.c_str(), &end) : 0;
  if (!digit || end != copy.c_str() + copy.size()) {
    return absl::InvalidArgumentError(absl::StrCat("value '", text, "' is not a number"));
  }
  return value;  // out-of-range decimals saturate to ±Inf or 0, as Go's ParseFloat does
}

absl::StatusOr<std::vector<MetricFamily>> ParseTextFormat(absl::string_view text) {
  Builder builder;
  int number = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    absl::string_view line = text.substr(pos, nl == absl::string_view::npos ? text.npos : nl - pos);
    pos = nl == absl::string_view::npos ? text.size() : nl + 1;
    ++number;
    LineReader r(line, number);
    r.SkipBlanks();
    if (r.AtEnd()) continue;
    absl::Status st = r.Peek() == '#' ? ParseComment(r, builder) : ParseSample(r, builder);
    if (!st.ok()) return st;
  }
  return builder.Finish();
}

}  // namespace crvs::console
