// What became of accepted submissions, read from the civil-status database: with
// gateway.receipt_after = database a receipt waits here for the sink's commit (or refusal), and
// GetReceipt asks here for the final outcome of an ACCEPTED submission.
//
// One thread polls the database for every waiting submission at once (Store::FindOutcomes, one
// statement per 500 message ids), every poll interval while any are waiting; an idle watcher
// issues no statement.
//
// Lifetime: the store must outlive the watcher; destruction answers every waiter UNAVAILABLE.
// Thread-safety: all methods are thread-safe; callbacks run on the watcher's thread, outside
// its lock, exactly once each.
#pragma once

#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "services/platform/mutex.h"
#include "services/store/store.h"

namespace crvs::gateway {

class OutcomeWatcher {
 public:
  using Outcome = absl::StatusOr<store::MessageOutcome>;
  using Callback = std::function<void(const Outcome&)>;

  OutcomeWatcher(store::Store* store, absl::Duration poll_interval);
  ~OutcomeWatcher();
  OutcomeWatcher(const OutcomeWatcher&) = delete;
  OutcomeWatcher& operator=(const OutcomeWatcher&) = delete;

  // Calls `done` with the outcome of (source, message id) once the database has one, or with
  // DEADLINE_EXCEEDED at `deadline` (the database being unreachable until then included).
  void Wait(std::string source, std::string message_id, absl::Time deadline, Callback done);

  // The outcome now, if the database has one.
  absl::StatusOr<std::optional<store::MessageOutcome>> Find(const std::string& source,
                                                            const std::string& message_id);

 private:
  struct Waiter {
    std::string source;
    std::string message_id;
    absl::Time deadline;
    Callback done;
  };
  void Run() ABSL_LOCKS_EXCLUDED(mu_);

  store::Store* const store_;
  const absl::Duration poll_interval_;
  platform::Mutex mu_;
  platform::CondVar cv_;
  std::vector<Waiter> waiting_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace crvs::gateway
