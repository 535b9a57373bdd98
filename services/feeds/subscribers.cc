#include "services/feeds/subscribers.h"

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace crvs::feeds {
namespace {

using nlohmann::json;

bool IsName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char ch : name) {
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
          ch == '.')) {
      return false;
    }
  }
  return true;
}

absl::StatusOr<std::set<std::string>> Strings(const json& o, const char* key,
                                              const std::string& where,
                                              const std::set<std::string>& allowed,
                                              const char* what) {
  std::set<std::string> out;
  if (!o.contains(key)) return out;
  const json& list = o.at(key);
  if (!list.is_array()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".", key, ": must be a list"));
  }
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string at = absl::StrCat(where, ".", key, "[", i, "]");
    if (!list[i].is_string()) return absl::InvalidArgumentError(absl::StrCat(at, ": must be text"));
    std::string value = list[i].get<std::string>();
    if (!allowed.count(value)) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ": unknown ", what, " \"", value, "\" (one of: ",
                       absl::StrJoin(allowed, ", "), ")"));
    }
    out.insert(std::move(value));
  }
  return out;
}

}  // namespace

bool Subscriber::Wants(const Event& e) const {
  if (!events.count(e.type)) return false;
  if (e.type == kRecordAmended || e.type == kRecordVoided || e.type == kStatusChanged) {
    // A change follows its record: only to those who receive the record itself. A status change
    // stands on its own (the person's status), whatever record caused it.
    return e.type == kStatusChanged || events.count(e.base_type) > 0;
  }
  return true;
}

const Subscriber* Subscribers::Find(const std::string& name) const {
  auto it = by_name.find(name);
  return it == by_name.end() ? nullptr : &it->second;
}

absl::StatusOr<Subscribers> ParseSubscribers(std::string_view text,
                                             std::string_view origin_view) {
  const std::string origin(origin_view);
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return absl::InvalidArgumentError(absl::StrCat(origin, ": not valid JSON"));
  }
  if (!doc.is_object() || !doc.contains("subscribers") || !doc["subscribers"].is_array()) {
    return absl::InvalidArgumentError(
        absl::StrCat(origin, ": expected {\"subscribers\": [ ... ]}"));
  }
  const std::set<std::string> types(EventTypes().begin(), EventTypes().end());
  const std::set<std::string> keys = {"name",     "description", "events",      "fields",
                                      "delivery", "revoked",     "keyring_file"};
  Subscribers out;
  const json& list = doc["subscribers"];
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string where = absl::StrCat(origin, ": subscribers[", i, "]");
    const json& o = list[i];
    if (!o.is_object()) return absl::InvalidArgumentError(absl::StrCat(where, ": must be an object"));
    for (auto it = o.begin(); it != o.end(); ++it) {
      if (!keys.count(it.key())) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": unknown key \"", it.key(),
                                                       "\" (one of: ", absl::StrJoin(keys, ", "),
                                                       ")"));
      }
    }
    Subscriber s;
    if (!o.contains("name") || !o["name"].is_string() || !IsName(o["name"].get<std::string>())) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ".name: required, lower-case letters, digits, '-', '_' or '.' (at most 64)"));
    }
    s.name = o["name"].get<std::string>();
    if (o.contains("description")) {
      if (!o["description"].is_string()) {
        return absl::InvalidArgumentError(absl::StrCat(where, ".description: must be text"));
      }
      s.description = o["description"].get<std::string>();
    }
    auto events = Strings(o, "events", where, types, "event type");
    if (!events.ok()) return events.status();
    s.events = *std::move(events);
    auto fields = Strings(o, "fields", where, KnownFields(), "field");
    if (!fields.ok()) return fields.status();
    s.fields = *std::move(fields);
    auto delivery = Strings(o, "delivery", where, {"kafka", "pull", "statistics"}, "delivery");
    if (!delivery.ok()) return delivery.status();
    s.delivery = delivery->empty() ? std::set<std::string>{"pull"} : *std::move(delivery);
    if (s.delivery.count("statistics")) {
      // Aggregates only: nothing personal may reach such a subscriber by another way.
      if (s.delivery.size() > 1 || !s.fields.empty() || !s.events.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ".delivery: \"statistics\" (aggregated counts, no personal data) stands "
                   "alone: no other delivery, no events, no fields"));
      }
    } else if (s.events.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".events: name at least one"));
    }
    if (o.contains("keyring_file")) {
      if (!o["keyring_file"].is_string()) {
        return absl::InvalidArgumentError(absl::StrCat(where, ".keyring_file: must be text"));
      }
      s.keyring_file = o["keyring_file"].get<std::string>();
    }
    if (o.contains("revoked")) {
      if (!o["revoked"].is_boolean()) {
        return absl::InvalidArgumentError(absl::StrCat(where, ".revoked: must be true or false"));
      }
      s.revoked = o["revoked"].get<bool>();
    }
    const std::string name = s.name;
    if (!out.by_name.emplace(name, std::move(s)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".name: \"", name, "\" is named twice"));
    }
  }
  return out;
}

absl::StatusOr<Subscribers> LoadSubscribers(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("feeds.subscribers_file ", path, ": cannot read it"));
  std::stringstream text;
  text << in.rdbuf();
  return ParseSubscribers(text.str(), path);
}

}  // namespace crvs::feeds
