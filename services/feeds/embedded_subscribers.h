// deploy/feeds/subscribers.json as it was at build time (generated into the build tree by
// services/feeds/CMakeLists.txt): the subscribers when feeds.subscribers_file is empty.
#pragma once

#include <string_view>

namespace crvs::feeds::internal {

std::string_view EmbeddedSubscribersJson();

}  // namespace crvs::feeds::internal
