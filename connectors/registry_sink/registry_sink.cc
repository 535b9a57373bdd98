#include "connectors/registry_sink/registry_sink.h"

#include <chrono>
#include <functional>
#include <thread>

#include <absl/strings/ascii.h>
#include <google/protobuf/util/time_util.h>

#include "connectors/registry_sink/decode.h"
#include "services/platform/backoff.h"
#include "services/platform/elapsed.h"
#include "services/platform/logging.h"
#include "services/platform/status.h"
#include "services/records/records.h"

namespace crvs::sink {
namespace {

using Clock = std::chrono::steady_clock;

// How long a query of a partition's log bounds (or a seek) may take before we treat them as
// unknown. Each is one round trip to the partition's leader, far below 5 s when the leader is
// healthy; the bound is how long positioning a partition (on assignment, or after an offset
// error) can hang on an unreachable leader before the sink falls back to the stored position.
constexpr std::chrono::milliseconds kWatermarkTimeout{5000};
// Pause before fetching again when the log bounds or the database were unavailable, so that a
// partition that keeps failing does not spin. Short against the session timeout (a rebalance
// is not held up by it), long enough that a failing partition costs a few calls a second.
constexpr auto kRetryPause = std::chrono::milliseconds(200);
// How often the count of unacknowledged offset alarms (readiness) is read from the database;
// an operator's acknowledgement shows within this.
constexpr auto kAlarmRefresh = std::chrono::seconds(2);
// Longest poll while no batch is open: how soon an idle sink sees stop, pause / resume and
// the alarm refresh above. (With a batch open the poll waits only for the rest of
// sink.batch_max_wait.)
constexpr auto kIdlePoll = std::chrono::milliseconds(100);
// Consecutive failed attempts at applying one batch before /readyz reports the database writes
// as failing: one or two are the transient errors the retry with backoff is there for.
constexpr int kNotReadyAfterFailures = 3;

auto Log() {
  static auto log = logging::Get("sink");
  return log;
}

store::KafkaMessage ToKafkaMessage(const kafka::ConsumedMessage& m) {
  store::KafkaMessage out;
  out.topic_partition = {store::Topic(m.topic), store::Partition(m.partition)};
  out.offset = store::Offset(m.offset);
  out.key = m.key;
  out.value = m.value;
  for (const auto& [name, value] : m.headers) out.headers.push_back({name, value});
  return out;
}

// The consumer settings of the sink's group.
std::vector<std::pair<std::string, std::string>> ConsumerSettings(const SinkConfig& config) {
  return {{"group.id", config.group_id},
          // Positions live in the database; Kafka-committed offsets are informational only.
          {"enable.auto.commit", "false"},
          {"enable.auto.offset.store", "false"},
          // Never jump silently: an out-of-range position is reported to us (see Run).
          {"auto.offset.reset", "error"},
          {"session.timeout.ms", std::to_string(config.session_timeout.count())},
          {"heartbeat.interval.ms",
           std::to_string(kafka::HeartbeatIntervalFor(config.session_timeout).count())},
          {"fetch.wait.max.ms", std::to_string(config.fetch_max_wait.count())}};
}

}  // namespace

absl::StatusOr<std::unique_ptr<RegistrySink>> RegistrySink::Prepare(
    const SinkConfig& config, const kafka::KafkaConfig& kafka, Deps deps) {
  std::unique_ptr<RegistrySink> sink(new RegistrySink());
  sink->config_ = config;
  sink->kafka_ = kafka;
  sink->deps_ = deps;
  auto cipher = crypto::LoadPayloadCipher(kafka.crypto);
  if (!cipher.ok()) return cipher.status();
  sink->cipher_ = std::move(*cipher);
  sink->metrics_ = std::make_unique<SinkMetrics>(*deps.metrics);
  return sink;
}

absl::StatusOr<std::unique_ptr<RegistrySink>> RegistrySink::Start(
    const SinkConfig& config, const kafka::KafkaConfig& kafka, const std::string& bootstrap,
    Deps deps) {
  auto sink = Prepare(config, kafka, deps);
  if (!sink.ok()) return sink.status();
  auto consumer = kafka::KafkaConsumer::Create(kafka, bootstrap, ConsumerSettings(config));
  if (!consumer.ok()) return consumer.status();
  absl::Status st = (*sink)->Launch(std::move(*consumer));
  if (!st.ok()) return st;
  return sink;
}

absl::StatusOr<std::unique_ptr<RegistrySink>> RegistrySink::Start(
    const SinkConfig& config, const kafka::KafkaConfig& kafka,
    std::unique_ptr<kafka::Consumer> consumer, Deps deps) {
  auto sink = Prepare(config, kafka, deps);
  if (!sink.ok()) return sink.status();
  absl::Status st = (*sink)->Launch(std::move(consumer));
  if (!st.ok()) return st;
  return sink;
}

absl::Status RegistrySink::Launch(std::unique_ptr<kafka::Consumer> consumer) {
  consumer_ = std::move(consumer);
  std::vector<std::string> topics = {kafka_.topic_births, kafka_.topic_deaths,
                                     kafka_.topic_divorces, kafka_.topic_registrations};
  CRVS_RETURN_IF_ERROR(consumer_->Subscribe(topics, this));
  batch_.group = store::ConsumerGroup(config_.group_id);
  committer_ = std::thread([this] { CommitLoop(); });
  thread_ = std::thread([this] { Run(); });
  Log()->info("sink started group={} database={} topics={}", config_.group_id,
              deps_.store->backend(), topics.size());
  return absl::OkStatus();
}

RegistrySink::~RegistrySink() {
  Stop();
  consumer_.reset();  // while the rest of the sink is alive: destroying may still call back
}

void RegistrySink::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();  // its last Drain left nothing in flight
  {
    std::lock_guard<std::mutex> lock(commit_mu_);
    committer_stop_ = true;
  }
  commit_cv_.notify_all();
  if (committer_.joinable()) committer_.join();
}

