// The client side of the fault suite: a health facility's system that behaves as the gateway's
// contract (proto/crvs/ingest/v1/health_ingest.proto) asks a source to. It streams death
// notices, keeps every receipt, and re-sends each notice that has no ACCEPTED receipt — FAILED,
// an RPC error, or a stream that broke before its receipt came — under the SAME message id,
// round after round, until every notice has one.
//
// Record i of a source with prefix P has message id "P-i" and notice number "GBT-P-i" (facility
// BV01002), so the database rows of one source are told apart from another's by message id.
//
// Thread-safety: the receipt ledger is locked; Stream/Submit/SendAll may run on one thread
// while another reads the counts (to time a fault against the stream's progress).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "crvs/ingest/v1/health_ingest.grpc.pb.h"
#include "tests/e2e/pipeline_harness.h"

namespace crvs::faults {

class FaultSource {
 public:
  FaultSource(std::string prefix, int records);

  int size() const { return records_; }
  const std::string& prefix() const { return prefix_; }
  std::string MessageId(int i) const { return prefix_ + "-" + std::to_string(i); }
  ingest::v1::IngestRequest Request(int i) const;

  // Sends records `indexes` on one SubmitStream call, at most `per_second` a second (0: as
  // fast as flow control allows), and records every receipt. Returns the stream's final
  // status: not OK when the gateway died under it or the 180 s deadline passed.
  grpc::Status Stream(ingest::v1::HealthIngest::Stub& stub, const std::vector<int>& indexes,
                      int per_second = 0);
  // One unary Submit of record i with a deadline; records an ACCEPTED receipt.
  grpc::Status Submit(ingest::v1::HealthIngest::Stub& stub, int i, int deadline_ms);
  // Unary Submits of records 0, 1, ... one after another (2 s deadline each) until `until` or
  // every record was tried: what a source calling during an outage is answered.
  std::vector<grpc::Status> SubmitEachUntil(ingest::v1::HealthIngest::Stub& stub,
                                            std::chrono::steady_clock::time_point until);

  // Streams every record (paced at `per_second`), then re-sends those without an ACCEPTED
  // receipt, on a fresh connection each round, until none is left or `timeout_s` passed.
  // Returns whether every record has an ACCEPTED receipt.
  bool SendAll(const e2e::Pipeline& pipeline, int per_second, int timeout_s);
  // The re-send rounds of SendAll only: for what an earlier Stream left without a receipt.
  bool ResendUnaccepted(const e2e::Pipeline& pipeline, int timeout_s);

  // Records without an ACCEPTED receipt, ascending.
  std::vector<int> Unaccepted() const;
  // The first ACCEPTED receipt of each record that has one, by message id.
  std::map<std::string, ingest::v1::Receipt> Accepted() const;
  int accepted() const;
  // Receipts received so far in `state`, re-sends included.
  int ReceiptsIn(ingest::v1::ReceiptState state) const;
  // Records sent again after a first attempt (whatever its outcome).
  int resent() const { return resent_.load(); }

 private:
  void Note(int i, const ingest::v1::Receipt& receipt);
  int IndexOf(const std::string& message_id) const;

  const std::string prefix_;
  const int records_;
  std::atomic<int> resent_{0};
  mutable std::mutex mu_;
  std::vector<bool> attempted_;                    // guarded by mu_
  std::map<int, ingest::v1::Receipt> accepted_;    // guarded by mu_
  std::map<ingest::v1::ReceiptState, int> states_;  // guarded by mu_
};

// SendAll on a thread of its own, while the test injects a fault.
// Lifetime: the destructor joins, so a test that returns early never leaves the thread behind.
class BackgroundSend {
 public:
  BackgroundSend(FaultSource& source, const e2e::Pipeline& pipeline, int per_second,
                 int timeout_s = 180);
  ~BackgroundSend() { Join(); }
  BackgroundSend(const BackgroundSend&) = delete;
  BackgroundSend& operator=(const BackgroundSend&) = delete;

  bool done() const { return done_.load(); }
  // Waits for SendAll; returns whether every record has an ACCEPTED receipt.
  bool Join();

 private:
  std::atomic<bool> done_{false};
  std::atomic<bool> all_accepted_{false};
  std::thread thread_;
};

// Polls `probe` every 20 ms until it is true or `timeout_s` passed; returns its last answer.
bool WaitUntil(const std::function<bool()>& probe, int timeout_s);

}  // namespace crvs::faults
