// Store throughput: applies N death notices (a distinct person each) through Store::Apply in
// batches of B, over 6 partitions with their offsets, and prints records/s. The envelopes
// are built (and hashed) before the clock starts. A tool, not a test.
//
//   store_bench                        SQLite file in /tmp (or --dir)
//   store_bench --postgres             a private PostgreSQL server (tests/support harness)
//   store_bench --url postgresql://... an existing database (empty: a fresh schema)
//   options: --records N (100000) --batch B (500) --prefix P (notice numbers; use distinct
//            prefixes for concurrent runs against one database)
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "services/store/store.h"
#include "services/platform/elapsed.h"
#include "services/store/store_test_util.h"
#include "tests/support/fixtures.h"
#include "tests/support/postgres_server.h"

namespace {

namespace fx = ::crvs::testing;
namespace store = ::crvs::store;

int Usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--postgres | --url URL | --dir DIR] [--records N] [--batch B] "
               "[--prefix P]\n",
               argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  bool postgres = false;
  int records = 100000, batch_size = 500;
  std::string dir = "/tmp", url, prefix = "GBT-";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    bool has_value = i + 1 < argc;
    if (a == "--postgres") {
      postgres = true;
    } else if (a == "--records" && has_value) {
      records = std::stoi(argv[++i]);
    } else if (a == "--batch" && has_value) {
      batch_size = std::stoi(argv[++i]);
    } else if (a == "--dir" && has_value) {
      dir = argv[++i];
    } else if (a == "--url" && has_value) {
      url = argv[++i];
    } else if (a == "--prefix" && has_value) {
      prefix = argv[++i];
    } else {
      return Usage(argv[0]);
    }
  }
  if (records <= 0 || batch_size <= 0) return Usage(argv[0]);

  std::unique_ptr<fx::PostgresServer> server;
  store::DatabaseConfig config;
  if (!url.empty()) {
    config.url = url;
  } else if (postgres) {
    auto started = fx::PostgresServer::Start();
    if (!started.ok()) {
      std::fprintf(stderr, "%s\n", started.status().ToString().c_str());
      return 1;
    }
    server = std::move(*started);
    auto created = server->CreateDatabase("bench");
    if (!created.ok()) {
      std::fprintf(stderr, "%s\n", created.status().ToString().c_str());
      return 1;
    }
    config.url = *created;
  } else {
    std::string path = dir + "/store_bench.db";
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
    config.url = "sqlite:" + path;
  }
  auto opened = store::Store::Open(config);
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n", opened.status().ToString().c_str());
    return 1;
  }
  store::Store& db = **opened;

  constexpr int kPartitions = 6;
  const std::string topic = "crvs.death-notices.v1";
  std::vector<store::ApplyBatch> batches;
  std::vector<int64_t> next(kPartitions, 0);
  for (int start = 0; start < records; start += batch_size) {
    store::ApplyBatch batch;
    batch.group = store::ConsumerGroup("store-bench");
    for (int i = start; i < std::min(records, start + batch_size); ++i) {
      auto notice = fx::DeathNotice(prefix + std::to_string(i));
      char id[16];
      std::snprintf(id, sizeof id, "001052%06d", i % 1000000);
      notice.mutable_deceased()->mutable_personal_id()->set_number(id);
      auto e = store::testing::Envelope(notice, crvs::records::v1::ACTION_SUBMIT,
                                        "m-" + prefix + std::to_string(i));
      int partition = i % kPartitions;
      batch.records.push_back(store::testing::Inbound(e, topic, partition, next[partition]++));
    }
    for (int p = 0; p < kPartitions; ++p) {
      batch.offsets.push_back({{store::Topic(topic), store::Partition(p)}, store::Offset(next[p])});
    }
    batches.push_back(std::move(batch));
  }

  auto t0 = std::chrono::steady_clock::now();
  for (const auto& batch : batches) {
    auto result = db.Apply(batch);
    if (!result.ok()) {
      std::fprintf(stderr, "%s\n", result.status().ToString().c_str());
      return 1;
    }
  }
  double seconds = crvs::platform::SecondsSince(t0);
  std::printf("backend=%s records=%d batch=%d seconds=%.2f records_per_s=%.0f\n",
              std::string(db.backend()).c_str(), records, batch_size, seconds, records / seconds);
  return 0;
}