std::string RegistrySink::NotReady() const {
  std::string why;
  int failures = consecutive_failures_.load();
  if (failures >= kNotReadyAfterFailures) {
    why = "database writes failing (" + std::to_string(failures) + " attempts)";
  }
  int64_t alarms = unacknowledged_alarms_.load();
  if (alarms > 0) {
    if (!why.empty()) why += "; ";
    why += std::to_string(alarms) +
           " offset alarm(s) not acknowledged: a partition's log was reset or records expired "
           "unread (crvs admin: ListOffsetAlarms / AcknowledgeOffsetAlarm, or the console)";
  }
  return why;
}

void RegistrySink::RefreshAlarms() {
  auto n = deps_.store->CountUnacknowledgedAlarms(batch_.group);
  if (!n.ok()) return;  // keep the last count; the database being down shows elsewhere
  unacknowledged_alarms_.store(*n);
  metrics_->UnacknowledgedAlarms(static_cast<double>(*n));
  alarms_read_ = Clock::now();
}

void RegistrySink::Run() {
  batch_started_ = Clock::now();
  RefreshAlarms();
  while (!stop_.load()) {
    if (Clock::now() >= alarms_read_ + kAlarmRefresh) RefreshAlarms();
    const bool want_paused = paused_.load();
    if (want_paused != fetch_paused_ && kafka::SetFetchPaused(*consumer_, want_paused)) {
      fetch_paused_ = want_paused;
      Log()->info("sink {}", fetch_paused_ ? "paused" : "resumed");
    }
    std::optional<kafka::ConsumedMessage> m = consumer_->Poll(PollTimeout());
    if (m) {
      switch (m->error) {
        case kafka::ConsumedMessage::Error::kNone:
          Add(*m);
          break;
        case kafka::ConsumedMessage::Error::kOffsetOutOfRange:
          HandleOffsetOutOfRange(m->topic, m->partition);
          break;
        case kafka::ConsumedMessage::Error::kPartitionEof:
          break;
        case kafka::ConsumedMessage::Error::kOther:
          Log()->warn("consumer error={}", m->error_message);
          break;
      }
    }
    if (!Collect(/*wait=*/false)) break;  // a committed batch's follow-up, if it is done
    size_t pending = batch_.records.size() + batch_.failures.size();
    if (pending >= static_cast<size_t>(config_.batch_max_records) ||
        (pending > 0 && Clock::now() >= batch_started_ + config_.batch_max_wait)) {
      if (!Flush()) break;
    }
  }
  Drain();
  consumer_->Close();  // revokes (flushing nothing more) and leaves the group
  Log()->info("sink stopped committed={}", committed_.load());
}

