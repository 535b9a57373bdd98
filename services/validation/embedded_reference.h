// The reference files the build embeds as defaults (generated into the build tree from
// deploy/reference/ by services/validation/CMakeLists.txt). Internal to crvs_validation.
#pragma once

#include <string_view>

namespace crvs::validation::internal {

// The text of deploy/reference/provinces.csv at build time.
std::string_view EmbeddedProvincesCsv();

}  // namespace crvs::validation::internal
