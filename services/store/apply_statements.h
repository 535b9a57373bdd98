// The statements the sink's batch writes with (apply.cc), shared with the same-rows probe
// (raw_upsert_probe.h) so that the database's ceiling is measured on exactly these statements.
// Each is the head and tail of a sql::BulkStatement.
#pragma once

#include "services/store/sql.h"

namespace crvs::store::statements {

inline const sql::BulkStatement kInsertVersions{
    "INSERT INTO record_versions (business_key, version, action, reason, content_hash, "
    "message_id, source, issued_at_us, received_at_us, committed_at_us, kafka_topic, "
    "kafka_partition, kafka_offset, envelope, txn) VALUES ",
    15, ""};

inline const sql::BulkStatement kUpsertRecords{
    "INSERT INTO records (business_key, kind, state, state_detail, current_version, "
    "content_hash, source, issued_at_us, created_at_us, updated_at_us, source_sequence) "
    "VALUES ",
    11,
    " ON CONFLICT (business_key) DO UPDATE SET state = excluded.state, "
    "state_detail = excluded.state_detail, current_version = excluded.current_version, "
    "content_hash = excluded.content_hash, issued_at_us = excluded.issued_at_us, "
    "updated_at_us = excluded.updated_at_us, source_sequence = excluded.source_sequence"};

// A person new to the database; RETURNING names those that were (the others exist).
inline const sql::BulkStatement kInsertNewPersons{
    "INSERT INTO persons (personal_id, vital_status, date_of_death, marital_status, "
    "marital_since, evidence_keys, updated_at_us, facts) VALUES ",
    8, " ON CONFLICT (personal_id) DO NOTHING RETURNING personal_id"};

inline const sql::BulkStatement kUpsertPersons{
    "INSERT INTO persons (personal_id, vital_status, date_of_death, marital_status, "
    "marital_since, evidence_keys, updated_at_us, facts) VALUES ",
    8,
    " ON CONFLICT (personal_id) DO UPDATE SET vital_status = excluded.vital_status, "
    "date_of_death = excluded.date_of_death, marital_status = excluded.marital_status, "
    "marital_since = excluded.marital_since, evidence_keys = excluded.evidence_keys, "
    "updated_at_us = excluded.updated_at_us, facts = excluded.facts"};

// Only offsets that move come back (a late or repeated commit moves none).
inline const sql::BulkStatement kUpsertOffsets{
    "INSERT INTO consumed_offsets (consumer_group, topic, kafka_partition, next_offset, "
    "updated_at_us, last_fingerprint) VALUES ",
    6,
    " ON CONFLICT (consumer_group, topic, kafka_partition) DO UPDATE SET "
    "next_offset = excluded.next_offset, updated_at_us = excluded.updated_at_us, "
    "last_fingerprint = excluded.last_fingerprint "
    "WHERE excluded.next_offset > consumed_offsets.next_offset "
    "RETURNING topic, kafka_partition, next_offset"};

}  // namespace crvs::store::statements
