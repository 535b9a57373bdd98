#include "services/gateway/outcome_watcher.h"

#include <map>
#include <utility>

#include <absl/strings/str_cat.h>

namespace crvs::gateway {

OutcomeWatcher::OutcomeWatcher(store::Store* store, absl::Duration poll_interval)
    : store_(store), poll_interval_(poll_interval), thread_([this] { Run(); }) {}

OutcomeWatcher::~OutcomeWatcher() {
  {
    platform::MutexLock lock(&mu_);
    stop_ = true;
  }
  cv_.SignalAll();
  thread_.join();
}

void OutcomeWatcher::Wait(std::string source, std::string message_id, absl::Time deadline,
                          Callback done) {
  {
    platform::MutexLock lock(&mu_);
    if (!stop_) {
      waiting_.push_back({std::move(source), std::move(message_id), deadline, std::move(done)});
      cv_.SignalAll();
      return;
    }
  }
  done(absl::UnavailableError("the gateway is stopping; send it again with the same message_id"));
}

absl::StatusOr<std::optional<store::MessageOutcome>> OutcomeWatcher::Find(
    const std::string& source, const std::string& message_id) {
  auto found = store_->FindOutcomes({{source, message_id}});
  if (!found.ok()) return found.status();
  if (found->empty()) return std::nullopt;
  return std::move(found->front());
}

void OutcomeWatcher::Run() {
  const auto interval = absl::ToChronoMilliseconds(poll_interval_);
  mu_.Lock();
  while (!stop_) {
    if (waiting_.empty()) {
      cv_.Wait(&mu_);
      continue;
    }
    // Let the sink's batch commit, and more waiters gather, before the next look.
    const auto next = std::chrono::steady_clock::now() + interval;
    while (!stop_ && cv_.WaitUntil(&mu_, next)) {
    }
    if (stop_) break;
    std::vector<Waiter> batch = std::move(waiting_);
    waiting_.clear();
    mu_.Unlock();

    std::vector<std::pair<std::string, std::string>> keys;
    keys.reserve(batch.size());
    for (const auto& w : batch) keys.emplace_back(w.source, w.message_id);
    auto found = store_->FindOutcomes(keys);
    std::map<std::pair<std::string, std::string>, store::MessageOutcome> by_key;
    if (found.ok()) {
      for (auto& o : *found) by_key.emplace(std::make_pair(o.source, o.message_id), std::move(o));
    }
    const absl::Time now = absl::Now();
    std::vector<std::pair<Callback, Outcome>> answers;
    std::vector<Waiter> still;
    for (auto& w : batch) {
      auto it = by_key.find({w.source, w.message_id});
      if (it != by_key.end()) {
        answers.emplace_back(std::move(w.done), it->second);
      } else if (now >= w.deadline) {
        answers.emplace_back(
            std::move(w.done),
            absl::DeadlineExceededError(absl::StrCat(
                "accepted by Kafka but not yet in the database",
                found.ok() ? "" : absl::StrCat(" (database: ", found.status().message(), ")"),
                "; send it again with the same message_id: it is never applied twice")));
      } else {
        still.push_back(std::move(w));
      }
    }
    for (auto& [done, outcome] : answers) done(outcome);
    mu_.Lock();
    for (auto& w : still) waiting_.push_back(std::move(w));
  }
  std::vector<Waiter> left = std::move(waiting_);
  waiting_.clear();
  mu_.Unlock();
  for (auto& w : left) {
    w.done(absl::UnavailableError(
        "the gateway stopped before the database had it; send it again with the same "
        "message_id: it is never applied twice"));
  }
}

}  // namespace crvs::gateway
