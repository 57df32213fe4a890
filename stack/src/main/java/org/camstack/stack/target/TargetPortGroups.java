package org.camstack.stack.target;

import java.util.List;
import org.camstack.stack.scsi.Bytes;

/**
 * The asymmetric logical unit access (ALUA, SPC-4 5.16) model of a LUN: its target port groups,
 * each with an access state and the relative target ports in it. Today there is one group (id 1,
 * active/optimized, preferred) holding both ports of this process, the in-process SIM ({@link
 * Nexuses#CAM_SIM_PORT}) and iSCSI ({@link Nexuses#ISCSI_PORT}); a cluster (several nodes, hence
 * several groups and states) builds another value of this class, its own ports numbered from its
 * {@code localPortBase} (org.camstack.stack.cluster.ClusterLuns). INQUIRY reports TPGS = 01b
 * (implicit ALUA only: SET TARGET PORT GROUPS is not implemented).
 *
 * <p>Immutable. cf. sys/cam/ctl/ctl.c {@code ctl_report_tagret_port_groups} (sic).
 *
 * @param groups the groups, in reporting order
 */
public record TargetPortGroups(List<Group> groups, int localPortBase) {

  /** Asymmetric access states (SPC-4 table 174). */
  public static final int ACTIVE_OPTIMIZED = 0x0;
  public static final int ACTIVE_NON_OPTIMIZED = 0x1;
  public static final int STANDBY = 0x2;
  public static final int UNAVAILABLE = 0x3;
  public static final int OFFLINE = 0xe;
  public static final int TRANSITIONING = 0xf;

  /** The single group of one node: id 1, active/optimized, both local ports. */
  public static final TargetPortGroups LOCAL =
      new TargetPortGroups(List.of(new Group(1, ACTIVE_OPTIMIZED, true, List.of(Nexuses.CAM_SIM_PORT, Nexuses.ISCSI_PORT))));

  /**
   * One target port group.
   *
   * @param id target port group id (1..65535)
   * @param state its asymmetric access state
   * @param preferred PREF: the preferred group
   * @param ports relative target port ids (1..65535)
   */
  public record Group(int id, int state, boolean preferred, List<Integer> ports) {
    public Group {
      if (id < 1 || id > 0xffff) {
        throw new IllegalArgumentException("target port group id " + id + " out of 1..65535");
      }
      switch (state) {
        case ACTIVE_OPTIMIZED, ACTIVE_NON_OPTIMIZED, STANDBY, UNAVAILABLE, OFFLINE, TRANSITIONING -> {}
        default -> throw new IllegalArgumentException("asymmetric access state 0x" + Integer.toHexString(state));
      }
      ports = List.copyOf(ports);
      if (ports.size() > 255) {
        throw new IllegalArgumentException("more than 255 ports in group " + id);
      }
    }
  }

  public TargetPortGroups {
    groups = List.copyOf(groups);
    if (localPortBase < 0 || localPortBase > 0xffff - 2) {
      throw new IllegalArgumentException("local port base " + localPortBase + " out of range");
    }
  }

  /** One process's model: its ports are {@link Nexuses#CAM_SIM_PORT} and {@link Nexuses#ISCSI_PORT} as they are. */
  public TargetPortGroups(List<Group> groups) {
    this(groups, 0);
  }

  /**
   * The relative target port id a nexus of this process reaches the LUN through: {@code
   * localPortBase} plus its frontend's port ({@link Nexuses#CAM_SIM_PORT}, {@link
   * Nexuses#ISCSI_PORT}). In a cluster every node numbers its ports from its own base, so that the
   * ids are unique in the SCSI target device the nodes form together (docs/cluster.md).
   */
  public int relativePort(int nexusPort) {
    return localPortBase + nexusPort;
  }

  /** The group holding relative target port {@code port}, or null. */
  public Group groupOf(int port) {
    for (Group g : groups) {
      if (g.ports().contains(port)) {
        return g;
      }
    }
    return null;
  }

  /** Supported-state bits of byte 1 of each descriptor: the states some group of the model is in. */
  private int supportedStates() {
    int bits = 0;
    for (Group g : groups) {
      bits |= switch (g.state()) {
        case ACTIVE_OPTIMIZED -> 0x01; // AO_SUP
        case ACTIVE_NON_OPTIMIZED -> 0x02; // AN_SUP
        case STANDBY -> 0x04; // S_SUP
        case UNAVAILABLE -> 0x08; // U_SUP
        case OFFLINE -> 0x40; // O_SUP
        default -> 0x80; // T_SUP
      };
    }
    return bits;
  }

  /**
   * REPORT TARGET PORT GROUPS parameter data: RETURN DATA LENGTH (the bytes after it), with the
   * extended header (format type 001b, implicit transition time 0) when {@code extended}, then one
   * descriptor per group.
   */
  public byte[] report(boolean extended) {
    int hdr = extended ? 8 : 4;
    int len = hdr;
    for (Group g : groups) {
      len += 8 + 4 * g.ports().size();
    }
    byte[] b = new byte[len];
    Bytes.put32(b, 0, len - 4);
    if (extended) {
      b[4] = 0x10; // FORMAT TYPE 001b
      b[5] = 0; // IMPLICIT TRANSITION TIME
    }
    int sup = supportedStates();
    int p = hdr;
    for (Group g : groups) {
      b[p] = (byte) ((g.preferred() ? 0x80 : 0) | g.state());
      b[p + 1] = (byte) sup;
      Bytes.put16(b, p + 2, g.id());
      b[p + 5] = 0; // STATUS CODE: no status available
      b[p + 7] = (byte) g.ports().size();
      p += 8;
      for (int port : g.ports()) {
        Bytes.put16(b, p + 2, port);
        p += 4;
      }
    }
    return b;
  }
}
