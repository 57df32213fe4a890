package org.camstack.stack.target.iscsi;

import static org.camstack.stack.target.iscsi.InitiatorPdus.text;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.camstack.stack.iscsi.Opcode;
import org.camstack.stack.iscsi.Pdu;
import org.camstack.stack.iscsi.PduCodec;

/** A minimal iSCSI initiator over a real socket, built on PduCodec (test code). */
public final class RawInitiator implements AutoCloseable {
  final Socket socket = new Socket();
  final InputStream in;
  final OutputStream out;
  final PduCodec.Decoder decoder = new PduCodec.Decoder(new PduCodec.Settings(false, false, Pdu.MAX_DATA_LENGTH));
  PduCodec.Settings tx = PduCodec.Settings.LOGIN;
  final ArrayDeque<Pdu> received = new ArrayDeque<>();
  public int cmdSn;
  int itt = 1;
  long isid;

  public RawInitiator(int port) throws IOException {
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    socket.setSoTimeout(10_000);
    socket.setTcpNoDelay(true);
    in = socket.getInputStream();
    out = socket.getOutputStream();
  }

  public void send(Pdu p) throws IOException {
    out.write(PduCodec.encode(p, tx));
    out.flush();
  }

  void sendRaw(byte[] b) throws IOException {
    out.write(b);
    out.flush();
  }

  /** The next PDU, or null at end of stream; throws SocketTimeoutException after the timeout. */
  public Pdu next() throws IOException {
    byte[] buf = new byte[65536];
    while (received.isEmpty()) {
      int n = in.read(buf);
      if (n < 0) {
        return null;
      }
      for (PduCodec.Decoded d : decoder.feed(buf, 0, n)) {
        if (d instanceof PduCodec.Decoded.Frame f) {
          received.add(f.pdu());
        } else {
          throw new IOException("target sent unframable bytes: " + d);
        }
      }
    }
    return received.poll();
  }

  /** Whether the target closed the connection within the socket timeout. */
  public boolean closedByTarget() throws IOException {
    try {
      while (next() != null) {
        // drain
      }
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset
    }
  }

  /** Logs in (AuthMethod=None) to {@code target} (null: discovery); returns the final login response. */
  public Pdu login(String initiator, String target, long isid, String... opKeys) throws IOException {
    this.isid = isid;
    List<String> sec = new ArrayList<>(List.of("InitiatorName=" + initiator, "AuthMethod=None"));
    sec.add(target == null ? "SessionType=Discovery" : "SessionType=Normal");
    if (target != null) {
      sec.add("TargetName=" + target);
    }
    send(InitiatorPdus.login(0, 1, true, isid, 0, 0x77, cmdSn, text(sec.toArray(String[]::new))));
    Pdu r = next();
    if (r == null || r.opcode() != Opcode.LOGIN_RESPONSE || (r.specificInt(36) >>> 16) != 0) {
      return r;
    }
    send(InitiatorPdus.login(1, 3, true, isid, 0, 0x77, cmdSn, text(opKeys)));
    return next();
  }

  /** TEST UNIT READY until GOOD (consumes the new nexus's unit attentions); returns the last status. */
  int testUnitReady(long lun) throws IOException {
    int status = -1;
    for (int i = 0; i < 5 && status != 0; i++) {
      int tag = itt++;
      send(InitiatorPdus.scsi(tag, cmdSn++, lun, false, false, true, 0, new byte[6], new byte[0]));
      Pdu p;
      do {
        p = next();
        if (p == null) {
          throw new IOException("connection closed");
        }
      } while (p.initiatorTaskTag() != tag);
      status = InitiatorPdus.status(p);
    }
    return status;
  }

  /** The next PDU of task {@code tag} (others are skipped). */
  private Pdu nextFor(int tag) throws IOException {
    while (true) {
      Pdu p = next();
      if (p == null) {
        throw new IOException("connection closed");
      }
      if (p.initiatorTaskTag() == tag) {
        return p;
      }
    }
  }

  /** READ(10); returns the data, or null if the command did not end GOOD. */
  byte[] read(long lun, long lba, int blocks, int blockSize) throws IOException {
    return dataIn(lun, InitiatorPdus.read10(lba, blocks), blocks * blockSize);
  }

  /** A data-in command ({@code cdb}, up to {@code len} bytes); returns the data, or null if it did not end GOOD. */
  byte[] dataIn(long lun, byte[] cdb, int len) throws IOException {
    int tag = itt++;
    send(InitiatorPdus.scsi(tag, cmdSn++, lun, true, false, true, len, cdb, new byte[0]));
    byte[] data = new byte[len];
    while (true) {
      Pdu p = nextFor(tag);
      if (p.opcode() == Opcode.SCSI_DATA_IN) {
        System.arraycopy(p.data(), 0, data, p.specificInt(40), p.dataSegmentLength());
        if ((p.flags() & 0x01) != 0) {
          return InitiatorPdus.status(p) == 0 ? data : null;
        }
      } else if (p.opcode() == Opcode.SCSI_RESPONSE) {
        return InitiatorPdus.status(p) == 0 ? data : null;
      }
    }
  }

  /** WRITE(10) answering every R2T; returns the SCSI status. */
  int write(long lun, long lba, byte[] data, int blockSize, int immediate) throws IOException {
    int tag = itt++;
    int blocks = data.length / blockSize;
    byte[] imm = java.util.Arrays.copyOf(data, Math.min(immediate, data.length));
    send(InitiatorPdus.scsi(tag, cmdSn++, lun, false, true, true, data.length, InitiatorPdus.write10(lba, blocks), imm));
    while (true) {
      Pdu p = nextFor(tag);
      if (p.opcode() == Opcode.R2T) {
        int off = p.specificInt(40);
        int len = p.specificInt(44);
        int sn = 0;
        for (int o = off; o < off + len; o += 8192) {
          int n = Math.min(8192, off + len - o);
          send(InitiatorPdus.dataOut(tag, p.specificInt(20), sn++, o, o + n == off + len,
              java.util.Arrays.copyOfRange(data, o, o + n)));
        }
      } else if (p.opcode() == Opcode.SCSI_RESPONSE) {
        return InitiatorPdus.status(p);
      }
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
