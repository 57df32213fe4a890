package org.camstack.stack.xpt;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.HbaFlags;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.Sense;
import org.camstack.stack.target.ScsiLun;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.sim.SimDataPath;

/**
 * A small test-only bus for the XPT tests: targets of {@link Lun}s that answer the commands the
 * probe sends (TUR, INQUIRY with VPD 0x00/0x80/0x83, REPORT LUNS, MODE SENSE control page) plus
 * READ/WRITE(10) as null I/O, with per-LUN unit attentions and a fault hook. Not the emulator (that
 * is {@code org.camstack.stack.target}); just enough to drive the transport.
 */
final class FakeBus implements SimDataPath {

  final Map<Integer, Target> targets = new ConcurrentHashMap<>();
  final int maxTarget;
  final long maxLun;
  final int initiatorId;

  FakeBus(int maxTarget, long maxLun, int initiatorId) {
    this.maxTarget = maxTarget;
    this.maxLun = maxLun;
    this.initiatorId = initiatorId;
  }

  Ccb.PathInqResult cpi(int unit) {
    return new Ccb.PathInqResult(
        1, HbaFlags.PI_TAG_ABLE, HbaFlags.PIM_NOSCAN, maxTarget, (int) maxLun, initiatorId,
        "camstack", "fake", "fakesim", unit, 0, 300_000, 1 << 20);
  }

  Target target(int id) {
    return targets.computeIfAbsent(id, i -> new Target());
  }

  Lun addLun(int target, long lun) {
    Lun l = new Lun(target, lun);
    target(target).luns.put(lun, l);
    return l;
  }

  @Override
  public ScsiResponse execute(int target, long lun, ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId) {
    Target t = targets.get(target);
    return t == null ? null : t.execute(lun, cdb, dataOut, dxferLen, initiatorId);
  }

  @Override
  public void resetBus() {
    for (Target t : targets.values()) {
      t.unitAttentionAll(0x29, 0x02, -1);
    }
  }

  @Override
  public boolean resetTarget(int target) {
    Target t = targets.get(target);
    if (t == null) {
      return false;
    }
    t.unitAttentionAll(0x29, 0x03, -1);
    return true;
  }

  static final class Target {
    final ConcurrentSkipListMap<Long, Lun> luns = new ConcurrentSkipListMap<>();
    volatile boolean reportLunsSupported = true;

    ScsiResponse execute(long lun, ByteString cdb, ByteString dataOut, int dxferLen, int init) {
      int op = cdb.apply(0) & 0xff;
      Lun l = luns.get(lun);
      if (op == 0xa0 && reportLunsSupported) {
        if (l != null) {
          ScsiResponse f = l.fault(cdb);
          if (f != null) {
            return f;
          }
        }
        return reportLuns(dxferLen);
      }
      if (l != null) {
        return l.execute(cdb, dataOut, dxferLen, init);
      }
      if (op == 0x12) { // INQUIRY to a LUN that is not there: qualifier 3, type 0x1f
        byte[] inq = new byte[36];
        inq[0] = 0x7f;
        inq[2] = 6;
        inq[4] = 31;
        return ScsiResponse.good(ByteString.fromArrayUnsafe(inq), dxferLen);
      }
      return ScsiResponse.checkCondition(Sense.fixed(Sense.ILLEGAL_REQUEST, 0x25, 0x00), dxferLen);
    }

    ScsiResponse reportLuns(int dxferLen) {
      byte[] b = new byte[8 + 8 * luns.size()];
      int len = 8 * luns.size();
      b[0] = (byte) (len >>> 24);
      b[1] = (byte) (len >>> 16);
      b[2] = (byte) (len >>> 8);
      b[3] = (byte) len;
      int i = 8;
      for (long lun : luns.keySet()) {
        if (lun < 256) {
          b[i + 1] = (byte) lun;
        } else {
          b[i] = (byte) (0x40 | (lun >> 8));
          b[i + 1] = (byte) lun;
        }
        i += 8;
      }
      return ScsiResponse.good(ByteString.fromArrayUnsafe(b), dxferLen);
    }

    void unitAttentionAll(int asc, int ascq, long except) {
      for (Lun l : luns.values()) {
        if (l.lun != except) {
          l.unitAttention(asc, ascq);
        }
      }
    }

    /** Adds a LUN like a real array does: the others report REPORTED LUNS DATA HAS CHANGED. */
    Lun plug(int targetId, long lun) {
      Lun l = new Lun(targetId, lun);
      luns.put(lun, l);
      unitAttentionAll(0x3f, 0x0e, lun);
      return l;
    }

    void unplug(long lun) {
      luns.remove(lun);
      unitAttentionAll(0x3f, 0x0e, lun);
    }
  }

