package org.camstack.stack.periph;

/**
 * The reason a reference to a peripheral is held. A periph counts references per token, so a leak
 * reads "still held: DEVFS" instead of "refcount 1". cf. {@code da_ref_token} in
 * sys/cam/scsi/scsi_da.c and the references listed for pass(4) in the seed commit.
 */
public enum RefToken {
  /** Taken at allocation, dropped by the first invalidation. cf. cam_periph_alloc(). */
  ALLOC,
  /** Held for the devfs node until devfs reports it gone. cf. passdevgonecb(), dadiskgonecb(). */
  DEVFS,
  /** One per successful open of the node. cf. passopen(), enc_open(), daopen(). */
  OPEN,
  /** Held by a caller inside the exclusive section. cf. cam_periph_hold(). */
  HOLD,
  /** One per queued task (physical-path alias, enclosure refresh). cf. pass_add_physpath(). */
  TASK,
  /** Held while the driver probes the device. cf. DA_REF_PROBE. */
  PROBE,
  /** One per CCB the periph issued and that has not completed yet (I6). */
  CCB,
  /** Held by a tool or test through {@link Periph.Acquire}. */
  TOOL
}
