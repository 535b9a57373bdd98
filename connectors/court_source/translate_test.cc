// Debezium change events of the court's decision table → divorce-decision envelopes or dead
// letters: every op, with and without the embedded schema, date encodings, tombstones, the
// ordering position of PostgreSQL and MySQL sources, and the exact error of each unmappable row.
#include "connectors/court_source/translate.h"

#include <limits>
#include <tuple>

#include <absl/time/civil_time.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/records/records.h"
#include "tests/support/fixtures.h"
#include "tests/support/status_matchers.h"

namespace crvs::court_source {
namespace {

using Json = nlohmann::json;
using ::crvs::testing::StatusIs;
using ::testing::HasSubstr;
namespace v1 = records::v1;

const absl::Time kNow = absl::FromCivil(absl::CivilSecond(2026, 11, 1, 10, 0, 0), absl::UTCTimeZone());
constexpr int64_t kCommitMs = 1790000000000;  // 2026-09-21T14:13:20Z

int64_t Days(int y, int m, int d) { return absl::CivilDay(y, m, d) - absl::CivilDay(1970, 1, 1); }

// A row of the court's decision table under the default mapping: the fixtures' divorce
// decision, pending (no legal effect date yet).
Json Row(const std::string& decision_no = "12/2026/QĐST-HNGĐ") {
  return {{"id", 4711},
          {"court_code", "TA79001"},
          {"decision_no", decision_no},
          {"decision_type", "CONG_NHAN_THUAN_TINH"},
          {"decision_date", "2026-09-15"},
          {"effective_date", nullptr},
          {"set_aside_date", nullptr},
          {"set_aside_by_decision_no", nullptr},
          {"set_aside_reason", nullptr},
          {"spouse1_personal_id", "001090005678"},
          {"spouse1_full_name", "Trần Văn Minh"},
          {"spouse1_sex", "M"},
          {"spouse1_birth_date", "1990-07-01"},
          {"spouse2_personal_id", "079194001234"},
          {"spouse2_full_name", "Nguyễn Thị Lan"},
          {"spouse2_sex", "F"},
          {"spouse2_birth_date", "1994-03-12"},
          {"marriage_commune_code", "26734"},
          {"marriage_book", "01/2018"},
          {"marriage_registration_no", "57"},
          {"marriage_registered_on", "2018-04-02"}};
}

// A bare-payload (schemaless) Debezium event of a PostgreSQL source.
Json Event(const std::string& op, const Json& before, const Json& after, uint64_t lsn) {
  return {{"before", before},
          {"after", after},
          {"source",
           {{"version", "2.1.2.Final"},
            {"connector", "postgresql"},
            {"name", "court"},
            {"ts_ms", kCommitMs},
            {"snapshot", op == "r" ? "true" : "false"},
            {"db", "court"},
            {"schema", "public"},
            {"table", "decisions"},
            {"lsn", lsn}}},
          {"op", op},
          {"ts_ms", kCommitMs + 150}};
}

// The same event with the JSON converter's embedded schema (dates as io.debezium.time.Date).
Json WithSchema(const Json& payload) {
  Json row_fields = Json::array();
  const Json columns = Row();
  for (const auto& [column, value] : columns.items()) {
    Json field = {{"field", column}, {"optional", true}};
    if (column.find("date") != std::string::npos || column == "marriage_registered_on") {
      field["type"] = "int32";
      field["name"] = "io.debezium.time.Date";
      field["version"] = 1;
    } else {
      field["type"] = column == "id" ? "int64" : "string";
    }
    row_fields.push_back(field);
  }
  Json schema = {
      {"type", "struct"},
      {"name", "court.public.decisions.Envelope"},
      {"fields",
       {{{"type", "struct"}, {"fields", row_fields}, {"optional", true}, {"field", "before"},
         {"name", "court.public.decisions.Value"}},
        {{"type", "struct"}, {"fields", row_fields}, {"optional", true}, {"field", "after"},
         {"name", "court.public.decisions.Value"}},
        {{"type", "struct"}, {"fields", Json::array()}, {"field", "source"}},
        {{"type", "string"}, {"field", "op"}},
        {{"type", "int64"}, {"optional", true}, {"field", "ts_ms"}}}}};
  return {{"schema", schema}, {"payload", payload}};
}

// Dates of a row as io.debezium.time.Date integers.
Json AsDays(Json row) {
  for (auto& [column, value] : row.items()) {
    if (!value.is_string()) continue;
    std::string text = value.get<std::string>();
    if (text.size() == 10 && text[4] == '-' && column != "decision_no") {
      value = Days(std::stoi(text.substr(0, 4)), std::stoi(text.substr(5, 2)),
                   std::stoi(text.substr(8, 2)));
    }
  }
  return row;
}

class TranslateTest : public ::testing::Test {
 protected:
  void SetUp() override { translator_ = Make(DecisionMappingConfig()); }

