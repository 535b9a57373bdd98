#include "tests/faults/fault_checks.h"

#include <librdkafka/rdkafka.h>

#include <absl/strings/escaping.h>
#include <absl/strings/str_join.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

namespace crvs::faults {

const char* const kDeathTopic = "crvs.death-notices.v1";

namespace {

// Failures the running test has reported so far (GoogleTest records failures only).
int FailuresSoFar() {
  return ::testing::UnitTest::GetInstance()->current_test_info()->result()->total_part_count();
}

}  // namespace

std::map<int32_t, std::pair<int64_t, int64_t>> Watermarks(const std::string& bootstrap,
                                                         const std::string& topic) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (rk == nullptr) throw std::runtime_error(err);
  std::map<int32_t, std::pair<int64_t, int64_t>> bounds;
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
  rd_kafka_topic_destroy(rkt);
  if (e == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1) {
    e = md->topics[0].err;
    for (int i = 0; e == RD_KAFKA_RESP_ERR_NO_ERROR && i < md->topics[0].partition_cnt; ++i) {
      int32_t partition = md->topics[0].partitions[i].id;
      int64_t low = 0, high = 0;
      e = rd_kafka_query_watermark_offsets(rk, topic.c_str(), partition, &low, &high, 10000);
      bounds[partition] = {low, high};
    }
  }
  if (md != nullptr) rd_kafka_metadata_destroy(md);
  rd_kafka_destroy(rk);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw std::runtime_error("watermarks of " + topic + ": " + rd_kafka_err2str(e));
  }
  return bounds;
}

std::map<int32_t, int64_t> PartitionEnds(const std::string& bootstrap, const std::string& topic) {
  std::map<int32_t, int64_t> ends;
  for (const auto& [partition, bounds] : Watermarks(bootstrap, topic)) {
    ends[partition] = bounds.second;
  }
  return ends;
}

int64_t TopicEnd(const std::string& bootstrap, const std::string& topic) {
  int64_t total = 0;
  for (const auto& [partition, end] : PartitionEnds(bootstrap, topic)) total += end;
  return total;
}

