package org.camstack.stack.node;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.camstack.stack.scsi.Bytes;
import org.camstack.stack.testkit.UserProgramDisk;

/**
 * A user program of targ(4) over the management API (test code): plays a disk of {@link #BLOCKS}
 * 512-byte blocks whose byte i of block lba is {@link #pattern}, answering each ATIO of {@code GET
 * /api/targ/{id}/atio} with one {@code POST /api/targ/{id}/ctio}, until {@link #stop}.
 */
final class TargDiskProgram implements Runnable {
  static final int BLOCKS = 128;

  /** One HTTP call of the program: method, path, body (null = none) to the node's reply. */
  interface Http {
    NodeProcess.Reply call(String method, String path, String body) throws Exception;
  }

  private final Http http;
  private final String id;
  private final AtomicBoolean stop = new AtomicBoolean();
  /** The opcodes of the commands answered, in order. */
  final List<Integer> opcodes = new CopyOnWriteArrayList<>();
  /** The tags answered, in order. */
  final List<Long> tags = new CopyOnWriteArrayList<>();
  /** What went wrong in the program's thread (an unexpected reply), if anything. */
  final List<String> errors = new CopyOnWriteArrayList<>();

  TargDiskProgram(Http http, String id) {
    this.http = http;
    this.id = id;
  }

  static byte pattern(long lba, int i) {
    return (byte) (lba * 7 + i);
  }

  void stop() {
    stop.set(true);
  }

  @Override
  public void run() {
    while (!stop.get()) {
      try {
        NodeProcess.Reply r = http.call("GET", "/api/targ/" + id + "/atio?wait=500", null);
        if (r.status() == 204) {
          continue;
        }
        if (r.status() != 200) {
          errors.add("atio: " + r.status() + " " + r.body());
          return;
        }
        JsonNode a = r.json();
        long tag = a.get("tag").asLong();
        byte[] cdb = HexFormat.of().parseHex(a.get("cdbHex").asText());
        String ctio = answer(cdb);
        NodeProcess.Reply c = http.call("POST", "/api/targ/" + id + "/ctio", "{\"tag\":" + tag + "," + ctio + "}");
        if (c.status() != 200) {
          errors.add("ctio " + tag + ": " + c.status() + " " + c.body());
        } else {
          opcodes.add(cdb[0] & 0xff);
          tags.add(tag);
        }
      } catch (Exception e) {
        if (!stop.get()) {
          errors.add(e.toString());
        }
        return;
      }
    }
  }

  private static String good(byte[] data) {
    return "\"status\":0,\"dataHex\":\"" + HexFormat.of().formatHex(data) + "\"";
  }

  private static String checkCondition(int key, int asc) {
    byte[] s = new byte[18];
    s[0] = 0x70;
    s[2] = (byte) key;
    s[7] = 10;
    s[12] = (byte) asc;
    return "\"status\":2,\"senseHex\":\"" + HexFormat.of().formatHex(s) + "\"";
  }

  /** The answer to one CDB, as the CTIO's JSON fields. */
  static String answer(byte[] cdb) {
    switch (cdb[0] & 0xff) {
      case 0x12: { // INQUIRY
        if ((cdb[1] & 1) != 0) {
          if (cdb[2] == 0) {
            return good(new byte[] {0, 0, 0, 1, 0}); // supported VPD pages: 00h only
          }
          return checkCondition(0x5, 0x24);
        }
        byte[] b = UserProgramDisk.standardInquiry();
        return good(b);
      }
      case 0x00: // TEST UNIT READY
        return good(new byte[0]);
      case 0x25: { // READ CAPACITY(10)
        byte[] b = new byte[8];
        Bytes.put32(b, 0, BLOCKS - 1);
        Bytes.put32(b, 4, 512);
        return good(b);
      }
      case 0x9e: { // SERVICE ACTION IN(16)
        if ((cdb[1] & 0x1f) != 0x10) {
          return checkCondition(0x5, 0x24);
        }
        byte[] b = new byte[32]; // READ CAPACITY(16)
        Bytes.put32(b, 4, BLOCKS - 1);
        Bytes.put32(b, 8, 512);
        return good(b);
      }
      case 0xa0: { // REPORT LUNS: LUN 0
        byte[] b = new byte[16];
        Bytes.put32(b, 0, 8);
        return good(b);
      }
      case 0x1a: // MODE SENSE(6): a bare header
        return good(new byte[] {3, 0, 0, 0});
      case 0x08: // READ(6): what da sends to a small disk
      case 0x28: { // READ(10)
        boolean six = (cdb[0] & 0xff) == 0x08;
        long lba = six ? ((cdb[1] & 0x1fL) << 16) | ((cdb[2] & 0xff) << 8) | (cdb[3] & 0xff)
            : ((cdb[2] & 0xffL) << 24) | ((cdb[3] & 0xff) << 16) | ((cdb[4] & 0xff) << 8) | (cdb[5] & 0xff);
        int n = six ? ((cdb[4] & 0xff) == 0 ? 256 : cdb[4] & 0xff) : ((cdb[7] & 0xff) << 8) | (cdb[8] & 0xff);
        if (lba + n > BLOCKS) {
          return checkCondition(0x5, 0x21);
        }
        return good(blocks(lba, n));
      }
      default: // INVALID COMMAND OPERATION CODE
        return checkCondition(0x5, 0x20);
    }
  }

  /** Blocks {@code lba..lba+n-1} of the played disk. */
  static byte[] blocks(long lba, int n) {
    byte[] b = new byte[n * 512];
    for (int k = 0; k < n; k++) {
      for (int i = 0; i < 512; i++) {
        b[k * 512 + i] = pattern(lba + k, i);
      }
    }
    return b;
  }
}
