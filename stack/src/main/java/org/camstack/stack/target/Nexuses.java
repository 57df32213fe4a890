package org.camstack.stack.target;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The I_T nexus table of the target layer: which initiator port, through which target port, an
 * {@code initiatorId} passed to {@link ScsiLun#execute} stands for. cf. CTL's per-port initiator
 * table ({@code ctl_add_initiator()}, {@code ctl_get_initindex()}): unit attentions, pending sense
 * and reservations are kept per nexus, so every frontend must name its nexuses with ids that do not
 * collide.
 *
 * <p>Ids below {@link #FIRST_REGISTERED} are the in-process SIM's initiator ids (the bus's own
 * SCSI id, e.g. 7), reached through target port {@link #CAM_SIM_PORT}. Network frontends register
 * each initiator port (e.g. iSCSI's {@code InitiatorName,i,0xISID}) with their relative target port
 * and get an id at or above {@link #FIRST_REGISTERED}. The same initiator port through the same
 * target port always gets the same id, so a reconnecting initiator finds its registrations and unit
 * attentions again (SPC-4: persistent reservations belong to the I_T nexus, not to a connection).
 *
 * <p>Process-wide and append-only (a nexus name is never reused for another id); thread-safe.
 */
public final class Nexuses {
  /** Relative target port identifier of the in-process SIM frontend (cf. CTL's camsim port). */
  public static final int CAM_SIM_PORT = 1;
  /** Relative target port identifier of the iSCSI frontend's portal group. */
  public static final int ISCSI_PORT = 2;
  /** The first id handed out by {@link #idFor}. */
  public static final int FIRST_REGISTERED = 1 << 16;

  /**
   * One I_T nexus.
   *
   * @param initiatorId the id the LUNs see
   * @param initiatorPort the initiator port's name (for an iSCSI initiator, SPC-4's {@code
   *     "iqn...,i,0x<ISID>"} form)
   * @param relativeTargetPort the target port it arrives through ({@link #CAM_SIM_PORT}, ...)
   */
  public record Nexus(int initiatorId, String initiatorPort, int relativeTargetPort) {}

  private static final ConcurrentHashMap<String, Integer> IDS = new ConcurrentHashMap<>();
  private static final CopyOnWriteArrayList<Nexus> REGISTERED = new CopyOnWriteArrayList<>();

  private Nexuses() {}

  /**
   * The id of {@code initiatorPort} through {@code relativeTargetPort}, registered on first use.
   *
   * @throws IllegalArgumentException for a blank name or a port outside 1..65535
   */
  public static int idFor(String initiatorPort, int relativeTargetPort) {
    if (initiatorPort == null || initiatorPort.isBlank()) {
      throw new IllegalArgumentException("initiator port name is blank");
    }
    if (relativeTargetPort < 1 || relativeTargetPort > 0xffff) {
      throw new IllegalArgumentException("relative target port " + relativeTargetPort + " not in 1..65535");
    }
    String key = relativeTargetPort + "|" + initiatorPort;
    Integer id = IDS.get(key);
    if (id != null) {
      return id;
    }
    synchronized (REGISTERED) {
      return IDS.computeIfAbsent(
          key,
          k -> {
            int n = FIRST_REGISTERED + REGISTERED.size();
            REGISTERED.add(new Nexus(n, initiatorPort, relativeTargetPort));
            return n;
          });
    }
  }

  /**
   * What {@code initiatorId} stands for: a registered nexus, or for an id below {@link
   * #FIRST_REGISTERED} the in-process SIM's initiator with that SCSI id.
   *
   * @throws IllegalArgumentException for an id at or above {@link #FIRST_REGISTERED} that no
   *     frontend registered
   */
  public static Nexus describe(int initiatorId) {
    if (initiatorId >= FIRST_REGISTERED) {
      int i = initiatorId - FIRST_REGISTERED;
      if (i < REGISTERED.size()) {
        return REGISTERED.get(i);
      }
      throw new IllegalArgumentException("no nexus " + initiatorId);
    }
    return new Nexus(initiatorId, "camsim,initiator-" + initiatorId, CAM_SIM_PORT);
  }
}