std::chrono::milliseconds RegistrySink::PollTimeout() const {
  if (batch_.records.empty() && batch_.failures.empty()) return kIdlePoll;
  // An open batch is applied sink.batch_max_wait after its first record at the latest.
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      batch_started_ + config_.batch_max_wait - Clock::now());
  return std::max(std::chrono::milliseconds(0), left);
}

void RegistrySink::Add(const kafka::ConsumedMessage& m) {
  store::KafkaMessage message = ToKafkaMessage(m);
  store::TopicPartition tp = message.topic_partition;
  const int64_t fingerprint = store::MessageFingerprint(message.key, message.value);
  if (auto v = verify_.find(tp); v != verify_.end()) {
    // The first message after (re)positioning at stored - 1: is it the one we applied last?
    const auto [stored, expected] = v->second;
    verify_.erase(v);
    if (message.offset.value() == stored - 1 && fingerprint == expected) return;  // same log
    LogReplaced(tp, stored, message.offset.value());
    return;
  }
  if (batch_.records.empty() && batch_.failures.empty()) batch_started_ = Clock::now();
  int64_t next = message.offset.value() + 1;
  absl::Time event_time = absl::InfinitePast();
  Decoded decoded =
      Decode(std::move(message), *deps_.reference, *cipher_, kafka_.crypto.accept_unsealed);
  if (auto* record = std::get_if<store::InboundRecord>(&decoded)) {
    event_time = absl::FromUnixSeconds(record->envelope.issued_at().seconds()) +
                 absl::Nanoseconds(record->envelope.issued_at().nanos());
    batch_.records.push_back(std::move(*record));
  } else {
    auto& failure = std::get<store::FailedMessage>(decoded);
    Log()->warn("dead letter topic={} partition={} offset={} class={} error={}",
                failure.message.topic_partition.topic.value(),
                failure.message.topic_partition.partition.value(), failure.message.offset.value(),
                failure.error_class, failure.error_message);
    batch_.failures.push_back(std::move(failure));
  }
  auto& pos = batch_positions_[tp];
  pos.next = next;
  pos.fingerprint = fingerprint;
  if (event_time != absl::InfinitePast()) pos.event_time = event_time;
}

bool RegistrySink::Flush() {
  if (batch_.records.empty() && batch_.failures.empty()) return true;
  // One batch in flight at most: the one before this must be committed first.
  if (!Collect(/*wait=*/true)) {
    batch_ = store::ApplyBatch{batch_.group, {}, {}, {}};
    batch_positions_.clear();
    return false;
  }
  batch_.offsets.clear();
  for (const auto& [tp, pos] : batch_positions_) {
    batch_.offsets.push_back({tp, store::Offset(pos.next), pos.fingerprint});
  }
  auto job = std::make_unique<InFlight>();
  job->batch = std::move(batch_);
  job->positions = std::move(batch_positions_);
  job->started = Clock::now();
  {
    std::lock_guard<std::mutex> lock(commit_mu_);
    inflight_ = std::move(job);
  }
  commit_cv_.notify_all();
  batch_ = store::ApplyBatch{store::ConsumerGroup(config_.group_id), {}, {}, {}};
  batch_positions_.clear();
  return true;
}

