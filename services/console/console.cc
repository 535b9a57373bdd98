#include "services/console/console.h"

#include "services/platform/http_listen.h"

#include <absl/strings/ascii.h>
#include <absl/strings/numbers.h>
#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/strings/str_split.h>
#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <prometheus/counter.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <regex>

#include "crvs/admin/v1/admin.grpc.pb.h"
#include "crvs/reconcile/v1/reconciliation.grpc.pb.h"
#include "services/auth/caller.h"
#include "services/console/embedded_assets.h"
#include "services/console/json_views.h"
#include "services/console/request_guard.h"
#include "services/console/sessions.h"
#include "services/feeds/feed_service.h"
#include "services/feeds/subscribers.h"
#include "services/operators/acting.h"
#include "services/platform/grpc_client.h"
#include "services/platform/logging.h"
#include "services/platform/metrics_server.h"
#include "services/platform/mutex.h"
#include "services/platform/status.h"
#include "services/records/records.h"
#include "services/platform/text.h"
#include "services/validation/reference_data.h"

namespace crvs::console {

using nlohmann::json;

namespace {

std::shared_ptr<spdlog::logger> Log() { return logging::Get("console"); }

absl::Duration ToAbsl(config::Duration d) { return absl::Milliseconds(d.count()); }

// Prefixes the message of `status` with where it came from, keeping its payloads (field
// violations travel as payloads).
absl::Status Annotate(const absl::Status& status, const std::string& where) {
  absl::Status out(status.code(), absl::StrCat(where, ": ", status.message()));
  status.ForEachPayload(
      [&out](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}

// The route label of crvs_console_http_requests_total: the path with ids and names replaced,
// so the label's values stay few.
std::string RouteOf(const std::string& path) {
  static const std::regex dead_letter(R"(^/api/dead-letters/[^/]+(/(replay|discard|reveal))?$)");
  static const std::regex connector(R"(^/api/connectors/[^/]+/(pause|resume)$)");
  static const std::regex feed(R"(^/api/feeds/[^/]+/(pause|resume)$)");
  std::smatch m;
  if (std::regex_match(path, m, dead_letter)) {
    return m[2].matched ? "/api/dead-letters/{id}/" + m[2].str() : "/api/dead-letters/{id}";
  }
  if (std::regex_match(path, m, connector)) return "/api/connectors/{name}/" + m[1].str();
  if (std::regex_match(path, m, feed)) return "/api/feeds/{name}/" + m[1].str();
  for (const char* known :
       {"/", "/index.html", "/console.css", "/console.js", "/healthz", "/readyz", "/metrics",
        "/api/status", "/api/history", "/api/dead-letters", "/api/coverage", "/api/indicators",
        "/api/silent-sources", "/api/alarms", "/api/alarms/acknowledge", "/api/session",
        "/api/session/logout", "/api/feeds", "/i18n/vi.json", "/i18n/en.json"}) {
    if (path == known) return path;
  }
  return "other";
}

// The local date in Vietnam (UTC+07:00), which periods are counted in.
absl::CivilDay VietnamToday(absl::Time now) {
  return absl::ToCivilDay(now, absl::FixedTimeZone(7 * 3600));
}

common::v1::LocalDate ToLocalDate(absl::CivilDay day) {
  common::v1::LocalDate d;
  d.set_year(static_cast<int32_t>(day.year()));
  d.set_month(day.month());
  d.set_day(day.day());
  return d;
}

std::string FormatDay(absl::CivilDay day) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", static_cast<int>(day.year()), day.month(),
                day.day());
  return buf;
}

struct Period {
  std::string text;
  absl::CivilDay start, end;
};

// "2026" or "2026-05" (local dates, inclusive bounds).
absl::StatusOr<Period> ParseCoveragePeriod(const std::string& text) {
  static const std::regex year(R"(^(\d{4})$)");
  static const std::regex month(R"(^(\d{4})-(\d{2})$)");
  std::smatch m;
  if (std::regex_match(text, m, year)) {
    int y = std::atoi(m[1].str().c_str());
    if (y >= 1) return Period{text, absl::CivilDay(y, 1, 1), absl::CivilDay(y, 12, 31)};
  } else if (std::regex_match(text, m, month)) {
    int y = std::atoi(m[1].str().c_str());
    int mo = std::atoi(m[2].str().c_str());
    if (y >= 1 && mo >= 1 && mo <= 12) {
      absl::CivilMonth first(y, mo);
      return Period{text, absl::CivilDay(first), absl::CivilDay(first + 1) - 1};
    }
  }
  return InvalidArgument({{"period", "'" + text + "' is not a year (2026) or a month (2026-05)"}});
}

// The `province` query parameter: "" (the caller's whole scope) or a province code of the
// register since 2025-07-01. The Reconciliation service confines a provincial operator to its
// own province whatever is asked.
absl::StatusOr<std::string> ProvinceParam(const httplib::Request& req) {
  std::string code = req.get_param_value("province");
  if (code.empty() || validation::ReferenceData::Default().IsProvinceCode(code)) return code;
  return InvalidArgument({{"province", "'" + text::Printable(code) +
                                           "' is not a province code (2 digits, the register "
                                           "since 2025-07-01)"}});
}

// PERMISSION_DENIED unless the request carries the session's CSRF token (compared in constant
// time).
absl::Status CheckCsrf(const httplib::Request& req, const Session& session) {
  const std::string token = req.get_header_value(kCsrfHeader);
  if (token.size() == session.csrf_token.size() &&
      CRYPTO_memcmp(token.data(), session.csrf_token.data(), token.size()) == 0) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "missing or wrong ", kCsrfHeader,
      " header: reload the page (it comes with GET /api/session)"));
}

absl::StatusOr<int64_t> ParseId(const std::string& text) {
  int64_t id = 0;
  if (!absl::SimpleAtoi(text, &id) || id <= 0) {
    return InvalidArgument({{"id", "'" + text + "' is not a dead-letter id (an integer > 0)"}});
  }
  return id;
}

// The JSON object of a request body; an empty body is an empty object.
absl::StatusOr<json> BodyObject(const httplib::Request& req) {
  if (absl::StripAsciiWhitespace(req.body).empty()) return json::object();
  json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    return InvalidArgument({{"body", "is not a JSON object"}});
  }
  return body;
}

// The string member `name` of `body` ("" when absent); INVALID_ARGUMENT if not a string.
absl::StatusOr<std::string> StringMember(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::string();
  if (!it->is_string()) return InvalidArgument({{name, "must be a string"}});
  return it->get<std::string>();
}

