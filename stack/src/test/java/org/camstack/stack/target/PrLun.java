package org.camstack.stack.target;

import static org.camstack.stack.target.T.cdb;

import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.Bytes;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.Sense;

/** A disk and PERSISTENT RESERVE IN/OUT as the reservation tests send them. */
final class PrLun {
  final EmuDisk disk = new EmuDisk(LunSpec.disk(0, 1000, 512));

  /** A 24-byte basic PR OUT parameter list. */
  static byte[] params(long key, long saKey, int flags) {
    byte[] p = new byte[24];
    Bytes.put64(p, 0, key);
    Bytes.put64(p, 8, saKey);
    p[20] = (byte) flags;
    return p;
  }

  static ByteString proutCdb(int sa, int type, int plen) {
    return cdb(0x5f, sa, type, 0, 0, plen >>> 24, plen >>> 16, plen >>> 8, plen, 0);
  }

  ScsiResponse prout(int ini, int sa, int type, byte[] params) {
    return disk.execute(proutCdb(sa, type, params.length), ByteString.fromArray(params), params.length, ini);
  }

  ScsiResponse prout(int ini, int sa, int type, long key, long saKey, int flags) {
    return prout(ini, sa, type, params(key, saKey, flags));
  }

  ScsiResponse register(int ini, long key) {
    return prout(ini, Reservations.REGISTER_AND_IGNORE, 0, 0, key, 0);
  }

  ScsiResponse reserve(int ini, long key, int type) {
    return prout(ini, Reservations.RESERVE, type, key, 0, 0);
  }

  ScsiResponse prin(int ini, int sa, int alloc) {
    return disk.execute(cdb(0x5e, sa, 0, 0, 0, 0, 0, alloc >>> 8, alloc, 0), ByteString.emptyByteString(), alloc, ini);
  }

  ScsiResponse run(int ini, ByteString c, int dxfer) {
    return disk.execute(c, ByteString.emptyByteString(), dxfer, ini);
  }

  ScsiResponse write(int ini, ByteString c, int len) {
    return disk.execute(c, ByteString.fromArray(new byte[len]), len, ini);
  }

  /** GOOD, CONFLICT, or {@code key/asc/ascq} in hex. */
  static String status(ScsiResponse r) {
    return switch (r.scsiStatus()) {
      case ScsiStatus.GOOD -> "GOOD";
      case ScsiStatus.RESERV_CONFLICT -> "CONFLICT";
      case ScsiStatus.CHECK_COND -> String.format("%x/%02x/%02x", Sense.key(r.sense()), Sense.asc(r.sense()), Sense.ascq(r.sense()));
      default -> ScsiStatus.name(r.scsiStatus());
    };
  }

  /** {@code g<generation> [ini:key,...] <holder>/<type>}, keys in hex; holder - when none. */
  String state() {
    Reservations.State s = disk.reservations().state();
    List<String> regs = new ArrayList<>();
    for (Reservations.Registrant r : s.regs()) {
      regs.add(r.initiatorId() + ":" + Long.toHexString(r.key()));
    }
    String h = s.holder() == null ? "-" : String.valueOf(s.holder().initiatorId());
    return "g" + s.generation() + " " + regs + " " + h + "/" + s.type();
  }

  /** The unit attentions pending for {@code ini}, as hex asc/ascq. */
  String uas(int ini) {
    List<String> out = new ArrayList<>();
    for (int c : disk.pendingUnitAttentions(ini)) {
      out.add(String.format("%02x/%02x", c >>> 8, c & 0xff));
    }
    return String.join(",", out);
  }
}
