package org.camstack.stack.target;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A virtual tape library on one bus: the tape drives ({@link EmuTape}) and the medium changer
 * ({@link EmuChanger}) of that bus, the cartridges, and where each cartridge is. Element addresses
 * (SMC-3): medium transport {@link #MT}, one import/export element (mailslot) {@link #IE}, data
 * transfer elements (the drives, in topology order) from {@link #DT}, storage elements from
 * {@link #ST}. A cartridge moved into a data transfer element is inserted into that drive (loaded,
 * at BOP); moved out of it, it is taken out of the drive.
 *
 * <p>Durable state: with a directory, each cartridge's contents live in {@code <BARCODE>.tape}
 * there (see {@link Cartridge}); the library's metadata (which cartridge is where and its home,
 * a loaded cartridge's position, each drive's block length) goes to its {@link LibraryStateSink}
 * (the node's journal: one event per import, export, move, position and block length change) and
 * comes back from it at power-on. Without a directory the contents are in memory. A library the
 * sink never saw stocked fills its storage elements with cartridges labelled {@code CAM000L6},
 * {@code CAM001L6}, ...
 *
 * <p>Locking: the library's monitor guards the element state; a drive's own monitor its medium.
 * Order: library, then drive; a drive reports its position and block length to the sink, which
 * never calls back, so the two paths never wait for each other crosswise.
 *
 * <p>cf. mhVTL (vtllibrary + vtltape sharing cartridge files), tgt's smc.c.
 */
public final class TapeLibrary {
  private static final Logger LOG = LoggerFactory.getLogger(TapeLibrary.class);

  public static final int MT = 0x0000;
  public static final int IE = 0x0010;
  public static final int DT = 0x0100;
  public static final int ST = 0x1000;

  /** Element type codes (SMC-3 table 21). */
  public static final int TYPE_MT = 1;
  public static final int TYPE_ST = 2;
  public static final int TYPE_IE = 3;
  public static final int TYPE_DT = 4;

  private final Path dir; // null: memory only
  private final long capacity;
  private final long earlyWarning;
  private volatile LibraryStateSink sink = LibraryStateSink.NONE;

  // guarded by this
  private final List<EmuTape> drives = new ArrayList<>();
  private final List<EmuChanger> changers = new ArrayList<>();
  private Cartridge[] slots = new Cartridge[0];
  private Cartridge mailslot;
  private boolean mailslotImported;
  /** barcode &rarr; the element it came from (SVALID / chio return). */
  private final Map<String, Integer> sourceOf = new HashMap<>();
  private final Map<String, Cartridge> known = new HashMap<>();
  private boolean poweredOn;

  /**
   * @param dir where the cartridges' contents live, or null for memory only
   */
  public TapeLibrary(Path dir) {
    this(dir, Cartridge.DEFAULT_CAPACITY, Cartridge.DEFAULT_EARLY_WARNING);
  }

  public TapeLibrary(Path dir, long capacity, long earlyWarning) {
    this.dir = dir;
    this.capacity = capacity;
    this.earlyWarning = earlyWarning;
  }

  /** Where the library's metadata goes (set before {@link #powerOn}); null for nowhere. */
  public void setStateSink(LibraryStateSink s) {
    sink = s == null ? LibraryStateSink.NONE : s;
  }

  /** The directory holding the cartridges' contents, or null. */
  public Path dir() {
    return dir;
  }

  /** A drive of this bus joins (as the next data transfer element). */
  public synchronized void addDrive(EmuTape drive) {
    int index = -1;
    for (int i = 0; i < drives.size(); i++) {
      if (drives.get(i).spec().wwn().equals(drive.spec().wwn())) {
        index = i; // the same drive plugged back: the same data transfer element, empty
      }
    }
    if (index < 0) {
      drives.add(drive);
      index = drives.size() - 1;
    } else {
      drives.set(index, drive);
    }
    int element = DT + index;
    drive.setListener(new TapeListener() {
      @Override
      public void positionChanged(EmuTape d, int position) {
        Cartridge c = d.cartridge(); // the drive's lock is held: no library lock here
        if (c != null) {
          sink.positionChanged(c.barcode(), element, position);
        }
      }

      @Override
      public void blockLengthChanged(EmuTape d, int length) {
        sink.blockLengthChanged(element, length);
      }
    });
  }

  /** A changer of this bus joins; the library has {@code storageSlots} storage elements. */
  public synchronized void addChanger(EmuChanger changer, int storageSlots) {
    changers.add(changer);
    if (storageSlots > slots.length) {
      Cartridge[] s = new Cartridge[storageSlots];
      System.arraycopy(slots, 0, s, 0, slots.length);
      slots = s;
    }
  }

  public synchronized List<EmuTape> drives() {
    return List.copyOf(drives);
  }

  public synchronized int storageSlots() {
    return slots.length;
  }

  /**
   * Restores the library from its event log (or fills a fresh one with labelled cartridges) once
   * every device of the bus exists, before the bus is in the data path. Idempotent.
   */
  public synchronized void powerOn() {
    if (poweredOn) {
      return;
    }
    poweredOn = true;
    if (changers.isEmpty()) {
      return; // drives without a changer stay empty
    }
    if (dir != null) {
      try {
        Files.createDirectories(dir);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create " + dir, e);
      }
    }
    LibraryStateSink.Recorded recorded = sink.recorded();
    if (recorded == null) {
      for (int i = 0; i < slots.length; i++) {
        String barcode = String.format(Locale.ROOT, "CAM%03dL6", i);
        put(ST + i, barcode, ST + i);
        sink.imported(barcode, ST + i);
      }
    } else {
      restore(recorded);
    }
    changers.forEach(EmuChanger::refreshAddressPage);
  }

  /** Puts every recorded cartridge back in its element (a drive's at its position), and the block lengths. */
  private void restore(LibraryStateSink.Recorded recorded) {
    List<Map.Entry<String, LibraryStateSink.Place>> places = new ArrayList<>(recorded.cartridges().entrySet());
    places.sort(Map.Entry.comparingByKey());
    for (Map.Entry<String, LibraryStateSink.Place> e : places) {
      LibraryStateSink.Place p = e.getValue();
      try {
        put(p.address(), e.getKey(), p.source());
        if (kind(p.address()) == TYPE_DT) {
          drives.get(p.address() - DT).restorePosition((int) Math.min(Integer.MAX_VALUE, p.position()));
        }
      } catch (RuntimeException ex) {
        LOG.warn("tape library {}: cartridge {} not restored to element {}: {}", dir, e.getKey(), p.address(), ex.getMessage());
      }
    }
    recorded.blockLengths().forEach((address, length) -> {
      if (kind(address) == TYPE_DT) {
        drives.get(address - DT).restoreBlockSize(length);
      }
    });
  }

  private Cartridge cartridge(String barcode) {
    return known.computeIfAbsent(
        barcode,
        b -> dir == null
            ? Cartridge.inMemory(b, capacity, earlyWarning)
            : Cartridge.open(b, capacity, earlyWarning, dir.resolve(b + ".tape")));
  }

  private void put(int address, String barcode, int source) {
    if (kind(address) == 0 || at(address) != null) {
      throw new IllegalStateException("element " + address + " is not an empty element");
    }
    for (int a : addresses()) {
      Cartridge c = at(a);
      if (c != null && c.barcode().equals(barcode)) {
        throw new IllegalStateException("cartridge " + barcode + " is already in element " + a);
      }
    }
    setAt(address, cartridge(barcode));
    sourceOf.put(barcode, source);
  }

  private Cartridge take(int address) {
    Cartridge c = at(address);
    if (c != null) {
      setAt(address, null);
    }
    return c;
  }

  // ---------------------------------------------------------------- elements

  /** Every element address, in type order MT, ST, IE, DT. */
  public synchronized List<Integer> addresses() {
    List<Integer> out = new ArrayList<>();
    out.add(MT);
    for (int i = 0; i < slots.length; i++) {
      out.add(ST + i);
    }
    out.add(IE);
    for (int i = 0; i < drives.size(); i++) {
      out.add(DT + i);
    }
    return out;
  }

  /** Element type code of an address, 0 when the library has no such element. */
  public synchronized int kind(int address) {
    if (address == MT) {
      return TYPE_MT;
    }
    if (address == IE) {
      return TYPE_IE;
    }
    if (address >= DT && address < DT + drives.size()) {
      return TYPE_DT;
    }
    if (address >= ST && address < ST + slots.length) {
      return TYPE_ST;
    }
    return 0;
  }

  /** The cartridge in an element (a drive's whether loaded or not), null when empty. */
  public synchronized Cartridge at(int address) {
    switch (kind(address)) {
      case TYPE_ST:
        return slots[address - ST];
      case TYPE_IE:
        return mailslot;
      case TYPE_DT:
        return drives.get(address - DT).cartridge();
      default:
        return null;
    }
  }

  private void setAt(int address, Cartridge c) {
    switch (kind(address)) {
      case TYPE_ST:
        slots[address - ST] = c;
        break;
      case TYPE_IE:
        mailslot = c;
        mailslotImported = false;
        break;
      case TYPE_DT: {
        EmuTape d = drives.get(address - DT);
        if (c == null) {
          if (d.remove() == null && d.cartridge() != null) {
            throw new IllegalStateException("medium removal prevented");
          }
        } else {
          d.insert(c);
        }
        break;
      }
      default:
        throw new IllegalStateException("no element " + address);
    }
  }

  /** The element a cartridge came from (its home), or -1. */
  public synchronized int source(String barcode) {
    return sourceOf.getOrDefault(barcode, -1);
  }

  /** The mailslot holds a cartridge the operator put in (IMPEXP). */
  public synchronized boolean mailslotImported() {
    return mailslotImported;
  }

  /** The drive at a data transfer element prevents removal. */
  synchronized boolean removalPrevented(int address) {
    return kind(address) == TYPE_DT && drives.get(address - DT).isRemovalPrevented();
  }

  // ---------------------------------------------------------------- moves

  /**
   * MOVE MEDIUM from {@code from} to {@code to}.
   *
   * @return null when done, else why not (one line); the SCSI front maps it to sense
   */
  public synchronized String move(int from, int to) {
    Cartridge c = at(from);
    String err = moveChecked(from, to);
    if (err == null && from != to) {
      sink.moved(c.barcode(), from, to, sourceOf.getOrDefault(c.barcode(), from));
    }
    return err;
  }

  private String moveChecked(int from, int to) {
    if (kind(from) == 0 || kind(from) == TYPE_MT) {
      return "invalid source element " + from;
    }
    if (kind(to) == 0 || kind(to) == TYPE_MT) {
      return "invalid destination element " + to;
    }
    Cartridge c = at(from);
    if (c == null) {
      return "source element " + from + " is empty";
    }
    if (from == to) {
      return null;
    }
    if (at(to) != null) {
      return "destination element " + to + " is full";
    }
    if (removalPrevented(from)) {
      return "medium removal prevented in element " + from;
    }
    take(from);
    setAt(to, c);
    if (kind(from) == TYPE_ST || (kind(from) == TYPE_IE && !sourceOf.containsKey(c.barcode()))) {
      sourceOf.put(c.barcode(), from);
    }
    return null;
  }

  /**
   * EXCHANGE MEDIUM: the cartridge in {@code source} goes to {@code first}, the one in {@code
   * first} to {@code second} ({@code second} may be {@code source}).
   */
  public synchronized String exchange(int source, int first, int second) {
    if (at(source) == null) {
      return "source element " + source + " is empty";
    }
    if (at(first) == null) {
      return "first destination element " + first + " is empty";
    }
    if (second != source && at(second) != null) {
      return "second destination element " + second + " is full";
    }
    if (kind(second) == 0 || kind(second) == TYPE_MT) {
      return "invalid second destination element " + second;
    }
    if (removalPrevented(source) || removalPrevented(first)) {
      return "medium removal prevented";
    }
    Cartridge a = take(source);
    Cartridge b = take(first);
    setAt(first, a);
    setAt(second, b);
    sink.moved(a.barcode(), source, first, sourceOf.getOrDefault(a.barcode(), source));
    sink.moved(b.barcode(), first, second, sourceOf.getOrDefault(b.barcode(), first));
    return null;
  }

  // ---------------------------------------------------------------- operator (import / export)

  /**
   * The operator puts a cartridge in the mailslot (a new blank one when the barcode is unknown);
   * the changers post UA 28/01 (IMPORT OR EXPORT ELEMENT ACCESSED).
   */
  public void importCartridge(String barcode) {
    List<EmuChanger> tell;
    synchronized (this) {
      if (mailslot != null) {
        throw new IllegalStateException("the mailslot is full (" + mailslot.barcode() + ")");
      }
      put(IE, barcode, IE);
      mailslotImported = true;
      sink.imported(barcode, IE);
      tell = List.copyOf(changers);
    }
    tell.forEach(c -> c.postUnitAttention(0x28, 0x01));
  }

  /** The operator takes the cartridge out of the mailslot; its barcode, or null when empty. */
  public String exportCartridge() {
    List<EmuChanger> tell;
    String barcode;
    synchronized (this) {
      if (mailslot == null) {
        return null;
      }
      barcode = take(IE).barcode();
      sink.exported(barcode, IE);
      tell = List.copyOf(changers);
    }
    tell.forEach(c -> c.postUnitAttention(0x28, 0x01));
    return barcode;
  }

  /** Every element and its cartridge (null when empty), in {@link #addresses()} order. */
  public synchronized Map<Integer, String> inventory() {
    Map<Integer, String> out = new java.util.LinkedHashMap<>();
    for (int a : addresses()) {
      Cartridge c = at(a);
      out.put(a, c == null ? null : c.barcode());
    }
    return out;
  }
}