// Renames the request fields the Admin service names in its field violations to the names
// of the console's JSON bodies.
absl::Status RenameFields(const absl::Status& status,
                          const std::map<std::string, std::string>& names) {
  std::vector<FieldViolation> violations = FieldViolations(status);
  if (violations.empty()) return status;
  for (FieldViolation& v : violations) {
    auto it = names.find(v.field);
    if (it != names.end()) v.field = it->second;
  }
  absl::Status out(status.code(), status.message());
  status.ForEachPayload(
      [&out](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  out.SetPayload(kBadRequestTypeUrl, *InvalidArgument(violations).GetPayload(kBadRequestTypeUrl));
  return out;
}

}  // namespace

// Everything the API handlers need; owned by Console.
struct Console::Impl {
  ConsoleConfig config;
  ConsoleDeps deps;
  std::unique_ptr<admin::v1::Admin::Stub> admin;
  std::unique_ptr<reconcile::v1::Reconciliation::Stub> reconcile;
  prometheus::Family<prometheus::Counter>* http_requests = nullptr;
  prometheus::Family<prometheus::Counter>* backend_calls = nullptr;

  absl::Time Now() const { return deps.clock ? deps.clock() : absl::Now(); }

  // One unary call with the configured deadline, acting for the signed-in operator `as`
  // (crvs-on-behalf-of; the console's own identity is its certificate, or console.operator in
  // plaintext mode), or as the console itself when `as` is null (the background poll).
  template <class Response, class Invoke>
  absl::StatusOr<Response> Call(const Session* as, const char* service, const char* method,
                                Invoke invoke) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::milliseconds(config.call_timeout.count()));
    context.AddMetadata(auth::kPrincipalMetadata, config.operator_principal);
    if (as != nullptr) context.AddMetadata(auth::kOnBehalfOfMetadata, as->principal());
    Response response;
    grpc::Status st = invoke(&context, &response);
    backend_calls
        ->Add({{"service", service},
               {"method", method},
               {"code", absl::StatusCodeToString(static_cast<absl::StatusCode>(st.error_code()))}})
        .Increment();
    if (!st.ok()) {
      const std::string& address =
          std::string(service) == "admin" ? config.admin_address : config.reconcile_address;
      return Annotate(FromGrpcStatus(st), absl::StrCat(service, " ", method, " (", address, ")"));
    }
    return response;
  }

  // The Admin service's pipeline status is polled in the background, once per
  // sample_interval, not per request: it is slow to compute (watermarks of every partition)
  // and every open page would multiply the calls.
  void PollPipeline() {
    admin::v1::GetPipelineStatusRequest request;
    auto pipeline = Call<admin::v1::PipelineStatus>(nullptr, "admin", "GetPipelineStatus", [&](grpc::ClientContext* c, admin::v1::PipelineStatus* r) {
          return admin->GetPipelineStatus(c, request, r);
        });
    platform::MutexLock lock(&pipeline_mu);
    pipeline_error = pipeline.status();
    if (pipeline.ok()) {
      latest_pipeline = std::make_shared<admin::v1::PipelineStatus>(std::move(*pipeline));
    } else {
      latest_pipeline.reset();  // stale figures would pass for current ones
      Log()->warn("admin GetPipelineStatus failed error={}", std::string(pipeline_error.message()));
    }
  }

  void PollLoop() {
    auto interval = std::chrono::milliseconds(config.sample_interval.count());
    platform::MutexLock lock(&poll_mu);
    while (!stopping) {
      poll_mu.Unlock();
      PollPipeline();
      poll_mu.Lock();
      const auto next = std::chrono::steady_clock::now() + interval;
      while (!stopping && poll_cv.WaitUntil(&poll_mu, next)) {
      }
    }
  }

  void StopPolling() {
    {
      platform::MutexLock lock(&poll_mu);
      stopping = true;
    }
    poll_cv.SignalAll();
    if (poll_thread.joinable()) poll_thread.join();
  }

  // A connector whose state an operator just changed shows its new state at once.
  void UpdateConnector(const admin::v1::ConnectorStatus& status) {
    platform::MutexLock lock(&pipeline_mu);
    if (!latest_pipeline) return;
    auto copy = std::make_shared<admin::v1::PipelineStatus>(*latest_pipeline);
    for (auto& c : *copy->mutable_connectors()) {
      if (c.name() == status.name()) c = status;
    }
    latest_pipeline = std::move(copy);
  }

  absl::StatusOr<json> Status(const Session& as) {
    std::shared_ptr<const Figures> figures = deps_sampler->Latest();
    Figures empty;
    std::shared_ptr<const admin::v1::PipelineStatus> pipeline;
    absl::Status error;
    {
      platform::MutexLock lock(&pipeline_mu);
      pipeline = latest_pipeline;
      error = pipeline_error;
    }
    json out = StatusJson(figures ? *figures : empty, pipeline.get(), error);
    out["sample_interval_seconds"] = config.sample_interval.count() / 1000.0;
    out["operator"] = as.principal();
    return out;
  }

  absl::StatusOr<json> History() {
    absl::Time since = Now() - ToAbsl(config.history);
    return json{{"sample_interval_seconds", config.sample_interval.count() / 1000.0},
                {"history_seconds", config.history.count() / 1000.0},
                {"points", HistoryJson(deps_sampler->history().PointsSince(since))}};
  }

  absl::StatusOr<json> ListDeadLetters(const Session& as, const httplib::Request& req) {
    admin::v1::ListDeadLettersRequest request;
    std::vector<FieldViolation> bad;
    std::string state = req.get_param_value("state");
    if (!state.empty() && state != "any") {
      admin::v1::DeadLetterState value;
      if (admin::v1::DeadLetterState_Parse("DEAD_LETTER_STATE_" + absl::AsciiStrToUpper(state),
                                           &value) &&
          value != admin::v1::DEAD_LETTER_STATE_UNSPECIFIED) {
        request.set_state(value);
      } else {
        bad.push_back({"state", "'" + state + "' is not one of open, replayed, discarded, any"});
      }
    }
    request.set_original_topic(req.get_param_value("topic"));
    request.set_error_class(req.get_param_value("error_class"));
    request.set_page_token(req.get_param_value("page_token"));
    std::string page_size = req.get_param_value("page_size");
    if (!page_size.empty()) {
      int size = 0;
      if (absl::SimpleAtoi(page_size, &size) && size >= 1 && size <= 1000) {
        request.set_page_size(size);
      } else {
        bad.push_back({"page_size", "must be an integer 1..1000"});
      }
    }
    if (!bad.empty()) return InvalidArgument(bad);
    CRVS_ASSIGN_OR_RETURN(auto response,
                          Call<admin::v1::ListDeadLettersResponse>(&as, "admin", "ListDeadLetters",
                              [&](grpc::ClientContext* c, admin::v1::ListDeadLettersResponse* r) {
                                return admin->ListDeadLetters(c, request, r);
                              }));
    json list = json::array();
    for (const auto& d : response.dead_letters()) list.push_back(DeadLetterSummaryJson(d));
    return json{{"dead_letters", list}, {"next_page_token", response.next_page_token()}};
  }

  absl::StatusOr<json> GetDeadLetter(const Session& as, const std::string& id_text) {
    CRVS_ASSIGN_OR_RETURN(admin::v1::DeadLetter d, FetchDeadLetter(as, id_text));
    return DeadLetterDetailJson(d);
  }

  // The full view of a dead letter's personal data: an operator gives a reason, and the
  // civil-status database's audit trail records who saw what and why before it is shown.
  absl::StatusOr<json> RevealDeadLetter(const Session& as, const std::string& id_text,
                                        const httplib::Request& req) {
    CRVS_ASSIGN_OR_RETURN(json body, BodyObject(req));
    CRVS_ASSIGN_OR_RETURN(std::string reason, StringMember(body, "reason"));
    if (absl::StripAsciiWhitespace(reason).empty()) {
      return InvalidArgument({{"reason", "is required: say why the full personal data is needed"}});
    }
    if (reason.size() > 1000) return InvalidArgument({{"reason", "is longer than 1000 bytes"}});
    CRVS_ASSIGN_OR_RETURN(admin::v1::DeadLetter d, FetchDeadLetter(as, id_text));
    CRVS_RETURN_IF_ERROR(deps.store->Audit(
        {{as.principal(), "personal_data.revealed", absl::StrCat("dead_letter/", d.id()),
          absl::StrCat("business_key=", d.business_key(), " reason=", reason)}}));
    Log()->info("event=personal_data_revealed dead_letter={} operator={}", d.id(), as.principal());
    return DeadLetterDetailJson(d, /*masked=*/false);
  }

  absl::StatusOr<admin::v1::DeadLetter> FetchDeadLetter(const Session& as,
                                                        const std::string& id_text) {
    CRVS_ASSIGN_OR_RETURN(int64_t id, ParseId(id_text));
    admin::v1::GetDeadLetterRequest request;
    request.set_id(id);
    CRVS_ASSIGN_OR_RETURN(
        auto d, Call<admin::v1::DeadLetter>(&as, "admin", "GetDeadLetter",
                                            [&](grpc::ClientContext* c, admin::v1::DeadLetter* r) {
                                              return admin->GetDeadLetter(c, request, r);
                                            }));
    return d;
  }

  absl::StatusOr<json> ReplayDeadLetter(const Session& as, const std::string& id_text,
                                        const httplib::Request& req) {
    CRVS_ASSIGN_OR_RETURN(int64_t id, ParseId(id_text));
    CRVS_ASSIGN_OR_RETURN(json body, BodyObject(req));
    CRVS_ASSIGN_OR_RETURN(std::string note, StringMember(body, "note"));
    if (note.size() > 1000) return InvalidArgument({{"note", "is longer than 1000 bytes"}});
    admin::v1::ReplayDeadLetterRequest request;
    request.set_id(id);
    request.set_operator_note(note);
    auto d = Call<admin::v1::DeadLetter>(&as, "admin", "ReplayDeadLetter",
                                         [&](grpc::ClientContext* c, admin::v1::DeadLetter* r) {
                                           return admin->ReplayDeadLetter(c, request, r);
                                         });
    if (!d.ok()) return RenameFields(d.status(), {{"operator_note", "note"}});
    Log()->info("dead letter replayed id={} operator={}", id, as.principal());
    return DeadLetterSummaryJson(*d);
  }

  absl::StatusOr<json> DiscardDeadLetter(const Session& as, const std::string& id_text,
                                         const httplib::Request& req) {
    CRVS_ASSIGN_OR_RETURN(int64_t id, ParseId(id_text));
    CRVS_ASSIGN_OR_RETURN(json body, BodyObject(req));
    CRVS_ASSIGN_OR_RETURN(std::string reason, StringMember(body, "reason"));
    if (absl::StripAsciiWhitespace(reason).empty()) {
      return InvalidArgument(
          {{"reason", "is required: say why the dead letter will never be applied"}});
    }
    if (reason.size() > 1000) return InvalidArgument({{"reason", "is longer than 1000 bytes"}});
    admin::v1::DiscardDeadLetterRequest request;
    request.set_id(id);
    request.set_reason(reason);
    CRVS_ASSIGN_OR_RETURN(
        auto d, Call<admin::v1::DeadLetter>(&as, "admin", "DiscardDeadLetter",
                                            [&](grpc::ClientContext* c, admin::v1::DeadLetter* r) {
                                              return admin->DiscardDeadLetter(c, request, r);
                                            }));
    Log()->info("dead letter discarded id={} operator={}", id, as.principal());
    return DeadLetterSummaryJson(d);
  }

  absl::StatusOr<json> ListOffsetAlarms(const Session& as, const httplib::Request& req) {
    admin::v1::ListOffsetAlarmsRequest request;
    request.set_include_acknowledged(req.get_param_value("include_acknowledged") == "true");
    CRVS_ASSIGN_OR_RETURN(auto response,
                          Call<admin::v1::ListOffsetAlarmsResponse>(&as, "admin", "ListOffsetAlarms",
                              [&](grpc::ClientContext* c, admin::v1::ListOffsetAlarmsResponse* r) {
                                return admin->ListOffsetAlarms(c, request, r);
                              }));
    json list = json::array();
    for (const auto& a : response.alarms()) list.push_back(OffsetAlarmJson(a));
    return json{{"alarms", list}};
  }

  absl::StatusOr<json> AcknowledgeOffsetAlarm(const Session& as, const httplib::Request& req) {
    CRVS_ASSIGN_OR_RETURN(json body, BodyObject(req));
    CRVS_ASSIGN_OR_RETURN(std::string id, StringMember(body, "alarm_id"));
    CRVS_ASSIGN_OR_RETURN(std::string note, StringMember(body, "note"));
    if (id.empty()) return InvalidArgument({{"alarm_id", "is required"}});
    if (note.size() > 1000) return InvalidArgument({{"note", "is longer than 1000 bytes"}});
    admin::v1::AcknowledgeOffsetAlarmRequest request;
    request.set_alarm_id(id);
    request.set_note(note);
    CRVS_ASSIGN_OR_RETURN(
        auto a, Call<admin::v1::OffsetAlarm>(&as, "admin", "AcknowledgeOffsetAlarm",
                                             [&](grpc::ClientContext* c, admin::v1::OffsetAlarm* r) {
                                               return admin->AcknowledgeOffsetAlarm(c, request, r);
                                             }));
    Log()->info("offset alarm acknowledged alarm={} operator={}", id, as.principal());
    return OffsetAlarmJson(a);
  }

  absl::StatusOr<json> Connector(const Session& as, const std::string& name,
                                 const std::string& action) {
    admin::v1::ConnectorStatus status;
    if (action == "pause") {
      admin::v1::PauseConnectorRequest request;
      request.set_name(name);
      CRVS_ASSIGN_OR_RETURN(status, Call<admin::v1::ConnectorStatus>(&as, "admin", "PauseConnector",
                                        [&](grpc::ClientContext* c, admin::v1::ConnectorStatus* r) {
                                          return admin->PauseConnector(c, request, r);
                                        }));
    } else {
      admin::v1::ResumeConnectorRequest request;
      request.set_name(name);
      CRVS_ASSIGN_OR_RETURN(status, Call<admin::v1::ConnectorStatus>(&as, "admin", "ResumeConnector",
                                        [&](grpc::ClientContext* c, admin::v1::ConnectorStatus* r) {
                                          return admin->ResumeConnector(c, request, r);
                                        }));
    }
    Log()->info("connector {} name={} operator={}", action, name, as.principal());
    UpdateConnector(status);
    return ConnectorJson(status);
  }

  absl::StatusOr<json> Coverage(const Session& as, const httplib::Request& req) {
    std::string text = req.get_param_value("period");
    absl::CivilDay today = VietnamToday(Now());
    if (text.empty()) text = absl::FormatCivilTime(absl::CivilMonth(today));
    CRVS_ASSIGN_OR_RETURN(Period period, ParseCoveragePeriod(text));
    reconcile::v1::CoverageRequest request;
    *request.mutable_period_start() = ToLocalDate(period.start);
    *request.mutable_period_end() = ToLocalDate(period.end);
    CRVS_ASSIGN_OR_RETURN(*request.mutable_province_code(), ProvinceParam(req));
    CRVS_ASSIGN_OR_RETURN(auto report,
                          Call<reconcile::v1::CoverageReport>(&as, "reconcile", "GetCoverage",
                              [&](grpc::ClientContext* c, reconcile::v1::CoverageReport* r) {
                                return reconcile->GetCoverage(c, request, r);
                              }));
    json out = CoverageJson(report);
    out["period"] = period.text;
    out["period_start"] = FormatDay(period.start);
    out["period_end"] = FormatDay(period.end);
    return out;
  }

  absl::StatusOr<json> Indicators(const Session& as, const httplib::Request& req) {
    std::string period = req.get_param_value("period");
    if (period.empty()) period = absl::StrCat(VietnamToday(Now()).year());
    reconcile::v1::IndicatorsRequest request;
    request.set_period(period);
    CRVS_ASSIGN_OR_RETURN(*request.mutable_province_code(), ProvinceParam(req));
    const std::string breakdown = req.get_param_value("breakdown");
    if (breakdown.empty() || breakdown == "none") {
      request.set_breakdown(reconcile::v1::BREAKDOWN_NONE);
    } else if (breakdown == "province") {
      request.set_breakdown(reconcile::v1::BREAKDOWN_PROVINCE);
    } else {
      return InvalidArgument({{"breakdown", "'" + breakdown + "' is not one of none, province"}});
    }
    CRVS_ASSIGN_OR_RETURN(auto report,
                          Call<reconcile::v1::IndicatorReport>(&as, "reconcile", "GetIndicators",
                              [&](grpc::ClientContext* c, reconcile::v1::IndicatorReport* r) {
                                return reconcile->GetIndicators(c, request, r);
                              }));
    json out = IndicatorsJson(report);
    for (json& v : out["values"]) {  // the province's name beside its code, for people
      const std::string key = v["breakdown_key"].get<std::string>();
      std::string_view name = validation::ReferenceData::Default().ProvinceName(key);
      v["province_name"] = name.empty() ? json(nullptr) : json(std::string(name));
    }
    return out;
  }

  absl::StatusOr<json> SilentSources(const Session& as, const httplib::Request& req) {
    reconcile::v1::ListSilentSourcesRequest request;
    std::string kind = req.get_param_value("kind");
    if (!kind.empty()) {
      common::v1::PrincipalKind value;
      if (!common::v1::PrincipalKind_Parse("PRINCIPAL_KIND_" + absl::AsciiStrToUpper(kind),
                                           &value) ||
          value == common::v1::PRINCIPAL_KIND_UNSPECIFIED) {
        return InvalidArgument(
            {{"kind", "'" + kind + "' is not one of facility, court, registry_office"}});
      }
      request.set_kind(value);
    }
    request.set_page_token(req.get_param_value("page_token"));
    CRVS_ASSIGN_OR_RETURN(auto response, Call<reconcile::v1::ListSilentSourcesResponse>(&as, "reconcile", "ListSilentSources",
                                             [&](grpc::ClientContext* c,
                                                 reconcile::v1::ListSilentSourcesResponse* r) {
                                               return reconcile->ListSilentSources(c, request, r);
                                             }));
    return SilentSourcesJson(response);
  }

  // ---- the agencies' data feeds (services/feeds) ---------------------------------------------
  // Read from and paused in the civil-status database directly: there is no feeds service to
  // ask, so the console itself checks scope and audits (feeds::SetPaused).

  absl::Status FeedsConfigured() const {
    if (deps.subscribers != nullptr) return absl::OkStatus();
    return absl::NotFoundError(
        "no data feeds on this console: it runs without subscribers (feeds.subscribers_file)");
  }

  absl::StatusOr<json> Feeds() {
    CRVS_RETURN_IF_ERROR(FeedsConfigured());
    CRVS_ASSIGN_OR_RETURN(std::vector<feeds::FeedStatus> list,
                          feeds::ListFeedStatus(*deps.store, *deps.subscribers));
    json out = json::array();
    for (const feeds::FeedStatus& f : list) out.push_back(FeedStatusJson(f));
    return json{{"feeds", out}};
  }

  // An agency's feed carries the records of every province: pausing or resuming it is a
  // national operator's decision, as pausing a connector is (the Admin service's rule). The
  // operator role is checked by the route.
  absl::StatusOr<json> Feed(const Session& as, const std::string& name,
                            const std::string& action) {
    CRVS_RETURN_IF_ERROR(FeedsConfigured());
    const bool pause = action == "pause";
    if (!as.province_code.empty()) {
      return absl::PermissionDeniedError(absl::StrCat(
          as.principal(), " works for province ", as.province_code, "; ",
          pause ? "pausing" : "resuming",
          " an agency's data feed affects every province (national operators only)"));
    }
    if (deps.subscribers->Find(name) == nullptr) {
      std::vector<std::string> known;
      for (const auto& [known_name, s] : deps.subscribers->by_name) known.push_back(known_name);
      return absl::NotFoundError(absl::StrCat("no data feed subscriber \"",
                                              text::Printable(name), "\" (configured: ",
                                              known.empty() ? "none" : absl::StrJoin(known, ", "),
                                              ")"));
    }
    CRVS_RETURN_IF_ERROR(feeds::SetPaused(*deps.store, name, pause, as.principal()));
    Log()->info("event=feed_{} subscriber={} operator={}", pause ? "paused" : "resumed", name,
                as.principal());
    CRVS_ASSIGN_OR_RETURN(std::vector<feeds::FeedStatus> list,
                          feeds::ListFeedStatus(*deps.store, *deps.subscribers));
    for (const feeds::FeedStatus& f : list) {
      if (f.name == name) return FeedStatusJson(f);
    }
    return absl::InternalError(absl::StrCat("feed ", name, " vanished from its own listing"));
  }

  // ---- who is asking (sessions.h) -----------------------------------------------------------

  bool certificate_mode() const { return config.auth == "certificate"; }

  // The cookie that carries a session id: never readable by the page's scripts, never sent by
  // another site's page, only over HTTPS (or to localhost, which browsers treat alike).
  std::string SessionCookie(const std::string& id, int64_t max_age_seconds) const {
    return absl::StrCat(kSessionCookie, "=", id, "; Path=/; Max-Age=", max_age_seconds,
                        "; HttpOnly; Secure; SameSite=Strict");
  }

  static std::string CookieValue(const httplib::Request& req, const std::string& name) {
    const std::string header = req.get_header_value("Cookie");
    for (absl::string_view cookie : absl::StrSplit(header, ';')) {
      const std::string trimmed(absl::StripAsciiWhitespace(cookie));
      if (absl::StartsWith(trimmed, name + "=")) return trimmed.substr(name.size() + 1);
    }
    return "";
  }

  // The account name of the verified client certificate (CN operator:<name>), or "".
  static std::string CertificateName(const httplib::Request& req) {
    if (req.ssl == nullptr || SSL_get_verify_result(req.ssl) != X509_V_OK) return "";
    X509* cert = SSL_get1_peer_certificate(req.ssl);
    if (cert == nullptr) return "";
    char cn[256] = {0};
    const int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn,
                                            sizeof cn);
    X509_free(cert);
    if (n <= 0) return "";
    auto principal = records::ParsePrincipal(std::string(cn, n));
    if (!principal || principal->kind() != common::v1::PRINCIPAL_KIND_OPERATOR) return "";
    return principal->code();
  }

  void AuditSignIn(const Session& s, const httplib::Request& req) {
    absl::Status st = deps.store->Audit({{s.principal(), "operator.signed_in",
                                         absl::StrCat("operator/", s.name),
                                         absl::StrCat("auth=", s.auth, " address=",
                                                      req.remote_addr)}});
    if (!st.ok()) Log()->warn("event=audit_failed what=sign_in error=\"{}\"", st.ToString());
    Log()->info("event=signed_in operator={} auth={} address={}", s.principal(), s.auth,
                req.remote_addr);
  }

  // The session a request belongs to. With client certificates, the first request of a
  // certificate naming an account makes one (its cookie is set on `res`), and a session is
  // only good with the certificate it was made for. The account is read again each time, so
  // a disabled account or a changed role or province takes effect at its next request.
  absl::StatusOr<Session> Authenticate(const httplib::Request& req, httplib::Response& res) {
    const absl::Time now = Now();
    std::string cert_name;
    if (certificate_mode()) {
      cert_name = CertificateName(req);
      if (cert_name.empty()) {
        return absl::UnauthenticatedError(
            "no client certificate naming operator:<name>: present the certificate the "
            "console's CA issued to you");
      }
    }
    std::optional<Session> session;
    const std::string id = CookieValue(req, kSessionCookie);
    if (!id.empty()) session = sessions->Touch(id, now);
    if (session && certificate_mode() && session->name != cert_name) {
      sessions->Remove(session->id);
      session.reset();
    }
    if (!session && certificate_mode()) {
      CRVS_ASSIGN_OR_RETURN(auto account, accounts->Find(cert_name));
      if (!account || account->disabled) {
        return absl::PermissionDeniedError(absl::StrCat(
            "operator:", cert_name, account ? ": this account is disabled"
                                            : " has no account (crvs operators add --certificate-only)"));
      }
      session = sessions->Create(*account, "certificate", now);
      res.set_header("Set-Cookie", SessionCookie(session->id, SessionMaxAge()));
      AuditSignIn(*session, req);
    }
    if (!session) {
      return absl::UnauthenticatedError("not signed in, or the session has ended: sign in");
    }
    CRVS_ASSIGN_OR_RETURN(auto account, accounts->Find(session->name));
    if (!account || account->disabled) {
      sessions->Remove(session->id);
      return absl::UnauthenticatedError(absl::StrCat(session->principal(),
                                                     ": this account is disabled"));
    }
    session->role = account->role;
    session->province_code = account->province_code;
    return *session;
  }

  int64_t SessionMaxAge() const { return config.session_lifetime.count() / 1000; }

  json SessionJson(const Session& s) const {
    std::string_view province = validation::ReferenceData::Default().ProvinceName(s.province_code);
    return {{"operator", s.principal()},
            {"name", s.name},
            {"role", operators::RoleName(s.role)},
            {"province_code", s.province_code},
            {"province_name", province.empty() ? json(nullptr) : json(std::string(province))},
            {"auth", s.auth},
            {"csrf_token", s.csrf_token},
            {"idle_seconds", absl::ToInt64Seconds(sessions->idle())},
            {"expires_at", absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", sessions->ExpiresAt(s),
                                            absl::UTCTimeZone())}};
  }

  // POST /api/session {"name", "password"}: password sign-in.
  absl::StatusOr<json> SignIn(const httplib::Request& req, httplib::Response& res) {
    if (certificate_mode()) {
      return absl::FailedPreconditionError(
          "this console signs operators in with their client certificate, not a password");
    }
    absl::Duration wait;
    if (!throttle->Allow(req.remote_addr, Now(), &wait)) {
      res.set_header("Retry-After", std::to_string(absl::ToInt64Seconds(wait) + 1));
      return absl::ResourceExhaustedError(
          absl::StrCat("too many sign-in attempts from ", req.remote_addr, "; wait ",
                       absl::ToInt64Seconds(wait) + 1, " s"));
    }
    CRVS_ASSIGN_OR_RETURN(json body, BodyObject(req));
    CRVS_ASSIGN_OR_RETURN(std::string name, StringMember(body, "name"));
    CRVS_ASSIGN_OR_RETURN(std::string password, StringMember(body, "password"));
    std::vector<FieldViolation> bad;
    if (name.empty()) bad.push_back({"name", "is required"});
    if (password.empty()) bad.push_back({"password", "is required"});
    if (password.size() > operators::kMaxPasswordBytes) bad.push_back({"password", "is too long"});
    if (!bad.empty()) return InvalidArgument(bad);
    auto account = accounts->SignIn(name, password, Now());
    if (!account.ok()) {
      Log()->warn("event=sign_in_refused name={} address={} code={}", text::Printable(name),
                  req.remote_addr, absl::StatusCodeToString(account.status().code()));
      return account.status();
    }
    Session s = sessions->Create(*account, "password", Now());
    res.set_header("Set-Cookie", SessionCookie(s.id, SessionMaxAge()));
    AuditSignIn(s, req);
    return SessionJson(s);
  }

  absl::StatusOr<json> SignOut(const Session& s, httplib::Response& res) {
    sessions->Remove(s.id);
    res.set_header("Set-Cookie", SessionCookie("", 0));
    Log()->info("event=signed_out operator={}", s.principal());
    return json::object();
  }

  std::unique_ptr<operators::Accounts> accounts;
  std::unique_ptr<Sessions> sessions;
  std::unique_ptr<LoginThrottle> throttle;

  Sampler* deps_sampler = nullptr;

  platform::Mutex pipeline_mu;
  std::shared_ptr<const admin::v1::PipelineStatus> latest_pipeline ABSL_GUARDED_BY(pipeline_mu);
  absl::Status pipeline_error ABSL_GUARDED_BY(pipeline_mu) =
      absl::UnavailableError("the Admin service was not asked yet");

  platform::Mutex poll_mu;
  platform::CondVar poll_cv;
  bool stopping ABSL_GUARDED_BY(poll_mu) = false;
  std::thread poll_thread;
};

