package org.camstack.stack.periph;

import java.util.OptionalInt;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.DeviceInfo;

/**
 * Where a {@link PeriphDriver} learns which unit numbers are wired to which devices. cf. {@code
 * camperiphunit()} and the {@code hint.<driver>.<unit>.*} device hints. {@link HintWiring} reads
 * hints; issue 4 persists device identity &rarr; (driver, unit) so units survive restarts.
 *
 * <p>Called on the driver actor's thread: implementations answer from memory and never block.
 */
public interface WiringSource {

  /** The unit wired to this device, if any. cf. the hint scan in camperiphunit(). */
  OptionalInt wiredUnit(String driver, CamPath path, DeviceInfo info);

  /**
   * True when {@code unit} is reserved for a wired device and must not be handed to an unwired
   * one. cf. the skip loop of camperiphnextunit().
   */
  boolean reserved(String driver, int unit);

  /** Told after the driver assigned {@code unit} to the device. Default: nothing. */
  default void assigned(String driver, int unit, CamPath path, DeviceInfo info, boolean wired) {}

  /** No hints: every device gets the first free unit. */
  WiringSource NONE =
      new WiringSource() {
        @Override
        public OptionalInt wiredUnit(String driver, CamPath path, DeviceInfo info) {
          return OptionalInt.empty();
        }

        @Override
        public boolean reserved(String driver, int unit) {
          return false;
        }
      };
}
