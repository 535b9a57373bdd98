#include "services/console/json_views.h"

#include "services/platform/text.h"

#include <absl/strings/escaping.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <cctype>
#include <cmath>
#include <map>
#include <optional>

#include "crvs/records/v1/envelope.pb.h"
#include "services/crypto/payload_cipher.h"
#include "services/platform/status.h"
#include "services/records/records.h"

namespace crvs::console {
namespace {

using nlohmann::json;

std::string EnumSuffix(const std::string& name, std::string_view prefix) {
  std::string out = name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name;
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

json Time(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return nullptr;
  return google::protobuf::util::TimeUtil::ToString(t);
}

json Time(absl::Time t) {
  if (t == absl::InfinitePast() || t == absl::UnixEpoch()) return nullptr;
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

json Seconds(const google::protobuf::Duration& d) {
  return static_cast<double>(d.seconds()) + d.nanos() / 1e9;
}

json Principal(bool present, const common::v1::Principal& p) {
  if (!present) return nullptr;
  return records::FormatPrincipal(p);
}

std::string Kind(records::v1::RecordKind kind) {
  return kind == records::v1::RECORD_KIND_UNSPECIFIED ? "" : records::KindLabel(kind);
}

// Puts `bytes` under `name` when it is UTF-8 text, else under `name`_base64.
void PutBytes(json& out, const std::string& name, const std::string& bytes) {
  if (text::IsUtf8(bytes)) {
    out[name] = bytes;
    out[name + "_base64"] = nullptr;
  } else {
    out[name] = nullptr;
    out[name + "_base64"] = absl::Base64Escape(bytes);
  }
}

json Latency(const LatencyFigures& l) {
  return {{"p50_seconds", Number(l.p50_seconds)},
          {"p99_seconds", Number(l.p99_seconds)},
          {"observations", l.observations}};
}

json CoverageRowJson(const reconcile::v1::CoverageRow& r) {
  return {{"source", Principal(r.has_source(), r.source())},
          {"kind", Kind(r.kind())},
          {"declared", r.declared()},
          {"present", r.present()},
          {"present_on_time", r.present_on_time()},
          {"content_mismatch", r.content_mismatch()},
          {"missing", r.missing()},
          {"extra", r.extra()},
          {"coverage_percent", r.coverage_percent()},
          {"on_time_percent", r.on_time_percent()}};
}

}  // namespace

json Number(const std::optional<double>& v) {
  if (!v || !std::isfinite(*v)) return nullptr;
  return *v;
}

int HttpStatusFor(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kAlreadyExists:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return 503;
    default:
      return 500;
  }
}

json ErrorJson(const absl::Status& status) {
  json fields = json::array();
  for (const FieldViolation& v : FieldViolations(status)) {
    fields.push_back({{"field", v.field}, {"description", v.description}});
  }
  std::string code = absl::StatusCodeToString(status.code());
  for (char& c : code)
    c = c == ' ' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return {{"error", std::string(status.message())}, {"code", code}, {"fields", fields}};
}

std::string DeadLetterStateName(admin::v1::DeadLetterState state) {
  return EnumSuffix(admin::v1::DeadLetterState_Name(state), "DEAD_LETTER_STATE_");
}

std::string ConnectorStateName(admin::v1::ConnectorState state) {
  return EnumSuffix(admin::v1::ConnectorState_Name(state), "CONNECTOR_STATE_");
}

// Personal data is masked in what the console shows (issue 17): a personal ID keeps its first
// three digits (the province of its birth registration) and its last two; a name keeps the
// first letter of each word.
std::string MaskPersonalId(const std::string& id) {
  if (id.size() < 6) return std::string(id.size(), '*');
  return id.substr(0, 3) + std::string(id.size() - 5, '*') + id.substr(id.size() - 2);
}

std::string MaskName(const std::string& name) {
  std::string out;
  size_t i = 0;
  while (i < name.size()) {
    while (i < name.size() && name[i] == ' ') ++i;
    if (i >= name.size()) break;
    size_t end = i + 1;  // the word's first UTF-8 character
    while (end < name.size() && (static_cast<unsigned char>(name[end]) & 0xC0) == 0x80) ++end;
    if (!out.empty()) out += ' ';
    out += name.substr(i, end - i) + ".";
    while (end < name.size() && name[end] != ' ') ++end;
    i = end;
  }
  return out;
}

void MaskPersonalData(json& j, const std::string& parent_key) {
  if (j.is_array()) {
    for (json& item : j) MaskPersonalData(item, parent_key);
    return;
  }
  if (!j.is_object()) return;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.value().is_string() && it.key() == "number" && parent_key == "personal_id") {
      it.value() = MaskPersonalId(it.value().get<std::string>());
    } else if (it.value().is_string() && it.key() == "full_name") {
      it.value() = MaskName(it.value().get<std::string>());
    } else {
      MaskPersonalData(it.value(), it.key());
    }
  }
}

