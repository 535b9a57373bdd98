// Store::WriteRecord — records written through the registry API, not consumed from Kafka —
// on every backend: the rules and audit of Apply, no Kafka coordinates, no consumed offsets,
// a refusal that names its rule and leaves no dead letter an operator could replay into Kafka,
// and a duplicate answered with the original version and commit time. Assertions read the
// rows back on a second connection.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "services/store/audit.h"
#include "services/store/sql.h"
#include "services/store/store.h"
#include "services/store/store_semantics_test.h"
#include "services/store/store_test_util.h"
#include "tests/support/fixtures.h"

namespace crvs::store::testing {
namespace {

namespace fx = ::crvs::testing;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kOffice[] = "registry_office:00004";
constexpr char kDeceasedId[] = "001052003456";

class RecordWriteTest : public StoreOnBackend {
 protected:
  static v1::RecordEnvelope Registration(v1::Action action, const std::string& message_id,
                                         const std::string& no = "77") {
    return Envelope(DeathRegistration(no, fx::Date(2026, 10, 27)), action, message_id);
  }
  static v1::RecordEnvelope Changed(v1::Action action, const std::string& message_id) {
    v1::Registration r = DeathRegistration("77", fx::Date(2026, 10, 27));
    r.mutable_registrar()->set_full_name("Lê Văn Tám");
    return Envelope(r, action, message_id);
  }

  WriteResult MustWrite(const v1::RecordEnvelope& e) {
    auto result = store_->WriteRecord(e);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : WriteResult{};
  }

  int64_t Count(const std::string& table, const std::string& where = "TRUE") {
    auto rows = raw_->Execute("SELECT count(*) FROM " + table + " WHERE " + where, {});
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() ? (*rows)[0][0].AsInt() : -1;
  }

  std::vector<AuditRow> AuditRows(const std::string& action) {
    auto rows = ListAudit(*raw_, 0, 10000);
    EXPECT_TRUE(rows.ok()) << rows.status();
    std::vector<AuditRow> out;
    if (!rows.ok()) return out;
    for (auto& row : *rows) {
      if (row.action == action) out.push_back(std::move(row));
    }
    return out;
  }
};

TEST_P(RecordWriteTest, AWriteIsAppliedWithoutKafkaCoordinatesOrConsumedOffsets) {
  const WriteResult w = MustWrite(Registration(v1::ACTION_SUBMIT, "r-1"));
  EXPECT_EQ(w.record.outcome, ApplyOutcome::kAppliedNew);
  EXPECT_EQ(w.record.version, 1);
  EXPECT_EQ(w.record.refusal, Refusal::kNone);

  EXPECT_EQ(Count("record_versions", "kafka_topic = '' AND kafka_partition = -1 AND "
                                     "kafka_offset = -1 AND message_id = 'r-1'"),
            1);
  auto committed = raw_->Execute("SELECT committed_at_us FROM record_versions", {});
  ASSERT_TRUE(committed.ok()) << committed.status();
  EXPECT_EQ((*committed)[0][0].AsInt(), absl::ToUnixMicros(w.committed_at));
  EXPECT_EQ(Count("consumed_offsets"), 0);
  EXPECT_EQ(Count("dead_letters"), 0);
  EXPECT_EQ(Count("applied_messages", "message_id = 'r-1' AND source = 'registry_office:00004'"), 1);

  // The same derivation as a consumed record: the registration makes its subject DECEASED.
  auto person = store_->GetPersonStatus(kDeceasedId);
  ASSERT_TRUE(person.ok()) << person.status();
  EXPECT_EQ(person->vital_status, VitalStatus::kDeceased);

  // Its own audit row (consumed records have one per batch), its origin the API.
  const auto applied = AuditRows("record.applied");
  ASSERT_EQ(applied.size(), 1u);
  EXPECT_EQ(applied[0].actor, kOffice);
  EXPECT_EQ(applied[0].subject, "registration/00004/01%2F2026/77");
  EXPECT_THAT(applied[0].detail, HasSubstr("action=SUBMIT outcome=APPLIED_NEW version=1"));
  EXPECT_THAT(applied[0].detail, HasSubstr("origin=api"));
  EXPECT_THAT(AuditRows("offsets.committed"), IsEmpty());
}

// Each rule that refuses a record is named in the result, so the registry answers without
// reading the record back; and each refusal is an audit row, never a dead letter (the client
// was told and resends; a dead letter would invite a replay into a Kafka topic nobody reads).
TEST_P(RecordWriteTest, EachRefusalNamesItsRuleIsAuditedAndLeavesNoDeadLetter) {
  ASSERT_EQ(MustWrite(Registration(v1::ACTION_SUBMIT, "r-1")).record.outcome,
            ApplyOutcome::kAppliedNew);

  WriteResult w = MustWrite(Changed(v1::ACTION_SUBMIT, "r-2"));
  EXPECT_EQ(w.record.outcome, ApplyOutcome::kConflict);
  EXPECT_EQ(w.record.refusal, Refusal::kSubmitOfOtherContent);
  EXPECT_EQ(w.record.version, 1);
  EXPECT_THAT(w.record.error_message, HasSubstr("AMEND"));

  w = MustWrite(Registration(v1::ACTION_SUBMIT, "r-1", "78"));
  EXPECT_EQ(w.record.outcome, ApplyOutcome::kConflict);
  EXPECT_EQ(w.record.refusal, Refusal::kMessageIdReused);

  ASSERT_EQ(MustWrite(Registration(v1::ACTION_VOID, "r-3")).record.outcome, ApplyOutcome::kVoided);
  w = MustWrite(Changed(v1::ACTION_AMEND, "r-4"));
  EXPECT_EQ(w.record.outcome, ApplyOutcome::kConflict);
  EXPECT_EQ(w.record.refusal, Refusal::kKeyVoided);
  EXPECT_EQ(MustWrite(Registration(v1::ACTION_SUBMIT, "r-5")).record.refusal, Refusal::kKeyVoided);

  v1::RecordEnvelope unusable = Registration(v1::ACTION_SUBMIT, "r-6", "79");
  unusable.clear_content_hash();
  w = MustWrite(unusable);
  EXPECT_EQ(w.record.outcome, ApplyOutcome::kInvalid);
  EXPECT_EQ(w.record.refusal, Refusal::kInvalidEnvelope);

  EXPECT_EQ(Count("dead_letters"), 0);
  auto letters = store_->ListDeadLetters({});
  ASSERT_TRUE(letters.ok()) << letters.status();
  EXPECT_THAT(letters->dead_letters, IsEmpty());
  EXPECT_EQ(Count("consumed_offsets"), 0);
  EXPECT_EQ(Count("record_versions"), 2);  // the SUBMIT and the VOID
  EXPECT_EQ(Count("records", "business_key <> 'registration/00004/01%2F2026/77'"), 0);

  std::vector<std::string> refusals;
  for (const auto& row : AuditRows("record.refused")) {
    EXPECT_EQ(row.actor, kOffice);
    EXPECT_THAT(row.detail, HasSubstr("origin=api"));
    refusals.push_back(row.detail.substr(row.detail.find("refusal=")));
  }
  EXPECT_THAT(refusals, ElementsAre(HasSubstr("SUBMIT_OF_OTHER_CONTENT"),
                                    HasSubstr("MESSAGE_ID_REUSED"), HasSubstr("KEY_VOIDED"),
                                    HasSubstr("KEY_VOIDED"), HasSubstr("INVALID_ENVELOPE")));
  EXPECT_THAT(AuditRows("dead_letter.opened"), IsEmpty());
}

TEST_P(RecordWriteTest, ADuplicateAnswersTheOriginalVersionAndItsCommitTime) {
  const WriteResult first = MustWrite(Registration(v1::ACTION_SUBMIT, "r-1"));
  ASSERT_EQ(first.record.outcome, ApplyOutcome::kAppliedNew);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const WriteResult amended = MustWrite(Changed(v1::ACTION_AMEND, "r-2"));
  ASSERT_EQ(amended.record.outcome, ApplyOutcome::kAppliedVersion);
  ASSERT_GT(amended.committed_at, first.committed_at);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));

