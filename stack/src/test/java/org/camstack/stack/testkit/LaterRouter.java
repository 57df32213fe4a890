package org.camstack.stack.testkit;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.target.CommandRouter;
import org.camstack.stack.target.EmuDevice;

/**
 * A {@link CommandRouter} whose "owner" answers when the test says so, on the test's thread: the
 * forwarded commands queue up in {@link #taken}, each with the callback its answer goes to. Stands
 * for a clustered LUN's owner on another node without a cluster.
 */
public final class LaterRouter implements CommandRouter {

  /** One forwarded command, and where its answer goes. */
  public record Forwarded(ByteString cdb, ByteString dataOut, int dxferLen, Consumer<ScsiResponse> done) {}

  public final LinkedBlockingQueue<Forwarded> taken = new LinkedBlockingQueue<>();

  @Override
  public void forward(EmuDevice device, ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId, Consumer<ScsiResponse> done) {
    taken.add(new Forwarded(cdb, dataOut, dxferLen, done));
  }

  /** The next forwarded command, waiting up to 5 s for it. */
  public Forwarded next() throws InterruptedException {
    Forwarded f = taken.poll(5, TimeUnit.SECONDS);
    assertNotNull(f, "the command reached the router");
    return f;
  }

  /** Answers every command still waiting (GOOD), so that nothing stays parked after a test. */
  public void answerAll() {
    Forwarded f;
    while ((f = taken.poll()) != null) {
      f.done().accept(ScsiResponse.GOOD);
    }
  }
}
