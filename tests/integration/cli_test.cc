// The crvs binary as an operator meets it: --help, version, config errors, and the embedded
// broker answering a Kafka client we did not write (kcat).
#include <csignal>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/subprocess.h"

namespace crvs {
namespace {

using ::crvs::testing::RunProgram;
using ::crvs::testing::RunResult;
using ::crvs::testing::Subprocess;
using ::testing::HasSubstr;

const std::string kCrvs = CRVS_BINARY;

TEST(Cli, HelpListsSubcommands) {
  RunResult r = RunProgram({kCrvs, "--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("version"));
  EXPECT_THAT(r.out, HasSubstr("devbroker"));
  EXPECT_THAT(r.out, HasSubstr("crvs config describe"));
}

TEST(Cli, VersionNamesLibraries) {
  RunResult r = RunProgram({kCrvs, "version"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("crvs 0."));
  EXPECT_THAT(r.out, HasSubstr("librdkafka 2."));
}

TEST(Cli, UnknownKeyExitsTwoNamingTheKey) {
  RunResult r = RunProgram({kCrvs, "--set", "kafka.bootstrap=x:1", "config", "check"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown configuration key 'kafka.bootstrap'"));

  r = RunProgram({"env", "CRVS_KAFKA_PARTITIONS=3", kCrvs, "config", "check"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("CRVS_KAFKA_PARTITIONS"));
}

// Regression: `crvs config check` said OK for values the process then refused or mangled
// (stream_max_in_flight 0 hung every stream) and for reference files it could not read.
TEST(Cli, ConfigCheckRefusesWhatAComponentWouldRefuseNamingTheKey) {
  RunResult r = RunProgram({kCrvs, "--set", "gateway.rate_limit_per_second=-1", "--set",
                            "gateway.stream_max_in_flight=0", "--set",
                            "gateway.max_message_bytes=-5", "config", "check"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_THAT(r.err, HasSubstr("gateway.rate_limit_per_second: must not be negative"));
  EXPECT_THAT(r.err, HasSubstr("gateway.stream_max_in_flight: must be at least 1"));
  EXPECT_THAT(r.err, HasSubstr("gateway.max_message_bytes: must be at least 1024"));

  r = RunProgram({kCrvs, "--set", "reference.provinces_file=/nonexistent/provinces.csv",
                  "config", "check"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_THAT(r.err, HasSubstr("reference.provinces_file: /nonexistent/provinces.csv"));
  // The key it replaced is refused, naming the new one (a setting is never silently dropped).
  r = RunProgram({kCrvs, "--set", "gateway.reference_provinces_file=/x.csv", "config", "check"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_THAT(r.err, HasSubstr("'gateway.reference_provinces_file' is now 'reference.provinces_file'"));

  r = RunProgram({kCrvs, "config", "check"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "configuration OK\n");
}

// Regression: `crvs config check` said OK for a communes file `crvs dev` then refused. Every
// reconciliation reference file is read: missing or malformed, the error names file and line.
TEST(Cli, ConfigCheckReadsTheReconciliationReferenceFilesNamingFileAndLine) {
  const std::string dir = ::testing::TempDir();
  const std::string communes = dir + "/communes-bad.csv";
  ASSERT_EQ(RunProgram({"sh", "-c", "cat > " + communes},
                       "commune_code,province_code,name\n00004,01,Ba Đình\n0008,01,Ngọc Hà\n")
                .exit_code,
            0);
  RunResult r = RunProgram(
      {kCrvs, "--set", "reconcile.reference_communes_file=" + communes, "config", "check"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_THAT(r.err, HasSubstr(communes + ":3: commune_code: expected 5 digits, got \"0008\""));

  // A register of today replaced, the built-in pre-2025 mapping no longer fits it.
  const std::string small = dir + "/communes-small.csv";
  ASSERT_EQ(RunProgram({"sh", "-c", "cat > " + small},
                       "commune_code,province_code,name\n00004,01,Ba Đình\n")
                .exit_code,
            0);
  r = RunProgram({kCrvs, "--set", "reconcile.reference_communes_file=" + small, "config", "check"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_THAT(r.err, HasSubstr("deploy/reference/communes-before-2025.csv (built in):"));
  EXPECT_THAT(r.err, HasSubstr("is not in the register of communes"));

  for (const char* key : {"reconcile.reference_communes_file",
                          "reconcile.reference_communes_before_2025_file",
                          "reconcile.reference_sources_file"}) {
    r = RunProgram({kCrvs, "--set", std::string(key) + "=/nonexistent/x.csv", "config", "check"});
    EXPECT_EQ(r.exit_code, 2) << key;
    EXPECT_THAT(r.err, HasSubstr("/nonexistent/x.csv: cannot be read")) << key;
  }
}

TEST(Cli, ConfigDumpIsAValidConfigFile) {
  RunResult dump = RunProgram({kCrvs, "--set", "kafka.embedded_partitions=3", "config", "dump"});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  std::string path = ::testing::TempDir() + "/dumped.toml";
  ASSERT_EQ(RunProgram({"sh", "-c", "cat > " + path}, dump.out).exit_code, 0);
  RunResult again = RunProgram({kCrvs, "--config", path, "config", "dump"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, dump.out);
  EXPECT_THAT(again.out, HasSubstr("embedded_partitions = 3"));
}

TEST(Cli, DevbrokerServesKafkaProtocolToKcat) {
  Subprocess broker({kCrvs, "--set", "kafka.embedded_partitions=4", "devbroker"});
  std::string bootstrap = broker.ReadLine(15000);
  ASSERT_THAT(bootstrap, HasSubstr("127.0.0.1:"));

  RunResult meta = RunProgram({"kcat", "-b", bootstrap, "-L", "-t", "crvs.death-notices.v1"});
  ASSERT_EQ(meta.exit_code, 0) << meta.err;
  EXPECT_THAT(meta.out, HasSubstr("topic \"crvs.death-notices.v1\" with 4 partitions"));

  RunResult produce =
      RunProgram({"kcat", "-b", bootstrap, "-P", "-t", "crvs.death-notices.v1", "-K:", "-p", "0"},
          "k1:hello\n");
  ASSERT_EQ(produce.exit_code, 0) << produce.err;
  RunResult consume = RunProgram({"kcat", "-b", bootstrap, "-C", "-t", "crvs.death-notices.v1", "-p",
                           "0", "-o", "beginning", "-c", "1", "-e", "-f", "%k=%s\n"});
  ASSERT_EQ(consume.exit_code, 0) << consume.err;
  EXPECT_EQ(consume.out, "k1=hello\n");

  EXPECT_EQ(broker.Stop(SIGTERM), 0);
}

}  // namespace
}  // namespace crvs

namespace crvs {
namespace {

// Only `crvs dev` may run the embedded broker: a standalone service with no cluster configured
// stops at once naming the key, instead of serving a broker of its own that nothing else reads.
TEST(Cli, StandaloneServicesRefuseAnEmptyBootstrapNamingTheKey) {
  for (const char* service : {"gateway", "sink", "court-source", "reconcile", "admin"}) {
    RunResult r = RunProgram({"timeout", "20", kCrvs, service});
    EXPECT_EQ(r.exit_code, 2) << service << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr("kafka.bootstrap_servers: is empty")) << service;
    EXPECT_THAT(r.err, HasSubstr(std::string("`crvs ") + service + "`")) << service;
  }
  RunResult topics = RunProgram({kCrvs, "topics", "create"});
  EXPECT_EQ(topics.exit_code, 2) << topics.err;
  EXPECT_THAT(topics.err, HasSubstr("kafka.bootstrap_servers is empty"));
}

// deploy/crvs.example.toml must stay loadable and complete: a key removed or renamed in code
// makes it fail here, and a key added in code shows up as a difference.
TEST(Cli, ExampleConfigInDeployLoadsAndListsEveryKey) {
  std::string example = std::string(CRVS_SOURCE_DIR) + "/deploy/crvs.example.toml";
  RunResult check = RunProgram({kCrvs, "--config", example, "config", "check"});
  EXPECT_EQ(check.exit_code, 0) << check.err;
  RunResult dump = RunProgram({kCrvs, "config", "dump"});
  RunResult example_text = RunProgram({"sed", "-e", "1,/^$/d", example});
  EXPECT_EQ(example_text.out, dump.out) << "run scripts/example-config.sh to regenerate deploy/crvs.example.toml";
}

}  // namespace
}  // namespace crvs

namespace crvs {
namespace {

// `crvs document check` on the vendors' samples (docs/documents/samples/): Vietnamese by
// default, English with --lang en, exit 1 when a file has a problem, 2 for a usage error.
TEST(Cli, DocumentCheckReadsTheSamples) {
  const std::string samples = std::string(CRVS_SOURCE_DIR) + "/docs/documents/samples/";
  const std::string now = "--now=1796083200";  // expected.json's now_unix_seconds
  const std::string good = samples + "death_notice_valid.xml";
  const std::string bad = samples + "death_notice_bad_date_format.xml";

  RunResult r = RunProgram({kCrvs, "document", "check", now, good,
                            samples + "claims_table9_twins_valid.xml"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr(good + ": OK, 1 bản ghi (HSDLGBT)"));
  EXPECT_THAT(r.out, HasSubstr("claims_table9_twins_valid.xml: OK, 2 bản ghi (GIAMDINHHS)"));

  r = RunProgram({kCrvs, "document", "check", now, good, bad});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr(bad + ": GIAYBAOTU/NGAY_TV: Ngày giờ không đúng định dạng: cần "
                                     "yyyyMMddHHmm (12 chữ số"));

  r = RunProgram({kCrvs, "document", "check", "--lang", "en", now, bad});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr(bad + ": GIAYBAOTU/NGAY_TV: Date/time not in the expected form: "
                                     "yyyyMMddHHmm (12 digits"));

  r = RunProgram({kCrvs, "document", "check", "--type", "61", now, good});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("HSDLGBT: "));

  r = RunProgram({kCrvs, "document", "check", "--type", "62", good});
  EXPECT_EQ(r.exit_code, 2);
  r = RunProgram({kCrvs, "document", "check", "--lang", "fr", good});
  EXPECT_EQ(r.exit_code, 2);
  r = RunProgram({kCrvs, "document", "check"});
  EXPECT_EQ(r.exit_code, 2);

  r = RunProgram({kCrvs, "document", "check", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("GIAMDINHHS"));
}

}  // namespace
}  // namespace crvs
