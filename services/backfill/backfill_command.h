// The command-line face of this library: `crvs backfill` (load an export through the
// pipeline), `crvs backfill generate` (write a realistic export) and `crvs bench backfill`.
// Exit codes of `crvs backfill`: 0 done (ineligible rows included), 2 bad flags,
// configuration, input or checkpoint, 1 broker or I/O failure, 130 interrupted (running again
// resumes from the checkpoint).
//
// Thread-safety: construct and run from main.
#pragma once

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

#include "connectors/kafka/kafka_config.h"
#include "connectors/kafka/producer.h"
#include "services/backfill/backfill.h"
#include "services/backfill/backfill_config.h"
#include "services/validation/reference_config.h"

namespace crvs::backfill {

// The configuration sections the backfill reads.
struct BackfillSections {
  const kafka::KafkaConfig& kafka;
  const kafka::ProducerConfig& producer;
  const BackfillConfig& backfill;
  const validation::ReferenceConfig& reference;
};

class BackfillCommand {
 public:
  // Adds `backfill` (with `generate`) to `app` and `backfill` to `bench` (`crvs bench`).
  BackfillCommand(CLI::App& app, CLI::App& bench);

  bool parsed() const;
  int Run(const BackfillSections& sections) const;

 private:
  struct GenerateArgs {
    std::string kind;
    std::string out;
    std::string format;  // empty: from the file name
    int64_t rows = 200000;
    double ineligible_percent = 5;
    uint64_t seed = 1;
  };
  int RunBackfill(const BackfillSections& sections) const;
  int RunGenerate() const;
  int RunBench(const BackfillSections& sections) const;

  CLI::App* backfill_;
  CLI::App* generate_;
  CLI::App* bench_;
  BackfillFlags flags_;
  GenerateArgs generate_args_;
  GenerateArgs bench_args_;
};

}  // namespace crvs::backfill