bool RegistrySink::Drain() { return Flush() && Collect(/*wait=*/true); }

void RegistrySink::CommitLoop() {
  std::unique_lock<std::mutex> lock(commit_mu_);
  while (true) {
    commit_cv_.wait(lock, [&] { return committer_stop_ || (inflight_ && !inflight_->done); });
    if (!inflight_ || inflight_->done) return;  // stopping, nothing to apply
    InFlight* job = inflight_.get();  // stays put until done is set: the loop waits for it
    lock.unlock();
    absl::StatusOr<store::BatchResult> result = ApplyWithRetries(job->batch);
    lock.lock();
    job->result = std::move(result);
    job->done = true;
    commit_cv_.notify_all();
  }
}

absl::StatusOr<store::BatchResult> RegistrySink::ApplyWithRetries(const store::ApplyBatch& batch) {
  Backoff backoff(config_.retry_initial_backoff, config_.retry_max_backoff);
  while (true) {
    absl::StatusOr<store::BatchResult> result = deps_.store->Apply(batch);
    // A value the database refuses (e.g. a NUL byte in text on PostgreSQL) would fail this
    // batch forever and stall every partition behind it: find the records that cause it,
    // dead-letter them, apply the rest.
    if (!result.ok() && result.status().code() == absl::StatusCode::kInvalidArgument) {
      result = ApplyIsolating(batch);
    }
    if (result.ok()) {
      consecutive_failures_.store(0);
      return result;
    }
    consecutive_failures_.fetch_add(1);
    metrics_->ApplyFailure(absl::StatusCodeToString(result.status().code()));
    // A permanent error is retried too (with the longest backoff): skipping the batch would
    // lose records, and an operator can fix the database while we wait.
    Log()->error("batch not applied records={} attempt={} error={} retryable={}",
                 batch.records.size() + batch.failures.size(), consecutive_failures_.load(),
                 std::string(result.status().message()), IsRetryable(result.status()));
    if (!IsRetryable(result.status())) backoff.UseMax();
    if (stop_.load()) {
      // Nothing committed: the offsets in the database still point at this batch, so the
      // next owner of these partitions consumes it again.
      return absl::CancelledError("stopping while the batch could not be applied");
    }
    backoff.Sleep(stop_);
    if (result.status().code() == absl::StatusCode::kUnavailable &&
        deps_.store->backend() == "postgresql") {
      // The database was out of reach (a lost connection, a server restarting). A batch
      // commits on PostgreSQL without waiting for its WAL flush (store.cc, Store::Apply), so
      // the commits acknowledged just before a server crash may be gone, and this batch was
      // gathered from positions after them: applying it would store offsets past records the
      // database no longer holds. Give it back; the loop fetches again from the positions
      // the database holds (Reposition).
      return absl::UnavailableError(absl::StrCat("reposition: ", result.status().message()));
    }
  }
}

void RegistrySink::Reposition() {
  batch_ = store::ApplyBatch{store::ConsumerGroup(config_.group_id), {}, {}, {}};
  batch_positions_.clear();
  auto assigned = consumer_->Assignment();
  if (!assigned.ok()) {
    Log()->warn("cannot read the assignment to fetch again: {}",
                std::string(assigned.status().message()));
    return;
  }
  for (const auto& tp : *assigned) Seek(tp, StartPosition(tp));
  Log()->warn("database was out of reach: fetching again from its stored positions partitions={}",
              assigned->size());
}

