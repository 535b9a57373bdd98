#include "connectors/court_source/court_source.h"

#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <absl/time/civil_time.h>
#include <google/protobuf/util/time_util.h>

#include "crvs/ingest/v1/receipt.pb.h"
#include "services/platform/backoff.h"
#include "services/platform/logging.h"
#include "services/platform/mutex.h"
#include "services/records/records.h"

namespace crvs::court_source {
namespace {

using Clock = std::chrono::steady_clock;
namespace v1 = records::v1;

// The resync topic's wire format (services/gateway/resend_inbox.h): key = addressee principal,
// a request's value is a crvs.ingest.v1.ResendRequest, an acknowledgement's value is the
// request id with this header. Gateways drop acknowledged requests from the court's pull list.
constexpr const char* kResendAckHeader = "crvs-resend-ack";
constexpr char kCourtPrincipalPrefix[] = "court:";

auto Log() {
  static auto log = logging::Get("court-source");
  return log;
}

// How long reading the log's bounds, a seek or the committed offsets may take.
constexpr std::chrono::milliseconds kKafkaTimeout{5000};
constexpr std::chrono::milliseconds kCommittedTimeout{10000};

bool HasHeader(const kafka::ConsumedMessage& m, const char* name) {
  for (const auto& h : m.headers) {
    if (h.first == name) return true;
  }
  return false;
}

std::vector<std::pair<std::string, std::string>> ConsumerSettings(const CourtSourceConfig& config) {
  return {{"group.id", config.group_id},
          // Offsets are committed by hand, only after the outputs of the inputs are confirmed.
          {"enable.auto.commit", "false"},
          {"enable.auto.offset.store", "false"},
          // Never jump silently: an out-of-range position is reported to us (see Run).
          {"auto.offset.reset", "error"},
          {"session.timeout.ms", std::to_string(config.session_timeout.count())},
          {"heartbeat.interval.ms",
           std::to_string(kafka::HeartbeatIntervalFor(config.session_timeout).count())}};
}

// "divorce/<court>/<decision_no>" with its component escapes undone; false if not that form.
bool ParseDivorceKey(const std::string& key, std::string* court, std::string* decision_no) {
  std::vector<std::string> parts = absl::StrSplit(key, '/');
  if (parts.size() != 3 || parts[0] != "divorce") return false;
  auto unescape = [](const std::string& in, std::string* out) {
    out->clear();
    for (size_t i = 0; i < in.size(); ++i) {
      if (in[i] != '%') {
        out->push_back(in[i]);
      } else if (in.compare(i, 3, "%2F") == 0) {
        out->push_back('/');
        i += 2;
      } else if (in.compare(i, 3, "%25") == 0) {
        out->push_back('%');
        i += 2;
      } else {
        return false;
      }
    }
    return !out->empty();
  };
  return unescape(parts[1], court) && unescape(parts[2], decision_no);
}

}  // namespace

struct CourtSource::Tracker {
  enum State : char { kInFlight, kDelivered, kFailed };
  platform::Mutex mu;
  platform::CondVar cv;
  std::vector<State> states ABSL_GUARDED_BY(mu);
  int in_flight ABSL_GUARDED_BY(mu) = 0;
};

absl::StatusOr<std::unique_ptr<CourtSource>> CourtSource::Prepare(
    const CourtSourceConfig& config, const kafka::KafkaConfig& kafka, Deps deps) {
  if (config.input_topic.empty()) {
    return absl::InvalidArgumentError("court_source.input_topic: a topic is required");
  }
  if (config.batch_max_records < 1) {
    return absl::InvalidArgumentError("court_source.batch_max_records: must be >= 1");
  }
  std::unique_ptr<CourtSource> source(new CourtSource());
  source->config_ = config;
  source->kafka_ = kafka;
  source->deps_ = deps;
  auto mapping = DecisionMapping::Compile(config.mapping);
  if (!mapping.ok()) return mapping.status();
  source->mapping_ = std::make_unique<DecisionMapping>(*mapping);
  source->translator_ = std::make_unique<ChangeTranslator>(*mapping, deps.reference);
  if (!config.resend_source_file.empty()) {
    auto file = ExportFile::Open(config.resend_source_file, config.resend_position_column,
                                 config.resend_time_column, source->mapping_.get());
    if (!file.ok()) return file.status();
    source->export_ = std::move(*file);
  }
  source->metrics_ = std::make_shared<CourtSourceMetrics>(*deps.metrics);
  source->tracker_ = std::make_shared<Tracker>();

  return source;
}

absl::StatusOr<std::unique_ptr<CourtSource>> CourtSource::Start(const CourtSourceConfig& config,
                                                                const kafka::KafkaConfig& kafka,
                                                                const std::string& bootstrap,
                                                                Deps deps) {
  auto source = Prepare(config, kafka, deps);
  if (!source.ok()) return source.status();
  auto consumer = kafka::KafkaConsumer::Create(kafka, bootstrap, ConsumerSettings(config));
  if (!consumer.ok()) return consumer.status();
  absl::Status st = (*source)->Launch(std::move(*consumer));
  if (!st.ok()) return st;
  return source;
}

absl::StatusOr<std::unique_ptr<CourtSource>> CourtSource::Start(
    const CourtSourceConfig& config, const kafka::KafkaConfig& kafka,
    std::unique_ptr<kafka::Consumer> consumer, Deps deps) {
  auto source = Prepare(config, kafka, deps);
  if (!source.ok()) return source.status();
  absl::Status st = (*source)->Launch(std::move(consumer));
  if (!st.ok()) return st;
  return source;
}

absl::Status CourtSource::Launch(std::unique_ptr<kafka::Consumer> consumer) {
  consumer_ = std::move(consumer);
  CRVS_RETURN_IF_ERROR(consumer_->Subscribe({config_.input_topic, kafka_.topic_resync}, this));
  thread_ = std::thread([this] { Run(); });
  Log()->info("court source started group={} input_topic={} output_topic={} resend_source={}",
              config_.group_id, config_.input_topic, kafka_.topic_divorces,
              config_.resend_source_file.empty() ? "none" : config_.resend_source_file);
  return absl::OkStatus();
}

CourtSource::~CourtSource() {
  Stop();
  consumer_.reset();  // while the rest of the connector is alive: destroying may call back
}

void CourtSource::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

std::string CourtSource::NotReady() const {
  std::string fatal = deps_.producer->FatalError();
  if (!fatal.empty()) return "producer cannot deliver: " + fatal;
  int failures = consecutive_failures_.load();
  return failures >= 3 ? "outputs not delivered (" + std::to_string(failures) + " attempts)" : "";
}

void CourtSource::ApplyPause() {
  const bool want = paused_.load();
  if (want == fetch_paused_ || !kafka::SetFetchPaused(*consumer_, want)) return;
  fetch_paused_ = want;
  Log()->info("court source {}", fetch_paused_ ? "paused" : "resumed");
}

void CourtSource::Run() {
  batch_started_ = Clock::now();
  while (!stop_.load()) {
    ApplyPause();
    int timeout_ms = 100;
    if (batch_inputs_ > 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          batch_started_ + config_.batch_max_wait - Clock::now());
      timeout_ms = static_cast<int>(std::clamp<int64_t>(left.count(), 0, 100));
    }
    std::optional<kafka::ConsumedMessage> m =
        consumer_->Poll(std::chrono::milliseconds(timeout_ms));
    if (m) {
      switch (m->error) {
        case kafka::ConsumedMessage::Error::kNone:
          Handle(*m);
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
    if (batch_inputs_ >= config_.batch_max_records ||
        (batch_inputs_ > 0 && Clock::now() >= batch_started_ + config_.batch_max_wait)) {
      if (!Flush()) break;
    }
  }
  Flush();
  consumer_->Close();
  Log()->info("court source stopped committed_inputs={}", committed_inputs_.load());
}

void CourtSource::Handle(const kafka::ConsumedMessage& m) {
  if (batch_inputs_ == 0) batch_started_ = Clock::now();
  if (m.topic == config_.input_topic) {
    HandleChange(m);
  } else if (m.topic == kafka_.topic_resync) {
    HandleResendRequest(m);
  }
  next_offsets_[{model::Topic(m.topic), model::Partition(m.partition)}] =
      model::Offset(m.offset + 1);
  ++batch_inputs_;
}

void CourtSource::HandleChange(const kafka::ConsumedMessage& m) {
  std::optional<std::string> value;
  // Debezium writes a null value (a tombstone) after each delete, for log compaction.
  if (!m.value.empty()) value.emplace(m.value);
  Translation t = translator_->FromChangeEvent(value, absl::Now());
  if (std::holds_alternative<Skipped>(t)) {
    metrics_->Event("tombstone", "skipped");
    return;
  }
  if (auto* rejected = std::get_if<Rejected>(&t)) {
    metrics_->Event(rejected->op.empty() ? "unknown" : rejected->op, "dead_lettered");
    EmitDeadLetter(m, *rejected);
    return;
  }
  Produced& p = std::get<Produced>(t);
  metrics_->Event(p.op, "produced");
  metrics_->LastChange(static_cast<double>(p.envelope.received_at().seconds()));
  Output out;
  out.message = {kafka_.topic_divorces, p.envelope.business_key(), p.envelope.SerializeAsString(),
                 records::HeadersOf(p.envelope)};
  out.decision_state = std::string(DecisionStateName(p.state));
  if (p.became_effective) {
    const auto& d = p.envelope.divorce_decision().legal_effect_date();
    out.effective_since = absl::FromCivil(absl::CivilDay(d.year(), d.month(), d.day()),
                                          absl::FixedTimeZone(kCourtUtcOffsetMinutes * 60));
  }
  Log()->debug("change key={} op={} position={} state={}", p.envelope.business_key(), p.op,
               p.envelope.source_sequence(), out.decision_state);
  Emit(std::move(out));
}

void CourtSource::EmitDeadLetter(const kafka::ConsumedMessage& m, const Rejected& rejected) {
  metrics_->DeadLetter(rejected.error_class);
  Log()->warn("dead letter topic={} partition={} offset={} class={} error={}", m.topic,
              m.partition, m.offset, rejected.error_class, rejected.error_message);
  Output out;
  out.message.topic = kafka_.topic_dead_letters;
  out.message.key = m.key;
  out.message.value = m.value;
  out.message.headers = m.headers;
  if (!rejected.source.empty()) out.message.headers.emplace_back("crvs-source", rejected.source);
  out.message.headers.emplace_back("crvs-dlq-error-class", rejected.error_class);
  // The value (the court's raw change event, personal IDs included) is sealed by the producer
  // like every dead letter; headers are not sealed, so the message is masked.
  out.message.headers.emplace_back("crvs-dlq-error-message",
                                   logging::MaskPersonalIds(rejected.error_message));
  out.message.headers.emplace_back("crvs-dlq-original-topic", m.topic);
  out.message.headers.emplace_back("crvs-dlq-original-partition", std::to_string(m.partition));
  out.message.headers.emplace_back("crvs-dlq-original-offset", std::to_string(m.offset));
  out.message.headers.emplace_back(
      "crvs-dlq-failed-at",
      records::FormatTimestamp(google::protobuf::util::TimeUtil::GetCurrentTime()));
  Emit(std::move(out));
}

void CourtSource::HandleResendRequest(const kafka::ConsumedMessage& m) {
  const std::string& principal = m.key;
  if (!absl::StartsWith(principal, kCourtPrincipalPrefix) || HasHeader(m, kResendAckHeader)) {
    return;  // addressed to a facility, or an acknowledgement
  }
  const std::string court = principal.substr(sizeof kCourtPrincipalPrefix - 1);
  ingest::v1::ResendRequest request;
  auto unserved = [&](const std::string& reason, const std::string& detail) {
    metrics_->Resend("unserved", reason);
    Log()->warn(
        "resend request left for the court request_id={} court={} key={} reason={} detail={}",
        request.request_id(), court, request.business_key(), reason, detail);
  };
  if (!request.ParseFromString(m.value) || request.request_id().empty()) {
    return unserved("undecodable", "not a crvs.ingest.v1.ResendRequest");
  }
  std::string key_court, decision_no;
  if (request.kind() != v1::RECORD_KIND_DIVORCE_DECISION ||
      !ParseDivorceKey(request.business_key(), &key_court, &decision_no)) {
    return unserved("not_a_divorce_decision", "the court-source connector re-sends decisions");
  }
  if (key_court != court) {
    return unserved("other_court", "the key names court " + key_court);
  }
  if (export_ == nullptr) {
    return unserved("no_resend_source", "court_source.resend_source_file is not set");
  }
  auto row = export_->Find(court, decision_no);
  if (!row.ok()) {
    return unserved(row.status().code() == absl::StatusCode::kNotFound ? "not_in_export"
                                                                        : "export_unreadable",
                    std::string(row.status().message()));
  }
  Translation t = translator_->FromExportRow(row->columns, row->position, row->committed_at,
                                             absl::Now());
  if (auto* rejected = std::get_if<Rejected>(&t)) {
    return unserved("invalid_row", rejected->error_class + ": " + rejected->error_message);
  }
  Produced& p = std::get<Produced>(t);
  if (p.envelope.business_key() != request.business_key()) {
    return unserved("invalid_row", "the export row maps to " + p.envelope.business_key());
  }
  Output record;
  record.message = {kafka_.topic_divorces, p.envelope.business_key(),
                    p.envelope.SerializeAsString(), records::HeadersOf(p.envelope)};
  record.decision_state = std::string(DecisionStateName(p.state));
  Emit(std::move(record));
  // Acknowledged once served, so no gateway offers the request to the court any more.
  Output ack;
  ack.message = {kafka_.topic_resync, principal, request.request_id(), {{kResendAckHeader, "1"}}};
  Emit(std::move(ack));
  metrics_->Resend("served", "");
  Log()->info("resend request served request_id={} key={} position={}", request.request_id(),
              request.business_key(), row->position);
}

void CourtSource::Emit(Output output) {
  outputs_.push_back(std::move(output));
  {
    platform::MutexLock lock(&tracker_->mu);
    tracker_->states.push_back(Tracker::kInFlight);
  }
  Produce(outputs_.size() - 1);
}

void CourtSource::Produce(size_t index) {
  std::shared_ptr<Tracker> tracker = tracker_;
  std::shared_ptr<CourtSourceMetrics> metrics = metrics_;
  {
    platform::MutexLock lock(&tracker->mu);
    tracker->states[index] = Tracker::kInFlight;
    ++tracker->in_flight;
  }
  const Output& output = outputs_[index];
  auto done = [tracker, metrics, index, state = output.decision_state,
               since = output.effective_since](const kafka::Delivery& d) {
    if (d.status.ok()) {
      if (!state.empty()) metrics->Decision(state);
      if (since) metrics->EffectiveToRecorded(absl::ToDoubleSeconds(absl::Now() - *since));
    } else {
      Log()->warn("output not delivered topic={} error={}", d.topic, std::string(d.status.message()));
    }
    platform::MutexLock lock(&tracker->mu);
    tracker->states[index] = d.status.ok() ? Tracker::kDelivered : Tracker::kFailed;
    --tracker->in_flight;
    tracker->cv.SignalAll();
  };
  absl::Status st;
  while (true) {
    st = deps_.producer->Produce(output.message, done);
    // A full local queue drains as deliveries complete: wait for room rather than fail.
    if (st.code() != absl::StatusCode::kResourceExhausted || stop_.load()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!st.ok()) {
    Log()->warn("output not enqueued topic={} error={}", output.message.topic,
                std::string(st.message()));
    platform::MutexLock lock(&tracker->mu);
    tracker->states[index] = Tracker::kFailed;
    --tracker->in_flight;
  }
}

bool CourtSource::Flush() {
  if (batch_inputs_ == 0 && outputs_.empty()) return true;
  Backoff backoff(config_.retry_initial_backoff, config_.retry_max_backoff);
  while (true) {
    std::vector<size_t> failed;
    {
      platform::MutexLock lock(&tracker_->mu);
      // Every output gets an outcome within the producer's delivery timeout.
      while (tracker_->in_flight != 0) tracker_->cv.Wait(&tracker_->mu);
      for (size_t i = 0; i < tracker_->states.size(); ++i) {
        if (tracker_->states[i] == Tracker::kFailed) failed.push_back(i);
      }
    }
    if (failed.empty()) break;
    consecutive_failures_.fetch_add(1);
    Log()->error("outputs not delivered count={} attempt={}; producing them again", failed.size(),
                 consecutive_failures_.load());
    if (stop_.load()) {
      // Nothing committed: the inputs are read again by the next owner of their partitions.
      outputs_.clear();
      tracker_ = std::make_shared<Tracker>();
      next_offsets_.clear();
      batch_inputs_ = 0;
      return false;
    }
    backoff.Sleep(stop_);
    for (size_t i : failed) {
      metrics_->DeliveryRetry();
      Produce(i);
    }
  }
  consecutive_failures_.store(0);

  absl::Status committed = consumer_->Commit(next_offsets_, /*async=*/false);
  if (!committed.ok()) {
    // The outputs are delivered; re-reading these inputs later only yields duplicates.
    Log()->warn("offset commit failed inputs={} error={}", batch_inputs_,
                std::string(committed.message()));
  }
  committed_inputs_.fetch_add(batch_inputs_);
  outputs_.clear();
  tracker_ = std::make_shared<Tracker>();
  next_offsets_.clear();
  batch_inputs_ = 0;
  return true;
}

void CourtSource::OnRevoked(const std::vector<model::TopicPartition>& partitions) {
  // Confirm and commit what we handled while we still own it; the next owner starts after.
  Flush();
  consumer_->Unassign().IgnoreError();
  Log()->info("partitions revoked count={}", partitions.size());
}

void CourtSource::OnAssigned(const std::vector<model::TopicPartition>& partitions) {
  Backoff backoff(config_.retry_initial_backoff, config_.retry_max_backoff);
  kafka::NextOffsets committed;
  while (true) {
    auto read = consumer_->Committed(partitions, kCommittedTimeout);
    if (read.ok()) {
      committed = std::move(*read);
      break;
    }
    Log()->error("cannot read committed offsets error={}", std::string(read.status().message()));
    if (stop_.load()) return;
    backoff.Sleep(stop_);
  }
  kafka::StartOffsets starts;
  for (const model::TopicPartition& tp : partitions) {
    auto it = committed.find(tp);
    if (it == committed.end()) {
      starts[tp] = kafka::kLogStart;  // a new group reads the stream from its start
      continue;
    }
    model::Offset start = it->second;
    auto bounds = consumer_->QueryWatermarks(tp, kKafkaTimeout);
    if (bounds.ok() && start < bounds->low) {
      metrics_->BehindLogStart(tp.topic.value(), tp.partition.value(),
                               static_cast<double>(bounds->low.value() - start.value()));
      Log()->error(
          "ALARM changes expired unread topic={} partition={} lost_offsets=[{},{}): the court "
          "must re-snapshot the decision table (or reconciliation request re-sends)",
          tp.topic.value(), tp.partition.value(), start.value(), bounds->low.value());
      start = bounds->low;
    }
    starts[tp] = start;
  }
  consumer_->Assign(starts).IgnoreError();
  if (fetch_paused_) consumer_->Pause(partitions).IgnoreError();
  Log()->info("partitions assigned count={}", partitions.size());
}

void CourtSource::HandleOffsetOutOfRange(const std::string& topic, int32_t partition) {
  if (topic.empty()) return;
  Flush();  // everything handled before the gap is confirmed and committed first
  const model::TopicPartition tp{model::Topic(topic), model::Partition(partition)};
  auto bounds = consumer_->QueryWatermarks(tp, kKafkaTimeout);
  if (!bounds.ok()) {
    Log()->error("offset out of range topic={} partition={}: cannot read the log start", topic,
                 partition);
    return;
  }
  // In the log: -1 when the committed offset could not be read, -1001 (librdkafka's "invalid
  // offset") when the group never committed one.
  constexpr int64_t kNeverCommitted = -1001;
  int64_t committed = -1;
  if (auto c = consumer_->Committed({tp}, kKafkaTimeout); c.ok()) {
    auto it = c->find(tp);
    committed = it != c->end() ? it->second.value() : kNeverCommitted;
  }
  const int64_t low = bounds->low.value();
  double lost = committed >= 0 && committed < low ? static_cast<double>(low - committed) : 0;
  metrics_->BehindLogStart(topic, partition, lost);
  Log()->error(
      "ALARM position out of range topic={} partition={} committed={} log_start={}: resuming at "
      "the log start; the court must re-snapshot the decision table",
      topic, partition, committed, low);
  absl::Status st = consumer_->Seek(tp, bounds->low, kKafkaTimeout);
  if (!st.ok()) {
    Log()->error("seek failed topic={} partition={} error={}", topic, partition,
                 std::string(st.message()));
  }
}

}  // namespace crvs::court_source
