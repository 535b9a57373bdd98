#include "connectors/registry_sink/decode.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/crypto/payload_cipher.h"
#include "services/records/records.h"
#include "tests/support/fixtures.h"

namespace crvs::sink {
namespace {

using ::testing::HasSubstr;

constexpr char kKey[] = "death/BV01002/GBT-2026-000045";

crypto::Keyring Ring(const std::string& id, char fill) {
  crypto::Keyring ring;
  EXPECT_TRUE(ring.Add(id, std::string(crypto::kKeyBytes, fill)).ok());
  EXPECT_TRUE(ring.SetActive(id).ok());
  return ring;
}

// The sink's cipher; producers seal with the same ring.
const crypto::PayloadCipher& Cipher() {
  static const crypto::PayloadCipher cipher(Ring("k1", 'a'));
  return cipher;
}

// A consumed message whose value is as it reached the broker (`value` not sealed here).
store::KafkaMessage Raw(const std::string& value) {
  store::KafkaMessage m;
  m.topic_partition = {store::Topic("crvs.death-notices.v1"), store::Partition(3)};
  m.offset = store::Offset(41);
  m.key = kKey;
  m.value = value;
  m.headers = {{"crvs-source", "facility:BV01002"}, {crypto::kKeyIdHeader, "k1"}};
  return m;
}

// A consumed message whose value a producer sealed.
store::KafkaMessage Message(const std::string& plaintext) {
  return Raw(*Cipher().Seal(plaintext, kKey));
}

Decoded Decode(store::KafkaMessage message, const validation::ReferenceData& reference) {
  return sink::Decode(std::move(message), reference, Cipher());
}

records::v1::RecordEnvelope Envelope() {
  records::v1::RecordEnvelope e;
  e.set_message_id("m-1");
  e.set_action(records::v1::ACTION_SUBMIT);
  e.set_schema_version(1);
  *e.mutable_death_notice() = testing::DeathNotice();
  e.set_business_key(records::KeyOf(e).value);
  e.set_kind(records::v1::RECORD_KIND_DEATH_NOTICE);
  e.set_content_hash(records::ContentHash(e.death_notice()));
  return e;
}

const store::FailedMessage& AsFailure(const Decoded& d) {
  static const store::FailedMessage none;
  auto* f = std::get_if<store::FailedMessage>(&d);
  EXPECT_NE(f, nullptr) << "expected a failure";
  return f ? *f : none;
}

TEST(Decode, ValidEnvelopeBecomesARecord) {
  Decoded d = Decode(Message(Envelope().SerializeAsString()), validation::ReferenceData::Default());
  auto* r = std::get_if<store::InboundRecord>(&d);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->envelope.message_id(), "m-1");
  EXPECT_EQ(r->message.offset.value(), 41);
  // The database keeps the opened envelope, and no header about the sealed value.
  EXPECT_EQ(r->message.value, Envelope().SerializeAsString());
  ASSERT_EQ(r->message.headers.size(), 1u);
  EXPECT_EQ(r->message.headers[0].key, "crvs-source");
}

TEST(Decode, UnsealedValueIsADecodeFailureUnlessAcceptedWhileUpgrading) {
  const std::string plaintext = Envelope().SerializeAsString();
  Decoded refused = sink::Decode(Raw(plaintext), validation::ReferenceData::Default(), Cipher());
  const auto& f = AsFailure(refused);
  EXPECT_EQ(f.error_class, "DECODE");
  EXPECT_THAT(f.error_message, HasSubstr("value is not sealed"));
  EXPECT_EQ(f.message.value, plaintext);
  Decoded d = sink::Decode(Raw(plaintext), validation::ReferenceData::Default(), Cipher(),
                           /*accept_unsealed=*/true);
  EXPECT_NE(std::get_if<store::InboundRecord>(&d), nullptr);
}

TEST(Decode, UnknownKeyIdIsADecryptFailureNamingItAndKeepingTheSealedBytes) {
  crypto::PayloadCipher old_producer(Ring("k2023", 'z'));
  const std::string sealed = *old_producer.Seal(Envelope().SerializeAsString(), kKey);
  Decoded d = Decode(Raw(sealed), validation::ReferenceData::Default());
  const auto& f = AsFailure(d);
  EXPECT_EQ(f.error_class, kErrorDecrypt);
  EXPECT_THAT(f.error_message, HasSubstr("unknown key id 'k2023'"));
  EXPECT_EQ(f.message.value, sealed);
  EXPECT_EQ(f.business_key, kKey);
  EXPECT_EQ(f.message.offset.value(), 41);
}

TEST(Decode, ValueMovedUnderAnotherKeyFailsAuthentication) {
  store::KafkaMessage m = Message(Envelope().SerializeAsString());
  m.key = "death/BV01002/GBT-2026-000046";
  Decoded d = Decode(std::move(m), validation::ReferenceData::Default());
  const auto& f = AsFailure(d);
  EXPECT_EQ(f.error_class, kErrorDecrypt);
  EXPECT_THAT(f.error_message, HasSubstr("authentication failed under key id 'k1'"));
}

TEST(Decode, GarbageIsADecodeFailureKeepingItsPlace) {
  Decoded d = Decode(Message("\xff\xff\xff not protobuf"), validation::ReferenceData::Default());
  const auto& f = AsFailure(d);
  EXPECT_EQ(f.error_class, "DECODE");
  EXPECT_EQ(f.message.offset.value(), 41);
  EXPECT_EQ(f.message.topic_partition.partition.value(), 3);
  EXPECT_EQ(f.business_key, "death/BV01002/GBT-2026-000045");
}

// Regression: a Kafka key that is not UTF-8 became the dead letter's business key, a proto
// string, and ListDeadLetters / GetDeadLetter failed with INTERNAL ("Exception deserializing
// response") for every page after it. The key's bytes stay in the dead letter's `key`.
TEST(Decode, AKeyThatIsNotTextIsKeptEscapedAsTheBusinessKey) {
  store::KafkaMessage m = Raw("\x01 not protobuf");
  m.key = std::string("death/\xff\0/1", 10);
  Decoded d = Decode(std::move(m), validation::ReferenceData::Default());
  const auto& f = AsFailure(d);
  EXPECT_EQ(f.business_key, "death/\\xff\\x00/1");
  EXPECT_EQ(f.message.key, std::string("death/\xff\0/1", 10));
}

// The source of a record the sink refuses hears why, by its message id.
TEST(Decode, ARefusedRecordNamesItsSourceAndMessageIdAndAControlCharacterInItsReason) {
  auto e = Envelope();
  e.set_action(records::v1::ACTION_AMEND);
  e.set_reason(std::string("typo\0fixed", 10));
  e.mutable_source()->set_kind(common::v1::PRINCIPAL_KIND_FACILITY);
  e.mutable_source()->set_code("BV01002");
  Decoded d = Decode(Message(e.SerializeAsString()), validation::ReferenceData::Default());
  const auto& f = AsFailure(d);
  EXPECT_EQ(f.error_class, "VALIDATION");
  EXPECT_EQ(f.error_message, "reason: must be text: control character U+0000 at byte 4");
  EXPECT_EQ(f.source, "facility:BV01002");
  EXPECT_EQ(f.message_id, e.message_id());
}

TEST(Decode, UnknownSchemaVersionIsItsOwnClass) {
  auto e = Envelope();
  e.set_schema_version(2);
  Decoded d = Decode(Message(e.SerializeAsString()), validation::ReferenceData::Default());
  const auto& f = AsFailure(d);
  EXPECT_EQ(f.error_class, "SCHEMA_VERSION");
  EXPECT_THAT(f.error_message, HasSubstr("schema_version 2"));
}

TEST(Decode, RecordFailingDomainRulesNamesTheField) {
  auto e = Envelope();
  e.mutable_death_notice()->mutable_cause_of_death()->mutable_chain(1)->set_icd10_code("bad");
  Decoded d = Decode(Message(e.SerializeAsString()), validation::ReferenceData::Default());
  const auto& f = AsFailure(d);
  EXPECT_EQ(f.error_class, "VALIDATION");
  EXPECT_THAT(f.error_message, HasSubstr("death_notice.cause_of_death.chain[1].icd10_code"));
  EXPECT_THAT(f.error_message, ::testing::Not(HasSubstr("001052003456")));  // no personal ID
}

TEST(Decode, BusinessKeyMustMatchTheRecord) {
  auto e = Envelope();
  e.set_business_key("death/BV01002/SOMETHING-ELSE");
  Decoded d = Decode(Message(e.SerializeAsString()), validation::ReferenceData::Default());
  const auto& f = AsFailure(d);
  EXPECT_EQ(f.error_class, "VALIDATION");
  EXPECT_THAT(f.error_message, HasSubstr("does not match"));
}

TEST(Decode, VoidNeedsOnlyTheKey) {
  records::v1::RecordEnvelope e = Envelope();
  e.set_action(records::v1::ACTION_VOID);
  e.set_reason("issued in error");
  auto key = e.death_notice().key();
  e.mutable_death_notice()->Clear();
  *e.mutable_death_notice()->mutable_key() = key;
  Decoded d = Decode(Message(e.SerializeAsString()), validation::ReferenceData::Default());
  EXPECT_NE(std::get_if<store::InboundRecord>(&d), nullptr);
}

}  // namespace
}  // namespace crvs::sink
