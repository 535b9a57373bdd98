// The operators' console in a real browser: `crvs dev --simulate` makes traffic, headless
// Chromium (Debian's package, scripts/install-deps.sh) loads the dashboard and runs its
// scripts, and the figures the page shows are checked against the console's JSON API for the
// same sample, against the sink's /metrics text and against the reconciler's GetCoverage.
// A screenshot of the page is kept in the build tree (console.png) for people to look at.
//
// The page's contract (services/console/web): every number is in an element with a stable id,
// its exact value in data-value (the text is that value rounded for reading).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "crvs/reconcile/v1/reconciliation.grpc.pb.h"
#include "services/store/store.h"
#include "services/store/store_test_util.h"
#include "tests/e2e/pipeline_harness.h"
#include "tests/e2e/webdriver.h"
#include "tests/support/console_session.h"
#include "tests/support/fixtures.h"
#include "tests/support/subprocess.h"
#include "tests/support/text.h"

namespace crvs::e2e {
namespace {

using ::crvs::testing::Lines;
using ::crvs::testing::SumOf;


using json = nlohmann::json;
using Clock = std::chrono::system_clock;

std::string Address(int port) { return "127.0.0.1:" + std::to_string(port); }

// ---- the browser ---------------------------------------------------------------------------

// Headless Chromium run once on a page (HeadlessChromiumFlags, a fresh profile); `timeout`
// bounds a hung browser.
testing::RunResult RunChromium(const std::vector<std::string>& flags, const std::string& url) {
  char profile_template[] = "/tmp/crvs-chromium-XXXXXX";
  std::string profile = mkdtemp(profile_template);
  std::vector<std::string> argv = {"timeout", "90", "chromium"};
  for (const std::string& flag : HeadlessChromiumFlags(profile)) argv.push_back(flag);
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.push_back(url);
  auto result = testing::RunProgram(argv);
  testing::RunProgram({"rm", "-rf", profile});
  return result;
}

// The DOM after the page's scripts ran for 5 s of virtual time (the page's first refresh is on
// DOMContentLoaded; virtual time waits for its fetches).
std::string DumpDom(const std::string& url) {
  auto r = RunChromium({"--virtual-time-budget=5000", "--dump-dom"}, url);
  EXPECT_EQ(r.exit_code, 0) << "chromium --dump-dom " << url << "\n" << r.err;
  return r.out;
}

void Screenshot(const std::string& url, const std::string& png) {
  std::remove(png.c_str());
  auto r = RunChromium(
      {"--virtual-time-budget=5000", "--window-size=1400,1000", "--screenshot=" + png}, url);
  EXPECT_EQ(r.exit_code, 0) << "chromium --screenshot " << url << "\n" << r.err;
}

struct Png {
  bool valid = false;
  uint32_t width = 0, height = 0;
  size_t bytes = 0;
};

// The PNG signature and the IHDR chunk's size, which must come first.
Png ReadPng(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Png png;
  png.bytes = data.size();
  if (data.size() < 24 || data.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0 ||
      data.compare(12, 4, "IHDR") != 0) {
    return png;
  }
  auto be32 = [&](size_t at) {
    return (uint32_t(uint8_t(data[at])) << 24) | (uint32_t(uint8_t(data[at + 1])) << 16) |
           (uint32_t(uint8_t(data[at + 2])) << 8) | uint32_t(uint8_t(data[at + 3]));
  };
  png.valid = true;
  png.width = be32(16);
  png.height = be32(20);
  return png;
}

// One element of a serialized DOM, found by id: its attributes and its text (up to the first
// child tag; the figures are leaves).
struct Element {
  bool found = false;
  std::map<std::string, std::string> attributes;
  std::string text;
};

std::string Unescape(std::string s) {
  const std::pair<const char*, const char*> entities[] = {{"&lt;", "<"},          {"&gt;", ">"},
                                                          {"&quot;", "\""},       {"&#39;", "'"},
                                                          {"&nbsp;", "\xC2\xA0"}, {"&amp;", "&"}};
  for (const auto& [from, to] : entities) {
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + 1)) {
      s.replace(at, std::strlen(from), to);
    }
  }
  return s;
}

