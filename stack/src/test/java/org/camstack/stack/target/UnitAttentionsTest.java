package org.camstack.stack.target;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.Sense;
import org.junit.jupiter.api.Test;

/** Per-nexus unit attention queues and the deferred error, without a device around them. */
class UnitAttentionsTest {

  private final AtomicInteger changes = new AtomicInteger();
  private final UnitAttentions uas = new UnitAttentions(changes::incrementAndGet);
  private final int sim = 7;
  private final int iscsiA = Nexuses.idFor("iqn.2026-12.org.example:a,i,0x000000000001", Nexuses.ISCSI_PORT);
  private final int iscsiB = Nexuses.idFor("iqn.2026-12.org.example:b,i,0x000000000002", Nexuses.ISCSI_PORT);

  private static int code(ByteString sense) {
    return sense == null ? -1 : Sense.asc(sense) << 8 | Sense.ascq(sense);
  }

  @Test
  void aConditionIsReportedToEveryNexusExactlyOnceSeenOrNot() {
    assertNull(uas.take(sim)); // sim seen before the resize
    assertNull(uas.take(iscsiA));
    uas.post(0x2a09, UnitAttentions.NOBODY);
    for (int id : new int[] {sim, iscsiA, iscsiB, 3}) { // iscsiB and 3 first seen after it
      ByteString s = uas.take(id);
      assertEquals(Sense.UNIT_ATTENTION, Sense.key(s));
      assertEquals(0x2a09, code(s), "nexus " + id);
      assertNull(uas.take(id), "nexus " + id + " told twice");
    }
  }

  @Test
  void theCausingNexusIsExcepted() {
    uas.take(sim);
    uas.post(0x2a01, sim);
    assertNull(uas.take(sim));
    assertEquals(0x2a01, code(uas.take(iscsiA)));
  }

  @Test
  void queueOrderAndDuplicates() {
    uas.take(iscsiA);
    uas.post(0x2a09, UnitAttentions.NOBODY);
    uas.post(0x3f0e, UnitAttentions.NOBODY);
    uas.post(0x2a09, UnitAttentions.NOBODY); // again: moves to the end, once
    assertEquals(List.of(0x3f0e, 0x2a09), uas.pending(iscsiA));
    assertEquals(0x3f0e, code(uas.take(iscsiA)));
    assertEquals(0x2a09, code(uas.take(iscsiA)));
    assertNull(uas.take(iscsiA));
  }

  @Test
  void aResetSupersedesWhatWasPending() {
    uas.take(sim);
    uas.post(0x2a09, UnitAttentions.NOBODY);
    uas.resetTo(0x2902);
    assertEquals(List.of(0x2902), uas.pending(sim));
    assertEquals(List.of(0x2902), uas.pending(iscsiB)); // new nexus: from the history
  }

  @Test
  void theDeferredErrorGoesToTheNextCommandOfAnyNexusOnce() {
    uas.postDeferredError(Sense.fixed(Sense.MEDIUM_ERROR, 0x0c, 0x00));
    ByteString d = uas.take(iscsiA);
    assertEquals(0x71, d.apply(0) & 0x7f);
    assertEquals(Sense.MEDIUM_ERROR, Sense.key(d));
    assertNull(uas.take(sim));
    // a unit attention comes first
    uas.take(sim);
    uas.postDeferredError(Sense.fixed(Sense.MEDIUM_ERROR, 0x0c, 0x00));
    uas.post(0x2a09, UnitAttentions.NOBODY);
    assertEquals(Sense.UNIT_ATTENTION, Sense.key(uas.take(sim)));
    assertEquals(Sense.MEDIUM_ERROR, Sense.key(uas.take(sim)));
  }

  @Test
  void snapshotAndRestoreKeepWhoWasToldWhat() {
    uas.take(sim);
    uas.post(0x2a09, UnitAttentions.NOBODY);
    uas.take(sim); // sim consumed it; iscsiA never seen
    UnitAttentionSnapshot snap = uas.snapshot();
    assertEquals(Map.of(), snap.pending()); // sim's queue is empty
    assertEquals(1, snap.posted().size());
    assertEquals(java.util.Set.of(sim), snap.posted().get(0).excluded());
    UnitAttentions restored = new UnitAttentions(() -> {});
    restored.restore(snap);
    assertNull(restored.take(sim)); // already told before the restore
    assertEquals(0x2a09, code(restored.take(iscsiA))); // still owed to a nexus not seen yet
    assertEquals(snap, uas.snapshot());
  }

  @Test
  void theListenerHearsPostsReportsAndClears() {
    uas.take(sim);
    int before = changes.get();
    uas.post(0x2a09, UnitAttentions.NOBODY);
    uas.take(sim);
    uas.clear();
    assertEquals(before + 3, changes.get());
    uas.take(sim); // nothing pending: no change
    assertEquals(before + 3, changes.get());
  }
}
