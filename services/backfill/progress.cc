#include "services/backfill/progress.h"

#include <algorithm>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>

#include "services/platform/logging.h"

namespace crvs::backfill {
namespace {

constexpr auto kTerminalRedraw = std::chrono::milliseconds(200);
constexpr auto kRateWindow = std::chrono::seconds(5);
constexpr int kBarWidth = 24;

// 1234567 → "1,234,567".
std::string Grouped(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return n < 0 ? "-" + out : out;
}

std::string Eta(double seconds) {
  if (seconds < 0 || seconds > 360000) return "--:--";
  int64_t s = static_cast<int64_t>(seconds + 0.5);
  if (s >= 3600) return absl::StrFormat("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
  return absl::StrFormat("%d:%02d", s / 60, s % 60);
}

}  // namespace

Progress::Progress(int64_t total, bool terminal, config::Duration interval, std::FILE* out)
    : total_(total),
      terminal_(terminal),
      interval_(terminal ? Clock::duration(kTerminalRedraw) : Clock::duration(interval)),
      out_(out),
      next_draw_(Clock::now()) {}

std::string Progress::Line(int64_t done, int64_t total, double rows_per_s) {
  const double fraction = total > 0 ? std::min(1.0, static_cast<double>(done) / total) : 1.0;
  const int filled = static_cast<int>(fraction * kBarWidth);
  std::string bar = "[" + std::string(filled, '#') + std::string(kBarWidth - filled, '.') + "]";
  const double eta = rows_per_s > 0 ? (total - done) / rows_per_s : -1;
  return absl::StrFormat("%s %5.1f%%  %s/%s rows  %s rows/s  ETA %s", bar, 100 * fraction,
                         Grouped(done), Grouped(total),
                         Grouped(static_cast<int64_t>(rows_per_s + 0.5)), Eta(eta));
}

double Progress::Rate(int64_t done, Clock::time_point now) {
  samples_.emplace_back(now, done);
  while (samples_.size() > 2 && now - samples_[1].first >= kRateWindow) samples_.pop_front();
  const auto& [t0, d0] = samples_.front();
  const double seconds = std::chrono::duration<double>(now - t0).count();
  return seconds > 0 ? (done - d0) / seconds : 0;
}

void Progress::Update(int64_t done) {
  const auto now = Clock::now();
  if (now < next_draw_) return;
  next_draw_ = now + interval_;
  Draw(done, now, false);
}

void Progress::Finish(int64_t done) { Draw(done, Clock::now(), true); }

void Progress::Draw(int64_t done, Clock::time_point now, bool final) {
  const double rate = Rate(done, now);
  if (terminal_) {
    std::fprintf(out_, "\r%s\x1b[K%s", Line(done, total_, rate).c_str(), final ? "\n" : "");
    std::fflush(out_);
    return;
  }
  const double eta = rate > 0 ? (total_ - done) / rate : -1;
  logging::Get("backfill")
      ->info("progress rows_done={} rows_total={} percent={:.1f} rows_per_s={:.0f} eta_s={:.0f}",
             done, total_, total_ > 0 ? 100.0 * done / total_ : 100.0, rate, eta);
}

}  // namespace crvs::backfill
