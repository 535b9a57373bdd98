#include "connectors/kafka/fake_consumer.h"

#include <algorithm>
#include <thread>

namespace crvs::kafka {

int64_t FakeConsumer::Produce(const model::TopicPartition& partition, std::string key,
                              std::string value, Headers headers) {
  Log& log = logs_[partition];
  ConsumedMessage m;
  m.topic = partition.topic.value();
  m.partition = partition.partition.value();
  m.offset = log.high;
  m.key = std::move(key);
  m.value = std::move(value);
  m.headers = std::move(headers);
  m.timestamp_ms = 1'790'000'000'000 + m.offset;
  log.messages.emplace(log.high, std::move(m));
  return log.high++;
}

void FakeConsumer::Truncate(const model::TopicPartition& partition, int64_t low) {
  Log& log = logs_[partition];
  log.low = std::min(low, log.high);
  log.messages.erase(log.messages.begin(), log.messages.lower_bound(log.low));
}

void FakeConsumer::ReplaceLog(const model::TopicPartition& partition, int64_t low) {
  logs_[partition] = Log{low, low, {}};
}

Watermarks FakeConsumer::LogBounds(const model::TopicPartition& partition) const {
  auto it = logs_.find(partition);
  if (it == logs_.end()) return {};
  return {model::Offset(it->second.low), model::Offset(it->second.high)};
}

void FakeConsumer::SetCommitted(const model::TopicPartition& partition, model::Offset offset) {
  committed_[partition] = offset;
}

void FakeConsumer::At(int poll, std::function<void(FakeConsumer&)> action) {
  script_.emplace(poll, std::move(action));
}

void FakeConsumer::AssignAt(int poll, std::vector<model::TopicPartition> partitions) {
  At(poll, [partitions = std::move(partitions)](FakeConsumer& c) {
    c.Revoke();
    if (c.listener_ != nullptr) c.listener_->OnAssigned(partitions);
  });
}

void FakeConsumer::RevokeAt(int poll) {
  At(poll, [](FakeConsumer& c) { c.Revoke(); });
}

void FakeConsumer::ErrorAt(int poll, const model::TopicPartition& partition,
                           ConsumedMessage::Error error, std::string message) {
  At(poll, [partition, error, message = std::move(message)](FakeConsumer& c) {
    ConsumedMessage m;
    m.topic = partition.topic.value();
    m.partition = partition.partition.value();
    m.error = error;
    m.error_message = message;
    auto it = c.fetch_.find(partition);
    m.offset = it != c.fetch_.end() ? it->second.position : -1;
    if (error == ConsumedMessage::Error::kOffsetOutOfRange && it != c.fetch_.end()) {
      it->second.stalled = true;  // as librdkafka: not fetched until sought
    }
    c.pending_error_ = std::move(m);
  });
}

void FakeConsumer::FailWatermarks(const model::TopicPartition& partition, int times) {
  failing_watermarks_[partition] = times;
}

std::vector<int64_t> FakeConsumer::DeliveredOffsets(const model::TopicPartition& partition) const {
  std::vector<int64_t> out;
  for (const auto& m : delivered_) {
    if (m.ok() && m.topic == partition.topic.value() &&
        m.partition == partition.partition.value()) {
      out.push_back(m.offset);
    }
  }
  return out;
}

std::optional<model::Offset> FakeConsumer::CommittedOffset(
    const model::TopicPartition& partition) const {
  auto it = committed_.find(partition);
  if (it == committed_.end()) return std::nullopt;
  return it->second;
}

void FakeConsumer::Revoke() {
  if (fetch_.empty() || listener_ == nullptr) return;
  std::vector<model::TopicPartition> revoked;
  for (const auto& [tp, fetch] : fetch_) revoked.push_back(tp);
  listener_->OnRevoked(revoked);
}

int64_t FakeConsumer::Resolve(const model::TopicPartition& partition,
                              const StartOffset& start) const {
  return start.has_value() ? start->value() : LogBounds(partition).low.value();
}

std::optional<ConsumedMessage> FakeConsumer::Next() {
  if (fetch_.empty()) return std::nullopt;
  const size_t n = fetch_.size();
  for (size_t i = 0; i < n; ++i) {
    auto it = std::next(fetch_.begin(), static_cast<long>((next_partition_ + i) % n));
    const model::TopicPartition& tp = it->first;
    Fetch& fetch = it->second;
    if (fetch.stalled || paused_.count(tp) > 0) continue;
    const Watermarks w = LogBounds(tp);
    if (fetch.position < w.low.value() || fetch.position > w.high.value()) {
      fetch.stalled = true;
      next_partition_ = (next_partition_ + i + 1) % n;
      ConsumedMessage error;
      error.topic = tp.topic.value();
      error.partition = tp.partition.value();
      error.offset = fetch.position;
      error.error = ConsumedMessage::Error::kOffsetOutOfRange;
      error.error_message = "Broker: Offset out of range";
      return error;
    }
    if (fetch.position == w.high.value()) continue;
    next_partition_ = (next_partition_ + i + 1) % n;
    return logs_.at(tp).messages.at(fetch.position++);
  }
  return std::nullopt;
}

absl::Status FakeConsumer::Subscribe(const std::vector<std::string>& topics,
                                     RebalanceListener* listener) {
  topics_ = topics;
  listener_ = listener;
  return absl::OkStatus();
}

std::optional<ConsumedMessage> FakeConsumer::Poll(std::chrono::milliseconds timeout) {
  if (closed_) return std::nullopt;
  const int poll = polls_.fetch_add(1) + 1;
  while (!script_.empty() && script_.begin()->first <= poll) {
    auto action = std::move(script_.begin()->second);
    script_.erase(script_.begin());
    action(*this);
  }
  std::optional<ConsumedMessage> out;
  if (pending_error_) {
    out = std::move(pending_error_);
    pending_error_.reset();
  } else {
    out = Next();
  }
  if (!out) {
    idle_polls_.fetch_add(1);
    std::this_thread::sleep_for(std::min(timeout, std::chrono::milliseconds(1)));
    return std::nullopt;
  }
  idle_polls_.store(0);
  delivered_.push_back(*out);
  return out;
}

absl::Status FakeConsumer::Assign(const StartOffsets& starts) {
  fetch_.clear();
  paused_.clear();
  next_partition_ = 0;
  for (const auto& [tp, start] : starts) fetch_[tp] = {Resolve(tp, start), false};
  assigns_.push_back(starts);
  return absl::OkStatus();
}

absl::Status FakeConsumer::Unassign() {
  fetch_.clear();
  paused_.clear();
  return absl::OkStatus();
}

absl::StatusOr<std::vector<model::TopicPartition>> FakeConsumer::Assignment() {
  std::vector<model::TopicPartition> out;
  for (const auto& [tp, fetch] : fetch_) out.push_back(tp);
  return out;
}

absl::Status FakeConsumer::Seek(const model::TopicPartition& partition, model::Offset offset,
                                std::chrono::milliseconds) {
  seeks_.push_back({partition, offset});
  auto it = fetch_.find(partition);
  if (it == fetch_.end()) {
    return absl::FailedPreconditionError("kafka seek: " + partition.topic.value() + "/" +
                                         std::to_string(partition.partition.value()) +
                                         " is not assigned");
  }
  it->second = {offset.value(), false};
  return absl::OkStatus();
}

absl::Status FakeConsumer::Pause(const std::vector<model::TopicPartition>& partitions) {
  for (const auto& tp : partitions) paused_.insert(tp);
  return absl::OkStatus();
}

absl::Status FakeConsumer::Resume(const std::vector<model::TopicPartition>& partitions) {
  for (const auto& tp : partitions) paused_.erase(tp);
  return absl::OkStatus();
}

absl::StatusOr<Watermarks> FakeConsumer::QueryWatermarks(const model::TopicPartition& partition,
                                                         std::chrono::milliseconds) {
  if (auto it = failing_watermarks_.find(partition);
      it != failing_watermarks_.end() && it->second > 0) {
    --it->second;
    return absl::UnavailableError("kafka watermarks: Local: Timed out");
  }
  if (logs_.count(partition) == 0) {
    return absl::UnavailableError("kafka watermarks: Broker: Unknown topic or partition");
  }
  return LogBounds(partition);
}

absl::StatusOr<Watermarks> FakeConsumer::CachedWatermarks(const model::TopicPartition& partition) {
  if (logs_.count(partition) == 0) return absl::UnavailableError("kafka watermarks: unknown");
  return LogBounds(partition);
}

absl::StatusOr<NextOffsets> FakeConsumer::Committed(
    const std::vector<model::TopicPartition>& partitions, std::chrono::milliseconds) {
  NextOffsets out;
  for (const auto& tp : partitions) {
    if (auto it = committed_.find(tp); it != committed_.end()) out.insert(*it);
  }
  return out;
}

absl::Status FakeConsumer::Commit(const NextOffsets& offsets, bool) {
  if (offsets.empty()) return absl::OkStatus();  // as KafkaConsumer: nothing to commit
  commits_.push_back(offsets);
  for (const auto& [tp, offset] : offsets) committed_[tp] = offset;
  return absl::OkStatus();
}

void FakeConsumer::Close() {
  if (closed_) return;
  Revoke();
  closed_ = true;
}

}  // namespace crvs::kafka
