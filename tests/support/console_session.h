// Signing in to the operators' console from a test, as a browser does (services/console,
// sessions.h): an account made with `crvs operators add`, POST /api/session, then the session
// cookie and CSRF token on every request.
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/subprocess.h"

namespace crvs::testing {

inline constexpr char kConsolePassword[] = "mật khẩu đủ dài 2026";

// `crvs operators add NAME --role ROLE [--province P] --password-stdin` on `database_url`, with
// kConsolePassword. The run's result (exit 0 when added).
inline RunResult AddConsoleOperator(const std::string& crvs_binary,
                                    const std::string& database_url, const std::string& name,
                                    const std::string& role, const std::string& province = "") {
  std::vector<std::string> argv = {crvs_binary, "--set", "database.url=" + database_url,
                                   "operators", "add", name, "--role", role, "--password-stdin"};
  if (!province.empty()) argv.insert(argv.end(), {"--province", province});
  return RunProgram(argv, std::string(kConsolePassword) + "\n");
}

// The headers of a signed-in session (Cookie and X-CSRF-Token); empty when sign-in failed
// (`error` then says why).
inline httplib::Headers SignInToConsole(httplib::Client& console, const std::string& name,
                                        std::string* error = nullptr) {
  auto res = console.Post("/api/session",
                          nlohmann::json{{"name", name}, {"password", kConsolePassword}}.dump(),
                          "application/json");
  if (!res || res->status != 200) {
    if (error) *error = res ? res->body : "console unreachable";
    return {};
  }
  const std::string cookie = res->get_header_value("Set-Cookie");
  auto body = nlohmann::json::parse(res->body, nullptr, false);
  return {{"Cookie", cookie.substr(0, cookie.find(';'))},
          {"X-CSRF-Token", body.value("csrf_token", "")}};
}

}  // namespace crvs::testing