bool RegistrySink::Collect(bool wait) {
  std::unique_ptr<InFlight> job;
  {
    std::unique_lock<std::mutex> lock(commit_mu_);
    if (!inflight_) return true;
    if (!inflight_->done) {
      if (!wait) return true;
      commit_cv_.wait(lock, [&] { return inflight_->done; });
    }
    job = std::move(inflight_);
  }
  if (!job->result.ok()) {
    if (absl::IsUnavailable(job->result.status()) && !stop_.load()) {
      Reposition();  // nothing of this batch, or of the one gathered since, is kept
      return true;
    }
    return false;  // abandoned while stopping
  }
  const store::ApplyBatch& batch = job->batch;
  const store::BatchResult& result = *job->result;
  size_t count = batch.records.size() + batch.failures.size();
  committed_.fetch_add(static_cast<int64_t>(count));
  for (const auto& [kind_outcome, n] : result.counts) {
    std::string outcome(store::ApplyOutcomeName(kind_outcome.second));
    absl::AsciiStrToLower(&outcome);  // "applied_new", ...
    metrics_->Applied(records::KindLabel(kind_outcome.first), outcome, static_cast<double>(n));
  }
  for (const auto& r : batch.records) {
    const auto& issued = r.envelope.issued_at();
    absl::Time event = absl::FromUnixSeconds(issued.seconds()) + absl::Nanoseconds(issued.nanos());
    metrics_->EventToCommit(absl::ToDoubleSeconds(result.committed_at - event));
  }
  PublishDeadLetters(batch, result);
  UpdateLag(batch, job->positions, result.committed_at);
  metrics_->Batch(static_cast<double>(count), platform::SecondsSince(job->started));

  // Informational copy of the positions for Kafka tools (kafka-consumer-groups); the
  // database's offsets are the ones the sink resumes from.
  kafka::NextOffsets commit;
  for (const auto& o : batch.offsets) commit[o.topic_partition] = o.next_offset;
  consumer_->Commit(commit, /*async=*/true).IgnoreError();
  return true;
}

absl::StatusOr<store::BatchResult> RegistrySink::ApplyIsolating(const store::ApplyBatch& batch) {
  store::BatchResult total;
  // Each part is committed on its own, without offsets: a crash in between re-reads the batch,
  // and what was applied comes out duplicate (message ids, dead-letter source offsets).
  std::function<absl::Status(std::vector<store::InboundRecord>, std::vector<store::FailedMessage>)>
      apply_part = [&](std::vector<store::InboundRecord> records,
                       std::vector<store::FailedMessage> failures) -> absl::Status {
    store::ApplyBatch part{batch.group, records, failures, {}};
    auto r = deps_.store->Apply(part);
    if (r.ok()) {
      for (auto& rr : r->records) total.records.push_back(std::move(rr));
      for (const auto& [k, n] : r->counts) total.counts[k] += n;
      total.committed_at = r->committed_at;
      return absl::OkStatus();
    }
    if (r.status().code() != absl::StatusCode::kInvalidArgument) return r.status();
    if (!records.empty() && !failures.empty()) {  // the dead letters apart from the records
      CRVS_RETURN_IF_ERROR(apply_part({}, std::move(failures)));
      return apply_part(std::move(records), {});
    }
    if (records.size() == 1) {
      // This record is the one: a dead letter instead (its bytes are stored as they came).
      const store::InboundRecord& bad = records[0];
      store::FailedMessage dead;
      dead.message = bad.message;
      dead.error_class = "DATABASE";
      // The database's reason without the statement (the source reads it in its receipt).
      std::string why(r.status().message());
      const size_t pg = why.find("ERROR:");
      const size_t last = why.rfind(": ");
      why = pg != std::string::npos ? why.substr(pg)
                                    : last != std::string::npos ? why.substr(last + 2) : why;
      dead.error_message = "the database refused the record: " + why;
      dead.business_key = bad.envelope.business_key();
      dead.source = records::FormatPrincipal(bad.envelope.source());
      dead.message_id = bad.envelope.message_id();
      Log()->error("dead letter topic={} partition={} offset={} class=DATABASE error={}",
                   bad.message.topic_partition.topic.value(),
                   bad.message.topic_partition.partition.value(), bad.message.offset.value(),
                   std::string(r.status().message()));
      store::ApplyBatch alone{batch.group, {}, {dead}, {}};
      auto d = deps_.store->Apply(alone);
      if (!d.ok()) return d.status();
      for (const auto& [k, n] : d->counts) total.counts[k] += n;
      total.counts[{bad.envelope.kind(), store::ApplyOutcome::kInvalid}] += 1;
      total.records.push_back({store::ApplyOutcome::kInvalid, 0, "DATABASE", dead.error_message});
      total.committed_at = d->committed_at;
      return absl::OkStatus();
    }
    if (records.size() + failures.size() <= 1) return r.status();  // a dead letter refused
    if (records.empty()) {  // only failures: halve them
      std::vector<store::FailedMessage> second(failures.begin() + failures.size() / 2, failures.end());
      failures.resize(failures.size() / 2);
      CRVS_RETURN_IF_ERROR(apply_part({}, std::move(failures)));
      return apply_part({}, std::move(second));
    }
    // Halve the records (in order, so the results stay aligned with the batch's).
    std::vector<store::InboundRecord> second(records.begin() + records.size() / 2, records.end());
    records.resize(records.size() / 2);
    CRVS_RETURN_IF_ERROR(apply_part(std::move(records), {}));
    return apply_part(std::move(second), {});
  };
  CRVS_RETURN_IF_ERROR(apply_part(batch.records, batch.failures));
  // Last, the offsets of the whole batch.
  auto offsets = deps_.store->Apply({batch.group, {}, {}, batch.offsets});
  if (!offsets.ok()) return offsets.status();
  return total;
}

