#include "connectors/court_source/debezium.h"

#include <cstdint>
#include <optional>

#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>

#include "services/platform/status.h"

namespace crvs::court_source {
namespace {

constexpr const char* kNotJson = "not JSON: ";

using Json = nlohmann::json;

// A non-negative integer field of `object`, or nullopt when absent or null.
absl::StatusOr<std::optional<uint64_t>> UnsignedField(const Json& object, const char* name,
                                                      const std::string& path) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return std::optional<uint64_t>();
  if (it->is_number_unsigned()) return std::optional<uint64_t>(it->get<uint64_t>());
  if (it->is_number_integer() && it->get<int64_t>() >= 0) {
    return std::optional<uint64_t>(static_cast<uint64_t>(it->get<int64_t>()));
  }
  return absl::InvalidArgumentError(absl::StrCat(path, " must be a non-negative integer"));
}

void CollectColumnTypes(const Json& schema, ChangeEvent* event) {
  auto fields = schema.find("fields");
  if (fields == schema.end() || !fields->is_array()) return;
  for (const Json& part : *fields) {
    if (!part.is_object()) continue;
    auto name = part.find("field");
    if (name == part.end() || !name->is_string()) continue;
    if (*name != "before" && *name != "after") continue;
    auto columns = part.find("fields");
    if (columns == part.end() || !columns->is_array()) continue;
    for (const Json& column : *columns) {
      if (!column.is_object()) continue;
      auto field = column.find("field");
      auto type = column.find("name");
      if (field == column.end() || !field->is_string()) continue;
      event->column_types[field->get<std::string>()] =
          type != column.end() && type->is_string() ? type->get<std::string>() : "";
    }
  }
}

}  // namespace

std::string_view PositionOriginName(PositionOrigin origin) {
  switch (origin) {
    case PositionOrigin::kLsn:
      return "lsn";
    case PositionOrigin::kBinlog:
      return "binlog";
    case PositionOrigin::kTsMs:
      return "ts_ms";
  }
  return "";
}

int64_t BinlogFileIndex(std::string_view file) {
  size_t dot = file.rfind('.');
  if (dot == std::string_view::npos || dot + 1 == file.size()) return -1;
  int64_t index = 0;
  for (char c : file.substr(dot + 1)) {
    if (c < '0' || c > '9' || index > (int64_t{1} << 30)) return -1;
    index = index * 10 + (c - '0');
  }
  return index;
}

bool ParseFailureIsDecode(const absl::Status& status) {
  return absl::StartsWith(status.message(), kNotJson);
}

namespace {

// The change event itself: `doc`, or its "payload" when `doc` is a schema envelope (whose
// column types go into *event).
absl::StatusOr<const Json*> Unwrap(const Json& doc, ChangeEvent* event) {
  auto wrapped = doc.find("payload");
  if (wrapped == doc.end() || !doc.contains("schema")) return &doc;
  if (wrapped->is_null()) return absl::NotFoundError("tombstone: the payload is null");
  if (!wrapped->is_object()) {
    return absl::InvalidArgumentError("payload must be an object (the change event)");
  }
  event->had_schema = true;
  const Json& schema = doc["schema"];
  if (schema.is_object()) CollectColumnTypes(schema, event);
  return &*wrapped;
}

// event->op: c, u, d or r (any other op is UNIMPLEMENTED).
absl::Status ReadOp(const Json& payload, ChangeEvent* event) {
  auto op = payload.find("op");
  if (op == payload.end() || !op->is_string()) {
    return absl::InvalidArgumentError("op is required (c, u, d or r)");
  }
  event->op = op->get<std::string>();
  if (event->op != "c" && event->op != "u" && event->op != "d" && event->op != "r") {
    return absl::UnimplementedError(absl::StrCat(
        "op \"", event->op.substr(0, 8), "\" is not a row change (only c, u, d and r are)"));
  }
  return absl::OkStatus();
}

// event->before and event->after, each an object or null, the row the op needs an object.
absl::Status ReadRows(const Json& payload, ChangeEvent* event) {
  for (const char* name : {"before", "after"}) {
    auto it = payload.find(name);
    Json row = it == payload.end() ? Json() : *it;
    if (!row.is_null() && !row.is_object()) {
      return absl::InvalidArgumentError(absl::StrCat(name, " must be an object or null"));
    }
    (std::string_view(name) == "before" ? event->before : event->after) = std::move(row);
  }
  if (event->op == "d" && !event->before.is_object()) {
    return absl::InvalidArgumentError("before is required for op d (the deleted row)");
  }
  if (event->op != "d" && !event->after.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat("after is required for op ", event->op));
  }
  return absl::OkStatus();
}

