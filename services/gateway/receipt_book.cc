#include "services/gateway/receipt_book.h"

namespace crvs::gateway {

ReceiptBook::Start ReceiptBook::Begin(const std::string& principal, const std::string& message_id,
                                      const std::string& fingerprint, Waiter waiter) {
  mu_.Lock();
  std::string key = Key(principal, message_id);
  auto [it, inserted] = entries_.try_emplace(key);
  Entry& e = it->second;
  if (inserted) {
    e.fingerprint = fingerprint;
    e.receipt.set_message_id(message_id);
    e.receipt.set_state(ingest::v1::RECEIPT_STATE_PENDING);
    e.waiters.push_back(std::move(waiter));
    mu_.Unlock();
    return Start::kProduce;
  }
  if (e.fingerprint != fingerprint) {
    mu_.Unlock();
    return Start::kConflict;
  }
  if (!e.done) {
    e.waiters.push_back(std::move(waiter));
    mu_.Unlock();
    return Start::kWaiting;
  }
  ingest::v1::Receipt receipt = e.receipt;
  mu_.Unlock();
  receipt.set_duplicate(true);
  waiter(receipt);
  return Start::kAnswered;
}

void ReceiptBook::Finish(const std::string& principal, const std::string& message_id,
                         const Outcome& outcome) {
  std::vector<Waiter> waiters;
  {
    platform::MutexLock lock(&mu_);
    std::string key = Key(principal, message_id);
    auto it = entries_.find(key);
    if (it == entries_.end()) return;
    waiters.swap(it->second.waiters);
    if (outcome.ok()) {
      it->second.done = true;
      it->second.receipt = *outcome;
      order_.push_back(key);
      EvictLocked();
    } else {
      entries_.erase(it);
    }
  }
  for (size_t i = 0; i < waiters.size(); ++i) {
    if (i == 0 || !outcome.ok()) {
      waiters[i](outcome);
    } else {
      ingest::v1::Receipt dup = *outcome;
      dup.set_duplicate(true);
      waiters[i](dup);
    }
  }
}

std::optional<ingest::v1::Receipt> ReceiptBook::Find(const std::string& principal,
                                                     const std::string& message_id) const {
  platform::MutexLock lock(&mu_);
  auto it = entries_.find(Key(principal, message_id));
  if (it == entries_.end()) return std::nullopt;
  return it->second.receipt;
}

size_t ReceiptBook::size() const {
  platform::MutexLock lock(&mu_);
  return entries_.size();
}

void ReceiptBook::EvictLocked() {
  while (order_.size() > max_entries_) {
    entries_.erase(order_.front());
    order_.pop_front();
  }
}

}  // namespace crvs::gateway
