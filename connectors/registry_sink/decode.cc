#include "connectors/registry_sink/decode.h"

#include <algorithm>

#include "services/platform/text.h"
#include "services/records/records.h"
#include "services/validation/validators.h"

namespace crvs::sink {
namespace {

// Kafka keys are bytes: one that is not UTF-8 is kept escaped as the dead letter's business key
// (a string in every API), its bytes as they came in the dead letter's key.
std::string KeyText(const std::string& key) { return text::Printable(key); }

store::FailedMessage Failure(store::KafkaMessage message, const char* error_class,
                             std::string error_message) {
  store::FailedMessage f;
  // The Kafka key is the business key; it holds no personal data.
  f.business_key = KeyText(message.key);
  f.message = std::move(message);
  f.error_class = error_class;
  f.error_message = std::move(error_message);
  return f;
}

std::vector<FieldViolation> DomainViolations(const records::v1::RecordEnvelope& e,
                                             const validation::Context& ctx) {
  const bool key_only = e.action() == records::v1::ACTION_VOID;
  switch (e.record_case()) {
    case records::v1::RecordEnvelope::kBirthCertificate:
      return key_only ? validation::ValidateKeyOnly(e.birth_certificate(), "birth_certificate")
                      : validation::ValidateBirthCertificate(e.birth_certificate(), ctx,
                                                             "birth_certificate");
    case records::v1::RecordEnvelope::kDeathNotice:
      return key_only ? validation::ValidateKeyOnly(e.death_notice(), "death_notice")
                      : validation::ValidateDeathNotice(e.death_notice(), ctx, "death_notice");
    case records::v1::RecordEnvelope::kDivorceDecision:
      return key_only ? validation::ValidateKeyOnly(e.divorce_decision(), "divorce_decision")
                      : validation::ValidateDivorceDecision(e.divorce_decision(), ctx,
                                                            "divorce_decision");
    case records::v1::RecordEnvelope::kRegistration:
      return key_only ? validation::ValidateKeyOnly(e.registration(), "registration")
                      : validation::ValidateRegistration(e.registration(), ctx, "registration");
    case records::v1::RecordEnvelope::RECORD_NOT_SET:
      break;
  }
  return {{"record", "the envelope carries no record"}};
}

// Replaces a sealed value by its plaintext. std::nullopt when the message has become plaintext
// (or may stay so); otherwise the failure to dead-letter, the value kept sealed.
std::optional<store::FailedMessage> Unseal(store::KafkaMessage& message,
                                           const crypto::PayloadCipher& cipher,
                                           bool accept_unsealed) {
  if (!crypto::IsSealed(message.value)) {
    if (accept_unsealed) return std::nullopt;
    return Failure(std::move(message), kErrorDecode,
                   "value is not sealed (crvs producers seal record values; "
                   "crypto.accept_unsealed admits unsealed ones only while upgrading)");
  }
  auto opened = cipher.Open(message.value, message.key);
  if (!opened.ok()) {
    return Failure(std::move(message), kErrorDecrypt, std::string(opened.status().message()));
  }
  message.value = std::move(*opened);
  // The header described the sealed value; the database keeps the plaintext one.
  auto& headers = message.headers;
  headers.erase(std::remove_if(headers.begin(), headers.end(),
                               [](const store::KafkaHeader& h) {
                                 return h.key == crypto::kKeyIdHeader;
                               }),
                headers.end());
  return std::nullopt;
}

}  // namespace

Decoded Decode(store::KafkaMessage message, const validation::ReferenceData& reference,
               const crypto::PayloadCipher& cipher, bool accept_unsealed) {
  if (auto failed = Unseal(message, cipher, accept_unsealed)) return std::move(*failed);
  records::v1::RecordEnvelope envelope;
  if (!envelope.ParseFromString(message.value)) {
    return Failure(std::move(message), kErrorDecode,
                   "value is not a crvs.records.v1.RecordEnvelope (protobuf decode failed)");
  }
  // From here the envelope is readable: its source is told the outcome (by message id).
  auto Refuse = [&envelope](store::KafkaMessage m, const char* error_class, std::string text) {
    store::FailedMessage f = Failure(std::move(m), error_class, std::move(text));
    if (envelope.has_source()) f.source = records::FormatPrincipal(envelope.source());
    f.message_id = envelope.message_id();
    return f;
  };
  if (envelope.schema_version() != records::kSchemaVersion) {
    return Refuse(std::move(message), kErrorSchemaVersion,
                   "schema_version " + std::to_string(envelope.schema_version()) +
                       " is not known to this sink (knows " +
                       std::to_string(records::kSchemaVersion) + ")");
  }
  // The record's fields are checked below; the envelope's free text here (the database refuses
  // a NUL byte in text: one such reason stalled the sink on PostgreSQL).
  if (std::string why = text::Unacceptable(envelope.reason(), /*allow_newlines=*/true);
      !why.empty()) {
    return Refuse(std::move(message), kErrorValidation, "reason: must be text: " + why);
  }
  validation::Context ctx;
  ctx.reference = &reference;
  auto violations = DomainViolations(envelope, ctx);
  if (!violations.empty()) {
    std::string text;
    for (const auto& v : violations) text += (text.empty() ? "" : "; ") + v.field + ": " + v.description;
    return Refuse(std::move(message), kErrorValidation, text);
  }
  if (records::KeyOf(envelope).value != envelope.business_key()) {
    return Refuse(std::move(message), kErrorValidation,
                   "business_key '" + envelope.business_key() +
                       "' does not match the record's key '" + records::KeyOf(envelope).value +
                       "'");
  }
  store::InboundRecord record;
  record.message = std::move(message);
  record.envelope = std::move(envelope);
  return record;
}

}  // namespace crvs::sink
