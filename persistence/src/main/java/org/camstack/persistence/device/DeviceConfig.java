package org.camstack.persistence.device;

import org.camstack.persistence.serialization.JsonSerializable;

/**
 * How an emulated device was configured: its place on the bus, its identity and its geometry, as
 * plain values (no stack types, so the journal schema does not move when {@code stack} refactors).
 *
 * @param bus SIM bus number ({@code scbusN})
 * @param target target id on that bus
 * @param lun logical unit number
 * @param deviceType SCSI peripheral device type (0x00 disk, 0x05 CD/DVD, 0x0d enclosure, ...)
 * @param vendor INQUIRY vendor identification (up to 8 characters)
 * @param product INQUIRY product identification (up to 16 characters)
 * @param revision INQUIRY product revision level (up to 4 characters)
 * @param serial unit serial number (VPD page 0x80), empty if none
 * @param blocks number of logical blocks at creation
 * @param blockSize logical block length in bytes at creation (0 for devices without media)
 * @param storeKind backing store: {@code ram}, {@code zero}, {@code file:PATH}, ... (the stack
 *     interprets it)
 * @param removable RMB bit: the medium can be ejected
 * @param enclosure the enclosure's device key when the device sits in an enclosure slot, else empty
 * @param slot the enclosure slot (element index), -1 when not in an enclosure
 */
public record DeviceConfig(
    int bus,
    int target,
    long lun,
    int deviceType,
    String vendor,
    String product,
    String revision,
    String serial,
    long blocks,
    int blockSize,
    String storeKind,
    boolean removable,
    String enclosure,
    int slot)
    implements JsonSerializable {

  /** SCSI peripheral device type: direct access block device. */
  public static final int TYPE_DISK = 0x00;
  /** SCSI peripheral device type: CD/DVD. */
  public static final int TYPE_CDROM = 0x05;
  /** SCSI peripheral device type: enclosure services. */
  public static final int TYPE_ENCLOSURE = 0x0d;

  public DeviceConfig {
    if (bus < 0 || target < 0 || lun < 0) {
      throw new IllegalArgumentException("bus, target and lun must be >= 0");
    }
    if (deviceType < 0 || deviceType > 0x1f) {
      throw new IllegalArgumentException("device type must be 0..0x1f, got " + deviceType);
    }
    if (blocks < 0 || blockSize < 0) {
      throw new IllegalArgumentException("blocks and block size must be >= 0");
    }
    if (slot < -1) {
      throw new IllegalArgumentException("slot must be >= 0, or -1 for none");
    }
    vendor = vendor == null ? "" : vendor;
    product = product == null ? "" : product;
    revision = revision == null ? "" : revision;
    serial = serial == null ? "" : serial;
    storeKind = storeKind == null ? "" : storeKind;
    enclosure = enclosure == null ? "" : enclosure;
  }

  /** A disk at {@code bus:target:lun} with the given geometry in RAM, not in an enclosure. */
  public static DeviceConfig disk(
      int bus, int target, long lun, String serial, long blocks, int blockSize) {
    return new DeviceConfig(
        bus, target, lun, TYPE_DISK, "CAMSTACK", "EMU DISK", "0001", serial, blocks, blockSize,
        "ram", false, "", -1);
  }

  /** This configuration placed in an enclosure slot. */
  public DeviceConfig inSlot(String enclosureKey, int slotIndex) {
    return new DeviceConfig(
        bus, target, lun, deviceType, vendor, product, revision, serial, blocks, blockSize,
        storeKind, removable, enclosureKey, slotIndex);
  }

  /** This configuration with another backing store ({@code ram}, {@code file:PATH}, ...). */
  public DeviceConfig withStoreKind(String kind) {
    return new DeviceConfig(
        bus, target, lun, deviceType, vendor, product, revision, serial, blocks, blockSize,
        kind, removable, enclosure, slot);
  }

  /** This configuration with a removable medium (RMB set). */
  public DeviceConfig withRemovable(boolean rmb) {
    return new DeviceConfig(
        bus, target, lun, deviceType, vendor, product, revision, serial, blocks, blockSize,
        storeKind, rmb, enclosure, slot);
  }
}
