package org.camstack.stack.node;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.sim.emu.EmuDevice;
import org.camstack.stack.sim.emu.LunSpec;

/**
 * What the management API asks of a node's emulated SIMs: the topology, hot-plug and resize of
 * LUNs, and the emulated device behind a path (fault rules and delays are set on it directly: an
 * {@link EmuDevice} accepts control-plane changes from any thread). Failures are {@link
 * ApiException}s (404 unknown bus or LUN, 409 LUN already present, ...).
 */
public interface SimControl {

  /** The emulated buses and LUNs, as configured and as changed at runtime. */
  ApiModel.Topology topology();

  /** The emulated device at {@code path}, or null. */
  EmuDevice device(CamPath path);

  /** Plugs a new LUN; the XPT finds it through the SIM (REPORTED LUNS DATA HAS CHANGED, rescan). */
  CompletionStage<ApiModel.LunInfo> addLun(CamPath path, LunSpec spec);

  /** Pulls a LUN; the XPT loses it through the normal paths (AC_LOST_DEVICE). */
  CompletionStage<Done> removeLun(CamPath path);

  /** New capacity, rounded down to whole blocks (UA 2A/09 CAPACITY DATA HAS CHANGED). */
  CompletionStage<ApiModel.LunInfo> resize(CamPath path, long sizeBytes);

  /** Told after the API changed a device's fault rules or delay (for the durable state). */
  default void faultsChanged(CamPath path, EmuDevice device) {}

  /** No SIM control: every emulator verb answers 503. */
  SimControl NONE =
      new SimControl() {
        @Override
        public ApiModel.Topology topology() {
          return new ApiModel.Topology(List.of());
        }

        @Override
        public EmuDevice device(CamPath path) {
          return null;
        }

        @Override
        public CompletionStage<ApiModel.LunInfo> addLun(CamPath path, LunSpec spec) {
          return CompletableFuture.failedFuture(ApiException.unavailable("this node has no emulated SIMs"));
        }

        @Override
        public CompletionStage<Done> removeLun(CamPath path) {
          return CompletableFuture.failedFuture(ApiException.unavailable("this node has no emulated SIMs"));
        }

        @Override
        public CompletionStage<ApiModel.LunInfo> resize(CamPath path, long sizeBytes) {
          return CompletableFuture.failedFuture(ApiException.unavailable("this node has no emulated SIMs"));
        }
      };
}
