// A hospital's client of crvs-sync in Java (grpc-java): submit a death notice, read the receipt
// until the civil-status database has it, pull the final outcomes, and see how an invalid record
// is answered. The same steps as examples/clients/python/crvs_example_client.py.
//
//   mvn -q package                                   # target/crvs-example-client.jar
//   java -jar target/crvs-example-client.jar --gateway 127.0.0.1:50051 --principal facility:BV01002
//   ... --ca ca.crt --cert facility-BV01002.crt --key facility-BV01002.key    # mutual TLS
//
// Exit 0 when every step answered as docs/api-guide.md says, 1 otherwise.
package vn.crvs.example;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import com.google.rpc.BadRequest;
import crvs.common.v1.Types.DateTime;
import crvs.common.v1.Types.LocalDate;
import crvs.common.v1.Types.Sex;
import crvs.ingest.v1.HealthIngestGrpc;
import crvs.ingest.v1.HealthIngestOuterClass.IngestRequest;
import crvs.ingest.v1.ReceiptOuterClass.GetReceiptRequest;
import crvs.ingest.v1.ReceiptOuterClass.PullOutcomesRequest;
import crvs.ingest.v1.ReceiptOuterClass.PullOutcomesResponse;
import crvs.ingest.v1.ReceiptOuterClass.Receipt;
import crvs.ingest.v1.ReceiptOuterClass.ReceiptState;
import crvs.records.v1.DeathNoticeOuterClass.CauseLine;
import crvs.records.v1.DeathNoticeOuterClass.CauseRole;
import crvs.records.v1.DeathNoticeOuterClass.DeathNotice;
import crvs.records.v1.DeathNoticeOuterClass.MannerOfDeath;
import crvs.records.v1.Envelope.Action;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.MetadataUtils;
import java.io.File;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

public final class Client {
  private boolean ok = true;

  private void expect(String what, boolean good) {
    System.out.println((good ? "ok    " : "WRONG ") + what);
    ok &= good;
  }

  static Timestamp utc(String rfc3339) {
    Instant t = Instant.parse(rfc3339);
    return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
  }

  /** A valid notice: the fields BRIEF §3 requires, an ICD-10 certified underlying cause. */
  static DeathNotice deathNotice(String facility, String noticeNo) {
    DeathNotice.Builder d = DeathNotice.newBuilder();
    d.getKeyBuilder().setFacilityCode(facility).setNoticeNo(noticeNo);
    d.getDeceasedBuilder()
        .setFullName("Hoàng Văn Tư")
        .setSex(Sex.SEX_MALE)
        .setDateOfBirth(LocalDate.newBuilder().setYear(1952).setMonth(5).setDay(17));
    // Hà Nội (001), male born in the 1900s (0), 1952.
    d.getDeceasedBuilder().getPersonalIdBuilder().setNumber("001052003456");
    d.getDeceasedBuilder().getResidenceBuilder().setProvinceCode("01").setCommuneCode("00004");
    d.setDiedAt(DateTime.newBuilder()
        .setInstant(utc("2026-10-25T14:10:00Z"))
        .setUtcOffsetMinutes(420));  // Vietnam
    d.getPlaceOfDeathBuilder().setInFacility(true).setCommuneCode("00004")
        .getFacilityBuilder().setFacilityCode(facility);
    d.getCauseOfDeathBuilder()
        .addChain(CauseLine.newBuilder().setRole(CauseRole.CAUSE_ROLE_IMMEDIATE)
            .setDescription("Cardiogenic shock").setIcd10Code("R57.0"))
        .addChain(CauseLine.newBuilder().setRole(CauseRole.CAUSE_ROLE_UNDERLYING)
            .setDescription("Acute myocardial infarction").setIcd10Code("I21.9"));
    d.setMannerOfDeath(MannerOfDeath.MANNER_OF_DEATH_NATURAL);
    d.getCertifierBuilder().setFullName("BS. Vũ Quang Huy");
    d.setIssuedAt(utc("2026-10-25T16:00:00Z"));
    return d.build();
  }

  /** The field violations (BadRequest details) of a failed call's google.rpc.Status. */
  static List<String> violations(StatusRuntimeException e) throws InvalidProtocolBufferException {
    List<String> out = new ArrayList<>();
    com.google.rpc.Status status = StatusProto.fromThrowable(e);
    if (status == null) return out;
    for (Any detail : status.getDetailsList()) {
      if (!detail.is(BadRequest.class)) continue;
      for (BadRequest.FieldViolation v : detail.unpack(BadRequest.class).getFieldViolationsList()) {
        out.add(v.getField() + ": " + v.getDescription());
      }
    }
    return out;
  }

