// Semantics of the store, identical on every backend: the record rules, person status,
// dead letters, offsets committed atomically with the rows, idempotent re-application,
// migrations, lost ranges and listing. Assertions read the rows back (through the Store and
// with plain SQL on a second connection).
#include "services/store/store_semantics_test.h"

#include <absl/strings/escaping.h>

#include <gmock/gmock.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <vector>

#include "services/platform/status.h"
#include "services/store/record_rules.h"
#include "services/store/schema.h"
#include "services/store/sql.h"
#include "services/store/store.h"
#include "services/store/store_test_util.h"
#include "tests/support/fixtures.h"
#include "tests/support/status_matchers.h"

namespace crvs::store::testing {
namespace {

namespace fx = ::crvs::testing;
using ::crvs::testing::IsOk;
using ::crvs::testing::StatusIs;
using ::crvs::testing::ViolatedFields;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

constexpr char kBirths[] = "crvs.birth-certificates.v1";
constexpr char kDeaths[] = "crvs.death-notices.v1";
constexpr char kDivorces[] = "crvs.divorce-decisions.v1";
constexpr char kRegistrations[] = "crvs.registrations.v1";
const ConsumerGroup kGroup("registry-sink");

constexpr char kMotherId[] = "079194001234";
constexpr char kFatherId[] = "001090005678";
constexpr char kDeceasedId[] = "001052003456";

class StoreSemanticsTest : public StoreOnBackend {
 protected:
  // The next message on the topic of the envelope's kind (partition 0).
  InboundRecord Next(const v1::RecordEnvelope& e) {
    std::string topic = e.kind() == v1::RECORD_KIND_BIRTH_CERTIFICATE  ? kBirths
                        : e.kind() == v1::RECORD_KIND_DEATH_NOTICE     ? kDeaths
                        : e.kind() == v1::RECORD_KIND_DIVORCE_DECISION ? kDivorces
                                                                       : kRegistrations;
    return Inbound(e, topic, 0, next_offset_[topic]++);
  }

  FailedMessage NextFailure(const std::string& topic, const std::string& error_class) {
    FailedMessage f;
    f.message.topic_partition = {Topic(topic), Partition(0)};
    f.message.offset = Offset(next_offset_[topic]++);
    f.message.key = "birth/BV79001/UNREADABLE";
    f.message.value = std::string("\xff\x00garbage", 9);
    f.message.headers = {{"crvs-message-id", "m-bad"}, {"crvs-source", "facility:BV79001"}};
    f.error_class = error_class;
    f.error_message = "not a crvs.records.v1.RecordEnvelope";
    f.business_key = "birth/BV79001/UNREADABLE";
    f.attempts = 3;
    return f;
  }

  // A batch as the sink builds it: the next offset of every partition it read from.
  static ApplyBatch Batch(std::vector<InboundRecord> records,
                          std::vector<FailedMessage> failures = {}) {
    ApplyBatch b;
    b.group = kGroup;
    std::map<TopicPartition, int64_t> next;
    for (const auto& r : records) {
      int64_t& n = next[r.message.topic_partition];
      n = std::max(n, r.message.offset.value() + 1);
    }
    for (const auto& f : failures) {
      int64_t& n = next[f.message.topic_partition];
      n = std::max(n, f.message.offset.value() + 1);
    }
    for (const auto& [tp, offset] : next) b.offsets.push_back({tp, Offset(offset)});
    b.records = std::move(records);
    b.failures = std::move(failures);
    return b;
  }

  BatchResult MustApply(const ApplyBatch& batch) {
    auto result = store_->Apply(batch);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : BatchResult{};
  }

  static std::vector<ApplyOutcome> Outcomes(const BatchResult& result) {
    std::vector<ApplyOutcome> out;
    for (const auto& r : result.records) out.push_back(r.outcome);
    return out;
  }

  int64_t Count(const std::string& table, const std::string& where = "TRUE") {
    auto rows = raw_->Execute("SELECT count(*) FROM " + table + " WHERE " + where, {});
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() ? (*rows)[0][0].AsInt() : -1;
  }

  // Row counts of every table the apply logic writes.
  std::map<std::string, int64_t> TableCounts() {
    std::map<std::string, int64_t> out;
    for (const char* table :
         {"records", "record_versions", "birth_certificates", "death_notices", "divorce_decisions",
          "registrations", "persons", "unchanged_messages", "dead_letters",
          "consumed_offsets", "lost_offset_ranges"}) {
      out[table] = Count(table);
    }
    return out;
  }

  RecordRow Record(const v1::RecordEnvelope& e) {
    auto view = store_->GetRecord(BusinessKey(e.business_key()));
    EXPECT_TRUE(view.ok()) << view.status();
    return view.ok() ? *view : RecordRow();
  }

  PersonRow Person(const std::string& id) {
    auto status = store_->GetPersonStatus(id);
    EXPECT_TRUE(status.ok()) << status.status();
    return status.ok() ? *status : PersonRow();
  }

  std::map<int32_t, int64_t> Offsets(const std::string& topic,
                                     const ConsumerGroup& group = kGroup) {
    auto offsets = store_->LoadOffsets(group, Topic(topic));
    EXPECT_TRUE(offsets.ok()) << offsets.status();
    std::map<int32_t, int64_t> out;
    if (offsets.ok()) {
      for (const auto& [p, o] : *offsets) out[p.value()] = o.value();
    }
    return out;
  }

  std::vector<DeadLetterRow> DeadLetters(DeadLetterQuery query = {}) {
    query.include_payload = true;
    auto page = store_->ListDeadLetters(query);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? page->dead_letters : std::vector<DeadLetterRow>{};
  }

  std::map<std::string, int64_t> next_offset_;
};

std::string Date(const std::optional<common::LocalDate>& d) {
  return d ? rules::FormatDate(*d) : "(unset)";
}

// ---------------------------------------------------------------- migrations

TEST_P(StoreSemanticsTest, OpeningTwiceAppliesEachMigrationOnceAndKeepsTheData) {
  EXPECT_EQ(store_->schema_version(), LatestSchemaVersion());
  MustApply(Batch({Next(Envelope(fx::BirthCertificate(), v1::ACTION_SUBMIT, "m1"))}));
  auto again = Store::Open(db_->config());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)->schema_version(), LatestSchemaVersion());
  store_.reset();
  auto third = Store::Open(db_->config());
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(Count("schema_migrations"), LatestSchemaVersion());
  EXPECT_EQ(Count("records"), 1);
}

// ---------------------------------------------------------------- record rules

TEST_P(StoreSemanticsTest, SubmitStoresTheFirstVersionWithEveryField) {
  auto e = Envelope(fx::BirthCertificate(), v1::ACTION_SUBMIT, "m1");
  BatchResult result = MustApply(Batch({Next(e)}));
  ASSERT_THAT(Outcomes(result), ElementsAre(ApplyOutcome::kAppliedNew));
  EXPECT_EQ(result.records[0].version, 1);
  EXPECT_THAT(
      result.counts,
      ElementsAre(Pair(Pair(v1::RECORD_KIND_BIRTH_CERTIFICATE, ApplyOutcome::kAppliedNew), 1)));

  RecordRow view = Record(e);
  EXPECT_EQ(view.business_key, "birth/BV79001/GCS-2026-000123");
  EXPECT_EQ(view.kind, v1::RECORD_KIND_BIRTH_CERTIFICATE);
  EXPECT_EQ(view.state, RecordState::kActive);
  EXPECT_EQ(view.current_version, 1);
  ASSERT_EQ(view.versions.size(), 1u);
  const auto& v = view.versions[0];
  EXPECT_EQ(v.version, 1);
  EXPECT_EQ(v.action, v1::ACTION_SUBMIT);
  EXPECT_EQ(v.content_hash, e.content_hash());
  EXPECT_EQ(v.message_id, "m1");
  EXPECT_EQ(absl::ToUnixSeconds(v.committed_at), absl::ToUnixSeconds(result.committed_at));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(v.envelope, e));

  EXPECT_EQ(Count("record_versions",
                  "kafka_topic = 'crvs.birth-certificates.v1' AND kafka_partition = 0 AND "
                  "kafka_offset = 0 AND source = 'facility:BV79001'"),
            1);
  EXPECT_EQ(Count("birth_certificates",
                  "mother_personal_id = '079194001234' AND born_on = '2026-10-20' AND "
                  "birth_commune_code = '26734' AND in_facility = 1"),
            1);
  EXPECT_EQ(Count("applied_messages", "source = 'facility:BV79001' AND message_id = 'm1'"), 1);
  EXPECT_EQ(Person(kMotherId).vital_status, VitalStatus::kAlive);
  EXPECT_EQ(Person(kFatherId).marital_status, MaritalStatus::kUnknown);
  EXPECT_THAT(Offsets(kBirths), ElementsAre(Pair(0, 1)));
}

