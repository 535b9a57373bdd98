#include "services/cli/config_command.h"

#include <iostream>
#include <string>
#include <vector>

#include <google/protobuf/stubs/common.h>
#include <grpcpp/grpcpp.h>
#include <librdkafka/rdkafka.h>
#include <sqlite3.h>

#include "services/crypto/payload_cipher.h"
#include "services/gateway/gateway.h"
#include "services/console/console.h"
#include "services/platform/exit_codes.h"
#include "services/reconcile/indicators/areas.h"
#include "services/validation/reference_data.h"

namespace crvs::cli {
namespace {

// Values a component would refuse at start.
std::vector<std::string> ValueProblems(const RootConfig& root) {
  std::vector<FieldViolation> bad = gateway::Gateway::ConfigViolations(root.gateway);
  for (FieldViolation& v : FieldViolations(console::ValidateConsoleConfig(root.console))) {
    bad.push_back(std::move(v));
  }
  if (root.sink.batch_max_records < 1) bad.push_back({"sink.batch_max_records", "must be >= 1"});
  if (root.sink.batch_max_wait.count() <= 0) bad.push_back({"sink.batch_max_wait", "must be > 0"});
  if (root.sink.session_timeout.count() < 1000) {
    bad.push_back({"sink.session_timeout", "must be at least 1s"});
  }
  std::vector<std::string> problems;
  for (const auto& v : bad) problems.push_back(v.field + ": " + v.description);
  return problems;
}

// Every file the configuration names, read as the components read it.
std::vector<std::string> FileProblems(const RootConfig& root) {
  std::vector<std::string> problems;
  if (!root.reference.provinces_file.empty()) {
    auto loaded = validation::ReferenceData::Load(root.reference.provinces_file);
    if (!loaded.ok()) {
      problems.push_back("reference.provinces_file: " + std::string(loaded.status().message()));
    }
  }
  // The register, the pre-2025 mapping and source locations, read together.
  auto areas = reconcile::indicators::Areas::Load({root.reconcile.reference_communes_file,
                                                   root.reconcile.reference_communes_before_2025_file,
                                                   root.reconcile.reference_sources_file});
  if (!areas.ok()) {
    problems.push_back("reconcile.reference_*: " + std::string(areas.status().message()));
  }
  if (!root.kafka.crypto.keyring_file.empty()) {
    auto cipher = crypto::LoadPayloadCipher(root.kafka.crypto);
    if (!cipher.ok()) problems.push_back(std::string(cipher.status().message()));  // names the key
  }
  return problems;
}

}  // namespace

ConfigCommand::ConfigCommand(CLI::App& app) {
  CLI::App* config = app.add_subcommand("config", "inspect the configuration");
  config->require_subcommand(1);
  describe_ = config->add_subcommand("describe", "every key: type, value, env name, help");
  dump_ = config->add_subcommand("dump", "the effective configuration as a TOML file");
  check_ = config->add_subcommand(
      "check",
      "load the configuration, check every value a component would refuse and read every file "
      "it names (reference data, keyring); exit 2 naming each problem");
  check_->add_flag("--no-files", no_files_,
                   "values only: do not read the files the configuration names (to check a "
                   "deployment's configuration away from the machine that holds them)");
}

bool ConfigCommand::parsed() const {
  return describe_->parsed() || dump_->parsed() || check_->parsed();
}

// check: every value a component would refuse at start, and every file the configuration
// names — so a configuration that passes here starts.
int ConfigCommand::Run(const RootConfig& root, const config::Config& config) const {
  if (describe_->parsed() || dump_->parsed()) {
    std::cout << (describe_->parsed() ? config.Describe() : config.Dump());
    return kExitOk;
  }
  std::vector<std::string> errors = no_files_ ? std::vector<std::string>{} : FileProblems(root);
  for (std::string& p : ValueProblems(root)) errors.push_back(std::move(p));
  if (errors.empty()) {
    std::cout << "configuration OK\n";
    return kExitOk;
  }
  for (const auto& e : errors) std::cerr << "crvs: " << e << "\n";
  std::cerr << "crvs: configuration invalid (" << errors.size() << " problem"
            << (errors.size() == 1 ? "" : "s") << ")\n";
  return kExitConfig;
}

VersionCommand::VersionCommand(CLI::App& app)
    : version_(app.add_subcommand("version", "print the version of crvs and its libraries")) {}

int VersionCommand::Run() const {
  std::printf("crvs %s\n", CRVS_VERSION);
  std::printf("  grpc %s, protobuf %s, librdkafka %s, sqlite %s\n", grpc::Version().c_str(),
              google::protobuf::internal::VersionString(GOOGLE_PROTOBUF_VERSION).c_str(),
              rd_kafka_version_str(), sqlite3_libversion());
  return kExitOk;
}

}  // namespace crvs::cli
