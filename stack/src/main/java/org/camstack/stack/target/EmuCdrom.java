package org.camstack.stack.target;

import static org.camstack.stack.scsi.Bytes.be16;
import static org.camstack.stack.scsi.Bytes.u8;
import static org.camstack.stack.scsi.Opcodes.GET_CONFIGURATION;
import static org.camstack.stack.scsi.Opcodes.GET_EVENT_STATUS;
import static org.camstack.stack.scsi.Opcodes.PREVENT_ALLOW;
import static org.camstack.stack.scsi.Opcodes.READ_10;
import static org.camstack.stack.scsi.Opcodes.READ_12;
import static org.camstack.stack.scsi.Opcodes.READ_CAPACITY_10;
import static org.camstack.stack.scsi.Opcodes.READ_DISC_INFORMATION;
import static org.camstack.stack.scsi.Opcodes.READ_TOC;
import static org.camstack.stack.scsi.Opcodes.START_STOP_UNIT;
import static org.camstack.stack.scsi.Opcodes.TEST_UNIT_READY;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.scsi.Bytes;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.scsi.Sense;

/**
 * An emulated MMC CD/DVD-ROM drive (peripheral type 0x05, removable) with a tray, playing an ISO
 * image file as a single-session, single-track data disc of 2048-byte sectors.
 *
 * <p>Commands beyond SPC: READ CAPACITY(10), READ(10), READ(12), READ TOC/PMA/ATIP (formats 0
 * TOC and 1 session information, LBA or MSF addresses), GET CONFIGURATION (profile list, core,
 * removable medium, random readable), GET EVENT STATUS NOTIFICATION (polled, media class), READ
 * DISC INFORMATION (standard type), START STOP UNIT (LoEj opens / closes the tray), PREVENT ALLOW
 * MEDIUM REMOVAL (an eject while prevented answers 05/53/02), and MODE SENSE page 2Ah (MM
 * capabilities and mechanical status).
 *
 * <p>States: tray open (02/3A/02), tray closed without a disc (02/3A/01), disc loaded (ready). A
 * disc change posts 06/28/00 to every initiator and a media event GET EVENT STATUS NOTIFICATION
 * reports once. The durable part (loaded, started, removal prevented) is the common media state
 * of {@link EmuDevice}; the image path is the spec's {@code file} or the last {@link #load}. A
 * spec without a file but with {@code blocks} starts with a built-in disc of that many zero-filled
 * sectors (gone at the first eject).
 *
 * <p>Not emulated: audio (PLAY, READ SUBCHANNEL, READ CD), writing (blank media, WRITE, CLOSE
 * TRACK), multi-session discs, CSS / REPORT KEY, READ DVD STRUCTURE, SET CD SPEED.
 *
 * <p>cf. sys/cam/scsi/scsi_cd.c and scsi_cd.h (FreeBSD), MMC-6 for the layouts.
 */
public class EmuCdrom extends EmuDevice {
  /** CD/DVD logical block length. */
  public static final int SECTOR = 2048;
  /** Largest READ transfer in sectors (keeps one answer under a few MiB). */
  static final int MAX_TRANSFER_SECTORS = 2048;

  /** MMC profiles (GET CONFIGURATION). */
  public static final int PROFILE_NONE = 0x0000;
  public static final int PROFILE_CDROM = 0x0008;
  public static final int PROFILE_DVDROM = 0x0010;

  /** GET EVENT STATUS NOTIFICATION media event codes. */
  public static final int EVENT_NO_CHANGE = 0;
  public static final int EVENT_EJECT_REQUEST = 1;
  public static final int EVENT_NEW_MEDIA = 2;
  public static final int EVENT_MEDIA_REMOVAL = 3;

  /** A disc larger than this (bytes) is reported as a DVD-ROM, else a CD-ROM. */
  static final long CD_MAX_BYTES = 900L * 1024 * 1024;

  // guarded by this
  private Path image;
  private FileChannel channel;
  /** A built-in disc of zero-filled sectors (no image file): {@code blocks} of the spec. */
  private boolean builtin;
  private long sectors;
  private boolean trayOpen;
  private int pendingEvent = EVENT_NO_CHANGE;

