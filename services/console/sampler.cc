#include "services/console/sampler.h"

#include <absl/strings/str_cat.h>
#include <httplib.h>

#include <chrono>

#include "services/platform/logging.h"

namespace crvs::console {
namespace {

std::shared_ptr<spdlog::logger> Log() { return logging::Get("console"); }

class HttpMetricsFetcher : public MetricsFetcher {
 public:
  explicit HttpMetricsFetcher(absl::Duration timeout) : timeout_(timeout) {}

  absl::StatusOr<std::string> Fetch(const std::string& url) override {
    size_t scheme = url.find("://");
    if (scheme == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("'", url, "' is not an http(s):// URL"));
    }
    size_t slash = url.find('/', scheme + 3);
    std::string origin = slash == std::string::npos ? url : url.substr(0, slash);
    std::string path = slash == std::string::npos ? "/" : url.substr(slash);
    httplib::Client client(origin);
    auto micros = absl::ToInt64Microseconds(timeout_);
    client.set_connection_timeout(std::chrono::microseconds(micros));
    client.set_read_timeout(std::chrono::microseconds(micros));
    client.set_write_timeout(std::chrono::microseconds(micros));
    auto res = client.Get(path);
    if (!res) {
      return absl::UnavailableError(
          absl::StrCat("GET ", url, ": ", httplib::to_string(res.error())));
    }
    if (res->status != 200) {
      return absl::UnavailableError(absl::StrCat("GET ", url, ": HTTP ", res->status));
    }
    return std::move(res->body);
  }

 private:
  absl::Duration timeout_;
};

}  // namespace

std::unique_ptr<MetricsFetcher> MakeHttpMetricsFetcher(absl::Duration timeout) {
  return std::make_unique<HttpMetricsFetcher>(timeout);
}

Sampler::Sampler(Options options, MetricsFetcher* fetcher)
    : options_(std::move(options)), fetcher_(fetcher), history_(options_.history_points) {}

Sampler::~Sampler() { Stop(); }

void Sampler::Start() {
  SampleNow();
  thread_ = std::thread([this] { Loop(); });
}

void Sampler::Stop() {
  {
    platform::MutexLock lock(&stop_mu_);
    stopping_ = true;
  }
  stop_cv_.SignalAll();
  if (thread_.joinable()) thread_.join();
}

void Sampler::Loop() {
  auto interval = std::chrono::microseconds(absl::ToInt64Microseconds(options_.interval));
  platform::MutexLock lock(&stop_mu_);
  for (;;) {
    const auto next = std::chrono::steady_clock::now() + interval;
    while (!stopping_ && stop_cv_.WaitUntil(&stop_mu_, next)) {
    }
    if (stopping_) return;
    stop_mu_.Unlock();
    SampleNow();
    stop_mu_.Lock();
  }
}

void Sampler::SampleNow() {
  platform::MutexLock sample_lock(&sample_mu_);
  auto observation = std::make_unique<Observation>();
  for (const std::string& url : options_.urls) {
    Scrape scrape;
    scrape.url = url;
    auto body = fetcher_->Fetch(url);
    if (body.ok()) {
      auto families = ParseTextFormat(*body);
      if (families.ok()) {
        scrape.ok = true;
        scrape.families = std::move(*families);
      } else {
        scrape.error = absl::StrCat("unparseable metrics: ", families.status().message());
      }
    } else {
      scrape.error = std::string(body.status().message());
    }
    if (!scrape.ok) Log()->warn("scrape failed url={} error={}", url, scrape.error);
    if (options_.scrapes != nullptr) {
      options_.scrapes->Add({{"outcome", scrape.ok ? "ok" : "error"}}).Increment();
    }
    observation->scrapes.push_back(std::move(scrape));
  }
  // The instant of the observation is taken after the scrapes, when the values were read.
  observation->at = options_.clock ? options_.clock() : absl::Now();

  auto figures = std::make_shared<Figures>(
      ComputeFigures(previous_.get(), *observation, options_.topic_kinds));
  history_.Push({figures->sampled_at, figures->lag_messages_total, figures->lag_seconds_max,
                 figures->committed_per_second, figures->accepted_per_second});
  previous_ = std::move(observation);
  platform::MutexLock lock(&latest_mu_);
  latest_ = std::move(figures);
}

std::shared_ptr<const Figures> Sampler::Latest() const {
  platform::MutexLock lock(&latest_mu_);
  return latest_;
}

}  // namespace crvs::console