Element FindById(const std::string& html, const std::string& id) {
  Element e;
  size_t at = html.find(" id=\"" + id + "\"");
  if (at == std::string::npos) return e;
  size_t open = html.rfind('<', at), close = html.find('>', at);
  if (open == std::string::npos || close == std::string::npos) return e;
  std::string tag = html.substr(open, close - open);
  static const std::regex attribute(R"re(([a-zA-Z_:][-a-zA-Z0-9_:.]*)="([^"]*)")re");
  for (auto it = std::sregex_iterator(tag.begin(), tag.end(), attribute);
       it != std::sregex_iterator(); ++it) {
    e.attributes[(*it)[1]] = Unescape((*it)[2]);
  }
  e.text = Unescape(html.substr(close + 1, html.find('<', close) - close - 1));
  e.found = true;
  return e;
}

// The exact value a figure carries (data-value); nullopt when absent or empty ("—" shown).
std::optional<double> Figure(const std::string& html, const std::string& id) {
  Element e = FindById(html, id);
  auto it = e.attributes.find("data-value");
  if (!e.found || it == e.attributes.end() || it->second.empty()) return std::nullopt;
  return std::stod(it->second);
}

// ---- a trivial page: the browser invocation itself ----------------------------------------

// A page served by the test whose script fetches a number and shows it, as the console does:
// proves the Chromium flags run scripts and fetches on this machine and that the DOM and
// screenshot come back, independently of the console.
TEST(ConsoleBrowser, ChromiumRunsThePageScriptsAndTakesAScreenshot) {
  httplib::Server server;
  server.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"(<!doctype html><html><head><title>t</title></head><body>
<h1>figures</h1><div class="value" id="lag-messages-total">—</div>
<script>
document.addEventListener("DOMContentLoaded", async () => {
  const s = await (await fetch("/api/status")).json();
  const n = document.getElementById("lag-messages-total");
  n.textContent = s.lag.messages_total.toFixed(0);
  n.dataset.value = String(s.lag.messages_total);
});
</script></body></html>)",
                    "text/html; charset=utf-8");
  });
  server.Get("/api/status", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"lag": {"messages_total": 1234.5678}})", "application/json");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread serving([&] { server.listen_after_bind(); });
  const std::string url = "http://" + Address(port) + "/";

  std::string dom = DumpDom(url);
  Element figure = FindById(dom, "lag-messages-total");
  ASSERT_TRUE(figure.found) << dom;
  EXPECT_EQ(figure.attributes["data-value"], "1234.5678");
  EXPECT_EQ(figure.text, "1235");

  const std::string png = std::string(CRVS_TEST_OUTPUT_DIR) + "/chromium-scripted-page.png";
  Screenshot(url, png);
  Png shot = ReadPng(png);
  EXPECT_TRUE(shot.valid) << png;
  EXPECT_EQ(shot.width, 1400u);
  EXPECT_EQ(shot.height, 1000u);
  EXPECT_GT(shot.bytes, 1000u);

  server.stop();
  serving.join();
}

// ---- the console ---------------------------------------------------------------------------

std::map<std::string, std::string> DescribeConfig() {
  auto r = testing::RunProgram({CRVS_BINARY, "config", "describe"});
  std::map<std::string, std::string> keys;
  static const std::regex entry(R"(^(\S+) \(([a-z]+), now (.*)\)$)");
  for (const auto& line : Lines(r.out)) {
    std::smatch m;
    if (std::regex_match(line, m, entry)) keys[m[1]] = m[3];
  }
  return keys;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// `crvs` on `database` with warnings only and every listen address of `keys` (DescribeConfig)
// on a free port, kept in `ports` by key; settings and the subcommand go after.
std::vector<std::string> CrvsOnFreePorts(const std::map<std::string, std::string>& keys,
                                         const std::string& database,
                                         std::map<std::string, int>* ports) {
  std::vector<std::string> argv = {CRVS_BINARY, "--set", "database.url=" + database, "--set",
                                   "log.level=warn"};
  for (const auto& [key, value] : keys) {
    if (!EndsWith(key, ".listen") && !EndsWith(key, ".metrics_listen")) continue;
    (*ports)[key] = FreePort();
    argv.insert(argv.end(), {"--set", key + "=" + Address((*ports)[key])});
  }
  return argv;
}

std::string HttpGet(int port, const std::string& path, const httplib::Headers& headers = {}) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(2);
  client.set_read_timeout(10);
  auto res = client.Get(path.c_str(), headers);
  if (!res || res->status != 200) return "";
  return res->body;
}

json GetJson(int port, const std::string& path, const httplib::Headers& headers = {}) {
  std::string body = HttpGet(port, path, headers);
  return body.empty() ? json() : json::parse(body, nullptr, /*allow_exceptions=*/false);
}

Clock::time_point ParseRfc3339(const std::string& text) {
  google::protobuf::Timestamp t;
  google::protobuf::util::TimeUtil::FromString(text, &t);
  return Clock::time_point(
      std::chrono::milliseconds(google::protobuf::util::TimeUtil::TimestampToMilliseconds(t)));
}

double SecondsBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Stands between the console and the pipeline's /metrics, keeping every text it served, so the
// test sees exactly the scrapes each of the console's samples was computed from.
class MetricsTap {
 public:
  explicit MetricsTap(int upstream_port) : upstream_port_(upstream_port) {
    server_.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      std::string body = HttpGet(upstream_port_, "/metrics");
      {
        std::lock_guard<std::mutex> lock(mu_);
        scrapes_.push_back({Clock::now(), body});
      }
      if (body.empty()) {
        res.status = 503;
        return;
      }
      res.set_content(body, "text/plain; version=0.0.4");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~MetricsTap() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }

  struct Scrape {
    Clock::time_point at;  // when the upstream answered
    std::string body;
  };
  std::vector<Scrape> scrapes() {
    std::lock_guard<std::mutex> lock(mu_);
    return scrapes_;
  }

 private:
  int upstream_port_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<Scrape> scrapes_;
};

// The page's figures of one moment.
struct PageFigures {
  std::string sampled_at;  // RFC 3339, as /api/status spells it
  std::optional<double> window_seconds, lag_messages_total, committed_per_second;
};

PageFigures ReadPage(const std::string& dom) {
  PageFigures p;
  std::string shown = FindById(dom, "sampled-at").text;  // "2026-11-22 08:09:09.556Z"
  if (shown.size() > 10 && shown[10] == ' ') shown[10] = 'T';
  p.sampled_at = shown;
  p.window_seconds = Figure(dom, "window-seconds");
  p.lag_messages_total = Figure(dom, "lag-messages-total");
  p.committed_per_second = Figure(dom, "throughput-committed");
  return p;
}

