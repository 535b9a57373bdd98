// indicators_postgres_test runs the same tests on PostgreSQL: one private server per test
// binary (started on first use, stopped at exit), a fresh database per test.
#include <absl/strings/str_cat.h>

#include "services/reconcile/indicators/test_fixture.h"
#include "tests/support/postgres_server.h"

namespace crvs::reconcile::indicators::testing {

store::DatabaseConfig TestDatabase(const std::string& temp_dir) {
  static const std::unique_ptr<crvs::testing::PostgresServer> server = [] {
    auto started = crvs::testing::PostgresServer::Start();
    EXPECT_TRUE(started.ok()) << started.status();
    return started.ok() ? std::move(*started) : nullptr;
  }();
  static int databases = 0;
  store::DatabaseConfig config;
  config.url = "postgresql://unreachable.invalid/none";  // the test fails at Store::Open
  if (server == nullptr) return config;
  auto uri = server->CreateDatabase(absl::StrCat("indicators_", ++databases));
  EXPECT_TRUE(uri.ok()) << uri.status();
  if (uri.ok()) config.url = *uri;
  return config;
}

}  // namespace crvs::reconcile::indicators::testing