namespace {

// message id -> one (business key, version, content hash) per row of record_versions
using RowsById = std::map<std::string, std::vector<std::vector<std::string>>>;

RowsById RecordVersions(const e2e::Pipeline& pipeline) {
  RowsById rows;
  for (auto& row : pipeline.Query("SELECT message_id, business_key, version, "
                                  "lower(hex(content_hash)) FROM record_versions",
                                  "SELECT message_id, business_key, version, "
                                  "encode(content_hash, 'hex') FROM record_versions")) {
    rows[row[0]].push_back({row[1], row[2], row[3]});
  }
  return rows;
}

// The records of `source` that must be in the database: all, or those with an ACCEPTED receipt.
std::vector<std::string> MustHaveLanded(const FaultSource& source, bool all) {
  std::vector<std::string> ids;
  if (all) {
    for (int i = 0; i < source.size(); ++i) ids.push_back(source.MessageId(i));
  } else {
    for (const auto& [id, receipt] : source.Accepted()) ids.push_back(id);
  }
  return ids;
}

std::string Some(const std::vector<std::string>& ids) {
  std::vector<std::string> head(ids.begin(), ids.begin() + std::min<size_t>(ids.size(), 5));
  return absl::StrJoin(head, ", ");
}

bool CheckOnce(e2e::Pipeline& pipeline, const std::vector<const FaultSource*>& sources,
               int timeout_s, bool all) {
  const int failures_before = FailuresSoFar();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  RowsById rows;
  while (true) {  // until the sink has applied what must be there
    try {
      rows = RecordVersions(pipeline);
    } catch (const std::exception&) {
      rows.clear();  // the database may be restarting
    }
    bool landed = true;
    for (const FaultSource* s : sources) {
      for (const auto& id : MustHaveLanded(*s, all)) landed = landed && rows.count(id) > 0;
    }
    if (landed || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  std::map<std::string, std::string> current_versions;  // business key -> current_version
  for (auto& row : pipeline.Query("SELECT business_key, current_version FROM records",
                                  "SELECT business_key, current_version FROM records")) {
    current_versions[row[0]] = row[1];
  }

  for (const FaultSource* s : sources) {
    std::vector<std::string> missing, twice, wrong;
    const auto accepted = s->Accepted();
    for (const auto& id : MustHaveLanded(*s, all)) {
      if (rows.count(id)) continue;
      auto receipt = accepted.find(id);  // where the receipt said it was written
      missing.push_back(receipt == accepted.end()
                            ? id
                            : id + " (receipt: partition " +
                                  std::to_string(receipt->second.partition()) + " offset " +
                                  std::to_string(receipt->second.offset()) + ")");
    }
    for (int i = 0; i < s->size(); ++i) {
      auto it = rows.find(s->MessageId(i));
      if (it != rows.end() && it->second.size() > 1) twice.push_back(s->MessageId(i));
    }
    std::vector<std::string> unplaced;  // ACCEPTED without a place in Kafka (partition, offset)
    for (const auto& [id, receipt] : accepted) {
      if (receipt.partition() < 0 || receipt.offset() < 0) {
        unplaced.push_back(id + " (partition " + std::to_string(receipt.partition()) +
                           " offset " + std::to_string(receipt.offset()) + ")");
      }
    }
    EXPECT_TRUE(unplaced.empty())
        << s->prefix() << ": " << unplaced.size()
        << " ACCEPTED receipts without a Kafka position >= 0, e.g. " << Some(unplaced);
    for (const auto& [id, receipt] : accepted) {
      auto it = rows.find(id);
      if (it == rows.end() || it->second.size() != 1) continue;  // counted above
      const auto& row = it->second[0];
      auto current = current_versions.find(row[0]);
      if (row[0] != receipt.business_key() || row[1] != "1" ||
          row[2] != absl::BytesToHexString(receipt.content_hash()) ||
          current == current_versions.end() || current->second != "1") {
        wrong.push_back(id);
      }
    }
    if (all) {
      EXPECT_EQ(s->accepted(), s->size())
          << s->prefix() << ": records still without an ACCEPTED receipt after every re-send";
    }
    EXPECT_TRUE(missing.empty()) << s->prefix() << ": " << missing.size()
                                 << (all ? " records" : " ACCEPTED receipts")
                                 << " without a row in the database, e.g. " << Some(missing);
    EXPECT_TRUE(twice.empty()) << s->prefix() << ": " << twice.size()
                               << " message ids applied more than once, e.g. " << Some(twice);
    EXPECT_TRUE(wrong.empty())
        << s->prefix() << ": " << wrong.size()
        << " ACCEPTED receipts whose row differs (business key, content hash, version), e.g. "
        << Some(wrong);
  }
  EXPECT_EQ(pipeline.Count("SELECT count(*) FROM dead_letters"), 0);
  EXPECT_EQ(pipeline.Count("SELECT count(*) FROM lost_offset_ranges"), 0)
      << "the sink skipped offsets that had expired unread";
  return FailuresSoFar() == failures_before;
}

}  // namespace

bool ExpectReceiptsLandedOnce(e2e::Pipeline& pipeline,
                              const std::vector<const FaultSource*>& sources, int timeout_s) {
  return CheckOnce(pipeline, sources, timeout_s, /*all=*/false);
}

bool ExpectEachRecordOnce(e2e::Pipeline& pipeline, const std::vector<const FaultSource*>& sources,
                          int timeout_s) {
  return CheckOnce(pipeline, sources, timeout_s, /*all=*/true);
}

int ExpectLandedOnceOrLost(e2e::Pipeline& pipeline, const FaultSource& source, int timeout_s) {
  struct Lost {
    int32_t partition;
    int64_t from, to;
  };
  const auto accepted = source.Accepted();
  std::vector<Lost> ranges;
  RowsById rows;
  std::vector<std::string> missing;
  int in_lost_ranges = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (true) {  // until every receipt is a row or inside a recorded lost range
    const std::string sql = std::string("SELECT kafka_partition, from_offset, to_offset FROM "
                                        "lost_offset_ranges WHERE topic = '") +
                            kDeathTopic + "'";
    ranges.clear();
    for (auto& r : pipeline.Query(sql, sql)) {
      ranges.push_back({std::stoi(r[0]), std::stoll(r[1]), std::stoll(r[2])});
    }
    rows = RecordVersions(pipeline);
    missing.clear();
    in_lost_ranges = 0;
    for (const auto& [id, receipt] : accepted) {
      if (rows.count(id)) continue;
      bool lost = std::any_of(ranges.begin(), ranges.end(), [&](const Lost& l) {
        return l.partition == receipt.partition() && receipt.offset() >= l.from &&
               receipt.offset() < l.to;
      });
      if (lost) {
        ++in_lost_ranges;
      } else {
        missing.push_back(id + " (partition " + std::to_string(receipt.partition()) +
                          " offset " + std::to_string(receipt.offset()) + ")");
      }
    }
    if (missing.empty() || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  std::vector<std::string> twice;
  for (const auto& [id, versions] : rows) {
    if (versions.size() > 1) twice.push_back(id);
  }
  EXPECT_TRUE(missing.empty()) << source.prefix() << ": " << missing.size()
                               << " ACCEPTED receipts neither in the database nor in a recorded "
                                  "lost range (a silent skip), e.g. "
                               << Some(missing);
  EXPECT_TRUE(twice.empty()) << twice.size() << " message ids applied more than once, e.g. "
                             << Some(twice);
  return in_lost_ranges;
}

bool ExpectCaughtUp(e2e::Pipeline& pipeline, const std::string& topic, int timeout_s) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  std::string behind;
  while (true) {
    std::map<int32_t, int64_t> ends = PartitionEnds(pipeline.bootstrap(), topic);
    std::map<int32_t, int64_t> stored;
    std::string sql = "SELECT kafka_partition, next_offset FROM consumed_offsets WHERE topic = '" +
                      topic + "'";
    for (auto& row : pipeline.Query(sql, sql)) stored[std::stoi(row[0])] = std::stoll(row[1]);
    behind.clear();
    for (const auto& [partition, end] : ends) {
      int64_t at = stored.count(partition) ? stored[partition] : 0;
      if (at != end) {
        behind += " partition " + std::to_string(partition) + " at " + std::to_string(at) +
                  " of " + std::to_string(end) + ";";
      }
    }
    if (behind.empty() || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  EXPECT_EQ(behind, "") << "the sink's stored positions did not reach the end of " << topic;
  return behind.empty();
}

bool ExpectOutageAnswers(const std::vector<grpc::Status>& during) {
  const int failures_before = FailuresSoFar();
  EXPECT_FALSE(during.empty()) << "no call was made during the outage";
  for (const auto& s : during) {
    EXPECT_TRUE(s.error_code() == grpc::StatusCode::UNAVAILABLE ||
                s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)
        << "a Submit while every broker was down answered " << s.error_code() << " "
        << s.error_message();
  }
  return FailuresSoFar() == failures_before;
}

bool ExpectNewRecordsFlow(e2e::Pipeline& pipeline, const std::string& prefix, int records,
                          int timeout_s) {
  FaultSource fresh(prefix, records);
  std::vector<int> all(records);
  for (int i = 0; i < records; ++i) all[i] = i;
  grpc::Status status = fresh.Stream(*pipeline.Stub(), all);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(fresh.accepted(), records) << "after the fault, new records are not all accepted";
  std::string sql =
      "SELECT count(*) FROM record_versions WHERE message_id LIKE '" + prefix + "-%'";
  int64_t landed = pipeline.WaitForCount(sql, records, timeout_s);
  EXPECT_EQ(landed, records) << "after the fault, new records do not reach the database";
  return status.ok() && fresh.accepted() == records && landed == records;
}

}  // namespace crvs::faults