  static std::unique_ptr<ChangeTranslator> Make(const DecisionMappingConfig& config) {
    auto mapping = DecisionMapping::Compile(config);
    EXPECT_TRUE(mapping.ok()) << mapping.status();
    return std::make_unique<ChangeTranslator>(*mapping, &validation::ReferenceData::Default());
  }

  Translation Translate(const Json& event) const {
    return translator_->FromChangeEvent(event.dump(), kNow);
  }

  static Produced MustProduce(const Translation& t) {
    if (auto* r = std::get_if<Rejected>(&t)) {
      ADD_FAILURE() << "rejected " << r->error_class << ": " << r->error_message;
    }
    EXPECT_TRUE(std::holds_alternative<Produced>(t));
    return std::holds_alternative<Produced>(t) ? std::get<Produced>(t) : Produced{};
  }

  static Rejected MustReject(const Translation& t) {
    EXPECT_TRUE(std::holds_alternative<Rejected>(t)) << "not rejected";
    return std::holds_alternative<Rejected>(t) ? std::get<Rejected>(t) : Rejected{};
  }

  std::unique_ptr<ChangeTranslator> translator_;
};

TEST_F(TranslateTest, CreateWithSchemaAndDateDaysIsAnAmendUpsertOfAPendingDecision) {
  Produced p = MustProduce(Translate(WithSchema(Event("c", nullptr, AsDays(Row()), 1000))));
  const v1::RecordEnvelope& e = p.envelope;
  EXPECT_EQ(e.action(), v1::ACTION_AMEND);
  EXPECT_EQ(e.reason(), "court change stream: op=c");
  EXPECT_EQ(e.kind(), v1::RECORD_KIND_DIVORCE_DECISION);
  EXPECT_EQ(e.business_key(), "divorce/TA79001/12%2F2026%2FQĐST-HNGĐ");
  EXPECT_EQ(records::FormatPrincipal(e.source()), "court:TA79001");
  EXPECT_EQ(e.source_sequence(), 1000u);
  EXPECT_EQ(e.schema_version(), records::kSchemaVersion);
  EXPECT_EQ(e.content_hash(), records::ContentHash(e.divorce_decision()));
  EXPECT_THAT(e.message_id(), ::testing::MatchesRegex("cdc-[0-9a-f]{40}"));
  EXPECT_EQ(p.state, DecisionState::kPending);
  EXPECT_FALSE(p.became_effective);

  v1::DivorceDecision expected = testing::DivorceDecision("12/2026/QĐST-HNGĐ");
  expected.clear_legal_effect_date();
  for (auto* spouse : {expected.mutable_spouse_a(), expected.mutable_spouse_b()}) {
    spouse->clear_ethnicity();  // the court's table has no such columns
    spouse->clear_residence();
  }
  expected.mutable_issued_at()->set_seconds(kCommitMs / 1000);  // the change's commit time
  EXPECT_EQ(e.divorce_decision().SerializeAsString(), expected.SerializeAsString())
      << e.divorce_decision().DebugString();
  EXPECT_EQ(e.issued_at().seconds(), kCommitMs / 1000);
  EXPECT_EQ(e.received_at().seconds(), kCommitMs / 1000) << "received_at = change-event time";
}

TEST_F(TranslateTest, UpdateWithoutSchemaAndIsoDatesMakesTheDecisionEffective) {
  Json after = Row();
  after["effective_date"] = "2026-10-01";
  Produced p = MustProduce(Translate(Event("u", Row(), after, 2000)));
  EXPECT_EQ(p.envelope.action(), v1::ACTION_AMEND);
  EXPECT_EQ(p.envelope.reason(), "court change stream: op=u");
  EXPECT_EQ(p.state, DecisionState::kEffective);
  EXPECT_TRUE(p.became_effective) << "before had no legal effect date";
  const auto& d = p.envelope.divorce_decision().legal_effect_date();
  EXPECT_EQ(std::make_tuple(d.year(), d.month(), d.day()), std::make_tuple(2026, 10, 1));
  EXPECT_EQ(p.envelope.source_sequence(), 2000u);

  // Correcting a name of an already effective decision is not "became effective".
  Json corrected = after;
  corrected["spouse1_full_name"] = "Trần Văn Minh Anh";
  Produced later = MustProduce(Translate(Event("u", after, corrected, 2100)));
  EXPECT_EQ(later.state, DecisionState::kEffective);
  EXPECT_FALSE(later.became_effective);
}

TEST_F(TranslateTest, WithAndWithoutSchemaTheSameChangeIsTheSameRecord) {
  Json event = Event("u", nullptr, AsDays(Row()), 3000);
  Produced bare = MustProduce(Translate(event));
  Produced wrapped = MustProduce(Translate(WithSchema(event)));
  Produced iso = MustProduce(Translate(Event("u", nullptr, Row(), 3000)));
  EXPECT_EQ(bare.envelope.content_hash(), wrapped.envelope.content_hash());
  EXPECT_EQ(bare.envelope.content_hash(), iso.envelope.content_hash());
  EXPECT_EQ(bare.envelope.message_id(), iso.envelope.message_id());
}

TEST_F(TranslateTest, SnapshotReadIsAnAmendThatNeverCountsAsBecomingEffective) {
  Json row = Row();
  row["effective_date"] = "2026-10-01";
  Produced p = MustProduce(Translate(Event("r", nullptr, row, 500)));
  EXPECT_EQ(p.envelope.action(), v1::ACTION_AMEND);
  EXPECT_EQ(p.envelope.reason(), "court change stream: op=r");
  EXPECT_EQ(p.op, "r");
  EXPECT_EQ(p.state, DecisionState::kEffective);
  EXPECT_FALSE(p.became_effective);
}

TEST_F(TranslateTest, SetAsideColumnsMakeASetAsideDecision) {
  Json row = Row();
  row["effective_date"] = "2026-10-01";
  row["set_aside_date"] = "2026-11-01";
  row["set_aside_by_decision_no"] = "05/2026/GĐT-DS";
  row["set_aside_reason"] = "giám đốc thẩm";
  Produced p = MustProduce(Translate(Event("u", nullptr, row, 4000)));
  EXPECT_EQ(p.state, DecisionState::kSetAside);
  const v1::SetAside& s = p.envelope.divorce_decision().set_aside();
  EXPECT_EQ(s.by_decision_no(), "05/2026/GĐT-DS");
  EXPECT_EQ(s.reason(), "giám đốc thẩm");
  EXPECT_EQ(s.set_aside_on().month(), 11);
}

TEST_F(TranslateTest, DeleteIsAVoidCarryingOnlyTheKey) {
  Produced p = MustProduce(Translate(Event("d", Row(), nullptr, 5000)));
  EXPECT_EQ(p.envelope.action(), v1::ACTION_VOID);
  EXPECT_EQ(p.envelope.reason(), "deleted in the court database");
  EXPECT_EQ(p.state, DecisionState::kDeleted);
  EXPECT_EQ(p.envelope.business_key(), "divorce/TA79001/12%2F2026%2FQĐST-HNGĐ");
  EXPECT_EQ(p.envelope.source_sequence(), 5000u);
  v1::DivorceDecision key_only;
  *key_only.mutable_key() = testing::DivorceDecision("12/2026/QĐST-HNGĐ").key();
  EXPECT_EQ(p.envelope.divorce_decision().SerializeAsString(), key_only.SerializeAsString());
  EXPECT_EQ(p.envelope.issued_at().seconds(), kCommitMs / 1000);
}

TEST_F(TranslateTest, TombstoneIsSkipped) {
  Translation t = translator_->FromChangeEvent(std::nullopt, kNow);
  ASSERT_TRUE(std::holds_alternative<Skipped>(t));
  EXPECT_EQ(std::get<Skipped>(t).reason, "tombstone");
  // The same written with schemas enabled.
  Translation with_schema = Translate(Json{{"schema", nullptr}, {"payload", nullptr}});
  ASSERT_TRUE(std::holds_alternative<Skipped>(with_schema));
}

TEST_F(TranslateTest, ReReadingAChangeGivesTheSameMessageIdAndAnotherPositionAnother) {
  Json event = Event("u", nullptr, Row(), 6000);
  Produced first = MustProduce(Translate(event));
  Produced again = MustProduce(translator_->FromChangeEvent(event.dump(), kNow + absl::Hours(5)));
  EXPECT_EQ(first.envelope.message_id(), again.envelope.message_id());
  Produced moved = MustProduce(Translate(Event("u", nullptr, Row(), 6001)));
  EXPECT_NE(first.envelope.message_id(), moved.envelope.message_id());
  EXPECT_EQ(first.envelope.content_hash(), moved.envelope.content_hash());
}

TEST_F(TranslateTest, MySqlBinlogPositionOrdersByFileThenOffset) {
  Json event = Event("u", nullptr, Row(), 0);
  event["source"].erase("lsn");
  event["source"]["connector"] = "mysql";
  event["source"]["file"] = "mysql-bin.000003";
  event["source"]["pos"] = 154;
  Produced p = MustProduce(Translate(event));
  EXPECT_EQ(p.envelope.source_sequence(), (uint64_t{3} << 32) + 154);
  event["source"]["file"] = "mysql-bin.000004";
  event["source"]["pos"] = 4;
  EXPECT_GT(MustProduce(Translate(event)).envelope.source_sequence(), p.envelope.source_sequence());
}

TEST_F(TranslateTest, WithoutLsnOrBinlogThePositionIsTheCommitTimeInMicroseconds) {
  Json event = Event("u", nullptr, Row(), 0);
  event["source"].erase("lsn");
  EXPECT_EQ(MustProduce(Translate(event)).envelope.source_sequence(),
            static_cast<uint64_t>(kCommitMs) * 1000);
  event.erase("source");
  EXPECT_EQ(MustProduce(Translate(event)).envelope.source_sequence(),
            static_cast<uint64_t>(kCommitMs + 150) * 1000)
      << "no source block: the event's own ts_ms";
}

TEST_F(TranslateTest, DateEncodings) {
  EXPECT_EQ(ParseDateValue(Json(Days(2026, 10, 1)), "").value().day(), 1);
  EXPECT_EQ(ParseDateValue(Json(Days(2026, 10, 1)), "io.debezium.time.Date").value().month(), 10);
  EXPECT_EQ(ParseDateValue(Json("2024-02-29"), "").value().day(), 29);
  // MySQL DATETIME → io.debezium.time.Timestamp (ms), wall clock written as UTC.
  int64_t ms = absl::ToUnixMillis(
      absl::FromCivil(absl::CivilSecond(2026, 10, 1, 23, 30, 0), absl::UTCTimeZone()));
  EXPECT_EQ(ParseDateValue(Json(ms), "io.debezium.time.Timestamp").value().day(), 1);
  EXPECT_EQ(ParseDateValue(Json(ms * 1000), "io.debezium.time.MicroTimestamp").value().day(), 1);
  EXPECT_THAT(ParseDateValue(Json("2026-02-30"), ""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseDateValue(Json("01/10/2026"), ""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseDateValue(Json(1.5), ""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseDateValue(Json(1), "io.debezium.time.ZonedTimestamp"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// Found by change_event_fuzz: a Timestamp (ms) date column near INT64_MAX overflowed n * 1000
// (undefined behaviour; in practice it wrapped to a plausible 1969 date that was accepted).
TEST_F(TranslateTest, WallClockDatesAtTheInt64LimitsAreRejectedNotOverflowed) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  for (const char* type : {"io.debezium.time.Timestamp", "io.debezium.time.MicroTimestamp",
                           "io.debezium.time.Date", ""}) {
    for (int64_t n : {kMax, kMin}) {
      EXPECT_THAT(ParseDateValue(Json(n), type), StatusIs(absl::StatusCode::kInvalidArgument))
          << type << " " << n;
    }
  }
  // Nanoseconds reach only 1677..2262; before 1970 they round down to the earlier day.
  auto nano = ParseDateValue(Json(kMax), "io.debezium.time.NanoTimestamp");
  ASSERT_TRUE(nano.ok()) << nano.status();
  EXPECT_EQ(std::make_tuple(nano->year(), nano->month(), nano->day()), std::make_tuple(2262, 4, 11));
  nano = ParseDateValue(Json(int64_t{-1}), "io.debezium.time.NanoTimestamp");
  ASSERT_TRUE(nano.ok()) << nano.status();
  EXPECT_EQ(std::make_tuple(nano->year(), nano->month(), nano->day()), std::make_tuple(1969, 12, 31));
}

TEST_F(TranslateTest, IssuedAtColumnAcceptsZonedAndWallClockTimestamps) {
  DecisionMappingConfig config;
  config.column_issued_at = "updated_at";
  auto translator = Make(config);
  Json row = Row();
  row["updated_at"] = "2026-09-20T15:00:00+07:00";
  Produced p = MustProduce(translator->FromChangeEvent(Event("u", nullptr, row, 1).dump(), kNow));
  absl::Time expected =
      absl::FromCivil(absl::CivilSecond(2026, 9, 20, 8, 0, 0), absl::UTCTimeZone());
  EXPECT_EQ(p.envelope.divorce_decision().issued_at().seconds(), absl::ToUnixSeconds(expected));
  // A PostgreSQL `timestamp` column without schema: MicroTimestamp of Vietnam wall-clock time.
  row["updated_at"] = absl::ToUnixMicros(
      absl::FromCivil(absl::CivilSecond(2026, 9, 20, 15, 0, 0), absl::UTCTimeZone()));
  p = MustProduce(translator->FromChangeEvent(Event("u", nullptr, row, 2).dump(), kNow));
  EXPECT_EQ(p.envelope.divorce_decision().issued_at().seconds(), absl::ToUnixSeconds(expected));
}

TEST_F(TranslateTest, CustomMappingWithAFixedCourtAndNumericValueCodes) {
  DecisionMappingConfig config;
  config.column_court_code = "";
  config.court_code = "TA01002";
  config.column_kind = "loai";
  config.kind_values = {"1=JUDGMENT", "2=CONSENSUAL_RECOGNITION", "3=ANNULMENT"};
  config.column_marriage_commune_code = "";
  config.column_marriage_book = "";
  config.column_marriage_registration_no = "";
  config.column_marriage_registered_on = "";
  auto translator = Make(config);
  Json row = Row();
  row.erase("court_code");
  row.erase("decision_type");
  row["loai"] = 3;
  row["spouse1_sex"] = 1;
  row["spouse2_sex"] = "2";
  Produced p = MustProduce(translator->FromChangeEvent(Event("c", nullptr, row, 1).dump(), kNow));
  const v1::DivorceDecision& d = p.envelope.divorce_decision();
  EXPECT_EQ(d.key().court_code(), "TA01002");
  EXPECT_EQ(d.kind(), v1::DECISION_KIND_ANNULMENT);
  EXPECT_EQ(d.spouse_a().sex(), common::v1::SEX_MALE);
  EXPECT_EQ(d.spouse_b().sex(), common::v1::SEX_FEMALE);
  EXPECT_FALSE(d.has_marriage());
}

// ------------------------------------------------------------------------- dead letters

TEST_F(TranslateTest, BytesThatAreNotJsonAreDecodeDeadLetters) {
  Rejected r = MustReject(translator_->FromChangeEvent(std::string("\x01\x02{nope"), kNow));
  EXPECT_EQ(r.error_class, kErrorDecode);
  EXPECT_EQ(r.error_message, "not JSON: the message value (7 bytes) does not parse");
}

TEST_F(TranslateTest, EnvelopeProblemsAreMappingDeadLettersNamingTheField) {
  auto error = [&](const Json& event) { return MustReject(Translate(event)).error_message; };
  Json no_op = Event("c", nullptr, Row(), 1);
  no_op.erase("op");
  EXPECT_EQ(error(no_op), "op is required (c, u, d or r)");
  EXPECT_EQ(error(Event("t", nullptr, nullptr, 1)),
            "op \"t\" is not a row change (only c, u, d and r are)");
  EXPECT_EQ(error(Event("c", nullptr, nullptr, 1)), "after is required for op c");
  EXPECT_EQ(error(Event("d", nullptr, nullptr, 1)), "before is required for op d (the deleted row)");
  Json bad_lsn = Event("u", nullptr, Row(), 1);
  bad_lsn["source"]["lsn"] = "0/16B3748";
  EXPECT_EQ(error(bad_lsn), "source.lsn must be a non-negative integer");
  Json no_time = Event("u", nullptr, Row(), 1);
  no_time["source"].erase("ts_ms");
  no_time.erase("ts_ms");
  EXPECT_EQ(error(no_time), "source.ts_ms (or ts_ms) is required");
  EXPECT_EQ(MustReject(Translate(Json::array())).error_message,
            "the change event must be a JSON object");
  EXPECT_EQ(MustReject(Translate(no_op)).error_class, kErrorMapping);
}

// A commit time whose microseconds do not fit in 64 bits: commit_ms * 1000 (the position of a
// change without lsn or binlog position) wrapped around from about 1.8e16 on, and the change
// was rejected with "the change's position ... is 0" (or got a wrong position).
TEST_F(TranslateTest, ACommitTimeBeyondItsMicrosecondsIn64BitsIsAMappingDeadLetterNamingTheField) {
  constexpr uint64_t kMaxMs = static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / 1000;
  const std::string kSourceTsError = "source.ts_ms must be below 2^63 / 1000 (Unix milliseconds)";
  Json event = Event("u", nullptr, Row(), 0);
  event["source"].erase("lsn");  // the position is the commit time in microseconds
  for (uint64_t ms : {uint64_t{1} << 61,                       // * 1000 wrapped to 0
                      uint64_t{20'000'000'000'000'000},        // wrapped to a plausible position
                      kMaxMs + 1,                              // above 2^63 - 1 microseconds
                      std::numeric_limits<uint64_t>::max()}) {
    event["source"]["ts_ms"] = ms;
    Rejected r = MustReject(Translate(event));
    EXPECT_EQ(r.error_class, kErrorMapping) << ms;
    EXPECT_EQ(r.error_message, kSourceTsError) << ms;
  }
  Json with_lsn = Event("u", nullptr, Row(), 7);
  with_lsn["source"]["ts_ms"] = kMaxMs + 1;
  EXPECT_EQ(MustReject(Translate(with_lsn)).error_message, kSourceTsError)
      << "the commit time is out of range whatever gives the position";
  Json no_source = Event("u", nullptr, Row(), 0);
  no_source.erase("source");
  no_source["ts_ms"] = uint64_t{1} << 61;
  EXPECT_EQ(MustReject(Translate(no_source)).error_message,
            "ts_ms must be below 2^63 / 1000 (Unix milliseconds)");

  event["source"]["ts_ms"] = kMaxMs;  // the latest commit time that has a position
  auto parsed = ParseChangeEvent(event.dump());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->position, kMaxMs * 1000);
  EXPECT_EQ(parsed->position_origin, PositionOrigin::kTsMs);
}

TEST_F(TranslateTest, RowsThatDoNotFitTheMappingAreMappingDeadLettersNamingColumnAndKey) {
  auto reject = [&](Json row) { return MustReject(Translate(Event("u", nullptr, row, 7))); };
  Json row = Row();
  row.erase("effective_date");
  Rejected r = reject(row);
  EXPECT_EQ(r.error_class, kErrorMapping);
  EXPECT_EQ(r.error_message,
            "column effective_date (court_source.column_legal_effect_date) is not in the row "
            "(the mapping does not fit the table)");
  EXPECT_EQ(r.source, "court:TA79001");
  EXPECT_EQ(r.op, "u");

  row = Row();
  row["decision_type"] = "LY_THAN";
  EXPECT_EQ(reject(row).error_message,
            "column decision_type (court_source.column_kind): value \"LY_THAN\" is not in "
            "court_source.kind_values");
  row = Row();
  row["decision_date"] = "15/09/2026";
  EXPECT_EQ(reject(row).error_message,
            "column decision_date (court_source.column_decision_date): is not a date: expected "
            "\"YYYY-MM-DD\" or days since 1970-01-01");
  row = Row();
  row["spouse2_sex"] = "X";
  EXPECT_EQ(reject(row).error_message,
            "column spouse2_sex (court_source.column_spouse_b_sex): value is not in "
            "court_source.sex_values");
  row = Row();
  row["spouse1_full_name"] = Json::object({{"given", "Minh"}});
  EXPECT_EQ(reject(row).error_message,
            "column spouse1_full_name (court_source.column_spouse_a_full_name): must be text (a "
            "JSON string)");
}

TEST_F(TranslateTest, DeleteWhoseBeforeHoldsOnlyTheTablesPrimaryKeyIsAMappingDeadLetter) {
  // PostgreSQL's default REPLICA IDENTITY puts only the primary key in `before`.
  Rejected r = MustReject(Translate(Event("d", Json{{"id", 4711}}, nullptr, 9)));
  EXPECT_EQ(r.error_class, kErrorMapping);
  EXPECT_EQ(r.error_message,
            "column court_code (court_source.column_court_code) is not in the row (the mapping "
            "does not fit the table)");
  EXPECT_EQ(r.op, "d");
}

TEST_F(TranslateTest, MappedRowsFailingTheRulesAreValidationDeadLettersNamingFieldAndColumn) {
  Json row = Row();
  row["spouse1_sex"] = "F";  // the ID's digit 4 says male
  row["effective_date"] = "2026-09-01";  // before the decision date
  Rejected r = MustReject(Translate(Event("u", nullptr, row, 8)));
  EXPECT_EQ(r.error_class, kErrorValidation);
  EXPECT_EQ(r.error_message,
            "divorce_decision.legal_effect_date (column effective_date): legal effect date "
            "2026-09-01 is before decision date 2026-09-15; "
            "divorce_decision.spouse_a.personal_id.number (column spouse1_personal_id): digit 4 "
            "says male but sex is SEX_FEMALE");
  EXPECT_EQ(r.source, "court:TA79001");
  EXPECT_THAT(r.error_message, ::testing::Not(HasSubstr("001090005678")));

  row = Row();
  for (const char* column : {"spouse2_personal_id", "spouse2_full_name", "spouse2_sex",
                             "spouse2_birth_date"}) {
    row[column] = nullptr;
  }
  EXPECT_EQ(MustReject(Translate(Event("c", nullptr, row, 9))).error_message,
            "divorce_decision.spouse_b (column spouse2_birth_date, spouse2_full_name, "
            "spouse2_personal_id, spouse2_sex): is required");

  row = Row();
  row["court_code"] = "ta79";
  Rejected bad_court = MustReject(Translate(Event("d", row, nullptr, 10)));
  EXPECT_EQ(bad_court.error_class, kErrorValidation);
  EXPECT_THAT(bad_court.error_message,
              HasSubstr("divorce_decision.key.court_code (column court_code): "));
  EXPECT_EQ(bad_court.source, "") << "not a court code: no crvs-source";
}

TEST(DecisionMappingCompile, RejectsBadValueMapsAndCourtSettingsNamingTheKey) {
  DecisionMappingConfig config;
  config.kind_values = {"BAN_AN"};
  EXPECT_EQ(DecisionMapping::Compile(config).status().message(),
            "court_source.kind_values: 'BAN_AN' is not court_value=NAME");
  config.kind_values = {"BAN_AN=DIVORCE"};
  EXPECT_EQ(DecisionMapping::Compile(config).status().message(),
            "court_source.kind_values: 'DIVORCE' is not one of JUDGMENT, "
            "CONSENSUAL_RECOGNITION, ANNULMENT");
  config = DecisionMappingConfig();
  config.sex_values = {"M=MALE", "M=FEMALE"};
  EXPECT_EQ(DecisionMapping::Compile(config).status().message(),
            "court_source.sex_values: court value 'M' appears twice");
  config = DecisionMappingConfig();
  config.column_court_code = "";
  EXPECT_THAT(DecisionMapping::Compile(config), StatusIs(absl::StatusCode::kInvalidArgument));
  config.court_code = "TA01002";
  EXPECT_TRUE(DecisionMapping::Compile(config).ok());
  config.column_court_code = "court_code";
  EXPECT_EQ(DecisionMapping::Compile(config).status().message(),
            "court_source.court_code: set either it or court_source.column_court_code, not both");
  config = DecisionMappingConfig();
  config.column_decision_no = "";
  EXPECT_EQ(DecisionMapping::Compile(config).status().message(),
            "court_source.column_decision_no: the decision number column is required");
}

TEST_F(TranslateTest, ExportRowIsReSentAsAnAmendAtTheGivenPosition) {
  Json row = Row();
  row["effective_date"] = "2026-10-01";
  absl::Time committed = absl::FromUnixMillis(kCommitMs);
  Produced p = MustProduce(translator_->FromExportRow(row, 42, committed, kNow));
  EXPECT_EQ(p.op, "resend");
  EXPECT_EQ(p.envelope.action(), v1::ACTION_AMEND);
  EXPECT_EQ(p.envelope.source_sequence(), 42u);
  EXPECT_THAT(p.envelope.message_id(), ::testing::MatchesRegex("resend-[0-9a-f]{40}"));
  EXPECT_EQ(p.envelope.divorce_decision().issued_at().seconds(), kCommitMs / 1000);
  EXPECT_EQ(p.envelope.received_at().seconds(), absl::ToUnixSeconds(kNow));
  EXPECT_FALSE(p.became_effective);
  EXPECT_EQ(MustProduce(translator_->FromExportRow(row, 42, committed, kNow + absl::Hours(1)))
                .envelope.message_id(),
            p.envelope.message_id())
      << "serving the same request twice is a duplicate";
}

}  // namespace
}  // namespace crvs::court_source
