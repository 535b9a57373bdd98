// A strict parser of the Prometheus text exposition format (version 0.0.4), the format every
// crvs process serves on /metrics. The console scrapes those endpoints and derives its figures
// from what this parser returns. prometheus-cpp only writes the format; no Debian package
// parses it for C++, hence this small one.
//
// Strict means: any line that the Prometheus server itself would refuse is an error naming the
// line — a bad metric or label name, an unknown escape in a label value, a duplicate label, a
// repeated series, a family's samples not in one group, a second TYPE, a histogram bucket
// without a numeric `le`, a histogram series without its `le="+Inf"` bucket. Values accept
// decimal floats, `NaN`, `+Inf`, `-Inf` (and `Inf`), as Prometheus does.
//
// Thread-safety: pure functions.
#pragma once

#include <absl/status/statusor.h>
#include <absl/strings/string_view.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace crvs::console {

enum class MetricType { kUntyped, kCounter, kGauge, kHistogram, kSummary };

std::string_view MetricTypeName(MetricType type);

// Label pairs of one sample, sorted by name (the order in the text does not matter).
using Labels = std::vector<std::pair<std::string, std::string>>;

// One sample line. `name` is the full sample name (for histograms: `x_bucket`, `x_sum`,
// `x_count`).
struct Sample {
  std::string name;
  Labels labels;
  double value = 0;
  std::optional<int64_t> timestamp_ms;

  // The value of label `name`, or nullptr.
  const std::string* Label(std::string_view label) const;
};

// A metric family: its TYPE and HELP and every sample that belongs to it.
struct MetricFamily {
  std::string name;
  MetricType type = MetricType::kUntyped;
  std::string help;
  std::vector<Sample> samples;
};

// Parses a whole exposition. INVALID_ARGUMENT naming the line ("line 12: ...") on any error.
absl::StatusOr<std::vector<MetricFamily>> ParseTextFormat(absl::string_view text);

// A float as the text format writes it: "NaN", "+Inf", "-Inf", or a decimal number.
absl::StatusOr<double> ParseFloatValue(absl::string_view text);

}  // namespace crvs::console
