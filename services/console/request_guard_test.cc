#include "services/console/request_guard.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace crvs::console {
namespace {

using ::testing::HasSubstr;

RequestHeaders Get(const std::string& host, const std::string& path = "/api/dead-letters/7") {
  return {"GET", path, host, "", "", ""};
}

RequestHeaders Post(const std::string& host, const std::string& origin,
                    const std::string& content_type = "application/json",
                    const std::string& sec_fetch_site = "") {
  return {"POST", "/api/connectors/registry-sink/pause", host, origin, sec_fetch_site,
          content_type};
}

TEST(RequestGuardTest, AnswersLoopbackNamesOnAnyPortTheListenHostAndConfiguredNames) {
  RequestGuard guard("10.0.0.5", {"crvs.example.gov.vn", "proxy.local:8443"});
  for (const char* host : {"127.0.0.1:8080", "localhost:18080", "LOCALHOST", "[::1]:8080",
                           "10.0.0.5:8080", "crvs.example.gov.vn", "CRVS.example.gov.vn:443",
                           "proxy.local:8443"}) {
    EXPECT_EQ(guard.Refusal(Get(host)), "") << host;
  }
  for (const char* host : {"attacker.example", "attacker.example:8080", "proxy.local:8080",
                           "127.0.0.2:8080", "10.0.0.50:8080", "crvs.example.gov.vn.evil.example",
                           ""}) {
    EXPECT_THAT(guard.Refusal(Get(host)), HasSubstr("does not answer to Host")) << host;
  }
}

TEST(RequestGuardTest, AWildcardListenAddsNoNameAndProbesAreExempt) {
  RequestGuard guard("0.0.0.0", {});
  EXPECT_THAT(guard.Refusal(Get("0.0.0.0:8080")), HasSubstr("does not answer"));
  EXPECT_THAT(guard.Refusal(Get("10.1.2.3:8080")), HasSubstr("does not answer"));
  for (const char* probe : {"/metrics", "/healthz", "/readyz"}) {
    EXPECT_EQ(guard.Refusal(Get("10.1.2.3:8080", probe)), "") << probe;
  }
  EXPECT_THAT(guard.Refusal(Get("10.1.2.3:8080", "/metrics/../api/status")),
              HasSubstr("does not answer"));
}

TEST(RequestGuardTest, StateChangesMustBeSameOriginJson) {
  RequestGuard guard("127.0.0.1", {});
  EXPECT_EQ(guard.Refusal(Post("127.0.0.1:8080", "http://127.0.0.1:8080")), "");
  EXPECT_EQ(guard.Refusal(Post("127.0.0.1:8080", "")), "") << "no Origin: a non-browser client";
  EXPECT_EQ(guard.Refusal(Post("127.0.0.1:8080", "", "application/json; charset=utf-8",
                               "same-origin")),
            "");
  // A page on another port or host is another origin.
  EXPECT_THAT(guard.Refusal(Post("127.0.0.1:8080", "http://127.0.0.1:9999")),
              HasSubstr("from another origin"));
  EXPECT_THAT(guard.Refusal(Post("127.0.0.1:8080", "null")), HasSubstr("from another origin"));
  EXPECT_THAT(guard.Refusal(Post("127.0.0.1:8080", "", "application/json", "cross-site")),
              HasSubstr("cross-site page"));
  // What a <form> can send without a preflight.
  for (const char* type : {"text/plain", "application/x-www-form-urlencoded",
                           "multipart/form-data; boundary=x", ""}) {
    EXPECT_THAT(guard.Refusal(Post("127.0.0.1:8080", "", type)),
                HasSubstr("Content-Type: application/json"))
        << type;
  }
  RequestHeaders discard = Post("127.0.0.1:8080", "", "text/plain");
  discard.method = "DELETE";
  EXPECT_THAT(guard.Refusal(discard), HasSubstr("Content-Type: application/json"));
}

}  // namespace
}  // namespace crvs::console
