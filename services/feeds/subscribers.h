// The agencies that receive feeds, configured as data (a JSON file, `feeds.subscribers_file`;
// deploy/feeds/subscribers.json is the example). Each names the events it receives, the fields
// it may see (nothing else leaves: data minimisation), and how it receives them:
//
//   {"subscribers": [{
//      "name": "social-insurance",               // its feed; its certificate is agency:<name>
//      "description": "...",
//      "events": ["death.notified", "death.registered", "birth.registered", "record.amended",
//                 "record.voided"],
//      "fields": ["deceased.personal_id", "deceased.full_name", ...],   // events.h paths
//      "delivery": ["pull"],                     // "pull" (gRPC) and/or "kafka"; or
//                                                // "statistics" alone: aggregated counts
//                                                // only (GetStatistics), no events, no fields
//      "keyring_file": "/etc/crvs/feeds/social-insurance.keys",  // kafka: its own keys
//      "revoked": false                          // true: every call is PERMISSION_DENIED
//   }]}
//
// Unknown keys, event types and fields are errors naming them, so a typo does not silently
// share less (or, for a misspelt "revoked", more).
#pragma once

#include <absl/status/statusor.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "services/feeds/events.h"

namespace crvs::feeds {

struct Subscriber {
  std::string name;
  std::string description;
  std::set<std::string> events;
  std::set<std::string> fields;
  std::set<std::string> delivery;  // "pull", "kafka", or "statistics" alone
  // Kafka: the subscriber's keyring (`crvs keys new`), which seals its topic's values; the
  // agency holds the same file. Empty: the built-in development key, with a warning.
  std::string keyring_file;
  bool revoked = false;

  // Whether this subscriber receives `event` (an amend or void only with its record's type).
  bool Wants(const Event& event) const;
};

struct Subscribers {
  std::map<std::string, Subscriber> by_name;
  const Subscriber* Find(const std::string& name) const;
};

// Parses the file's text; `origin` names it in errors ("subscribers.json: subscribers[1].events[2]:
// unknown event type \"birth.registred\"").
absl::StatusOr<Subscribers> ParseSubscribers(std::string_view json_text, std::string_view origin);
absl::StatusOr<Subscribers> LoadSubscribers(const std::string& path);

}  // namespace crvs::feeds
