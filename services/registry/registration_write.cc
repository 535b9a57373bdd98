#include "services/registry/registration_write.h"

#include <openssl/sha.h>

#include <absl/strings/str_cat.h>

#include "services/platform/status.h"
#include "services/records/records.h"

namespace crvs::registry {

namespace rv1 = ::crvs::records::v1;

store::Offset ApiOffset(const common::v1::Principal& source, const std::string& message_id) {
  const std::string input = absl::StrCat(records::FormatPrincipal(source), "\n", message_id);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  uint64_t bits = 0;
  for (int i = 0; i < 8; ++i) bits = (bits << 8) | digest[i];
  return store::Offset(static_cast<int64_t>(bits >> 1));
}

store::InboundRecord ApiRecord(rv1::RecordEnvelope envelope) {
  store::KafkaMessage m;
  m.topic_partition = {store::Topic(kApiTopic), store::Partition(0)};
  m.offset = ApiOffset(envelope.source(), envelope.message_id());
  m.key = envelope.business_key();
  m.value = envelope.SerializeAsString();
  for (auto& [key, value] : records::HeadersOf(envelope)) {
    m.headers.push_back({std::move(key), std::move(value)});
  }
  return store::InboundRecord{std::move(m), std::move(envelope)};
}

absl::Status ConflictStatus(const rv1::RecordEnvelope& e,
                            const absl::StatusOr<registry::v1::RecordView>& current) {
  const std::string& key = e.business_key();
  const bool exists = current.ok();
  const bool voided = exists && current->state() == registry::v1::RECORD_STATE_VOIDED;
  bool holds_message = false;
  bool holds_content = false;
  if (exists) {
    const std::string source = records::FormatPrincipal(e.source());
    for (const auto& v : current->versions()) {
      holds_message = holds_message || (v.message_id() == e.message_id() &&
                                        records::FormatPrincipal(v.envelope().source()) == source);
      holds_content = holds_content || v.content_hash() == e.content_hash();
    }
  }

  bool message_reused = false;
  switch (e.action()) {
    case rv1::ACTION_VOID:
      message_reused = true;  // a VOID is refused only for its message id
      break;
    case rv1::ACTION_AMEND:
      message_reused = !voided;  // an AMEND of a key in force is refused only for its message id
      break;
    default:  // SUBMIT: of a new key, or with content the key holds, only its message id
      message_reused = !voided && (!exists || holds_message || holds_content);
      break;
  }
  if (voided && !message_reused) {
    return absl::FailedPreconditionError(
        absl::StrCat("registration ", key,
                     " is voided; a voided registration cannot be submitted or amended again"));
  }
  if (message_reused) {
    return InvalidArgument(
        {{"message_id",
          absl::StrCat("\"", e.message_id(),
                       "\" was already used by this office for a different submission; re-send "
                       "a submission unchanged, and give new content a new message_id")}});
  }
  return absl::AlreadyExistsError(absl::StrCat(
      "registration ", key, " is already recorded (version ", current->current_version(),
      ") with other content; send the change as ACTION_AMEND with its reason"));
}

}  // namespace crvs::registry
