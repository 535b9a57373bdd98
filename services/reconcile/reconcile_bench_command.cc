#include "services/reconcile/reconcile_bench_command.h"

#include <cstdio>

#include "services/platform/exit_codes.h"

namespace crvs::reconcile {

ReconcileBenchCommand::ReconcileBenchCommand(CLI::App& bench) {
  command_ = bench.add_subcommand(
      "reconcile",
      "reconciliation: a manifest compared with the database's records, and the digest "
      "protocol at several difference rates (in memory; see docs/benchmarks.md)");
  command_->add_option("--manifest-keys", options_.manifest_keys, "entries of the compared manifest")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1000}, int64_t{100000000}));
  command_->add_option("--digest-keys", options_.digest_keys, "records in each digest inventory")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1000}, int64_t{100000000}));
  command_->add_option("--runs", options_.runs, "runs per figure (median)")
      ->capture_default_str()
      ->check(CLI::Range(1, 99));
}

int ReconcileBenchCommand::Run() const {
  auto report = RunReconcileBench(options_, [](const std::string& line) {
    std::fprintf(stderr, "  %s\n", line.c_str());
  });
  if (!report.ok()) return FailWith(report.status(), kExitFailed);
  std::printf("crvs bench reconcile: medians of %d runs, in memory\n", options_.runs);
  std::printf("  manifest of %lld keys compared         %8.2f s  (target <= 10 s)\n",
              static_cast<long long>(report->manifest_keys), report->manifest_median_seconds);
  std::printf("  digest index of %lld keys built once   %8.2f s\n",
              static_cast<long long>(report->digest_keys), report->digest_index_seconds);
  for (const auto& row : report->digest) {
    std::printf("  digest comparison, %5.2f %% differing  %8.3f s  (%lld differences, %lld calls, "
                "%lld buckets sent)\n",
                row.difference_percent, row.median_seconds, static_cast<long long>(row.differences),
                static_cast<long long>(row.calls), static_cast<long long>(row.buckets_sent));
  }
  return kExitOk;
}

}  // namespace crvs::reconcile
