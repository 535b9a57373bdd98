#include "services/feeds/feed_service.h"

#include <absl/strings/escaping.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <google/protobuf/util/time_util.h>
#include <openssl/sha.h>

#include <map>

#include "services/auth/caller.h"
#include "services/feeds/statistics/aggregate.h"
#include "services/reconcile/calendar.h"
#include "services/platform/status.h"
#include "services/records/records.h"
#include "services/store/audit.h"

namespace crvs::feeds {
namespace {

using google::protobuf::util::TimeUtil;
using store::sql::Value;

std::string Actor(const Subscriber& s) { return absl::StrCat("agency:", s.name); }
std::string Subject(const Subscriber& s) { return absl::StrCat("feed/", s.name); }

absl::Time TimeOrPast(int64_t us) {
  return us == 0 ? absl::InfinitePast() : absl::FromUnixMicros(us);
}

// Creates the subscriber's row if it has none (in the caller's transaction).
absl::Status EnsureCursorRow(store::sql::Connection& c, const std::string& subscriber,
                             int64_t now_us) {
  return c
      .Execute("INSERT INTO feed_cursors (subscriber, acked_seq, acked_ordinal, acked_at_us, "
               "delivered_seq, delivered_at_us, paused, paused_by, last_error, updated_at_us) "
               "VALUES ($1, 0, -1, 0, 0, 0, 0, '', '', $2) ON CONFLICT (subscriber) DO NOTHING",
               {Value::Text(subscriber), Value::Int(now_us)})
      .status();
}

}  // namespace

absl::StatusOr<CursorState> LoadCursor(store::sql::Connection& c, const std::string& subscriber) {
  CRVS_ASSIGN_OR_RETURN(
      store::sql::Rows rows,
      c.Execute("SELECT acked_seq, acked_ordinal, acked_at_us, delivered_seq, delivered_at_us, "
                "paused, paused_by FROM feed_cursors WHERE subscriber = $1",
                {Value::Text(subscriber)}));
  CursorState s;
  if (rows.empty()) return s;
  const auto& r = rows[0];
  s.acknowledged = {r[0].AsInt(), r[1].AsInt()};
  s.acknowledged_at = TimeOrPast(r[2].AsInt());
  s.delivered_seq = r[3].AsInt();
  s.delivered_at = TimeOrPast(r[4].AsInt());
  s.paused = r[5].AsInt() != 0;
  s.paused_by = r[6].AsString();
  return s;
}

absl::Status SetPaused(store::Store& store, const std::string& subscriber, bool paused,
                       const std::string& by) {
  const absl::Time now = absl::Now();
  return store.Transact([&](store::sql::Connection& c) -> absl::Status {
    CRVS_RETURN_IF_ERROR(EnsureCursorRow(c, subscriber, absl::ToUnixMicros(now)));
    CRVS_RETURN_IF_ERROR(
        c.Execute("UPDATE feed_cursors SET paused = $2, paused_by = $3, updated_at_us = $4 "
                  "WHERE subscriber = $1",
                  {Value::Text(subscriber), Value::Int(paused ? 1 : 0),
                   Value::Text(paused ? by : ""), Value::Int(absl::ToUnixMicros(now))})
            .status());
    return store::AppendAudit(c, {{by, paused ? "feed.paused" : "feed.resumed",
                                    absl::StrCat("feed/", subscriber), ""}},
                              now);
  });
}

absl::StatusOr<std::vector<FeedStatus>> ListFeedStatus(store::Store& store,
                                                       const Subscribers& subscribers) {
  std::vector<FeedStatus> out;
  CRVS_RETURN_IF_ERROR(store.Read([&](store::sql::Connection& c) -> absl::Status {
    CRVS_ASSIGN_OR_RETURN(int64_t end, LastFeedSeq(c));
    for (const auto& [name, s] : subscribers.by_name) {
      FeedStatus st;
      st.name = name;
      st.description = s.description;
      st.events.assign(s.events.begin(), s.events.end());
      st.delivery.assign(s.delivery.begin(), s.delivery.end());
      st.revoked = s.revoked;
      CRVS_ASSIGN_OR_RETURN(st.cursor, LoadCursor(c, name));
      CRVS_ASSIGN_OR_RETURN(
          store::sql::Rows rows,
          c.Execute("SELECT COUNT(*) FROM audit_log WHERE txn IS NOT NULL AND seq > $1",
                    {Value::Int(st.cursor.acknowledged.seq)}));
      st.lag_transactions = rows.empty() ? 0 : rows[0][0].AsInt();
      CRVS_ASSIGN_OR_RETURN(
          store::sql::Rows error,
          c.Execute("SELECT last_error FROM feed_cursors WHERE subscriber = $1",
                    {Value::Text(name)}));
      if (!error.empty()) st.last_error = error[0][0].AsString();
      st.feed_end_seq = end;
      out.push_back(std::move(st));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::Status RecordDelivery(store::Store& store, const Subscriber& subscriber,
                            const std::vector<DeliveredEvent>& events, const Position& to,
                            std::string_view via, absl::Time now) {
  // Synchronous (Transact): returns only once the WAL is flushed past every commit read before.
  return store.Transact([&](store::sql::Connection& c) -> absl::Status {
    CRVS_RETURN_IF_ERROR(EnsureCursorRow(c, subscriber.name, absl::ToUnixMicros(now)));
    CRVS_RETURN_IF_ERROR(
        c.Execute("UPDATE feed_cursors SET delivered_seq = $2, delivered_at_us = $3, "
                  "last_error = '', updated_at_us = $3 WHERE subscriber = $1 AND "
                  "delivered_seq <= $2",
                  {Value::Text(subscriber.name), Value::Int(to.seq),
                   Value::Int(absl::ToUnixMicros(now))})
            .status());
    if (events.empty()) return absl::OkStatus();
    std::map<std::string, int> by_type;
    std::string digest_input;
    for (const DeliveredEvent& e : events) {
      ++by_type[e.type];
      absl::StrAppend(&digest_input, e.id, "\n", e.payload_json, "\n");
    }
    std::vector<std::string> counts;
    for (const auto& [type, n] : by_type) counts.push_back(absl::StrCat(type, ":", n));
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(digest_input.data()), digest_input.size(),
           digest);
    return store::AppendAudit(
        c,
        {{Actor(subscriber), "feed.delivered", Subject(subscriber),
          absl::StrCat("via=", std::string(via), " from=", events.front().id,
                       " to=", events.back().id, " events=", events.size(),
                       " types=", absl::StrJoin(counts, ","), " digest=",
                       absl::BytesToHexString(absl::string_view(
                           reinterpret_cast<const char*>(digest), sizeof digest)))}},
        now);
  });
}

absl::Status RecordPublished(store::Store& store, const std::string& subscriber,
                             const Position& to) {
  const int64_t now_us = absl::ToUnixMicros(absl::Now());
  return store.Transact([&](store::sql::Connection& c) -> absl::Status {
    CRVS_RETURN_IF_ERROR(EnsureCursorRow(c, subscriber, now_us));
    return c
        .Execute("UPDATE feed_cursors SET acked_seq = $2, acked_ordinal = $3, acked_at_us = $4, "
                 "updated_at_us = $4 WHERE subscriber = $1",
                 {Value::Text(subscriber), Value::Int(to.seq), Value::Int(to.ordinal),
                  Value::Int(now_us)})
        .status();
  });
}

absl::Status RecordFeedError(store::Store& store, const std::string& subscriber,
                             const std::string& error) {
  const int64_t now_us = absl::ToUnixMicros(absl::Now());
  return store.Transact([&](store::sql::Connection& c) -> absl::Status {
    CRVS_RETURN_IF_ERROR(EnsureCursorRow(c, subscriber, now_us));
    return c
        .Execute("UPDATE feed_cursors SET last_error = $2, updated_at_us = $3 "
                 "WHERE subscriber = $1",
                 {Value::Text(subscriber), Value::Text(error), Value::Int(now_us)})
        .status();
  });
}

FeedService::FeedService(Deps deps) : deps_(std::move(deps)) {}

absl::StatusOr<const Subscriber*> FeedService::Authorize(
    const grpc::ServerContextBase& context) const {
  CRVS_ASSIGN_OR_RETURN(common::v1::Principal caller, auth::CallerFromContext(context));
  if (caller.kind() != common::v1::PRINCIPAL_KIND_AGENCY) {
    return absl::PermissionDeniedError(
        absl::StrCat("caller ", records::FormatPrincipal(caller),
                     " reads no feed: feeds are read by agencies (agency:<subscriber>)"));
  }
  const Subscriber* s = deps_.subscribers->Find(caller.code());
  if (s == nullptr) {
    return absl::PermissionDeniedError(absl::StrCat(
        "agency:", caller.code(), " is not a subscriber of the civil-status database's feeds"));
  }
  if (s->revoked) {
    return absl::PermissionDeniedError(
        absl::StrCat("agency:", s->name, ": access to the feed was revoked"));
  }
  return s;
}

absl::StatusOr<v1::PullResponse> FeedService::PullFor(const Subscriber& subscriber,
                                                      const v1::PullRequest& request) {
  if (subscriber.delivery.count("statistics")) {
    return absl::PermissionDeniedError(absl::StrCat(
        "agency:", subscriber.name,
        " receives aggregated statistics only (GetStatistics), never records"));
  }
  if (!subscriber.delivery.count("pull")) {
    return absl::FailedPreconditionError(absl::StrCat(
        "agency:", subscriber.name, " receives its feed on Kafka, not by Pull"));
  }
  if (request.max_events() < 0 || request.max_events() > 1000) {
    return InvalidArgument({{"max_events", "must be 0 (200) or 1..1000"}});
  }
  CursorState state;
  Position from;
  FeedPage page;
  CRVS_RETURN_IF_ERROR(deps_.store->Read([&](store::sql::Connection& c) -> absl::Status {
    CRVS_ASSIGN_OR_RETURN(state, LoadCursor(c, subscriber.name));
    if (state.paused) return absl::OkStatus();
    switch (request.from_case()) {
      case v1::PullRequest::kCursor: {
        auto parsed = ParsePosition(request.cursor());
        if (!parsed.ok()) return InvalidArgument({{"cursor", std::string(parsed.status().message())}});
        from = *parsed;
        break;
      }
      case v1::PullRequest::kSince: {
        if (request.since().seconds() < 0 || request.since().nanos() < 0 ||
            request.since().nanos() > 999999999) {
          return InvalidArgument({{"since", "not a valid timestamp"}});
        }
        CRVS_ASSIGN_OR_RETURN(
            from, PositionAt(c, absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(request.since()))));
        break;
      }
      default:
        from = state.acknowledged;
    }
    ReadOptions options;
    options.max_events = request.max_events() == 0 ? 200 : request.max_events();
    options.wanted = [&subscriber](const Event& e) { return subscriber.Wants(e); };
    CRVS_ASSIGN_OR_RETURN(page, ReadFeed(c, from, options));
    return absl::OkStatus();
  }));
  if (state.paused) {
    return absl::UnavailableError(absl::StrCat("the feed of ", subscriber.name, " is paused by ",
                                               state.paused_by, "; pull again later"));
  }

  v1::PullResponse response;
  std::vector<DeliveredEvent> delivered;
  delivered.reserve(page.events.size());
  for (const FeedEvent& fe : page.events) {
    v1::Event* out = response.add_events();
    out->set_id(FormatPosition(fe.position));
    out->set_type(fe.event.type);
    *out->mutable_committed_at() = TimeUtil::MicrosecondsToTimestamp(fe.committed_at_us);
    out->set_payload_json(Project(fe.event.payload, subscriber.fields).dump());
    delivered.push_back({out->id(), out->type(), out->payload_json()});
  }
  response.set_next_cursor(FormatPosition(page.scanned_to));
  response.set_end_of_feed(!page.more);
  if (from < page.scanned_to) {
    CRVS_RETURN_IF_ERROR(
        RecordDelivery(*deps_.store, subscriber, delivered, page.scanned_to, "pull", Now()));
  }
  return response;
}

absl::StatusOr<v1::AcknowledgeResponse> FeedService::AcknowledgeFor(
    const Subscriber& subscriber, const v1::AcknowledgeRequest& request) {
  auto parsed = ParsePosition(request.cursor());
  if (!parsed.ok()) return InvalidArgument({{"cursor", std::string(parsed.status().message())}});
  const Position cursor = *parsed;
  const absl::Time now = Now();
  Position acknowledged;
  CRVS_RETURN_IF_ERROR(deps_.store->Transact([&](store::sql::Connection& c) -> absl::Status {
    CRVS_RETURN_IF_ERROR(EnsureCursorRow(c, subscriber.name, absl::ToUnixMicros(now)));
    CRVS_ASSIGN_OR_RETURN(CursorState state, LoadCursor(c, subscriber.name));
    if (cursor < state.acknowledged) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cursor ", request.cursor(), " is before the acknowledged ",
          FormatPosition(state.acknowledged),
          ": acknowledgements only move forward; pull from the older cursor to replay"));
    }
    if (cursor.seq > state.delivered_seq) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cursor ", request.cursor(), " is beyond what was delivered to ", subscriber.name,
          " (up to transaction ", state.delivered_seq, ")"));
    }
    acknowledged = cursor;
    if (cursor == state.acknowledged) return absl::OkStatus();
    CRVS_RETURN_IF_ERROR(
        c.Execute("UPDATE feed_cursors SET acked_seq = $2, acked_ordinal = $3, acked_at_us = $4, "
                  "updated_at_us = $4 WHERE subscriber = $1",
                  {Value::Text(subscriber.name), Value::Int(cursor.seq), Value::Int(cursor.ordinal),
                   Value::Int(absl::ToUnixMicros(now))})
            .status());
    return store::AppendAudit(c,
                              {{Actor(subscriber), "feed.acknowledged", Subject(subscriber),
                                absl::StrCat("from=", FormatPosition(state.acknowledged),
                                             " to=", FormatPosition(cursor))}},
                              now);
  }));
  v1::AcknowledgeResponse response;
  response.set_acknowledged_cursor(FormatPosition(acknowledged));
  return response;
}

