// How the console's JSON API (/api/...) spells its answers: the computed Figures, the Admin
// and Reconciliation messages reshaped for a browser (snake_case keys, enum values lower-case
// without their prefix, timestamps RFC 3339 UTC, absent values as null), and errors.
//
// Thread-safety: pure functions.
#pragma once

#include <absl/status/status.h>

#include <nlohmann/json.hpp>
#include <string>

#include "crvs/admin/v1/admin.pb.h"
#include "crvs/reconcile/v1/reconciliation.pb.h"
#include "services/console/figures.h"
#include "services/console/history.h"
#include "services/feeds/feed_service.h"

namespace crvs::console {

// The HTTP status an API error answers with: INVALID_ARGUMENT/OUT_OF_RANGE 400,
// UNAUTHENTICATED 401, PERMISSION_DENIED 403, NOT_FOUND 404, FAILED_PRECONDITION/ABORTED/
// ALREADY_EXISTS 409, RESOURCE_EXHAUSTED 429, UNIMPLEMENTED 501, UNAVAILABLE/DEADLINE_EXCEEDED
// 503, anything else 500.
int HttpStatusFor(absl::StatusCode code);

// {"error": message, "code": "INVALID_ARGUMENT", "fields": [{"field", "description"}]}.
nlohmann::json ErrorJson(const absl::Status& status);

// "open", "replayed", ... (the enum value name, lower-case, without its prefix).
std::string DeadLetterStateName(admin::v1::DeadLetterState state);
std::string ConnectorStateName(admin::v1::ConnectorState state);

// A dead letter in a listing (no key, payload or headers).
nlohmann::json DeadLetterSummaryJson(const admin::v1::DeadLetter& d);
// A dead letter with key, headers and payload; the payload decoded as a RecordEnvelope
// ("envelope", protobuf's JSON mapping) when it is one, else "envelope": null and
// "envelope_error" saying why; a payload still sealed (a DECRYPT dead letter) names its key in
// "sealed_key_id". Bytes that are not UTF-8 are given in base64 (`*_base64`). Personal data is
// masked ("masked": true): every personal_id.number and full_name of the envelope, and the raw
// payload bytes are not given (payload_size only). `masked` false (the audited full view of an
// operator who gave a reason) shows the envelope as it is ("masked": false); the raw bytes are
// still not given.
nlohmann::json DeadLetterDetailJson(const admin::v1::DeadLetter& d, bool masked = true);
// "079194001234" → "079*******34" (the province prefix and the last two digits).
std::string MaskPersonalId(const std::string& id);
// "Nguyễn Thị Lan" → "N. T. L." (each word's first letter).
std::string MaskName(const std::string& name);
nlohmann::json ConnectorJson(const admin::v1::ConnectorStatus& c);
// An offset alarm: {"alarm_id", "kind": "records_lost" | "log_reset", "consumer_group", "topic",
// "partition", "from_offset", "to_offset", "log_end", "reason", "detected_at",
// "acknowledged_at", "acknowledged_by", "acknowledgement_note"}.
nlohmann::json OffsetAlarmJson(const admin::v1::OffsetAlarm& a);

// A subscriber's data feed (GET /api/feeds): {"name", "description", "events", "delivery",
// "revoked", "acknowledged" ("<seq>.<ordinal>", feed_log.h), "acknowledged_at", "delivered_seq",
// "delivered_at", "feed_end_seq", "lag_transactions", "paused", "paused_by", "last_error"};
// times never reached, an empty paused_by and last_error are null.
nlohmann::json FeedStatusJson(const feeds::FeedStatus& f);

// The figures merged with the Admin service's pipeline status (null when it could not be
// had, `admin_error` then says why).
nlohmann::json StatusJson(const Figures& figures, const admin::v1::PipelineStatus* pipeline,
                          const absl::Status& admin_error);
nlohmann::json HistoryJson(const std::vector<HistoryPoint>& points);

nlohmann::json CoverageJson(const reconcile::v1::CoverageReport& report);
nlohmann::json IndicatorsJson(const reconcile::v1::IndicatorReport& report);
nlohmann::json SilentSourcesJson(const reconcile::v1::ListSilentSourcesResponse& response);

// An optional number as JSON (null when absent or not finite: JSON has no NaN/Inf).
nlohmann::json Number(const std::optional<double>& v);

}  // namespace crvs::console