// Signs `browser` in through the page's form as an operator would; the sign-in form's message
// when it fails.
std::string SignInThroughThePage(Browser& browser, const std::string& url,
                                 const std::string& name,
                                 const std::string& password = testing::kConsolePassword) {
  browser.Navigate(url);
  auto form_name = browser.Find("#login-name");
  auto form_password = browser.Find("#login-password");
  auto submit = browser.Find("#login-submit");
  if (!form_name || !form_password || !submit) {
    return "no sign-in form: " + browser.error() + browser.last_error();
  }
  if (!browser.Type(*form_name, name) || !browser.Type(*form_password, password) ||
      !browser.Click(*submit)) {
    return "the sign-in form did not take input: " + browser.last_error();
  }
  const std::string signed_in =
      "const s = document.getElementById('session-operator');"
      "return !!s && s.textContent.includes(" + json(name).dump() + ");";
  const std::string refused =
      "const m = document.getElementById('login-message');"
      "return !!m && m.classList.contains('error');";
  browser.WaitFor("return (function(){" + signed_in + "})() || (function(){" + refused + "})();");
  if (browser.Execute(signed_in) == json(true)) return "";
  auto message = browser.Find("#login-message", 0);
  return message ? browser.Text(*message) : "neither signed in nor refused";
}

// The page's DOM once its figures are shown (`with_coverage`: coverage too), reloaded so it
// holds the console's latest sample.
std::string ConsoleDom(Browser& browser, const std::string& url, bool with_coverage) {
  browser.Navigate(url);
  std::string ready =
      "const v = id => { const n = document.getElementById(id);"
      "                  return !!n && !!n.dataset.value; };"
      "return v('lag-messages-total') && v('throughput-committed') && v('window-seconds')";
  if (with_coverage) ready += " && v('coverage-total-percent')";
  EXPECT_TRUE(browser.WaitFor(ready + ";", 20000)) << "the page shows no figures";
  return browser.Source();
}

int DaysInMonth(int year, int month) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : days[month - 1];
}

