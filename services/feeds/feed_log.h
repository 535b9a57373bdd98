// The feed: every record version's events (events.h) in commit order, read from the database.
//
// Order. Record versions are stamped with their transaction's number (txn), and so is the one
// audit row covering them (store/audit.h). Audit rows are appended under the chain's head lock
// held until commit, so seq order is commit order even with several writers; a position in the
// feed is (the audit row's seq, the event's ordinal among its transaction's events). Within a
// transaction, versions go by Kafka partition, offset, key and version, so a record's versions
// keep their order, and every event of a person comes after the ones committed before it.
//
// Durability. On PostgreSQL a consumed batch commits with synchronous_commit = off (store.cc):
// a crash may drop a batch already visible. Readers must not hand out what was read before a
// synchronous commit of their own has returned (it flushes the WAL past every earlier commit);
// FeedService does so by auditing the delivery before answering.
//
// Thread-safety: free functions over a caller's connection.
#pragma once

#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include <functional>
#include <string>
#include <vector>

#include "services/feeds/events.h"
#include "services/store/sql.h"

namespace crvs::feeds {

// A place in the feed: after the event `ordinal` of the transaction whose audit row is `seq`.
// ordinal -1: before that transaction's first event. {0, -1}: the beginning.
struct Position {
  int64_t seq = 0;
  int64_t ordinal = -1;
  friend bool operator<(const Position& a, const Position& b) {
    return a.seq != b.seq ? a.seq < b.seq : a.ordinal < b.ordinal;
  }
  friend bool operator==(const Position& a, const Position& b) {
    return a.seq == b.seq && a.ordinal == b.ordinal;
  }
};

// "<seq>.<ordinal>" ("0" for the beginning); Parse gives INVALID_ARGUMENT naming the text.
std::string FormatPosition(const Position& p);
absl::StatusOr<Position> ParsePosition(std::string_view text);

struct FeedEvent {
  Position position;
  int64_t committed_at_us = 0;
  Event event;  // payload["event"] holds id (the position), type and committed_at
};

struct FeedPage {
  std::vector<FeedEvent> events;  // those `wanted` accepted, in feed order
  // Every event up to here was examined (delivered or not wanted): the cursor to ask from
  // next. Equal to the request's `after` when nothing new was committed.
  Position scanned_to;
  // False when every transaction committed so far was examined (the end of the feed for now).
  bool more = false;
};

struct ReadOptions {
  int max_events = 500;         // events returned at most (the page may stop mid-transaction)
  int max_transactions = 200;   // transactions examined at most per call
  int max_versions = 5000;      // versions examined at most per call (a batch holds thousands)
  // Which events the reader wants; all when empty.
  std::function<bool(const Event&)> wanted;
};

// Events after `after`, in feed order.
absl::StatusOr<FeedPage> ReadFeed(store::sql::Connection& connection, const Position& after,
                                  const ReadOptions& options);

// The position before the first transaction committed at or after `at` (replay from a time);
// the end of the feed if none.
absl::StatusOr<Position> PositionAt(store::sql::Connection& connection, absl::Time at);

// The last transaction's position (its end): how far the feed goes now, for lag.
absl::StatusOr<int64_t> LastFeedSeq(store::sql::Connection& connection);

}  // namespace crvs::feeds