absl::StatusOr<v1::StatisticsTable> FeedService::GetStatisticsFor(
    const Subscriber& subscriber, const v1::GetStatisticsRequest& request) {
  if (!subscriber.delivery.count("statistics")) {
    return absl::PermissionDeniedError(
        absl::StrCat("agency:", subscriber.name, " does not receive the statistics feed"));
  }
  if (deps_.areas == nullptr) {
    return absl::FailedPreconditionError("feeds: no register of communes for statistics");
  }
  std::vector<FieldViolation> violations;
  statistics::MonthRequest month;
  if (request.kind() == "births") {
    month.kind = reconcile::indicators::EventKind::kBirth;
  } else if (request.kind() == "deaths") {
    month.kind = reconcile::indicators::EventKind::kDeath;
  } else {
    violations.push_back({"kind", "must be \"births\" or \"deaths\""});
  }
  if (!absl::ParseCivilTime(request.month(), &month.month) || request.month().size() != 7) {
    violations.push_back({"month", "must be YYYY-MM"});
  }
  if (deps_.areas->CommunesOf(request.province()).empty()) {
    violations.push_back({"province", absl::StrCat("\"", request.province(),
                                                   "\" is not a province of the register")});
  }
  if (!violations.empty()) return InvalidArgument(violations);
  month.province = request.province();
  month.threshold = deps_.small_cell_threshold;
  month.today = reconcile::VietnamDate(Now());
  CRVS_ASSIGN_OR_RETURN(statistics::SuppressedTable table,
                        statistics::AggregateMonth(*deps_.store, *deps_.areas, month));
  v1::StatisticsTable out;
  for (const statistics::Dimension& d : table.dimensions()) {
    v1::Dimension* dim = out.add_dimensions();
    dim->set_name(d.name());
    for (int n = 0; n < d.size(); ++n) {
      dim->add_labels(d.label(n));
      dim->add_parents(d.parent(n));
    }
  }
  for (const statistics::PublishedCell& c : table) {
    v1::Cell* cell = out.add_cells();
    for (int n : c.nodes) cell->add_nodes(n);
    cell->set_suppressed(c.suppressed());
    if (c.count) cell->set_count(*c.count);
  }
  out.set_threshold(deps_.small_cell_threshold);
  out.set_suppressed_primary(static_cast<int64_t>(table.primary_count()));
  out.set_suppressed_complementary(static_cast<int64_t>(table.complementary_count()));
  // What was shared with whom: the table's coordinates, never its counts' sources.
  CRVS_RETURN_IF_ERROR(deps_.store->Audit(
      {{Actor(subscriber), "feed.delivered", Subject(subscriber),
        absl::StrCat("via=statistics kind=", request.kind(), " province=", request.province(),
                     " month=", request.month(), " cells=", out.cells_size(),
                     " suppressed=", table.primary_count() + table.complementary_count())}}));
  return out;
}

grpc::Status FeedService::GetStatistics(grpc::ServerContext* context,
                                        const v1::GetStatisticsRequest* request,
                                        v1::StatisticsTable* response) {
  auto subscriber = Authorize(*context);
  if (!subscriber.ok()) return ToGrpcStatus(subscriber.status());
  auto result = GetStatisticsFor(**subscriber, *request);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

grpc::Status FeedService::Pull(grpc::ServerContext* context, const v1::PullRequest* request,
                               v1::PullResponse* response) {
  auto subscriber = Authorize(*context);
  if (!subscriber.ok()) return ToGrpcStatus(subscriber.status());
  auto result = PullFor(**subscriber, *request);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

grpc::Status FeedService::Acknowledge(grpc::ServerContext* context,
                                      const v1::AcknowledgeRequest* request,
                                      v1::AcknowledgeResponse* response) {
  auto subscriber = Authorize(*context);
  if (!subscriber.ok()) return ToGrpcStatus(subscriber.status());
  auto result = AcknowledgeFor(**subscriber, *request);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

}  // namespace crvs::feeds