  // The first submission resent after the amend: version 1, committed back then.
  WriteResult again = MustWrite(Registration(v1::ACTION_SUBMIT, "r-1"));
  EXPECT_EQ(again.record.outcome, ApplyOutcome::kDuplicate);
  EXPECT_EQ(again.record.version, 1);
  EXPECT_EQ(absl::ToUnixMicros(again.committed_at), absl::ToUnixMicros(first.committed_at));
  // The amend resent: version 2 and its commit time.
  again = MustWrite(Changed(v1::ACTION_AMEND, "r-2"));
  EXPECT_EQ(again.record.outcome, ApplyOutcome::kDuplicate);
  EXPECT_EQ(again.record.version, 2);
  EXPECT_EQ(absl::ToUnixMicros(again.committed_at), absl::ToUnixMicros(amended.committed_at));

  EXPECT_EQ(Count("record_versions"), 2);
  EXPECT_EQ(Count("dead_letters"), 0);
  EXPECT_THAT(AuditRows("record.refused"), IsEmpty());
}

// One set of rules: what the sink consumed and what the API wrote meet in the same records.
TEST_P(RecordWriteTest, WritesAndConsumedRecordsMeetUnderTheSameRules) {
  ApplyBatch batch;
  batch.group = ConsumerGroup("registry-sink");
  batch.records.push_back(Inbound(Registration(v1::ACTION_SUBMIT, "r-1"), "crvs.registrations.v1",
                                  0, 0));
  batch.offsets.push_back({{Topic("crvs.registrations.v1"), Partition(0)}, Offset(1)});
  auto applied = store_->Apply(batch);
  ASSERT_TRUE(applied.ok()) << applied.status();
  ASSERT_EQ(applied->records[0].outcome, ApplyOutcome::kAppliedNew);

  // The same submission through the API is a duplicate of what the sink applied.
  const WriteResult w = MustWrite(Registration(v1::ACTION_SUBMIT, "r-1"));
  EXPECT_EQ(w.record.outcome, ApplyOutcome::kDuplicate);
  EXPECT_EQ(w.record.version, 1);
  EXPECT_EQ(absl::ToUnixMicros(w.committed_at), absl::ToUnixMicros(applied->committed_at));

  // A consumed record refused by a rule says which, and is still a dead letter.
  ASSERT_EQ(MustWrite(Registration(v1::ACTION_VOID, "r-2")).record.outcome, ApplyOutcome::kVoided);
  batch.records = {Inbound(Changed(v1::ACTION_AMEND, "r-3"), "crvs.registrations.v1", 0, 1)};
  batch.offsets = {{{Topic("crvs.registrations.v1"), Partition(0)}, Offset(2)}};
  applied = store_->Apply(batch);
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(applied->records[0].outcome, ApplyOutcome::kConflict);
  EXPECT_EQ(applied->records[0].refusal, Refusal::kKeyVoided);
  EXPECT_EQ(Count("dead_letters", "original_topic = 'crvs.registrations.v1' AND "
                                  "error_class = 'CONFLICT'"),
            1);
  EXPECT_THAT(AuditRows("record.refused"), IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(Backends, RecordWriteTest, ::testing::ValuesIn(TestBackends()),
                         BackendName);

}  // namespace
}  // namespace crvs::store::testing