  public EmuCdrom(LunSpec spec) {
    super(spec);
    if (spec.type() != LunSpec.Type.CDROM) {
      throw new IllegalArgumentException("lun " + spec.lun() + " is not a cd: " + spec.type());
    }
    if (spec.blockSize() != SECTOR) {
      throw new IllegalArgumentException("lun " + spec.lun() + ": a cd has block-size " + SECTOR + ", not " + spec.blockSize());
    }
    supports(TEST_UNIT_READY, 0); // own ready check (tray open / closed without a disc)
    supports(READ_CAPACITY_10, F_READY | F_RES_OK);
    supports(READ_10, F_READY | F_READ | F_LBA);
    supports(READ_12, F_READY | F_READ | F_LBA);
    supports(READ_TOC, F_READY | F_RES_OK);
    supports(GET_CONFIGURATION, F_NO_UA | F_RES_OK);
    supports(GET_EVENT_STATUS, F_NO_UA | F_RES_OK);
    supports(READ_DISC_INFORMATION, F_READY | F_RES_OK);
    supports(START_STOP_UNIT, 0);
    supports(PREVENT_ALLOW, 0);
    addModePage(capabilitiesPage(), new byte[capabilitiesPage().length]);
    if (spec.file() != null && !spec.file().isBlank()) {
      try {
        open(Path.of(spec.file()));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("lun " + spec.lun() + ": " + e.getMessage(), e);
      }
    } else if (spec.blocks() > 0) {
      builtin = true; // a disc of zero-filled sectors, until the first eject
      sectors = spec.blocks();
    } else {
      trayOpen = false;
      setMediumPresent(false);
      setStarted(false);
    }
  }

  /** A disc is in the drive (an image or the built-in blank one). */
  private boolean hasDisc() {
    return channel != null || builtin;
  }

  @Override
  public int peripheralType() {
    return 0x05;
  }

  @Override
  protected int[] versionDescriptors() {
    return new int[] {0x00a0 /* SAM-5 */, 0x0460 /* SPC-4 */, 0x0565 /* MMC-6 */};
  }

  /** MODE SENSE page 2Ah, MM capabilities and mechanical status (MMC-3 layout, 22 bytes). */
  private static byte[] capabilitiesPage() {
    byte[] p = new byte[22];
    p[0] = 0x2a;
    p[1] = 20;
    p[2] = 0x08 | 0x02 | 0x01; // DVD-ROM read, CD-RW read, CD-R read
    p[3] = 0; // writes nothing
    p[4] = 0x40; // multi-session
    p[5] = 0;
    p[6] = 0x20 | 0x08 | 0x01; // tray loading mechanism, eject, lock
    Bytes.put16(p, 8, 7056); // maximum read speed (kB/s, 40x)
    Bytes.put16(p, 12, 512); // buffer size (KiB)
    Bytes.put16(p, 14, 7056); // current read speed
    return p;
  }

  // ---------------------------------------------------------------- control plane

  /** The image in the drive, or null. */
  public synchronized Path image() {
    return image;
  }

  /** Sectors of the loaded disc, 0 without one. */
  public synchronized long sectors() {
    return sectors;
  }

  public synchronized boolean isTrayOpen() {
    return trayOpen;
  }

  /**
   * Puts the disc {@code iso} in the drive and closes the tray (cf. inserting a disc): posts
   * 06/28/00 and a NewMedia event. Refused while removal is prevented and a disc is in.
   *
   * @throws IllegalArgumentException when the image cannot be opened or the drive refuses
   */
  public void load(Path iso) {
    synchronized (this) {
      if (isMediumPresent() && isRemovalPrevented()) {
        pendingEvent = EVENT_EJECT_REQUEST;
        throw new IllegalArgumentException("medium removal is prevented: the disc in the drive stays");
      }
      close();
      builtin = false;
      open(iso);
      pendingEvent = EVENT_NEW_MEDIA;
    }
    stateChanged(DeviceStateSink.MEDIA); // the image itself is durable (another disc may replace one)
    postUnitAttention(0x28, 0x00);
  }

  /**
   * The eject button (cf. {@code cdcontrol eject}): opens the tray and takes the disc out. False
   * (nothing happens but an EjectRequest event) while removal is prevented.
   */
  public boolean eject() {
    synchronized (this) {
      if (isRemovalPrevented()) {
        pendingEvent = EVENT_EJECT_REQUEST;
        return false;
      }
      removeDisc();
    }
    return true;
  }

