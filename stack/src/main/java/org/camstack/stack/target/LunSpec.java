package org.camstack.stack.target;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The configuration of one emulated logical unit, as read from a topology file.
 *
 * <p>HOCON keys (kebab-case, all optional except where a device needs them):
 *
 * <pre>
 * lun = 0                  # 0..16383 (peripheral addressing below 256, flat above)
 * type = disk              # disk | enclosure | tape | changer | cd | processor | safte | expander
 * vendor = "CAMSTACK"      # INQUIRY vendor (8 chars)
 * product = "EMU-DISK"     # "EMU-SES" for an enclosure (16 chars)
 * revision = "0001"        # (4 chars)
 * serial = "..."           # VPD 0x80; default derived from bus/target/lun
 * wwn = "5..."             # NAA 5 designator, 16 hex digits; default derived from bus/target/lun
 * blocks = 2097152         # capacity in logical blocks
 * block-size = 512         # a power of two, 512..65536
 * store = ram              # null | ram | file  (HOCON null also means the null store)
 * file = "/path/img"       # for store = file; for a cd the ISO image in the drive (none: empty)
 * removable = false
 * rotation-rate = 0        # 0 = SSD (VPD 0xB1 reports non-rotating), else rpm
 * enclosure-slot = -1      # disk: slot it occupies in the bus's SES enclosure, -1 = none
 * slots = 8                # enclosure: number of array device slots
 * queue-depth = 32         # tag depth the SIM grants this LUN
 * </pre>
 *
 * cf. the LUN options of {@code ctladm create} and scsi_debug's module parameters.
 */
