package org.camstack.stack.target.iscsi;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;
import org.camstack.stack.target.TargetInventory;

/**
 * The socket side of one iSCSI connection: a Pekko Streams stage between the TCP flow's bytes in
 * and bytes out, wrapping an {@link IscsiConnection}. What the engine writes while it handles one
 * event (a chunk of input, a timer, a request from another thread) is gathered without copying and
 * pushed as one element when the event is done: a burst of commands in one TCP read is answered by
 * one write. Backpressured: it pulls more input only while fewer than {@value #HIGH_WATER} bytes
 * wait to be written, so a slow reader stalls its own initiator and nothing else. Timers (delayed
 * completions, NOP pings), requests from other threads (logout, drop) and a LUN's later answers
 * (a clustered LUN's command forwarded to its owner) run on the stage's own thread.
 */
final class ConnectionStage extends GraphStage<FlowShape<ByteString, ByteString>> {
  static final int HIGH_WATER = 1 << 20;

  private final Inlet<ByteString> in = Inlet.create("iscsi.in");
  private final Outlet<ByteString> out = Outlet.create("iscsi.out");
  private final FlowShape<ByteString, ByteString> shape = FlowShape.of(in, out);
  private final PortalConfig config;
  private final TargetInventory inventory;
  private final IscsiSessions sessions;
  private final String portalAddress;
  private final String remote;

  ConnectionStage(PortalConfig config, TargetInventory inventory, IscsiSessions sessions, String portalAddress, String remote) {
    this.config = config;
    this.inventory = inventory;
    this.sessions = sessions;
    this.portalAddress = portalAddress;
    this.remote = remote;
  }

  @Override
  public FlowShape<ByteString, ByteString> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes attrs) {
    return new TimerGraphStageLogic(shape) {
      // written, not yet pushed: ByteStringBuilder keeps the engine's ByteStrings by reference
      private ByteStringBuilder pending = new ByteStringBuilder();
      private final Map<Long, Runnable> timers = new HashMap<>();
      private long nextTimer;
      private boolean closing;
      private IscsiConnection engine;
      private final AsyncCallback<Runnable> callback = createAsyncCallback(r -> {
        r.run();
        flush();
        maybePull();
      });

      {
        IscsiSessions.Control control = new IscsiSessions.Control() {
          @Override
          public void requestLogout() {
            callback.invoke(() -> engine.requestLogout());
          }

          @Override
          public void drop() {
            callback.invoke(() -> engine.close());
          }

          @Override
          public void abortTasks(org.camstack.stack.target.EmuTarget target, long lun, int initiatorId, boolean reportCleared) {
            callback.invoke(() -> engine.abortTasksOf(target, lun, initiatorId, reportCleared));
          }
        };
        IscsiConnection.Wire wire = new IscsiConnection.Wire() {
          @Override
          public void write(ByteString bytes) {
            pending.append(bytes); // pushed when the current event is done (flush)
          }

          @Override
          public void schedule(long nanos, Runnable r) {
            long key = nextTimer++;
            timers.put(key, r);
            scheduleOnce(key, Duration.ofNanos(nanos));
          }

          @Override
          public void post(Runnable r) {
            callback.invoke(r); // from any thread; runs on the stage's, then flushes
          }

          @Override
          public void close() {
            closing = true;
            if (!isClosed(in)) {
              cancel(in);
            }
          }
        };
        engine = new IscsiConnection(config, inventory, sessions, wire, portalAddress, remote, control);

        setHandler(in, new AbstractInHandler() {
          @Override
          public void onPush() {
            engine.onBytes(grab(in));
            flush();
            maybePull();
          }

          @Override
          public void onUpstreamFinish() {
            engine.onClosed();
            closing = true;
            flush();
          }

          @Override
          public void onUpstreamFailure(Throwable ex) {
            engine.onClosed();
            failStage(ex);
          }
        });
        setHandler(out, new AbstractOutHandler() {
          @Override
          public void onPull() {
            flush();
            maybePull();
          }

          @Override
          public void onDownstreamFinish(Throwable cause) {
            engine.onClosed();
            completeStage();
          }
        });
      }

      @Override
      public void preStart() {
        pull(in);
      }

      @Override
      public void onTimer(Object key) {
        Runnable r = timers.remove(key);
        if (r != null) {
          r.run();
          flush();
          maybePull();
        }
      }

      @Override
      public void postStop() {
        engine.onClosed();
      }

      /** Pushes everything written so far as one element, when downstream wants it. */
      private void flush() {
        if (pending.length() > 0 && isAvailable(out)) {
          ByteString b = pending.result();
          pending = new ByteStringBuilder();
          push(out, b);
        }
        if (closing && pending.length() == 0) {
          completeStage();
        }
      }

      private void maybePull() {
        if (!closing && pending.length() < HIGH_WATER && !isClosed(in) && !hasBeenPulled(in)) {
          pull(in);
        }
      }
    };
  }
}
