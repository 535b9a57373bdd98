// crvs.ingest.v1.CourtIngest: court case-management systems push divorce decisions, one at a
// time (Submit) or as a resumable stream in the court's own order (StreamDecisions). The
// court's sequence travels as RecordEnvelope.source_sequence, so the database applies a
// decision's events by the court's order whatever order they arrive in.
//
// Identity: auth::CallerFromContext; only courts call, each for its own court_code. Every
// decision takes a token of the court's rate limit (RateLimiter): Submit over the limit fails
// with RESOURCE_EXHAUSTED / RATE_LIMITED; on StreamDecisions the stream ends like on a bad
// request, with that status and the last accepted sequence, once the decisions before it are
// settled; the court resumes from its resume point later.
//
// Thread-safety: gRPC calls the methods concurrently; all state is in thread-safe members.
#pragma once

#include <grpcpp/grpcpp.h>

#include "crvs/ingest/v1/court_ingest.grpc.pb.h"
#include "services/gateway/gateway_metrics.h"
#include "services/gateway/ingest_pipeline.h"
#include "services/gateway/outcome_watcher.h"
#include "services/gateway/rate_limiter.h"
#include "services/gateway/receipt_book.h"
#include "services/gateway/resend_inbox.h"
#include "services/gateway/resume_points.h"
#include "services/validation/reference_data.h"

namespace crvs::gateway {

class CourtIngestService final : public ingest::v1::CourtIngest::CallbackService {
 public:
  struct Deps {
    IngestPipeline* pipeline;
    ReceiptBook* book;
    ResendInbox* inbox;
    ResumePoints* resume_points;
    GatewayMetrics* metrics;
    const validation::ReferenceData* reference;
    int stream_max_in_flight;
    RateLimiter* limiter;
    OutcomeWatcher* outcomes;  // null: GetReceipt answers from the receipt book alone
    store::Store* database;    // null: PullOutcomes is FAILED_PRECONDITION
  };
  explicit CourtIngestService(Deps deps) : deps_(deps) {}

  grpc::ServerUnaryReactor* Submit(grpc::CallbackServerContext* context,
                                   const ingest::v1::CourtIngestRequest* request,
                                   ingest::v1::Receipt* response) override;
  grpc::ServerReadReactor<ingest::v1::CourtIngestRequest>* StreamDecisions(
      grpc::CallbackServerContext* context,
      ingest::v1::StreamDecisionsResponse* response) override;
  grpc::ServerUnaryReactor* GetResumePoint(grpc::CallbackServerContext* context,
                                           const ingest::v1::GetResumePointRequest* request,
                                           ingest::v1::ResumePoint* response) override;
  grpc::ServerUnaryReactor* GetReceipt(grpc::CallbackServerContext* context,
                                       const ingest::v1::GetReceiptRequest* request,
                                       ingest::v1::Receipt* response) override;
  grpc::ServerUnaryReactor* PullOutcomes(grpc::CallbackServerContext* context,
                                         const ingest::v1::PullOutcomesRequest* request,
                                         ingest::v1::PullOutcomesResponse* response) override;
  grpc::ServerUnaryReactor* PullResendRequests(
      grpc::CallbackServerContext* context, const ingest::v1::PullResendRequestsRequest* request,
      ingest::v1::PullResendRequestsResponse* response) override;

  // Takes a rate-limit token for `caller`, validates one request (a court, for its own
  // decisions) and builds its envelope; the error names every bad field.
  absl::StatusOr<records::v1::RecordEnvelope> Prepare(const common::v1::Principal& caller,
                                                      const ingest::v1::CourtIngestRequest& request);
  const Deps& deps() const { return deps_; }

 private:
  Deps deps_;
};

}  // namespace crvs::gateway
