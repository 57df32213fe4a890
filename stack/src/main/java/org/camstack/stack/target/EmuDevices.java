package org.camstack.stack.target;

import java.nio.file.Path;

/** Builds emulated devices and their backing stores from {@link LunSpec}s. */
public final class EmuDevices {
  private EmuDevices() {}

  /**
   * The device a spec describes.
   *
   * @param enclosure the slots an enclosure reports (ignored for disks)
   * @throws IllegalArgumentException with a one-line message when the spec cannot be realised
   *     (e.g. the backing file cannot be opened)
   */
  public static EmuDevice create(LunSpec spec, EnclosureView enclosure) {
    return create(spec, enclosure, null);
  }

  /**
   * The device a spec describes; tape drives and changers join {@code library} (the tape library
   * of their bus; null: a library of their own, in memory).
   */
  public static EmuDevice create(LunSpec spec, EnclosureView enclosure, TapeLibrary library) {
    switch (spec.type()) {
      case TAPE: {
        EmuTape t = new EmuTape(spec);
        (library == null ? new TapeLibrary(null) : library).addDrive(t);
        return t;
      }
      case CHANGER:
        return new EmuChanger(spec, library == null ? new TapeLibrary(null) : library);
      case DISK:
        return new EmuDisk(spec, store(spec));
      case ENCLOSURE:
        return new EmuEnclosure(spec, enclosure == null ? EnclosureView.EMPTY : enclosure);
      case CDROM:
        return new EmuCdrom(spec);
      case PROCESSOR:
        return new EmuProcessor(spec);
      case SAFTE:
        return new EmuSafte(spec, enclosure == null ? EnclosureView.EMPTY : enclosure);
      case EXPANDER:
        return new EmuExpander(spec);
      default:
        throw new IllegalArgumentException("lun " + spec.lun() + ": unsupported type " + spec.type());
    }
  }

  /** A fresh backing store of the spec's kind and capacity. */
  public static BackingStore store(LunSpec spec) {
    long bytes = spec.blocks() * spec.blockSize();
    switch (spec.store()) {
      case NULL:
        return new NullStore(bytes);
      case RAM:
        return new RamStore(bytes);
      case FILE:
        return new FileStore(Path.of(spec.file()), bytes);
      default:
        throw new IllegalArgumentException("lun " + spec.lun() + ": unsupported store " + spec.store());
    }
  }
}
