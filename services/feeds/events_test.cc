#include "services/feeds/events.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/feeds/subscribers.h"
#include "services/store/record_rules.h"
#include "services/store/store_test_util.h"
#include "tests/support/status_matchers.h"

namespace crvs::feeds {
namespace {

namespace v1 = records::v1;
using ::crvs::testing::IsOk;
using ::crvs::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsSubsetOf;
namespace st = store::testing;

VersionRow Row(const v1::RecordEnvelope& e, int64_t version, const std::string& previous = "") {
  VersionRow row;
  row.business_key = e.business_key();
  row.version = version;
  row.action = store::rules::ActionName(e.action());
  row.envelope = e.SerializeAsString();
  row.previous = previous;
  return row;
}

std::vector<std::string> Types(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.type);
  return out;
}

TEST(EventsTest, ABirthCertificateIsNotifiedWithOnlyKnownFields) {
  auto e = st::Envelope(crvs::testing::BirthCertificate(), v1::ACTION_SUBMIT, "m-1");
  auto events = EventsOf(Row(e, 1));
  ASSERT_THAT(events, IsOk());
  ASSERT_THAT(Types(*events), ElementsAre("birth.notified"));
  const auto& p = (*events)[0].payload;
  EXPECT_EQ(p["child"]["full_name"], "Trần Minh An");
  EXPECT_EQ(p["mother"]["personal_id"], "079194001234");
  EXPECT_EQ(p["record"]["business_key"], e.business_key());
  std::set<std::string> known = KnownFields();
  for (const char* f : {"record.business_key", "record.kind", "record.version", "record.action"}) {
    known.insert(f);
  }
  EXPECT_THAT(FieldPaths(p), IsSubsetOf(known));
}

TEST(EventsTest, ADeathNoticeAssertsTheDeathAndItsVoidWithdrawsIt) {
  auto submit = st::Envelope(crvs::testing::DeathNotice(), v1::ACTION_SUBMIT, "m-1");
  auto events = EventsOf(Row(submit, 1));
  ASSERT_THAT(events, IsOk());
  ASSERT_THAT(Types(*events), ElementsAre("death.notified", "status.changed"));
  EXPECT_EQ((*events)[1].person, "001052003456");
  EXPECT_EQ((*events)[1].payload["status"]["change"], "ASSERTED");
  EXPECT_EQ((*events)[1].payload["status"]["fact"], "DEATH_NOTICE");

  // An amend that changes no status: only record.amended.
  v1::DeathNotice amended = crvs::testing::DeathNotice();
  amended.mutable_deceased()->set_full_name("Hoàng Văn Tứ");
  auto amend = st::Envelope(amended, v1::ACTION_AMEND, "m-2");
  auto amend_events = EventsOf(Row(amend, 2, submit.SerializeAsString()));
  ASSERT_THAT(amend_events, IsOk());
  ASSERT_THAT(Types(*amend_events), ElementsAre("record.amended"));
  EXPECT_EQ((*amend_events)[0].base_type, "death.notified");
  EXPECT_EQ((*amend_events)[0].payload["deceased"]["full_name"], "Hoàng Văn Tứ");

  v1::RecordEnvelope voided;
  voided.set_business_key(submit.business_key());
  voided.set_action(v1::ACTION_VOID);
  voided.set_reason("issued in error");
  auto void_events = EventsOf(Row(voided, 3, amend.SerializeAsString()));
  ASSERT_THAT(void_events, IsOk());
  ASSERT_THAT(Types(*void_events), ElementsAre("record.voided", "status.changed"));
  EXPECT_EQ((*void_events)[0].base_type, "death.notified");
  EXPECT_EQ((*void_events)[0].payload["void"]["reason"], "issued in error");
  EXPECT_FALSE((*void_events)[0].payload.contains("deceased"));
  EXPECT_EQ((*void_events)[1].payload["status"]["change"], "WITHDRAWN");
}

TEST(EventsTest, RegistrationsAreRegisteredEvents) {
  auto birth = st::Envelope(crvs::testing::BirthRegistration(), v1::ACTION_SUBMIT, "m-1");
  auto death = st::Envelope(st::DeathRegistration("9", crvs::testing::Date(2026, 10, 27)),
                            v1::ACTION_SUBMIT, "m-2");
  auto b = EventsOf(Row(birth, 1));
  auto d = EventsOf(Row(death, 1));
  ASSERT_THAT(b, IsOk());
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ((*b)[0].type, "birth.registered");
  EXPECT_EQ((*d)[0].type, "death.registered");
  EXPECT_EQ((*d)[0].payload["registration"]["number"], "9");
}

TEST(EventsTest, AStoredEnvelopeThatDoesNotParseIsDataLoss) {
  VersionRow row;
  row.business_key = "birth/BV/1";
  row.version = 1;
  row.action = "SUBMIT";
  row.envelope = "\xff\xff not a proto";
  EXPECT_THAT(EventsOf(row), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("birth/BV/1 v1")));
}