// The payload's "source" block, or an empty object when it has none.
absl::StatusOr<const Json*> SourceOf(const Json& payload) {
  static const Json kNoSource = Json::object();
  auto source = payload.find("source");
  if (source == payload.end() || source->is_null()) return &kNoSource;
  if (!source->is_object()) return absl::InvalidArgumentError("source must be an object");
  return &*source;
}

// The latest commit time a change may have, in Unix milliseconds: its microseconds (the
// position of a change without lsn or binlog position) fit in an int64_t.
constexpr uint64_t kMaxCommitMillis = static_cast<uint64_t>(INT64_MAX) / 1000;

// When the change was committed, in Unix milliseconds: source.ts_ms, else the payload's ts_ms;
// in (0, kMaxCommitMillis].
absl::StatusOr<uint64_t> CommitMillis(const Json& source, const Json& payload) {
  auto source_ts = UnsignedField(source, "ts_ms", "source.ts_ms");
  if (!source_ts.ok()) return source_ts.status();
  auto ts = UnsignedField(payload, "ts_ms", "ts_ms");
  if (!ts.ok()) return ts.status();
  const bool from_source = source_ts->has_value();
  std::optional<uint64_t> commit_ms = from_source ? *source_ts : *ts;
  if (!commit_ms.has_value() || *commit_ms == 0) {
    return absl::InvalidArgumentError("source.ts_ms (or ts_ms) is required");
  }
  if (*commit_ms > kMaxCommitMillis) {
    // Beyond it commit_ms * 1000 (the ts_ms position) leaves int64_t or wraps around (to 0, or
    // to a wrong position), and the commit time is no time at all.
    return absl::InvalidArgumentError(absl::StrCat(
        from_source ? "source.ts_ms" : "ts_ms", " must be below 2^63 / 1000 (Unix milliseconds)"));
  }
  return *commit_ms;
}

// event->position and its origin: source.lsn, else source.file/pos, else the commit time.
absl::Status ReadPosition(const Json& source, uint64_t commit_ms, ChangeEvent* event) {
  auto lsn = UnsignedField(source, "lsn", "source.lsn");
  if (!lsn.ok()) return lsn.status();
  auto pos = UnsignedField(source, "pos", "source.pos");
  if (!pos.ok()) return pos.status();
  auto file = source.find("file");
  if (lsn->has_value() && **lsn > 0) {
    event->position = **lsn;
    event->position_origin = PositionOrigin::kLsn;
  } else if (file != source.end() && file->is_string() && pos->has_value()) {
    int64_t index = BinlogFileIndex(file->get<std::string>());
    if (index < 0) {
      return absl::InvalidArgumentError("source.file must end in a numeric extension "
                                        "(mysql-bin.000003)");
    }
    if (**pos >= (uint64_t{1} << 32)) {
      return absl::InvalidArgumentError("source.pos must be below 2^32");
    }
    event->position = (static_cast<uint64_t>(index) << 32) | **pos;
    event->position_origin = PositionOrigin::kBinlog;
  } else {
    event->position = commit_ms * 1000;
    event->position_origin = PositionOrigin::kTsMs;
  }
  if (event->position == 0) {
    return absl::InvalidArgumentError("the change's position (source.lsn, source.file/pos) is 0");
  }
  if (event->position > static_cast<uint64_t>(INT64_MAX)) {
    return absl::InvalidArgumentError("the change's position is above 2^63 - 1");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ChangeEvent> ParseChangeEvent(std::string_view value) {
  Json doc = Json::parse(value.begin(), value.end(), /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    // nlohmann's own message would quote the bytes; keep personal data out of errors.
    return absl::InvalidArgumentError(
        absl::StrCat(kNotJson, "the message value (", value.size(), " bytes) does not parse"));
  }
  if (!doc.is_object()) {
    return absl::InvalidArgumentError("the change event must be a JSON object");
  }
  ChangeEvent event;
  CRVS_ASSIGN_OR_RETURN(const Json* payload, Unwrap(doc, &event));
  CRVS_RETURN_IF_ERROR(ReadOp(*payload, &event));
  CRVS_RETURN_IF_ERROR(ReadRows(*payload, &event));
  CRVS_ASSIGN_OR_RETURN(const Json* source, SourceOf(*payload));
  CRVS_ASSIGN_OR_RETURN(const uint64_t commit_ms, CommitMillis(*source, *payload));
  event.committed_at = absl::FromUnixMillis(static_cast<int64_t>(commit_ms));
  CRVS_RETURN_IF_ERROR(ReadPosition(*source, commit_ms, &event));
  return event;
}

}  // namespace crvs::court_source
