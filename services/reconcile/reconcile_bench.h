// `crvs bench reconcile`: the two reconciliation figures of BRIEF §6, in memory (the
// comparison itself, without reading the inventories from a database or the network):
// * a manifest of `keys` entries compared with as many stored records (0.1 % missing, 0.1 %
//   other content, 0.1 % extra): the CompareEntries merge behind GetCoverage;
// * the digest protocol between a source's inventory and the database's, both indexed once
//   (DigestIndex), at several difference rates: time, calls and buckets exchanged grow with
//   the differences, not with the inventory.
#pragma once

#include <absl/status/statusor.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace crvs::reconcile {

struct ReconcileBenchOptions {
  int64_t manifest_keys = 10000000;
  int64_t digest_keys = 1000000;
  std::vector<double> digest_difference_percents = {0.01, 0.1, 1.0};
  int runs = 3;  // medians over this many runs
};

struct DigestBenchRow {
  double difference_percent;
  int64_t differences;
  double median_seconds;
  int64_t calls;
  int64_t buckets_sent;
};

struct ReconcileBenchReport {
  int64_t manifest_keys = 0;
  double manifest_median_seconds = 0;
  int64_t digest_keys = 0;
  double digest_index_seconds = 0;  // building one side's index, once
  std::vector<DigestBenchRow> digest;
};

absl::StatusOr<ReconcileBenchReport> RunReconcileBench(
    const ReconcileBenchOptions& options, const std::function<void(const std::string&)>& progress);

}  // namespace crvs::reconcile
