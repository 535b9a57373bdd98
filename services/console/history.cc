#include "services/console/history.h"

#include <algorithm>

namespace crvs::console {

HistoryRing::HistoryRing(size_t capacity)
    : capacity_(std::max<size_t>(capacity, 1)), points_(capacity_) {}

void HistoryRing::Push(HistoryPoint point) {
  platform::MutexLock lock(&mu_);
  points_[next_] = std::move(point);
  next_ = (next_ + 1) % points_.size();
  size_ = std::min(size_ + 1, points_.size());
}

std::vector<HistoryPoint> HistoryRing::Points() const {
  platform::MutexLock lock(&mu_);
  std::vector<HistoryPoint> out;
  out.reserve(size_);
  size_t first = (next_ + points_.size() - size_) % points_.size();
  for (size_t i = 0; i < size_; ++i) out.push_back(points_[(first + i) % points_.size()]);
  return out;
}

std::vector<HistoryPoint> HistoryRing::PointsSince(absl::Time since) const {
  std::vector<HistoryPoint> all = Points();
  auto it = std::find_if(all.begin(), all.end(),
                         [since](const HistoryPoint& p) { return p.at >= since; });
  return std::vector<HistoryPoint>(it, all.end());
}

}  // namespace crvs::console
