package org.camstack.stack.node;

import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.camstack.persistence.device.FaultRule;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.target.Delay;
import org.camstack.stack.target.LunSpec;

/**
 * What the management API asks of a node's emulated SIMs ({@link org.camstack.stack.sim.EmuSim}):
 * the topology, hot-plug, pull and resize of LUNs, fault rules and delays. Failures are {@link
 * ApiException}s: 404 unknown bus, target or LUN; 409 LUN already present; 400 anything the SIM
 * refuses.
 */
public interface SimControl {

  /** The emulated buses and LUNs, as configured and as changed at runtime. */
  CompletionStage<ApiModel.Topology> topology();

  /**
   * Plugs a new LUN and has the XPT probe it.
   *
   * @param keepIdentity the request named no serial: a LUN plugged at {@code path} before comes
   *     back with its serial and WWN (the same device, so the same unit through the wiring)
   */
  CompletionStage<ApiModel.LunInfo> addLun(CamPath path, LunSpec spec, boolean keepIdentity);

  /** Pulls a LUN; the XPT loses it through the normal paths (AC_LOST_DEVICE). */
  CompletionStage<Done> removeLun(CamPath path);

  /** New capacity, rounded down to whole blocks (UA 2A/09 CAPACITY DATA HAS CHANGED). */
  CompletionStage<ApiModel.LunInfo> resize(CamPath path, long sizeBytes);

  CompletionStage<List<FaultRule>> faults(CamPath path);

  CompletionStage<Done> addFault(CamPath path, FaultRule rule);

  CompletionStage<Done> deleteFault(CamPath path, String id);

  /** The delay last set on the LUN ({@link Delay#NONE} if none). */
  CompletionStage<Delay> delay(CamPath path);

  CompletionStage<Done> setDelay(CamPath path, Delay delay);

  /**
   * Runs {@code op} on the device of the LUN at {@code path} on its SIM's thread ({@link
   * org.camstack.stack.sim.EmuSim.OnDevice}); its {@link IllegalArgumentException} becomes a 409.
   */
  default CompletionStage<Object> onDevice(CamPath path, java.util.function.Function<org.camstack.stack.target.EmuDevice, Object> op) {
    throw ApiException.notFound("this node has no emulated devices");
  }
}
