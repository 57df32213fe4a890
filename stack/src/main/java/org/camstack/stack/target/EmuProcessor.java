package org.camstack.stack.target;

import static org.camstack.stack.scsi.Bytes.be24;
import static org.camstack.stack.scsi.Opcodes.RECEIVE;
import static org.camstack.stack.scsi.Opcodes.SEND;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.ScsiResponse;

/**
 * An emulated processor device (peripheral type 0x03, SPC-2 "processor device" commands): SEND
 * (0Ah) hands a packet to the device, RECEIVE (08h) takes the oldest packet the device holds. The
 * device is a loopback mailbox: what an initiator SENDs becomes receivable, and the control plane
 * can {@link #offer} packets of its own (cf. a host-to-host link through a processor device).
 *
 * <p>RECEIVE with nothing queued answers GOOD with no data (the whole allocation as residual); a
 * packet longer than the allocation length is truncated (the rest is dropped, as a tape read with
 * a short buffer). At most {@link #MAX_PACKETS} packets are held; a SEND beyond that answers 0B/00/00
 * ABORTED COMMAND so the sender retries after a RECEIVE drained some.
 *
 * <p>cf. sys/cam/scsi/scsi_pt.c and scsi_pt.h (FreeBSD).
 */
public class EmuProcessor extends EmuDevice {
  /** Packets held at most. */
  public static final int MAX_PACKETS = 64;
  /** Largest packet (the 24-bit transfer length allows more; the emulator does not). */
  public static final int MAX_PACKET = 1 << 20;

  private final ArrayDeque<ByteString> queue = new ArrayDeque<>(); // guarded by itself
  private long sends;
  private long receives;

  public EmuProcessor(LunSpec spec) {
    super(spec);
    if (spec.type() != LunSpec.Type.PROCESSOR) {
      throw new IllegalArgumentException("lun " + spec.lun() + " is not a processor: " + spec.type());
    }
    supports(SEND, 0);
    supports(RECEIVE, 0);
  }

  @Override
  public int peripheralType() {
    return 0x03;
  }

  /** The control plane puts a packet in the mailbox; false when it is full. */
  public boolean offer(ByteString packet) {
    synchronized (queue) {
      if (queue.size() >= MAX_PACKETS) {
        return false;
      }
      queue.addLast(packet);
      return true;
    }
  }

  /** Packets waiting for a RECEIVE, oldest first. */
  public List<ByteString> queued() {
    synchronized (queue) {
      return new ArrayList<>(queue);
    }
  }

  /** SEND and RECEIVE commands completed so far. */
  public synchronized long[] counters() {
    return new long[] {sends, receives};
  }

  @Override
  protected ScsiResponse executeCommand(int op, ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId) {
    switch (op) {
      case SEND:
        return send(cdb, dataOut, dxferLen);
      case RECEIVE:
        return receive(cdb, dxferLen);
      default:
        return super.executeCommand(op, cdb, dataOut, dxferLen, initiatorId);
    }
  }

  private ScsiResponse send(ByteString cdb, ByteString data, int dxferLen) {
    if ((cdb.apply(1) & 0x01) != 0) {
      return invalidCdbField(1, 0, dxferLen); // AER: asynchronous event reporting is not emulated
    }
    int len = be24(cdb, 2);
    if (len > MAX_PACKET) {
      return invalidCdbField(2, -1, dxferLen);
    }
    if (data.size() != len) {
      return dataOutMismatch(2, dxferLen);
    }
    if (len == 0) {
      return good(dxferLen);
    }
    if (!offer(data)) {
      return checkCondition(org.camstack.stack.scsi.Sense.fixed(org.camstack.stack.scsi.Sense.ABORTED_COMMAND, 0x00, 0x00), dxferLen);
    }
    synchronized (this) {
      sends++;
    }
    return good(Math.max(0, dxferLen - len));
  }

  private ScsiResponse receive(ByteString cdb, int dxferLen) {
    int alloc = be24(cdb, 2);
    ByteString p;
    synchronized (queue) {
      p = alloc == 0 ? null : queue.pollFirst();
    }
    if (p == null) {
      return good(dxferLen);
    }
    synchronized (this) {
      receives++;
    }
    return goodData(p, alloc, dxferLen);
  }
}
