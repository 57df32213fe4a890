package org.camstack.stack.scsi.ses;

import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.DeviceInfo;

/**
 * The SAF-TE backend of enc: READ BUFFER / WRITE BUFFER CDBs and the buffers turned into the SES
 * model ({@link SesPages.Configuration}, {@link SesPages.Status}) the rest of {@link SesPeriph}
 * works on, so a SAF-TE processor is one more {@code sesN}. Element order: device slots first
 * (element index = slot), then power supplies, fans, temperature sensors. cf.
 * sys/cam/scsi/scsi_enc_safte.c ({@code safte_process_config}, {@code safte_process_slotstatus},
 * {@code safte_set_enc_status}).
 */
public final class SafTePages {
  private SafTePages() {}

  public static final int BUF_CONFIG = 0x00;
  public static final int BUF_SLOT_STATUS = 0x04;
  public static final int FN_WRITE_SLOT_STATUS = 0x10;

  /** INQUIRY bytes 44.. of a SAF-TE device. */
  static final String SIGNATURE = "SAF-TE";

  /** cf. {@code safte_softc_init}'s match: {@code SAF-TE} at INQUIRY byte 44, any device type. */
  public static boolean isSafte(DeviceInfo info) {
    ByteString inq = info.inquiry();
    if (inq == null || inq.size() < 44 + SIGNATURE.length()) {
      return false;
    }
    return inq.slice(44, 44 + SIGNATURE.length()).utf8String().equals(SIGNATURE);
  }

  /** READ BUFFER, mode 01h, {@code bufferId}. */
  public static ByteString readBuffer(int bufferId, int alloc) {
    return ByteString.fromArray(
        new byte[] {0x3c, 0x01, (byte) bufferId, 0, 0, 0, (byte) (alloc >>> 16), (byte) (alloc >>> 8), (byte) alloc, 0});
  }

  /** WRITE BUFFER, mode 01h, {@code len} bytes of parameter data (function code first). */
  public static ByteString writeBuffer(int len) {
    return ByteString.fromArray(new byte[] {0x3b, 0x01, 0, 0, 0, 0, (byte) (len >>> 16), (byte) (len >>> 8), (byte) len, 0});
  }

  /** The configuration buffer (00h) as an SES configuration. */
  public static SesPages.Configuration parseConfiguration(ByteString b) {
    if (b.size() < 6) {
      throw new IllegalArgumentException("SAF-TE configuration of " + b.size() + " bytes");
    }
    int fans = b.apply(0) & 0xff;
    int psus = b.apply(1) & 0xff;
    int slots = b.apply(2) & 0xff;
    int temps = b.apply(4) & 0xff;
    List<SesPages.TypeDescriptor> types = new ArrayList<>();
    types.add(new SesPages.TypeDescriptor(SesPages.ELM_DEVICE_SLOT, slots, 0, "Device Slot"));
    types.add(new SesPages.TypeDescriptor(SesPages.ELM_POWER_SUPPLY, psus, 0, "Power Supply"));
    types.add(new SesPages.TypeDescriptor(SesPages.ELM_COOLING, fans, 0, "Cooling Fan"));
    types.add(new SesPages.TypeDescriptor(SesPages.ELM_TEMPERATURE, temps, 0, "Temperature Sensor"));
    return new SesPages.Configuration(0, 1, 0, types);
  }

  /**
   * The slot status buffer (04h) as an SES status: a slot with a device OK, else NOT INSTALLED;
   * identify and fault as the SES slot bits ({@link SesPages#slotIdent}, {@link
   * SesPages#slotFault}); the other elements OK.
   */
  public static SesPages.Status parseSlotStatus(ByteString b, SesPages.Configuration config) {
    List<ByteString> overall = new ArrayList<>();
    List<List<ByteString>> elements = new ArrayList<>();
    for (SesPages.TypeDescriptor t : config.types()) {
      overall.add(ByteString.fromArray(new byte[4]));
      List<ByteString> es = new ArrayList<>();
      for (int i = 0; i < t.possibleElements(); i++) {
        byte[] s = new byte[4];
        if (t.elementType() == SesPages.ELM_DEVICE_SLOT) {
          if (b.size() < 4 * (i + 1)) {
            throw new IllegalArgumentException("SAF-TE slot status of " + b.size() + " bytes for " + t.possibleElements() + " slots");
          }
          int flags = b.apply(4 * i) & 0xff;
          boolean inserted = (b.apply(4 * i + 3) & 0x01) != 0;
          s[0] = (byte) (inserted ? SesPages.STATUS_OK : SesPages.STATUS_NOT_INSTALLED);
          s[2] = (byte) ((flags & 0x02) != 0 ? 0x02 : 0);
          s[3] = (byte) ((flags & 0x20) != 0 ? 0x20 : 0);
        } else {
          s[0] = SesPages.STATUS_OK;
        }
        es.add(ByteString.fromArray(s));
      }
      elements.add(es);
    }
    return new SesPages.Status(0, 0, overall, elements);
  }

  /**
   * WRITE DEVICE SLOT STATUS (10h) setting {@code slot}'s identify and fault and keeping every
   * other slot as {@code status} shows it.
   */
  public static ByteString writeSlotStatus(SesPages.Status status, int slotType, int slot, boolean ident, boolean fault) {
    List<ByteString> slots = status.elements().get(slotType);
    byte[] d = new byte[1 + 4 * slots.size()];
    d[0] = FN_WRITE_SLOT_STATUS;
    for (int i = 0; i < slots.size(); i++) {
      boolean id = i == slot ? ident : SesPages.slotIdent(slots.get(i));
      boolean f = i == slot ? fault : SesPages.slotFault(slots.get(i));
      d[1 + 4 * i] = (byte) ((id ? 0x02 : 0) | (f ? 0x20 : 0));
    }
    return ByteString.fromArray(d);
  }
}
