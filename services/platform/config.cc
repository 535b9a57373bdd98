#include "services/platform/config.h"

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <CLI/CLI.hpp>

namespace crvs::config {
namespace {

// TOML string as CLI11's reader reads it back: it strips the quotes without unescaping, so a
// value holding a double quote is written as a literal (single-quoted) string instead.
std::string Quote(const std::string& s) {
  char q = s.find('"') == std::string::npos ? '"' : '\'';
  return q + s + q;
}

absl::Status BadValue(std::string_view key, std::string_view origin, std::string_view value,
                      std::string_view expected) {
  return absl::InvalidArgumentError(std::string(origin) + ": " + std::string(key) + ": expected " +
                                    std::string(expected) + ", got '" + std::string(value) + "'");
}

std::string EnvName(const std::string& key) {
  std::string out = "CRVS_";
  for (char c : key) out.push_back(c == '.' ? '_' : static_cast<char>(std::toupper(c)));
  return out;
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, ',')) {
    auto b = item.find_first_not_of(" \t");
    auto e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
  }
  return out;
}

}  // namespace

absl::Status ParseDuration(std::string_view text, Duration* out) {
  size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  if (i == 0 || i > 12) return absl::InvalidArgumentError("not a duration");
  int64_t n = std::stoll(std::string(text.substr(0, i)));
  std::string_view unit = text.substr(i);
  int64_t ms_per_unit = 0;
  if (unit == "ms") ms_per_unit = 1;
  else if (unit == "s") ms_per_unit = 1000;
  else if (unit == "m") ms_per_unit = 60 * 1000;
  else if (unit == "h") ms_per_unit = 3600 * 1000;
  else if (unit == "d") ms_per_unit = 24 * 3600 * 1000;
  else return absl::InvalidArgumentError("not a duration");
  *out = Duration(n * ms_per_unit);
  return absl::OkStatus();
}

std::string FormatDuration(Duration d) {
  int64_t ms = d.count();
  struct Unit { int64_t ms; const char* name; };
  for (Unit u : {Unit{86400000, "d"}, Unit{3600000, "h"}, Unit{60000, "m"}, Unit{1000, "s"}}) {
    if (ms != 0 && ms % u.ms == 0) return std::to_string(ms / u.ms) + u.name;
  }
  return std::to_string(ms) + "ms";
}

void Config::Binder::Add(std::string_view key, Field field) {
  config->fields_[section + "." + std::string(key)] = std::move(field);
}

void Config::Binder::operator()(std::string_view key, std::string& v, std::string_view help) {
  Add(key, {"string", std::string(help),
            [&v](const std::string& s) { v = s; return absl::OkStatus(); },
            [&v] { return Quote(v); }});
}

void Config::Binder::operator()(std::string_view key, int64_t& v, std::string_view help) {
  Add(key, {"integer", std::string(help),
            [&v](const std::string& s) {
              char* end = nullptr;
              errno = 0;
              long long n = std::strtoll(s.c_str(), &end, 10);
              if (s.empty() || *end != '\0' || errno != 0) {
                return absl::InvalidArgumentError("an integer");
              }
              v = n;
              return absl::OkStatus();
            },
            [&v] { return std::to_string(v); }});
}

void Config::Binder::operator()(std::string_view key, int& v, std::string_view help) {
  Add(key, {"integer", std::string(help),
            [&v](const std::string& s) {
              char* end = nullptr;
              errno = 0;
              long n = std::strtol(s.c_str(), &end, 10);
              if (s.empty() || *end != '\0' || errno != 0 || n < INT32_MIN || n > INT32_MAX) {
                return absl::InvalidArgumentError("an integer");
              }
              v = static_cast<int>(n);
              return absl::OkStatus();
            },
            [&v] { return std::to_string(v); }});
}

void Config::Binder::operator()(std::string_view key, double& v, std::string_view help) {
  Add(key, {"number", std::string(help),
            [&v](const std::string& s) {
              char* end = nullptr;
              double d = std::strtod(s.c_str(), &end);
              if (s.empty() || *end != '\0') return absl::InvalidArgumentError("a number");
              v = d;
              return absl::OkStatus();
            },
            [&v] {
              std::ostringstream out;
              out << v;
              return out.str();
            }});
}

void Config::Binder::operator()(std::string_view key, bool& v, std::string_view help) {
  Add(key, {"boolean", std::string(help),
            [&v](const std::string& s) {
              if (s == "true") v = true;
              else if (s == "false") v = false;
              else return absl::InvalidArgumentError("true or false");
              return absl::OkStatus();
            },
            [&v] { return std::string(v ? "true" : "false"); }});
}