TEST_P(StoreSemanticsTest, ResendingTheSameContentIsADuplicate) {
  auto e = Envelope(fx::BirthCertificate(), v1::ACTION_SUBMIT, "m1");
  MustApply(Batch({Next(e)}));
  auto same_message = Next(e);
  auto new_message_same_content = Next(Envelope(fx::BirthCertificate(), v1::ACTION_SUBMIT, "m2"));
  BatchResult result = MustApply(Batch({same_message, new_message_same_content}));
  EXPECT_THAT(Outcomes(result), ElementsAre(ApplyOutcome::kDuplicate, ApplyOutcome::kDuplicate));
  EXPECT_EQ(result.records[1].version, 1);
  EXPECT_EQ(Count("record_versions"), 1);
  EXPECT_EQ(Count("dead_letters"), 0);
  EXPECT_THAT(Offsets(kBirths), ElementsAre(Pair(0, 3)));
}

TEST_P(StoreSemanticsTest, SecondSubmitWithOtherContentIsHeldAsAConflict) {
  auto original = Envelope(fx::BirthCertificate(), v1::ACTION_SUBMIT, "m1");
  MustApply(Batch({Next(original)}));
  auto changed = fx::BirthCertificate();
  changed.mutable_child()->set_weight_grams(3300);
  auto resubmit = Next(Envelope(changed, v1::ACTION_SUBMIT, "m2"));
  BatchResult result = MustApply(Batch({resubmit}));

  ASSERT_THAT(Outcomes(result), ElementsAre(ApplyOutcome::kConflict));
  EXPECT_EQ(result.records[0].version, 1);
  EXPECT_EQ(result.records[0].error_class, "CONFLICT");
  EXPECT_THAT(result.records[0].error_message, HasSubstr("AMEND"));

  RecordRow view = Record(original);
  ASSERT_EQ(view.versions.size(), 1u);
  EXPECT_EQ(view.versions[0].content_hash, original.content_hash());
  EXPECT_EQ(view.versions[0].envelope.birth_certificate().child().weight_grams(), 3200);

  auto letters = DeadLetters();
  ASSERT_EQ(letters.size(), 1u);
  const DeadLetterRow& d = letters[0];
  EXPECT_GT(d.id, 0);
  EXPECT_EQ(d.error_class, "CONFLICT");
  EXPECT_EQ(d.error_message, result.records[0].error_message);
  EXPECT_EQ(d.original.topic.value(), kBirths);
  EXPECT_EQ(d.original.partition.value(), 0);
  EXPECT_EQ(d.offset.value(), 1);
  EXPECT_EQ(d.key, original.business_key());
  EXPECT_EQ(d.payload, resubmit.message.value);
  EXPECT_EQ(d.business_key, original.business_key());
  ASSERT_EQ(d.headers.size(), 2u);
  EXPECT_EQ(d.headers[1].key, "crvs-message-id");
  EXPECT_EQ(d.headers[1].value, "m2");
  EXPECT_EQ(d.state, DeadLetterState::kOpen);
  EXPECT_EQ(d.attempts, 1);
  EXPECT_THAT(Offsets(kBirths), ElementsAre(Pair(0, 2)));  // the conflict is consumed
}

TEST_P(StoreSemanticsTest, MessageIdReusedForOtherContentIsAConflict) {
  MustApply(Batch({Next(Envelope(fx::BirthCertificate("GCS-1"), v1::ACTION_SUBMIT, "m1"))}));
  auto reuse = Envelope(fx::BirthCertificate("GCS-2"), v1::ACTION_SUBMIT, "m1");
  BatchResult result = MustApply(Batch({Next(reuse)}));
  ASSERT_THAT(Outcomes(result), ElementsAre(ApplyOutcome::kConflict));
  EXPECT_THAT(result.records[0].error_message, HasSubstr("message_id \"m1\""));
  EXPECT_THAT(store_->GetRecord(BusinessKey(reuse.business_key())),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Count("dead_letters", "error_class = 'CONFLICT'"), 1);
}

TEST_P(StoreSemanticsTest, AmendAddsAVersionAndKeepsTheOldOne) {
  auto submit = Envelope(fx::BirthCertificate(), v1::ACTION_SUBMIT, "m1");
  MustApply(Batch({Next(submit)}));
  auto corrected = fx::BirthCertificate();
  corrected.mutable_place_of_birth()->set_commune_code("26737");
  auto amend = Envelope(corrected, v1::ACTION_AMEND, "m2", "commune code corrected");
  BatchResult result = MustApply(Batch({Next(amend)}));
  ASSERT_THAT(Outcomes(result), ElementsAre(ApplyOutcome::kAppliedVersion));
  EXPECT_EQ(result.records[0].version, 2);

  RecordRow view = Record(submit);
  EXPECT_EQ(view.current_version, 2);
  EXPECT_EQ(view.state, RecordState::kActive);
  ASSERT_EQ(view.versions.size(), 2u);
  EXPECT_EQ(view.versions[0].action, v1::ACTION_SUBMIT);
  EXPECT_EQ(view.versions[0].content_hash, submit.content_hash());
  EXPECT_EQ(view.versions[1].action, v1::ACTION_AMEND);
  EXPECT_EQ(view.versions[1].reason, "commune code corrected");
  EXPECT_EQ(view.versions[1].content_hash, amend.content_hash());
  EXPECT_EQ(Count("birth_certificates", "birth_commune_code = '26737'"), 1);

  // The same correction again, under a new message id: nothing new to apply.
  BatchResult again = MustApply(Batch({Next(Envelope(corrected, v1::ACTION_AMEND, "m3"))}));
  EXPECT_THAT(Outcomes(again), ElementsAre(ApplyOutcome::kDuplicate));
  EXPECT_EQ(again.records[0].version, 2);
  EXPECT_EQ(Count("record_versions"), 2);
}

TEST_P(StoreSemanticsTest, AmendOfAnUnknownKeyCreatesTheRecord) {
  auto amend = Envelope(fx::DeathNotice(), v1::ACTION_AMEND, "m1", "cause corrected");
  BatchResult result = MustApply(Batch({Next(amend)}));
  ASSERT_THAT(Outcomes(result), ElementsAre(ApplyOutcome::kAppliedNew));
  RecordRow view = Record(amend);
  ASSERT_EQ(view.versions.size(), 1u);
  EXPECT_EQ(view.versions[0].action, v1::ACTION_AMEND);
  EXPECT_EQ(Person(kDeceasedId).vital_status, VitalStatus::kDeceased);
}

