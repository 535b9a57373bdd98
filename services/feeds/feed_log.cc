#include "services/feeds/feed_log.h"

#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>

#include "services/platform/status.h"

namespace crvs::feeds {
namespace {

using store::sql::Value;

std::string Rfc3339(int64_t us) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::FromUnixMicros(us), absl::UTCTimeZone());
}

}  // namespace

std::string FormatPosition(const Position& p) {
  if (p.seq == 0 && p.ordinal == -1) return "0";
  return absl::StrCat(p.seq, ".", p.ordinal);
}

absl::StatusOr<Position> ParsePosition(std::string_view text_view) {
  const std::string text(text_view);
  if (text == "0" || text.empty()) return Position{};
  std::vector<std::string> parts = absl::StrSplit(text, absl::MaxSplits('.', 1));
  Position p;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &p.seq) ||
      !absl::SimpleAtoi(parts[1], &p.ordinal) || p.seq < 0 || p.ordinal < -1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cursor \"", text, "\" is not a feed position: expected <seq>.<ordinal> as an event's id"));
  }
  return p;
}

absl::StatusOr<FeedPage> ReadFeed(store::sql::Connection& c, const Position& after,
                                  const ReadOptions& options) {
  FeedPage page;
  page.scanned_to = after;
  int versions_examined = 0;
  CRVS_ASSIGN_OR_RETURN(
      store::sql::Rows txns,
      c.Execute("SELECT seq, at_us, txn FROM audit_log WHERE txn IS NOT NULL AND seq >= $1 "
                "ORDER BY seq LIMIT $2",
                {Value::Int(after.seq), Value::Int(options.max_transactions)}));
  for (const auto& t : txns) {
    const int64_t seq = t[0].AsInt(), at_us = t[1].AsInt(), txn = t[2].AsInt();
    CRVS_ASSIGN_OR_RETURN(
        store::sql::Rows versions,
        c.Execute("SELECT business_key, version, action, envelope FROM record_versions "
                  "WHERE txn = $1 ORDER BY kafka_partition, kafka_offset, business_key, version",
                  {Value::Int(txn)}));
    int64_t ordinal = -1;
    for (const auto& v : versions) {
      // Enough examined: stop after a version whose events were new (the cursor moves past it).
      if (versions_examined >= options.max_versions && after < page.scanned_to &&
          page.scanned_to.seq == seq && page.scanned_to.ordinal == ordinal && ordinal >= 0) {
        page.more = true;
        return page;
      }
      ++versions_examined;
      VersionRow row;
      row.business_key = v[0].AsString();
      row.version = v[1].AsInt();
      row.action = v[2].AsString();
      row.envelope = v[3].AsString();
      row.committed_at_us = at_us;
      if (row.version > 1) {
        CRVS_ASSIGN_OR_RETURN(
            store::sql::Rows prev,
            c.Execute("SELECT envelope FROM record_versions WHERE business_key = $1 AND "
                      "version = $2",
                      {Value::Text(row.business_key), Value::Int(row.version - 1)}));
        if (!prev.empty()) row.previous = prev[0][0].AsString();
      }
      CRVS_ASSIGN_OR_RETURN(std::vector<Event> events, EventsOf(row));
      for (Event& e : events) {
        ++ordinal;
        Position at{seq, ordinal};
        if (!(after < at)) continue;
        if (static_cast<int>(page.events.size()) >= options.max_events) {
          page.more = true;
          return page;
        }
        page.scanned_to = at;
        if (options.wanted && !options.wanted(e)) continue;
        e.payload["event"] = {{"id", FormatPosition(at)},
                              {"type", e.type},
                              {"committed_at", Rfc3339(at_us)}};
        page.events.push_back({at, at_us, std::move(e)});
      }
    }
    // The whole transaction was examined.
    Position end{seq, std::max<int64_t>(ordinal, -1)};
    if (page.scanned_to < end) page.scanned_to = end;
  }
  page.more = static_cast<int>(txns.size()) >= options.max_transactions;
  return page;
}

absl::StatusOr<Position> PositionAt(store::sql::Connection& c, absl::Time at) {
  CRVS_ASSIGN_OR_RETURN(
      store::sql::Rows rows,
      c.Execute("SELECT MIN(seq) FROM audit_log WHERE txn IS NOT NULL AND at_us >= $1",
                {Value::Int(absl::ToUnixMicros(at))}));
  if (!rows.empty() && !rows[0][0].is_null()) return Position{rows[0][0].AsInt(), -1};
  CRVS_ASSIGN_OR_RETURN(int64_t last, LastFeedSeq(c));
  return Position{last + 1, -1};
}

absl::StatusOr<int64_t> LastFeedSeq(store::sql::Connection& c) {
  CRVS_ASSIGN_OR_RETURN(store::sql::Rows rows,
                        c.Execute("SELECT MAX(seq) FROM audit_log WHERE txn IS NOT NULL", {}));
  return rows.empty() || rows[0][0].is_null() ? 0 : rows[0][0].AsInt();
}

}  // namespace crvs::feeds