TopicKinds MakeTopicKinds(const std::string& births, const std::string& deaths,
                          const std::string& divorces, const std::string& registrations) {
  return {{births, records::KindLabel(records::v1::RECORD_KIND_BIRTH_CERTIFICATE)},
          {deaths, records::KindLabel(records::v1::RECORD_KIND_DEATH_NOTICE)},
          {divorces, records::KindLabel(records::v1::RECORD_KIND_DIVORCE_DECISION)},
          {registrations, records::KindLabel(records::v1::RECORD_KIND_REGISTRATION)}};
}

absl::Status ValidateConsoleConfig(const ConsoleConfig& c) {
  std::vector<FieldViolation> bad;
  auto host_port = [&](const std::string& value, const char* key) {
    size_t colon = value.rfind(':');
    int port = 0;
    if (colon == std::string::npos || colon == 0 ||
        !absl::SimpleAtoi(value.substr(colon + 1), &port) || port < 0 || port > 65535) {
      bad.push_back({key, "'" + value + "' is not host:port"});
    }
  };
  host_port(c.listen, "console.listen");
  host_port(c.admin_address, "console.admin_address");
  host_port(c.reconcile_address, "console.reconcile_address");
  for (const std::string& url : c.metrics_urls) {
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
      bad.push_back({"console.metrics_urls", "'" + url + "' is not an http:// or https:// URL"});
    }
  }
  auto principal = records::ParsePrincipal(c.operator_principal);
  if (!principal || principal->kind() != common::v1::PRINCIPAL_KIND_OPERATOR) {
    bad.push_back({"console.operator", "'" + c.operator_principal + "' is not operator:<name>"});
  }
  if (c.sample_interval.count() < 100) {
    bad.push_back({"console.sample_interval", "must be at least 100ms"});
  }
  if (c.history < c.sample_interval) {
    bad.push_back({"console.history", "must be at least one sample_interval"});
  }
  if (c.call_timeout.count() <= 0) bad.push_back({"console.call_timeout", "must be positive"});
  if (c.auth != "password" && c.auth != "certificate") {
    bad.push_back({"console.auth", "'" + c.auth + "' is not certificate or password"});
  }
  if (c.https_cert_file.empty() != c.https_key_file.empty()) {
    bad.push_back({"console.https_key_file", "https_cert_file and https_key_file go together"});
  }
  const std::string host = c.listen.substr(0, c.listen.rfind(':'));
  const bool loopback = host == "localhost" || host == "::1" || host == "[::1]" ||
                        absl::StartsWith(host, "127.");
  if (c.https_cert_file.empty() && !loopback) {
    bad.push_back({"console.https_cert_file",
                   "is required when console.listen is not a loopback address (" + host +
                       "): operators' passwords and session cookies travel over HTTPS only"});
  }
  if (c.auth == "certificate" && c.https_cert_file.empty()) {
    bad.push_back({"console.https_cert_file",
                   "is required with console.auth = certificate (client certificates need HTTPS)"});
  }
  if (c.session_idle.count() <= 0) bad.push_back({"console.session_idle", "must be positive"});
  if (c.session_lifetime < c.session_idle) {
    bad.push_back({"console.session_lifetime", "must be at least session_idle"});
  }
  if (c.login_attempts_per_minute < 1) {
    bad.push_back({"console.login_attempts_per_minute", "must be at least 1"});
  }
  if (bad.empty()) return absl::OkStatus();
  return InvalidArgument(bad);
}