TEST_P(StoreSemanticsTest, AVoidedRecordStaysVoided) {
  auto submit = Envelope(fx::BirthCertificate(), v1::ACTION_SUBMIT, "m1");
  MustApply(Batch({Next(submit)}));
  BatchResult voided = MustApply(
      Batch({Next(Envelope(fx::BirthCertificate(), v1::ACTION_VOID, "m2", "issued in error"))}));
  ASSERT_THAT(Outcomes(voided), ElementsAre(ApplyOutcome::kVoided));
  EXPECT_EQ(voided.records[0].version, 2);
  RecordRow view = Record(submit);
  EXPECT_EQ(view.state, RecordState::kVoided);
  EXPECT_THAT(view.state_detail, HasSubstr("issued in error"));
  ASSERT_EQ(view.versions.size(), 2u);
  EXPECT_EQ(view.versions[1].action, v1::ACTION_VOID);
  EXPECT_EQ(view.versions[1].reason, "issued in error");

  auto corrected = fx::BirthCertificate();
  corrected.mutable_child()->set_weight_grams(3100);
  BatchResult later = MustApply(Batch({
      Next(Envelope(fx::BirthCertificate(), v1::ACTION_SUBMIT, "m3")),
      Next(Envelope(corrected, v1::ACTION_AMEND, "m4", "weight")),
      Next(Envelope(fx::BirthCertificate(), v1::ACTION_VOID, "m5", "again")),
  }));
  EXPECT_THAT(Outcomes(later), ElementsAre(ApplyOutcome::kConflict, ApplyOutcome::kConflict,
                                           ApplyOutcome::kDuplicate));
  EXPECT_THAT(later.records[0].error_message, HasSubstr("voided"));
  EXPECT_EQ(Count("dead_letters", "error_class = 'CONFLICT'"), 2);
  EXPECT_EQ(Count("record_versions"), 2);
  // A voided record counts nowhere: the parents it named are no longer known from it.
  EXPECT_EQ(Person(kMotherId).vital_status, VitalStatus::kUnknown);
}

TEST_P(StoreSemanticsTest, VoidOfAnUnknownKeyCreatesItVoided) {
  auto void_first = Envelope(fx::DeathNotice(), v1::ACTION_VOID, "m1", "sent by mistake");
  BatchResult result = MustApply(Batch({Next(void_first)}));
  ASSERT_THAT(Outcomes(result), ElementsAre(ApplyOutcome::kVoided));
  EXPECT_EQ(Record(void_first).state, RecordState::kVoided);
  BatchResult late_submit =
      MustApply(Batch({Next(Envelope(fx::DeathNotice(), v1::ACTION_SUBMIT, "m2"))}));
  EXPECT_THAT(Outcomes(late_submit), ElementsAre(ApplyOutcome::kConflict));
  EXPECT_EQ(Person(kDeceasedId).vital_status, VitalStatus::kUnknown);
}

TEST_P(StoreSemanticsTest, SeveralVersionsOfOneKeyInOneBatchApplyInOrder) {
  auto changed = fx::BirthCertificate();
  changed.mutable_child()->set_weight_grams(3300);
  BatchResult result = MustApply(Batch({
      Next(Envelope(fx::BirthCertificate(), v1::ACTION_SUBMIT, "m1")),
      Next(Envelope(changed, v1::ACTION_AMEND, "m2", "weight")),
      Next(Envelope(fx::BirthCertificate(), v1::ACTION_VOID, "m3", "error")),
      Next(Envelope(fx::BirthCertificate(), v1::ACTION_SUBMIT, "m4")),
      Next(Envelope(fx::DeathNotice(), v1::ACTION_SUBMIT, "m5")),
  }));
  EXPECT_THAT(Outcomes(result), ElementsAre(ApplyOutcome::kAppliedNew,
                                            ApplyOutcome::kAppliedVersion, ApplyOutcome::kVoided,
                                            ApplyOutcome::kConflict, ApplyOutcome::kAppliedNew));
  std::vector<int32_t> versions;
  for (const auto& r : result.records) versions.push_back(r.version);
  EXPECT_THAT(versions, ElementsAre(1, 2, 3, 3, 1));
  using K = std::pair<v1::RecordKind, ApplyOutcome>;
  EXPECT_THAT(result.counts,
              UnorderedElementsAre(
                  Pair(K{v1::RECORD_KIND_BIRTH_CERTIFICATE, ApplyOutcome::kAppliedNew}, 1),
                  Pair(K{v1::RECORD_KIND_BIRTH_CERTIFICATE, ApplyOutcome::kAppliedVersion}, 1),
                  Pair(K{v1::RECORD_KIND_BIRTH_CERTIFICATE, ApplyOutcome::kVoided}, 1),
                  Pair(K{v1::RECORD_KIND_BIRTH_CERTIFICATE, ApplyOutcome::kConflict}, 1),
                  Pair(K{v1::RECORD_KIND_DEATH_NOTICE, ApplyOutcome::kAppliedNew}, 1)));
  EXPECT_EQ(Count("record_versions"), 4);
  EXPECT_EQ(Count("records", "state = 'VOIDED' AND current_version = 3"), 1);
  EXPECT_EQ(Person(kMotherId).vital_status, VitalStatus::kUnknown);
  EXPECT_EQ(Person(kDeceasedId).vital_status, VitalStatus::kDeceased);
}

TEST_P(StoreSemanticsTest, AnUnusableEnvelopeIsDeadLetteredAsValidation) {
  auto wrong_key = Envelope(fx::BirthCertificate(), v1::ACTION_SUBMIT, "m1");
  wrong_key.set_business_key("birth/BV79001/SOMETHING-ELSE");
  auto no_reason = Envelope(fx::DeathNotice(), v1::ACTION_AMEND, "m2");
  no_reason.clear_reason();
  BatchResult result = MustApply(Batch({Next(wrong_key), Next(no_reason)}));
  EXPECT_THAT(Outcomes(result), ElementsAre(ApplyOutcome::kInvalid, ApplyOutcome::kInvalid));
  EXPECT_EQ(result.records[0].error_class, "VALIDATION");
  EXPECT_THAT(result.records[0].error_message, HasSubstr("business_key"));
  EXPECT_THAT(result.records[1].error_message, HasSubstr("reason"));
  EXPECT_EQ(Count("dead_letters", "error_class = 'VALIDATION' AND state = 'OPEN'"), 2);
  EXPECT_EQ(Count("records"), 0);
  EXPECT_THAT(Offsets(kDeaths), ElementsAre(Pair(0, 1)));
}

// ---------------------------------------------------------------- persons

TEST_P(StoreSemanticsTest, ADeathNoticeMakesTheDeceasedDeceasedUntilItIsVoided) {
  auto notice = Envelope(fx::DeathNotice(), v1::ACTION_SUBMIT, "m1");
  MustApply(Batch({Next(notice)}));
  PersonRow p = Person(kDeceasedId);
  EXPECT_EQ(p.personal_id, kDeceasedId);
  EXPECT_EQ(p.vital_status, VitalStatus::kDeceased);
  EXPECT_EQ(Date(p.date_of_death), "2026-10-25");
  EXPECT_EQ(p.marital_status, MaritalStatus::kUnknown);
  EXPECT_THAT(p.evidence_keys, ElementsAre(notice.business_key()));
  EXPECT_EQ(Count("death_notices",
                  "deceased_personal_id = '001052003456' AND died_on = '2026-10-25' AND "
                  "underlying_icd10 = 'I21.9'"),
            1);

  MustApply(Batch({Next(Envelope(fx::DeathNotice(), v1::ACTION_VOID, "m2", "wrong patient"))}));
  p = Person(kDeceasedId);
  EXPECT_EQ(p.vital_status, VitalStatus::kUnknown);
  EXPECT_FALSE(p.date_of_death.has_value());
  EXPECT_THAT(p.evidence_keys, IsEmpty());
}

