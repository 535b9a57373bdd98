#include "tests/e2e/webdriver.h"

#include <stdlib.h>
#include <unistd.h>

#include <absl/strings/escaping.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/e2e/pipeline_harness.h"

namespace crvs::e2e {
namespace {

using json = nlohmann::json;

constexpr char kElementKey[] = "element-6066-11e4-a52e-4f735466cecf";

std::string TempDir(const char* prefix) {
  std::string tmpl = std::string("/tmp/") + prefix + "-XXXXXX";
  return mkdtemp(tmpl.data());
}

}  // namespace

std::vector<std::string> HeadlessChromiumFlags(const std::string& profile) {
  return {"--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--user-data-dir=" + profile};
}

Browser::Browser(Options options) {
  profile_ = TempDir("crvs-chromium-profile");
  std::string home = options.home;
  if (home.empty()) home = own_home_ = TempDir("crvs-chromium-home");
  if (!options.preferences.is_null()) {
    std::filesystem::create_directories(profile_ + "/Default");
    std::ofstream(profile_ + "/Default/Preferences") << options.preferences.dump();
  }
  const int port = FreePort();
  driver_ = std::make_unique<testing::Subprocess>(std::vector<std::string>{
      "env", "HOME=" + home, "timeout", "600", "chromedriver", "--port=" + std::to_string(port)});
  http_ = std::make_unique<httplib::Client>("127.0.0.1", port);
  http_->set_read_timeout(60);
  bool up = false;
  for (int i = 0; i < 100 && !up; ++i) {
    auto res = http_->Get("/status");
    up = res && res->status == 200;
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!up) {
    error_ = "chromedriver did not start (Debian package chromium-driver)";
    return;
  }
  json args = HeadlessChromiumFlags(profile_);
  args.push_back("--disable-dev-shm-usage");
  args.push_back("--window-size=" + std::to_string(options.width) + "," +
                 std::to_string(options.height));
  for (const auto& a : options.extra_args) args.push_back(a);
  json caps = {{"capabilities",
                {{"alwaysMatch",
                  {{"browserName", "chrome"},
                   {"acceptInsecureCerts", true},
                   {"goog:chromeOptions", {{"binary", "/usr/bin/chromium"}, {"args", args}}}}}}}};
  json answer = Call("POST", "/session", caps);
  if (!error_.empty()) return;
  if (answer.is_object()) session_ = answer.value("sessionId", "");
  if (session_.empty()) {
    error_ = "no WebDriver session: " + last_error_;
    return;
  }
  // The page's own size, what screenshots show (--window-size includes the window's frame).
  Call("POST", "/session/" + session_ + "/goog/cdp/execute",
       {{"cmd", "Emulation.setDeviceMetricsOverride"},
        {"params",
         {{"width", options.width}, {"height", options.height}, {"deviceScaleFactor", 1},
          {"mobile", false}}}});
}

Browser::~Browser() {
  if (!session_.empty()) Call("DELETE", "/session/" + session_);
  driver_.reset();
  std::error_code ignored;
  std::filesystem::remove_all(profile_, ignored);
  if (!own_home_.empty()) std::filesystem::remove_all(own_home_, ignored);
}

json Browser::Call(const std::string& method, const std::string& path, const json& body) {
  if (!http_) return nullptr;
  httplib::Result res = method == "GET"      ? http_->Get(path.c_str())
                        : method == "DELETE" ? http_->Delete(path.c_str())
                                             : http_->Post(path.c_str(),
                                                           body.is_null() ? "{}" : body.dump(),
                                                           "application/json");
  if (!res) {
    error_ = "chromedriver unreachable on " + method + " " + path;
    return nullptr;
  }
  json answer = json::parse(res->body, nullptr, false);
  if (answer.is_discarded()) return nullptr;
  json value = answer.contains("value") ? answer["value"] : json();
  if (res->status != 200) {
    // An answer such as "no such element" or "element not interactable", not a broken browser.
    last_error_ = method + " " + path + ": HTTP " + std::to_string(res->status) + " " +
                  (value.is_object() ? value.value("message", res->body) : res->body);
    return nullptr;
  }
  return value;
}

bool Browser::Navigate(const std::string& url) {
  if (!ok()) return false;
  Call("POST", "/session/" + session_ + "/url", {{"url", url}});
  return ok();
}

std::string Browser::Source() {
  if (!ok()) return "";
  json v = Call("GET", "/session/" + session_ + "/source");
  return v.is_string() ? v.get<std::string>() : "";
}

std::optional<std::string> Browser::Find(const std::string& css, int wait_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  while (ok()) {
    json v = Call("POST", "/session/" + session_ + "/element",
                  {{"using", "css selector"}, {"value", css}});
    if (v.is_object() && v.contains(kElementKey)) {
      const std::string id = v[kElementKey].get<std::string>();
      // Shown, as an operator would need it to be.
      if (Call("GET", "/session/" + session_ + "/element/" + id + "/displayed") == json(true)) {
        return id;
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return std::nullopt;
}

bool Browser::Type(const std::string& element, const std::string& text) {
  last_error_.clear();
  Call("POST", "/session/" + session_ + "/element/" + element + "/clear", json::object());
  Call("POST", "/session/" + session_ + "/element/" + element + "/value", {{"text", text}});
  return ok() && last_error_.empty();
}

bool Browser::Click(const std::string& element) {
  last_error_.clear();
  Call("POST", "/session/" + session_ + "/element/" + element + "/click", json::object());
  return ok() && last_error_.empty();
}

std::string Browser::Text(const std::string& element) {
  json v = Call("GET", "/session/" + session_ + "/element/" + element + "/text");
  return v.is_string() ? v.get<std::string>() : "";
}

std::optional<std::string> Browser::Attribute(const std::string& element,
                                              const std::string& name) {
  json v = Call("GET", "/session/" + session_ + "/element/" + element + "/attribute/" + name);
  if (!v.is_string()) return std::nullopt;
  return v.get<std::string>();
}

json Browser::Execute(const std::string& script, const json& args, bool async) {
  if (!ok()) return nullptr;
  return Call("POST", "/session/" + session_ + (async ? "/execute/async" : "/execute/sync"),
              {{"script", script}, {"args", args}});
}

bool Browser::WaitFor(const std::string& script, int wait_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  while (ok()) {
    json v = Execute(script);
    if (v.is_boolean() && v.get<bool>()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

bool Browser::Screenshot(const std::string& path) {
  json v = Call("GET", "/session/" + session_ + "/screenshot");
  std::string png;
  if (!v.is_string() || !absl::Base64Unescape(v.get<std::string>(), &png)) return false;
  std::ofstream(path, std::ios::binary) << png;
  return true;
}

std::string ImportClientCertificate(const std::string& home, const std::string& cert_file,
                                    const std::string& key_file) {
  const std::string nssdb = home + "/.pki/nssdb";
  const std::string p12 = home + "/client.p12";
  std::error_code failed;
  std::filesystem::create_directories(nssdb, failed);
  if (failed) return "cannot create " + nssdb + ": " + failed.message();
  const std::vector<std::vector<std::string>> steps = {
      {"certutil", "-N", "-d", "sql:" + nssdb, "--empty-password"},
      {"openssl", "pkcs12", "-export", "-in", cert_file, "-inkey", key_file, "-out", p12,
       "-passout", "pass:"},
      {"pk12util", "-i", p12, "-d", "sql:" + nssdb, "-W", ""}};
  std::string error;
  for (const auto& step : steps) {
    testing::RunResult r = testing::RunProgram(step);
    if (r.exit_code != 0) {
      error = step[0] + " " + step[1] + " exited " + std::to_string(r.exit_code) + ": " + r.err +
              r.out;
      break;
    }
  }
  std::filesystem::remove(p12, failed);  // the key stays in the database only
  return error;
}

json AutoSelectCertificate(const std::string& origin) {
  // A content-setting exception "<primary pattern>,<secondary pattern>"; an empty filter
  // matches every certificate (the database holds one).
  return {{"profile",
           {{"content_settings",
             {{"exceptions",
               {{"auto_select_certificate",
                 {{origin + ",*",
                   {{"last_modified", "13340000000000000"},
                    {"setting", {{"filters", json::array({json::object()})}}}}}}}}}}}}}};
}

}  // namespace crvs::e2e
