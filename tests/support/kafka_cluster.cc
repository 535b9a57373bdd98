#include "tests/support/kafka_cluster.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "tests/support/subprocess.h"

namespace crvs::testing {
namespace {

// `n` TCP ports, comma-separated, that were free a moment ago on 127.0.0.1. All bound at once
// so they differ, then closed together before the brokers bind them.
std::string FreePorts(int n) {
  std::vector<int> fds;
  std::string out;
  for (int i = 0; i < n; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    fds.push_back(fd);
    absl::StrAppend(&out, out.empty() ? "" : ",", ntohs(addr.sin_port));
  }
  for (int fd : fds) close(fd);
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<KafkaCluster>> KafkaCluster::Start(const Options& options) {
  std::unique_ptr<KafkaCluster> cluster(new KafkaCluster());
  char tmpl[] = "/tmp/crvs-kafka-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return absl::InternalError("mkdtemp failed");
  cluster->dir_ = tmpl;
  cluster->brokers_ = options.brokers;
  std::vector<std::string> argv = {CRVS_SOURCE_DIR "/scripts/kafka.sh",
                                   "up",
                                   "--dir",
                                   cluster->dir_,
                                   "--brokers",
                                   std::to_string(options.brokers),
                                   "--ports",
                                   FreePorts(2 * options.brokers),
                                   "--partitions",
                                   std::to_string(options.partitions),
                                   "--owner",
                                   std::to_string(getpid()),
                                   "--crvs",
                                   CRVS_BINARY};
  if (!options.product_topics) argv.push_back("--no-topics");
  for (const auto& s : options.broker_settings) argv.insert(argv.end(), {"--set", s});
  RunResult up = RunProgram(argv);
  if (up.exit_code != 0) {
    return absl::UnavailableError(
        absl::StrCat("scripts/kafka.sh up failed (exit ", up.exit_code, "): ", up.err));
  }
  std::string out = up.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  cluster->bootstrap_ = out.substr(out.rfind('\n') + 1);
  return cluster;
}

KafkaCluster::~KafkaCluster() {
  RunProgram({CRVS_SOURCE_DIR "/scripts/kafka.sh", "down", "--dir", dir_});
}

absl::Status KafkaCluster::Script(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {CRVS_SOURCE_DIR "/scripts/kafka.sh"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--dir", dir_});
  RunResult r = RunProgram(argv);
  if (r.exit_code != 0) {
    return absl::InternalError(absl::StrCat("scripts/kafka.sh ", args[0], ": ", r.err));
  }
  return absl::OkStatus();
}

absl::Status KafkaCluster::Kill(int node) { return Script({"kill", std::to_string(node)}); }
absl::Status KafkaCluster::Freeze(int node) { return Script({"freeze", std::to_string(node)}); }
absl::Status KafkaCluster::Thaw(int node) { return Script({"thaw", std::to_string(node)}); }
absl::Status KafkaCluster::Restart(int node) { return Script({"start", std::to_string(node)}); }

absl::Status KafkaCluster::KillAll() {
  for (int n = 1; n <= brokers_; ++n) {
    absl::Status st = Kill(n);
    if (!st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status KafkaCluster::RestartAll() {
  for (int n = 1; n <= brokers_; ++n) {
    absl::Status st = Restart(n);
    if (!st.ok()) return st;
  }
  return absl::OkStatus();
}

}  // namespace crvs::testing