// An AMEND naming another person moves the facts: the first person is no longer deceased by
// this record, the second is. An AMEND that changes nothing about any person rewrites no person.
TEST_P(StoreSemanticsTest, AnAmendToAnotherPersonMovesTheFactsAndOneThatKeepsThemWritesNoPerson) {
  auto notice = Envelope(fx::DeathNotice(), v1::ACTION_SUBMIT, "m1");
  MustApply(Batch({Next(notice)}));
  ASSERT_EQ(Person(kDeceasedId).vital_status, VitalStatus::kDeceased);

  auto other = fx::DeathNotice();
  other.mutable_deceased()->mutable_personal_id()->set_number("001090009999");
  MustApply(Batch({Next(Envelope(other, v1::ACTION_AMEND, "m2", "wrong patient's ID"))}));
  PersonRow was = Person(kDeceasedId);
  EXPECT_EQ(was.vital_status, VitalStatus::kUnknown);
  EXPECT_THAT(was.evidence_keys, IsEmpty());
  PersonRow now = Person("001090009999");
  EXPECT_EQ(now.vital_status, VitalStatus::kDeceased);
  EXPECT_THAT(now.evidence_keys, ElementsAre(notice.business_key()));

  auto updated = [&]() {
    auto rows =
        raw_->Execute("SELECT updated_at_us FROM persons WHERE personal_id = '001090009999'", {});
    return rows.ok() && !rows->empty() ? (*rows)[0][0].AsInt() : int64_t{-1};
  };
  const int64_t before = updated();
  auto manner = other;
  manner.set_manner_of_death(v1::MANNER_OF_DEATH_ACCIDENT);
  MustApply(Batch({Next(Envelope(manner, v1::ACTION_AMEND, "m3", "manner corrected"))}));
  EXPECT_EQ(updated(), before);
  EXPECT_EQ(Person("001090009999").vital_status, VitalStatus::kDeceased);
}

TEST_P(StoreSemanticsTest, ADeathRegistrationDatesTheDeath) {
  auto notice = Envelope(fx::DeathNotice(), v1::ACTION_SUBMIT, "m1");
  auto registration =
      Envelope(DeathRegistration("12", fx::Date(2026, 10, 24)), v1::ACTION_SUBMIT, "r1");
  MustApply(Batch({Next(notice), Next(registration)}));
  PersonRow p = Person(kDeceasedId);
  EXPECT_EQ(p.vital_status, VitalStatus::kDeceased);
  EXPECT_EQ(Date(p.date_of_death), "2026-10-24");
  EXPECT_THAT(p.evidence_keys, ElementsAre(registration.business_key(), notice.business_key()));
  EXPECT_EQ(Count("registrations",
                  "registration_kind = 'DEATH' AND linked_key = 'death/BV01002/GBT-2026-000045' "
                  "AND event_date = '2026-10-24' AND subject_personal_id = '001052003456'"),
            1);
}

TEST_P(StoreSemanticsTest, AnEffectiveDivorceMakesBothSpousesDivorced) {
  auto decision = Envelope(fx::DivorceDecision(), v1::ACTION_SUBMIT, "d1");
  MustApply(Batch({Next(decision)}));
  EXPECT_EQ(Record(decision).state, RecordState::kEffective);
  for (const char* id : {kFatherId, kMotherId}) {
    PersonRow p = Person(id);
    EXPECT_EQ(p.vital_status, VitalStatus::kAlive) << id;
    EXPECT_EQ(p.marital_status, MaritalStatus::kDivorced) << id;
    EXPECT_EQ(Date(p.marital_since), "2026-09-15") << id;
    EXPECT_THAT(p.evidence_keys, ElementsAre(decision.business_key())) << id;
  }
  EXPECT_EQ(Count("divorce_decisions",
                  "decision_kind = 'CONSENSUAL_RECOGNITION' AND legal_effect_date = "
                  "'2026-09-15' AND spouse_a_personal_id = '001090005678'"),
            1);
}

TEST_P(StoreSemanticsTest, AnAnnulmentMakesBothSpousesAnnulled) {
  auto annulment = fx::DivorceDecision("07/2026/QĐ-HNGĐ");
  annulment.set_kind(v1::DECISION_KIND_ANNULMENT);
  MustApply(Batch({Next(Envelope(annulment, v1::ACTION_SUBMIT, "d1"))}));
  EXPECT_EQ(Person(kFatherId).marital_status, MaritalStatus::kAnnulled);
  EXPECT_EQ(Person(kMotherId).marital_status, MaritalStatus::kAnnulled);
}

TEST_P(StoreSemanticsTest, APendingDivorceChangesNoMaritalStatusUntilItTakesEffect) {
  auto pending = fx::DivorceDecision();
  pending.clear_legal_effect_date();
  auto submit = Envelope(pending, v1::ACTION_SUBMIT, "d1");
  MustApply(Batch({Next(submit)}));
  EXPECT_EQ(Record(submit).state, RecordState::kPendingEffect);
  EXPECT_EQ(Count("divorce_decisions", "legal_effect_date IS NULL"), 1);
  PersonRow p = Person(kMotherId);
  EXPECT_EQ(p.vital_status, VitalStatus::kAlive);
  EXPECT_EQ(p.marital_status, MaritalStatus::kUnknown);
  EXPECT_FALSE(p.marital_since.has_value());

  auto effective = pending;
  *effective.mutable_legal_effect_date() = fx::Date(2026, 10, 1);
  MustApply(Batch({Next(Envelope(effective, v1::ACTION_AMEND, "d2", "took legal effect"))}));
  EXPECT_EQ(Record(submit).state, RecordState::kEffective);
  p = Person(kMotherId);
  EXPECT_EQ(p.marital_status, MaritalStatus::kDivorced);
  EXPECT_EQ(Date(p.marital_since), "2026-10-01");
}

TEST_P(StoreSemanticsTest, ASetAsideRevertsTheSpousesToMarriedAndKeepsTheHistory) {
  auto decision = Envelope(fx::DivorceDecision(), v1::ACTION_SUBMIT, "d1");
  MustApply(Batch({Next(decision)}));
  auto set_aside = fx::DivorceDecision();
  *set_aside.mutable_set_aside()->mutable_set_aside_on() = fx::Date(2026, 10, 30);
  set_aside.mutable_set_aside()->set_by_decision_no("05/2026/GĐT-DS");
  MustApply(Batch({Next(Envelope(set_aside, v1::ACTION_AMEND, "d2", "set aside on review"))}));

  RecordRow view = Record(decision);
  EXPECT_EQ(view.state, RecordState::kSetAside);
  EXPECT_EQ(view.state_detail, "set aside on 2026-10-30 by 05/2026/GĐT-DS");
  ASSERT_EQ(view.versions.size(), 2u);
  EXPECT_FALSE(view.versions[0].envelope.divorce_decision().has_set_aside());
  EXPECT_TRUE(view.versions[1].envelope.divorce_decision().has_set_aside());
  for (const char* id : {kFatherId, kMotherId}) {
    PersonRow p = Person(id);
    EXPECT_EQ(p.marital_status, MaritalStatus::kMarried) << id;
    EXPECT_EQ(Date(p.marital_since), "2026-10-30") << id;
  }
  EXPECT_EQ(
      Count("divorce_decisions", "set_aside_on = '2026-10-30' AND set_aside_by = '05/2026/GĐT-DS'"),
      1);
}

