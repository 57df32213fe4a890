package org.camstack.stack.durable;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.pattern.StatusReply;
import org.camstack.persistence.device.DeviceConfig;
import org.camstack.persistence.device.DeviceEntity;
import org.camstack.persistence.device.FaultRule;
import org.camstack.persistence.device.UnitAttention;
import org.camstack.stack.scsi.SenseTables;
import org.camstack.stack.target.Delay;
import org.camstack.stack.target.EmuDevice;
import org.camstack.stack.target.EmuDisk;
import org.camstack.stack.target.EmuExpander;
import org.camstack.stack.target.LunSpec;
import org.camstack.stack.target.Reservations;
import org.camstack.stack.target.UnitAttentionSnapshot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Between an emulated device ({@link EmuDevice}) and its journal ({@link DeviceEntity}): the
 * identity and configuration of a LUN as plain values, the durable view of a live device, the
 * commands that bring the journal up to date with it ({@link #diff}), and the restore of a fresh
 * device from the journal ({@link #restore}). Pure functions; no actor.
 *
 * <p>Encodings (docs/persistence.md):
 *
 * <ul>
 *   <li>device key: {@code naa.<wwn>} (the key lifetime events and the unit wiring use);
 *   <li>initiator: the SCSI initiator id as decimal text;
 *   <li>fault rule: the device's {@link FaultRule} as it is (one type for both);
 *   <li>delay: {@code any} = the fixed part, {@code any-random} = the random part, in microseconds
 *       (as {@code PUT /api/luns/.../delay} takes them);
 *   <li>mode page: the current values, {@code PP} &rarr; hex (a restored page is current and saved);
 *   <li>expander phys: the disabled ones ({@code SetPhyEnabled} / {@code PhyStateChanged});
 *   <li>unit attention: pending for initiator {@code N} as initiator {@code "N"}; posted for
 *       initiators not seen yet as {@code "*"}, or {@code "*!a,b"} with the initiators it is not
 *       for;
 *   <li>persistent reservations: only while the last registration asked for APTPL (otherwise the
 *       journal holds none, so a restart forgets them); initiators as {@code Reservations}'s
 *       journal form ({@code "7"} for a SIM id, {@code "<port>@<target port>"} for a network
 *       nexus, {@code "all:"} in front for ALL_TG_PT).
 * </ul>
 */
public final class DeviceStateCodec {
  private static final Logger LOG = LoggerFactory.getLogger(DeviceStateCodec.class);
  private static final HexFormat HEX = HexFormat.of();

  /** Delay class of the fixed part. */
  static final String DELAY_FIXED = "any";
  /** Delay class of the random part. */
  static final String DELAY_RANDOM = "any-random";

  private DeviceStateCodec() {}

  // ------------------------------------------------------------------ identity and configuration

  /** The journal key of a LUN: {@code naa.<wwn>}, the same key as the wiring and the audit trail. */
  public static String deviceKey(LunSpec spec) {
    return "naa." + spec.wwn();
  }

  /** The WWN of a device key ({@code naa.5...} &rarr; {@code 5...}), or null for another key. */
  static String wwnOf(String deviceKey) {
    return deviceKey.startsWith("naa.") ? deviceKey.substring(4) : null;
  }

  /**
   * The journal configuration of a LUN at {@code bus:target}.
   *
   * @param bus the bus number ({@code scbusN} of the topology)
   */
  public static DeviceConfig config(int bus, int target, LunSpec l) {
    boolean disk = l.type() == LunSpec.Type.DISK;
    String store =
        switch (l.store()) {
          case NULL -> "null";
          case RAM -> l.file() != null && l.type() == LunSpec.Type.CDROM ? "file:" + l.file() : "ram";
          case FILE -> "file:" + l.file();
        };
    return new DeviceConfig(
        bus, target, l.lun(), deviceType(l.type()), l.vendor(),
        l.product(), l.revision(), l.serial(), disk ? l.blocks() : 0, disk ? l.blockSize() : 0, store,
        l.removable(), "", l.enclosureSlot());
  }

  /** SCSI peripheral device type of a LUN type, as the journal keeps it. */
  static int deviceType(LunSpec.Type t) {
    return switch (t) {
      case DISK -> DeviceConfig.TYPE_DISK;
      case ENCLOSURE -> DeviceConfig.TYPE_ENCLOSURE;
      case CDROM -> DeviceConfig.TYPE_CDROM;
      case PROCESSOR, SAFTE -> TYPE_PROCESSOR;
      case TAPE -> TYPE_SEQUENTIAL;
      case CHANGER -> TYPE_CHANGER;
      case EXPANDER -> TYPE_EXPANDER;
    };
  }

  /** The LUN type of a SCSI peripheral device type (disk for any type camstack does not emulate). */
  static LunSpec.Type lunType(int deviceType, String product) {
    return switch (deviceType) {
      case DeviceConfig.TYPE_ENCLOSURE -> LunSpec.Type.ENCLOSURE;
      case DeviceConfig.TYPE_CDROM -> LunSpec.Type.CDROM;
      case TYPE_PROCESSOR -> "EMU-SAFTE".equals(product) ? LunSpec.Type.SAFTE : LunSpec.Type.PROCESSOR;
      case TYPE_SEQUENTIAL -> LunSpec.Type.TAPE;
      case TYPE_CHANGER -> LunSpec.Type.CHANGER;
      case TYPE_EXPANDER -> LunSpec.Type.EXPANDER;
      default -> LunSpec.Type.DISK;
    };
  }

  /** Journal device type of a SAS expander's SCSI face (T_STORARRAY). */
  static final int TYPE_EXPANDER = 0x0c;

  /** Journal device type of a tape drive (SCSI T_SEQUENTIAL). */
  static final int TYPE_SEQUENTIAL = 0x01;
  /** Journal device type of a processor device (SCSI T_PROCESSOR; SAF-TE is one too). */
  static final int TYPE_PROCESSOR = 0x03;
  /** Journal device type of a medium changer (SCSI T_CHANGER). */
  static final int TYPE_CHANGER = 0x08;

  /**
   * The LUN a journal configuration describes, at {@code lun}, with {@code blocks} of capacity.
   * What the configuration does not hold (rotation rate, enclosure slots, queue depth) comes from
   * {@code base} (the topology's spec) or the defaults.
   *
   * @throws IllegalArgumentException when the values make no valid LUN
   */
  public static LunSpec spec(DeviceConfig c, String deviceKey, long lun, long blocks, LunSpec base) {
    String wwn = wwnOf(deviceKey);
    if (wwn == null) {
      throw new IllegalArgumentException("device key " + deviceKey + " is not a WWN");
    }
    LunSpec.Type type =
        base != null && deviceType(base.type()) == c.deviceType() ? base.type() : lunType(c.deviceType(), c.product());
    boolean enclosure = type != LunSpec.Type.DISK;
    LunSpec.StoreKind store;
    String file = null;
    String kind = c.storeKind();
    if (kind.startsWith("file:")) {
      store = LunSpec.StoreKind.FILE;
      file = kind.substring(5);
    } else if (kind.equals("null")) {
      store = LunSpec.StoreKind.NULL;
    } else {
      store = LunSpec.StoreKind.RAM;
    }
    if (type == LunSpec.Type.CDROM && file != null && !java.nio.file.Files.isReadable(java.nio.file.Path.of(file))
        && base != null && !file.equals(base.file())) {
      // a disc loaded at runtime whose image is gone: the drive plays the topology's disc instead
      LOG.warn("device [{}]: image {} from the journal is not readable, the topology's {} instead", deviceKey, file, base.file());
      file = base.file();
      store = file == null ? LunSpec.StoreKind.RAM : LunSpec.StoreKind.FILE;
    }
    return new LunSpec(
        lun,
        type,
        c.vendor(),
        c.product(),
        c.revision(),
        c.serial(),
        wwn,
        enclosure ? (base == null ? 0 : base.blocks()) : blocks,
        c.blockSize() == 0 ? (type == LunSpec.Type.CDROM ? 2048 : 512) : c.blockSize(),
        store,
        file,
        c.removable(),
        base == null ? 0 : base.rotationRate(),
        c.slot(),
        base == null ? (type == LunSpec.Type.ENCLOSURE || type == LunSpec.Type.SAFTE || type == LunSpec.Type.CHANGER || type == LunSpec.Type.EXPANDER ? 8 : 0) : base.slots(),
        base == null ? 32 : base.queueDepth());
  }

  // ------------------------------------------------------------------ delays

  /** A delay in journal form: {@code any} and {@code any-random} in microseconds (0s left out). */
  public static Map<String, Long> delays(Delay d) {
    Map<String, Long> m = new TreeMap<>();
    long fixed = d.minNanos() / 1000;
    long random = d.maxNanos() / 1000 - fixed;
    if (fixed != 0) {
      m.put(DELAY_FIXED, fixed);
    }
    if (random != 0) {
      m.put(DELAY_RANDOM, random);
    }
    return m;
  }

  /** The delay journal delays describe. */
  public static Delay delay(Map<String, Long> delays) {
    long fixed = Math.max(0, delays.getOrDefault(DELAY_FIXED, 0L));
    long random = Math.max(0, delays.getOrDefault(DELAY_RANDOM, 0L));
    return fixed == 0 && random == 0 ? Delay.NONE : Delay.uniform(fixed * 1000, (fixed + random) * 1000);
  }

  // ------------------------------------------------------------------ unit attentions

  /** One unit attention in journal form. */
  public record UaEntry(String initiator, int asc, int ascq) {}

  /** The device's unit attentions as journal entries, in order per initiator group. */
  public static List<UaEntry> uaEntries(UnitAttentionSnapshot s) {
    List<UaEntry> out = new ArrayList<>();
    for (UnitAttentionSnapshot.Posted p : s.posted()) {
      StringBuilder who = new StringBuilder("*");
      if (!p.excluded().isEmpty()) {
        who.append('!');
        boolean first = true;
        for (int id : p.excluded()) {
          who.append(first ? "" : ",").append(id);
          first = false;
        }
      }
      out.add(new UaEntry(who.toString(), p.code() >>> 8, p.code() & 0xff));
    }
    s.pending().forEach((id, codes) -> codes.forEach(c -> out.add(new UaEntry(String.valueOf(id), c >>> 8, c & 0xff))));
    return out;
  }

  /** Journal unit attentions (oldest first) as the device's state; unreadable initiators skipped. */
  public static UnitAttentionSnapshot uaSnapshot(List<UnitAttention> uas) {
    List<UnitAttentionSnapshot.Posted> posted = new ArrayList<>();
    Map<Integer, List<Integer>> pending = new TreeMap<>();
    for (UnitAttention ua : uas) {
      int code = UnitAttentionSnapshot.code(ua.asc(), ua.ascq());
      String who = ua.initiator();
      try {
        if (who.startsWith("*")) {
          SortedSet<Integer> ex = new TreeSet<>();
          if (who.startsWith("*!")) {
            for (String id : who.substring(2).split(",")) {
              ex.add(Integer.parseInt(id.trim()));
            }
          }
          posted.add(new UnitAttentionSnapshot.Posted(code, ex));
        } else {
          pending.computeIfAbsent(Integer.parseInt(who.trim()), k -> new ArrayList<>()).add(code);
        }
      } catch (NumberFormatException e) {
        LOG.warn("unit attention {} for initiator [{}]: not an initiator id, dropped", ua.id(), who);
      }
    }
    return new UnitAttentionSnapshot(posted, pending);
  }

  // ------------------------------------------------------------------ the durable view

  /**
   * The durable state of a live device, in journal form.
   *
   * @param blocks capacity, -1 for a device without one (enclosure)
   * @param modePages current values by {@link DeviceEntity#modePageKey} as hex
   * @param defaultPages default values, likewise (a page equal to them needs no journal entry)
   * @param holder SPC-2 reservation holder, {@code ""} for none
   * @param pr the persistent reservations a restart keeps (APTPL), {@link Reservations.Durable#NONE}
   *     for none
   * @param medium a CD/DVD drive's runtime disc as {@code file:PATH}, else null
   * @param disabledPhys a SAS expander's disabled phys, ascending; null for any other device
   */
  public record View(
      boolean started,
      boolean loaded,
      boolean prevented,
      long blocks,
      Map<String, String> modePages,
      Map<String, String> defaultPages,
      String holder,
      List<FaultRule> faults,
      Map<String, Long> delays,
      List<UaEntry> unitAttentions,
      Reservations.Durable pr,
      String medium,
      List<Integer> disabledPhys) {}

  /** What of {@code d} the journal keeps, now. */
  public static View view(EmuDevice d) {
    return view(d, false);
  }

  /**
   * What of {@code d} the journal keeps, now.
   *
   * @param clustered a clustered LUN's shared state (docs/cluster.md): persistent reservations
   *     whatever APTPL says, and no unit attentions (each node's copy keeps its own nexuses' UAs;
   *     {@code unitAttentions} is then null and {@link #diff} leaves the journal's alone)
   */
  public static View view(EmuDevice d, boolean clustered) {
    List<FaultRule> faults = d.faults();
    int h = d.reservationHolder();
    return new View(
        d.isStarted(),
        d.isMediumPresent(),
        d.isRemovalPrevented(),
        d instanceof EmuDisk disk ? disk.blocks() : -1,
        hexPages(d.modePages(0)),
        hexPages(d.modePages(2)),
        h < 0 ? "" : String.valueOf(h),
        faults,
        delays(d.delay()),
        clustered ? null : uaEntries(d.unitAttentions()),
        d.reservations().durable(clustered),
        d instanceof org.camstack.stack.target.EmuCdrom cd && cd.image() != null ? "file:" + cd.image() : null,
        d instanceof EmuExpander x ? x.disabledPhys() : null);
  }

  private static Map<String, String> hexPages(Map<Integer, byte[]> pages) {
    Map<String, String> m = new TreeMap<>();
    pages.forEach((code, b) -> m.put(DeviceEntity.modePageKey(code, 0), HEX.formatHex(b)));
    return m;
  }

  // ------------------------------------------------------------------ restore

  /**
   * Puts the journal state {@code s} into a freshly built device, before it enters the data path:
   * capacity, media state, mode pages, reservation, fault rules, delay, unit attentions (in that
   * order: the restored unit attentions replace whatever a resize posted).
   */
  public static void restore(DeviceEntity.Configured s, EmuDevice d) {
    restore(s, d, false);
  }

  /**
   * Like {@link #restore(DeviceEntity.Configured, EmuDevice)}; for a {@code clustered} LUN taken
   * over by a new owner the unit attentions are left as they are (they are per node).
   */
  public static void restore(DeviceEntity.Configured s, EmuDevice d, boolean clustered) {
    if (d instanceof EmuDisk disk && s.blocks() > 0 && disk.blocks() != s.blocks()) {
      disk.resize(s.blocks());
    }
    DeviceEntity.Media m = s.media();
    d.restoreMedia(m.started(), m.loaded() || !s.config().removable(), m.removalPrevented());
    if (d instanceof org.camstack.stack.target.EmuCdrom cd) {
      cd.restoreTray();
    }
    for (Map.Entry<String, String> p : s.modePages().entrySet()) {
      boolean ok;
      try {
        ok = d.restoreModePage(HEX.parseHex(p.getValue()));
      } catch (IllegalArgumentException e) {
        ok = false;
      }
      if (!ok) {
        LOG.warn("{}: mode page {} from the journal does not fit the device, left at its default", d, p.getKey());
      }
    }
    String holder = s.reservations().holder();
    int h = -1;
    if (!holder.isEmpty()) {
      try {
        h = Integer.parseInt(holder);
      } catch (NumberFormatException e) {
        LOG.warn("{}: reservation holder [{}] is not an initiator id, not restored", d, holder);
      }
    }
    d.restoreReservation(h);
    DeviceEntity.Reservations res = s.reservations();
    if (!res.prKeys().isEmpty()) {
      List<String> skipped = d.reservations().restore(new Reservations.Durable(res.prKeys(), res.prHolder(), res.prType()));
      if (!skipped.isEmpty()) {
        LOG.warn("{}: persistent reservation registrations of {} from the journal not restored", d, skipped);
      }
    }
    d.clearFaults();
    for (FaultRule r : s.faultRules()) {
      try {
        d.addFault(r);
      } catch (IllegalArgumentException e) {
        LOG.warn("{}: fault rule {} from the journal not restored: {}", d, r.id(), e.getMessage());
      }
    }
    d.setDelay(delay(s.delays()));
    if (d instanceof EmuExpander x) {
      List<Integer> skipped = x.restoreDisabledPhys(s.disabledPhys());
      if (!skipped.isEmpty()) {
        LOG.warn("{}: disabled phys {} from the journal are not phys of the expander, not restored", d, skipped);
      }
    }
    if (!clustered) {
      d.restoreUnitAttentions(uaSnapshot(s.unitAttentions()));
    }
  }

  // ------------------------------------------------------------------ diff

  /** One journal command, sent with an ask. */
  public record Step(
      String what,
      Function<ActorRef<StatusReply<Done>>, DeviceEntity.Command> ack,
      Function<ActorRef<StatusReply<UnitAttention>>, DeviceEntity.Command> posted) {

    static Step of(String what, Function<ActorRef<StatusReply<Done>>, DeviceEntity.Command> f) {
      return new Step(what, f, null);
    }

    static Step post(String what, Function<ActorRef<StatusReply<UnitAttention>>, DeviceEntity.Command> f) {
      return new Step(what, null, f);
    }

    /** Sends it; the reply (success or refusal) is the stage's value. */
    CompletionStage<StatusReply<?>> send(ActorRef<DeviceEntity.Command> entity, Duration timeout, Scheduler scheduler) {
      if (ack != null) {
        return AskPattern.<DeviceEntity.Command, StatusReply<Done>>ask(entity, ack::apply, timeout, scheduler)
            .thenApply(r -> r);
      }
      return AskPattern.<DeviceEntity.Command, StatusReply<UnitAttention>>ask(entity, posted::apply, timeout, scheduler)
          .thenApply(r -> r);
    }

    @Override
    public String toString() {
      return what;
    }
  }

  /**
   * The journal commands that make {@code s} say what {@code v} says; empty when they agree.
   *
   * @param fired ids of one-shot rules the device reported fired (consumed, not deleted)
   */
  public static List<Step> diff(View v, DeviceEntity.Configured s, Set<String> fired) {
    List<Step> out = new ArrayList<>();
    if (v.medium() != null && !v.medium().equals(s.config().storeKind())) {
      String kind = v.medium(); // a disc loaded at runtime: played again after a restart
      out.add(Step.of("ChangeMedium " + kind, r -> new DeviceEntity.ChangeMedium(kind, r)));
    }
    media(v, s, out);
    if (v.blocks() >= 0 && v.blocks() != s.blocks()) {
      out.add(Step.of("ChangeCapacity " + v.blocks(), r -> new DeviceEntity.ChangeCapacity(v.blocks(), 0, r)));
    }
    for (Map.Entry<String, String> p : v.modePages().entrySet()) {
      String journal = s.modePages().getOrDefault(p.getKey(), v.defaultPages().get(p.getKey()));
      if (!p.getValue().equals(journal)) {
        int code = Integer.parseInt(p.getKey(), 16);
        String hex = p.getValue();
        out.add(Step.of("ChangeModePage " + p.getKey(), r -> new DeviceEntity.ChangeModePage(code, 0, hex, r)));
      }
    }
    String holder = s.reservations().holder();
    if (!holder.equals(v.holder())) {
      if (!holder.isEmpty()) {
        out.add(Step.of("Release " + holder, r -> new DeviceEntity.Release(holder, r)));
      }
      if (!v.holder().isEmpty()) {
        out.add(Step.of("Reserve " + v.holder(), r -> new DeviceEntity.Reserve(v.holder(), r)));
      }
    }
    persistent(v.pr(), s.reservations(), out);
    faults(v, s, fired, out);
    Set<String> classes = new TreeSet<>(s.delays().keySet());
    classes.addAll(v.delays().keySet());
    for (String c : classes) {
      long want = v.delays().getOrDefault(c, 0L);
      if (want != s.delays().getOrDefault(c, 0L)) {
        out.add(Step.of("SetDelay " + c + " " + want, r -> new DeviceEntity.SetDelay(c, want, r)));
      }
    }
    if (v.disabledPhys() != null && !v.disabledPhys().equals(s.disabledPhys())) {
      Set<Integer> phys = new TreeSet<>(s.disabledPhys());
      phys.addAll(v.disabledPhys());
      for (int phy : phys) {
        boolean enabled = !v.disabledPhys().contains(phy);
        if (enabled != !s.disabledPhys().contains(phy)) {
          out.add(Step.of("SetPhyEnabled " + phy + " " + enabled, r -> new DeviceEntity.SetPhyEnabled(phy, enabled, r)));
        }
      }
    }
    if (v.unitAttentions() != null) {
      unitAttentions(v, s, out);
    }
    return out;
  }

  /**
   * The journal's persistent reservation made to say what the device's APTPL state says: release a
   * reservation that differs while its holder is still registered, drop registrations no longer
   * there, register new or changed keys, then reserve.
   */
  private static void persistent(Reservations.Durable want, DeviceEntity.Reservations have, List<Step> out) {
    if (have.prKeys().equals(want.keys()) && have.prHolder().equals(want.holder()) && have.prType() == want.type()) {
      return;
    }
    String holder = have.prHolder();
    boolean reservationDiffers = !holder.equals(want.holder()) || have.prType() != want.type();
    if (!holder.isEmpty() && reservationDiffers && have.prKeys().containsKey(holder)) {
      long hk = have.prKeys().get(holder);
      out.add(Step.of("PrRelease " + holder, r -> new DeviceEntity.PrRelease(holder, hk, r)));
    }
    for (String ini : have.prKeys().keySet()) {
      if (!want.keys().containsKey(ini)) {
        out.add(Step.of("PrRegister " + ini + " 0", r -> new DeviceEntity.PrRegister(ini, 0, r)));
      }
    }
    for (Map.Entry<String, Long> e : want.keys().entrySet()) {
      if (!e.getValue().equals(have.prKeys().get(e.getKey()))) {
        String ini = e.getKey();
        long key = e.getValue();
        out.add(Step.of("PrRegister " + ini + " " + Long.toHexString(key), r -> new DeviceEntity.PrRegister(ini, key, r)));
      }
    }
    if (!want.holder().isEmpty() && (reservationDiffers || !have.prKeys().containsKey(want.holder()))) {
      String h = want.holder();
      long key = want.keys().getOrDefault(h, 0L);
      int type = want.type();
      out.add(Step.of("PrReserve " + h + " " + type, r -> new DeviceEntity.PrReserve(h, key, type, r)));
    }
  }

  private static void media(View v, DeviceEntity.Configured s, List<Step> out) {
    DeviceEntity.Media m = s.media();
    if (s.config().removable() && m.loaded() && !v.loaded()) {
      if (m.removalPrevented()) {
        out.add(Step.of("PreventRemoval false", r -> new DeviceEntity.PreventRemoval(false, r)));
      }
      out.add(Step.of("EjectMedium", DeviceEntity.EjectMedium::new));
      if (v.prevented()) {
        out.add(Step.of("PreventRemoval true", r -> new DeviceEntity.PreventRemoval(true, r)));
      }
    } else {
      if (s.config().removable() && !m.loaded() && v.loaded()) {
        out.add(Step.of("LoadMedium", DeviceEntity.LoadMedium::new));
      }
      if (m.removalPrevented() != v.prevented()) {
        out.add(Step.of("PreventRemoval " + v.prevented(), r -> new DeviceEntity.PreventRemoval(v.prevented(), r)));
      }
    }
    if (m.started() != v.started()) {
      out.add(v.started() ? Step.of("StartUnit", DeviceEntity.StartUnit::new) : Step.of("StopUnit", DeviceEntity.StopUnit::new));
    }
  }

  private static void faults(View v, DeviceEntity.Configured s, Set<String> fired, List<Step> out) {
    Map<String, FaultRule> live = new LinkedHashMap<>();
    for (FaultRule r : v.faults()) {
      live.put(r.id(), r);
    }
    for (FaultRule r : s.faultRules()) {
      if (!live.containsKey(r.id())) {
        String id = r.id();
        out.add(
            r.oneShot() && fired.contains(id)
                ? Step.of("ConsumeFaultRule " + id, x -> new DeviceEntity.ConsumeFaultRule(id, x))
                : Step.of("RemoveFaultRule " + id, x -> new DeviceEntity.RemoveFaultRule(id, x)));
      }
    }
    for (FaultRule r : live.values()) {
      if (!r.equals(s.faultRule(r.id()))) {
        out.add(Step.of("AddFaultRule " + r.id(), x -> new DeviceEntity.AddFaultRule(r, x)));
      }
    }
  }

  /**
   * Per initiator group ({@code "7"}, {@code "*"}, {@code "*!7"}) the journal's list must equal
   * the device's, in order: keep the longest prefix of the device's list that the journal's holds
   * in order, consume every other journal entry, post the rest.
   */
  private static void unitAttentions(View v, DeviceEntity.Configured s, List<Step> out) {
    Map<String, List<UaEntry>> want = new LinkedHashMap<>();
    for (UaEntry e : v.unitAttentions()) {
      want.computeIfAbsent(e.initiator(), k -> new ArrayList<>()).add(e);
    }
    Map<String, List<UnitAttention>> have = new LinkedHashMap<>();
    for (UnitAttention ua : s.unitAttentions()) {
      have.computeIfAbsent(ua.initiator(), k -> new ArrayList<>()).add(ua);
    }
    Set<String> groups = new java.util.LinkedHashSet<>(have.keySet());
    groups.addAll(want.keySet());
    List<Step> posts = new ArrayList<>();
    for (String g : groups) {
      List<UaEntry> w = want.getOrDefault(g, List.of());
      int j = 0;
      for (UnitAttention ua : have.getOrDefault(g, List.of())) {
        if (j < w.size() && w.get(j).asc() == ua.asc() && w.get(j).ascq() == ua.ascq()) {
          j++;
        } else {
          long id = ua.id();
          out.add(Step.of("ConsumeUnitAttention " + id, r -> new DeviceEntity.ConsumeUnitAttention(id, r)));
        }
      }
      for (UaEntry e : w.subList(j, w.size())) {
        String reason = SenseTables.ascText(e.asc(), e.ascq());
        posts.add(
            Step.post(
                "PostUnitAttention " + e.initiator() + " " + String.format("%02x/%02x", e.asc(), e.ascq()),
                r -> new DeviceEntity.PostUnitAttention(e.initiator(), e.asc(), e.ascq(), reason, r)));
      }
    }
    out.addAll(posts);
  }
}
