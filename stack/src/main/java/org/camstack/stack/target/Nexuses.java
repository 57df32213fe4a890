package org.camstack.stack.target;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The process-wide I_T nexus table. Ids below 65536 are the in-process SIM's initiator ids (target
 * port {@link #CAM_SIM_PORT}); a network frontend names an initiator port (e.g. iSCSI's {@code
 * iqn...,i,0x<ISID>}) and gets a stable id &ge; 65536 per initiator port and target port.
 *
 * <p>(Stand-in written on branch iscsi-conn because commit 13c88fe references this class without
 * adding it; the lead's version replaces it.)
 */
public final class Nexuses {
  /** Relative target port of the in-process SIM. */
  public static final int CAM_SIM_PORT = 1;
  /** Relative target port of the iSCSI frontend. */
  public static final int ISCSI_PORT = 2;
  /** First id handed to a network initiator port. */
  public static final int FIRST_NETWORK_ID = 65536;

  /** One nexus: initiator port name, relative target port. */
  public record Nexus(int initiatorId, String initiatorPort, int relativeTargetPort) {}

  private static final ConcurrentHashMap<String, Nexus> BY_NAME = new ConcurrentHashMap<>();
  private static final ConcurrentHashMap<Integer, Nexus> BY_ID = new ConcurrentHashMap<>();
  private static final AtomicInteger NEXT = new AtomicInteger(FIRST_NETWORK_ID);

  private Nexuses() {}

  /** The stable id of {@code initiatorPort} seen through {@code relativeTargetPort}. */
  public static int idFor(String initiatorPort, int relativeTargetPort) {
    return BY_NAME.computeIfAbsent(relativeTargetPort + "|" + initiatorPort, k -> {
      Nexus n = new Nexus(NEXT.getAndIncrement(), initiatorPort, relativeTargetPort);
      BY_ID.put(n.initiatorId(), n);
      return n;
    }).initiatorId();
  }

  /** The nexus of an id; SIM ids (&lt; 65536) are described as initiator "sim:ID" on port 1. */
  public static Nexus describe(int id) {
    if (id >= 0 && id < FIRST_NETWORK_ID) {
      return new Nexus(id, "sim:" + id, CAM_SIM_PORT);
    }
    Nexus n = BY_ID.get(id);
    if (n == null) {
      throw new IllegalArgumentException("no nexus " + id);
    }
    return n;
  }
}
