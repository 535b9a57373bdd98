// The whole product's configuration: one section per component, one file for all of them.
// `crvs config describe` prints every key with its type, current value and environment name.
#pragma once

#include <string>
#include <vector>

#include <absl/status/statusor.h>

#include "connectors/kafka/kafka_config.h"
#include "connectors/kafka/producer.h"
#include "connectors/court_source/court_source_config.h"
#include "connectors/registry_sink/sink_config.h"
#include "services/admin/admin_config.h"
#include "services/feeds/feeds_config.h"
#include "services/auth/tls_config.h"
#include "services/console/console_config.h"
#include "services/backfill/backfill_config.h"
#include "services/gateway/gateway_config.h"
#include "services/reconcile/reconcile_config.h"
#include "services/registry/registry_config.h"
#include "services/simulate/simulate_config.h"
#include "services/validation/reference_config.h"
#include "services/store/database_config.h"
#include "services/platform/config.h"
#include "services/platform/logging.h"

namespace crvs::cli {

struct RootConfig {
  logging::LogConfig log;
  kafka::KafkaConfig kafka;
  kafka::ProducerConfig producer;
  gateway::GatewayConfig gateway;
  store::DatabaseConfig database;
  sink::SinkConfig sink;
  court_source::CourtSourceConfig court_source;
  registry::RegistryConfig registry;
  backfill::BackfillConfig backfill;
  reconcile::ReconcileConfig reconcile;
  admin::AdminConfig admin;
  feeds::FeedsConfig feeds;
  console::ConsoleConfig console;
  simulate::SimulateConfig simulate;
  auth::TlsConfig tls;
  validation::ReferenceConfig reference;  // shared by every component that validates records

  void BindTo(config::Config& c) {
    c.Bind("database", &database);
    c.Bind("sink", &sink);
    c.Bind("court_source", &court_source);
    c.Bind("registry", &registry);
    c.Bind("backfill", &backfill);
    c.Bind("reconcile", &reconcile);
    c.Bind("admin", &admin);
    c.Bind("feeds", &feeds);
    c.Bind("console", &console);
    c.Bind("simulate", &simulate);
    c.Bind("log", &log);
    c.Bind("kafka", &kafka);
    c.Bind("crypto", &kafka.crypto);  // carried in KafkaConfig to every producer and consumer
    c.Bind("producer", &producer);
    c.Bind("gateway", &gateway);
    c.Bind("tls", &tls);
    c.Bind("reference", &reference);
    // One reference file for every component (it was two keys, each read by several).
    c.Moved("gateway.reference_provinces_file", "reference.provinces_file");
    c.Moved("backfill.reference_provinces_file", "reference.provinces_file");
  }
};

// Where the configuration comes from, as given on the command line.
struct ConfigSources {
  std::string file;                 // --config (or $CRVS_CONFIG)
  std::vector<std::string> sets;    // --set section.key=value, in order
};

// Loads defaults → file → environment → --set into `root`, bound to `config`.
absl::Status LoadConfig(const ConfigSources& sources, const char* const* envp, RootConfig* root,
                        config::Config* config);

}  // namespace crvs::cli
