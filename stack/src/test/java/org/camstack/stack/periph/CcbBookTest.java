package org.camstack.stack.periph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.apache.pekko.actor.testkit.typed.javadsl.TestInbox;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.Ccb;
import org.junit.jupiter.api.Test;

/** The in-flight table of {@link CcbBook}: primitive ids, growth and removal in any order. */
class CcbBookTest {

  private static final ActorRef<Ccb.Completed> NOBODY = TestInbox.<Ccb.Completed>create().getRef();

  private static Ccb ccb(long id) {
    return new Ccb.ScsiIo(Ccb.Header.of(id, CamPath.of(0, 0, 0), NOBODY), ByteString.emptyByteString(), ByteString.emptyByteString(), 0);
  }

  @Test
  void everyCcbCompletesOnceWhateverTheOrderOfCompletions() {
    CcbBook book = new CcbBook();
    Random rnd = new Random(7);
    TreeSet<Long> live = new TreeSet<>();
    List<Long> ids = new ArrayList<>();
    for (int round = 0; round < 50; round++) {
      for (int i = 0; i < 1 + rnd.nextInt(200); i++) { // grows past the initial 64 slots
        long id = book.nextId() * (rnd.nextBoolean() ? 1 : 4096); // clustered and spread keys
        if (live.add(id)) {
          book.sent("da0", ccb(id), c -> {}, id % 3 == 0);
          ids.add(id);
        }
      }
      Collections.shuffle(ids, rnd);
      int done = rnd.nextInt(ids.size() + 1);
      for (int i = 0; i < done; i++) {
        long id = ids.remove(ids.size() - 1);
        CcbBook.Outstanding o = book.completed(id);
        assertEquals(id, o.ccb().ccbId());
        assertNull(book.completed(id), "a CCB completes once");
        live.remove(id);
      }
      assertEquals(live.size(), book.inFlight());
      for (long id : live) {
        assertTrue(book.inFlight(id), "id " + id + " still in flight");
      }
      List<Long> atDevice = book.atDevice().stream().map(o -> o.ccb().ccbId()).toList();
      assertEquals(live.stream().filter(id -> id % 3 != 0).toList(), atDevice, "the device's CCBs, oldest first");
    }
  }

  @Test
  void aReusedIdIsABrokenInvariant() {
    CcbBook book = new CcbBook();
    Ccb c = ccb(5);
    book.sent("da0", c, x -> {}, false);
    assertThrows(IllegalStateException.class, () -> book.sent("da0", ccb(5), x -> {}, false));
    assertSame(c, book.completed(5).ccb());
    assertFalse(book.inFlight(5));
  }
}