void Config::Binder::operator()(std::string_view key, Duration& v, std::string_view help) {
  Add(key, {"duration", std::string(help),
            [&v](const std::string& s) {
              if (!ParseDuration(s, &v).ok()) {
                return absl::InvalidArgumentError("a duration such as 250ms, 5s, 2m, 24h or 7d");
              }
              return absl::OkStatus();
            },
            [&v] { return Quote(FormatDuration(v)); }});
}

void Config::Binder::operator()(std::string_view key, std::vector<std::string>& v,
                                std::string_view help) {
  Add(key, {"list", std::string(help),
            [&v](const std::string& s) { v = SplitList(s); return absl::OkStatus(); },
            [&v] {
              std::string out = "[";
              for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + Quote(v[i]);
              return out + "]";
            }});
}

absl::Status Config::Apply(const std::string& key, const std::string& value,
                           std::string_view origin) {
  auto it = fields_.find(key);
  if (auto moved = moved_.find(key); it == fields_.end() && moved != moved_.end()) {
    return absl::InvalidArgumentError(std::string(origin) + ": configuration key '" + key +
                                      "' is now '" + moved->second + "'");
  }
  if (it == fields_.end()) {
    return absl::InvalidArgumentError(std::string(origin) + ": unknown configuration key '" + key +
                                      "' (`crvs config describe` lists every key)");
  }
  absl::Status st = it->second.parse(value);
  if (!st.ok()) return BadValue(key, origin, value, std::string(st.message()));
  return absl::OkStatus();
}

absl::Status Config::LoadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError("config file " + path + ": cannot be opened");
  std::stringstream text;
  text << in.rdbuf();
  return LoadText(text.str(), "config file " + path);
}

absl::Status Config::LoadText(std::string_view text, std::string_view origin) {
  // CLI11's TOML reader (Debian's libcli11-dev) does the parsing; we own the semantics.
  CLI::ConfigTOML parser;
  std::istringstream in{std::string(text)};
  std::vector<CLI::ConfigItem> items;
  try {
    items = parser.from_config(in);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(std::string(origin) + ": " + e.what());
  }
  for (const auto& item : items) {
    if (item.name == "++" || item.name == "--") continue;  // section open/close markers
    if (item.parents.empty()) {
      return absl::InvalidArgumentError(std::string(origin) + ": key '" + item.name +
                                        "' must be inside a [section]");
    }
    std::string key;
    for (const auto& p : item.parents) key += p + ".";
    key += item.name;
    std::string value;
    for (size_t i = 0; i < item.inputs.size(); ++i) value += (i ? "," : "") + item.inputs[i];
    absl::Status st = Apply(key, value, origin);
    if (!st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status Config::LoadEnvironment(const char* const* envp) {
  for (; envp != nullptr && *envp != nullptr; ++envp) {
    std::string_view entry(*envp);
    if (entry.substr(0, 5) != "CRVS_") continue;
    auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    std::string name(entry.substr(0, eq));
    std::string value(entry.substr(eq + 1));
    if (name == kConfigFileEnv) continue;
    const std::string* key = nullptr;
    for (const auto& [k, field] : fields_) {
      if (EnvName(k) == name) {
        key = &k;
        break;
      }
    }
    for (const auto& [old_key, new_key] : moved_) {
      if (key == nullptr && EnvName(old_key) == name) {
        return absl::InvalidArgumentError("environment: " + name + " is now " + EnvName(new_key));
      }
    }
    if (key == nullptr) {
      return absl::InvalidArgumentError("environment: unknown configuration variable " + name +
                                        " (`crvs config describe` lists every key)");
    }
    absl::Status st = Apply(*key, value, "environment " + name);
    if (!st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status Config::Set(std::string_view assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return absl::InvalidArgumentError("--set " + std::string(assignment) +
                                      ": expected section.key=value");
  }
  std::string value(assignment.substr(eq + 1));
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    value = value.substr(1, value.size() - 2);
  }
  return Apply(std::string(assignment.substr(0, eq)), value, "--set");
}

std::string Config::Describe() const {
  std::ostringstream out;
  for (const auto& [key, field] : fields_) {
    out << key << " (" << field.type << ", now " << field.show() << ")\n"
        << "    " << field.help << "\n"
        << "    env " << EnvName(key) << "\n";
  }
  return out.str();
}

std::string Config::Dump() const {
  std::ostringstream out;
  std::string section;
  for (const auto& [key, field] : fields_) {
    auto dot = key.rfind('.');
    std::string s = key.substr(0, dot);
    if (s != section) {
      out << (section.empty() ? "" : "\n") << "[" << s << "]\n";
      section = s;
    }
    out << "# " << field.help << "\n" << key.substr(dot + 1) << " = " << field.show() << "\n";
  }
  return out.str();
}

}  // namespace crvs::config