TEST_P(StoreSemanticsTest, OutOfOrderChangeEventsConvergeByTheSourcesOwnPosition) {
  // A court's change stream: the update that made the decision effective (position 20)
  // arrives before its creation (position 10), and a snapshot row read earlier (position 5)
  // arrives last. The newest position wins whatever the arrival order.
  auto pending = fx::DivorceDecision();
  pending.clear_legal_effect_date();
  auto effective = fx::DivorceDecision();
  auto created = Envelope(pending, v1::ACTION_AMEND, "cdc-10", "court change stream: op=c");
  created.set_source_sequence(10);
  auto updated = Envelope(effective, v1::ACTION_AMEND, "cdc-20", "court change stream: op=u");
  updated.set_source_sequence(20);
  auto snapshot = Envelope(pending, v1::ACTION_AMEND, "cdc-5", "court change stream: op=r");
  snapshot.set_source_sequence(5);

  auto first = MustApply(Batch({Next(updated)}));
  EXPECT_THAT(Outcomes(first), ElementsAre(ApplyOutcome::kAppliedNew));
  auto late = MustApply(Batch({Next(created), Next(snapshot)}));
  EXPECT_THAT(Outcomes(late), ElementsAre(ApplyOutcome::kStale, ApplyOutcome::kStale));

  RecordRow view = Record(updated);
  EXPECT_EQ(view.state, RecordState::kEffective);
  EXPECT_EQ(view.versions.size(), 1u);
  EXPECT_EQ(Person(kMotherId).marital_status, MaritalStatus::kDivorced);
  EXPECT_EQ(Count("dead_letters", "1 = 1"), 0) << "stale events are not errors";

  // A newer event still applies; and a delete at an older position than it does not.
  auto set_aside = effective;
  *set_aside.mutable_set_aside()->mutable_set_aside_on() = fx::Date(2026, 11, 2);
  auto newer = Envelope(set_aside, v1::ACTION_AMEND, "cdc-30", "court change stream: op=u");
  newer.set_source_sequence(30);
  auto old_delete = Envelope(effective, v1::ACTION_VOID, "cdc-25", "court change stream: op=d");
  old_delete.set_source_sequence(25);
  auto last = MustApply(Batch({Next(newer), Next(old_delete)}));
  EXPECT_THAT(Outcomes(last), ElementsAre(ApplyOutcome::kAppliedVersion, ApplyOutcome::kStale));
  EXPECT_EQ(Record(updated).state, RecordState::kSetAside);
}

// ---------------------------------------------------------------- dead letters