void RegistrySink::PublishDeadLetters(const store::ApplyBatch& batch,
                                      const store::BatchResult& result) {
  std::string failed_at = records::FormatTimestamp(google::protobuf::util::TimeUtil::TimeTToTimestamp(
      absl::ToTimeT(result.committed_at)));
  auto publish = [&](const store::KafkaMessage& m, const std::string& error_class,
                     const std::string& error_message) {
    metrics_->DeadLetter(error_class);
    kafka::OutgoingMessage out{kafka_.topic_dead_letters, m.key, m.value, {}};
    for (const auto& h : m.headers) out.headers.emplace_back(h.key, h.value);
    out.headers.emplace_back("crvs-dlq-error-class", error_class);
    // Headers are never sealed: no personal ID in them, whatever a message says.
    out.headers.emplace_back("crvs-dlq-error-message", logging::MaskPersonalIds(error_message));
    out.headers.emplace_back("crvs-dlq-original-topic", m.topic_partition.topic.value());
    out.headers.emplace_back("crvs-dlq-original-partition",
                             std::to_string(m.topic_partition.partition.value()));
    out.headers.emplace_back("crvs-dlq-original-offset", std::to_string(m.offset.value()));
    out.headers.emplace_back("crvs-dlq-failed-at", failed_at);
    // The table row (same transaction as the offsets) is the record of truth; the topic copy
    // is for Kafka-side tooling, so a failed publish is logged, not retried forever.
    absl::Status st = deps_.dead_letter_producer->Produce(
        std::move(out), [](const kafka::Delivery& d) {
          if (!d.status.ok()) {
            Log()->error("dead-letter topic publish failed error={}", std::string(d.status.message()));
          }
        });
    if (!st.ok()) Log()->error("dead-letter topic publish failed error={}", std::string(st.message()));
  };
  for (const auto& f : batch.failures) publish(f.message, f.error_class, f.error_message);
  for (size_t i = 0; i < batch.records.size() && i < result.records.size(); ++i) {
    const auto& r = result.records[i];
    if (r.outcome == store::ApplyOutcome::kConflict || r.outcome == store::ApplyOutcome::kInvalid) {
      Log()->warn("dead letter key={} class={} error={}", batch.records[i].envelope.business_key(),
                  r.error_class, r.error_message);
      publish(batch.records[i].message, r.error_class, r.error_message);
    }
  }
}

