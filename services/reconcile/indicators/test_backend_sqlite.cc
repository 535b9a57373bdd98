// indicators_test runs on SQLite: a database file in the test's temp dir.
#include "services/reconcile/indicators/test_fixture.h"

namespace crvs::reconcile::indicators::testing {

store::DatabaseConfig TestDatabase(const std::string& temp_dir) {
  store::DatabaseConfig config;
  config.url = "sqlite:" + temp_dir + "/crvs.db";
  return config;
}

}  // namespace crvs::reconcile::indicators::testing