public record LunSpec(
    long lun,
    Type type,
    String vendor,
    String product,
    String revision,
    String serial,
    String wwn,
    long blocks,
    int blockSize,
    StoreKind store,
    String file,
    boolean removable,
    int rotationRate,
    int enclosureSlot,
    int slots,
    int queueDepth) {

  /** Highest LUN that REPORT LUNS can encode here (flat addressing, 14 bits). */
  public static final long MAX_LUN = 16383;

  public static final long DEFAULT_BLOCKS = 2_097_152L;

  /** The peripheral device type the LUN emulates. */
  public enum Type {
    DISK,
    ENCLOSURE,
    /** A tape drive (SSC, sa). */
    TAPE,
    /** A medium changer (SMC, ch); {@code slots} is its number of storage elements. */
    CHANGER,
    /** An MMC CD/DVD drive (peripheral type 0x05) playing an ISO image file: {@link EmuCdrom}. */
    CDROM,
    /** A processor device (peripheral type 0x03) with SEND / RECEIVE: {@link EmuProcessor}. */
    PROCESSOR,
    /** A SAF-TE enclosure processor (type 0x03, READ / WRITE BUFFER): {@link EmuSafte}. */
    SAFTE,
    /** A SAS expander (an SMP target; peripheral type 0x0c on the SCSI side); {@code slots} is its number of phys: {@link EmuExpander}. */
    EXPANDER
  }

  /** Where a disk keeps its blocks. */
  public enum StoreKind {
    /** Reads return zeros, writes are discarded (CTL's ramdisk without capacity). */
    NULL,
    /** Sparse memory. */
    RAM,
    /** A host file through positional I/O. */
    FILE
  }

  public LunSpec {
    if (lun < 0 || lun > MAX_LUN) {
      throw new IllegalArgumentException("lun " + lun + " out of range 0.." + MAX_LUN);
    }
    if (type == null || vendor == null || product == null || revision == null || store == null) {
      throw new IllegalArgumentException("lun " + lun + ": type, vendor, product, revision and store are required");
    }
    if (blockSize < 512 || blockSize > 65536 || Integer.bitCount(blockSize) != 1) {
      throw new IllegalArgumentException("lun " + lun + ": block-size " + blockSize + " is not a power of two in 512..65536");
    }
    if (type == Type.DISK && blocks <= 0) {
      throw new IllegalArgumentException("lun " + lun + ": blocks must be positive, got " + blocks);
    }
    if (blocks < 0 || blocks > Long.MAX_VALUE / blockSize) {
      throw new IllegalArgumentException("lun " + lun + ": blocks " + blocks + " too large");
    }
    if (store == StoreKind.FILE && (file == null || file.isBlank())) {
      throw new IllegalArgumentException("lun " + lun + ": store = file needs a file path");
    }
    if (serial == null || serial.isEmpty() || !serial.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw new IllegalArgumentException("lun " + lun + ": serial must be printable ASCII without spaces");
    }
    wwn = normalizeWwn(lun, wwn);
    if (rotationRate < 0 || rotationRate > 0xfffe) {
      throw new IllegalArgumentException("lun " + lun + ": rotation-rate " + rotationRate + " out of range");
    }
    if (enclosureSlot < -1 || enclosureSlot > 255) {
      throw new IllegalArgumentException("lun " + lun + ": enclosure-slot " + enclosureSlot + " out of range -1..255");
    }
    if (slots < 0 || slots > 255) {
      throw new IllegalArgumentException("lun " + lun + ": slots " + slots + " out of range 0..255");
    }
    if (queueDepth < 1 || queueDepth > 65535) {
      throw new IllegalArgumentException("lun " + lun + ": queue-depth " + queueDepth + " out of range 1..65535");
    }
  }

  /** Reads a LUN from config; {@code bus} and {@code target} keys (default 0) seed the serial and WWN. */
  public static LunSpec fromConfig(Config config) {
    int bus = config.hasPath("bus") ? config.getInt("bus") : 0;
    int target = config.hasPath("target") ? config.getInt("target") : 0;
    return fromConfig(config, bus, target);
  }

  /**
   * Reads a LUN from config; {@code bus} and {@code target} (where the SIM places it) seed the
   * default serial and WWN so that they are stable across runs and unique in a topology.
   *
   * @throws IllegalArgumentException or {@link com.typesafe.config.ConfigException} with a one-line
   *     message for bad input
   */
  public static LunSpec fromConfig(Config config, int bus, int target) {
    long lun = config.hasPath("lun") ? config.getLong("lun") : 0;
    Type type = parseType(lun, config.hasPath("type") ? config.getString("type") : "disk");
    boolean disk = type == Type.DISK;
    StoreKind store;
    if (config.hasPathOrNull("store") && config.getIsNull("store")) {
      store = StoreKind.NULL;
    } else {
      store = parseStore(lun, config.hasPath("store") ? config.getString("store") : "ram");
    }
    return new LunSpec(
        lun,
        type,
        str(config, "vendor", "CAMSTACK"),
        str(config, "product", defaultProduct(type)),
        str(config, "revision", "0001"),
        str(config, "serial", defaultSerial(bus, target, lun)),
        str(config, "wwn", defaultWwn(bus, target, lun)),
        config.hasPath("blocks") ? config.getLong("blocks") : disk ? DEFAULT_BLOCKS : 0,
        config.hasPath("block-size") ? config.getInt("block-size") : type == Type.CDROM ? 2048 : 512,
        store,
        config.hasPath("file") ? config.getString("file") : null,
        config.hasPath("removable") ? config.getBoolean("removable") : type == Type.CDROM,
        config.hasPath("rotation-rate") ? config.getInt("rotation-rate") : 0,
        config.hasPath("enclosure-slot") ? config.getInt("enclosure-slot") : -1,
        config.hasPath("slots") ? config.getInt("slots") : type == Type.ENCLOSURE || type == Type.SAFTE || type == Type.CHANGER || type == Type.EXPANDER ? 8 : 0,
        config.hasPath("queue-depth") ? config.getInt("queue-depth") : 32);
  }

  /** Parses a HOCON snippet, e.g. {@code LunSpec.parse("lun = 1, blocks = 1000")} (tests, CLI). */
  public static LunSpec parse(String hocon) {
    return fromConfig(ConfigFactory.parseString(hocon));
  }

  /** A RAM-backed disk with defaults for everything else. */
  public static LunSpec disk(long lun, long blocks, int blockSize) {
    return new LunSpec(lun, Type.DISK, "CAMSTACK", "EMU-DISK", "0001", defaultSerial(0, 0, lun),
        defaultWwn(0, 0, lun), blocks, blockSize, StoreKind.RAM, null, false, 0, -1, 0, 32);
  }

  /** An SES enclosure with {@code slots} array device slots. */
  public static LunSpec enclosure(long lun, int slots) {
    return new LunSpec(lun, Type.ENCLOSURE, "CAMSTACK", "EMU-SES", "0001", defaultSerial(0, 0, lun),
        defaultWwn(0, 0, lun), 0, 512, StoreKind.NULL, null, false, 0, -1, slots, 32);
  }

  /** A tape drive (no store: cartridges come from its library). */
  public static LunSpec tape(long lun) {
    return new LunSpec(lun, Type.TAPE, "CAMSTACK", "EMU-TAPE", "0001", defaultSerial(0, 0, lun),
        defaultWwn(0, 0, lun), 0, 512, StoreKind.NULL, null, true, 0, -1, 0, 32);
  }

  /** A medium changer with {@code slots} storage elements. */
  public static LunSpec changer(long lun, int slots) {
    return new LunSpec(lun, Type.CHANGER, "CAMSTACK", "EMU-CHANGER", "0001", defaultSerial(0, 0, lun),
        defaultWwn(0, 0, lun), 0, 512, StoreKind.NULL, null, true, 0, -1, slots, 32);
  }

  public LunSpec withLun(long newLun) {
    return new LunSpec(newLun, type, vendor, product, revision, serial, wwn, blocks, blockSize, store,
        file, removable, rotationRate, enclosureSlot, slots, queueDepth);
  }

  public LunSpec withStore(StoreKind newStore, String newFile) {
    return new LunSpec(lun, type, vendor, product, revision, serial, wwn, blocks, blockSize, newStore,
        newFile, removable, rotationRate, enclosureSlot, slots, queueDepth);
  }

  public LunSpec withRemovable(boolean newRemovable) {
    return new LunSpec(lun, type, vendor, product, revision, serial, wwn, blocks, blockSize, store,
        file, newRemovable, rotationRate, enclosureSlot, slots, queueDepth);
  }

  public LunSpec withEnclosureSlot(int slot) {
    return new LunSpec(lun, type, vendor, product, revision, serial, wwn, blocks, blockSize, store,
        file, removable, rotationRate, slot, slots, queueDepth);
  }

  public LunSpec withIdentity(String newSerial, String newWwn) {
    return new LunSpec(lun, type, vendor, product, revision, newSerial, newWwn, blocks, blockSize,
        store, file, removable, rotationRate, enclosureSlot, slots, queueDepth);
  }

  /** The WWN as the 64-bit NAA designator value. */
  public long wwnValue() {
    return Long.parseUnsignedLong(wwn, 16);
  }

  private static final HexFormat HEX = HexFormat.of();
  private static final HexFormat HEX_UPPER = HexFormat.of().withUpperCase();

  /** Default VPD 0x80 serial: {@code EMU} + bus, target and LUN in hex, e.g. {@code EMU00010002}. */
  public static String defaultSerial(int bus, int target, long lun) {
    // HexFormat, not String.format: every hot-plug of the bench builds one (issue 15)
    return "EMU" + HEX_UPPER.toHexDigits((byte) bus) + HEX_UPPER.toHexDigits((byte) target)
        + HEX_UPPER.toHexDigits((short) lun);
  }

  /**
   * Default WWN: NAA 5 with the camstack pseudo OUI {@code 0xCA57AC} and the bus, target and LUN in
   * the 36-bit vendor-specific identifier: 8 bits bus, 12 bits target, 16 bits LUN.
   */
  public static String defaultWwn(int bus, int target, long lun) {
    long v = (0x5L << 60) | (0xCA57ACL << 36) | ((long) (bus & 0xff) << 28) | ((long) (target & 0xfff) << 16) | (lun & 0xffff);
    return HEX.toHexDigits(v);
  }

  private static String normalizeWwn(long lun, String wwn) {
    String s = wwn == null ? "" : wwn.trim().toLowerCase(Locale.ROOT);
    if (s.startsWith("0x")) {
      s = s.substring(2);
    }
    if (s.length() != 16 || !s.chars().allMatch(c -> Character.digit(c, 16) >= 0) || s.charAt(0) != '5') {
      throw new IllegalArgumentException("lun " + lun + ": wwn '" + wwn + "' is not an NAA 5 designator (16 hex digits starting with 5)");
    }
    return s;
  }

  private static Type parseType(long lun, String s) {
    switch (s.toLowerCase(Locale.ROOT)) {
      case "disk":
      case "da":
        return Type.DISK;
      case "enclosure":
      case "ses":
        return Type.ENCLOSURE;
      case "tape":
      case "sa":
        return Type.TAPE;
      case "changer":
      case "ch":
        return Type.CHANGER;
      case "cd":
      case "cdrom":
        return Type.CDROM;
      case "processor":
      case "pt":
        return Type.PROCESSOR;
      case "safte":
        return Type.SAFTE;
      case "expander":
      case "smp":
        return Type.EXPANDER;
      default:
        throw new IllegalArgumentException("lun " + lun + ": unknown type '" + s + "' (disk | enclosure | tape | changer | cd | processor | safte | expander)");
    }
  }

  private static String defaultProduct(Type type) {
    switch (type) {
      case DISK:
        return "EMU-DISK";
      case TAPE:
        return "EMU-TAPE";
      case CHANGER:
        return "EMU-CHANGER";
      case CDROM:
        return "EMU-CDROM";
      case PROCESSOR:
        return "EMU-PROCESSOR";
      case SAFTE:
        return "EMU-SAFTE";
      case EXPANDER:
        return "EMU-EXPANDER";
      default:
        return "EMU-SES";
    }
  }

  private static StoreKind parseStore(long lun, String s) {
    switch (s.toLowerCase(Locale.ROOT)) {
      case "null":
      case "none":
        return StoreKind.NULL;
      case "ram":
        return StoreKind.RAM;
      case "file":
        return StoreKind.FILE;
      default:
        throw new IllegalArgumentException("lun " + lun + ": unknown store '" + s + "' (null | ram | file)");
    }
  }

  private static String str(Config c, String key, String dflt) {
    return c.hasPath(key) ? c.getString(key) : dflt;
  }
}
