#include "services/gateway/ingest_pipeline.h"

#include "services/store/record_rules.h"

#include <google/protobuf/util/time_util.h>

#include "services/platform/logging.h"
#include "services/platform/status.h"
#include "services/records/records.h"

namespace crvs::gateway {
namespace {

using google::protobuf::util::TimeUtil;
using ingest::v1::Receipt;

auto Log() {
  static auto log = logging::Get("gateway");
  return log;
}

}  // namespace

void SetOutcome(const store::MessageOutcome& outcome, const std::string& action,
                const std::string& content_hash, Receipt* receipt) {
  *receipt->mutable_committed_at() =
      TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(outcome.at));
  if (outcome.state == store::MessageOutcome::State::kCommitted &&
      (outcome.action != action || outcome.content_hash != content_hash)) {
    receipt->set_state(ingest::v1::RECEIPT_STATE_CONFLICT);
    receipt->mutable_error()->set_code(static_cast<int>(absl::StatusCode::kFailedPrecondition));
    receipt->mutable_error()->set_message(
        "message_id was already applied to " + outcome.business_key + " (" + outcome.action +
        ") with other content; a new submission needs a new message_id");
    return;
  }
  switch (outcome.state) {
    case store::MessageOutcome::State::kCommitted:
      receipt->set_state(ingest::v1::RECEIPT_STATE_COMMITTED);
      receipt->set_version(outcome.version);
      receipt->clear_error();
      return;
    case store::MessageOutcome::State::kConflict:
      receipt->set_state(ingest::v1::RECEIPT_STATE_CONFLICT);
      receipt->mutable_error()->set_code(static_cast<int>(absl::StatusCode::kFailedPrecondition));
      break;
    case store::MessageOutcome::State::kDeadLettered:
      receipt->set_state(ingest::v1::RECEIPT_STATE_DEAD_LETTERED);
      receipt->mutable_error()->set_code(static_cast<int>(absl::StatusCode::kInvalidArgument));
      break;
  }
  receipt->mutable_error()->set_message(outcome.error_class + ": " + outcome.error_message);
}

void IngestPipeline::Accept(records::v1::RecordEnvelope envelope, Done done) {
  records::CompleteEnvelope(&envelope, TimeUtil::GetCurrentTime());
  const records::v1::RecordKind kind = envelope.kind();

  const std::string principal = records::FormatPrincipal(envelope.source());
  const std::string message_id = envelope.message_id();
  // What makes two submissions "the same": action, reason and record content.
  const std::string fingerprint = std::to_string(envelope.action()) + '\0' + envelope.reason() +
                                  '\0' + envelope.content_hash();
  const std::string kind_label = records::KindLabel(kind);

  auto start = book_->Begin(principal, message_id, fingerprint,
                            [done, metrics = metrics_, kind_label](const auto& outcome) {
                              if (outcome.ok()) {
                                metrics->Record(kind_label,
                                                outcome->duplicate() ? "duplicate" : "accepted");
                              } else {
                                metrics->Record(kind_label, "failed");
                              }
                              done(outcome);
                            });
  switch (start) {
    case ReceiptBook::Start::kWaiting:
    case ReceiptBook::Start::kAnswered:
      return;
    case ReceiptBook::Start::kConflict:
      metrics_->Record(kind_label, "rejected");
      done(InvalidArgument({{"message_id",
                             "already used for a different submission; a new submission needs "
                             "a new message_id"}}));
      return;
    case ReceiptBook::Start::kProduce:
      break;
  }

  Receipt pending;
  pending.set_message_id(message_id);
  pending.set_business_key(envelope.business_key());
  pending.set_content_hash(envelope.content_hash());
  *pending.mutable_received_at() = envelope.received_at();
  const std::string action = store::rules::ActionName(envelope.action());


  kafka::OutgoingMessage message{kafka_->TopicFor(kind), envelope.business_key(),
                                 envelope.SerializeAsString(), records::HeadersOf(envelope)};
  const std::string content_hash = envelope.content_hash();
  absl::Status produced = producer_->Produce(
      std::move(message), [this, principal, message_id, pending, action,
                           content_hash](const kafka::Delivery& d) {
        if (!d.status.ok()) {
          metrics_->DeliveryError();
          Log()->warn("not delivered message_id={} source={} error={}", message_id, principal,
                      std::string(d.status.message()));
          book_->Finish(principal, message_id, d.status);
          return;
        }
        Receipt receipt = pending;
        receipt.set_state(ingest::v1::RECEIPT_STATE_ACCEPTED);
        receipt.set_topic(d.topic);
        // Delivered: Kafka named the partition and offset (kafka::Delivery).
        receipt.set_partition(d.partition->value());
        receipt.set_offset(d.offset->value());
        *receipt.mutable_accepted_at() = TimeUtil::GetCurrentTime();
        if (outcomes_ == nullptr || commit_wait_ <= absl::ZeroDuration()) {
          book_->Finish(principal, message_id, receipt);
          return;
        }
        // receipt_after = database: the source hears back once the record is in the database.
        outcomes_->Wait(principal, message_id, absl::Now() + commit_wait_,
                        [this, principal, message_id, receipt, action,
                         content_hash](const OutcomeWatcher::Outcome& outcome) {
                          if (!outcome.ok()) {
                            book_->Finish(principal, message_id, outcome.status());
                            return;
                          }
                          Receipt final_receipt = receipt;
                          SetOutcome(*outcome, action, content_hash, &final_receipt);
                          book_->Finish(principal, message_id, final_receipt);
                        });
      });
  if (!produced.ok()) book_->Finish(principal, message_id, produced);
}

}  // namespace crvs::gateway
