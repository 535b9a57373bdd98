#include "services/registry/proto_mapping.h"

#include <gmock/gmock.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "tests/support/fixtures.h"

namespace crvs::registry {
namespace {

namespace fx = ::crvs::testing;
using ::testing::ElementsAre;

TEST(ProtoMappingTest, RecordRowKeepsEveryFieldAndVersionInOrder) {
  store::RecordRow row;
  row.business_key = "divorce/TAND-HN/05-2026";
  row.kind = records::v1::RECORD_KIND_DIVORCE_DECISION;
  row.state = store::RecordState::kSetAside;
  row.state_detail = "set aside on 2026-10-30 by 05/2026/GĐT-DS";
  row.current_version = 2;
  for (int i = 1; i <= 2; ++i) {
    store::RecordVersionRow& v = row.versions.emplace_back();
    v.version = i;
    v.action = i == 1 ? records::v1::ACTION_SUBMIT : records::v1::ACTION_AMEND;
    v.reason = i == 1 ? "" : "set aside on review";
    v.content_hash = std::string(32, static_cast<char>('a' + i));
    v.message_id = "d" + std::to_string(i);
    v.committed_at = absl::FromUnixMicros(1793000000123456 + i);
    *v.envelope.mutable_divorce_decision() = fx::DivorceDecision();
  }

  v1::RecordView view = ToProto(row);
  EXPECT_EQ(view.business_key(), row.business_key);
  EXPECT_EQ(view.kind(), records::v1::RECORD_KIND_DIVORCE_DECISION);
  EXPECT_EQ(view.state(), v1::RECORD_STATE_SET_ASIDE);
  EXPECT_EQ(view.state_detail(), row.state_detail);
  EXPECT_EQ(view.current_version(), 2);
  ASSERT_EQ(view.versions_size(), 2);
  for (int i = 0; i < 2; ++i) {
    const v1::RecordVersion& v = view.versions(i);
    EXPECT_EQ(v.version(), i + 1);
    EXPECT_EQ(v.action(), row.versions[i].action);
    EXPECT_EQ(v.reason(), row.versions[i].reason);
    EXPECT_EQ(v.content_hash(), row.versions[i].content_hash);
    EXPECT_EQ(v.message_id(), row.versions[i].message_id);
    EXPECT_EQ(v.committed_at().seconds(), 1793000000);
    EXPECT_EQ(v.committed_at().nanos(), (123456 + i + 1) * 1000);
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(v.envelope(),
                                                                    row.versions[i].envelope));
  }
}

TEST(ProtoMappingTest, StatesMapOneToOne) {
  EXPECT_EQ(ToProto(store::RecordState::kUnspecified), v1::RECORD_STATE_UNSPECIFIED);
  EXPECT_EQ(ToProto(store::RecordState::kActive), v1::RECORD_STATE_ACTIVE);
  EXPECT_EQ(ToProto(store::RecordState::kVoided), v1::RECORD_STATE_VOIDED);
  EXPECT_EQ(ToProto(store::RecordState::kPendingEffect), v1::RECORD_STATE_PENDING_EFFECT);
  EXPECT_EQ(ToProto(store::RecordState::kEffective), v1::RECORD_STATE_EFFECTIVE);
  EXPECT_EQ(ToProto(store::RecordState::kSetAside), v1::RECORD_STATE_SET_ASIDE);
  EXPECT_EQ(ToProto(store::RecordState::kConflict), v1::RECORD_STATE_CONFLICT);
  EXPECT_EQ(ToProto(store::VitalStatus::kUnspecified), v1::VITAL_STATUS_UNSPECIFIED);
  EXPECT_EQ(ToProto(store::VitalStatus::kUnknown), v1::VITAL_STATUS_UNKNOWN);
  EXPECT_EQ(ToProto(store::VitalStatus::kAlive), v1::VITAL_STATUS_ALIVE);
  EXPECT_EQ(ToProto(store::VitalStatus::kDeceased), v1::VITAL_STATUS_DECEASED);
  EXPECT_EQ(ToProto(store::MaritalStatus::kUnspecified), v1::MARITAL_STATUS_UNSPECIFIED);
  EXPECT_EQ(ToProto(store::MaritalStatus::kUnknown), v1::MARITAL_STATUS_UNKNOWN);
  EXPECT_EQ(ToProto(store::MaritalStatus::kMarried), v1::MARITAL_STATUS_MARRIED);
  EXPECT_EQ(ToProto(store::MaritalStatus::kDivorced), v1::MARITAL_STATUS_DIVORCED);
  EXPECT_EQ(ToProto(store::MaritalStatus::kWidowed), v1::MARITAL_STATUS_WIDOWED);
  EXPECT_EQ(ToProto(store::MaritalStatus::kAnnulled), v1::MARITAL_STATUS_ANNULLED);
}

TEST(ProtoMappingTest, PersonRowSetsDatesOnlyWhenHeld) {
  store::PersonRow row;
  row.personal_id = "001052003456";
  v1::PersonStatus unknown = ToProto(row);
  EXPECT_EQ(unknown.personal_id().number(), "001052003456");
  EXPECT_EQ(unknown.vital_status(), v1::VITAL_STATUS_UNKNOWN);
  EXPECT_EQ(unknown.marital_status(), v1::MARITAL_STATUS_UNKNOWN);
  EXPECT_FALSE(unknown.has_date_of_death());
  EXPECT_FALSE(unknown.has_marital_status_since());
  EXPECT_EQ(unknown.evidence_keys_size(), 0);

  row.vital_status = store::VitalStatus::kDeceased;
  row.date_of_death = fx::Date(2026, 10, 24);
  row.marital_status = store::MaritalStatus::kDivorced;
  row.marital_since = fx::Date(2026, 9, 15);
  row.evidence_keys = {"registration/26734/01%2F2026/12", "death/BV01002/GBT-2026-000045"};
  v1::PersonStatus known = ToProto(row);
  EXPECT_EQ(known.vital_status(), v1::VITAL_STATUS_DECEASED);
  EXPECT_EQ(known.date_of_death().day(), 24);
  EXPECT_EQ(known.marital_status(), v1::MARITAL_STATUS_DIVORCED);
  EXPECT_EQ(known.marital_status_since().month(), 9);
  EXPECT_THAT(known.evidence_keys(),
              ElementsAre("registration/26734/01%2F2026/12", "death/BV01002/GBT-2026-000045"));
}

TEST(ProtoMappingTest, TimestampsAreExactToTheMicrosecondBeforeTheEpochToo) {
  google::protobuf::Timestamp t = ToTimestamp(absl::FromUnixMicros(-1));
  EXPECT_EQ(t.seconds(), -1);
  EXPECT_EQ(t.nanos(), 999999000);
}

}  // namespace
}  // namespace crvs::registry
