// The pure part of writing a registration through the API: synthetic Kafka coordinates and
// the status of each CONFLICT rule of Store::Apply.
#include "services/registry/registration_write.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/records/records.h"
#include "tests/support/fixtures.h"
#include "tests/support/status_matchers.h"

namespace crvs::registry {
namespace {

namespace common = ::crvs::common::v1;
namespace rv1 = ::crvs::records::v1;
namespace t = ::crvs::testing;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using t::StatusIs;

common::Principal Office(const std::string& code = "26734") {
  common::Principal p;
  p.set_kind(common::PRINCIPAL_KIND_REGISTRY_OFFICE);
  p.set_code(code);
  return p;
}

rv1::RecordEnvelope Envelope(rv1::Action action, const std::string& message_id,
                             const rv1::Registration& registration = t::BirthRegistration()) {
  rv1::RecordEnvelope e;
  e.set_message_id(message_id);
  e.set_action(action);
  if (action != rv1::ACTION_SUBMIT) e.set_reason("sửa sai");
  *e.mutable_source() = Office();
  *e.mutable_registration() = registration;
  records::CompleteEnvelope(&e, t::At("2026-10-28T04:00:00Z"));
  return e;
}

// The record as the store would show it after `envelopes` were applied, in order.
registry::v1::RecordView View(const std::vector<rv1::RecordEnvelope>& envelopes) {
  registry::v1::RecordView view;
  view.set_business_key(envelopes.front().business_key());
  view.set_kind(rv1::RECORD_KIND_REGISTRATION);
  for (const auto& e : envelopes) {
    auto* v = view.add_versions();
    v->set_version(view.versions_size());
    v->set_action(e.action());
    v->set_content_hash(e.content_hash());
    v->set_message_id(e.message_id());
    *v->mutable_envelope() = e;
    view.set_current_version(v->version());
    view.set_state(e.action() == rv1::ACTION_VOID ? registry::v1::RECORD_STATE_VOIDED
                                                  : registry::v1::RECORD_STATE_ACTIVE);
  }
  return view;
}

TEST(ApiOffsetTest, IsDeterministicNonNegativeAndDiffersBySourceAndMessageId) {
  const store::Offset a = ApiOffset(Office(), "26734-1");
  EXPECT_EQ(a, ApiOffset(Office(), "26734-1"));
  EXPECT_GE(a.value(), 0);
  EXPECT_NE(a, ApiOffset(Office(), "26734-2"));
  EXPECT_NE(a, ApiOffset(Office("26735"), "26734-1"));
  for (int i = 0; i < 1000; ++i) {
    EXPECT_GE(ApiOffset(Office(), std::to_string(i)).value(), 0);
  }
}

TEST(ApiRecordTest, CarriesTheEnvelopeAtTheApiTopicWithItsHeaders) {
  const rv1::RecordEnvelope e = Envelope(rv1::ACTION_SUBMIT, "26734-1");
  const store::InboundRecord r = ApiRecord(e);
  EXPECT_EQ(r.message.topic_partition.topic.value(), "registry-api");
  EXPECT_EQ(r.message.topic_partition.partition.value(), 0);
  EXPECT_EQ(r.message.offset, ApiOffset(Office(), "26734-1"));
  EXPECT_EQ(r.message.key, "registration/26734/01%2F2026/123");
  EXPECT_EQ(r.message.value, e.SerializeAsString());
  std::vector<std::string> header_keys;
  for (const auto& h : r.message.headers) header_keys.push_back(h.key);
  EXPECT_THAT(header_keys, ElementsAre("crvs-schema", "crvs-source", "crvs-message-id",
                                       "crvs-trace-id", "crvs-issued-at", "crvs-received-at"));
  EXPECT_EQ(r.message.headers[1].value, "registry_office:26734");
  EXPECT_EQ(r.envelope.SerializeAsString(), e.SerializeAsString());
}

rv1::Registration Renumbered(const std::string& no) { return t::BirthRegistration(no); }

rv1::Registration Changed() {
  rv1::Registration r = t::BirthRegistration();
  r.mutable_subject()->set_full_name("Trần Minh Khang");
  return r;
}

TEST(ConflictStatusTest, SubmitOfAVoidedKeyIsFailedPrecondition) {
  const auto submit = Envelope(rv1::ACTION_SUBMIT, "m-3");
  const auto view = View({Envelope(rv1::ACTION_SUBMIT, "m-1"), Envelope(rv1::ACTION_VOID, "m-2")});
  const absl::Status s = ConflictStatus(submit, view);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(s.message()), HasSubstr("is voided"));
}

TEST(ConflictStatusTest, AmendOfAVoidedKeyIsFailedPrecondition) {
  const auto view = View({Envelope(rv1::ACTION_VOID, "m-1")});
  EXPECT_THAT(ConflictStatus(Envelope(rv1::ACTION_AMEND, "m-2", Changed()), view),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(ConflictStatusTest, SubmitWithOtherContentForARecordedKeyIsAlreadyExists) {
  const auto view = View({Envelope(rv1::ACTION_SUBMIT, "m-1")});
  const absl::Status s = ConflictStatus(Envelope(rv1::ACTION_SUBMIT, "m-2", Changed()), view);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(std::string(s.message()), HasSubstr("ACTION_AMEND"));
}

TEST(ConflictStatusTest, MessageIdReusedForAnotherKeyNamesMessageId) {
  // m-1 made registration 124; a SUBMIT of the unknown key 123 under m-1 is refused.
  const absl::Status s = ConflictStatus(Envelope(rv1::ACTION_SUBMIT, "m-1"),
                                        absl::NotFoundError("no record"));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(t::ViolatedFields(s), ElementsAre("message_id"));
}

TEST(ConflictStatusTest, MessageIdReusedOnTheSameKeyWithOtherContentNamesMessageId) {
  const auto view = View({Envelope(rv1::ACTION_SUBMIT, "m-1")});
  EXPECT_THAT(t::ViolatedFields(ConflictStatus(Envelope(rv1::ACTION_SUBMIT, "m-1", Changed()), view)),
              ElementsAre("message_id"));
}

TEST(ConflictStatusTest, SubmitOfHeldContentUnderAReusedMessageIdNamesMessageId) {
  // Content the key holds would be a DUPLICATE; CONFLICT means the message id was reused.
  const auto view = View({Envelope(rv1::ACTION_SUBMIT, "m-1")});
  EXPECT_THAT(t::ViolatedFields(ConflictStatus(Envelope(rv1::ACTION_SUBMIT, "m-9"), view)),
              ElementsAre("message_id"));
}

TEST(ConflictStatusTest, AmendOrVoidOfAKeyInForceConflictsOnlyOnTheirMessageId) {
  const auto view = View({Envelope(rv1::ACTION_SUBMIT, "m-1")});
  EXPECT_THAT(t::ViolatedFields(ConflictStatus(Envelope(rv1::ACTION_AMEND, "m-1", Changed()), view)),
              ElementsAre("message_id"));
  EXPECT_THAT(t::ViolatedFields(ConflictStatus(Envelope(rv1::ACTION_VOID, "m-1"), view)),
              ElementsAre("message_id"));
}

TEST(ConflictStatusTest, VoidOfAVoidedKeyConflictsOnlyOnItsMessageId) {
  const auto view = View({Envelope(rv1::ACTION_VOID, "m-1")});
  EXPECT_THAT(t::ViolatedFields(ConflictStatus(Envelope(rv1::ACTION_VOID, "m-7", Renumbered("123")), view)),
              ElementsAre("message_id"));
}

}  // namespace
}  // namespace crvs::registry
