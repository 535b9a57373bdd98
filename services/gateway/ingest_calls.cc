#include "services/gateway/ingest_calls.h"

#include "services/records/records.h"

namespace crvs::gateway {

absl::StatusOr<ingest::v1::Receipt> LookupReceipt(const ReceiptBook& book,
                                                  const common::v1::Principal& caller,
                                                  const ingest::v1::GetReceiptRequest& request) {
  if (request.message_id().empty()) return InvalidArgument({{"message_id", "is required"}});
  auto receipt = book.Find(records::FormatPrincipal(caller), request.message_id());
  if (!receipt) {
    return absl::NotFoundError("no submission with message_id " + request.message_id() +
                               " from this caller within the receipt retention");
  }
  return *receipt;
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

}  // namespace crvs::gateway
