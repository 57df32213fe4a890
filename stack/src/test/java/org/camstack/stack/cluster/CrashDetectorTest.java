package org.camstack.stack.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.UniqueAddress;
import org.camstack.stack.cluster.CrashDetector.Seen;
import org.camstack.stack.cluster.CrashDetector.Status;
import org.camstack.stack.cluster.CrashDetector.View;
import org.camstack.stack.cluster.LivenessLinks.Probe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The crash detector's decision table (docs/cluster.md "Failover"): a liveness connection that
 * ends, with the member's liveness and artery ports refused, downs it; a port that still accepts
 * or does not answer, a member that is leaving, or an observer that would be left in a minority
 * does not. The table itself, then the detector on real sockets on 127.0.0.1 (the peers are
 * listeners of this test; a peer "dies" by closing its sockets, as its kernel does on kill -9).
 */
class CrashDetectorTest {
  private static final ActorTestKit KIT = ActorTestKit.create();
  private static final Duration WAIT = Duration.ofSeconds(10);

  private static final UniqueAddress SELF = member(25520, 1);
  private static final UniqueAddress A = member(25521, 2);
  private static final UniqueAddress B = member(25522, 3);

  private final List<AutoCloseable> open = new ArrayList<>();
  private final AtomicReference<View> view = new AtomicReference<>();
  private ExecutorService probes;
  private LivenessLinks links;
  private TestProbe<CrashDetector.Decided> decided;
  private ActorRef<CrashDetector.Command> detector;

  @AfterAll
  static void stopKit() {
    KIT.shutdownTestKit();
  }

  private static UniqueAddress member(int port, long uid) {
    return new UniqueAddress(new Address("pekko", "camstack", "127.0.0.1", port), uid);
  }

  private static View view(UniqueAddress self, Seen... members) {
    return new View(self, true, List.of(members));
  }

  private static Seen up(UniqueAddress m) {
    return new Seen(m, Status.ACTIVE, true);
  }

  // ---- the table ----------------------------------------------------------------------------

  @Test
  void decisionTable() {
    View three = view(SELF, up(SELF), up(A), up(B));
    Set<UniqueAddress> onlyA = Set.of(A);
    assertTrue(CrashDetector.decide(three, A, Probe.REFUSED, Probe.REFUSED, onlyA).down());
    // anything but two refusals is not a confirmed death
    for (Probe l : Probe.values()) {
      for (Probe r : Probe.values()) {
        if (l != Probe.REFUSED || r != Probe.REFUSED) {
          assertFalse(CrashDetector.decide(three, A, l, r, onlyA).down(), l + "/" + r);
        }
      }
    }
    // minority: B unreachable, or B's liveness connection ended too (this node cut off from both)
    assertFalse(CrashDetector.decide(view(SELF, up(SELF), up(A), new Seen(B, Status.ACTIVE, false)), A, Probe.REFUSED, Probe.REFUSED, onlyA).down());
    assertFalse(CrashDetector.decide(three, A, Probe.REFUSED, Probe.REFUSED, Set.of(A, B)).down());
    // two members: the survivor alone is not a majority of two
    assertFalse(CrashDetector.decide(view(SELF, up(SELF), up(A)), A, Probe.REFUSED, Probe.REFUSED, onlyA).down());
    // five members, two dead at once: three of five is still a majority
    UniqueAddress c = member(25523, 4);
    UniqueAddress d = member(25524, 5);
    assertTrue(CrashDetector.decide(view(SELF, up(SELF), up(A), up(B), up(c), up(d)), A, Probe.REFUSED, Probe.REFUSED, Set.of(A, B)).down());
    // a member that leaves on purpose, or is already down, is not downed here; nor by a node not Up
    assertFalse(CrashDetector.decide(view(SELF, up(SELF), new Seen(A, Status.LEAVING, true), up(B)), A, Probe.REFUSED, Probe.REFUSED, onlyA).down());
    assertFalse(CrashDetector.decide(view(SELF, up(SELF), new Seen(A, Status.DOWN, true), up(B)), A, Probe.REFUSED, Probe.REFUSED, onlyA).down());
    assertFalse(CrashDetector.decide(new View(SELF, false, three.members()), A, Probe.REFUSED, Probe.REFUSED, onlyA).down());
    // an old incarnation that is no member any more (its address rejoined with another uid)
    assertFalse(CrashDetector.decide(view(SELF, up(SELF), up(member(25521, 9)), up(B)), A, Probe.REFUSED, Probe.REFUSED, onlyA).down());
  }

  // ---- the detector on real sockets ---------------------------------------------------------

  /** A peer: its liveness listener, the detector's connection to it, and its artery port. */
  private final class Peer {
    final ServerSocket liveness;
    Socket accepted;
    ServerSocket artery;
    final int arteryPort;

    Peer() throws IOException {
      liveness = listen(50);
      artery = listen(50);
      arteryPort = artery.getLocalPort();
    }

    UniqueAddress address(long uid) {
      return member(arteryPort, uid);
    }

    /** Has the detector watch it and waits for its connection. */
    void watchedAs(UniqueAddress m) throws IOException {
      detector.tell(new CrashDetector.Watch(m, liveness.getLocalPort()));
      accepted = liveness.accept();
      open.add(accepted); // reachable until the test ends: an unreachable socket is closed by its cleaner at a GC
    }

