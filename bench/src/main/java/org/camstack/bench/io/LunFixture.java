package org.camstack.bench.io;

import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.sim.SimDataPath;

/**
 * One emulated LUN as every stack under test sees it: the actor stack reaches it through its SIM,
 * the baselines call the same object directly.
 *
 * @param path bus:target:lun
 * @param sim the data path of the LUN's bus (the same object the XPT's device queue calls)
 * @param simIndex index of the SIM it sits on
 * @param logicalBlock logical block size in bytes
 * @param capacityBlocks capacity in logical blocks
 */
public record LunFixture(CamPath path, SimDataPath sim, int simIndex, int logicalBlock, long capacityBlocks) {}
