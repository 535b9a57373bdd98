// The answer to each rule by which the store refuses a registration written through the API
// (Store::WriteRecord on a real SQLite file, then RefusalStatus).
#include "services/registry/registration_write.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

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

// A SQLite store for one test: the refusals come from the store's own rules, not from a
// hand-made result.
class RefusalStatusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    dir_ = std::filesystem::temp_directory_path() /
           ("crvs_registration_write_test_" + std::to_string(::getpid()) + "_" +
            std::to_string(++counter));
    std::filesystem::create_directories(dir_);
    store::DatabaseConfig config;
    config.url = "sqlite:" + (dir_ / "crvs.db").string();
    auto opened = store::Store::Open(config);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
  }
  void TearDown() override {
    store_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  void Written(const rv1::RecordEnvelope& e) {
    auto w = store_->WriteRecord(e);
    ASSERT_TRUE(w.ok()) << w.status();
    ASSERT_EQ(w->record.refusal, store::Refusal::kNone) << w->record.error_message;
  }
  // The status of `e`, which the store must refuse.
  absl::Status Refused(const rv1::RecordEnvelope& e) {
    auto w = store_->WriteRecord(e);
    if (!w.ok()) return w.status();
    EXPECT_NE(w->record.refusal, store::Refusal::kNone);
    return RefusalStatus(e, w->record);
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
};

rv1::Registration Renumbered(const std::string& no) { return t::BirthRegistration(no); }

rv1::Registration Changed() {
  rv1::Registration r = t::BirthRegistration();
  r.mutable_subject()->set_full_name("Trần Minh Khang");
  return r;
}

TEST_F(RefusalStatusTest, SubmitOfAVoidedKeyIsFailedPrecondition) {
  Written(Envelope(rv1::ACTION_SUBMIT, "m-1"));
  Written(Envelope(rv1::ACTION_VOID, "m-2"));
  const absl::Status s = Refused(Envelope(rv1::ACTION_SUBMIT, "m-3"));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(s.message()), HasSubstr("is voided"));
}

TEST_F(RefusalStatusTest, AmendOfAVoidedKeyIsFailedPrecondition) {
  Written(Envelope(rv1::ACTION_VOID, "m-1"));
  EXPECT_THAT(Refused(Envelope(rv1::ACTION_AMEND, "m-2", Changed())),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(RefusalStatusTest, SubmitWithOtherContentForARecordedKeyIsAlreadyExists) {
  Written(Envelope(rv1::ACTION_SUBMIT, "m-1"));
  const absl::Status s = Refused(Envelope(rv1::ACTION_SUBMIT, "m-2", Changed()));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(std::string(s.message()), HasSubstr("version 1"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("ACTION_AMEND"));
}

TEST_F(RefusalStatusTest, MessageIdReusedForAnotherKeyNamesMessageId) {
  Written(Envelope(rv1::ACTION_SUBMIT, "m-1", Renumbered("124")));
  const absl::Status s = Refused(Envelope(rv1::ACTION_SUBMIT, "m-1"));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(t::ViolatedFields(s), ElementsAre("message_id"));
}

TEST_F(RefusalStatusTest, MessageIdReusedOnTheSameKeyWithOtherContentNamesMessageId) {
  Written(Envelope(rv1::ACTION_SUBMIT, "m-1"));
  EXPECT_THAT(t::ViolatedFields(Refused(Envelope(rv1::ACTION_SUBMIT, "m-1", Changed()))),
              ElementsAre("message_id"));
}

TEST_F(RefusalStatusTest, AmendOrVoidOfAKeyInForceConflictsOnlyOnTheirMessageId) {
  Written(Envelope(rv1::ACTION_SUBMIT, "m-1"));
  EXPECT_THAT(t::ViolatedFields(Refused(Envelope(rv1::ACTION_AMEND, "m-1", Changed()))),
              ElementsAre("message_id"));
  EXPECT_THAT(t::ViolatedFields(Refused(Envelope(rv1::ACTION_VOID, "m-1"))),
              ElementsAre("message_id"));
}

TEST_F(RefusalStatusTest, AMessageIdReusedOnAVoidedKeyNamesMessageIdNotTheVoid) {
  // The store checks the message id first: the office reused an id, whatever the key's state.
  Written(Envelope(rv1::ACTION_SUBMIT, "m-1"));
  Written(Envelope(rv1::ACTION_VOID, "m-2"));
  EXPECT_THAT(t::ViolatedFields(Refused(Envelope(rv1::ACTION_AMEND, "m-1", Changed()))),
              ElementsAre("message_id"));
}

TEST_F(RefusalStatusTest, AnEnvelopeTheStoreCannotApplyIsInternalNotTheCallersFault) {
  rv1::RecordEnvelope e = Envelope(rv1::ACTION_SUBMIT, "m-1");
  e.clear_content_hash();
  const absl::Status s = Refused(e);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(std::string(s.message()), HasSubstr("content_hash"));
}

}  // namespace
}  // namespace crvs::registry