    /** What its kernel does on kill -9: every socket closed. */
    void dies() throws IOException {
      accepted.close();
      liveness.close();
      artery.close();
    }
  }

  private ServerSocket listen(int backlog) throws IOException {
    ServerSocket s = new ServerSocket(0, backlog, InetAddress.getLoopbackAddress());
    s.setSoTimeout((int) WAIT.toMillis());
    open.add(s);
    return s;
  }

  @BeforeEach
  void start() {
    probes = Executors.newCachedThreadPool();
    links = LivenessLinks.open("127.0.0.1");
    decided = KIT.createTestProbe();
    ActorRef<CrashDetector.Decided> to = decided.getRef();
    detector = KIT.spawn(CrashDetector.create(links, view::get, to::tell, probes));
  }

  @AfterEach
  void stop() throws Exception {
    KIT.stop(detector);
    links.close();
    probes.shutdownNow();
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  @Test
  void aKilledPeerIsDowned() throws IOException {
    Peer p = new Peer();
    Peer q = new Peer();
    UniqueAddress a = p.address(2);
    UniqueAddress b = q.address(3);
    view.set(view(SELF, up(SELF), up(a), up(b)));
    p.watchedAs(a);
    q.watchedAs(b);
    p.dies();
    CrashDetector.Decided d = decided.expectMessageClass(CrashDetector.Decided.class, WAIT);
    assertEquals(a, d.member());
    assertTrue(d.verdict().down(), d.evidence() + "; " + d.verdict().why());
  }

  @Test
  void aPeerWhoseArteryPortStillAcceptsIsNotDownedAndIsWatchedAgain() throws IOException {
    Peer p = new Peer();
    Peer q = new Peer();
    UniqueAddress a = p.address(2);
    view.set(view(SELF, up(SELF), up(a), up(q.address(3))));
    p.watchedAs(a);
    p.accepted.close(); // the connection ends, but the process still listens on both ports
    CrashDetector.Decided d = decided.expectMessageClass(CrashDetector.Decided.class, WAIT);
    assertFalse(d.verdict().down(), d.evidence() + "; " + d.verdict().why());
    assertTrue(d.verdict().why().contains("ACCEPTED"), d.evidence() + "; " + d.verdict().why());
    // the detector connects to it again
    p.accepted = p.liveness.accept();
    open.add(p.accepted);
    // the artery port alone still accepting is enough to keep it
    p.liveness.close();
    p.accepted.close();
    d = decided.expectMessageClass(CrashDetector.Decided.class, WAIT);
    assertFalse(d.verdict().down(), d.evidence() + "; " + d.verdict().why());
    assertTrue(d.verdict().why().contains("liveness port REFUSED, artery port ACCEPTED"), d.evidence() + "; " + d.verdict().why());
  }

  @Test
  void aPeerWhoseArteryPortTimesOutIsNotDowned() throws IOException {
    Peer p = new Peer();
    // an artery port that answers nothing: a listener whose backlog is full drops new SYNs
    p.artery.close();
    ServerSocket silent = listen(1);
    List<Socket> fill = new ArrayList<>();
    while (true) {
      Socket s = new Socket();
      open.add(s);
      try {
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), silent.getLocalPort()), 200);
        fill.add(s);
      } catch (java.net.SocketTimeoutException e) {
        break;
      }
      assertTrue(fill.size() < 64, "the backlog never filled");
    }
    assertEquals(Probe.TIMEOUT, LivenessLinks.probe("127.0.0.1", silent.getLocalPort(), Duration.ofMillis(200)));
    UniqueAddress a = member(silent.getLocalPort(), 2);
    Peer q = new Peer();
    view.set(view(SELF, up(SELF), up(a), up(q.address(3))));
    p.watchedAs(a);
    p.accepted.close();
    p.liveness.close();
    CrashDetector.Decided d = decided.expectMessageClass(CrashDetector.Decided.class, WAIT);
    assertFalse(d.verdict().down(), d.evidence() + "; " + d.verdict().why());
    assertTrue(d.verdict().why().contains("artery port TIMEOUT"), d.evidence() + "; " + d.verdict().why());
  }

  @Test
  void aMinorityObserverDownsNobody() throws IOException {
    Peer p = new Peer();
    Peer q = new Peer();
    UniqueAddress a = p.address(2);
    UniqueAddress b = q.address(3);
    // this node's failure detector already lost B: without A it would be alone
    view.set(view(SELF, up(SELF), up(a), new Seen(b, Status.ACTIVE, false)));
    p.watchedAs(a);
    q.watchedAs(b);
    p.dies();
    CrashDetector.Decided d = decided.expectMessageClass(CrashDetector.Decided.class, WAIT);
    assertFalse(d.verdict().down(), d.evidence() + "; " + d.verdict().why());
    assertTrue(d.verdict().why().startsWith("minority"), d.evidence() + "; " + d.verdict().why());
  }

  @Test
  void aLeavingPeerIsNotDowned() throws IOException {
    Peer p = new Peer();
    Peer q = new Peer();
    UniqueAddress a = p.address(2);
    view.set(view(SELF, up(SELF), new Seen(a, Status.LEAVING, true), up(q.address(3))));
    p.watchedAs(a);
    p.dies(); // a graceful leave ends the process too
    CrashDetector.Decided d = decided.expectMessageClass(CrashDetector.Decided.class, WAIT);
    assertFalse(d.verdict().down(), d.evidence() + "; " + d.verdict().why());
  }
}
