package org.camstack.stack.sim;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.camstack.stack.target.EmuDevice;

/**
 * What an {@link EmuSim} tells about the devices of its bus, so that their state can outlive the
 * process (see {@code org.camstack.stack.durable.DurableDevices}): the devices of the power-on
 * topology as they are built, and every hot-plug and pull <em>before</em> it takes effect. A
 * membership change is acknowledged only once {@link #plugging} / {@link #unplugging} completed,
 * so a crash in the middle leaves the device either there or gone, never half.
 *
 * <p>Called on the SIM actor's thread. The returned stages may complete on any thread; until one
 * does, the SIM holds back its other control messages (in order).
 */
public interface DeviceHooks {

  /** Nothing recorded: every change takes effect at once (the default). */
  DeviceHooks NONE = new DeviceHooks() {};

  /** The hooks of one bus. */
  @FunctionalInterface
  interface Factory {
    /** No hooks on any bus. */
    Factory NONE = (index, bus) -> DeviceHooks.NONE;

    /**
     * @param index the bus's position in the topology
     * @param bus its spec
     */
    DeviceHooks forBus(int index, BusSpec bus);
  }

  /**
   * A device of the power-on topology, built before the bus registers (so before the first scan):
   * the place to restore its state and to attach a {@link
   * org.camstack.stack.target.DeviceStateSink}.
   */
  default void poweredOn(int target, EmuDevice device) {}

  /**
   * Where the bus's tape library keeps its metadata (cartridge places, positions, block lengths);
   * asked once, before the library powers on. Default: nowhere (a fresh library each time).
   */
  default org.camstack.stack.target.LibraryStateSink library() {
    return org.camstack.stack.target.LibraryStateSink.NONE;
  }

  /**
   * Devices about to be hot-plugged into {@code target} (a new target, or LUNs of an existing
   * one). They enter the data path, and the SIM acknowledges, once the stage completes; a failed
   * stage refuses the plug.
   */
  default CompletionStage<Done> plugging(int target, List<EmuDevice> devices) {
    return CompletableFuture.completedFuture(Done.getInstance());
  }

  /**
   * Devices about to be pulled from {@code target}. They leave the data path, and the SIM
   * acknowledges, once the stage completes; a failed stage refuses the pull.
   *
   * @param cause {@code lun removed} or {@code target removed}
   */
  default CompletionStage<Done> unplugging(int target, List<EmuDevice> devices, String cause) {
    return CompletableFuture.completedFuture(Done.getInstance());
  }
}
