#include "services/admin/proto_mapping.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace crvs::admin {
namespace {

store::DeadLetterRow Letter() {
  store::DeadLetterRow row;
  row.id = 7;
  row.original = {store::Topic("crvs.death-notices.v1"), store::Partition(3)};
  row.offset = store::Offset(1042);
  row.error_class = "CONFLICT";
  row.error_message = "SUBMIT with other content: send an AMEND";
  row.business_key = "death/BV01002/GBT-2026-000045";
  row.attempts = 2;
  row.failed_at = absl::FromUnixMicros(1793000000123456);
  row.state = store::DeadLetterState::kDiscarded;
  row.resolved_at = absl::FromUnixMicros(1793000100000001);
  row.resolved_by = "operator:lan";
  row.resolution_note = "test traffic";
  row.key = "death/BV01002/GBT-2026-000045";
  row.payload = std::string("\x0a\x00\xff", 3);
  row.headers = {{"crvs-message-id", "m2"}, {"crvs-source", "facility:BV01002"}};
  return row;
}

TEST(ProtoMappingTest, DeadLetterKeepsEveryField) {
  v1::DeadLetter d = ToProto(Letter());
  EXPECT_EQ(d.id(), 7);
  EXPECT_EQ(d.original_topic(), "crvs.death-notices.v1");
  EXPECT_EQ(d.partition(), 3);
  EXPECT_EQ(d.offset(), 1042);
  EXPECT_EQ(d.error_class(), "CONFLICT");
  EXPECT_EQ(d.error_message(), "SUBMIT with other content: send an AMEND");
  EXPECT_EQ(d.business_key(), "death/BV01002/GBT-2026-000045");
  EXPECT_EQ(d.attempts(), 2);
  EXPECT_EQ(d.failed_at().seconds(), 1793000000);
  EXPECT_EQ(d.failed_at().nanos(), 123456000);
  EXPECT_EQ(d.state(), v1::DEAD_LETTER_STATE_DISCARDED);
  ASSERT_TRUE(d.has_resolved_at());
  EXPECT_EQ(d.resolved_at().seconds(), 1793000100);
  EXPECT_EQ(d.resolved_at().nanos(), 1000);
  EXPECT_EQ(d.resolved_by(), "operator:lan");
  EXPECT_EQ(d.resolution_note(), "test traffic");
  EXPECT_EQ(d.key(), "death/BV01002/GBT-2026-000045");
  EXPECT_EQ(d.payload(), std::string("\x0a\x00\xff", 3));
  ASSERT_EQ(d.headers_size(), 2);
  EXPECT_EQ(d.headers(0).key(), "crvs-message-id");
  EXPECT_EQ(d.headers(0).value(), "m2");
  EXPECT_EQ(d.headers(1).key(), "crvs-source");
  EXPECT_EQ(d.headers(1).value(), "facility:BV01002");
}

TEST(ProtoMappingTest, AnOpenLetterHasNoResolution) {
  store::DeadLetterRow row = Letter();
  row.state = store::DeadLetterState::kOpen;
  row.resolved_at.reset();
  row.resolved_by.clear();
  row.resolution_note.clear();
  v1::DeadLetter d = ToProto(row);
  EXPECT_EQ(d.state(), v1::DEAD_LETTER_STATE_OPEN);
  EXPECT_FALSE(d.has_resolved_at());
  EXPECT_EQ(d.resolved_by(), "");
}

TEST(ProtoMappingTest, StatesMapOneToOneAndFiltersKeepTheirMeaning) {
  EXPECT_EQ(ToProto(store::DeadLetterState::kUnspecified), v1::DEAD_LETTER_STATE_UNSPECIFIED);
  EXPECT_EQ(ToProto(store::DeadLetterState::kOpen), v1::DEAD_LETTER_STATE_OPEN);
  EXPECT_EQ(ToProto(store::DeadLetterState::kReplayed), v1::DEAD_LETTER_STATE_REPLAYED);
  EXPECT_EQ(ToProto(store::DeadLetterState::kDiscarded), v1::DEAD_LETTER_STATE_DISCARDED);

  EXPECT_EQ(DeadLetterStateFilter(v1::DEAD_LETTER_STATE_UNSPECIFIED), std::nullopt);  // any
  EXPECT_EQ(DeadLetterStateFilter(v1::DEAD_LETTER_STATE_OPEN), store::DeadLetterState::kOpen);
  EXPECT_EQ(DeadLetterStateFilter(v1::DEAD_LETTER_STATE_REPLAYED),
            store::DeadLetterState::kReplayed);
  EXPECT_EQ(DeadLetterStateFilter(v1::DEAD_LETTER_STATE_DISCARDED),
            store::DeadLetterState::kDiscarded);
  // A number the API does not define matches nothing (as before: no stored state has it).
  EXPECT_EQ(DeadLetterStateFilter(static_cast<v1::DeadLetterState>(42)),
            store::DeadLetterState::kUnspecified);
}

TEST(ProtoMappingTest, OffsetAlarmKeepsEveryField) {
  store::OffsetAlarm a;
  a.kind = store::OffsetAlarm::Kind::kLogReset;
  a.id = "reset/3";
  a.group = store::ConsumerGroup("registry-sink");
  a.topic_partition = {store::Topic("crvs.births.v1"), store::Partition(1)};
  a.from = store::Offset(90);
  a.to = store::Offset(0);
  a.log_end = store::Offset(12);
  a.reason = "BEYOND_LOG_END";
  a.detected_at = absl::FromUnixSeconds(1793000000);
  v1::OffsetAlarm out = ToProto(a);
  EXPECT_EQ(out.alarm_id(), "reset/3");
  EXPECT_EQ(out.kind(), v1::OffsetAlarm::LOG_RESET);
  EXPECT_EQ(out.consumer_group(), "registry-sink");
  EXPECT_EQ(out.topic(), "crvs.births.v1");
  EXPECT_EQ(out.partition(), 1);
  EXPECT_EQ(out.from_offset(), 90);
  EXPECT_EQ(out.to_offset(), 0);
  EXPECT_EQ(out.log_end(), 12);
  EXPECT_EQ(out.reason(), "BEYOND_LOG_END");
  EXPECT_EQ(out.detected_at().seconds(), 1793000000);
  EXPECT_FALSE(out.has_acknowledged_at());
}

}  // namespace
}  // namespace crvs::admin
