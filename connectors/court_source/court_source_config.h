// Settings of `crvs court-source` ([court_source] section): where the court database's change
// stream is, how its decision rows map to canonical DivorceDecision records, and where re-sent
// rows are read from. README.md shows the default mapping with an example event.
#pragma once

#include <string>
#include <vector>

#include "services/platform/config.h"

namespace crvs::court_source {

// Which column of the court's decision table feeds which field of the canonical record. An
// empty column name means "the table has no such column": the field stays unset. Date columns
// accept io.debezium.time.Date (days since 1970-01-01) or "YYYY-MM-DD".
struct DecisionMappingConfig {
  std::string column_court_code = "court_code";
  std::string court_code;  // used when column_court_code is empty (a single court's database)
  std::string column_decision_no = "decision_no";
  std::string column_kind = "decision_type";
  std::vector<std::string> kind_values = {"BAN_AN=JUDGMENT",
                                          "CONG_NHAN_THUAN_TINH=CONSENSUAL_RECOGNITION",
                                          "HUY_KET_HON_TRAI_PHAP_LUAT=ANNULMENT"};
  std::string column_decision_date = "decision_date";
  std::string column_legal_effect_date = "effective_date";
  std::string column_set_aside_on = "set_aside_date";
  std::string column_set_aside_by = "set_aside_by_decision_no";
  std::string column_set_aside_reason = "set_aside_reason";
  std::string column_spouse_a_personal_id = "spouse1_personal_id";
  std::string column_spouse_a_full_name = "spouse1_full_name";
  std::string column_spouse_a_sex = "spouse1_sex";
  std::string column_spouse_a_date_of_birth = "spouse1_birth_date";
  std::string column_spouse_b_personal_id = "spouse2_personal_id";
  std::string column_spouse_b_full_name = "spouse2_full_name";
  std::string column_spouse_b_sex = "spouse2_sex";
  std::string column_spouse_b_date_of_birth = "spouse2_birth_date";
  std::vector<std::string> sex_values = {"M=MALE", "F=FEMALE", "1=MALE", "2=FEMALE"};
  std::string column_marriage_commune_code = "marriage_commune_code";
  std::string column_marriage_book = "marriage_book";
  std::string column_marriage_registration_no = "marriage_registration_no";
  std::string column_marriage_registered_on = "marriage_registered_on";
  std::string column_issued_at;  // empty: the change's commit time in the court database

  template <class V>
  void Visit(V& v) {
    v("column_court_code", column_court_code,
      "column holding the court code ([A-Z0-9]{2,16}); empty: every row is court_source.court_code");
    v("court_code", court_code, "the court of every row when column_court_code is empty");
    v("column_decision_no", column_decision_no, "column holding the decision number");
    v("column_kind", column_kind, "column holding the kind of ruling (mapped by kind_values)");
    v("kind_values", kind_values,
      "court value=kind pairs; kind is JUDGMENT, CONSENSUAL_RECOGNITION or ANNULMENT; any other "
      "value of the column is a MAPPING dead letter");
    v("column_decision_date", column_decision_date, "column: date of the decision");
    v("column_legal_effect_date", column_legal_effect_date,
      "column: date of legal effect (NULL while the decision is pending)");
    v("column_set_aside_on", column_set_aside_on,
      "column: date the decision was set aside on cassation/review (NULL if not)");
    v("column_set_aside_by", column_set_aside_by, "column: number of the setting-aside ruling");
    v("column_set_aside_reason", column_set_aside_reason, "column: grounds of the setting aside");
    v("column_spouse_a_personal_id", column_spouse_a_personal_id,
      "column: first spouse's 12-digit personal ID");
    v("column_spouse_a_full_name", column_spouse_a_full_name, "column: first spouse's full name");
    v("column_spouse_a_sex", column_spouse_a_sex, "column: first spouse's sex (mapped by sex_values)");
    v("column_spouse_a_date_of_birth", column_spouse_a_date_of_birth,
      "column: first spouse's date of birth");
    v("column_spouse_b_personal_id", column_spouse_b_personal_id,
      "column: second spouse's 12-digit personal ID");
    v("column_spouse_b_full_name", column_spouse_b_full_name, "column: second spouse's full name");
    v("column_spouse_b_sex", column_spouse_b_sex, "column: second spouse's sex (mapped by sex_values)");
    v("column_spouse_b_date_of_birth", column_spouse_b_date_of_birth,
      "column: second spouse's date of birth");
    v("sex_values", sex_values,
      "court value=sex pairs; sex is MALE, FEMALE or UNDETERMINED; NULL means not recorded");
    v("column_marriage_commune_code", column_marriage_commune_code,
      "column: 5-digit commune code of the office that registered the marriage");
    v("column_marriage_book", column_marriage_book, "column: marriage register book");
    v("column_marriage_registration_no", column_marriage_registration_no,
      "column: marriage registration number in the book");
    v("column_marriage_registered_on", column_marriage_registered_on,
      "column: date the marriage was registered");
    v("column_issued_at", column_issued_at,
      "column: when the court issued this version of the row (ISO 8601 with zone, or a Debezium "
      "Timestamp/MicroTimestamp/NanoTimestamp); empty: the change's commit time (source.ts_ms)");
  }
};

struct CourtSourceConfig {
  std::string input_topic = "court.cdc.decisions";
  std::string group_id = "crvs-court-source";
  int batch_max_records = 500;
  config::Duration batch_max_wait{50};
  config::Duration retry_initial_backoff{200};
  config::Duration retry_max_backoff{10000};
  config::Duration session_timeout{10000};
  std::string resend_source_file;
  std::string resend_position_column = "__lsn";
  std::string resend_time_column = "__source_ts_ms";
  std::string metrics_listen = "127.0.0.1:9469";
  DecisionMappingConfig mapping;

  template <class V>
  void Visit(V& v) {
    v("input_topic", input_topic,
      "Kafka topic of the court database's change stream (Debezium JSON, with or without schema)");
    v("group_id", group_id,
      "Kafka consumer group of the connector (change stream and re-send requests); instances "
      "sharing it split the partitions");
    v("batch_max_records", batch_max_records,
      "change events handled before their outputs are confirmed and the input offsets committed");
    v("batch_max_wait", batch_max_wait,
      "longest an input waits before its outputs are confirmed and its offset committed");
    v("retry_initial_backoff", retry_initial_backoff,
      "first wait before producing an undelivered output again (doubles each time)");
    v("retry_max_backoff", retry_max_backoff, "longest wait between delivery retries");
    v("session_timeout", session_timeout,
      "how soon a dead connector's partitions move to the others (Kafka session.timeout.ms; at "
      "least the brokers' group.min.session.timeout.ms, 6 s unless changed, or joining the "
      "group fails)");
    v("resend_source_file", resend_source_file,
      "NDJSON export of the court's decision table (one row per line, the change events' column "
      "names) from which re-send requests are served; empty: requests are left for the court");
    v("resend_position_column", resend_position_column,
      "column of the export holding each row's change-stream position (same unit as the stream: "
      "LSN, binlog position); rows without it are re-sent at position 1, below any change event");
    v("resend_time_column", resend_time_column,
      "column of the export holding the row's last commit time in ms since the epoch (like "
      "source.ts_ms); rows without it use the file's modification time");
    v("metrics_listen", metrics_listen,
      "host:port serving /metrics, /healthz and /readyz of `crvs court-source`");
    mapping.Visit(v);
  }
};

}  // namespace crvs::court_source
