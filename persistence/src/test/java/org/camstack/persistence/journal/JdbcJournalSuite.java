package org.camstack.persistence.journal;

import static org.camstack.persistence.journal.JournalTestSupport.ack;
import static org.camstack.persistence.journal.JournalTestSupport.ask;
import static org.camstack.persistence.journal.JournalTestSupport.host;
import static org.camstack.persistence.journal.JournalTestSupport.inspect;
import static org.camstack.persistence.journal.JournalTestSupport.startNode;
import static org.camstack.persistence.journal.JournalTestSupport.wwn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.camstack.persistence.audit.AuditWriter;
import org.camstack.persistence.audit.LifetimeAudit;
import org.camstack.persistence.audit.LifetimeEvent;
import org.camstack.persistence.audit.LifetimeListener;
import org.camstack.persistence.cli.CliRun;
import org.camstack.persistence.device.DeviceConfig;
import org.camstack.persistence.device.DeviceEntity;
import org.camstack.persistence.device.DeviceStates;
import org.camstack.persistence.device.FaultRule;
import org.camstack.persistence.device.UnitAttention;
import org.camstack.persistence.inspect.JournalInspector;
import org.camstack.persistence.wiring.HostWiringEntity;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * The persistence suite on a real JDBC journal: restart/recovery, snapshots, wiring, audit group
 * commit, and the journal inspector on a journal written by the real entities. Run against H2
 * ({@link H2JournalTest}) and PostgreSQL ({@link PostgresJournalTest}).
 *
 * <p>The node writes every history once ({@link #writeHistories()}); each test reads what it
 * needs, so tests do not depend on each other's order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
abstract class JdbcJournalSuite {

  /** The journal under test. */
  abstract JournalConfig journal();

  /** Inspector options that point at {@link #journal()}. */
  abstract List<String> dbArgs();

  /** Lifetime events per second the audit trail must sustain on this database. */

  private ActorTestKit node;

  // one clean history and one history per deliberate breach
  final String devA = wwn("a");
  final String devB = wwn("b");
  final String clean = host("clean");
  final String reuse = host("reuse");
  final String dupName = host("dupname");
  final String incomplete = host("incomplete");
  final String undecodable = wwn("bad");

  @BeforeAll
  void start() {
    node = startNode(getClass().getSimpleName(), journal());
    writeHistories();
  }

  @AfterAll
  void stop() {
    if (node != null) {
      node.shutdownTestKit();
    }
  }

  CliRun journal(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(1, dbArgs());
    return inspect(all.toArray(String[]::new));
  }

  // Histories ------------------------------------------------------------------------------------

  private void writeHistories() {
    var a = node.spawn(DeviceEntity.create(devA));
    var b = node.spawn(DeviceEntity.create(devB));
    ack(node, a, rt -> new DeviceEntity.Create(DeviceConfig.disk(0, 1, 0, "SA", 2048, 512), rt));
    ack(node, b, rt -> new DeviceEntity.Create(DeviceConfig.disk(0, 2, 0, "SB", 2048, 512), rt));

    ActorRef<AuditWriter.Command> cleanWriter = node.spawn(AuditWriter.create(clean));
    LifetimeListener lj = LifetimeListener.journal(cleanWriter);
    lj.stackStarted("boot-" + clean);
    ack(node, a, DeviceEntity.Plug::new);
    attach(lj, "da", 0, 1, devA, "scbus0:1:0");
    attach(lj, "pass", 0, 1, devA, "scbus0:1:0");
    ack(node, b, DeviceEntity.Plug::new);
    attach(lj, "da", 1, 1, devB, "scbus0:2:0");
    lj.aliasAdded("da", 1, 1, devB, "diskid/DISK-SB", "da1");
    flush(cleanWriter); // the timeline orders by journal write: keep device and trail in step
    // hot-unplug of B, then it comes back under the same unit (a new generation)
    ack(node, b, rt -> new DeviceEntity.Unplug("yanked", rt));
    detach(lj, "da", 1, 1, devB);
    flush(cleanWriter);
    ack(node, b, DeviceEntity.Plug::new);
    attach(lj, "da", 1, 2, devB, "scbus0:2:0");
    flush(cleanWriter);

    // a unit reused before UnitFreed
    ActorRef<AuditWriter.Command> w = node.spawn(AuditWriter.create(reuse));
    lj = LifetimeListener.journal(w);
    attach(lj, "pass", 3, 1, devA, "scbus0:1:0");
    lj.periphInvalidated("pass", 3, 1, devA, "AC_LOST_DEVICE");
    lj.nodeDestroyRequested("pass", 3, 1, devA, "pass3");
    lj.periphRegistered("pass", 3, 2, devB, "scbus0:2:0"); // seq 5, before NodeGone/UnitFreed
    flush(w);

    // the 2012 bug: unit freed before devfs is done; the next pass3 collides with the old node
    w = node.spawn(AuditWriter.create(dupName));
    lj = LifetimeListener.journal(w);
    attach(lj, "pass", 3, 1, devA, "scbus0:1:0");
    lj.periphInvalidated("pass", 3, 1, devA, "AC_LOST_DEVICE");
    lj.nodeDestroyRequested("pass", 3, 1, devA, "pass3");
    lj.destructorRun("pass", 3, 1, devA);
    lj.unitFreed("pass", 3, 1, devA);
    attach(lj, "pass", 3, 2, devB, "scbus0:2:0");
    lj.nodeGone("pass", 3, 1, devA, "pass3");
    flush(w);

    // an invalidation never followed by NodeGone / UnitFreed
    w = node.spawn(AuditWriter.create(incomplete));
    lj = LifetimeListener.journal(w);
    attach(lj, "ses", 0, 1, devA, "scbus1:0:0");
    lj.periphInvalidated("ses", 0, 1, devA, "AC_LOST_DEVICE");
    lj.nodeDestroyRequested("ses", 0, 1, devA, "ses0");
    flush(w);

    insertUndecodableRows();
  }

  private static void attach(
      LifetimeListener lj, String driver, int unit, long gen, String dev, String path) {
    lj.periphRegistered(driver, unit, gen, dev, path);
    lj.devfsNodeCreated(driver, unit, gen, dev, driver + unit);
  }

  private static void detach(LifetimeListener lj, String driver, int unit, long gen, String dev) {
    lj.periphInvalidated(driver, unit, gen, dev, "AC_LOST_DEVICE");
    lj.nodeDestroyRequested(driver, unit, gen, dev, driver + unit);
    lj.nodeGone(driver, unit, gen, dev, driver + unit);
    lj.destructorRun(driver, unit, gen, dev);
    lj.unitFreed(driver, unit, gen, dev);
  }

  private long flush(ActorRef<AuditWriter.Command> writer) {
    TestProbe<StatusReply<Long>> p = node.createTestProbe();
    writer.tell(new AuditWriter.Flush(p.getRef()));
    StatusReply<Long> r = p.receiveMessage(Duration.ofSeconds(30));
    return r.getValue();
  }

  /** A corrupt JSON payload and a payload of an unknown serializer, written behind Pekko's back. */
  private void insertUndecodableRows() {
    String pid = DeviceEntity.ENTITY_TYPE + "|" + undecodable;
    String sql =
        "INSERT INTO \"event_journal\" (\"persistence_id\", \"sequence_number\", \"deleted\","
            + " \"writer\", \"write_timestamp\", \"adapter_manifest\", \"event_payload\","
            + " \"event_ser_id\", \"event_ser_manifest\") VALUES (?, ?, FALSE, 'test', ?, '', ?, ?, ?)";
    try (Connection c =
            DriverManager.getConnection(journal().url(), journal().user(), journal().password());
        PreparedStatement st = c.prepareStatement(sql)) {
      insert(st, pid, 1, "{\"config\": [broken".getBytes(StandardCharsets.UTF_8), 31,
          DeviceEntity.DeviceCreated.class.getName());
      insert(st, pid, 2, new byte[] {0x0a, 0x03, 0x66, 0x6f, 0x6f}, 2, "com.example.ProtoEvent");
      insert(st, pid, 3, "{}".getBytes(StandardCharsets.UTF_8), 31,
          DeviceEntity.DevicePlugged.class.getName());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static void insert(
      PreparedStatement st, String pid, long seq, byte[] payload, int serId, String manifest)
      throws Exception {
    st.setString(1, pid);
    st.setLong(2, seq);
    st.setLong(3, System.currentTimeMillis());
    st.setBytes(4, payload);
    st.setInt(5, serId);
    st.setString(6, manifest);
    st.executeUpdate();
  }

  // Restart and recovery -------------------------------------------------------------------------

  @Test
  void devicesWiringAndTheAuditTrailSurviveARestart() throws Exception {
    String dev = wwn("restart");
    String hostId = host("restart");
    ActorTestKit first = startNode(getClass().getSimpleName() + "-first", journal());
    DeviceEntity.State before;
    int unit;
    long auditSeq;
    try {
      var d = first.spawn(DeviceEntity.create(dev, 5));
      ack(first, d, rt -> new DeviceEntity.Create(DeviceConfig.disk(0, 4, 0, "SR", 2048, 512), rt));
      ack(first, d, DeviceEntity.Plug::new);
      ack(first, d, rt -> new DeviceEntity.Reserve("iqn.a", rt));
      ack(first, d, rt -> new DeviceEntity.PrRegister("iqn.a", 0xa1L, rt));
      ack(first, d, rt -> new DeviceEntity.PrRegister("iqn.b", 0xb2L, rt));
      ack(first, d, rt -> new DeviceEntity.PrReserve("iqn.b", 0xb2L, 5, rt));
      ack(first, d, rt -> new DeviceEntity.AddFaultRule(
          new FaultRule("r1", "error", "read", 10, 20, true, "f000030000"), rt));
      ack(first, d, rt -> new DeviceEntity.SetDelay("write", 250, rt));
      ack(first, d, rt -> new DeviceEntity.ChangeModePage(8, 0, "0812a4", rt));
      ack(first, d, DeviceEntity.StopUnit::new);
      UnitAttention ua =
          ask(first, d, rt -> new DeviceEntity.PostUnitAttention("iqn.a", 0x29, 0, "power on", rt));
      assertEquals(1, ua.id());
      before = ask(first, d, DeviceEntity.Get::new);

      var wiring = first.spawn(HostWiringEntity.create(hostId));
      ack(first, wiring, rt -> new HostWiringEntity.Wire(wwn("w0"), "da", 0, rt));
      unit = ask(first, wiring, rt -> new HostWiringEntity.AssignUnit(dev, "da", Set.of(), rt));
      assertEquals(1, unit);

      ActorRef<AuditWriter.Command> audit = first.spawn(AuditWriter.create(hostId));
      LifetimeListener.journal(audit).stackStarted("boot-1");
      attach(LifetimeListener.journal(audit), "da", unit, 1, dev, "scbus0:4:0");
      TestProbe<StatusReply<Long>> p = first.createTestProbe();
      audit.tell(new AuditWriter.Flush(p.getRef()));
      StatusReply<Long> flushed = p.receiveMessage(Duration.ofSeconds(30));
      auditSeq = flushed.getValue();
      // recorded but not flushed: an orderly shutdown writes them (CoordinatedShutdown task)
      LifetimeListener.journal(audit).periphInvalidated("da", unit, 1, dev, "shutdown");
      LifetimeListener.journal(audit).nodeDestroyRequested("da", unit, 1, dev, "da" + unit);
      auditSeq += 2;
    } finally {
      first.shutdownTestKit();
    }
    assertTrue(snapshots(DeviceEntity.persistenceId(dev).id()) > 0, "a snapshot was written");

    ActorTestKit second = startNode(getClass().getSimpleName() + "-second", journal());
    try {
      // the bulk path (snapshot + later events, two queries) agrees with the entity's recovery
      var bulk = DeviceStates.read(second.system(), List.of(dev, wwn("never")))
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertEquals(before, bulk.get(dev));
      assertInstanceOf(DeviceEntity.Unconfigured.class, bulk.get(wwn("never")));
      var d = second.spawn(DeviceEntity.create(dev, 5));
      DeviceEntity.State after = ask(second, d, DeviceEntity.Get::new);
      assertEquals(before, after);
      var s = assertInstanceOf(DeviceEntity.Configured.class, after);
      assertEquals("iqn.a", s.reservations().holder());
      assertEquals("iqn.b", s.reservations().prHolder());
      assertEquals(1, s.unitAttentions().size(), "the pending UA is still reported");

      var wiring = second.spawn(HostWiringEntity.create(hostId));
      int again = ask(second, wiring, rt -> new HostWiringEntity.AssignUnit(dev, "da", Set.of(), rt));
      assertEquals(unit, again);
      int fresh =
          ask(second, wiring, rt -> new HostWiringEntity.AssignUnit(wwn("new"), "da", Set.of(), rt));
      assertEquals(2, fresh);

      var audit = second.spawn(LifetimeAudit.create(hostId));
      long seqAfter = ask(second, audit, LifetimeAudit.GetSeqNr::new);
      assertEquals(auditSeq, seqAfter);
    } finally {
      second.shutdownTestKit();
    }
  }

  /**
   * The bulk read (issue 15) over one chunk that mixes a device with snapshots (its state is the
   * latest snapshot plus the events after it), a device without, a key that is bound as a
   * parameter rather than written as a literal (a quote in it) and an unknown key: each state
   * equals the entity's own answer and the fold of the device's full history.
   */
  @Test
  void theBulkReadOfSnapshotPlusTailEqualsTheFullHistory() throws Exception {
    String snap = wwn("bulk-snap");
    String plain = wwn("bulk-plain");
    String quoted = wwn("bulk-it's");
    String unknown = wwn("bulk-never");
    var s = node.spawn(DeviceEntity.create(snap, 3));
    ack(node, s, rt -> new DeviceEntity.Create(DeviceConfig.disk(0, 5, 0, "SNAP", 2048, 512), rt));
    for (int i = 0; i < 4; i++) {
      ack(node, s, DeviceEntity.Plug::new);
      ack(node, s, rt -> new DeviceEntity.Unplug("cycle", rt));
    }
    ack(node, s, DeviceEntity.Plug::new);
    ack(node, s, rt -> new DeviceEntity.ChangeCapacity(4096, 0, rt));
    ack(node, s, rt -> new DeviceEntity.Unplug("last", rt)); // 13 events: a tail after the snapshot at 12
    var p = node.spawn(DeviceEntity.create(plain, 100));
    ack(node, p, rt -> new DeviceEntity.Create(DeviceConfig.disk(0, 6, 0, "PLAIN", 2048, 512), rt));
    ack(node, p, DeviceEntity.Plug::new);
    var q = node.spawn(DeviceEntity.create(quoted, 100));
    ack(node, q, rt -> new DeviceEntity.Create(DeviceConfig.disk(0, 7, 0, "QUOTE", 2048, 512), rt));
    var expected = new java.util.HashMap<String, DeviceEntity.State>();
    expected.put(snap, ask(node, s, DeviceEntity.Get::new));
    expected.put(plain, ask(node, p, DeviceEntity.Get::new));
    expected.put(quoted, ask(node, q, DeviceEntity.Get::new));
    assertTrue(snapshots(DeviceEntity.persistenceId(snap).id()) > 0, "a snapshot was written");
    assertTrue(maxSeq("event_journal", snap) > maxSeq("snapshot", snap), "events after the latest snapshot");
    assertEquals(0, snapshots(DeviceEntity.persistenceId(plain).id()));

    var bulk = DeviceStates.read(node.system(), List.of(snap, plain, quoted, unknown))
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertInstanceOf(DeviceEntity.Unconfigured.class, bulk.get(unknown));
    for (var e : expected.entrySet()) {
      assertEquals(e.getValue(), bulk.get(e.getKey()), e.getKey());
      assertEquals(e.getValue(), foldFullHistory(e.getKey()), e.getKey());
    }
    assertEquals(4096, ((DeviceEntity.Configured) bulk.get(snap)).blocks());
  }

  private long maxSeq(String table, String key) throws Exception {
    try (Connection c =
            DriverManager.getConnection(journal().url(), journal().user(), journal().password());
        PreparedStatement ps = c.prepareStatement(
            "SELECT MAX(\"sequence_number\") FROM \"" + table + "\" WHERE \"persistence_id\" = ?")) {
      ps.setString(1, DeviceEntity.persistenceId(key).id());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** Every event of the device, decoded and folded from the start (no snapshot). */
  private DeviceEntity.State foldFullHistory(String key) throws Exception {
    var ser = org.apache.pekko.serialization.SerializationExtension.get(node.system().classicSystem());
    var handler = ((DeviceEntity) DeviceEntity.create(key)).eventHandler();
    DeviceEntity.State st = new DeviceEntity.Unconfigured();
    try (Connection c =
            DriverManager.getConnection(journal().url(), journal().user(), journal().password());
        PreparedStatement ps = c.prepareStatement(
            "SELECT \"event_ser_id\", \"event_ser_manifest\", \"event_payload\" FROM \"event_journal\""
                + " WHERE \"persistence_id\" = ? ORDER BY \"sequence_number\"")) {
      ps.setString(1, DeviceEntity.persistenceId(key).id());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          st = handler.apply(st, (DeviceEntity.Event) ser.deserialize(rs.getBytes(3), rs.getInt(1), rs.getString(2)).get());
        }
      }
    }
    return st;
  }

  private long snapshots(String pid) throws Exception {
    try (Connection c =
            DriverManager.getConnection(journal().url(), journal().user(), journal().password());
        PreparedStatement st =
            c.prepareStatement("SELECT COUNT(*) FROM \"snapshot\" WHERE \"persistence_id\" = ?")) {
      st.setString(1, pid);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /**
   * The lifetime trail group-commits: a burst of 21,000 events is written exactly once, in far
   * fewer write rounds than events, and the result verifies clean. The rate it reaches is logged,
   * not asserted: speed goals live in bench/ ({@code ./camstack bench lifecycle}).
   */
  @Test
  void theAuditTrailGroupCommitsEveryEventExactlyOnce() {
    String hostId = host("rate");
    ActorRef<AuditWriter.Command> writer = node.spawn(AuditWriter.create(hostId));
    long seq = record(writer, lifecycles(0, 1_000)); // warm-up: recovery, pool, JIT
    List<LifetimeEvent> events = lifecycles(1_000, 3_000); // 21,000 events
    long start = System.nanoTime();
    long after = record(writer, events);
    double seconds = (System.nanoTime() - start) / 1e9;
    assertEquals(seq + events.size(), after, "every event written once");
    TestProbe<AuditWriter.Stats> stats = node.createTestProbe();
    writer.tell(new AuditWriter.GetStats(stats.getRef()));
    AuditWriter.Stats s = stats.receiveMessage();
    assertTrue(s.batches() < s.written() / 100, "group commit expected: " + s);
    assertEquals(0, s.dropped(), "nothing dropped: " + s);
    LoggerFactory.getLogger(getClass())
        .info("audit burst: {} events/s wall clock ({})", Math.round(events.size() / seconds), s);
    CliRun verify = journal("verify", "--host", hostId);
    assertEquals(0, verify.exit(), verify.out());

    // stored: one row per batch (at most MAX_EVENTS_PER_ROW events), every event once, in order
    List<LifetimeAudit.Batch> rows = batchRows(LifetimeAudit.persistenceId(hostId).id());
    List<LifetimeEvent> stored = new ArrayList<>();
    for (LifetimeAudit.Batch b : rows) {
      assertEquals(stored.size() + 1, b.firstSeqNr(), "rows number events contiguously");
      stored.addAll(b.events());
    }
    List<LifetimeEvent> all = new ArrayList<>(lifecycles(0, 1_000));
    all.addAll(events);
    assertEquals(all, stored, "every event round-trips through the journal, in order");
    int maxBatch = AuditWriter.Settings.from(node.system().settings().config()).maxBatch();
    int perRow = LifetimeAudit.MAX_EVENTS_PER_ROW;
    assertTrue(rows.size() <= s.batches() * ((maxBatch + perRow - 1) / perRow),
        rows.size() + " rows for " + s);
    assertTrue(rows.size() * 50L < all.size(), rows.size() + " rows for " + all.size() + " events");

    // a fresh incarnation recovers the count from the batch rows
    node.stop(writer);
    var audit = node.spawn(LifetimeAudit.create(hostId));
    long recovered = ask(node, audit, LifetimeAudit.GetSeqNr::new);
    assertEquals(all.size(), recovered);
    node.stop(audit);
  }

  /** A lifetime trail's rows, decoded: each must be a batch row (manifest {@code ...$Batch}). */
  private List<LifetimeAudit.Batch> batchRows(String pid) {
    var serialization = SerializationExtension.get(node.system());
    List<LifetimeAudit.Batch> out = new ArrayList<>();
    try (Connection c =
            DriverManager.getConnection(journal().url(), journal().user(), journal().password());
        PreparedStatement st =
            c.prepareStatement(
                "SELECT \"event_payload\", \"event_ser_id\", \"event_ser_manifest\" FROM \"event_journal\""
                    + " WHERE \"persistence_id\" = ? ORDER BY \"sequence_number\"")) {
      st.setString(1, pid);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          assertEquals(LifetimeAudit.Batch.class.getName(), rs.getString(3));
          out.add((LifetimeAudit.Batch) serialization.deserialize(rs.getBytes(1), rs.getInt(2), rs.getString(3)).get());
        }
      }
    } catch (java.sql.SQLException e) {
      throw new AssertionError(e);
    }
    return out;
  }

  // Old single-event rows and batch rows ---------------------------------------------------------

  /**
   * Writes {@code events} the way camstack wrote the trail before batch rows: one row per event,
   * {@code sequence_number} = the event's number, from {@code firstSeqNr}. Behind Pekko's back,
   * with Pekko's own serializer, so the bytes and manifests are what the journal held.
   */
  private void insertSingleEventRows(String hostId, long firstSeqNr, List<LifetimeEvent> events) {
    var serialization = SerializationExtension.get(node.system());
    String sql =
        "INSERT INTO \"event_journal\" (\"persistence_id\", \"sequence_number\", \"deleted\","
            + " \"writer\", \"write_timestamp\", \"adapter_manifest\", \"event_payload\","
            + " \"event_ser_id\", \"event_ser_manifest\") VALUES (?, ?, FALSE, 'before-batch-rows', ?, '', ?, ?, ?)";
    try (Connection c =
            DriverManager.getConnection(journal().url(), journal().user(), journal().password());
        PreparedStatement st = c.prepareStatement(sql)) {
      long seq = firstSeqNr;
      for (LifetimeEvent e : events) {
        var ser = serialization.findSerializerFor(e);
        st.setString(1, LifetimeAudit.persistenceId(hostId).id());
        st.setLong(2, seq++);
        st.setLong(3, System.currentTimeMillis());
        st.setBytes(4, ser.toBinary(e));
        st.setInt(5, ser.identifier());
        st.setString(6, Serializers.manifestFor(ser, e));
        st.addBatch();
      }
      st.executeBatch();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** Appends {@code events} to a host's trail in batches of the given sizes (batch rows). */
  private long appendInBatches(ActorRef<LifetimeAudit.Command> audit, long seq, List<LifetimeEvent> events, int... sizes) {
    int from = 0;
    for (int i = 0; from < events.size(); i++) {
      int to = Math.min(events.size(), from + sizes[i % sizes.length]);
      List<LifetimeEvent> batch = events.subList(from, to);
      long expected = seq;
      seq = ask(node, audit, rt -> new LifetimeAudit.Append(batch, expected, rt));
      assertEquals(expected + batch.size(), seq);
      from = to;
    }
    return seq;
  }

  /** The 2012 ordering (the dupName history) with fixed timestamps: breaches at seq 2,6 and 2,8. */
  private List<LifetimeEvent> legacyOrdering(String dev) {
    return List.of(
        new LifetimeEvent.PeriphRegistered("pass", 3, 1, dev, 1, "scbus0:1:0"),
        new LifetimeEvent.DevfsNodeCreated("pass", 3, 1, dev, 2, "pass3"),
        new LifetimeEvent.PeriphInvalidated("pass", 3, 1, dev, 3, "AC_LOST_DEVICE"),
        new LifetimeEvent.NodeDestroyRequested("pass", 3, 1, dev, 4, "pass3"),
        new LifetimeEvent.DestructorRun("pass", 3, 1, dev, 5),
        new LifetimeEvent.UnitFreed("pass", 3, 1, dev, 6),
        new LifetimeEvent.PeriphRegistered("pass", 3, 2, dev, 7, "scbus0:2:0"),
        new LifetimeEvent.DevfsNodeCreated("pass", 3, 2, dev, 8, "pass3"),
        new LifetimeEvent.NodeGone("pass", 3, 1, dev, 9, "pass3"));
  }

  /**
   * A journal written before batch rows (events 1-5, one row each) and continued after the
   * upgrade (events 6-7 and 8-9, one batch row each): the entity recovers from it, and every
   * reader shows events 1-9 in order, numbered as before, with a tail that cuts a batch row.
   */
  @Test
  void anOldJournalContinuedInBatchRowsRecoversAndReadsWithExactNumbering() {
    String hostId = host("mixed");
    String pid = LifetimeAudit.persistenceId(hostId).id();
    String dev = wwn("mixed");
    List<LifetimeEvent> events = legacyOrdering(dev);
    insertSingleEventRows(hostId, 1, events.subList(0, 5));
    var audit = node.spawn(LifetimeAudit.create(hostId));
    long recovered = ask(node, audit, LifetimeAudit.GetSeqNr::new);
    assertEquals(5L, recovered, "recovered from single-event rows");
    assertEquals(9L, appendInBatches(audit, 5, events.subList(5, 9), 2));
    node.stop(audit);
    var again = node.spawn(LifetimeAudit.create(hostId));
    long recoveredMixed = ask(node, again, LifetimeAudit.GetSeqNr::new);
    assertEquals(9L, recoveredMixed, "recovered from the mixed journal");
    node.stop(again);
    assertEquals(2, batchRowsAfter(pid, 5), "events 6-9 are two batch rows");

    List<String> names =
        List.of("PeriphRegistered", "DevfsNodeCreated", "PeriphInvalidated", "NodeDestroyRequested",
            "DestructorRun", "UnitFreed", "PeriphRegistered", "DevfsNodeCreated", "NodeGone");
    CliRun show = journal("show", pid);
    assertEquals(0, show.exit(), show.err());
    List<String> lines = show.out().lines().toList();
    assertEquals(2 + 9, lines.size(), show.out());
    for (int i = 0; i < 9; i++) {
      assertTrue(lines.get(2 + i).matches("\\s*" + (i + 1) + "\\s+\\S+ \\S+\\s+" + names.get(i) + "\\s.*"), lines.get(2 + i));
    }
    assertTrue(lines.get(2 + 8).contains("name=pass3"), lines.get(10));

    CliRun tail = journal("tail", "-n", "3");
    assertEquals(0, tail.exit(), tail.err());
    List<String> tl = tail.out().lines().toList();
    assertEquals(4, tl.size(), tail.out());
    for (int i = 0; i < 3; i++) {
      assertTrue(tl.get(1 + i).matches(".*" + java.util.regex.Pattern.quote(pid) + "\\s+" + (7 + i) + "\\s+" + names.get(6 + i) + "\\s.*"), tail.out());
    }

    CliRun export = journal("export", "--json", "--id", pid);
    assertEquals(0, export.exit(), export.err());
    List<String> exported = export.out().lines().toList();
    assertEquals(9, exported.size());
    ObjectMapper m = new ObjectMapper();
    try {
      for (int i = 0; i < 9; i++) {
        JsonNode o = m.readTree(exported.get(i));
        assertEquals(i + 1, o.get("seqNr").asLong());
        assertEquals(names.get(i), o.get("event").asText());
        assertEquals(LifetimeEvent.class.getName() + "$" + names.get(i), o.get("manifest").asText(),
            "an event of a batch row exports as a single-event row did");
        assertEquals(names.get(i), o.get("payload").get("type").asText());
      }
    } catch (Exception e) {
      throw new AssertionError(e);
    }

    CliRun ids = journal("ids");
    assertTrue(line(ids.out().lines().toList(), hostId).matches(".*\\s9\\s+9\\s+\\d{4}-.*"), ids.out());

    CliRun verify = journal("verify", "--host", hostId);
    assertEquals(1, verify.exit(), verify.out());
    assertTrue(verify.out().contains("BREACH unit-freed-early [" + pid + " seq 2,6]"), verify.out());
    assertTrue(verify.out().contains("BREACH duplicate-name [" + pid + " seq 2,8]"), verify.out());
  }

  private int batchRowsAfter(String pid, long seqNr) {
    try (Connection c =
            DriverManager.getConnection(journal().url(), journal().user(), journal().password());
        PreparedStatement st =
            c.prepareStatement(
                "SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = ?"
                    + " AND \"sequence_number\" > ? AND \"event_ser_manifest\" = ?")) {
      st.setString(1, pid);
      st.setLong(2, seqNr);
      st.setString(3, LifetimeAudit.Batch.class.getName());
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    } catch (java.sql.SQLException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * {@code journal verify} finds exactly the same breaches, at the same event numbers, in a trail
   * stored as batch rows as in the same trail stored one event per row: a seeded legacy-mode
   * history (2012 orderings: units freed before devfs is done, names reused, nodes never gone),
   * cut into batches of uneven sizes (one bigger than a row) so that breaches span row boundaries.
   */
  @Test
  void verifyFindsTheSameBreachesInBatchRowsAsInSingleEventRows() {
    List<LifetimeEvent> events = seededLegacyHistory(7, 500);
    String single = host("v-single");
    String batched = host("v-batched");
    insertSingleEventRows(single, 1, events);
    var audit = node.spawn(LifetimeAudit.create(batched));
    assertEquals((long) events.size(), appendInBatches(audit, 0, events, 1, 7, 300, 14, 2, 99));
    node.stop(audit);

    CliRun before = journal("verify", "--host", single);
    CliRun after = journal("verify", "--host", batched);
    assertEquals(1, before.exit(), before.out());
    long breaches = before.out().lines().filter(l -> l.startsWith("BREACH")).count();
    assertTrue(breaches > 20, breaches + " breaches:\n" + before.out());
    assertTrue(before.out().contains("BREACH duplicate-name"), before.out());
    assertEquals(before.out().replace(single, batched), after.out());
    assertEquals(before.exit(), after.exit());
  }

  /**
   * A legacy-mode-like trail (cf. {@code ./camstack chaos --legacy}): {@code cycles} attach/detach
   * cycles over four pass units; in about one cycle of five the unit is freed before devfs is done
   * and its NodeGone comes late, sometimes after the unit's next attach.
   */
  private List<LifetimeEvent> seededLegacyHistory(long seed, int cycles) {
    java.util.Random rnd = new java.util.Random(seed);
    String dev = wwn("seeded");
    long[] gens = new long[4];
    LifetimeEvent[] lateGone = new LifetimeEvent[4];
    List<LifetimeEvent> out = new ArrayList<>();
    long t = 0;
    for (int i = 0; i < cycles; i++) {
      int u = rnd.nextInt(4);
      long g = ++gens[u];
      String name = "pass" + u;
      if (lateGone[u] != null && rnd.nextBoolean()) {
        out.add(lateGone[u]);
        lateGone[u] = null;
      }
      out.add(new LifetimeEvent.PeriphRegistered("pass", u, g, dev, ++t, "scbus0:" + u + ":0"));
      out.add(new LifetimeEvent.DevfsNodeCreated("pass", u, g, dev, ++t, name));
      out.add(new LifetimeEvent.PeriphInvalidated("pass", u, g, dev, ++t, "AC_LOST_DEVICE"));
      out.add(new LifetimeEvent.NodeDestroyRequested("pass", u, g, dev, ++t, name));
      if (lateGone[u] == null && rnd.nextInt(5) == 0) {
        out.add(new LifetimeEvent.DestructorRun("pass", u, g, dev, ++t));
        out.add(new LifetimeEvent.UnitFreed("pass", u, g, dev, ++t));
        lateGone[u] = new LifetimeEvent.NodeGone("pass", u, g, dev, ++t, name);
      } else {
        out.add(new LifetimeEvent.NodeGone("pass", u, g, dev, ++t, name));
        out.add(new LifetimeEvent.DestructorRun("pass", u, g, dev, ++t));
        out.add(new LifetimeEvent.UnitFreed("pass", u, g, dev, ++t));
      }
    }
    for (LifetimeEvent e : lateGone) {
      if (e != null) {
        out.add(e);
      }
    }
    return out;
  }

  private long record(ActorRef<AuditWriter.Command> writer, List<LifetimeEvent> events) {
    for (LifetimeEvent e : events) {
      writer.tell(new AuditWriter.Record(e));
    }
    return flush(writer);
  }

  /** Complete, valid periph lifecycles (7 events each) over 16 units, so verify stays clean. */
  private List<LifetimeEvent> lifecycles(int from, int cycles) {
    List<LifetimeEvent> events = new ArrayList<>(cycles * 7);
    for (int i = from; i < from + cycles; i++) {
      int unit = i % 16;
      long gen = i / 16 + 1;
      String name = "da" + unit;
      long t = i;
      events.add(new LifetimeEvent.PeriphRegistered("da", unit, gen, devA, t, "scbus0:1:0"));
      events.add(new LifetimeEvent.DevfsNodeCreated("da", unit, gen, devA, t, name));
      events.add(new LifetimeEvent.PeriphInvalidated("da", unit, gen, devA, t, "AC_LOST_DEVICE"));
      events.add(new LifetimeEvent.NodeDestroyRequested("da", unit, gen, devA, t, name));
      events.add(new LifetimeEvent.NodeGone("da", unit, gen, devA, t, name));
      events.add(new LifetimeEvent.DestructorRun("da", unit, gen, devA, t));
      events.add(new LifetimeEvent.UnitFreed("da", unit, gen, devA, t));
    }
    return events;
  }

  // The inspector --------------------------------------------------------------------------------

  @Test
  void idsListsEveryEntityAsAnAlignedTable() {
    CliRun r = journal("ids");
    assertEquals(0, r.exit(), r.err());
    List<String> lines = r.out().lines().toList();
    assertTrue(lines.get(0).startsWith("TYPE"), r.out());
    String rowA = line(lines, devA);
    assertTrue(rowA.startsWith("CamDevice"), rowA);
    int idColumn = lines.get(0).indexOf("ID");
    assertEquals(idColumn, rowA.indexOf(devA), "ID column aligned");
    String rowClean = line(lines, clean);
    assertTrue(rowClean.startsWith("CamLifetime"));
    assertEquals(idColumn, rowClean.indexOf(clean));
    // 1 StackStarted + 3 attaches (2 each) + 1 alias + 1 detach (5) + 1 re-attach (2)
    assertTrue(rowClean.matches(".*\\s15\\s+15\\s+\\d{4}-\\d\\d-\\d\\d .*"), rowClean);
  }

  @Test
  void showPrintsOneEntitysEventsInSequence() {
    CliRun r = journal("show", DeviceEntity.ENTITY_TYPE + "|" + devB);
    assertEquals(0, r.exit(), r.err());
    List<String> lines = r.out().lines().toList();
    assertEquals("CamDevice|" + devB, lines.get(0));
    assertTrue(lines.get(1).matches("SEQ\\s+TIME \\(UTC\\)\\s+EVENT\\s+FIELDS"), lines.get(1));
    assertTrue(lines.get(2).matches("\\s*1\\s+\\S+ \\S+\\s+DeviceCreated\\s+config=\\{.*"), lines.get(2));
    assertTrue(lines.get(3).contains("DevicePlugged"));
    assertTrue(lines.get(4).matches(".*DeviceUnplugged\\s+cause=yanked"), lines.get(4));

    CliRun byEntityId = journal("show", devB);
    assertEquals(r.out(), byEntityId.out());
  }

  @Test
  void showRefusesAnUnknownOrAmbiguousId() {
    CliRun unknown = journal("show", "naa.nothing-" + JournalTestSupport.RUN);
    assertEquals(1, unknown.exit());
    assertTrue(unknown.err().startsWith("journal: no entity with id"), unknown.err());
  }

  @Test
  void timelineMergesTheDeviceAndItsPeriphsInOrder() {
    CliRun r = journal("timeline", devB);
    assertEquals(0, r.exit(), r.err());
    String out = r.out();
    List<String> steps =
        List.of(
            "DeviceCreated", "DevicePlugged", "PeriphRegistered", "DevfsNodeCreated", "AliasAdded",
            "DeviceUnplugged", "PeriphInvalidated", "NodeDestroyRequested", "NodeGone",
            "DestructorRun", "UnitFreed");
    int at = -1;
    for (String step : steps) {
      int next = out.indexOf(step, at + 1);
      assertTrue(next > at, step + " out of order in\n" + out);
      at = next;
    }
    assertTrue(out.contains("da1#1"), out);
    assertTrue(out.contains("da1#2"), out);
    assertFalse(out.contains("da0#1"), "periphs of other devices stay out:\n" + out);
    // the 2nd attach comes after the re-plug
    assertTrue(out.lastIndexOf("DevicePlugged") < out.lastIndexOf("da1#2"));
  }

  @Test
  void verifyPassesACleanHistory() {
    CliRun r = journal("verify", "--host", clean);
    assertEquals(0, r.exit(), r.out() + r.err());
    assertTrue(r.out().contains("all invariants hold"), r.out());
  }

  @Test
  void verifyCatchesAUnitReusedBeforeUnitFreed() {
    CliRun r = journal("verify", "--host", reuse);
    assertEquals(1, r.exit(), r.out());
    assertTrue(
        r.out().contains("BREACH unit-reused [CamLifetime|" + reuse + " seq 3,5]"),
        r.out());
  }

  @Test
  void verifyCatchesADuplicateDevfsNameFromTheLegacyOrdering() {
    CliRun r = journal("verify", "--host", dupName);
    assertEquals(1, r.exit(), r.out());
    assertTrue(
        r.out().contains("BREACH unit-freed-early [CamLifetime|" + dupName + " seq 2,6]"),
        r.out());
    assertTrue(
        r.out().contains("BREACH duplicate-name [CamLifetime|" + dupName + " seq 2,8]"),
        r.out());
  }

  @Test
  void verifyCatchesAnInvalidationNeverFollowedByNodeGone() {
    CliRun r = journal("verify", "--host", incomplete);
    assertEquals(1, r.exit(), r.out());
    assertTrue(
        r.out().contains("BREACH invalidation-incomplete [CamLifetime|" + incomplete + " seq 3]"),
        r.out());
    assertTrue(r.out().contains("never NodeGone(ses0), UnitFreed"), r.out());

    CliRun live = journal("verify", "--host", incomplete, "--live");
    assertEquals(0, live.exit(), live.out());
    assertTrue(live.out().contains("PENDING invalidation-incomplete"), live.out());
  }

  @Test
  void verifyOverTheWholeJournalFailsWhenAnyHostBreaks() {
    CliRun r = journal("verify");
    assertEquals(1, r.exit());
    assertTrue(r.out().contains(reuse) && r.out().contains(dupName), r.out());
    assertFalse(r.out().contains("CamLifetime|" + clean + " "), r.out());
  }

  @Test
  void anUndecodableEventIsShownRawAndTheInspectionGoesOn() {
    CliRun r = journal("show", undecodable);
    assertEquals(0, r.exit(), r.err());
    List<String> lines = r.out().lines().toList();
    assertTrue(lines.get(2).matches("\\s*1 .*<undecodable DeviceCreated>.*corrupt payload.*raw=.*"), lines.get(2));
    assertTrue(lines.get(3).matches("\\s*2 .*<undecodable ProtoEvent>.*serializer 2 is not JSON.*raw=\"\\\\x0a\\\\x03foo\""), lines.get(3));
    assertTrue(lines.get(4).matches("\\s*3 .*DevicePlugged\\s*"), lines.get(4));

    CliRun export = journal("export", "--json", "--id", undecodable);
    assertEquals(0, export.exit());
    assertEquals(3, export.out().lines().count());
    assertTrue(export.out().contains("\"error\":\"corrupt payload"), export.out());
  }

  @Test
  void exportWritesOneJsonObjectPerEvent() throws Exception {
    CliRun r = journal("export", "--json", "--id", "CamLifetime|" + clean);
    assertEquals(0, r.exit(), r.err());
    ObjectMapper m = new ObjectMapper();
    List<JsonNode> rows = new ArrayList<>();
    for (String line : r.out().lines().toList()) {
      rows.add(m.readTree(line));
    }
    assertEquals("StackStarted", rows.get(0).get("event").asText());
    JsonNode reg = rows.get(1);
    assertEquals("PeriphRegistered", reg.get("event").asText());
    assertEquals(2, reg.get("seqNr").asLong());
    assertEquals("da", reg.get("payload").get("driver").asText());
    assertEquals(devA, reg.get("payload").get("deviceId").asText());

    CliRun all = journal("export", "--json");
    assertEquals(0, all.exit());
    assertTrue(all.out().lines().count() > rows.size());
  }

  @Test
  void tailFollowsEventsWrittenWhileItRuns() throws Exception {
    String dev = wwn("tail");
    List<String> args = new ArrayList<>(List.of("tail"));
    args.addAll(dbArgs());
    args.addAll(List.of("-n", "1", "-f", "--interval", "50", "--exit-after", "2"));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    CompletableFuture<Integer> tail =
        CompletableFuture.supplyAsync(
            () ->
                JournalInspector.run(
                    args.toArray(String[]::new),
                    new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8)));
    TestProbe<Void> probe = node.createTestProbe();
    probe.awaitAssert(
        Duration.ofSeconds(20),
        () -> {
          assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("ORDERING"), err::toString);
          return null;
        });
    var d = node.spawn(DeviceEntity.create(dev));
    ack(node, d, rt -> new DeviceEntity.Create(DeviceConfig.disk(0, 9, 0, "ST", 8, 512), rt));
    ack(node, d, DeviceEntity.Plug::new);
    assertEquals(0, tail.get(30, TimeUnit.SECONDS), err.toString(StandardCharsets.UTF_8));
    String text = out.toString(StandardCharsets.UTF_8);
    List<String> lines = text.lines().toList();
    assertEquals(4, lines.size(), text); // header, the one latest event, the two new ones
    assertTrue(lines.get(2).contains("CamDevice|" + dev) && lines.get(2).contains("DeviceCreated"), text);
    assertTrue(lines.get(3).contains("CamDevice|" + dev) && lines.get(3).contains("DevicePlugged"), text);
  }

  private static String line(List<String> lines, String containing) {
    return lines.stream()
        .filter(l -> l.contains(containing))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no line with " + containing + " in " + lines));
  }
}