  /** Puts the media state of a restored drive back: a disc not loaded means the tray is open. */
  public synchronized void restoreTray() {
    if (!isMediumPresent()) {
      close();
      builtin = false;
      image = null;
      sectors = 0;
      trayOpen = true;
    } else if (!hasDisc()) {
      setMediumPresent(false); // loaded, says the journal, but there is no image to play
    }
    pendingEvent = EVENT_NO_CHANGE;
  }

  private void open(Path iso) {
    try {
      FileChannel ch = FileChannel.open(iso, StandardOpenOption.READ);
      long size = ch.size();
      if (size < SECTOR) {
        ch.close();
        throw new IllegalArgumentException("image " + iso + " is smaller than one " + SECTOR + "-byte sector");
      }
      channel = ch;
      image = iso;
      sectors = size / SECTOR;
      trayOpen = false;
      setMediumPresent(true);
      setStarted(true);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot open image " + iso + ": " + e.getMessage(), e);
    }
  }

  private void removeDisc() {
    boolean had = hasDisc();
    close();
    builtin = false;
    image = null;
    sectors = 0;
    trayOpen = true;
    setMediumPresent(false);
    setStarted(false);
    if (had) {
      pendingEvent = EVENT_MEDIA_REMOVAL;
    }
  }

  private void close() {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException e) {
        // read-only channel: nothing to lose
      }
      channel = null;
    }
  }

  @Override
  protected ByteString notReadySense() {
    synchronized (this) {
      if (!hasDisc()) {
        return Sense.fixed(Sense.NOT_READY, 0x3a, trayOpen ? 0x02 : 0x01);
      }
    }
    return super.notReadySense();
  }

  // ---------------------------------------------------------------- dispatch

  @Override
  protected ScsiResponse executeCommand(int op, ByteString cdb, ByteString dataOut, int dxferLen, int initiatorId) {
    switch (op) {
      case TEST_UNIT_READY: {
        ByteString nr = notReadySense();
        return nr != null ? checkCondition(nr, dxferLen) : good(dxferLen);
      }
      case READ_CAPACITY_10:
        return readCapacity(dxferLen);
      case READ_10:
      case READ_12:
        return read(op, cdb, dxferLen);
      case READ_TOC:
        return readToc(cdb, dxferLen);
      case GET_CONFIGURATION:
        return getConfiguration(cdb, dxferLen);
      case GET_EVENT_STATUS:
        return getEventStatus(cdb, dxferLen);
      case READ_DISC_INFORMATION:
        return readDiscInformation(cdb, dxferLen);
      case START_STOP_UNIT:
        return startStop(cdb, dxferLen, initiatorId);
      case PREVENT_ALLOW:
        return preventAllow(cdb, dxferLen, initiatorId);
      default:
        return super.executeCommand(op, cdb, dataOut, dxferLen, initiatorId);
    }
  }

  private ScsiResponse readCapacity(int dxferLen) {
    byte[] b = new byte[8];
    synchronized (this) {
      Bytes.put32(b, 0, sectors - 1);
    }
    Bytes.put32(b, 4, SECTOR);
    return goodData(ByteString.fromArrayUnsafe(b), 8, dxferLen);
  }

  private ScsiResponse read(int op, ByteString cdb, int dxferLen) {
    long lba = cdbLba(op, cdb);
    long count = cdbBlocks(op, cdb);
    synchronized (this) {
      ScsiResponse bad = mediaRangeCheck(lba, count, sectors, MAX_TRANSFER_SECTORS, lengthField(op), dxferLen);
      if (bad != null) {
        return bad; // the disk's checks (EmuDisk.read); only where the sectors come from differs
      }
      ByteBuffer buf = ByteBuffer.allocate((int) (count * SECTOR));
      if (builtin) {
        return ScsiResponse.good(ByteString.fromArrayUnsafe(buf.array()), dxferLen); // blank: zeros
      }
      try {
        long pos = lba * SECTOR;
        while (buf.hasRemaining()) {
          int n = channel.read(buf, pos + buf.position());
          if (n < 0) {
            break; // a short last sector of the image reads as zeros
          }
        }
      } catch (IOException e) {
        return mediumError(false, lba, dxferLen);
      }
      return ScsiResponse.good(ByteString.fromArrayUnsafe(buf.array()), dxferLen);
    }
  }

  // ---------------------------------------------------------------- READ TOC/PMA/ATIP

  /** LBA as an MSF address field: 0, minute, second, frame (LBA 0 = 00:02:00). */
  static void putMsf(byte[] b, int at, long lba) {
    long f = lba + 150;
    b[at] = 0;
    b[at + 1] = (byte) (f / (60 * 75));
    b[at + 2] = (byte) ((f / 75) % 60);
    b[at + 3] = (byte) (f % 75);
  }

  private static void putAddress(byte[] b, int at, long lba, boolean msf) {
    if (msf) {
      putMsf(b, at, lba);
    } else {
      Bytes.put32(b, at, lba);
    }
  }

  private ScsiResponse readToc(ByteString cdb, int dxferLen) {
    boolean msf = (u8(cdb, 1) & 0x02) != 0;
    int format = u8(cdb, 2) & 0x0f;
    if (format == 0) {
      format = u8(cdb, 9) >>> 6; // the old (SFF-8020) place of the format
    }
    int track = u8(cdb, 6);
    int alloc = be16(cdb, 7);
    long leadOut;
    synchronized (this) {
      leadOut = sectors;
    }
    byte[] b;
    switch (format) {
      case 0: {
        if (track > 1 && track != 0xaa) {
          return invalidCdbField(6, -1, dxferLen);
        }
        boolean withTrack1 = track <= 1;
        b = new byte[4 + 8 * (withTrack1 ? 2 : 1)];
        b[2] = 1; // first track
        b[3] = 1; // last track
        int p = 4;
        if (withTrack1) {
          b[p + 1] = 0x14; // ADR 1, CONTROL 4: data track, recorded uninterrupted
          b[p + 2] = 1;
          putAddress(b, p + 4, 0, msf);
          p += 8;
        }
        b[p + 1] = 0x14;
        b[p + 2] = (byte) 0xaa; // lead-out
        putAddress(b, p + 4, leadOut, msf);
        break;
      }
      case 1:
        b = new byte[12];
        b[2] = 1; // first complete session
        b[3] = 1; // last complete session
        b[5] = 0x14;
        b[6] = 1; // first track in the last session
        putAddress(b, 8, 0, msf);
        break;
      default:
        return invalidCdbField(2, -1, dxferLen);
    }
    Bytes.put16(b, 0, b.length - 2);
    return goodData(ByteString.fromArrayUnsafe(b), alloc, dxferLen);
  }

  // ---------------------------------------------------------------- GET CONFIGURATION

  /** The current profile: none without a disc, DVD-ROM for a large image, else CD-ROM. */
  public synchronized int currentProfile() {
    if (!hasDisc()) {
      return PROFILE_NONE;
    }
    return sectors * SECTOR > CD_MAX_BYTES ? PROFILE_DVDROM : PROFILE_CDROM;
  }

  private ScsiResponse getConfiguration(ByteString cdb, int dxferLen) {
    int rt = u8(cdb, 1) & 0x03;
    int start = be16(cdb, 2);
    int alloc = be16(cdb, 7);
    if (rt == 3) {
      return invalidCdbField(1, 1, dxferLen);
    }
    int profile = currentProfile();
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    int[] features = {0x0000, 0x0001, 0x0003, 0x0010};
    for (int f : features) {
      boolean current = f != 0x0010 || profile != PROFILE_NONE;
      boolean wanted = rt == 2 ? f == start : f >= start && (rt == 0 || current);
      if (wanted) {
        o.writeBytes(feature(f, current, profile));
      }
    }
    byte[] body = o.toByteArray();
    byte[] b = new byte[8 + body.length];
    Bytes.put32(b, 0, b.length - 4);
    Bytes.put16(b, 6, profile);
    System.arraycopy(body, 0, b, 8, body.length);
    return goodData(ByteString.fromArrayUnsafe(b), alloc, dxferLen);
  }

  private static byte[] feature(int code, boolean current, int profile) {
    byte[] d;
    switch (code) {
      case 0x0000: // profile list: DVD-ROM, CD-ROM
        d = new byte[4 + 8];
        d[2] = 0x03; // persistent, current
        Bytes.put16(d, 4, PROFILE_DVDROM);
        d[6] = (byte) (profile == PROFILE_DVDROM ? 1 : 0);
        Bytes.put16(d, 8, PROFILE_CDROM);
        d[10] = (byte) (profile == PROFILE_CDROM ? 1 : 0);
        break;
      case 0x0001: // core: physical interface SCSI
        d = new byte[4 + 8];
        d[2] = 0x07; // version 1, persistent, current
        Bytes.put32(d, 4, 1);
        break;
      case 0x0003: // removable medium: tray, eject, lock
        d = new byte[4 + 4];
        d[2] = 0x03;
        d[4] = 0x20 | 0x08 | 0x01;
        break;
      case 0x0010: // random readable
        d = new byte[4 + 8];
        d[2] = (byte) (current ? 0x01 : 0);
        Bytes.put32(d, 4, SECTOR);
        Bytes.put16(d, 8, profile == PROFILE_DVDROM ? 16 : 1); // blocking
        break;
      default:
        throw new IllegalArgumentException("feature " + code);
    }
    Bytes.put16(d, 0, code);
    d[3] = (byte) (d.length - 4);
    return d;
  }

  // ---------------------------------------------------------------- GET EVENT STATUS NOTIFICATION

  private ScsiResponse getEventStatus(ByteString cdb, int dxferLen) {
    if ((u8(cdb, 1) & 0x01) == 0) {
      return invalidCdbField(1, 0, dxferLen); // only polled operation
    }
    int classes = u8(cdb, 4);
    int alloc = be16(cdb, 7);
    byte[] b;
    if ((classes & 0x10) == 0) {
      b = new byte[4];
      Bytes.put16(b, 0, 2);
      b[2] = (byte) 0x80; // NEA: no event of a requested class available
      b[3] = 0x10; // supported: media
    } else {
      b = new byte[8];
      Bytes.put16(b, 0, 6);
      b[2] = 0x04; // media class
      b[3] = 0x10;
      synchronized (this) {
        b[4] = (byte) pendingEvent;
        if (alloc >= 8) {
          pendingEvent = EVENT_NO_CHANGE; // reported: consumed
        }
        b[5] = (byte) ((hasDisc() ? 0x02 : 0) | (trayOpen ? 0x01 : 0)); // media present, tray open
      }
    }
    return goodData(ByteString.fromArrayUnsafe(b), alloc, dxferLen);
  }

  // ---------------------------------------------------------------- READ DISC INFORMATION

  private ScsiResponse readDiscInformation(ByteString cdb, int dxferLen) {
    if ((u8(cdb, 1) & 0x07) != 0) {
      return invalidCdbField(1, 2, dxferLen); // only the standard disc information
    }
    int alloc = be16(cdb, 7);
    byte[] b = new byte[34];
    Bytes.put16(b, 0, 32);
    b[2] = 0x0e; // last session complete, disc finalized, not erasable
    b[3] = 1; // first track on disc
    b[4] = 1; // sessions
    b[5] = 1; // first track in last session
    b[6] = 1; // last track in last session
    b[8] = 0x00; // CD-DA or CD-ROM
    Bytes.put32(b, 16, 0xffffffffL); // last session lead-in: none (finalized)
    Bytes.put32(b, 20, 0xffffffffL); // last possible lead-out: none
    return goodData(ByteString.fromArrayUnsafe(b), alloc, dxferLen);
  }

  // ---------------------------------------------------------------- START STOP / PREVENT

  private ScsiResponse startStop(ByteString cdb, int dxferLen, int initiatorId) {
    int b4 = u8(cdb, 4);
    if ((b4 >>> 4) != 0) {
      return good(dxferLen); // power conditions: accepted, no effect
    }
    boolean loej = (b4 & 0x02) != 0;
    boolean start = (b4 & 0x01) != 0;
    synchronized (this) {
      if (loej && !start) {
        if (isRemovalPrevented()) {
          return checkCondition(Sense.fixed(Sense.ILLEGAL_REQUEST, 0x53, 0x02), dxferLen);
        }
        removeDisc();
        return good(dxferLen);
      }
      if (loej) {
        trayOpen = false; // close the tray; a disc taken out by the eject is gone
        if (!hasDisc()) {
          return good(dxferLen); // closed and empty: 02/3A/01 from now on
        }
      }
      if (start && !hasDisc()) {
        return checkCondition(notReadySense(), dxferLen);
      }
      setStarted(start);
    }
    return good(dxferLen);
  }

  private ScsiResponse preventAllow(ByteString cdb, int dxferLen, int initiatorId) {
    int p = u8(cdb, 4) & 0x03;
    if (p > 1) {
      return invalidCdbField(4, 1, dxferLen); // persistent prevent: not for a drive without a changer
    }
    setPrevent(initiatorId, p == 1);
    return good(dxferLen);
  }
}
