#!/usr/bin/env python3
"""A hospital's client of crvs-sync, in Python (grpcio): submit a death notice, read the receipt
until the civil-status database has it, pull the final outcomes, and see how an invalid record
is answered.

    python3 -m grpc_tools.protoc -I proto -I <site-packages> \\
        --python_out=gen --grpc_python_out=gen <the .proto files>     # see README.md
    PYTHONPATH=gen python3 crvs_example_client.py --gateway 127.0.0.1:50051 \\
        --principal facility:BV01002                                  # crvs dev (plaintext)
    ... --ca ca.crt --cert facility-BV01002.crt --key facility-BV01002.key  # mutual TLS

Exit 0 when every step answered as docs/api-guide.md says, 1 otherwise.
"""
import argparse
import sys
import time
import uuid

import grpc
from google.rpc import error_details_pb2, status_pb2

from crvs.common.v1 import types_pb2
from crvs.ingest.v1 import health_ingest_pb2_grpc, receipt_pb2
from crvs.ingest.v1 import health_ingest_pb2
from crvs.records.v1 import death_notice_pb2, envelope_pb2

State = receipt_pb2.ReceiptState


def death_notice(facility, notice_no):
    """A valid notice: the fields BRIEF §3 requires, an ICD-10 certified underlying cause."""
    d = death_notice_pb2.DeathNotice()
    d.key.facility_code = facility
    d.key.notice_no = notice_no
    p = d.deceased
    p.personal_id.number = "001052003456"  # Hà Nội (001), male born in the 1900s (0), 1952
    p.full_name = "Hoàng Văn Tư"
    p.sex = types_pb2.SEX_MALE
    p.date_of_birth.year, p.date_of_birth.month, p.date_of_birth.day = 1952, 5, 17
    p.residence.province_code = "01"
    p.residence.commune_code = "00004"
    d.died_at.instant.FromJsonString("2026-10-25T14:10:00Z")
    d.died_at.utc_offset_minutes = 420  # Vietnam
    d.place_of_death.in_facility = True
    d.place_of_death.facility.facility_code = facility
    d.place_of_death.commune_code = "00004"
    for role, text, code in [(death_notice_pb2.CAUSE_ROLE_IMMEDIATE, "Cardiogenic shock", "R57.0"),
                             (death_notice_pb2.CAUSE_ROLE_UNDERLYING, "Acute myocardial infarction",
                              "I21.9")]:
        line = d.cause_of_death.chain.add()
        line.role, line.description, line.icd10_code = role, text, code
    d.manner_of_death = death_notice_pb2.MANNER_OF_DEATH_NATURAL
    d.certifier.full_name = "BS. Vũ Quang Huy"
    d.issued_at.FromJsonString("2026-10-25T16:00:00Z")
    return d


def channel(args):
    if not args.ca:
        return grpc.insecure_channel(args.gateway), [("crvs-principal", args.principal)]
    read = lambda path: open(path, "rb").read()
    creds = grpc.ssl_channel_credentials(read(args.ca), read(args.key), read(args.cert))
    return grpc.secure_channel(args.gateway, creds), []  # the certificate names the caller


def rich_status(error):
    """The google.rpc.Status a failed call carries in its trailing metadata."""
    status = status_pb2.Status()
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status.ParseFromString(value)
    return status


def violations(status):
    """The field violations of a google.rpc.Status (its BadRequest details): a failed call's,
    or a receipt's `error` (a FAILED or REJECTED receipt of SubmitStream)."""
    out = []
    for detail in status.details:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            out += [(v.field, v.description) for v in bad.field_violations]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gateway", default="127.0.0.1:50051", help="host:port of the gateway")
    ap.add_argument("--principal", default="facility:BV01002",
                    help="who you are on a plaintext development gateway (crvs dev)")
    ap.add_argument("--ca", help="the deployment's CA certificate (PEM): mutual TLS")
    ap.add_argument("--cert", help="your client certificate (PEM)")
    ap.add_argument("--key", help="its private key (PEM)")
    args = ap.parse_args()
    facility = args.principal.split(":", 1)[1]
    ch, metadata = channel(args)
    stub = health_ingest_pb2_grpc.HealthIngestStub(ch)
    ok = True

    def expect(what, good):
        nonlocal ok
        print(("ok    " if good else "WRONG ") + what)
        ok = ok and good

    # 1. Submit. The message_id is yours: keep it with the record, and retry with the same one.
    message_id = "py-" + uuid.uuid4().hex
    request = health_ingest_pb2.IngestRequest(
        message_id=message_id, action=envelope_pb2.ACTION_SUBMIT,
        death_notice=death_notice(facility, "GBT-PY-" + message_id[-8:]))
    receipt = stub.Submit(request, metadata=metadata, timeout=20)
    expect(f"submit: {State.Name(receipt.state)} {receipt.business_key}",
           receipt.state in (State.RECEIPT_STATE_ACCEPTED, State.RECEIPT_STATE_COMMITTED))

    # 2. The same message again (a retry after a lost answer): nothing new, the same receipt.
    again = stub.Submit(request, metadata=metadata, timeout=20)
    expect(f"retry: duplicate={again.duplicate}", again.duplicate and
           again.business_key == receipt.business_key)

    # 3. Until the database has it: COMMITTED is final.
    deadline = time.time() + 30
    while receipt.state != State.RECEIPT_STATE_COMMITTED and time.time() < deadline:
        time.sleep(0.2)
        receipt = stub.GetReceipt(receipt_pb2.GetReceiptRequest(message_id=message_id),
                                  metadata=metadata, timeout=10)
    expect(f"get receipt: {State.Name(receipt.state)} version {receipt.version}",
           receipt.state == State.RECEIPT_STATE_COMMITTED and receipt.version == 1)

    # 4. Final outcomes, pulled in order with a cursor (keep the cursor between runs).
    cursor, seen = "", None
    while seen is None:
        page = stub.PullOutcomes(receipt_pb2.PullOutcomesRequest(after=cursor, max_outcomes=1000),
                                 metadata=metadata, timeout=10)
        seen = next((o for o in page.outcomes if o.message_id == message_id), None)
        if not page.outcomes:
            break
        cursor = page.cursor
    expect(f"pull outcomes: {State.Name(seen.state) if seen else 'not found'}",
           seen is not None and seen.state == State.RECEIPT_STATE_COMMITTED)

    # 5. An invalid record: Submit fails with INVALID_ARGUMENT, and the rich error model
    # (google.rpc.Status in the trailing metadata) names every bad field by its path in the
    # request. Nothing was produced: fix the record, send it with a new message_id.
    bad = health_ingest_pb2.IngestRequest()
    bad.CopyFrom(request)
    bad.message_id = "py-" + uuid.uuid4().hex
    bad.death_notice.key.notice_no += "-BAD"
    bad.death_notice.deceased.personal_id.number = "00105200345"  # 11 digits
    try:
        stub.Submit(bad, metadata=metadata, timeout=20)
        expect("invalid: accepted", False)
    except grpc.RpcError as e:
        fields = violations(rich_status(e))
        expect(f"invalid: {e.code().name} {fields}",
               e.code() == grpc.StatusCode.INVALID_ARGUMENT and
               any(f == "death_notice.deceased.personal_id.number" for f, _ in fields))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
