package org.camstack.stack.periph;

import org.apache.pekko.actor.typed.ActorRef;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.DeviceInfo;
import org.camstack.stack.devfs.Devfs;
import org.camstack.stack.lifetime.DeviceIdentity;
import org.camstack.stack.lifetime.PeriphId;
import org.camstack.stack.xpt.Xpt;
import org.camstack.stack.xpt.XptDevice;

/**
 * Everything a periph instance is created with. cf. the arguments of {@code cam_periph_alloc()}
 * and what its ctor finds in {@code periph}.
 *
 * @param id driver, unit, generation
 * @param path the device's path
 * @param info what the probe learned (AC_FOUND_DEVICE's {@code ccb_getdev})
 * @param device the device queue: CCBs go here directly
 * @param xpt the XPT's periph view (async registration, AddPeriph/RemovePeriph, RaiseAsync)
 * @param devfs the device file system
 * @param driver the owning driver (UnitFreed, PeriphInvalidated)
 */
public record PeriphArgs(
    PeriphId id,
    CamPath path,
    DeviceInfo info,
    ActorRef<XptDevice.Command> device,
    ActorRef<Xpt.PeriphCommand> xpt,
    ActorRef<Devfs.Command> devfs,
    ActorRef<PeriphDriver.Command> driver,
    PeriphSettings settings) {

  public String name() {
    return id.name();
  }

  public String identity() {
    return DeviceIdentity.of(info).key();
  }
}