  /** One LUN. Thread-safe: its state is volatile or synchronized. */
  static final class Lun implements ScsiLun {
    final int target;
    final long lun;
    volatile String vendor = "CAMSTACK";
    volatile String product = "FAKE-DISK";
    volatile String revision = "0001";
    volatile String serial;
    volatile int type = 0;
    volatile int ansi = 6;
    volatile boolean cmdQue = true;
    volatile Function<ByteString, ScsiResponse> faultHook;
    final AtomicLong commands = new AtomicLong();
    private final Deque<int[]> unitAttentions = new ArrayDeque<>();

    Lun(int target, long lun) {
      this.target = target;
      this.lun = lun;
      this.serial = "FAKE" + target + "L" + lun;
    }

    synchronized void unitAttention(int asc, int ascq) {
      unitAttentions.add(new int[] {asc, ascq});
    }

    private synchronized int[] nextUnitAttention() {
      return unitAttentions.poll();
    }

    ScsiResponse fault(ByteString cdb) {
      Function<ByteString, ScsiResponse> f = faultHook;
      return f == null ? null : f.apply(cdb);
    }

    @Override
    public ScsiResponse execute(ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId) {
      commands.incrementAndGet();
      ScsiResponse f = fault(cdb);
      if (f != null) {
        return f;
      }
      int op = cdb.apply(0) & 0xff;
      if (op != 0x12 && op != 0xa0 && op != 0x03) {
        int[] ua = nextUnitAttention();
        if (ua != null) {
          return ScsiResponse.checkCondition(Sense.fixed(Sense.UNIT_ATTENTION, ua[0], ua[1]), dxferLen);
        }
      }
      switch (op) {
        case 0x00:
          return ScsiResponse.GOOD;
        case 0x12:
          return inquiry(cdb, dxferLen);
        case 0x1a:
          return modeSense(dxferLen);
        case 0x28:
          return ScsiResponse.good(ByteString.fromArrayUnsafe(new byte[Math.min(dxferLen, 4096)]), dxferLen);
        case 0x2a:
          return ScsiResponse.GOOD;
        default:
          return ScsiResponse.checkCondition(Sense.fixed(Sense.ILLEGAL_REQUEST, 0x20, 0x00), dxferLen);
      }
    }

    private ScsiResponse inquiry(ByteString cdb, int dxferLen) {
      boolean evpd = (cdb.apply(1) & 1) != 0;
      int page = cdb.apply(2) & 0xff;
      if (!evpd) {
        byte[] b = new byte[64];
        b[0] = (byte) type;
        b[2] = (byte) ansi;
        b[3] = 0x02;
        b[4] = (byte) (b.length - 5);
        b[7] = (byte) (cmdQue ? 0x02 : 0);
        put(b, 8, vendor, 8);
        put(b, 16, product, 16);
        put(b, 32, revision, 4);
        return ScsiResponse.good(ByteString.fromArrayUnsafe(b), dxferLen);
      }
      switch (page) {
        case 0x00:
          return ScsiResponse.good(ByteString.fromArrayUnsafe(new byte[] {(byte) type, 0, 0, 3, 0x00, (byte) 0x80, (byte) 0x83}), dxferLen);
        case 0x80: {
          byte[] s = serial.getBytes(StandardCharsets.US_ASCII);
          byte[] b = new byte[4 + s.length];
          b[0] = (byte) type;
          b[1] = (byte) 0x80;
          b[3] = (byte) s.length;
          System.arraycopy(s, 0, b, 4, s.length);
          return ScsiResponse.good(ByteString.fromArrayUnsafe(b), dxferLen);
        }
        case 0x83: {
          byte[] b = new byte[4 + 12];
          b[0] = (byte) type;
          b[1] = (byte) 0x83;
          b[3] = 12;
          b[4] = 0x01; // binary
          b[5] = 0x03; // NAA
          b[7] = 8;
          b[8] = 0x50;
          b[14] = (byte) target;
          b[15] = (byte) lun;
          return ScsiResponse.good(ByteString.fromArrayUnsafe(b), dxferLen);
        }
        default:
          return ScsiResponse.checkCondition(Sense.illegalField(0x24, 0x00, true, 2, -1), dxferLen);
      }
    }

    private ScsiResponse modeSense(int dxferLen) {
      byte[] b = new byte[4 + 12];
      b[0] = (byte) (b.length - 1);
      b[4] = 0x0a;
      b[5] = 0x0a;
      return ScsiResponse.good(ByteString.fromArrayUnsafe(b), dxferLen);
    }

    private static void put(byte[] b, int off, String s, int len) {
      byte[] v = s.getBytes(StandardCharsets.US_ASCII);
      for (int i = 0; i < len; i++) {
        b[off + i] = i < v.length ? v[i] : (byte) ' ';
      }
    }
  }

  /** A CHECK CONDITION with fixed sense. */
  static ScsiResponse check(int key, int asc, int ascq) {
    return ScsiResponse.checkCondition(Sense.fixed(key, asc, ascq), 0);
  }

  /** A bare status byte (BUSY, TASK SET FULL, ...). */
  static ScsiResponse status(int st) {
    return ScsiResponse.status(st, 0);
  }

  static final int GOOD = ScsiStatus.GOOD;
}