  int run(Map<String, String> args) throws Exception {
    String principal = args.getOrDefault("--principal", "facility:BV01002");
    String facility = principal.substring(principal.indexOf(':') + 1);
    ChannelCredentials credentials = InsecureChannelCredentials.create();
    Metadata metadata = new Metadata();
    if (args.containsKey("--ca")) {  // mutual TLS: the certificate names the caller
      credentials = TlsChannelCredentials.newBuilder()
          .trustManager(new File(args.get("--ca")))
          .keyManager(new File(args.get("--cert")), new File(args.get("--key")))
          .build();
    } else {  // a plaintext development gateway (crvs dev): name yourself
      metadata.put(Metadata.Key.of("crvs-principal", Metadata.ASCII_STRING_MARSHALLER), principal);
    }
    ManagedChannel channel =
        Grpc.newChannelBuilder(args.getOrDefault("--gateway", "127.0.0.1:50051"), credentials)
            .build();
    HealthIngestGrpc.HealthIngestBlockingStub stub = HealthIngestGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata));
    try {
      // 1. Submit. The message_id is yours: keep it with the record, retry with the same one.
      String messageId = "java-" + UUID.randomUUID();
      IngestRequest request = IngestRequest.newBuilder()
          .setMessageId(messageId)
          .setAction(Action.ACTION_SUBMIT)
          .setDeathNotice(deathNotice(facility, "GBT-JAVA-" + messageId.substring(5, 13)))
          .build();
      Receipt receipt = stub.withDeadlineAfter(20, TimeUnit.SECONDS).submit(request);
      expect("submit: " + receipt.getState() + " " + receipt.getBusinessKey(),
          receipt.getState() == ReceiptState.RECEIPT_STATE_ACCEPTED
              || receipt.getState() == ReceiptState.RECEIPT_STATE_COMMITTED);

      // 2. The same message again (a retry after a lost answer): the same receipt.
      Receipt again = stub.withDeadlineAfter(20, TimeUnit.SECONDS).submit(request);
      expect("retry: duplicate=" + again.getDuplicate(),
          again.getDuplicate() && again.getBusinessKey().equals(receipt.getBusinessKey()));

      // 3. Until the database has it: COMMITTED is final.
      long deadline = System.currentTimeMillis() + 30_000;
      while (receipt.getState() != ReceiptState.RECEIPT_STATE_COMMITTED
          && System.currentTimeMillis() < deadline) {
        Thread.sleep(200);
        receipt = stub.withDeadlineAfter(10, TimeUnit.SECONDS)
            .getReceipt(GetReceiptRequest.newBuilder().setMessageId(messageId).build());
      }
      expect("get receipt: " + receipt.getState() + " version " + receipt.getVersion(),
          receipt.getState() == ReceiptState.RECEIPT_STATE_COMMITTED && receipt.getVersion() == 1);

      // 4. Final outcomes, pulled in order with a cursor (keep the cursor between runs).
      String cursor = "";
      Receipt seen = null;
      while (seen == null) {
        PullOutcomesResponse page = stub.withDeadlineAfter(10, TimeUnit.SECONDS).pullOutcomes(
            PullOutcomesRequest.newBuilder().setAfter(cursor).setMaxOutcomes(1000).build());
        for (Receipt o : page.getOutcomesList()) {
          if (o.getMessageId().equals(messageId)) seen = o;
        }
        if (page.getOutcomesCount() == 0) break;
        cursor = page.getCursor();
      }
      expect("pull outcomes: " + (seen == null ? "not found" : seen.getState().toString()),
          seen != null && seen.getState() == ReceiptState.RECEIPT_STATE_COMMITTED);

      // 5. An invalid record: INVALID_ARGUMENT, every bad field named by its path in the request
      // (google.rpc.BadRequest in the rich status). Nothing was produced: fix, send anew.
      IngestRequest.Builder bad = request.toBuilder().setMessageId("java-" + UUID.randomUUID());
      bad.getDeathNoticeBuilder().getKeyBuilder().setNoticeNo(
          request.getDeathNotice().getKey().getNoticeNo() + "-BAD");
      bad.getDeathNoticeBuilder().getDeceasedBuilder().getPersonalIdBuilder()
          .setNumber("00105200345");  // 11 digits
      try {
        stub.withDeadlineAfter(20, TimeUnit.SECONDS).submit(bad.build());
        expect("invalid: accepted", false);
      } catch (StatusRuntimeException e) {
        List<String> fields = violations(e);
        expect("invalid: " + e.getStatus().getCode() + " " + fields,
            e.getStatus().getCode() == Status.Code.INVALID_ARGUMENT
                && fields.stream().anyMatch(
                    f -> f.startsWith("death_notice.deceased.personal_id.number:")));
      }
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    return ok ? 0 : 1;
  }

  public static void main(String[] argv) throws Exception {
    Map<String, String> args = new HashMap<>();
    for (int i = 0; i + 1 < argv.length; i += 2) args.put(argv[i], argv[i + 1]);
    System.exit(new Client().run(args));
  }
}