absl::StatusOr<std::unique_ptr<Console>> Console::Start(const ConsoleConfig& config,
                                                        ConsoleDeps deps) {
  CRVS_RETURN_IF_ERROR(ValidateConsoleConfig(config));
  std::unique_ptr<Console> console(new Console());
  if (!deps.metrics) deps.metrics = std::make_shared<prometheus::Registry>();
  auto& http_requests = prometheus::BuildCounter()
                            .Name("crvs_console_http_requests_total")
                            .Help("Console HTTP requests by route, method and HTTP status")
                            .Register(*deps.metrics);
  auto& backend_calls = prometheus::BuildCounter()
                            .Name("crvs_console_backend_calls_total")
                            .Help("gRPC calls the console made by service, method and gRPC code")
                            .Register(*deps.metrics);
  auto& scrapes = prometheus::BuildCounter()
                      .Name("crvs_console_scrapes_total")
                      .Help("Scrapes of console.metrics_urls by outcome (ok, error)")
                      .Register(*deps.metrics);

  if (deps.fetcher == nullptr) {
    console->own_fetcher_ = MakeHttpMetricsFetcher(ToAbsl(config.call_timeout));
    deps.fetcher = console->own_fetcher_.get();
  }
  Sampler::Options sampler_options;
  sampler_options.urls = config.metrics_urls;
  sampler_options.topic_kinds = deps.topic_kinds;
  sampler_options.interval = ToAbsl(config.sample_interval);
  sampler_options.history_points =
      static_cast<size_t>(config.history.count() / config.sample_interval.count()) + 1;
  sampler_options.clock = deps.clock;
  sampler_options.scrapes = &scrapes;
  console->sampler_ = std::make_unique<Sampler>(std::move(sampler_options), deps.fetcher);

  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->http_requests = &http_requests;
  impl->backend_calls = &backend_calls;
  impl->deps_sampler = console->sampler_.get();
  // The error says which service the console could not reach securely, and the way out.
  auto channel = [&](const std::string& address, bool plaintext, const char* section) {
    auto made = MakeChannel(address, deps.tls, plaintext);
    if (!made.ok()) {
      made = absl::Status(made.status().code(),
                          absl::StrCat("console -> ", address, " (", section,
                                       ".plaintext=false, mutual TLS): ", made.status().message(),
                                       "; or ", section, ".plaintext=true if it runs plaintext"));
    }
    return made;
  };
  CRVS_ASSIGN_OR_RETURN(auto admin_channel,
                        channel(config.admin_address, deps.admin_plaintext, "admin"));
  CRVS_ASSIGN_OR_RETURN(auto reconcile_channel,
                        channel(config.reconcile_address, deps.reconcile_plaintext, "reconcile"));
  impl->admin = admin::v1::Admin::NewStub(admin_channel);
  impl->reconcile = reconcile::v1::Reconciliation::NewStub(reconcile_channel);
  impl->deps = std::move(deps);
  Impl* api = impl.get();
  console->impl_ = std::move(impl);

  if (api->deps.store == nullptr) {
    return absl::InvalidArgumentError("console: a store is required (operator accounts)");
  }
  api->accounts = std::make_unique<operators::Accounts>(*api->deps.store);
  api->sessions = std::make_unique<Sessions>(ToAbsl(config.session_idle),
                                             ToAbsl(config.session_lifetime));
  api->throttle = std::make_unique<LoginThrottle>(config.login_attempts_per_minute,
                                                  absl::Minutes(1));
  const bool https = !config.https_cert_file.empty();
  if (https) {
    std::string client_ca = config.client_ca_file.empty() ? api->deps.tls.ca_file
                                                          : config.client_ca_file;
    auto ssl = std::make_unique<httplib::SSLServer>(
        config.https_cert_file.c_str(), config.https_key_file.c_str(),
        api->certificate_mode() ? client_ca.c_str() : nullptr);
    if (!ssl->is_valid()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "console: cannot start HTTPS with console.https_cert_file=", config.https_cert_file,
          ", console.https_key_file=", config.https_key_file,
          api->certificate_mode() ? absl::StrCat(" and client CA ", client_ca) : std::string(),
          " (unreadable, not PEM, or the key does not match)"));
    }
    if (api->certificate_mode()) {
      // Ask for a client certificate and verify any that is presented, but let a connection
      // without one through (httplib would refuse it in the handshake): the probes and
      // /metrics are read by kubelets and Prometheus without one, and a browser without one
      // gets the page's explanation instead of a TLS error. The API requires it
      // (Authenticate).
      SSL_CTX_set_verify(ssl->ssl_context(), SSL_VERIFY_PEER, nullptr);
      // A server that verifies clients must name its session context, or OpenSSL refuses
      // every resumed session (alert internal_error): a browser resumes one on each new
      // connection, so the page's fetches would fail. A resumed session keeps the verified
      // peer certificate.
      static const unsigned char kSessionContext[] = "crvs-console";
      SSL_CTX_set_session_id_context(ssl->ssl_context(), kSessionContext,
                                     sizeof kSessionContext - 1);
    }
    console->server_ = std::move(ssl);
  } else {
    console->server_ = std::make_unique<httplib::Server>();
  }
  httplib::Server& server = *console->server_;
  ListenExclusively(server);
  // Everything the page loads comes from here: no other origin, no inline script.
  server.set_default_headers({{"Content-Security-Policy",
                               "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"},
                              {"X-Content-Type-Options", "nosniff"},
                              {"Cache-Control", "no-store"}});
  server.set_payload_max_length(64 * 1024);
  // Refused before any route: a foreign Host (DNS rebinding), a cross-origin or non-JSON
  // request that would change something (request_guard.h).
  const std::string& listen = config.listen;
  const size_t colon = listen.rfind(':');
  const std::string host = listen.substr(0, colon);
  auto guard = std::make_shared<RequestGuard>(host, config.allowed_hosts);
  server.set_pre_routing_handler([guard](const httplib::Request& req, httplib::Response& res) {
    const std::string why = guard->Refusal(
        {req.method, req.path, req.get_header_value("Host"), req.get_header_value("Origin"),
         req.get_header_value("Sec-Fetch-Site"), req.get_header_value("Content-Type")});
    if (why.empty()) return httplib::Server::HandlerResponse::Unhandled;
    Log()->warn("event=request_refused method={} path={} reason=\"{}\"", req.method, req.path,
                why);
    res.status = 403;
    res.set_content(ErrorJson(absl::PermissionDeniedError(why)).dump(), "application/json");
    return httplib::Server::HandlerResponse::Handled;
  });
  // Counted before the response is written (httplib's logger runs after, so a client could
  // read /metrics before its previous request was counted).
  server.set_post_routing_handler([api](const httplib::Request& req, httplib::Response& res) {
    api->http_requests
        ->Add({{"route", RouteOf(req.path)},
               {"method", req.method},
               {"code", std::to_string(res.status)}})
        .Increment();
  });

  // Errors httplib answers by itself (unreadable request, body too large, no such page) get
  // the API's JSON error shape too.
  server.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        absl::Status st;
        switch (res.status) {
          case 400:
            st = absl::InvalidArgumentError(
                "the request could not be read (a POST without a body needs Content-Length: 0)");
            break;
          case 404:
            st = absl::NotFoundError("no such page");
            break;
          case 413:
            st = absl::ResourceExhaustedError("request body larger than 64 KiB");
            break;
          default:
            st = absl::UnknownError("HTTP " + std::to_string(res.status));
            break;
        }
        res.set_content(ErrorJson(st).dump(), "application/json");
        return httplib::Server::HandlerResponse::Handled;
      }));
  for (const EmbeddedAsset& asset : EmbeddedAssets()) {
    auto serve = [asset](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(asset.body), std::string(asset.content_type));
    };
    server.Get(std::string(asset.path), serve);
    if (asset.path == "/index.html") server.Get("/", serve);
  }
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  Console* self = console.get();
  server.Get("/readyz", [self](const httplib::Request&, httplib::Response& res) {
    std::string why = self->NotReady();
    res.status = why.empty() ? 200 : 503;
    res.set_content(why.empty() ? "ready\n" : why + "\n", "text/plain");
  });
  std::shared_ptr<prometheus::Registry> metrics = api->deps.metrics;
  server.Get("/metrics", [metrics](const httplib::Request&, httplib::Response& res) {
    res.set_content(RenderMetrics(*metrics), "text/plain; version=0.0.4; charset=utf-8");
  });

  // Every API route but sign-in needs a session; a state-changing one also its CSRF token
  // and, for acting, the operator role (the Admin service checks role and scope again; the
  // feeds' pause checks scope in Impl::Feed).
  using Handler = std::function<absl::StatusOr<json>(const httplib::Request&, const Session&)>;
  auto respond = [api](httplib::Response& res, const absl::StatusOr<json>& out) {
    if (out.ok()) {
      res.status = 200;
      res.set_content(out->dump(), "application/json");
      return;
    }
    res.status = HttpStatusFor(out.status().code());
    json error = ErrorJson(out.status());
    if (res.status == 401) error["auth"] = api->config.auth;  // the page shows the right door
    res.set_content(error.dump(), "application/json");
  };
  auto api_route = [api, respond](Handler handler,
                                  operators::Role needs = operators::Role::kViewer) {
    return [api, respond, handler, needs](const httplib::Request& req, httplib::Response& res) {
      auto out = [&]() -> absl::StatusOr<json> {
        CRVS_ASSIGN_OR_RETURN(Session session, api->Authenticate(req, res));
        if (req.method != "GET" && req.method != "HEAD") {
          CRVS_RETURN_IF_ERROR(CheckCsrf(req, session));
        }
        CRVS_RETURN_IF_ERROR(operators::RequireRole(
            {session.principal(), "", session.role, session.province_code}, needs,
            absl::StrCat(req.method, " ", RouteOf(req.path))));
        return handler(req, session);
      }();
      respond(res, out);
    };
  };
  constexpr operators::Role kActs = operators::Role::kOperator;
  server.Post("/api/session", [api, respond](const httplib::Request& req, httplib::Response& res) {
    respond(res, api->SignIn(req, res));
  });
  server.Get("/api/session", api_route([api](const auto&, const Session& s) {
               return absl::StatusOr<json>(api->SessionJson(s));
             }));
  server.Post("/api/session/logout", [api, respond](const httplib::Request& req,
                                                    httplib::Response& res) {
    auto out = [&]() -> absl::StatusOr<json> {
      CRVS_ASSIGN_OR_RETURN(Session s, api->Authenticate(req, res));
      CRVS_RETURN_IF_ERROR(CheckCsrf(req, s));
      return api->SignOut(s, res);
    }();
    respond(res, out);
  });
  server.Get("/api/status", api_route([api](const auto&, const Session& s) { return api->Status(s); }));
  server.Get("/api/history", api_route([api](const auto&, const Session&) { return api->History(); }));
  server.Get("/api/dead-letters", api_route([api](const auto& req, const Session& s) {
               return api->ListDeadLetters(s, req);
             }));
  server.Get(R"(/api/dead-letters/([^/]+))", api_route([api](const auto& req, const Session& s) {
               return api->GetDeadLetter(s, req.matches[1]);
             }));
  server.Post(R"(/api/dead-letters/([^/]+)/reveal)",
              api_route([api](const auto& req, const Session& s) {
                return api->RevealDeadLetter(s, req.matches[1], req);
              }, kActs));
  server.Post(R"(/api/dead-letters/([^/]+)/replay)",
              api_route([api](const auto& req, const Session& s) {
                return api->ReplayDeadLetter(s, req.matches[1], req);
              }, kActs));
  server.Post(R"(/api/dead-letters/([^/]+)/discard)",
              api_route([api](const auto& req, const Session& s) {
                return api->DiscardDeadLetter(s, req.matches[1], req);
              }, kActs));
  server.Post(R"(/api/connectors/([^/]+)/(pause|resume))",
              api_route([api](const auto& req, const Session& s) {
                return api->Connector(s, req.matches[1], req.matches[2]);
              }, kActs));
  server.Get("/api/alarms", api_route([api](const auto& req, const Session& s) {
               return api->ListOffsetAlarms(s, req);
             }));
  server.Post("/api/alarms/acknowledge", api_route([api](const auto& req, const Session& s) {
                return api->AcknowledgeOffsetAlarm(s, req);
              }, kActs));
  server.Get("/api/coverage",
             api_route([api](const auto& req, const Session& s) { return api->Coverage(s, req); }));
  server.Get("/api/indicators",
             api_route([api](const auto& req, const Session& s) { return api->Indicators(s, req); }));
  server.Get("/api/silent-sources", api_route([api](const auto& req, const Session& s) {
               return api->SilentSources(s, req);
             }));
  server.Get("/api/feeds", api_route([api](const auto&, const Session&) { return api->Feeds(); }));
  server.Post(R"(/api/feeds/([^/]+)/(pause|resume))",
              api_route([api](const auto& req, const Session& s) {
                return api->Feed(s, req.matches[1], req.matches[2]);
              }, kActs));
  auto no_route = [respond](const httplib::Request& req, httplib::Response& res) {
    respond(res, absl::NotFoundError(absl::StrCat("no API route ", req.method, " ", req.path)));
  };
  server.Get(R"(/api/.*)", no_route);
  server.Post(R"(/api/.*)", no_route);

  int port = std::atoi(listen.c_str() + colon + 1);
  if (port == 0) {
    console->port_ = server.bind_to_any_port(host);
    if (console->port_ <= 0) return absl::UnavailableError("console: cannot bind " + listen);
  } else {
    if (!server.bind_to_port(host, port)) {
      return absl::UnavailableError("console: cannot bind " + listen);
    }
    console->port_ = port;
  }
  console->sampler_->Start();
  api->poll_thread = std::thread([api] { api->PollLoop(); });
  console->thread_ = std::thread([self] { self->server_->listen_after_bind(); });
  // httplib's stop() does nothing until the accept loop runs, so a console destroyed right
  // after Start() would never stop: wait for the loop.
  for (int i = 0; i < 5000 && !server.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  Log()->info("console up url={}://{}:{}/ auth={} admin={} reconcile={} metrics_urls={} "
              "operator={}",
              https ? "https" : "http", host, console->port_, config.auth, config.admin_address,
              config.reconcile_address, config.metrics_urls.size(), config.operator_principal);
  return console;
}

Console::~Console() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
  if (impl_) impl_->StopPolling();
  if (sampler_) sampler_->Stop();
}

void Console::RefreshPipelineStatus() { impl_->PollPipeline(); }

std::string Console::NotReady() const {
  if (!sampler_ || sampler_->Latest() == nullptr) return "no sample taken yet";
  return "";
}

}  // namespace crvs::console
