// crvs.ingest.v1.HealthIngest over gRPC's callback API: no thread waits for Kafka; the delivery
// report finishes the call (unary) or writes the receipt (stream).
//
// Identity: auth::CallerFromContext (the client certificate under mutual TLS, the
// `crvs-principal` metadata in plaintext mode); a facility may only submit records carrying
// its own facility code (PERMISSION_DENIED otherwise, nothing produced). Every record takes a
// token of the caller's rate limit first (RateLimiter): a unary Submit over the limit fails
// with RESOURCE_EXHAUSTED / RATE_LIMITED; a stream record over it gets a FAILED receipt
// carrying that status (nothing produced, safe to re-send with the same message_id) and the
// stream goes on.
//
// Thread-safety: gRPC calls the methods concurrently; all state is in thread-safe members.
#pragma once

#include <absl/status/statusor.h>
#include <grpcpp/grpcpp.h>

#include "crvs/ingest/v1/health_ingest.grpc.pb.h"
#include "services/gateway/document_intake.h"
#include "services/gateway/gateway_metrics.h"
#include "services/gateway/ingest_pipeline.h"
#include "services/gateway/outcome_watcher.h"
#include "services/gateway/rate_limiter.h"
#include "services/gateway/receipt_book.h"
#include "services/gateway/resend_inbox.h"
#include "services/validation/reference_data.h"

namespace crvs::gateway {

class HealthIngestService final : public ingest::v1::HealthIngest::CallbackService {
 public:
  struct Deps {
    IngestPipeline* pipeline;
    ReceiptBook* book;
    ResendInbox* inbox;
    GatewayMetrics* metrics;
    const validation::ReferenceData* reference;
    int stream_max_in_flight;
    RateLimiter* limiter;
    OutcomeWatcher* outcomes;  // null: GetReceipt answers from the receipt book alone
    store::Store* database;    // null: PullOutcomes is FAILED_PRECONDITION
    DocumentIntakeConfig documents;
  };
  explicit HealthIngestService(Deps deps)
      : deps_(deps), documents_(deps_.documents, this, deps_.reference) {}

  grpc::ServerUnaryReactor* Submit(grpc::CallbackServerContext* context,
                                   const ingest::v1::IngestRequest* request,
                                   ingest::v1::Receipt* response) override;
  grpc::ServerUnaryReactor* SubmitDocument(grpc::CallbackServerContext* context,
                                           const ingest::v1::SubmitDocumentRequest* request,
                                           ingest::v1::SubmitDocumentResponse* response) override;
  grpc::ServerBidiReactor<ingest::v1::IngestRequest, ingest::v1::Receipt>* SubmitStream(
      grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* GetReceipt(grpc::CallbackServerContext* context,
                                       const ingest::v1::GetReceiptRequest* request,
                                       ingest::v1::Receipt* response) override;
  grpc::ServerUnaryReactor* PullOutcomes(grpc::CallbackServerContext* context,
                                         const ingest::v1::PullOutcomesRequest* request,
                                         ingest::v1::PullOutcomesResponse* response) override;
  grpc::ServerUnaryReactor* PullResendRequests(
      grpc::CallbackServerContext* context, const ingest::v1::PullResendRequestsRequest* request,
      ingest::v1::PullResendRequestsResponse* response) override;

  // Validates one request from `caller` and hands it to the pipeline; `done` gets the outcome.
  // `document`: the document the record was read from (SubmitDocument, the HTTPS door), kept
  // in the envelope; null for a native submission.
  void Process(const common::v1::Principal& caller, const ingest::v1::IngestRequest& request,
               IngestPipeline::Done done,
               const records::v1::SourceDocument* document = nullptr);

  const Deps& deps() const { return deps_; }
  // Hospital documents (SubmitDocument and the HTTPS door of document_door.h).
  DocumentIntake& documents() { return documents_; }

 private:
  Deps deps_;
  DocumentIntake documents_;
};

}  // namespace crvs::gateway
