package org.camstack.stack.target;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The process-wide table of I_T nexuses (SAM-5 4.6): every command reaches a LUN with an {@code
 * initiatorId}, and this table says which initiator port and which target port that id stands for.
 * Ids below {@value #FIRST_NETWORK_ID} are the in-process SIM's initiator ids (target port {@link
 * #CAM_SIM_PORT}); a network frontend asks {@link #idFor} once per initiator port and target port
 * and gets an id that stays the same for the life of the process.
 *
 * <p>Thread-safe; {@link #describe} is lock-free.
 */
public final class Nexuses {
  /** Relative target port of the in-process SIM (cf. CTL's camsim port). */
  public static final int CAM_SIM_PORT = 1;
  /** Relative target port of the iSCSI portal. */
  public static final int ISCSI_PORT = 2;
  /** The first id handed out to a network initiator port. */
  public static final int FIRST_NETWORK_ID = 65536;

  /**
   * One I_T nexus.
   *
   * @param initiatorId the id commands carry
   * @param initiatorPort the initiator port's name (iSCSI: {@code "iqn...,i,0x<ISID>"}; SIM: {@code
   *     "camsim:<id>"})
   * @param relativeTargetPort the target port's relative port identifier
   */
  public record Nexus(int initiatorId, String initiatorPort, int relativeTargetPort) {}

  private static final ConcurrentHashMap<String, Nexus> BY_NAME = new ConcurrentHashMap<>();
  private static final ConcurrentHashMap<Integer, Nexus> BY_ID = new ConcurrentHashMap<>();
  private static final AtomicInteger NEXT = new AtomicInteger(FIRST_NETWORK_ID);

  private Nexuses() {}

  /** Prefix of the initiator port names of the SIM's initiator ids. */
  public static final String SIM_PREFIX = "camsim:";

  /**
   * The id of the I_T nexus between {@code initiatorPort} and target port {@code
   * relativeTargetPort}; the same for the same pair during the life of the process. A SIM port name
   * ({@code "camsim:<id>"} on {@link #CAM_SIM_PORT}) gives back its SIM id.
   */
  public static int idFor(String initiatorPort, int relativeTargetPort) {
    if (initiatorPort == null || initiatorPort.isEmpty()) {
      throw new IllegalArgumentException("initiator port name is empty");
    }
    if (relativeTargetPort == CAM_SIM_PORT && initiatorPort.startsWith(SIM_PREFIX)) {
      try {
        int id = Integer.parseInt(initiatorPort.substring(SIM_PREFIX.length()));
        if (id >= 0 && id < FIRST_NETWORK_ID) {
          return id;
        }
      } catch (NumberFormatException e) {
        // a network name that happens to start like a SIM one
      }
    }
    String key = relativeTargetPort + "/" + initiatorPort;
    Nexus n = BY_NAME.computeIfAbsent(key, k -> {
      Nexus x = new Nexus(NEXT.getAndIncrement(), initiatorPort, relativeTargetPort);
      BY_ID.put(x.initiatorId(), x);
      return x;
    });
    return n.initiatorId();
  }

  /** Which initiator port and target port {@code initiatorId} stands for. */
  public static Nexus describe(int initiatorId) {
    if (initiatorId >= 0 && initiatorId < FIRST_NETWORK_ID) {
      return new Nexus(initiatorId, SIM_PREFIX + initiatorId, CAM_SIM_PORT);
    }
    Nexus n = BY_ID.get(initiatorId);
    return n != null ? n : new Nexus(initiatorId, "unknown:" + initiatorId, 0);
  }
}
