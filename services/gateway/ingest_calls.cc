#include "services/gateway/ingest_calls.h"

#include "services/gateway/ingest_pipeline.h"

#include <absl/strings/ascii.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>

#include "services/records/records.h"

namespace crvs::gateway {

absl::StatusOr<ingest::v1::Receipt> LookupReceipt(const ReceiptBook& book,
                                                  OutcomeWatcher* outcomes,
                                                  const common::v1::Principal& caller,
                                                  const ingest::v1::GetReceiptRequest& request) {
  if (request.message_id().empty()) return InvalidArgument({{"message_id", "is required"}});
  const std::string principal = records::FormatPrincipal(caller);
  auto receipt = book.Find(principal, request.message_id());
  const bool final_known = receipt && receipt->state() != ingest::v1::RECEIPT_STATE_ACCEPTED &&
                           receipt->state() != ingest::v1::RECEIPT_STATE_PENDING;
  if (outcomes != nullptr && !final_known) {
    // ACCEPTED is not the last word: what did the database make of it?
    auto known = outcomes->Find(principal, request.message_id());
    if (!known.ok()) {
      if (receipt) return *receipt;  // what the gateway knows; the database is down
      return known.status();
    }
    if (known->has_value()) {
      const store::MessageOutcome& o = **known;
      ingest::v1::Receipt from_database;
      if (receipt) {
        from_database = *receipt;
      } else {  // before a restart, or through another gateway
        from_database.set_message_id(request.message_id());
        from_database.set_business_key(o.business_key);
        from_database.set_content_hash(o.content_hash);
      }
      SetOutcome(o, o.action, receipt ? receipt->content_hash() : o.content_hash, &from_database);
      return from_database;
    }
  }
  if (!receipt) {
    return absl::NotFoundError("no submission with message_id " + request.message_id() +
                               " from this caller within the receipt retention" +
                               (outcomes != nullptr ? " or in the database" : ""));
  }
  return *receipt;
}

absl::StatusOr<ingest::v1::PullOutcomesResponse> PullOutcomes(
    store::Store* database, const common::v1::Principal& caller,
    const ingest::v1::PullOutcomesRequest& request) {
  if (database == nullptr) {
    return absl::FailedPreconditionError(
        "this gateway does not read the database: PullOutcomes needs gateway.receipt_after = "
        "database");
  }
  if (request.max_outcomes() < 0 || request.max_outcomes() > 1000) {
    return InvalidArgument({{"max_outcomes", "must be 0..1000"}});
  }
  // Cursor: "<micros>/<message id>" (message ids are [A-Za-z0-9._:-], no '/').
  int64_t after_us = 0;
  std::string after_id;
  if (!request.after().empty()) {
    const size_t slash = request.after().find('/');
    if (slash == std::string::npos ||
        !absl::SimpleAtoi(request.after().substr(0, slash), &after_us) || after_us < 0 ||
        request.after().size() - slash - 1 > 64) {
      return InvalidArgument({{"after", "is not a cursor PullOutcomes returned"}});
    }
    after_id = request.after().substr(slash + 1);
    for (char c : after_id) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' &&
          c != ':' && c != '-') {
        return InvalidArgument({{"after", "is not a cursor PullOutcomes returned"}});
      }
    }
  }
  const int limit = request.max_outcomes() == 0 ? 100 : request.max_outcomes();
  CRVS_ASSIGN_OR_RETURN(auto outcomes, database->ListOutcomes(records::FormatPrincipal(caller),
                                                              after_us, after_id, limit));
  ingest::v1::PullOutcomesResponse response;
  response.set_cursor(request.after());
  for (const auto& o : outcomes) {
    ingest::v1::Receipt* r = response.add_outcomes();
    r->set_message_id(o.message_id);
    r->set_business_key(o.business_key);
    r->set_content_hash(o.content_hash);
    SetOutcome(o, o.action, o.content_hash, r);
    response.set_cursor(absl::StrCat(absl::ToUnixMicros(o.at), "/", o.message_id));
  }
  return response;
}

absl::StatusOr<ingest::v1::PullResendRequestsResponse> PullResends(
    ResendInbox& inbox, const common::v1::Principal& caller,
    const ingest::v1::PullResendRequestsRequest& request) {
  if (request.max_requests() < 0 || request.max_requests() > 1000) {
    return InvalidArgument({{"max_requests", "must be 0..1000"}});
  }
  int max = request.max_requests() == 0 ? 100 : request.max_requests();
  std::vector<std::string> acks(request.acknowledged_request_ids().begin(),
                                request.acknowledged_request_ids().end());
  ingest::v1::PullResendRequestsResponse response;
  for (auto& r : inbox.Pull(records::FormatPrincipal(caller), max, acks)) {
    *response.add_requests() = std::move(r);
  }
  return response;
}

ingest::v1::Receipt ReceiptOrRefusal(const std::string& message_id,
                                     const absl::StatusOr<ingest::v1::Receipt>& outcome) {
  if (outcome.ok()) return *outcome;
  ingest::v1::Receipt r;
  r.set_message_id(message_id);
  const bool client_error = outcome.status().code() == absl::StatusCode::kInvalidArgument ||
                            outcome.status().code() == absl::StatusCode::kPermissionDenied;
  r.set_state(client_error ? ingest::v1::RECEIPT_STATE_REJECTED
                           : ingest::v1::RECEIPT_STATE_FAILED);
  *r.mutable_error() = ToRpcStatus(outcome.status());
  return r;
}

}  // namespace crvs::gateway