void RegistrySink::UpdateLag(const store::ApplyBatch& batch,
                             const std::map<store::TopicPartition, Position>& positions,
                             absl::Time committed_at) {
  for (const auto& o : batch.offsets) {
    const std::string& topic = o.topic_partition.topic.value();
    int32_t partition = o.topic_partition.partition.value();
    double messages = 0;
    auto bounds = consumer_->CachedWatermarks(o.topic_partition);
    if (bounds.ok() && bounds->high.value() >= o.next_offset.value()) {
      messages = static_cast<double>(bounds->high.value() - o.next_offset.value());
    }
    double seconds = -1;
    auto it = positions.find(o.topic_partition);
    if (messages == 0) {
      seconds = 0;  // caught up: nothing is waiting
    } else if (it != positions.end() && it->second.event_time != absl::Time()) {
      seconds = absl::ToDoubleSeconds(committed_at - it->second.event_time);
    }
    metrics_->Lag(topic, partition, messages, seconds);
  }
}

void RegistrySink::OnRevoked(const std::vector<store::TopicPartition>& partitions) {
  // Apply what we consumed while we still own it; the next owner starts after it.
  Drain();
  consumer_->Unassign().IgnoreError();
  for (const auto& tp : partitions) {
    metrics_->ForgetPartition(tp.topic.value(), tp.partition.value());
  }
  Log()->info("partitions revoked count={}", partitions.size());
}

void RegistrySink::OnAssigned(const std::vector<store::TopicPartition>& partitions) {
  kafka::StartOffsets starts;
  for (const auto& tp : partitions) starts[tp] = StartPosition(tp);
  consumer_->Assign(starts).IgnoreError();
  if (fetch_paused_) consumer_->Pause(partitions).IgnoreError();
  Log()->info("partitions assigned count={}", partitions.size());
}

store::Offset RegistrySink::StartPosition(const store::TopicPartition& tp) {
  const std::string& topic = tp.topic.value();
  const int32_t partition = tp.partition.value();
  verify_.erase(tp);
  std::optional<store::StoredPosition> stored;
  Backoff backoff(config_.retry_initial_backoff, config_.retry_max_backoff);
  while (true) {
    auto positions = deps_.store->LoadPositions(batch_.group, tp.topic);
    if (positions.ok()) {
      auto it = positions->find(tp.partition);
      if (it != positions->end()) stored = it->second;
      break;
    }
    Log()->error("cannot load stored offsets topic={} error={}", topic,
                 std::string(positions.status().message()));
    if (stop_.load()) return store::Offset(0);  // not fetched: the consumer closes
    backoff.Sleep(stop_);
  }
  // None stored: from the very first offset (out of range if it expired: handled below).
  const int64_t position = stored ? stored->next_offset.value() : 0;
  auto bounds = consumer_->QueryWatermarks(tp, kWatermarkTimeout);
  if (!bounds.ok()) {
    // Leader unknown for now: fetch from the stored position; if it is out of range the error
    // comes back and this runs again.
    Log()->warn("log bounds unavailable topic={} partition={}: fetching from the stored "
                "position {}",
                topic, partition, position);
    std::this_thread::sleep_for(kRetryPause);
    return Verified(tp, position, stored);
  }
  const int64_t low = bounds->low.value(), high = bounds->high.value();
  if (position > high) {
    // The log ends before what we already applied: the topic was re-created, the in-memory
    // broker restarted, or a leader lost records. Re-read the new log from its start.
    if (RecordReset(tp, position, low, high, "BEYOND_LOG_END")) return bounds->low;
    std::this_thread::sleep_for(kRetryPause);
    return store::Offset(position);  // out of range again, and this runs again
  }
  if (position < low) {
    store::LostRange range{tp, store::Offset(position), store::Offset(low), absl::Now()};
    absl::Status st = deps_.store->RecordLostRange(batch_.group, range);
    metrics_->BehindLogStart(topic, partition, static_cast<double>(low - position));
    Log()->error(
        "ALARM records expired unread topic={} partition={} lost_offsets=[{},{}) recorded={}: "
        "reconciliation must request re-sends",
        topic, partition, position, low, st.ok());
    if (st.ok()) {
      RefreshAlarms();
      return bounds->low;
    }
    // Not recorded (database down): the error and this handling come back until it is.
    std::this_thread::sleep_for(kRetryPause);
    return store::Offset(position);
  }
  return position > low ? Verified(tp, position, stored) : store::Offset(position);
}

