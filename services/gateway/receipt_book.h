// The gateway's memory of recent submissions, keyed by (source principal, message id): it makes
// re-sending a message id yield the same outcome, and answers GetReceipt.
//
// It is a bounded cache, not a database: gateways stay stateless and horizontally scalable.
// A message id older than the retention (or sent to another gateway) is simply produced again;
// the sink recognises the repeat by message id and content hash, so nothing is applied twice.
//
// Thread-safety: all methods are thread-safe. Callbacks passed to Begin run outside the lock.
#pragma once

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <absl/status/statusor.h>

#include "crvs/ingest/v1/receipt.pb.h"

#include "services/platform/mutex.h"

namespace crvs::gateway {

class ReceiptBook {
 public:
  using Outcome = absl::StatusOr<ingest::v1::Receipt>;
  using Waiter = std::function<void(const Outcome&)>;

  explicit ReceiptBook(size_t max_entries) : max_entries_(max_entries) {}

  enum class Start {
    kProduce,   // first time: the caller must produce and then call Finish
    kWaiting,   // the same submission is in flight: `waiter` runs when it finishes
    kAnswered,  // already accepted: `waiter` already ran with the stored receipt (duplicate)
    kConflict,  // this message id was used for a different submission: a client error
  };

  // `fingerprint` identifies the submission's content (action, reason, record hash).
  Start Begin(const std::string& principal, const std::string& message_id,
              const std::string& fingerprint, Waiter waiter);

  // Records the final outcome and answers every waiter. A success is kept (for duplicates and
  // GetReceipt); a failure is forgotten, so a retry with the same message id produces again.
  void Finish(const std::string& principal, const std::string& message_id, const Outcome& outcome);

  // The receipt of a finished or in-flight submission (state PENDING while in flight).
  std::optional<ingest::v1::Receipt> Find(const std::string& principal,
                                          const std::string& message_id) const;

  size_t size() const;

 private:
  struct Entry {
    std::string fingerprint;
    bool done = false;
    ingest::v1::Receipt receipt;  // PENDING until done
    std::vector<Waiter> waiters;
  };
  static std::string Key(const std::string& principal, const std::string& message_id) {
    return principal + '\n' + message_id;
  }
  void EvictLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_entries_;
  mutable platform::Mutex mu_;
  std::unordered_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> order_ ABSL_GUARDED_BY(mu_);  // insertion order of finished entries, oldest first
};

}  // namespace crvs::gateway
