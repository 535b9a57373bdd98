// GoogleTest matchers for absl::Status / grpc::Status: tests assert the exact code and the
// exact fields named, never just "not ok".
#pragma once

#include <gmock/gmock.h>
#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <grpcpp/support/status.h>

#include "services/platform/status.h"

namespace crvs::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <class T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

// EXPECT_THAT(status_or_statusor, StatusIs(absl::StatusCode::kInvalidArgument));
MATCHER_P(StatusIs, code, "has status code " + absl::StatusCodeToString(code)) {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status is " << s.ToString();
  return s.code() == code;
}

// EXPECT_THAT(status, StatusIs(absl::StatusCode::kNotFound, HasSubstr("no operator")));
MATCHER_P2(StatusIs, code, message_matcher,
           "has status code " + absl::StatusCodeToString(code) + " and a message that " +
               ::testing::DescribeMatcher<std::string>(message_matcher)) {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status is " << s.ToString();
  return s.code() == code &&
         ::testing::Matches(::testing::Matcher<std::string>(message_matcher))(
             std::string(s.message()));
}

MATCHER(IsOk, "is OK") {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status is " << s.ToString();
  return s.ok();
}

// The field paths named by an InvalidArgument status, in order.
inline std::vector<std::string> ViolatedFields(const absl::Status& s) {
  std::vector<std::string> fields;
  for (const auto& v : FieldViolations(s)) fields.push_back(v.field);
  return fields;
}
inline std::vector<std::string> ViolatedFields(const grpc::Status& s) {
  return ViolatedFields(FromGrpcStatus(s));
}

}  // namespace crvs::testing
