// [reference]: the reference data every component that validates records shares (gateway, sink,
// registry, court-source, backfill, simulator), so one file serves them all.
#pragma once

#include <string>

namespace crvs::validation {

struct ReferenceConfig {
  std::string provinces_file;  // empty: the copy built into the binary

  template <class V>
  void Visit(V& v) {
    v("provinces_file", provinces_file,
      "provinces CSV (deploy/reference/provinces.csv format) for personal-ID prefixes and "
      "province codes; empty uses the built-in copy");
  }
};

}  // namespace crvs::validation
