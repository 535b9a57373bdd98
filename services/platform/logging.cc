#include "services/platform/logging.h"

#include <mutex>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace crvs::logging {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Wraps the real sink; rewrites each message's payload with personal IDs masked.
class MaskingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit MaskingSink(spdlog::sink_ptr inner) : inner_(std::move(inner)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string_view payload(msg.payload.data(), msg.payload.size());
    std::string masked = MaskPersonalIds(payload);
    spdlog::details::log_msg copy(msg);
    copy.payload = spdlog::string_view_t(masked.data(), masked.size());
    inner_->log(copy);
  }
  void flush_() override { inner_->flush(); }

 private:
  spdlog::sink_ptr inner_;
};

constexpr const char* kTextPattern = "%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ [%n] %v";

struct Registry {
  std::mutex mu;
  std::shared_ptr<MaskingSink> sink = [] {
    auto inner = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    inner->set_pattern(kTextPattern);  // the inner sink formats what the masking sink passes on
    return std::make_shared<MaskingSink>(inner);
  }();
  spdlog::level::level_enum level = spdlog::level::info;
};

Registry& registry() {
  static Registry* r = new Registry();  // never destroyed: loggers may log during exit
  return *r;
}

}  // namespace

std::string Configure(const LogConfig& config) {
  auto level = spdlog::level::from_str(config.level);
  if (level == spdlog::level::off && config.level != "off") {
    return "log.level: unknown level '" + config.level +
           "' (expected trace, debug, info, warn, error, critical or off)";
  }
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  r.level = level;
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& l) { l->set_level(level); });
  return "";
}

std::shared_ptr<spdlog::logger> Get(std::string_view component) {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  std::string name(component);
  if (auto existing = spdlog::get(name)) return existing;
  auto logger = std::make_shared<spdlog::logger>(name, r.sink);
  logger->set_level(r.level);
  logger->flush_on(spdlog::level::warn);
  spdlog::register_logger(logger);
  return logger;
}

std::string MaskPersonalId(std::string_view id) {
  if (id.size() <= 5) return std::string(id.size(), '*');
  std::string out(id.substr(0, 3));
  out.append(id.size() - 5, '*');
  out.append(id.substr(id.size() - 2));
  return out;
}

std::string MaskPersonalIds(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (!IsDigit(text[i])) {
      out.push_back(text[i++]);
      continue;
    }
    size_t j = i;
    while (j < text.size() && IsDigit(text[j])) ++j;
    std::string_view run = text.substr(i, j - i);
    out += run.size() == 12 ? MaskPersonalId(run) : std::string(run);
    i = j;
  }
  return out;
}

}  // namespace crvs::logging