json DeadLetterSummaryJson(const admin::v1::DeadLetter& d) {
  return {{"id", d.id()},
          {"original_topic", d.original_topic()},
          {"partition", d.partition()},
          {"offset", d.offset()},
          {"error_class", d.error_class()},
          {"error_message", d.error_message()},
          {"failed_at", Time(d.failed_at())},
          {"state", DeadLetterStateName(d.state())},
          {"business_key", d.business_key()},
          {"attempts", d.attempts()},
          {"resolved_at", Time(d.resolved_at())},
          {"resolved_by", d.resolved_by()},
          {"resolution_note", d.resolution_note()}};
}

json DeadLetterDetailJson(const admin::v1::DeadLetter& d, bool masked) {
  json out = DeadLetterSummaryJson(d);
  PutBytes(out, "key", d.key());
  json headers = json::array();
  for (const auto& h : d.headers()) {
    json header = {{"key", h.key()}};
    PutBytes(header, "value", h.value());
    headers.push_back(std::move(header));
  }
  out["headers"] = std::move(headers);
  out["payload_size"] = d.payload().size();
  // The raw bytes are not shown: what is not a readable envelope cannot be masked.
  out["masked"] = masked;

  // Protobuf parsing is lenient (almost any bytes parse as *some* message), so only a payload
  // that parses with no unknown field and carries a record counts as an envelope.
  records::v1::RecordEnvelope envelope;
  std::string why;
  out["sealed_key_id"] = nullptr;
  if (auto sealed = crypto::ParseSealed(d.payload())) {
    // Kept sealed by the sink because it could not open it (DECRYPT): only the key opens it.
    out["sealed_key_id"] = std::string(sealed->key_id);
    why = "the payload is sealed with key id '" + std::string(sealed->key_id) +
          "', which the sink could not open: put that key back in crypto.keyring_file, then "
          "replay";
  } else if (!envelope.ParseFromString(d.payload())) {
    why = "the payload is not a serialized RecordEnvelope";
  } else if (!envelope.GetReflection()->GetUnknownFields(envelope).empty()) {
    why = "the payload has fields a RecordEnvelope does not have";
  } else if (envelope.record_case() == records::v1::RecordEnvelope::RECORD_NOT_SET) {
    why = "the payload carries no record";
  }
  out["envelope"] = nullptr;
  out["envelope_error"] = nullptr;
  if (why.empty()) {
    std::string text;
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    auto st = google::protobuf::util::MessageToJsonString(envelope, &text, options);
    if (st.ok()) {
      json decoded = json::parse(text, nullptr, /*allow_exceptions=*/false);
      if (masked) MaskPersonalData(decoded, "");
      out["envelope"] = std::move(decoded);
    } else {
      why = "the envelope cannot be written as JSON: " + std::string(st.message());
    }
  }
  if (!why.empty()) out["envelope_error"] = why;
  return out;
}

json ConnectorJson(const admin::v1::ConnectorStatus& c) {
  return {{"name", c.name()},
          {"state", ConnectorStateName(c.state())},
          {"last_error", c.last_error()},
          {"since", Time(c.since())}};
}

