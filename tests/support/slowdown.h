// How much slower this build runs than the g++ build the tests' waits are set for: 4 under
// AddressSanitizer or ThreadSanitizer (tests/sanitizers), 1 otherwise. Waits that bound how long
// a volume of records may take to land multiply by it; waits for something that must not
// happen do not.
#pragma once

namespace crvs::testing {

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr int kSlowdown = 4;
#else
inline constexpr int kSlowdown = 1;
#endif
#elif defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr int kSlowdown = 4;
#else
inline constexpr int kSlowdown = 1;
#endif

}  // namespace crvs::testing
