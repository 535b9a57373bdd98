// The PostgreSQL test harness itself: a real server starts, takes connections over the unix
// socket and TCP, survives a restart with its data, and leaves nothing behind.
#include "tests/support/postgres_server.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <filesystem>

namespace crvs::testing {
namespace {

TEST(PostgresServerTest, StartsCreatesDatabaseRestartsAndCleansUp) {
  std::string dir;
  {
    auto server = PostgresServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    dir = (*server)->dir();
    EXPECT_TRUE(std::filesystem::exists(dir + "/data/PG_VERSION"));

    auto uri = (*server)->CreateDatabase("harness_test");
    ASSERT_TRUE(uri.ok()) << uri.status();
    EXPECT_NE(uri->find("harness_test"), std::string::npos);

    auto created =
        (*server)->Query("harness_test", "CREATE TABLE t (v int); INSERT INTO t VALUES (42)");
    ASSERT_TRUE(created.ok()) << created.status();

    ASSERT_TRUE((*server)->Restart().ok()) << (*server)->server_log();
    auto rows = (*server)->Query("harness_test", "SELECT v FROM t");
    ASSERT_TRUE(rows.ok()) << rows.status();
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ((*rows)[0][0], "42");

    ASSERT_TRUE((*server)->Stop().ok());
    EXPECT_FALSE((*server)->running());
    EXPECT_EQ((*server)->Query("harness_test", "SELECT 1").status().code(),
              absl::StatusCode::kUnavailable);
    ASSERT_TRUE((*server)->Restart().ok());
    PGconn* tcp = PQconnectdb((*server)->TcpUri("harness_test").c_str());
    EXPECT_EQ(PQstatus(tcp), CONNECTION_OK) << PQerrorMessage(tcp);
    PQfinish(tcp);
  }
  EXPECT_FALSE(std::filesystem::exists(dir)) << "temp dir left behind: " << dir;
}

TEST(PostgresServerTest, RejectsBadDatabaseName) {
  auto server = PostgresServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ((*server)->CreateDatabase("Bad-Name").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace crvs::testing