store::Offset RegistrySink::Verified(const store::TopicPartition& tp, int64_t position,
                                     const std::optional<store::StoredPosition>& stored) {
  if (position <= 0 || !stored || !stored->last_fingerprint) return store::Offset(position);
  // Fetch the last message we applied once more and compare it (Add): a log that reuses our
  // offsets for other messages is caught here, even when it has grown past our position.
  verify_[tp] = {position, *stored->last_fingerprint};
  return store::Offset(position - 1);
}

bool RegistrySink::RecordReset(const store::TopicPartition& tp, int64_t stored, int64_t low,
                               int64_t high, const std::string& reason) {
  const std::string& topic = tp.topic.value();
  const int32_t partition = tp.partition.value();
  store::LogReset reset{tp,      store::Offset(stored), store::Offset(low), store::Offset(high),
                        reason, absl::Now()};
  absl::Status st = deps_.store->RecordLogReset(batch_.group, reset);
  Log()->error("ALARM log reset topic={} partition={} reason={} stored_position={} log=[{},{}) "
               "recorded={}: the log no longer holds what was consumed; re-reading it from {} "
               "(records already applied are duplicates); acknowledge the alarm once checked",
               topic, partition, reason, stored, low, high, st.ok(), low);
  if (!st.ok()) return false;
  metrics_->LogReset(topic, partition);
  RefreshAlarms();
  return true;
}

void RegistrySink::LogReplaced(const store::TopicPartition& tp, int64_t stored, int64_t found) {
  Drain();  // everything consumed on other partitions first
  const std::string& topic = tp.topic.value();
  const int32_t partition = tp.partition.value();
  Log()->error("log replaced topic={} partition={}: offset {} holds another message than the one "
               "applied there (first offset fetched: {})",
               topic, partition, stored - 1, found);
  auto bounds = consumer_->QueryWatermarks(tp, kWatermarkTimeout);
  if (bounds.ok() &&
      RecordReset(tp, stored, bounds->low.value(), bounds->high.value(), "LOG_REPLACED")) {
    Seek(tp, bounds->low);
    return;
  }
  // Not recorded: check the same message again later.
  std::this_thread::sleep_for(kRetryPause);
  Seek(tp, StartPosition(tp));
}

void RegistrySink::Seek(const store::TopicPartition& tp, store::Offset offset) {
  absl::Status st = consumer_->Seek(tp, offset, kWatermarkTimeout);
  if (!st.ok()) {
    Log()->warn("seek topic={} partition={} offset={} failed: {}", tp.topic.value(),
                tp.partition.value(), offset.value(), std::string(st.message()));
  }
}

void RegistrySink::HandleOffsetOutOfRange(const std::string& topic, int32_t partition) {
  if (topic.empty()) return;
  Drain();  // everything consumed before the gap is committed first
  // With auto.offset.reset=error librdkafka stops fetching the partition until we seek: every
  // path of StartPosition ends in a position to seek to, or the partition would stall silently.
  // A position inside the log (a fetch that reached a broker whose log did not yet match, e.g.
  // during a leader change) is simply fetched again.
  const store::TopicPartition tp{store::Topic(topic), store::Partition(partition)};
  Seek(tp, StartPosition(tp));
}

}  // namespace crvs::sink