json StatusJson(const Figures& f, const admin::v1::PipelineStatus* pipeline,
                const absl::Status& admin_error) {
  // Admin rows by (topic, partition); a partition several consumer groups read keeps the row
  // of a record topic (kind set), else the first.
  std::map<std::pair<std::string, int>, const admin::v1::PartitionStatus*> admin_rows;
  if (pipeline != nullptr) {
    for (const auto& p : pipeline->partitions()) {
      auto& slot = admin_rows[{p.topic(), p.partition()}];
      if (slot == nullptr || (slot->kind() == records::v1::RECORD_KIND_UNSPECIFIED &&
                              p.kind() != records::v1::RECORD_KIND_UNSPECIFIED)) {
        slot = &p;
      }
    }
  }
  std::map<std::pair<std::string, int>, const PartitionLag*> metric_rows;
  for (const PartitionLag& lag : f.partitions) metric_rows[{lag.topic, lag.partition}] = &lag;
  std::map<std::pair<std::string, int>, bool> keys;
  for (const auto& [k, v] : admin_rows) keys[k] = true;
  for (const auto& [k, v] : metric_rows) keys[k] = true;

  // The Admin service's own view of the lag (high watermark - committed offset, age of the
  // oldest uncommitted message), read from the broker when polled: it keeps moving while the
  // sink is paused or stalled, when the sink's gauges (updated as it commits) stand still.
  double admin_total = 0;
  std::optional<double> admin_seconds_max;
  std::map<std::string, double> admin_by_kind;

  json partitions = json::array();
  for (const auto& [key, unused] : keys) {
    auto m = metric_rows.find(key);
    auto a = admin_rows.find(key);
    const PartitionLag* lag = m == metric_rows.end() ? nullptr : m->second;
    const admin::v1::PartitionStatus* st = a == admin_rows.end() ? nullptr : a->second;
    std::string kind = lag != nullptr ? lag->kind : "";
    if (kind.empty() && st != nullptr) kind = Kind(st->kind());
    json row = {{"topic", key.first},
                {"partition", key.second},
                {"kind", kind},
                {"lag_messages", lag ? json(lag->lag_messages) : json(nullptr)},
                {"lag_seconds", lag ? Number(lag->lag_seconds) : json(nullptr)}};
    row["consumer_group"] = st ? json(st->consumer_group()) : json(nullptr);
    row["committed_offset"] = st ? json(st->committed_offset()) : json(nullptr);
    row["high_watermark"] = st ? json(st->high_watermark()) : json(nullptr);
    row["log_start_offset"] = st ? json(st->log_start_offset()) : json(nullptr);
    row["paused"] = st ? json(st->paused()) : json(nullptr);
    row["behind_log_start"] = st ? json(st->behind_log_start()) : json(nullptr);
    row["admin_lag_messages"] = st ? json(st->lag_messages()) : json(nullptr);
    row["admin_lag_seconds"] = st ? json(st->lag_seconds()) : json(nullptr);
    if (st != nullptr) {
      admin_total += static_cast<double>(st->lag_messages());
      if (!admin_seconds_max || st->lag_seconds() > *admin_seconds_max) {
        admin_seconds_max = st->lag_seconds();
      }
      admin_by_kind[kind] += static_cast<double>(st->lag_messages());
    }
    partitions.push_back(std::move(row));
  }

  json kinds = json::array();
  for (const KindFigures& k : f.kinds) {
    kinds.push_back(
        {{"kind", k.kind},
         {"lag_messages", k.lag_messages},
         {"lag_seconds_max", Number(k.lag_seconds_max)},
         {"admin_lag_messages", pipeline != nullptr ? json(admin_by_kind[k.kind]) : json(nullptr)},
         {"committed_per_second", Number(k.committed_per_second)},
         {"accepted_per_second", Number(k.accepted_per_second)}});
  }
  json scrapes = json::array();
  for (const ScrapeResult& s : f.scrapes) {
    scrapes.push_back({{"url", s.url}, {"ok", s.ok}, {"error", s.error}});
  }
  json connectors = json::array();
  json behind = json::array();
  if (pipeline != nullptr) {
    for (const auto& c : pipeline->connectors()) connectors.push_back(ConnectorJson(c));
    for (const auto& p : pipeline->partitions()) {
      if (p.behind_log_start()) {
        behind.push_back({{"topic", p.topic()},
                          {"partition", p.partition()},
                          {"consumer_group", p.consumer_group()},
                          {"committed_offset", p.committed_offset()},
                          {"log_start_offset", p.log_start_offset()}});
      }
    }
  }
  json admin = {{"ok", pipeline != nullptr}};
  if (pipeline != nullptr) {
    admin["observed_at"] = Time(pipeline->observed_at());
    admin["error"] = nullptr;
  } else {
    admin["observed_at"] = nullptr;
    admin["error"] = ErrorJson(admin_error);
  }

  return {
      {"sampled_at", Time(f.sampled_at)},
      {"window_seconds", Number(f.window_seconds)},
      {"lag",
       {{"messages_total", f.lag_messages_total},
        {"seconds_max", Number(f.lag_seconds_max)},
        {"admin_messages_total", pipeline != nullptr ? json(admin_total) : json(nullptr)},
        {"admin_seconds_max", pipeline != nullptr ? Number(admin_seconds_max) : json(nullptr)}}},
      {"throughput",
       {{"committed_per_second", Number(f.committed_per_second)},
        {"accepted_per_second", Number(f.accepted_per_second)}}},
      {"latency",
       {{"gateway_submit_to_receipt", Latency(f.gateway_latency)},
        {"event_to_commit", Latency(f.commit_latency)}}},
      {"behind_log_start_events", f.behind_log_start_events},
      {"behind_log_start", behind},
      {"kinds", kinds},
      {"partitions", partitions},
      {"connectors", connectors},
      {"open_dead_letters",
       pipeline != nullptr ? json(pipeline->open_dead_letters()) : json(nullptr)},
      {"admin", admin},
      {"scrapes", scrapes}};
}

