#include "services/reconcile/reconcile_bench.h"
#include "services/platform/elapsed.h"

#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>

#include <algorithm>
#include <chrono>

#include "services/reconcile/digest.h"
#include "services/reconcile/manifest_compare.h"

namespace crvs::reconcile {
namespace {

using Clock = std::chrono::steady_clock;


double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string Key(int64_t i) { return absl::StrFormat("birth/BV79001/GCS-2026-%09d", i); }

// A deterministic 32-byte "content hash" per record and variant.
std::string Hash(int64_t i, int variant) {
  std::string h(32, '\0');
  uint64_t x = static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ULL + variant;
  for (char& c : h) {
    x ^= x >> 29;
    x *= 0xBF58476D1CE4E5B9ULL;
    c = static_cast<char>(x >> 56);
  }
  return h;
}

double ManifestRun(int64_t n) {
  // Every 1000th declared key is missing, every 1000th (offset 500) has other content, and
  // the database holds n/1000 records nobody declared.
  std::vector<DeclaredEntry> declared;
  std::vector<StoredRecord> stored;
  declared.reserve(n);
  stored.reserve(n);
  for (int64_t i = 0; i < n; ++i) {
    declared.push_back({Key(i), Hash(i, 0), 1000000, 0});
    if (i % 1000 != 0) {
      StoredRecord s;
      s.business_key = Key(i);
      s.content_hash = Hash(i, i % 1000 == 500 ? 1 : 0);
      s.first_committed_us = 2000000;
      s.period_day = 1;
      stored.push_back(std::move(s));
    }
    if (i % 1000 == 1) {
      StoredRecord s;
      s.business_key = Key(n + i);
      s.content_hash = Hash(n + i, 0);
      s.first_committed_us = 2000000;
      s.period_day = 1;
      stored.push_back(std::move(s));
    }
  }
  CompareOptions options;
  options.covered_days = {{0, 2}};
  const auto start = Clock::now();
  v1::CoverageRow row = CompareEntries(declared, stored, options);
  const double seconds = platform::SecondsSince(start);
  if (row.missing() != n / 1000 + (n % 1000 != 0) || row.extra() == 0) return -1;
  return seconds;
}

std::vector<v1::ManifestEntry> Inventory(int64_t n, int64_t step, bool server) {
  // The server lacks every step-th key, and holds other content for every step-th + 1.
  std::vector<v1::ManifestEntry> out;
  out.reserve(n);
  for (int64_t i = 0; i < n; ++i) {
    if (server && step > 0 && i % step == 0) continue;
    v1::ManifestEntry& e = out.emplace_back();
    e.set_business_key(Key(i));
    e.set_content_hash(Hash(i, server && step > 0 && i % step == 1 ? 1 : 0));
  }
  return out;
}

}  // namespace

absl::StatusOr<ReconcileBenchReport> RunReconcileBench(
    const ReconcileBenchOptions& options, const std::function<void(const std::string&)>& progress) {
  ReconcileBenchReport report;
  report.manifest_keys = options.manifest_keys;
  std::vector<double> runs;
  for (int r = 0; r < options.runs; ++r) {
    double s = ManifestRun(options.manifest_keys);
    if (s < 0) return absl::InternalError("manifest comparison counted wrong; benchmark invalid");
    runs.push_back(s);
    progress(absl::StrFormat("manifest run %d: %lld keys compared in %.2f s", r + 1,
                             static_cast<long long>(options.manifest_keys), s));
  }
  report.manifest_median_seconds = Median(runs);

  report.digest_keys = options.digest_keys;
  auto start = Clock::now();
  DigestIndex source(Inventory(options.digest_keys, 0, false), false);
  report.digest_index_seconds = platform::SecondsSince(start);
  for (double percent : options.digest_difference_percents) {
    // Two differences (one missing, one other content) per `step` keys.
    const int64_t step = std::max<int64_t>(2, static_cast<int64_t>(200.0 / percent));
    DigestIndex server(Inventory(options.digest_keys, step, true), false);
    DigestBenchRow row{percent, 0, 0, 0, 0};
    std::vector<double> times;
    for (int r = 0; r < options.runs; ++r) {
      const auto t0 = Clock::now();
      auto diff = CompareWithServer(source, v1::DigestRequest(), [&](const v1::DigestRequest& q) {
        // As over the wire: the request and the answer are serialized and parsed.
        v1::DigestRequest parsed;
        parsed.ParseFromString(q.SerializeAsString());
        auto answer = AnswerDigest(server, parsed);
        if (!answer.ok()) return answer;
        v1::DigestResponse back;
        back.ParseFromString(answer->SerializeAsString());
        return absl::StatusOr<v1::DigestResponse>(std::move(back));
      });
      times.push_back(platform::SecondsSince(t0));
      if (!diff.ok()) return diff.status();
      row.differences = static_cast<int64_t>(diff->only_here.size() + diff->hash_differs.size());
      row.calls = diff->calls;
      row.buckets_sent = diff->buckets_sent;
    }
    row.median_seconds = Median(times);
    progress(absl::StrFormat("digest %.2f%%: %lld differences found, %lld calls, %.3f s", percent,
                             static_cast<long long>(row.differences),
                             static_cast<long long>(row.calls), row.median_seconds));
    report.digest.push_back(row);
  }
  return report;
}

}  // namespace crvs::reconcile
