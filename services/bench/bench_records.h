// Valid records for the benchmarks, numbered so that every one has its own key and its own
// people: death notice i and birth certificate i of run `run`, both issued by facility
// BV79001 (`kBenchFacility`), which may therefore submit any mix of them.
#pragma once

#include <cstdint>
#include <string>

#include "crvs/records/v1/birth_certificate.pb.h"
#include "crvs/records/v1/death_notice.pb.h"

namespace crvs::bench {

inline constexpr const char* kBenchFacility = "BV79001";

// The deceased's personal ID is 001 0 52 + the last six digits of i (male, born 1952).
records::v1::DeathNotice BenchDeathNotice(const std::string& run, int64_t i);
// The mother's ID is 079 1 94 + the last six digits of i, the father's 001 0 90 + the same.
records::v1::BirthCertificate BenchBirthCertificate(const std::string& run, int64_t i);

}  // namespace crvs::bench
