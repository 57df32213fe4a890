package org.camstack.stack.target;

import java.util.Map;

/**
 * Where a {@link TapeLibrary} keeps its durable metadata (cartridge places, positions, block
 * lengths), so that the target layer never sees the journal: the node implements it over the
 * library's journal entity ({@code org.camstack.stack.durable.DurableLibraries}). The cartridges'
 * contents stay in their files.
 *
 * <p>Called with the library's monitor (and for a position, the drive's) held: an implementation
 * records and returns; it never calls back into the library or the drive.
 */
public interface LibraryStateSink {

  /** Nothing durable: a fresh library at every power-on. */
  LibraryStateSink NONE = new LibraryStateSink() {};

  /**
   * Where a cartridge is.
   *
   * @param address its element
   * @param source its home element
   * @param position its logical object number when in a drive
   */
  record Place(int address, int source, long position) {}

  /**
   * What was recorded before this power-on.
   *
   * @param cartridges barcode &rarr; place
   * @param blockLengths data transfer element &rarr; block length (absent: variable)
   */
  record Recorded(Map<String, Place> cartridges, Map<Integer, Integer> blockLengths) {
    public Recorded {
      cartridges = Map.copyOf(cartridges);
      blockLengths = Map.copyOf(blockLengths);
    }
  }

  /** The state recorded before, or null for a library never stocked (it fills its slots). */
  default Recorded recorded() {
    return null;
  }

  /** A cartridge entered at {@code address} (stocking at first power-on, or the mailslot). */
  default void imported(String barcode, int address) {}

  /** A cartridge left through the mailslot. */
  default void exported(String barcode, int address) {}

  /** A cartridge moved; {@code source} is its home afterwards. */
  default void moved(String barcode, int from, int to, int source) {}

  /** The cartridge in the drive at {@code address} is at {@code position} (may be coalesced). */
  default void positionChanged(String barcode, int address, long position) {}

  /** The drive at {@code address} now uses {@code length} (0: variable). */
  default void blockLengthChanged(int address, int length) {}
}
