#include "services/gateway/receipt_book.h"

#include <gtest/gtest.h>

namespace crvs::gateway {
namespace {

using ingest::v1::Receipt;

Receipt Accepted(const std::string& id, int64_t offset) {
  Receipt r;
  r.set_message_id(id);
  r.set_state(ingest::v1::RECEIPT_STATE_ACCEPTED);
  r.set_offset(offset);
  return r;
}

TEST(ReceiptBook, FirstSubmissionProducesAndLaterOnesGetTheSameReceipt) {
  ReceiptBook book(10);
  std::vector<ReceiptBook::Outcome> seen;
  auto record = [&](const ReceiptBook::Outcome& o) { seen.push_back(o); };
  EXPECT_EQ(book.Begin("facility:A", "m1", "fp", record), ReceiptBook::Start::kProduce);
  EXPECT_EQ(book.Find("facility:A", "m1")->state(), ingest::v1::RECEIPT_STATE_PENDING);
  // The same submission while in flight waits for the same outcome.
  EXPECT_EQ(book.Begin("facility:A", "m1", "fp", record), ReceiptBook::Start::kWaiting);
  book.Finish("facility:A", "m1", Accepted("m1", 42));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0]->offset(), 42);
  EXPECT_FALSE(seen[0]->duplicate());
  EXPECT_EQ(seen[1]->offset(), 42);
  EXPECT_TRUE(seen[1]->duplicate());
  // After it finished, a re-send is answered at once, as a duplicate.
  EXPECT_EQ(book.Begin("facility:A", "m1", "fp", record), ReceiptBook::Start::kAnswered);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[2]->offset(), 42);
  EXPECT_TRUE(seen[2]->duplicate());
}

TEST(ReceiptBook, ReusedMessageIdWithOtherContentIsAConflict) {
  ReceiptBook book(10);
  auto ignore = [](const ReceiptBook::Outcome&) {};
  EXPECT_EQ(book.Begin("facility:A", "m1", "fp1", ignore), ReceiptBook::Start::kProduce);
  EXPECT_EQ(book.Begin("facility:A", "m1", "fp2", ignore), ReceiptBook::Start::kConflict);
  // Message ids are per caller: another facility may use the same id.
  EXPECT_EQ(book.Begin("facility:B", "m1", "fp2", ignore), ReceiptBook::Start::kProduce);
}

TEST(ReceiptBook, FailureIsForgottenSoARetryProducesAgain) {
  ReceiptBook book(10);
  ReceiptBook::Outcome got = Receipt();
  EXPECT_EQ(book.Begin("f", "m1", "fp", [&](const auto& o) { got = o; }),
            ReceiptBook::Start::kProduce);
  book.Finish("f", "m1", absl::UnavailableError("broker down"));
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(book.Find("f", "m1").has_value());
  EXPECT_EQ(book.Begin("f", "m1", "fp", [](const auto&) {}), ReceiptBook::Start::kProduce);
}

TEST(ReceiptBook, KeepsOnlyTheNewestFinishedEntries) {
  ReceiptBook book(2);
  for (int i = 0; i < 3; ++i) {
    std::string id = "m" + std::to_string(i);
    book.Begin("f", id, "fp", [](const auto&) {});
    book.Finish("f", id, Accepted(id, i));
  }
  EXPECT_FALSE(book.Find("f", "m0").has_value());
  EXPECT_TRUE(book.Find("f", "m1").has_value());
  EXPECT_TRUE(book.Find("f", "m2").has_value());
  EXPECT_EQ(book.size(), 2u);
}

}  // namespace
}  // namespace crvs::gateway