TEST(ProjectTest, OnlyTheSubscribersFieldsLeave) {
  auto e = st::Envelope(crvs::testing::BirthCertificate(), v1::ACTION_SUBMIT, "m-1");
  auto events = EventsOf(Row(e, 1));
  ASSERT_THAT(events, IsOk());
  nlohmann::json projected =
      Project((*events)[0].payload, {"child.full_name", "child.sex", "mother.personal_id"});
  EXPECT_THAT(FieldPaths(projected),
              ElementsAre("child.full_name", "child.sex", "mother.personal_id",
                          "record.action", "record.business_key", "record.kind",
                          "record.version"));
}

TEST(SubscribersTest, ErrorsNameTheEntryAndTheValue) {
  EXPECT_THAT(ParseSubscribers(R"({"subscribers": [{"name": "a", "events": ["birth.registred"]}]})",
                               "s.json"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("s.json: subscribers[0].events[0]: unknown event type \"birth.registred\"")));
  EXPECT_THAT(ParseSubscribers(R"({"subscribers": [{"name": "a", "events": ["birth.registered"],
                                   "fields": ["child.fullname"]}]})",
                               "s.json"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown field \"child.fullname\"")));
  EXPECT_THAT(ParseSubscribers(R"({"subscribers": [{"name": "a", "events": ["birth.registered"],
                                   "revokd": true}]})",
                               "s.json"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown key \"revokd\"")));
  EXPECT_THAT(ParseSubscribers("{", "s.json"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("s.json: not valid JSON")));
}

TEST(SubscribersTest, TheDeployedExampleLoads) {
  auto subs = LoadSubscribers(std::string(CRVS_SOURCE_DIR) + "/deploy/feeds/subscribers.json");
  ASSERT_THAT(subs, IsOk());
  EXPECT_NE(subs->Find("population-db"), nullptr);
  EXPECT_NE(subs->Find("social-insurance"), nullptr);
  EXPECT_NE(subs->Find("statistics-office"), nullptr);
}

TEST(SubscribersTest, AnAmendFollowsItsRecord) {
  auto subs = ParseSubscribers(
      R"({"subscribers": [{"name": "si", "events": ["death.registered", "record.amended"]}]})", "s");
  ASSERT_THAT(subs, IsOk());
  const Subscriber& si = *subs->Find("si");
  Event amend_of_death{"record.amended", "death.registered", "", {}};
  Event amend_of_birth{"record.amended", "birth.registered", "", {}};
  Event death{"death.registered", "death.registered", "", {}};
  EXPECT_TRUE(si.Wants(amend_of_death));
  EXPECT_FALSE(si.Wants(amend_of_birth));
  EXPECT_TRUE(si.Wants(death));
}

}  // namespace
}  // namespace crvs::feeds
