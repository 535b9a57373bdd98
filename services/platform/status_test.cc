#include "services/platform/status.h"

#include <google/rpc/error_details.pb.h>
#include <google/rpc/status.pb.h>
#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace crvs {
namespace {

using ::crvs::testing::StatusIs;
using ::crvs::testing::ViolatedFields;
using ::testing::ElementsAre;

TEST(InvalidArgument, NamesEveryFieldInMessageAndDetails) {
  absl::Status s = InvalidArgument({{"mother.personal_id.number", "must be 12 digits"},
                                    {"child.weight_grams", "must be between 200 and 8000"}});
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(s.message(),
            "invalid request: mother.personal_id.number: must be 12 digits; "
            "child.weight_grams: must be between 200 and 8000");
  EXPECT_THAT(ViolatedFields(s), ElementsAre("mother.personal_id.number", "child.weight_grams"));
}

TEST(ToGrpcStatus, CarriesRichErrorModel) {
  grpc::Status g = ToGrpcStatus(InvalidArgument({{"death_notice.died_at", "in the future"}}));
  EXPECT_EQ(g.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  google::rpc::Status rpc;
  ASSERT_TRUE(rpc.ParseFromString(g.error_details()));
  EXPECT_EQ(rpc.code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  ASSERT_EQ(rpc.details_size(), 1);
  google::rpc::BadRequest bad;
  ASSERT_TRUE(rpc.details(0).UnpackTo(&bad));
  ASSERT_EQ(bad.field_violations_size(), 1);
  EXPECT_EQ(bad.field_violations(0).field(), "death_notice.died_at");
  EXPECT_EQ(bad.field_violations(0).description(), "in the future");
}

TEST(FromGrpcStatus, RoundTripsCodeMessageAndViolations) {
  absl::Status original = InvalidArgument({{"a", "x"}, {"b.c", "y"}});
  absl::Status back = FromGrpcStatus(ToGrpcStatus(original));
  EXPECT_EQ(back.code(), original.code());
  EXPECT_EQ(back.message(), original.message());
  EXPECT_EQ(FieldViolations(back), FieldViolations(original));
}

TEST(ToGrpcStatus, PlainErrorsKeepCodeWithoutDetails) {
  grpc::Status g = ToGrpcStatus(absl::UnavailableError("broker down"));
  EXPECT_EQ(g.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(g.error_message(), "broker down");
  EXPECT_TRUE(FieldViolations(FromGrpcStatus(g)).empty());
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
}

TEST(AddErrorInfo, TravelsNextToTheFieldViolations) {
  absl::Status s = InvalidArgument({{"decision.legal_effect_date", "before the decision date"}});
  AddErrorInfo(&s, "RECORD_INVALID", "crvs-sync", {{"sequence", "42"}});
  google::rpc::Status rpc;
  ASSERT_TRUE(rpc.ParseFromString(ToGrpcStatus(s).error_details()));
  ASSERT_EQ(rpc.details_size(), 2);
  google::rpc::ErrorInfo info;
  bool found = false;
  for (const auto& any : rpc.details()) found = found || any.UnpackTo(&info);
  ASSERT_TRUE(found);
  EXPECT_EQ(info.reason(), "RECORD_INVALID");
  EXPECT_EQ(info.metadata().at("sequence"), "42");
  absl::Status back = FromGrpcStatus(ToGrpcStatus(s));
  EXPECT_EQ(FieldViolations(back), FieldViolations(s));
  EXPECT_TRUE(back.GetPayload(kErrorInfoTypeUrl).has_value());
}

TEST(IsRetryable, ClassifiesTransientAndPermanent) {
  EXPECT_TRUE(IsRetryable(absl::UnavailableError("")));
  EXPECT_TRUE(IsRetryable(absl::DeadlineExceededError("")));
  EXPECT_TRUE(IsRetryable(absl::ResourceExhaustedError("")));
  EXPECT_FALSE(IsRetryable(absl::InvalidArgumentError("")));
  EXPECT_FALSE(IsRetryable(absl::DataLossError("")));
}

absl::StatusOr<int> Half(int n) {
  if (n % 2 != 0) return absl::InvalidArgumentError("odd");
  return n / 2;
}

absl::Status Quarter(int n, int* out) {
  CRVS_ASSIGN_OR_RETURN(int h, Half(n));
  CRVS_ASSIGN_OR_RETURN(*out, Half(h));
  CRVS_RETURN_IF_ERROR(absl::OkStatus());
  return absl::OkStatus();
}

TEST(Macros, ReturnTheFirstError) {
  int out = 0;
  EXPECT_THAT(Quarter(8, &out), ::crvs::testing::IsOk());
  EXPECT_EQ(out, 2);
  EXPECT_THAT(Quarter(6, &out), StatusIs(absl::StatusCode::kInvalidArgument));
}

// Regression: PostgreSQL errors reached clients with the SQL statement in them.
TEST(ToGrpcStatus, DatabaseErrorsReachTheCallerWithoutTheirStatement) {
  grpc::Status s = ToGrpcStatus(absl::InternalError(
      "postgresql: SELECT id FROM dead_letters WHERE id > $1: ERROR:  invalid byte sequence"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("database error (reference "));
  EXPECT_THAT(s.error_message(), ::testing::Not(::testing::HasSubstr("SELECT")));
  EXPECT_THAT(s.error_details(), ::testing::Not(::testing::HasSubstr("SELECT")));
  grpc::Status busy = ToGrpcStatus(absl::UnavailableError("sqlite: INSERT INTO x: database is locked"));
  EXPECT_EQ(busy.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(busy.error_message(), ::testing::EndsWith("; retry"));
}

}  // namespace
}  // namespace crvs
