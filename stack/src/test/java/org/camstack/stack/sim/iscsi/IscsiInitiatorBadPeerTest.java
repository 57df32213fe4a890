package org.camstack.stack.sim.iscsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.camstack.stack.testkit.StackRig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Bad peers: a "target" that answers the login with garbage, and one that accepts and never
 * answers. Each connection is dropped with a clear reason, the SIM keeps retrying with backoff, no
 * bus is registered, and the stack stays up.
 */
@Timeout(60)
class IscsiInitiatorBadPeerTest {
  private final ActorTestKit kit = ActorTestKit.create(StackRig.config("camstack.topology.buses = []\n"));
  private final List<Socket> accepted = new CopyOnWriteArrayList<>();
  private ServerSocket server;

  @AfterEach
  void stop() throws IOException {
    kit.shutdownTestKit();
    if (server != null) {
      server.close();
    }
    for (Socket s : accepted) {
      s.close();
    }
  }

  /** A server whose every connection reads the login and answers {@code reply} (null: nothing). */
  private int serve(byte[] reply) throws IOException {
    server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
    Thread t = new Thread(() -> {
      while (!server.isClosed()) {
        try {
          Socket s = server.accept();
          accepted.add(s);
          InputStream in = s.getInputStream();
          in.read(new byte[4096]);
          if (reply != null) {
            OutputStream out = s.getOutputStream();
            out.write(reply);
            out.flush();
          }
        } catch (IOException e) {
          return;
        }
      }
    }, "bad-peer");
    t.setDaemon(true);
    t.start();
    return server.getLocalPort();
  }

  private IscsiSim.Status awaitReason(ActorRef<IscsiSim.Command> sim, String fragment) {
    TestProbe<IscsiSim.Status> p = kit.createTestProbe();
    return p.awaitAssert(Duration.ofSeconds(20), Duration.ofMillis(50), () -> {
      sim.tell(new IscsiSim.GetStatus(p.getRef()));
      IscsiSim.Status st = p.receiveMessage(Duration.ofSeconds(5));
      assertTrue(st.reason().contains(fragment), "reason: " + st);
      return st;
    });
  }

  private ActorRef<IscsiSim.Command> connect(int port, Duration loginTimeout) {
    StackRig rig = new StackRig(kit, false);
    IscsiSim.Settings d = IscsiSim.Settings.DEFAULT;
    IscsiSim.Settings s = new IscsiSim.Settings(d.initiatorName(), d.failOnDisconnection(), Duration.ofMillis(20),
        Duration.ofMillis(100), d.noopInterval(), d.noopTimeout(), d.resetTimeout(),
        new IscsiLink.Timing(Duration.ofSeconds(2), loginTimeout, Duration.ofMillis(50)));
    return kit.spawn(IscsiSim.create(new IscsiUrl("127.0.0.1", port, "iqn.test:bad"), Optional.empty(), -1, 0, s,
        rig.stack.xpt()));
  }

  @Test
  void garbageDropsTheConnectionAndTheSimRetries() throws Exception {
    byte[] garbage = new byte[96];
    java.util.Arrays.fill(garbage, (byte) 0x3e); // reserved opcode 0x3e
    int port = serve(garbage);
    IscsiSim.Status st = awaitReason(connect(port, Duration.ofSeconds(10)), "garbage from the target");
    assertEquals(-1, st.pathId(), "no bus for a target that never logged in");
    assertEquals("Connecting", st.state());
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(10), () -> {
      assertTrue(accepted.size() >= 3, "retried: " + accepted.size());
      return null;
    });
  }

  @Test
  void aTargetThatNeverAnswersTheLoginTimesOut() throws Exception {
    int port = serve(null);
    awaitReason(connect(port, Duration.ofMillis(300)), "login did not complete within 300 ms");
  }
}