// `crvs dev --simulate` with the console, every listen address on a free port and the console
// scraping through a MetricsTap. Phase 1, while records flow: the page's figures equal the
// console's sample (/api/history and /api/status of the same sampled_at) and the figures
// computed from the very /metrics texts that sample was made of. Phase 2, once the simulator
// stopped and the pipeline is quiet: the page's lag equals the sink's lag gauges summed from
// our own scrape, throughput is 0, and coverage equals GetCoverage.
TEST(ConsoleBrowser, DashboardShowsTheFiguresOfTheSampledMetrics) {
  auto keys = DescribeConfig();
  if (!keys.count("console.listen")) GTEST_SKIP() << "this crvs has no console yet";
  auto dev_help = testing::RunProgram({CRVS_BINARY, "dev", "--help"});
  ASSERT_NE(dev_help.out.find("--simulate"), std::string::npos) << "crvs dev has no --simulate";

  char dir_template[] = "/tmp/crvs-console-XXXXXX";
  std::string dir = mkdtemp(dir_template);
  std::map<std::string, int> ports;
  std::vector<std::string> argv = CrvsOnFreePorts(keys, "sqlite:" + dir + "/crvs.db", &ports);
  const int metrics_port = ports["gateway.metrics_listen"];
  const int console_port = ports["console.listen"];
  MetricsTap tap(metrics_port);
  ASSERT_GT(tap.port(), 0);
  // 2 s samples keep the test short; simulated traffic for 30 s covers phase 1 with room to
  // spare on a slow machine; manifests every 4 s give coverage something to measure.
  const double sample_interval_s = 2;
  argv.insert(argv.end(), {"--set", "console.sample_interval=2s", "--set",
                           "console.metrics_urls=http://" + Address(tap.port()) + "/metrics"});
  argv.insert(argv.end(),
              {"--set", "simulate.duration=30s", "--set", "simulate.manifest_interval=4s", "--set",
               "simulate.silent_after=0s", "dev", "--simulate"});
  testing::Subprocess dev(argv);

  auto until = [](int s) { return Clock::now() + std::chrono::seconds(s); };
  auto gateway =
      grpc::CreateChannel(Address(ports["gateway.listen"]), grpc::InsecureChannelCredentials());
  ASSERT_TRUE(gateway->WaitForConnected(until(30))) << "crvs dev did not start";
  const std::string url = "http://" + Address(console_port) + "/";
  // An operator account, signed in by the test's API calls and by the browser's form.
  auto added = testing::AddConsoleOperator(CRVS_BINARY, "sqlite:" + dir + "/crvs.db", "tester",
                                           "viewer");
  ASSERT_EQ(added.exit_code, 0) << added.err;
  httplib::Client api_client("127.0.0.1", console_port);
  std::string sign_in_error;
  const httplib::Headers session = testing::SignInToConsole(api_client, "tester", &sign_in_error);
  ASSERT_FALSE(session.empty()) << sign_in_error;
  Browser browser;
  ASSERT_TRUE(browser.ok()) << browser.error();
  ASSERT_EQ(SignInThroughThePage(browser, url, "tester"), "");
  // ---- phase 1: records flowing -----------------------------------------------------------
  json status;
  for (auto end = until(90); Clock::now() < end;) {
    status = GetJson(console_port, "/api/status", session);
    if (status.is_object() && status["throughput"]["committed_per_second"].is_number() &&
        status["throughput"]["committed_per_second"].get<double>() > 0) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  ASSERT_TRUE(status.is_object() && status["throughput"]["committed_per_second"].is_number() &&
              status["throughput"]["committed_per_second"].get<double>() > 0)
      << "no records flowed: " << status.dump();

  std::string dom = ConsoleDom(browser, url, false);
  json status_after = GetJson(console_port, "/api/status", session);
  json history = GetJson(console_port, "/api/history", session);
  PageFigures page = ReadPage(dom);
  ASSERT_FALSE(page.sampled_at.empty() || page.sampled_at == "—") << dom;
  ASSERT_TRUE(page.lag_messages_total && page.committed_per_second && page.window_seconds)
      << "the page shows no figures:\n"
      << dom;
  EXPECT_GT(*page.committed_per_second, 0);

  // The same sample in the console's history (and in /api/status when it is still current):
  // the page shows the API's numbers unchanged, so they are equal exactly.
  json point;
  for (const auto& p : history["points"]) {
    if (p["at"] == page.sampled_at) point = p;
  }
  ASSERT_TRUE(point.is_object()) << "sample " << page.sampled_at << " not in /api/history";
  EXPECT_EQ(*page.lag_messages_total, point["lag_messages_total"].get<double>());
  EXPECT_EQ(*page.committed_per_second, point["committed_per_second"].get<double>());
  if (status_after["sampled_at"] == page.sampled_at) {
    EXPECT_EQ(*page.lag_messages_total, status_after["lag"]["messages_total"].get<double>());
    EXPECT_EQ(*page.committed_per_second,
              status_after["throughput"]["committed_per_second"].get<double>());
    EXPECT_EQ(*page.window_seconds, status_after["window_seconds"].get<double>());
  }

  // The sink's /metrics, as the console read them for this sample: the tap's scrape nearest to
  // sampled_at (scrapes are a sample interval apart, so "nearest" is unambiguous within half of
  // it) and the one before, which opened the window. Lag is the gauges summed at the sample;
  // throughput is the commit counter's increase over the window. No tolerance is needed beyond
  // floating-point rounding of the division: it is the same text.
  auto scrapes = tap.scrapes();
  const Clock::time_point sampled = ParseRfc3339(page.sampled_at);
  size_t nearest = 0;
  for (size_t i = 1; i < scrapes.size(); ++i) {
    if (std::abs(SecondsBetween(scrapes[i].at, sampled)) <
        std::abs(SecondsBetween(scrapes[nearest].at, sampled))) {
      nearest = i;
    }
  }
  ASSERT_GE(scrapes.size(), 2u);
  ASSERT_GE(nearest, 1u);
  ASSERT_LT(std::abs(SecondsBetween(scrapes[nearest].at, sampled)), sample_interval_s / 2)
      << "no scrape of the tap matches the sample at " << page.sampled_at;
  const std::string& at_sample = scrapes[nearest].body;
  const std::string& window_start = scrapes[nearest - 1].body;
  EXPECT_EQ(*page.lag_messages_total, SumOf(at_sample, "crvs_sink_lag_messages"));
  const double committed =
      SumOf(at_sample, "crvs_sink_records_total") - SumOf(window_start, "crvs_sink_records_total");
  EXPECT_NEAR(*page.committed_per_second, committed / *page.window_seconds,
              1e-9 * std::max(1.0, *page.committed_per_second));
  std::fprintf(stderr,
               "console_browser_test: flowing sample %s: lag %g messages, %g records/s "
               "committed over %g s\n",
               page.sampled_at.c_str(), *page.lag_messages_total, *page.committed_per_second,
               *page.window_seconds);

  // What an operator sees: the dashboard at 1400 x 1000, kept in the build tree.
  const std::string png = std::string(CRVS_TEST_OUTPUT_DIR) + "/console.png";
  ASSERT_TRUE(browser.Screenshot(png));
  Png shot = ReadPng(png);
  EXPECT_TRUE(shot.valid) << png << " is not a PNG";
  EXPECT_EQ(shot.width, 1400u);
  EXPECT_EQ(shot.height, 1000u);
  // A blank 1400 x 1000 page compresses to a few kB; the dashboard's text, tables and charts
  // make tens of kB.
  EXPECT_GT(shot.bytes, 20000u) << png << " looks empty";

  // ---- phase 2: quiet ---------------------------------------------------------------------
  // Quiet from t1: two scrapes of our own two samples apart show the same commit and
  // acceptance counters (monotonic: nothing was committed or accepted in between) and the same
  // lag (the gauges only move on a commit).
  auto quiet_key = [](const std::string& text) {
    return std::make_tuple(SumOf(text, "crvs_sink_records_total"),
                           SumOf(text, "crvs_gateway_records_total"),
                           SumOf(text, "crvs_sink_lag_messages"));
  };
  Clock::time_point t1;
  std::string first;
  bool quiet = false;
  for (auto end = until(150); !quiet && Clock::now() < end;) {
    first = HttpGet(metrics_port, "/metrics");
    t1 = Clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(2 * sample_interval_s + 0.5));
    quiet = !first.empty() && quiet_key(first) == quiet_key(HttpGet(metrics_port, "/metrics"));
  }
  ASSERT_TRUE(quiet) << "the pipeline never went quiet";
  // A console sample whose whole window lies in the quiet time.
  for (auto end = until(30); Clock::now() < end;) {
    json s = GetJson(console_port, "/api/status", session);
    if (s.is_object() && s["sampled_at"].is_string() && s["window_seconds"].is_number() &&
        SecondsBetween(t1, ParseRfc3339(s["sampled_at"])) > s["window_seconds"].get<double>()) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  dom = ConsoleDom(browser, url, true);
  std::string last = HttpGet(metrics_port, "/metrics");
  ASSERT_EQ(quiet_key(first), quiet_key(last)) << "traffic resumed during the check";
  page = ReadPage(dom);
  ASSERT_TRUE(page.lag_messages_total && page.committed_per_second && page.window_seconds) << dom;
  ASSERT_GT(SecondsBetween(t1, ParseRfc3339(page.sampled_at)), *page.window_seconds)
      << "the page shows a sample from before the quiet time";
  // Nothing moves, so the page, sampled at one moment, and our scrape, at another, agree to
  // the last digit: zero tolerance.
  EXPECT_EQ(*page.lag_messages_total, SumOf(last, "crvs_sink_lag_messages"));
  EXPECT_EQ(*page.committed_per_second, 0);

  // Coverage of the month the page shows, from the reconciler directly.
  std::string period = FindById(dom, "coverage-period").text;  // "2026-11"
  ASSERT_TRUE(std::regex_match(period, std::regex(R"(\d{4}-\d{2})"))) << period;
  int year = std::stoi(period.substr(0, 4)), month = std::stoi(period.substr(5, 2));
  reconcile::v1::CoverageRequest request;
  request.mutable_period_start()->set_year(year);
  request.mutable_period_start()->set_month(month);
  request.mutable_period_start()->set_day(1);
  *request.mutable_period_end() = request.period_start();
  request.mutable_period_end()->set_day(DaysInMonth(year, month));
  reconcile::v1::CoverageReport report;
  grpc::ClientContext context;
  context.AddMetadata("crvs-principal", "operator:console");
  context.set_deadline(until(30));
  auto reconcile = reconcile::v1::Reconciliation::NewStub(
      grpc::CreateChannel(Address(ports["reconcile.listen"]), grpc::InsecureChannelCredentials()));
  grpc::Status got = reconcile->GetCoverage(&context, request, &report);
  ASSERT_TRUE(got.ok()) << got.error_message();
  auto coverage = Figure(dom, "coverage-total-percent");
  auto declared = Figure(dom, "coverage-declared");
  auto missing = Figure(dom, "coverage-missing");
  ASSERT_TRUE(coverage && declared && missing) << "the page shows no coverage:\n"
                                               << FindById(dom, "coverage-message").text;
  EXPECT_EQ(*coverage, report.total().coverage_percent());
  EXPECT_EQ(*declared, static_cast<double>(report.total().declared()));
  EXPECT_EQ(*missing, static_cast<double>(report.total().missing()));
  EXPECT_GT(report.total().declared(), 0) << "the simulator declared no manifest";
  std::fprintf(stderr,
               "console_browser_test: quiet sample %s: lag %g messages; coverage %s "
               "%g %% of %g declared, %g missing\n",
               page.sampled_at.c_str(), *page.lag_messages_total, period.c_str(), *coverage,
               *declared, *missing);

  EXPECT_EQ(dev.Stop(SIGINT, 15000), 0) << "crvs dev must shut down cleanly on Ctrl-C";
  testing::RunProgram({"rm", "-rf", dir});
}

// ---- who may do what (issue 17) -----------------------------------------------------------

// fetch() from inside the signed-in page, as a script of the page would: the status code.
int FetchFromPage(Browser& browser, const std::string& method, const std::string& path,
                  const std::string& body = "{}") {
  json status = browser.Execute(
      "const done = arguments[arguments.length - 1];"
      "(async () => {"
      "  const s = await (await fetch('/api/session')).json();"
      "  const init = {method: arguments[0], headers: {'Content-Type': 'application/json',"
      "                'X-CSRF-Token': s.csrf_token || ''}};"
      "  if (arguments[0] !== 'GET') init.body = arguments[2];"
      "  done((await fetch(arguments[1], init)).status);"
      "})().catch(e => done(String(e)));",
      json::array({method, path, body}), /*async=*/true);
  return status.is_number() ? status.get<int>() : -1;
}

void SignOut(Browser& browser) {
  auto logout = browser.Find("#logout");
  ASSERT_TRUE(logout.has_value());
  browser.Click(*logout);
  EXPECT_TRUE(browser.WaitFor(
      "const f = document.getElementById('login-form'); return !!f && f.offsetParent !== null;"));
}

// A death notice refused by the sink, as a dead letter of the province of `commune`.
store::FailedMessage RefusedDeath(const std::string& no, const std::string& commune,
                                  int64_t offset) {
  auto notice = testing::DeathNotice(no);
  notice.mutable_place_of_death()->set_commune_code(commune);
  auto envelope = store::testing::Envelope(notice, records::v1::ACTION_SUBMIT, "m-" + no);
  store::FailedMessage failed;
  failed.message.topic_partition = {store::Topic("crvs.death-notices.v1"), store::Partition(0)};
  failed.message.offset = store::Offset(offset);
  failed.message.key = envelope.business_key();
  failed.message.value = envelope.SerializeAsString();
  failed.error_class = "VALIDATION";
  failed.error_message = "deceased.date_of_birth: after died_at";
  failed.business_key = envelope.business_key();
  failed.source = "facility:" + notice.key().facility_code();
  failed.message_id = envelope.message_id();
  return failed;
}

// Operators sign in through the page and act within their role and province, in Vietnamese:
// a wrong password is refused, repeated ones lock the account; a viewer cannot replay; an
// operator of province 01 neither sees nor acts on a dead letter of province 79 (page and
// API); a cross-origin form cannot pause the sink, a forged Host reads nothing; the audit
// trail names the operator who replayed. Screenshots of the Vietnamese console are kept.
TEST(ConsoleBrowser, OperatorsSignInAndActWithinTheirRoleAndProvince) {
  auto keys = DescribeConfig();
  char dir_template[] = "/tmp/crvs-console-auth-XXXXXX";
  std::string dir = mkdtemp(dir_template);
  const std::string database = "sqlite:" + dir + "/crvs.db";
  std::map<std::string, int> ports;
  std::vector<std::string> argv = CrvsOnFreePorts(keys, database, &ports);
  // This test signs in a dozen times a minute; the throttle has its own unit test.
  argv.insert(argv.end(), {"--set", "console.login_attempts_per_minute=100", "dev"});
  testing::Subprocess dev(argv);
  const int console_port = ports["console.listen"];
  const std::string url = "http://" + Address(console_port) + "/";
  bool up = false;
  for (int i = 0; i < 300 && !up; ++i) {
    up = !HttpGet(console_port, "/healthz").empty();
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(up) << "crvs dev's console did not start";
  for (auto [name, role, province] : {std::tuple{"lan", "operator", ""},
                                      std::tuple{"vy", "viewer", ""},
                                      std::tuple{"ha", "operator", "01"},
                                      std::tuple{"khoa", "viewer", ""}}) {
    auto added = testing::AddConsoleOperator(CRVS_BINARY, database, name, role, province);
    ASSERT_EQ(added.exit_code, 0) << added.err;
  }
  int64_t hanoi = 0, hcmc = 0;
  {
    store::DatabaseConfig config;
    config.url = database;
    auto store = store::Store::Open(config);
    ASSERT_TRUE(store.ok()) << store.status();
    store::ApplyBatch batch;
    batch.failures = {RefusedDeath("HN-1", "00004", 900001),    // Ba Đình, Hà Nội (01)
                      RefusedDeath("HCM-1", "25747", 900002)};  // province 79
    ASSERT_TRUE((*store)->Apply(batch).ok());
    auto page = (*store)->ListDeadLetters({});
    ASSERT_TRUE(page.ok());
    for (const auto& d : page->dead_letters) {
      (d.business_key.find("HN-1") != std::string::npos ? hanoi : hcmc) = d.id;
    }
  }
  ASSERT_GT(hanoi, 0);
  ASSERT_GT(hcmc, 0);
  const std::string out = std::string(CRVS_TEST_OUTPUT_DIR) + "/";

  Browser browser;
  ASSERT_TRUE(browser.ok()) << browser.error();
  // The sign-in page, in Vietnamese.
  ASSERT_TRUE(browser.Navigate(url));
  ASSERT_TRUE(browser.Find("#login-form").has_value()) << browser.Source();
  EXPECT_EQ(browser.Execute("return document.documentElement.lang;"), json("vi"));
  EXPECT_TRUE(browser.Screenshot(out + "console-sign-in.png"));

  // A wrong password is refused; the fifth locks the account, and then even the right one is.
  std::string refused = SignInThroughThePage(browser, url, "khoa", "not the password at all");
  EXPECT_FALSE(refused.empty());
  EXPECT_THAT(refused, ::testing::HasSubstr("wrong operator name or password"));
  for (int i = 0; i < 4; ++i) SignInThroughThePage(browser, url, "khoa", "still not it, no");
  std::string locked = SignInThroughThePage(browser, url, "khoa");
  EXPECT_THAT(locked, ::testing::HasSubstr("locked"));
  EXPECT_TRUE(browser.Screenshot(out + "console-locked.png"));

  // A viewer sees the dead letters and no replay button; replaying through the API is refused.
  ASSERT_EQ(SignInThroughThePage(browser, url, "vy"), "");
  const std::string hanoi_row = "#dl-row-" + std::to_string(hanoi);
  const std::string hcmc_row = "#dl-row-" + std::to_string(hcmc);
  ASSERT_TRUE(browser.Find(hanoi_row).has_value());
  auto row = browser.Find(hanoi_row);
  browser.Click(*row);
  EXPECT_TRUE(browser.WaitFor(
      "const d = document.getElementById('dl-detail'); return !!d && !d.hidden;"));
  EXPECT_EQ(browser.Execute("const b = document.getElementById('dl-replay');"
                            "return !!b && b.offsetParent !== null;"),
            json(false))
      << "a viewer must not see the replay button";
  EXPECT_EQ(FetchFromPage(browser, "POST",
                          "/api/dead-letters/" + std::to_string(hanoi) + "/replay"),
            403);
  SignOut(browser);

  // Province 01 sees its own dead letter, not province 79's; the API refuses 79's too.
  ASSERT_EQ(SignInThroughThePage(browser, url, "ha"), "");
  ASSERT_TRUE(browser.Find(hanoi_row).has_value());
  EXPECT_FALSE(browser.Find(hcmc_row, 2000).has_value()) << "province 01 sees province 79";
  EXPECT_EQ(FetchFromPage(browser, "GET", "/api/dead-letters/" + std::to_string(hcmc)), 404);
  EXPECT_EQ(FetchFromPage(browser, "POST",
                          "/api/dead-letters/" + std::to_string(hcmc) + "/discard",
                          R"({"reason": "not ours"})"),
            404);
  // Pausing the pipeline affects every province: not offered to a provincial operator.
  ASSERT_TRUE(browser.WaitFor("return !!document.getElementById('connector-registry-sink-state');"));
  EXPECT_EQ(browser.Execute("const b = document.getElementById('connector-registry-sink-pause');"
                            "return !!b && b.offsetParent !== null;"),
            json(false));
  EXPECT_TRUE(browser.Screenshot(out + "console-province-01.png"));
  SignOut(browser);

  // A national operator, signed in, visits another site whose form posts to the console.
  ASSERT_EQ(SignInThroughThePage(browser, url, "lan"), "");
  httplib::Server evil;
  evil.Get("/", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(
        "<!doctype html><form id=f method=post enctype=text/plain action=\"" + url +
            "api/connectors/registry-sink/pause\"><input name='{\"a\":\"' value='\"}'></form>"
            "<script>document.getElementById('f').submit();</script>",
        "text/html");
  });
  const int evil_port = evil.bind_to_any_port("127.0.0.1");
  std::thread evil_thread([&] { evil.listen_after_bind(); });
  browser.Navigate("http://localhost:" + std::to_string(evil_port) + "/");
  std::this_thread::sleep_for(std::chrono::seconds(2));
  evil.stop();
  evil_thread.join();
  httplib::Client api("127.0.0.1", console_port);
  const httplib::Headers lan = testing::SignInToConsole(api, "lan");
  json status = GetJson(console_port, "/api/status", lan);
  for (const auto& c : status["connectors"]) {
    EXPECT_EQ(c["state"], "running") << c.dump() << ": a cross-site form paused it";
  }
  // A forged Host (DNS rebinding) reads nothing.
  httplib::Headers forged = lan;
  forged.emplace("Host", "attacker.example");
  auto rebound = api.Get("/api/dead-letters", forged);
  ASSERT_TRUE(rebound);
  EXPECT_EQ(rebound->status, 403);

  // The operator replays the Hà Nội dead letter from the page; the audit trail names them.
  browser.Navigate(url);
  row = browser.Find(hanoi_row);
  ASSERT_TRUE(row.has_value());
  browser.Click(*row);
  auto replay = browser.Find("#dl-replay");
  ASSERT_TRUE(replay.has_value());
  ASSERT_TRUE(browser.WaitFor("return !document.getElementById('dl-replay').disabled;"));
  browser.Click(*replay);
  EXPECT_TRUE(browser.WaitFor(
      "const m = document.getElementById('dl-message');"
      "return !!m && (m.classList.contains('ok') || m.classList.contains('error'));"));
  auto said = browser.Find("#dl-message", 0);
  ASSERT_TRUE(said.has_value());
  EXPECT_EQ(browser.Execute("return document.getElementById('dl-message').className;"),
            json("message ok"))
      << browser.Text(*said);
  EXPECT_TRUE(browser.Screenshot(out + "console-vi.png"));
  auto audit = testing::RunProgram({CRVS_BINARY, "--set", "database.url=" + database, "audit",
                                    "list"});
  EXPECT_THAT(audit.out, ::testing::ContainsRegex("operator:lan\tdead_letter.replayed\t"))
      << audit.out;
  EXPECT_THAT(audit.out, ::testing::Not(::testing::HasSubstr("connector.paused")));

  EXPECT_EQ(dev.Stop(SIGINT, 15000), 0);
  testing::RunProgram({"rm", "-rf", dir});
}

// ---- client certificates (issue 17) ------------------------------------------------------

// GET /api/session from inside the page: {"status": code, "body": the JSON answer}.
json SessionFromPage(Browser& browser) {
  return browser.Execute(
      "const done = arguments[arguments.length - 1];"
      "fetch('/api/session').then(async r => done({status: r.status, body: await r.json()}))"
      "                     .catch(e => done({status: -1, body: String(e)}));",
      json::array(), /*async=*/true);
}

// console.auth = certificate in a real browser: `crvs dev` serves the console over HTTPS and
// asks for a client certificate of its CA. Chromium holding operator:lan's (in its NSS
// database, chosen without asking) is signed in as lan, a viewer, by the certificate alone: no
// form, the dashboard, and GET /api/session from the page answers 200 with "auth":
// "certificate". The same browser without a certificate gets the page's explanation, and no
// password form. A screenshot of the signed-in page is kept (console-certificate.png).
TEST(ConsoleBrowser, OperatorsSignInWithTheirClientCertificate) {
  auto keys = DescribeConfig();
  if (!keys.count("console.auth")) GTEST_SKIP() << "this crvs has no client-certificate sign-in";
  char dir_template[] = "/tmp/crvs-console-certificate-XXXXXX";
  const std::string dir = mkdtemp(dir_template);
  // However the test ends (declared first, so it goes after the browsers and `crvs dev`).
  struct RemoveAtExit {
    std::string path;
    ~RemoveAtExit() { testing::RunProgram({"rm", "-rf", path}); }
  } remove_dir{dir};
  const std::string pki = dir + "/pki";
  for (const auto& argv : std::vector<std::vector<std::string>>{
           {CRVS_BINARY, "certs", "init", "--dir", pki},
           {CRVS_BINARY, "certs", "issue", "--dir", pki, "--principal", "operator:lan", "--out",
            "lan"},
           {CRVS_BINARY, "certs", "issue", "--dir", pki, "--principal", "server:console",
            "--server", "--out", "console"}}) {
    auto made = testing::RunProgram(argv);
    ASSERT_EQ(made.exit_code, 0) << "crvs certs " << argv[2] << ": " << made.err;
  }

  const std::string database = "sqlite:" + dir + "/crvs.db";
  std::map<std::string, int> ports;
  std::vector<std::string> argv = CrvsOnFreePorts(keys, database, &ports);
  argv.insert(argv.end(), {"--set", "console.auth=certificate",
                           "--set", "console.https_cert_file=" + pki + "/console.crt",
                           "--set", "console.https_key_file=" + pki + "/console.key",
                           "--set", "console.client_ca_file=" + pki + "/ca.crt", "dev"});
  testing::Subprocess dev(argv);
  const int console_port = ports["console.listen"];
  const std::string origin = "https://" + Address(console_port);
  const std::string url = origin + "/";
  bool up = false;
  for (int i = 0; i < 300 && !up; ++i) {
    // The probes answer without a client certificate; the server's is verified against the CA.
    httplib::SSLClient probe("127.0.0.1", console_port);
    probe.set_ca_cert_path((pki + "/ca.crt").c_str());
    probe.enable_server_certificate_verification(true);
    probe.set_connection_timeout(2);
    auto res = probe.Get("/healthz");
    up = res && res->status == 200;
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(up) << "crvs dev's console did not start on " << url;
  auto added = testing::RunProgram({CRVS_BINARY, "--set", "database.url=" + database, "operators",
                                    "add", "lan", "--certificate-only", "--role", "viewer"});
  ASSERT_EQ(added.exit_code, 0) << added.err;

  const std::string signed_in =
      "const s = document.getElementById('session-operator');"
      "return !!s && s.textContent.includes('lan') && s.dataset.role !== '';";
  const std::string form_shown =
      "const f = document.getElementById('login-form'); return !!f && f.offsetParent !== null;";
  const std::string page_text = "return document.body.innerText;";

  // With operator:lan's certificate.
  const std::string home = dir + "/home";
  ASSERT_EQ(ImportClientCertificate(home, pki + "/lan.crt", pki + "/lan.key"), "");
  Browser::Options with_certificate;
  with_certificate.home = home;
  with_certificate.preferences = AutoSelectCertificate(origin);
  Browser browser(with_certificate);
  ASSERT_TRUE(browser.ok()) << browser.error();
  ASSERT_TRUE(browser.Navigate(url)) << browser.error();
  ASSERT_TRUE(browser.WaitFor(signed_in, 20000))
      << "not signed in by the certificate; the page says:\n" << browser.Execute(page_text);
  EXPECT_TRUE(browser.Find("#dashboard", 0).has_value());
  EXPECT_EQ(browser.Execute(form_shown), json(false));
  EXPECT_EQ(browser.Execute("return document.getElementById('session-operator').dataset.role;"),
            json("viewer"));
  json session = SessionFromPage(browser);
  ASSERT_TRUE(session.is_object()) << browser.last_error();
  EXPECT_EQ(session["status"], 200) << session.dump();
  EXPECT_EQ(session["body"].value("auth", ""), "certificate") << session.dump();
  EXPECT_EQ(session["body"].value("operator", ""), "operator:lan") << session.dump();
  EXPECT_EQ(session["body"].value("role", ""), "viewer") << session.dump();
  // A viewer, by the account: the API refuses to pause.
  EXPECT_EQ(FetchFromPage(browser, "POST", "/api/connectors/registry-sink/pause"), 403);
  // The page's figures, for the screenshot.
  browser.WaitFor(
      "const n = document.getElementById('lag-messages-total'); return !!n && !!n.dataset.value;",
      10000);
  EXPECT_TRUE(browser.Screenshot(std::string(CRVS_TEST_OUTPUT_DIR) + "/console-certificate.png"));

  // The same browser without a certificate (a fresh home: no NSS database at all).
  Browser::Options without_certificate;
  without_certificate.preferences = AutoSelectCertificate(origin);
  Browser stranger(without_certificate);
  ASSERT_TRUE(stranger.ok()) << stranger.error();
  ASSERT_TRUE(stranger.Navigate(url)) << stranger.error();
  auto message = stranger.Find("#login-message", 20000);
  ASSERT_TRUE(message.has_value()) << "no message; the page says:\n"
                                   << stranger.Execute(page_text);
  ASSERT_TRUE(stranger.WaitFor(
      "return document.getElementById('login-message').textContent.trim() !== '';"))
      << stranger.Execute(page_text);
  EXPECT_THAT(stranger.Text(*message), ::testing::HasSubstr("operator:"));
  EXPECT_EQ(stranger.Execute(form_shown), json(false)) << "a password form for certificates";
  EXPECT_EQ(stranger.Execute(signed_in), json(false));
  json refused = SessionFromPage(stranger);
  ASSERT_TRUE(refused.is_object()) << stranger.last_error();
  EXPECT_EQ(refused["status"], 401) << refused.dump();
  EXPECT_EQ(refused["body"].value("auth", ""), "certificate") << refused.dump();

  EXPECT_EQ(dev.Stop(SIGINT, 15000), 0) << "crvs dev must shut down cleanly on Ctrl-C";
}

}  // namespace
}  // namespace crvs::e2e
