// The calls HealthIngest and CourtIngest answer the same way: receipt lookup and re-send
// requests, plus finishing a unary callback with an absl result.
#pragma once

#include <absl/status/statusor.h>
#include <grpcpp/grpcpp.h>

#include "crvs/ingest/v1/receipt.pb.h"
#include "services/gateway/receipt_book.h"
#include "services/gateway/outcome_watcher.h"
#include "services/gateway/resend_inbox.h"
#include "services/platform/status.h"

namespace crvs::gateway {

// The receipt of an earlier submission: the receipt book's, upgraded to the database's final
// outcome (COMMITTED / CONFLICT / DEAD_LETTERED) when `outcomes` is set (may be null).
absl::StatusOr<ingest::v1::Receipt> LookupReceipt(const ReceiptBook& book,
                                                  OutcomeWatcher* outcomes,
                                                  const common::v1::Principal& caller,
                                                  const ingest::v1::GetReceiptRequest& request);

// The caller's outcomes after the request's cursor (a database-reading gateway only:
// FAILED_PRECONDITION when `database` is null).
absl::StatusOr<ingest::v1::PullOutcomesResponse> PullOutcomes(
    store::Store* database, const common::v1::Principal& caller,
    const ingest::v1::PullOutcomesRequest& request);

absl::StatusOr<ingest::v1::PullResendRequestsResponse> PullResends(
    ResendInbox& inbox, const common::v1::Principal& caller,
    const ingest::v1::PullResendRequestsRequest& request);

// A receipt for one record's outcome where a call answers many records (a stream, a document):
// an error becomes a REJECTED receipt (the request was wrong: INVALID_ARGUMENT,
// PERMISSION_DENIED) or a FAILED one (a retry may succeed) carrying the status.
ingest::v1::Receipt ReceiptOrRefusal(const std::string& message_id,
                                     const absl::StatusOr<ingest::v1::Receipt>& outcome);

// Copies `result` into *response when OK and finishes the call with its status.
template <class T>
void FinishUnary(grpc::ServerUnaryReactor* reactor, const absl::StatusOr<T>& result, T* response) {
  if (result.ok()) *response = *result;
  reactor->Finish(ToGrpcStatus(result.status()));
}

}  // namespace crvs::gateway
