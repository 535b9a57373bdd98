// The few PromQL computations the console performs on its own scrapes, done exactly as the
// Prometheus server does them so that the dashboard agrees with a Prometheus/Grafana set-up
// reading the same endpoints:
//   - HistogramQuantile: histogram_quantile(q, buckets) — linear interpolation within the
//     bucket holding the rank (promql/quantile.go, bucketQuantile);
//   - CounterIncrease: the increase of a counter between two samples, a drop being a restart
//     (the counter counted from zero again), as rate()/increase() treat resets.
//
// Thread-safety: pure functions.
#pragma once

#include <vector>

namespace crvs::console {

// One cumulative histogram bucket: observations <= upper_bound.
struct Bucket {
  double upper_bound = 0;
  double count = 0;
};

// histogram_quantile(q, buckets). Buckets in any order; duplicates of one bound are merged
// (summed) and counts made monotonic, as Prometheus does. Returns NaN when there are fewer
// than two buckets, the highest bound is not +Inf, or there is no observation; -Inf for
// q < 0 and +Inf for q > 1. When the rank falls in the +Inf bucket the answer is the highest
// finite bound.
double HistogramQuantile(double q, std::vector<Bucket> buckets);

// Increase of a counter from `before` to `after`: after - before, or `after` when the counter
// went down (the process restarted and counted from zero).
double CounterIncrease(double before, double after);

}  // namespace crvs::console
