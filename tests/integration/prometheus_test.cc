// Prometheus: the deploy/prometheus scrape configuration and alert rules pass promtool (syntax,
// and rule unit tests that fire every alert on unhealthy series and none on healthy ones), the
// scrape targets are the services' configured defaults, and every crvs process's /metrics
// passes `promtool check metrics` (exposition format and Prometheus' naming conventions) —
// `crvs dev` and each service started on its own, after real traffic so that the labelled
// families exist — and a real Prometheus scraping `crvs dev` evaluates every rule without error.
//
// promtool and prometheus come from Debian's `prometheus` package (scripts/install-deps.sh).
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "crvs/ingest/v1/health_ingest.grpc.pb.h"
#include "crvs/reconcile/v1/reconciliation.grpc.pb.h"
#include "crvs/registry/v1/registry.grpc.pb.h"
#include "tests/e2e/pipeline_harness.h"
#include "tests/support/fixtures.h"
#include "tests/support/subprocess.h"
#include "tests/support/text.h"

namespace crvs {
namespace {

using ::crvs::testing::Lines;
using ::crvs::testing::SumOf;


using ::testing::IsEmpty;

std::string Source(const std::string& path) { return std::string(CRVS_SOURCE_DIR) + "/" + path; }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

testing::RunResult Promtool(const std::vector<std::string>& args, const std::string& input = "") {
  std::vector<std::string> argv = {"promtool"};
  argv.insert(argv.end(), args.begin(), args.end());
  return testing::RunProgram(argv, input);
}

// `crvs config describe`: key -> current value (the default, in a clean environment).
std::map<std::string, std::string> DescribeConfig() {
  auto r = testing::RunProgram({CRVS_BINARY, "config", "describe"});
  std::map<std::string, std::string> keys;
  const std::regex entry(R"(^(\S+) \(([a-z]+), now (.*)\)$)");
  for (const auto& line : Lines(r.out)) {
    std::smatch m;
    if (!std::regex_match(line, m, entry)) continue;
    std::string value = m[3];
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    keys[m[1]] = value;
  }
  return keys;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The subcommands `crvs --help` lists.
std::set<std::string> Subcommands() {
  auto r = testing::RunProgram({CRVS_BINARY, "--help"});
  std::set<std::string> out;
  bool in_list = false;
  for (const auto& line : Lines(r.out)) {
    if (line.rfind("Subcommands:", 0) == 0) {
      in_list = true;
      continue;
    }
    std::smatch m;
    static const std::regex item(R"(^  ([a-z][a-z-]*)\s)");
    if (in_list && std::regex_search(line, m, item)) out.insert(m[1]);
  }
  return out;
}

std::string Address(int port) { return "127.0.0.1:" + std::to_string(port); }

// GET http://127.0.0.1:port/path; empty on failure or a non-200 answer.
std::string HttpGet(int port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(2);
  client.set_read_timeout(5);
  auto res = client.Get(path.c_str());
  if (!res || res->status != 200) return "";
  return res->body;
}

// Waits until the /metrics on `port` has at least `at_least` summed over `name`.
bool WaitForMetric(int port, const std::string& name, double at_least, int timeout_s) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < until) {
    if (SumOf(HttpGet(port, "/metrics"), name) >= at_least) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

bool WaitForHttp(int port, const std::string& path, int timeout_s) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < until) {
    httplib::Client client("127.0.0.1", port);
    client.set_connection_timeout(1);
    auto res = client.Get(path.c_str());
    if (res) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

std::chrono::system_clock::time_point In(int seconds) {
  return std::chrono::system_clock::now() + std::chrono::seconds(seconds);
}

// `promtool check metrics` on one endpoint's exposition: the problems it prints, one per line,
// each prefixed with where the text came from; empty when the text is clean.
std::vector<std::string> LintProblems(const std::string& where, const std::string& exposition) {
  auto r = Promtool({"check", "metrics"}, exposition);
  std::vector<std::string> problems;
  for (const auto& line : Lines(r.out + r.err)) {
    if (!Trim(line).empty()) problems.push_back(where + ": " + Trim(line));
  }
  if (r.exit_code != 0 && problems.empty()) {
    problems.push_back(where + ": promtool check metrics exited " + std::to_string(r.exit_code));
  }
  return problems;
}

// One death notice through HealthIngest.Submit; true when accepted.
bool SubmitDeathNotice(const std::shared_ptr<grpc::Channel>& gateway, const std::string& no) {
  ingest::v1::IngestRequest request;
  request.set_message_id("prometheus-" + no);
  request.set_action(records::v1::ACTION_SUBMIT);
  *request.mutable_death_notice() = testing::DeathNotice(no);
  ingest::v1::Receipt receipt;
  grpc::ClientContext context;
  context.AddMetadata("crvs-principal", "facility:BV01002");
  context.set_deadline(In(20));
  grpc::Status s = ingest::v1::HealthIngest::NewStub(gateway)->Submit(&context, request, &receipt);
  // ACCEPTED from a gateway on a Kafka cluster; COMMITTED from `crvs dev`, whose receipts wait
  // for the database.
  return s.ok() && (receipt.state() == ingest::v1::RECEIPT_STATE_ACCEPTED ||
                    receipt.state() == ingest::v1::RECEIPT_STATE_COMMITTED);
}

// One rejected submission (no record at all: INVALID_ARGUMENT), so the gateway's error series
// exist too.
void SubmitInvalid(const std::shared_ptr<grpc::Channel>& gateway) {
  ingest::v1::IngestRequest request;
  request.set_message_id("prometheus-invalid");
  request.set_action(records::v1::ACTION_SUBMIT);
  ingest::v1::Receipt receipt;
  grpc::ClientContext context;
  context.AddMetadata("crvs-principal", "facility:BV01002");
  context.set_deadline(In(20));
  ingest::v1::HealthIngest::NewStub(gateway)->Submit(&context, request, &receipt);
}

// A registry read and a reconciliation call, so their per-method series exist.
void CallRegistryAndReconcile(int registry_port, int reconcile_port) {
  if (registry_port > 0) {
    auto stub = registry::v1::Registry::NewStub(
        grpc::CreateChannel(Address(registry_port), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.AddMetadata("crvs-principal", "operator:ops-1");
    context.set_deadline(In(20));
    registry::v1::GetRecordRequest request;
    request.set_business_key("death/BV01002/PROM-1");
    registry::v1::RecordView view;
    stub->GetRecord(&context, request, &view);
  }
  if (reconcile_port > 0) {
    auto stub = reconcile::v1::Reconciliation::NewStub(
        grpc::CreateChannel(Address(reconcile_port), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.AddMetadata("crvs-principal", "operator:ops-1");
    context.set_deadline(In(30));
    reconcile::v1::IndicatorsRequest request;
    request.set_period("2026");
    reconcile::v1::IndicatorReport report;
    stub->GetIndicators(&context, request, &report);
  }
}

// ---- configuration and rules ---------------------------------------------------------------

TEST(PrometheusConfig, PromtoolAcceptsTheScrapeConfigurations) {
  for (const char* file :
       {"deploy/prometheus/prometheus.yml", "deploy/prometheus/prometheus.dev.yml"}) {
    auto r = Promtool({"check", "config", Source(file)});
    EXPECT_EQ(r.exit_code, 0) << file << "\n" << r.out << r.err;
    EXPECT_THAT(r.out, ::testing::HasSubstr("SUCCESS")) << file;
  }
}

TEST(PrometheusRules, PromtoolAcceptsTheRules) {
  auto r = Promtool({"check", "rules", Source("deploy/prometheus/rules/crvs.rules.yml")});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(PrometheusRules, UnitTestsPass) {
  auto r = Promtool({"test", "rules", Source("deploy/prometheus/rules/crvs.rules.test.yml")});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

struct AlertRule {
  std::string name;
  std::string severity;
  std::set<std::string> annotations;
};

// The alerting rules of the rules file: name, severity label, annotation keys (a line scan of
// the file's layout: `- alert:`, then `labels:` / `annotations:` maps whose keys are indented
// one level below them).
std::vector<AlertRule> ReadAlertRules(const std::string& text) {
  std::vector<AlertRule> rules;
  std::string section;
  size_t section_indent = 0;
  for (const auto& raw : Lines(text)) {
    std::string line = Trim(raw);
    if (line.empty() || line[0] == '#') continue;
    size_t indent = raw.find_first_not_of(' ');
    std::smatch m;
    if (std::regex_match(line, m, std::regex(R"(- alert: (\S+))"))) {
      rules.push_back({m[1], "", {}});
      section.clear();
      continue;
    }
    if (rules.empty()) continue;
    if (!section.empty() && indent <= section_indent) section.clear();
    if (line == "labels:" || line == "annotations:") {
      section = line;
      section_indent = indent;
    } else if (!section.empty() && indent == section_indent + 2 &&
               std::regex_match(line, m, std::regex(R"(([a-z_]+): ?(.*))"))) {
      if (section == "labels:" && m[1] == "severity") rules.back().severity = m[2];
      if (section == "annotations:") rules.back().annotations.insert(m[1]);
    }
  }
  return rules;
}

TEST(PrometheusRules, EveryAlertHasSeverityAnnotationsAndARunbookEntry) {
  auto rules = ReadAlertRules(ReadFile(Source("deploy/prometheus/rules/crvs.rules.yml")));
  ASSERT_GE(rules.size(), 10u);
  const std::string readme = ReadFile(Source("deploy/prometheus/README.md"));
  for (const auto& rule : rules) {
    SCOPED_TRACE(rule.name);
    EXPECT_THAT(rule.severity, ::testing::AnyOf("critical", "warning"));
    for (const char* key : {"summary", "description", "runbook"}) {
      EXPECT_TRUE(rule.annotations.count(key)) << "annotation " << key;
    }
    // The runbook annotation points at README.md#<alert name, lower case>.
    EXPECT_THAT(readme, ::testing::HasSubstr("### " + rule.name + "\n"));
  }
}

// Every alert has a unit test where it fires and one where it stays silent.
TEST(PrometheusRules, EveryAlertIsTestedFiringAndSilent) {
  auto rules = ReadAlertRules(ReadFile(Source("deploy/prometheus/rules/crvs.rules.yml")));
  auto lines = Lines(ReadFile(Source("deploy/prometheus/rules/crvs.rules.test.yml")));
  std::map<std::string, std::pair<int, int>> seen;  // alert -> (firing cases, silent cases)
  for (size_t i = 0; i < lines.size(); ++i) {
    std::smatch m;
    std::string line = Trim(lines[i]);
    if (!std::regex_match(line, m, std::regex(R"(alertname: (\S+))"))) continue;
    bool fires = i + 1 < lines.size() && Trim(lines[i + 1]).rfind("exp_alerts:", 0) == 0;
    (fires ? seen[m[1]].first : seen[m[1]].second)++;
  }
  for (const auto& rule : rules) {
    EXPECT_GE(seen[rule.name].first, 1) << rule.name << " is never tested firing";
    EXPECT_GE(seen[rule.name].second, 1) << rule.name << " is never tested silent";
  }
}

// job_name -> the targets of its static_configs (a line scan of the file's fixed layout).
std::map<std::string, std::vector<std::string>> ScrapeTargets(const std::string& text) {
  std::map<std::string, std::vector<std::string>> jobs;
  std::string job;
  for (const auto& line : Lines(text)) {
    std::smatch m;
    if (std::regex_search(line, m, std::regex(R"(- job_name: (\S+))"))) job = m[1];
    if (!job.empty() && std::regex_search(line, m, std::regex(R"(targets: \[(.*)\])"))) {
      static const std::regex quoted(R"re("([^"]+)")re");
      std::string list = m[1];
      for (auto it = std::sregex_iterator(list.begin(), list.end(), quoted);
           it != std::sregex_iterator(); ++it) {
        jobs[job].push_back((*it)[1]);
      }
    }
  }
  return jobs;
}

// The scrape targets are the services' configured defaults, so the file keeps up with the code.
TEST(PrometheusConfig, TargetsAreTheServicesDefaultMetricsAddresses) {
  auto keys = DescribeConfig();
  ASSERT_TRUE(keys.count("gateway.metrics_listen")) << "crvs config describe failed";
  auto jobs = ScrapeTargets(ReadFile(Source("deploy/prometheus/prometheus.yml")));
  const std::map<std::string, std::string> job_key = {
      {"crvs-gateway", "gateway.metrics_listen"},
      {"crvs-sink", "sink.metrics_listen"},
      {"crvs-registry", "registry.metrics_listen"},
      {"crvs-reconcile", "reconcile.metrics_listen"},
      {"crvs-admin", "admin.metrics_listen"},
      {"crvs-court-source", "court_source.metrics_listen"},
      {"crvs-console", "console.listen"}};
  for (const auto& [job, key] : job_key) {
    SCOPED_TRACE(job);
    ASSERT_EQ(jobs[job].size(), 1u);
    ASSERT_TRUE(keys.count(key)) << key;
    EXPECT_EQ(jobs[job][0], keys[key]) << key;
  }
  // No two jobs scrape the same address.
  std::set<std::string> addresses;
  for (const auto& [job, targets] : jobs) {
    for (const auto& t : targets) EXPECT_TRUE(addresses.insert(t).second) << t << " twice";
  }
  auto dev = ScrapeTargets(ReadFile(Source("deploy/prometheus/prometheus.dev.yml")));
  ASSERT_EQ(dev["crvs-dev"].size(), 1u);
  EXPECT_EQ(dev["crvs-dev"][0], keys["gateway.metrics_listen"]);
}

// ---- the processes' /metrics ---------------------------------------------------------------

// Starts a Prometheus server (Debian's prometheus) scraping `target` every second with the
// rules loaded; its HTTP API on the returned port.
std::unique_ptr<testing::Subprocess> StartPrometheus(const std::string& dir,
                                                     const std::string& target, int* port) {
  testing::RunProgram({"mkdir", "-p", dir + "/data"});
  std::ofstream(dir + "/prometheus.yml")
      << "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
      << "rule_files: [\"" << Source("deploy/prometheus/rules/crvs.rules.yml") << "\"]\n"
      << "scrape_configs:\n"
      << "  - job_name: crvs-dev\n"
      << "    static_configs: [{targets: [\"" << target << "\"]}]\n";
  *port = e2e::FreePort();
  return std::make_unique<testing::Subprocess>(
      std::vector<std::string>{"prometheus", "--config.file=" + dir + "/prometheus.yml",
                               "--storage.tsdb.path=" + dir + "/data",
                               "--web.listen-address=" + Address(*port), "--log.level=warn"});
}

// `crvs dev` with every listen address of `crvs config describe` on a free port, so the test
// keeps working as components are added to dev. Its /metrics pass the lint, and a real
// Prometheus scraping it evaluates every rule without error: label matching (the coverage
// join, the `and on (job, instance)` clauses) can only fail at evaluation, on real series.
TEST(PrometheusMetrics, CrvsDevEndpointsPassLintAndEveryRuleEvaluates) {
  auto keys = DescribeConfig();
  ASSERT_TRUE(keys.count("gateway.metrics_listen")) << "crvs config describe failed";
  char dir_template[] = "/tmp/crvs-prom-dev-XXXXXX";
  std::string dir = mkdtemp(dir_template);
  std::map<std::string, int> ports;
  std::vector<std::string> argv = {CRVS_BINARY, "--set", "database.url=sqlite:" + dir + "/crvs.db",
                                   "--set", "log.level=warn"};
  for (const auto& [key, value] : keys) {
    if (!EndsWith(key, ".listen") && !EndsWith(key, ".metrics_listen")) continue;
    ports[key] = e2e::FreePort();
    argv.insert(argv.end(), {"--set", key + "=" + Address(ports[key])});
  }
  // The console's upstreams, when this binary has a console.
  if (keys.count("console.admin_address") && ports.count("admin.listen")) {
    argv.insert(argv.end(), {"--set", "console.admin_address=" + Address(ports["admin.listen"])});
  }
  if (keys.count("console.reconcile_address") && ports.count("reconcile.listen")) {
    argv.insert(argv.end(),
                {"--set", "console.reconcile_address=" + Address(ports["reconcile.listen"])});
  }
  if (keys.count("console.metrics_urls")) {
    argv.insert(argv.end(), {"--set", "console.metrics_urls=http://" +
                                          Address(ports["gateway.metrics_listen"]) + "/metrics"});
  }
  argv.push_back("dev");
  testing::Subprocess dev(argv);

  auto gateway =
      grpc::CreateChannel(Address(ports["gateway.listen"]), grpc::InsecureChannelCredentials());
  ASSERT_TRUE(gateway->WaitForConnected(In(30))) << "crvs dev did not start";
  ASSERT_TRUE(SubmitDeathNotice(gateway, "PROM-1"));
  SubmitInvalid(gateway);
  const int metrics = ports["gateway.metrics_listen"];
  ASSERT_TRUE(WaitForMetric(metrics, "crvs_sink_records_total", 1, 30))
      << "the notice was not committed";
  CallRegistryAndReconcile(ports.count("registry.listen") ? ports["registry.listen"] : 0,
                           ports.count("reconcile.listen") ? ports["reconcile.listen"] : 0);

  // dev serves every component's metrics on gateway.metrics_listen; any other endpoint that
  // answers (the console's own /metrics) is checked too.
  std::vector<std::string> problems;
  int checked = 0;
  for (const auto& [key, port] : ports) {
    if (key != "gateway.metrics_listen" && !EndsWith(key, ".metrics_listen") &&
        key != "console.listen") {
      continue;
    }
    std::string text = HttpGet(port, "/metrics");
    if (text.empty()) {
      EXPECT_NE(key, "gateway.metrics_listen") << "crvs dev's /metrics did not answer";
      continue;
    }
    ++checked;
    auto found = LintProblems("crvs dev " + key + " /metrics", text);
    problems.insert(problems.end(), found.begin(), found.end());
  }
  EXPECT_GE(checked, 1);
  EXPECT_THAT(problems, IsEmpty());

  int prometheus_port = 0;
  auto prometheus = StartPrometheus(dir + "/prometheus", Address(metrics), &prometheus_port);
  const size_t alerts =
      ReadAlertRules(ReadFile(Source("deploy/prometheus/rules/crvs.rules.yml"))).size();
  nlohmann::json rules;
  std::vector<std::string> unhealthy;
  size_t evaluated = 0;
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
       std::chrono::steady_clock::now() < until;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    rules = nlohmann::json::parse(HttpGet(prometheus_port, "/api/v1/rules"), nullptr, false);
    if (!rules.is_object() || !rules.contains("data")) continue;
    unhealthy.clear();
    evaluated = 0;
    for (const auto& group : rules["data"]["groups"]) {
      for (const auto& rule : group["rules"]) {
        if (rule.value("health", "") == "ok") {
          ++evaluated;
        } else if (rule.value("health", "") == "err") {
          unhealthy.push_back(rule.value("name", "?") + ": " + rule.value("lastError", ""));
        }
      }
    }
    auto targets =
        nlohmann::json::parse(HttpGet(prometheus_port, "/api/v1/targets"), nullptr, false);
    bool up = targets.is_object() && targets.contains("data") &&
              !targets["data"]["activeTargets"].empty() &&
              targets["data"]["activeTargets"][0].value("health", "") == "up";
    // Two scrapes at least, so rate() and increase() have their two samples.
    if (up && evaluated == alerts && unhealthy.empty()) {
      std::this_thread::sleep_for(std::chrono::seconds(3));
      break;
    }
    if (!unhealthy.empty()) break;
  }
  rules = nlohmann::json::parse(HttpGet(prometheus_port, "/api/v1/rules"), nullptr, false);
  ASSERT_TRUE(rules.is_object() && rules.contains("data")) << "prometheus did not answer";
  evaluated = 0;
  for (const auto& group : rules["data"]["groups"]) {
    for (const auto& rule : group["rules"]) {
      if (rule.value("health", "") == "ok") {
        ++evaluated;
      } else {
        unhealthy.push_back(rule.value("name", "?") + ": health " + rule.value("health", "") + " " +
                            rule.value("lastError", ""));
      }
    }
  }
  EXPECT_EQ(evaluated, alerts) << rules.dump();
  EXPECT_THAT(unhealthy, IsEmpty());
  prometheus.reset();

  EXPECT_EQ(dev.Stop(SIGINT, 15000), 0);
  testing::RunProgram({"rm", "-rf", dir});
}

// Each service as its own process (as deployed), against one broker and one SQLite database,
// after traffic that makes their labelled families appear: an accepted and a rejected
// submission, undecodable messages on a record topic and on the court change stream (dead
// letters), a registry read and an indicators call.
TEST(PrometheusMetrics, StandaloneServiceEndpointsPassPromtoolLint) {
  auto keys = DescribeConfig();
  auto subcommands = Subcommands();
  char dir_template[] = "/tmp/crvs-prom-svc-XXXXXX";
  std::string dir = mkdtemp(dir_template);
  const std::string db = "database.url=sqlite:" + dir + "/crvs.db";

  testing::Subprocess broker({CRVS_BINARY, "--set", "log.level=warn", "devbroker"});
  std::string bootstrap = broker.ReadLine(20000);
  ASSERT_EQ(bootstrap.rfind("127.0.0.1:", 0), 0u) << "devbroker did not start";
  auto crvs = [&](const std::vector<std::string>& sets, const std::string& subcommand) {
    std::vector<std::string> argv = {CRVS_BINARY,
                                     "--set",
                                     "log.level=warn",
                                     "--set",
                                     db,
                                     "--set",
                                     "kafka.bootstrap_servers=" + bootstrap};
    for (const auto& s : sets) argv.insert(argv.end(), {"--set", s});
    argv.push_back(subcommand);
    return std::make_unique<testing::Subprocess>(argv);
  };

  struct Service {
    std::string name;
    int metrics_port;
    std::unique_ptr<testing::Subprocess> process;
  };
  std::vector<Service> services;
  std::map<std::string, int> grpc_ports;
  auto start = [&](const std::string& name, const std::string& section,
                   std::vector<std::string> sets) {
    int metrics = e2e::FreePort();
    sets.push_back(section + ".metrics_listen=" + Address(metrics));
    // Development deployment: plaintext gRPC (this binary's default may be mutual TLS).
    for (const char* s : {"gateway", "registry", "reconcile", "admin"}) {
      if (keys.count(std::string(s) + ".plaintext")) sets.push_back(std::string(s) + ".plaintext=true");
    }
    if (keys.count(section + ".listen")) {
      grpc_ports[name] = e2e::FreePort();
      sets.push_back(section + ".listen=" + Address(grpc_ports[name]));
    }
    services.push_back({name, metrics, crvs(sets, name)});
  };
  start("sink", "sink", {"sink.session_timeout=3s"});
  start("court-source", "court_source", {"court_source.session_timeout=3s"});
  start("registry", "registry", {});
  start("reconcile", "reconcile", {});
  start("gateway", "gateway", {});
  if (subcommands.count("admin") && keys.count("admin.metrics_listen")) start("admin", "admin", {});
  auto metrics_port = [&](const std::string& name) {
    for (const auto& s : services) {
      if (s.name == name) return s.metrics_port;
    }
    return 0;
  };
  if (subcommands.count("console") && keys.count("console.listen")) {
    // The console's metrics are on console.listen; it scrapes the gateway and sink.
    int port = e2e::FreePort();
    std::vector<std::string> sets = {"console.listen=" + Address(port),
                                     "console.metrics_urls=http://" +
                                         Address(metrics_port("gateway")) + "/metrics,http://" +
                                         Address(metrics_port("sink")) + "/metrics"};
    if (grpc_ports.count("reconcile")) {
      sets.push_back("console.reconcile_address=" + Address(grpc_ports["reconcile"]));
    }
    if (grpc_ports.count("admin"))
      sets.push_back("console.admin_address=" + Address(grpc_ports["admin"]));
    // The services it calls run plaintext.
    for (const char* s : {"admin", "reconcile"}) {
      if (keys.count(std::string(s) + ".plaintext")) sets.push_back(std::string(s) + ".plaintext=true");
    }
    services.push_back({"console", port, crvs(sets, "console")});
  }

  auto gateway =
      grpc::CreateChannel(Address(grpc_ports["gateway"]), grpc::InsecureChannelCredentials());
  ASSERT_TRUE(gateway->WaitForConnected(In(30))) << "crvs gateway did not start";
  ASSERT_TRUE(SubmitDeathNotice(gateway, "PROM-1"));
  SubmitInvalid(gateway);
  // Undecodable messages: a DECODE dead letter at the sink and at the court-source.
  auto kcat = [&](const std::string& topic) {
    return testing::RunProgram(
        {"kcat", "-P", "-b", bootstrap, "-t", topic, "-k", "prometheus-test"},
        "not a record envelope\n");
  };
  EXPECT_EQ(kcat(keys["kafka.topic_deaths"]).exit_code, 0);
  EXPECT_EQ(kcat(keys["court_source.input_topic"]).exit_code, 0);
  ASSERT_TRUE(WaitForMetric(metrics_port("sink"), "crvs_sink_records_total", 1, 60))
      << "the sink committed nothing";
  EXPECT_TRUE(WaitForMetric(metrics_port("sink"), "crvs_sink_dead_letters_total", 1, 30));
  EXPECT_TRUE(WaitForMetric(metrics_port("court-source"), "crvs_court_source_events_total", 1, 60));
  CallRegistryAndReconcile(grpc_ports["registry"], grpc_ports["reconcile"]);

  std::vector<std::string> problems;
  for (const auto& service : services) {
    SCOPED_TRACE(service.name);
    ASSERT_TRUE(WaitForHttp(service.metrics_port, "/metrics", 30)) << service.name << " /metrics";
    std::string text = HttpGet(service.metrics_port, "/metrics");
    EXPECT_FALSE(text.empty()) << "crvs " << service.name << " /metrics is empty";
    auto found = LintProblems("crvs " + service.name + " /metrics", text);
    problems.insert(problems.end(), found.begin(), found.end());
  }
  EXPECT_THAT(problems, IsEmpty());
  // Stop the services before the broker, then drop the database.
  services.clear();
  testing::RunProgram({"rm", "-rf", dir});
}

}  // namespace
}  // namespace crvs