json HistoryJson(const std::vector<HistoryPoint>& points) {
  json out = json::array();
  for (const HistoryPoint& p : points) {
    out.push_back({{"at", Time(p.at)},
                   {"t", absl::ToUnixMillis(p.at) / 1000.0},
                   {"lag_messages_total", p.lag_messages_total},
                   {"lag_seconds_max", Number(p.lag_seconds_max)},
                   {"committed_per_second", Number(p.committed_per_second)},
                   {"accepted_per_second", Number(p.accepted_per_second)}});
  }
  return out;
}

json CoverageJson(const reconcile::v1::CoverageReport& report) {
  json rows = json::array();
  for (const auto& r : report.rows()) rows.push_back(CoverageRowJson(r));
  return {{"rows", rows},
          {"total", CoverageRowJson(report.total())},
          {"computed_at", Time(report.computed_at())}};
}

json IndicatorsJson(const reconcile::v1::IndicatorReport& report) {
  json values = json::array();
  for (const auto& v : report.values()) {
    values.push_back({{"id", v.id()},
                      {"area", v.area()},
                      {"breakdown_key", v.breakdown_key()},
                      {"numerator", v.numerator()},
                      {"denominator", v.denominator()},
                      {"open_not_mature", v.open_not_mature()},
                      {"percent", v.has_percent() ? json(v.percent()) : json(nullptr)},
                      {"target_2028", v.has_target_2028() ? json(v.target_2028()) : json(nullptr)},
                      {"target_2030", v.has_target_2030() ? json(v.target_2030()) : json(nullptr)},
                      {"met_2028", v.has_met_2028() ? json(v.met_2028()) : json(nullptr)},
                      {"met_2030", v.has_met_2030() ? json(v.met_2030()) : json(nullptr)},
                      {"definition", v.definition()}});
  }
  char as_of[16];
  std::snprintf(as_of, sizeof as_of, "%04d-%02d-%02d", report.as_of().year(),
                report.as_of().month(), report.as_of().day());
  return {{"period", report.period()},
          {"as_of", report.has_as_of() ? json(as_of) : json(nullptr)},
          {"values", values},
          {"computed_at", Time(report.computed_at())}};
}

json SilentSourcesJson(const reconcile::v1::ListSilentSourcesResponse& response) {
  json sources = json::array();
  for (const auto& s : response.silent_sources()) {
    sources.push_back({{"source", Principal(s.has_source(), s.source())},
                       {"last_seen", Time(s.last_seen())},
                       {"usual_cadence_seconds", Seconds(s.usual_cadence())},
                       {"quiet_for_seconds", Seconds(s.quiet_for())}});
  }
  return {{"silent_sources", sources}, {"next_page_token", response.next_page_token()}};
}

json FeedStatusJson(const feeds::FeedStatus& f) {
  auto text_or_null = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
  return json{{"name", f.name},
              {"description", f.description},
              {"events", f.events},
              {"delivery", f.delivery},
              {"revoked", f.revoked},
              {"acknowledged", feeds::FormatPosition(f.cursor.acknowledged)},
              {"acknowledged_at", Time(f.cursor.acknowledged_at)},
              {"delivered_seq", f.cursor.delivered_seq},
              {"delivered_at", Time(f.cursor.delivered_at)},
              {"feed_end_seq", f.feed_end_seq},
              {"lag_transactions", f.lag_transactions},
              {"paused", f.cursor.paused},
              {"paused_by", text_or_null(f.cursor.paused_by)},
              {"last_error", text_or_null(f.last_error)}};
}

json OffsetAlarmJson(const admin::v1::OffsetAlarm& a) {
  return json{{"alarm_id", a.alarm_id()},
              {"kind", EnumSuffix(admin::v1::OffsetAlarm::Kind_Name(a.kind()), "")},
              {"consumer_group", a.consumer_group()},
              {"topic", a.topic()},
              {"partition", a.partition()},
              {"from_offset", a.from_offset()},
              {"to_offset", a.to_offset()},
              {"log_end", a.log_end()},
              {"reason", a.reason()},
              {"detected_at", Time(a.detected_at())},
              {"acknowledged_at", Time(a.acknowledged_at())},
              {"acknowledged_by", a.acknowledged_by()},
              {"acknowledgement_note", a.acknowledgement_note()}};
}

}  // namespace crvs::console
