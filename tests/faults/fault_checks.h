// The verdicts every fault scenario ends with, read from the database with plain SQL and from
// the broker with plain librdkafka — never from what the services say about themselves:
//
//   ExpectReceiptsLandedOnce  every ACCEPTED receipt is exactly one row (its message id,
//                             business key and content hash) and names a Kafka position >= 0;
//                             nothing is there twice
//   ExpectEachRecordOnce      the same, and every record of the sources is there: the ones
//                             re-sent without a receipt included; nothing dead-lettered or lost
//   ExpectCaughtUp            the sink's stored positions reach the end of every partition
//                             (lag 0)
//   ExpectLandedOnceOrLost    after retention deleted unread records: every ACCEPTED receipt is
//                             one row or inside a recorded lost range, nothing twice
//   ExpectNewRecordsFlow      after the fault, new records are accepted at the first attempt
//                             and land, with nobody having restarted anything
//
// They report with non-fatal GoogleTest failures; each returns whether it passed.
#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <string>
#include <vector>

#include "tests/e2e/pipeline_harness.h"
#include "tests/faults/fault_source.h"

namespace crvs::faults {

// The death-notice topic, where every FaultSource record goes.
extern const char* const kDeathTopic;

// Low and high watermark of each partition of `topic` (partition -> {first offset still held,
// offset one past the last message}).
std::map<int32_t, std::pair<int64_t, int64_t>> Watermarks(const std::string& bootstrap,
                                                         const std::string& topic);
// High watermark of each partition of `topic` (partition -> offset one past the last message).
std::map<int32_t, int64_t> PartitionEnds(const std::string& bootstrap, const std::string& topic);
// Messages ever written to `topic`: the sum of its partitions' high watermarks.
int64_t TopicEnd(const std::string& bootstrap, const std::string& topic);

// Waits up to `timeout_s` for every record with an ACCEPTED receipt to be applied, then checks
// that each is exactly one row and that no record of `sources` (receipt or not) is there twice.
bool ExpectReceiptsLandedOnce(e2e::Pipeline& pipeline,
                              const std::vector<const FaultSource*>& sources, int timeout_s = 120);

// Waits up to `timeout_s` for every record of `sources` to be applied, then checks that each
// has an ACCEPTED receipt and is exactly one row, as ExpectReceiptsLandedOnce does.
bool ExpectEachRecordOnce(e2e::Pipeline& pipeline,
                          const std::vector<const FaultSource*>& sources, int timeout_s = 120);

// For a topic whose retention deleted records the sink had not read: waits up to `timeout_s`
// until every ACCEPTED receipt of `source` is either exactly one row or inside a range the sink
// recorded in lost_offset_ranges (by the receipt's partition and offset) — lost, but never
// silently — and that nothing is there twice. Returns how many receipts fell in lost ranges.
int ExpectLandedOnceOrLost(e2e::Pipeline& pipeline, const FaultSource& source,
                           int timeout_s = 120);

// Waits up to `timeout_s` until the positions stored in consumed_offsets for `topic` equal the
// partitions' high watermarks.
bool ExpectCaughtUp(e2e::Pipeline& pipeline, const std::string& topic, int timeout_s = 60);

// The answers to calls made while every broker was down: at least one, and each UNAVAILABLE or
// DEADLINE_EXCEEDED — never OK, since nothing could be durably written.
bool ExpectOutageAnswers(const std::vector<grpc::Status>& during);

// Streams `records` new records of a source named `prefix`: every one must be ACCEPTED on the
// first attempt and be in the database within `timeout_s`.
bool ExpectNewRecordsFlow(e2e::Pipeline& pipeline, const std::string& prefix,
                          int records = 300, int timeout_s = 60);

}  // namespace crvs::faults
