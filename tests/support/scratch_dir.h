// A fresh directory under the system temp dir, removed with everything in it when the test
// ends. The tests use the product's own (services/platform/scratch_dir.h).
#pragma once

#include "services/platform/scratch_dir.h"

namespace crvs::testing {

using ScratchDir = platform::ScratchDir;

}  // namespace crvs::testing
