// crvs.feeds.v1.FeedService: an agency pulls its own feed with an acknowledged cursor.
//
// Who: the caller's certificate names agency:<subscriber> (auth/caller.h); anyone else, an
// unknown subscriber or a revoked one gets PERMISSION_DENIED. What: the events its
// subscription names (Subscriber::Wants), each projected onto its fields (events.h, Project).
// When: a Pull hands out nothing before a synchronous commit of its own (the subscriber's
// delivered position, and the delivery's audit row) has returned, so nothing handed out can be
// lost by a database crash (feed_log.h, Durability). Every delivery and acknowledgement is an
// audit row: "feed.delivered" / "feed.acknowledged", actor agency:<name>, with positions, the
// number of events by type and a digest of what was sent — never the data itself.
//
// Thread-safety: gRPC calls it from many threads; the store serializes database work.
#pragma once

#include <absl/status/statusor.h>
#include <absl/time/time.h>
#include <grpcpp/grpcpp.h>

#include <functional>
#include <string>

#include "crvs/feeds/v1/feeds.grpc.pb.h"
#include "services/feeds/feed_log.h"
#include "services/feeds/subscribers.h"
#include "services/reconcile/indicators/areas.h"
#include "services/store/store.h"

namespace crvs::feeds {

// A subscriber's row of feed_cursors.
struct CursorState {
  Position acknowledged;
  absl::Time acknowledged_at = absl::InfinitePast();  // never, when InfinitePast
  int64_t delivered_seq = 0;
  absl::Time delivered_at = absl::InfinitePast();
  bool paused = false;
  std::string paused_by;
};

absl::StatusOr<CursorState> LoadCursor(store::sql::Connection& connection,
                                       const std::string& subscriber);

// Pauses or resumes a subscriber's feed (an operator's action, audited as feed.paused /
// feed.resumed). A paused feed answers Pull with UNAVAILABLE naming who paused it.
absl::Status SetPaused(store::Store& store, const std::string& subscriber, bool paused,
                       const std::string& by);

// One event as handed to a subscriber.
struct DeliveredEvent {
  std::string id;            // FormatPosition
  std::string type;
  std::string payload_json;  // projected onto the subscriber's fields
};

// Commits, synchronously, that everything up to `to` was handed to `subscriber` `via` ("pull",
// "kafka"): the delivered position, and when `events` is not empty an audit row feed.delivered
// (positions, counts by type, SHA-256 of ids and payloads; never the data). On PostgreSQL the
// commit flushes the WAL past every batch the events were read from, so call it BEFORE handing
// the events out.
absl::Status RecordDelivery(store::Store& store, const Subscriber& subscriber,
                            const std::vector<DeliveredEvent>& events, const Position& to,
                            std::string_view via, absl::Time now);

// Records that Kafka acknowledged (acks=all) every event up to `to` on the subscriber's topic:
// its acknowledged cursor, for lag and the console. The delivery's audit row is
// RecordDelivery's.
absl::Status RecordPublished(store::Store& store, const std::string& subscriber,
                             const Position& to);

// Records the last delivery failure of a subscriber's feed ("" clears it), for operators.
absl::Status RecordFeedError(store::Store& store, const std::string& subscriber,
                             const std::string& error);

// What operators see of a subscriber's feed (console, metrics).
struct FeedStatus {
  std::string name;
  std::string description;
  std::vector<std::string> events;    // subscribed types
  std::vector<std::string> delivery;  // "pull", "kafka"
  bool revoked = false;
  CursorState cursor;
  int64_t feed_end_seq = 0;       // the last transaction in the feed (LastFeedSeq)
  int64_t lag_transactions = 0;   // committed transactions after the acknowledged cursor
  std::string last_error;         // the last delivery failure ("" when none)
};

// Every configured subscriber's status, in name order.
absl::StatusOr<std::vector<FeedStatus>> ListFeedStatus(store::Store& store,
                                                       const Subscribers& subscribers);

class FeedService final : public v1::FeedService::Service {
 public:
  struct Deps {
    store::Store* store = nullptr;
    const Subscribers* subscribers = nullptr;
    std::function<absl::Time()> now;  // empty: absl::Now
    // The register of communes, for the statistics office's tables (GetStatistics).
    const reconcile::indicators::Areas* areas = nullptr;
    int64_t small_cell_threshold = 5;
  };
  explicit FeedService(Deps deps);

  grpc::Status Pull(grpc::ServerContext* context, const v1::PullRequest* request,
                    v1::PullResponse* response) override;
  grpc::Status Acknowledge(grpc::ServerContext* context, const v1::AcknowledgeRequest* request,
                           v1::AcknowledgeResponse* response) override;
  grpc::Status GetStatistics(grpc::ServerContext* context,
                             const v1::GetStatisticsRequest* request,
                             v1::StatisticsTable* response) override;

  // The same, for a caller already identified (tests, the console).
  absl::StatusOr<v1::PullResponse> PullFor(const Subscriber& subscriber,
                                           const v1::PullRequest& request);
  absl::StatusOr<v1::AcknowledgeResponse> AcknowledgeFor(const Subscriber& subscriber,
                                                         const v1::AcknowledgeRequest& request);
  absl::StatusOr<v1::StatisticsTable> GetStatisticsFor(const Subscriber& subscriber,
                                                       const v1::GetStatisticsRequest& request);

  // The subscriber a call comes from, or why it may not read.
  absl::StatusOr<const Subscriber*> Authorize(const grpc::ServerContextBase& context) const;

 private:
  absl::Time Now() const { return deps_.now ? deps_.now() : absl::Now(); }
  Deps deps_;
};

}  // namespace crvs::feeds
