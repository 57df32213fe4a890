package org.camstack.bench.io;

import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.sim.ScsiLun;

/**
 * One emulated LUN as every stack under test sees it: the actor stack reaches it through its SIM,
 * the baselines call the same object directly.
 *
 * @param path bus:target:lun
 * @param lun the emulated device (with its backing store)
 * @param sim index of the SIM it sits on
 * @param logicalBlock logical block size in bytes
 * @param capacityBlocks capacity in logical blocks
 */
public record LunFixture(CamPath path, ScsiLun lun, int sim, int logicalBlock, long capacityBlocks) {}