TEST_P(StoreSemanticsTest, FailedMessagesBecomeOpenDeadLettersThatCanBeResolvedOnce) {
  FailedMessage bad = NextFailure(kBirths, "DECODE");
  BatchResult result = MustApply(Batch({}, {bad}));
  EXPECT_TRUE(result.records.empty());
  EXPECT_THAT(Offsets(kBirths), ElementsAre(Pair(0, 1)));

  auto letters = DeadLetters();
  ASSERT_EQ(letters.size(), 1u);
  auto got = store_->GetDeadLetter(letters[0].id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->error_class, "DECODE");
  EXPECT_EQ(got->error_message, "not a crvs.records.v1.RecordEnvelope");
  EXPECT_EQ(got->key, "birth/BV79001/UNREADABLE");
  EXPECT_EQ(got->payload, bad.message.value);
  ASSERT_EQ(got->headers.size(), 2u);
  EXPECT_EQ(got->headers[1].key, "crvs-source");
  EXPECT_EQ(got->headers[1].value, "facility:BV79001");
  EXPECT_EQ(got->attempts, 3);
  EXPECT_EQ(got->state, DeadLetterState::kOpen);
  EXPECT_FALSE(got->resolved_at.has_value());

  DeadLetterQuery by_class;
  by_class.error_class = "DECODE";
  EXPECT_EQ(DeadLetters(by_class).size(), 1u);
  by_class.error_class = "CONFLICT";
  EXPECT_EQ(DeadLetters(by_class).size(), 0u);
  DeadLetterQuery by_topic;
  by_topic.original_topic = kDeaths;
  EXPECT_EQ(DeadLetters(by_topic).size(), 0u);
  DeadLetterQuery without_payload;
  auto plain = store_->ListDeadLetters(without_payload);
  ASSERT_TRUE(plain.ok());
  ASSERT_EQ(plain->dead_letters.size(), 1u);
  EXPECT_TRUE(plain->dead_letters[0].payload.empty());
  EXPECT_EQ(plain->dead_letters[0].headers.size(), 0u);

  auto discarded = store_->ResolveDeadLetter(got->id, DeadLetterState::kDiscarded,
                                             "operator:lan", "test traffic");
  ASSERT_TRUE(discarded.ok()) << discarded.status();
  EXPECT_EQ(discarded->state, DeadLetterState::kDiscarded);
  EXPECT_EQ(discarded->resolved_by, "operator:lan");
  EXPECT_EQ(discarded->resolution_note, "test traffic");
  EXPECT_TRUE(discarded->resolved_at.has_value());
  DeadLetterQuery open;
  open.state = DeadLetterState::kOpen;
  EXPECT_EQ(DeadLetters(open).size(), 0u);

  EXPECT_THAT(store_->ResolveDeadLetter(got->id, DeadLetterState::kReplayed, "x", ""),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->ResolveDeadLetter(got->id, DeadLetterState::kOpen, "x", ""),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->ResolveDeadLetter(9999, DeadLetterState::kDiscarded, "x", "y"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->GetDeadLetter(9999), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(StoreSemanticsTest, DeadLettersAreListedNewestFirstInPages) {
  std::vector<FailedMessage> failures;
  for (int i = 0; i < 5; ++i) failures.push_back(NextFailure(kDeaths, "SCHEMA_VERSION"));
  MustApply(Batch({}, failures));
  DeadLetterQuery query;
  query.page_size = 2;
  std::vector<int64_t> offsets;
  int pages = 0;
  do {
    auto page = store_->ListDeadLetters(query);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const auto& d : page->dead_letters) offsets.push_back(d.offset.value());
    query.page_token = page->next_page_token;
    ++pages;
  } while (!query.page_token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_THAT(offsets, ElementsAre(4, 3, 2, 1, 0));
  query.page_token = "not a token";
  EXPECT_THAT(ViolatedFields(store_->ListDeadLetters(query).status()), ElementsAre("page_token"));
}

// ---------------------------------------------------------------- exactly once

TEST_P(StoreSemanticsTest, ReapplyingTheSameBatchChangesNothing) {
  auto changed = fx::BirthCertificate();
  changed.mutable_child()->set_weight_grams(2900);
  ApplyBatch batch = Batch({Next(Envelope(fx::BirthCertificate(), v1::ACTION_SUBMIT, "m1")),
                            Next(Envelope(fx::DeathNotice(), v1::ACTION_SUBMIT, "m2")),
                            Next(Envelope(changed, v1::ACTION_SUBMIT, "m3")),
                            Next(Envelope(fx::DivorceDecision(), v1::ACTION_SUBMIT, "m4"))},
                           {NextFailure(kBirths, "DECODE")});
  BatchResult first = MustApply(batch);
  EXPECT_THAT(Outcomes(first), ElementsAre(ApplyOutcome::kAppliedNew, ApplyOutcome::kAppliedNew,
                                           ApplyOutcome::kConflict, ApplyOutcome::kAppliedNew));
  auto before = TableCounts();
  EXPECT_EQ(before["dead_letters"], 2);

  // A crash after COMMIT but before the consumer learned of it: the same batch comes again.
  BatchResult second = MustApply(batch);
  EXPECT_THAT(Outcomes(second), ElementsAre(ApplyOutcome::kDuplicate, ApplyOutcome::kDuplicate,
                                            ApplyOutcome::kConflict, ApplyOutcome::kDuplicate));
  EXPECT_EQ(TableCounts(), before);
  EXPECT_THAT(Offsets(kBirths), ElementsAre(Pair(0, 3)));
  EXPECT_THAT(Offsets(kDeaths), ElementsAre(Pair(0, 1)));
  EXPECT_EQ(Person(kDeceasedId).vital_status, VitalStatus::kDeceased);
}

TEST_P(StoreSemanticsTest, AFailingBatchCommitsNeitherRowsNorOffsets) {
  MustApply(Batch({Next(Envelope(fx::BirthCertificate("GCS-1"), v1::ACTION_SUBMIT, "m1"))}));
  auto before = TableCounts();

  // The death notice's person write fails after the versions, records, dead letters and
  // facts of the batch were written.
  ASSERT_THAT(raw_->ExecScript(db_->FailPersonWriteSql(kDeceasedId)), IsOk());
  auto changed = fx::BirthCertificate("GCS-1");
  changed.mutable_child()->set_weight_grams(2900);
  ApplyBatch batch = Batch({Next(Envelope(fx::BirthCertificate("GCS-2"), v1::ACTION_SUBMIT, "m2")),
                            Next(Envelope(changed, v1::ACTION_SUBMIT, "m3")),
                            Next(Envelope(fx::DeathNotice(), v1::ACTION_SUBMIT, "m4"))},
                           {NextFailure(kBirths, "DECODE")});
  auto failed = store_->Apply(batch);
  EXPECT_THAT(failed, StatusIs(absl::StatusCode::kInternal));
  EXPECT_FALSE(IsRetryable(failed.status()));
  EXPECT_THAT(failed.status().message(), HasSubstr("injected failure"));
  EXPECT_EQ(TableCounts(), before);
  EXPECT_THAT(Offsets(kBirths), ElementsAre(Pair(0, 1)));
  EXPECT_THAT(Offsets(kDeaths), IsEmpty());

  ASSERT_THAT(raw_->ExecScript(db_->UndoFailPersonWriteSql()), IsOk());
  BatchResult applied = MustApply(batch);
  EXPECT_THAT(Outcomes(applied), ElementsAre(ApplyOutcome::kAppliedNew, ApplyOutcome::kConflict,
                                             ApplyOutcome::kAppliedNew));
  EXPECT_EQ(Count("records"), 3);
  EXPECT_EQ(Count("dead_letters"), 2);
  EXPECT_THAT(Offsets(kBirths), ElementsAre(Pair(0, 4)));
  EXPECT_THAT(Offsets(kDeaths), ElementsAre(Pair(0, 1)));
  EXPECT_EQ(Person(kDeceasedId).vital_status, VitalStatus::kDeceased);
}

TEST_P(StoreSemanticsTest, ALockedDatabaseIsUnavailableAndNothingIsHalfApplied) {
  ApplyBatch batch = Batch({Next(Envelope(fx::BirthCertificate(), v1::ACTION_SUBMIT, "m1")),
                            Next(Envelope(fx::DeathNotice(), v1::ACTION_SUBMIT, "m2"))});
  ASSERT_THAT(raw_->ExecScript(db_->HoldWriteLockSql()), IsOk());
  auto blocked = store_->Apply(batch);
  ASSERT_THAT(raw_->ExecScript("ROLLBACK"), IsOk());
  EXPECT_THAT(blocked, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(IsRetryable(blocked.status()));
  EXPECT_EQ(Count("records"), 0);
  EXPECT_EQ(Count("consumed_offsets"), 0);

  BatchResult retried = MustApply(batch);
  EXPECT_THAT(Outcomes(retried), ElementsAre(ApplyOutcome::kAppliedNew, ApplyOutcome::kAppliedNew));
  EXPECT_THAT(Offsets(kDeaths), ElementsAre(Pair(0, 1)));
}

// ---------------------------------------------------------------- offsets

TEST_P(StoreSemanticsTest, OffsetsAreKeptPerGroupTopicAndPartitionAndNeverMoveBack) {
  ApplyBatch batch;
  batch.group = kGroup;
  batch.offsets = {{{Topic(kBirths), Partition(0)}, Offset(10)},
                   {{Topic(kBirths), Partition(1)}, Offset(5)}};
  MustApply(batch);
  EXPECT_THAT(Offsets(kBirths), ElementsAre(Pair(0, 10), Pair(1, 5)));

  batch.offsets = {{{Topic(kBirths), Partition(0)}, Offset(7)},
                   {{Topic(kBirths), Partition(1)}, Offset(6)}};
  MustApply(batch);  // e.g. a consumer fenced out by a rebalance, finishing late
  EXPECT_THAT(Offsets(kBirths), ElementsAre(Pair(0, 10), Pair(1, 6)));
  EXPECT_THAT(Offsets(kBirths, ConsumerGroup("another-group")), IsEmpty());
  EXPECT_THAT(Offsets(kDeaths), IsEmpty());

  batch.offsets = {{{Topic(kBirths), Partition(0)}, Offset(-1)}};
  EXPECT_THAT(store_->Apply(batch), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(StoreSemanticsTest, ALostRangeIsRecordedOnceAndMovesTheOffsetPastIt) {
  const absl::Time detected = absl::FromUnixSeconds(1793000000);
  LostRange range{{Topic(kDeaths), Partition(2)}, Offset(100), Offset(250), detected};
  ASSERT_THAT(store_->RecordLostRange(kGroup, range), IsOk());
  ASSERT_THAT(store_->RecordLostRange(kGroup, range), IsOk());
  auto ranges = store_->ListLostRanges(kGroup);
  ASSERT_TRUE(ranges.ok()) << ranges.status();
  ASSERT_EQ(ranges->size(), 1u);
  EXPECT_EQ((*ranges)[0].topic_partition, range.topic_partition);
  EXPECT_EQ((*ranges)[0].from, Offset(100));
  EXPECT_EQ((*ranges)[0].to, Offset(250));
  EXPECT_EQ((*ranges)[0].detected_at, detected);
  EXPECT_THAT(Offsets(kDeaths), ElementsAre(Pair(2, 250)));

  LostRange earlier{{Topic(kDeaths), Partition(2)}, Offset(10), Offset(20), detected};
  ASSERT_THAT(store_->RecordLostRange(kGroup, earlier), IsOk());
  EXPECT_THAT(Offsets(kDeaths), ElementsAre(Pair(2, 250)));
  EXPECT_EQ(store_->ListLostRanges(kGroup)->size(), 2u);
  EXPECT_TRUE(store_->ListLostRanges(ConsumerGroup("another-group"))->empty());

  LostRange empty{{Topic(kDeaths), Partition(2)}, Offset(5), Offset(5), detected};
  EXPECT_THAT(store_->RecordLostRange(kGroup, empty), StatusIs(absl::StatusCode::kInvalidArgument));
}

// Regression: a restarted in-memory broker (or a re-created topic) starts its log at 0 while the
// database holds positions around 87; the never-backwards guard kept the stale position forever
// and every new record was skipped. A log reset moves the position down and raises an alarm.
TEST_P(StoreSemanticsTest, ALogResetMovesTheStoredPositionDownAndStaysAnAlarmUntilAcknowledged) {
  ApplyBatch batch;
  batch.group = kGroup;
  const int64_t fingerprint = MessageFingerprint("death/BV01002/GBT-1", "sealed bytes");
  batch.offsets = {{{Topic(kDeaths), Partition(3)}, Offset(87), fingerprint}};
  MustApply(batch);
  auto positions = store_->LoadPositions(kGroup, Topic(kDeaths));
  ASSERT_TRUE(positions.ok()) << positions.status();
  ASSERT_EQ(positions->count(Partition(3)), 1u);
  EXPECT_EQ(positions->at(Partition(3)).next_offset, Offset(87));
  EXPECT_EQ(positions->at(Partition(3)).last_fingerprint, fingerprint);

  LogReset reset{{Topic(kDeaths), Partition(3)}, Offset(87), Offset(0), Offset(5),
                 "BEYOND_LOG_END", absl::FromUnixSeconds(1793000000)};
  ASSERT_THAT(store_->RecordLogReset(kGroup, reset), IsOk());
  EXPECT_THAT(Offsets(kDeaths), ElementsAre(Pair(3, 0)));
  EXPECT_FALSE(store_->LoadPositions(kGroup, Topic(kDeaths))->at(Partition(3)).last_fingerprint);
  // From there the position moves up again as the new log is consumed.
  batch.offsets = {{{Topic(kDeaths), Partition(3)}, Offset(4), 7}};
  MustApply(batch);
  EXPECT_THAT(Offsets(kDeaths), ElementsAre(Pair(3, 4)));

  LostRange lost{{Topic(kBirths), Partition(1)}, Offset(10), Offset(20), absl::Now()};
  ASSERT_THAT(store_->RecordLostRange(kGroup, lost), IsOk());
  EXPECT_EQ(*store_->CountUnacknowledgedAlarms(kGroup), 2);
  EXPECT_EQ(*store_->CountUnacknowledgedAlarms(ConsumerGroup("another-group")), 0);
  auto alarms = store_->ListOffsetAlarms(false);
  ASSERT_TRUE(alarms.ok()) << alarms.status();
  ASSERT_EQ(alarms->size(), 2u);
  const OffsetAlarm& first = (*alarms)[0];  // newest first: the lost range
  EXPECT_EQ(first.kind, OffsetAlarm::Kind::kRecordsLost);
  EXPECT_EQ(first.id, "lost/" + std::string(kBirths) + "/1/10/" + kGroup.value());
  const OffsetAlarm& second = (*alarms)[1];
  EXPECT_EQ(second.kind, OffsetAlarm::Kind::kLogReset);
  EXPECT_EQ(second.reason, "BEYOND_LOG_END");
  EXPECT_EQ(second.from, Offset(87));
  EXPECT_EQ(second.to, Offset(0));
  EXPECT_EQ(second.log_end, Offset(5));

  EXPECT_THAT(store_->AcknowledgeOffsetAlarm(second.id, "", "checked"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->AcknowledgeOffsetAlarm("reset/999", "operator:lan", ""),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->AcknowledgeOffsetAlarm("nonsense", "operator:lan", ""),
              StatusIs(absl::StatusCode::kInvalidArgument));
  auto acked = store_->AcknowledgeOffsetAlarm(second.id, "operator:lan", "broker restarted");
  ASSERT_TRUE(acked.ok()) << acked.status();
  EXPECT_EQ(acked->acknowledged_by, "operator:lan");
  EXPECT_TRUE(acked->acknowledged_at.has_value());
  EXPECT_THAT(store_->AcknowledgeOffsetAlarm(second.id, "operator:lan", ""),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_THAT(store_->AcknowledgeOffsetAlarm(first.id, "operator:lan", "re-sends requested"),
              IsOk());
  EXPECT_EQ(*store_->CountUnacknowledgedAlarms(kGroup), 0);
  EXPECT_TRUE(store_->ListOffsetAlarms(false)->empty());
  EXPECT_EQ(store_->ListOffsetAlarms(true)->size(), 2u);

  EXPECT_THAT(store_->RecordLogReset(kGroup, {{Topic(kDeaths), Partition(3)}, Offset(87),
                                              Offset(0), Offset(5), "WHATEVER", absl::Now()}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// The source hears every outcome: what became of each (source, message id).
TEST_P(StoreSemanticsTest, EveryMessageIdHasAnOutcomeOnceApplied) {
  auto notice = fx::DeathNotice();
  MustApply(Batch({Next(Envelope(notice, v1::ACTION_SUBMIT, "m1"))}));
  // The same content under a new message id: a DUPLICATE, whose id is remembered too.
  MustApply(Batch({Next(Envelope(notice, v1::ACTION_SUBMIT, "m2"))}));
  auto other = notice;
  other.set_manner_of_death(v1::MANNER_OF_DEATH_ACCIDENT);
  MustApply(Batch({Next(Envelope(other, v1::ACTION_SUBMIT, "m3"))}));  // CONFLICT
  FailedMessage bad = NextFailure(kDeaths, "VALIDATION");
  bad.source = "facility:BV01002";
  bad.message_id = "m4";
  MustApply(Batch({}, {bad}));

  auto found = store_->FindOutcomes({{"facility:BV01002", "m1"},
                                     {"facility:BV01002", "m2"},
                                     {"facility:BV01002", "m3"},
                                     {"facility:BV01002", "m4"},
                                     {"facility:BV01002", "m5"},      // never sent
                                     {"facility:BV99999", "m1"}});   // another source's id
  ASSERT_TRUE(found.ok()) << found.status();
  std::map<std::string, MessageOutcome> by_id;
  for (const auto& o : *found) by_id[o.message_id] = o;
  ASSERT_EQ(by_id.size(), 4u);
  EXPECT_EQ(by_id["m1"].state, MessageOutcome::State::kCommitted);
  EXPECT_EQ(by_id["m1"].version, 1);
  EXPECT_EQ(by_id["m1"].action, "SUBMIT");
  EXPECT_EQ(by_id["m1"].business_key, "death/BV01002/GBT-2026-000045");
  EXPECT_EQ(by_id["m2"].state, MessageOutcome::State::kCommitted);
  EXPECT_EQ(by_id["m2"].content_hash, by_id["m1"].content_hash);
  EXPECT_EQ(by_id["m3"].state, MessageOutcome::State::kConflict);
  EXPECT_THAT(by_id["m3"].error_message, HasSubstr("AMEND"));
  EXPECT_GT(by_id["m3"].dead_letter_id, 0);
  EXPECT_EQ(by_id["m4"].state, MessageOutcome::State::kDeadLettered);
  EXPECT_EQ(by_id["m4"].error_class, "VALIDATION");

  // The same outcomes, pulled in the order they were reached (PullOutcomes), after a cursor.
  auto pulled = store_->ListOutcomes("facility:BV01002", 0, "", 10);
  ASSERT_TRUE(pulled.ok()) << pulled.status();
  std::vector<std::string> order;
  for (const auto& o : *pulled) order.push_back(o.message_id);
  EXPECT_THAT(order, ElementsAre("m1", "m2", "m3", "m4"));
  const MessageOutcome& second = (*pulled)[1];
  auto rest = store_->ListOutcomes("facility:BV01002", absl::ToUnixMicros(second.at),
                                   second.message_id, 10);
  ASSERT_TRUE(rest.ok()) << rest.status();
  ASSERT_EQ(rest->size(), 2u);
  EXPECT_EQ((*rest)[0].message_id, "m3");
  EXPECT_EQ((*rest)[0].state, MessageOutcome::State::kConflict);
  EXPECT_EQ((*rest)[1].state, MessageOutcome::State::kDeadLettered);
  EXPECT_TRUE(store_->ListOutcomes("facility:BV99999", 0, "", 10)->empty());

  // A duplicate's message id reused for other content is a CONFLICT, as for an applied one.
  auto reuse = Batch({Next(Envelope(other, v1::ACTION_AMEND, "m2"))});
  auto result = store_->Apply(reuse);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->records[0].outcome, ApplyOutcome::kConflict);
}

TEST(MessageFingerprint, IsStableAndTellsKeyFromValue) {
  EXPECT_EQ(MessageFingerprint("k", "v"), MessageFingerprint("k", "v"));
  EXPECT_NE(MessageFingerprint("ab", "c"), MessageFingerprint("a", "bc"));
  // A stored fingerprint must mean the same thing to every later build.
  EXPECT_EQ(MessageFingerprint("", ""), static_cast<int64_t>(0xaf63bd4c8601b7dfull));
}

// ---------------------------------------------------------------- reads

TEST_P(StoreSemanticsTest, RecordsAreListedBySourceAndIssuePeriodInPages) {
  std::vector<InboundRecord> records;
  for (int i = 0; i < 5; ++i) {
    auto b = fx::BirthCertificate("GCS-" + std::to_string(i));
    *b.mutable_issued_at() = fx::At("2026-10-20T0" + std::to_string(i + 1) + ":00:00Z");
    records.push_back(Next(Envelope(b, v1::ACTION_SUBMIT, "m" + std::to_string(i))));
  }
  records.push_back(Next(Envelope(fx::DeathNotice(), v1::ACTION_SUBMIT, "d1")));
  MustApply(Batch(records));

  RecordQuery query;
  query.source = common::Principal();
  query.source->set_kind(common::PRINCIPAL_KIND_FACILITY);
  query.source->set_code("BV79001");
  query.issued_from = absl::FromUnixSeconds(fx::At("2026-10-20T02:00:00Z").seconds());
  query.issued_to = absl::FromUnixSeconds(fx::At("2026-10-20T05:00:00Z").seconds());
  query.page_size = 2;
  auto page1 = store_->ListRecords(query);
  ASSERT_TRUE(page1.ok()) << page1.status();
  ASSERT_EQ(page1->records.size(), 2u);
  EXPECT_EQ(page1->records[0].business_key, "birth/BV79001/GCS-1");
  EXPECT_EQ(page1->records[1].business_key, "birth/BV79001/GCS-2");
  EXPECT_EQ(page1->records[0].versions.size(), 1u);
  EXPECT_EQ(page1->records[0].versions[0].envelope.birth_certificate().key().certificate_no(),
            "GCS-1");
  ASSERT_FALSE(page1->next_page_token.empty());
  query.page_token = page1->next_page_token;
  auto page2 = store_->ListRecords(query);
  ASSERT_TRUE(page2.ok()) << page2.status();
  ASSERT_EQ(page2->records.size(), 1u);
  EXPECT_EQ(page2->records[0].business_key, "birth/BV79001/GCS-3");
  EXPECT_TRUE(page2->next_page_token.empty());

  RecordQuery deaths;
  deaths.kind = v1::RECORD_KIND_DEATH_NOTICE;
  EXPECT_EQ(store_->ListRecords(deaths)->records.size(), 1u);
  deaths.source = query.source;
  EXPECT_EQ(store_->ListRecords(deaths)->records.size(), 0u);

  RecordQuery bad;
  bad.page_size = 1001;
  EXPECT_THAT(ViolatedFields(store_->ListRecords(bad).status()), ElementsAre("page_size"));
  bad.page_size = 0;
  bad.page_token = "!!";
  EXPECT_THAT(ViolatedFields(store_->ListRecords(bad).status()), ElementsAre("page_token"));
  // Regression (PostgreSQL): a forged token whose key holds bytes the database refuses gave
  // INTERNAL with the SQL text; it is a bad page_token.
  bad.page_token = absl::WebSafeBase64Escape(std::string("1793000000000000/birth/\xff\0x", 26));
  EXPECT_THAT(ViolatedFields(store_->ListRecords(bad).status()), ElementsAre("page_token"));
  bad.page_token.clear();
  bad.issued_from = absl::FromUnixSeconds(100);
  bad.issued_to = absl::FromUnixSeconds(100);
  EXPECT_THAT(ViolatedFields(store_->ListRecords(bad).status()), ElementsAre("issued_to"));
}

TEST_P(StoreSemanticsTest, UnknownRecordsAndPersonsAreReportedAsSuch) {
  EXPECT_THAT(store_->GetRecord(BusinessKey("birth/NOPE/1")),
              StatusIs(absl::StatusCode::kNotFound));
  PersonRow p = Person("079300000001");
  EXPECT_EQ(p.personal_id, "079300000001");
  EXPECT_EQ(p.vital_status, VitalStatus::kUnknown);
  EXPECT_EQ(p.marital_status, MaritalStatus::kUnknown);
}

// A database made before migrations 11 and 12 keeps every message's outcome and every fact
// about a person through the upgrade.
class UpgradeTest : public ::testing::TestWithParam<Backend> {};

TEST_P(UpgradeTest, MessageIdsAndPersonFactsSurviveTheUpgrade) {
  auto db = GetParam().make();
  auto raw = sql::Connect(db->config());
  ASSERT_TRUE(raw.ok()) << raw.status();
  sql::Connection& c = **raw;
  auto at10 = Migrate(c, 10);
  ASSERT_TRUE(at10.ok()) << at10.status();
  ASSERT_EQ(*at10, 10);
  auto exec = [&](const std::string& text, std::vector<sql::Value> params) {
    auto r = c.Execute(text, params);
    ASSERT_TRUE(r.ok()) << r.status() << " " << text;
  };
  const std::string key = "registration/00004/01%2F2026/77";
  exec("INSERT INTO record_versions (business_key, version, action, reason, content_hash, "
       "message_id, source, issued_at_us, received_at_us, committed_at_us, kafka_topic, "
       "kafka_partition, kafka_offset, envelope) VALUES ($1, 1, 'SUBMIT', '', $2, 'm1', "
       "'registry_office:00004', 1, 2, 3, 't', 0, 5, $3)",
       {sql::Value::Text(key), sql::Value::Blob("h1"), sql::Value::Blob("")});
  for (const char* id : {"m1", "m1-again"}) {
    exec("INSERT INTO message_ids (message_id, source, business_key, action, content_hash, "
         "version, committed_at_us) VALUES ($1, 'registry_office:00004', $2, 'SUBMIT', $3, 1, "
         "$4)",
         {sql::Value::Text(id), sql::Value::Text(key), sql::Value::Blob("h1"),
          sql::Value::Int(std::string(id) == "m1" ? 3 : 9)});
  }
  exec("INSERT INTO persons (personal_id, vital_status, marital_status, evidence_keys, "
       "updated_at_us) VALUES ('001052003456', 'DECEASED', 'UNKNOWN', $1, 3)",
       {sql::Value::Text(key)});
  exec("INSERT INTO person_facts (personal_id, business_key, fact, fact_date) VALUES "
       "('001052003456', $1, 'DEATH_REGISTERED', '2026-10-21'), "
       "('001052003456', 'death/BV01002/GBT-1', 'DEATH_NOTICE', '2026-10-20')",
       {sql::Value::Text(key)});

  auto store = Store::Open(db->config());  // applies 11 and 12
  ASSERT_TRUE(store.ok()) << store.status();
  auto rows = c.Execute("SELECT message_id, committed_at_us FROM unchanged_messages", {});
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);  // m1 is found on its version now
  EXPECT_EQ((*rows)[0][0].AsString(), "m1-again");
  EXPECT_EQ((*rows)[0][1].AsInt(), 9);
  auto outcomes = (*store)->FindOutcomes(
      {{"registry_office:00004", "m1"}, {"registry_office:00004", "m1-again"}});
  ASSERT_TRUE(outcomes.ok()) << outcomes.status();
  ASSERT_EQ(outcomes->size(), 2u);
  for (const auto& o : *outcomes) {
    EXPECT_EQ(o.state, MessageOutcome::State::kCommitted) << o.message_id;
    EXPECT_EQ(o.business_key, key);
  }

  rows = c.Execute("SELECT facts FROM persons WHERE personal_id = '001052003456'", {});
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);
  std::vector<rules::PersonFact> facts = rules::ParseFacts("001052003456", (*rows)[0][0].AsString());
  std::sort(facts.begin(), facts.end(), [](const auto& a, const auto& b) {
    return a.business_key < b.business_key;
  });
  ASSERT_EQ(facts.size(), 2u);
  EXPECT_EQ(facts[0], (rules::PersonFact{"001052003456", "death/BV01002/GBT-1", "DEATH_NOTICE",
                                         "2026-10-20"}));
  EXPECT_EQ(facts[1],
            (rules::PersonFact{"001052003456", key, "DEATH_REGISTERED", "2026-10-21"}));
  EXPECT_FALSE(c.Execute("SELECT count(*) FROM person_facts", {}).ok());  // gone
}

INSTANTIATE_TEST_SUITE_P(Backends, UpgradeTest, ::testing::ValuesIn(TestBackends()), BackendName);

INSTANTIATE_TEST_SUITE_P(Backends, StoreSemanticsTest, ::testing::ValuesIn(TestBackends()),
                         BackendName);

}  // namespace
}  // namespace crvs::store::testing
