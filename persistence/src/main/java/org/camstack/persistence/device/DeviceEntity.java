package org.camstack.persistence.device;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.camstack.persistence.StableIds;
import org.camstack.persistence.serialization.CborSerializable;
import org.camstack.persistence.serialization.JsonSerializable;

/**
 * The durable facts about one emulated device, keyed by its stable identity (the NAA WWN), never
 * by a unit name: unit numbers are reused.
 *
 * <p>What is durable: creation and configuration, plugged/unplugged, capacity, media state
 * (started, loaded, removal prevented), changed mode pages, the SPC-2 reservation holder, the
 * persistent reservation keys/holder/type, fault rules and delays, pending unit attentions, and a
 * SAS expander's disabled phys.
 * What is not: refcounts, queues, in-flight commands (a reboot loses them in a kernel too).
 *
 * <p>Phases: {@link Unconfigured} (never created) → {@link Configured} → {@link Decommissioned}
 * (removed from the topology; {@link Create} starts a new life under the same key).
 *
 * <p>Every command replies with a {@link StatusReply}: an ack once the events are persisted, an
 * error with a stable message ({@code "<key>: ..."}) when the command is invalid in the current
 * phase. State-setting commands are idempotent: repeating one persists nothing and acks.
 *
 * <p>Run sharded ({@link #init(ActorSystem)} + {@link #entityRef(ActorSystem, String)}) or plainly
 * ({@code context.spawn(DeviceEntity.create(wwn), ...)}) in a single JVM; both use {@link
 * #persistenceId(String)}, so a journal written one way recovers the other way.
 */
public final class DeviceEntity
    extends EventSourcedBehaviorWithEnforcedReplies<
        DeviceEntity.Command, DeviceEntity.Event, DeviceEntity.State> {

  /** Entity type: the first half of the persistence id {@code CamDevice|<wwn>}. */
  public static final String ENTITY_TYPE = "CamDevice";

  /** Cluster Sharding key for device entities. */
  public static final EntityTypeKey<Command> TYPE_KEY =
      EntityTypeKey.create(Command.class, ENTITY_TYPE);

  /** Default snapshot interval in events; two snapshots are kept. */
  public static final int DEFAULT_SNAPSHOT_EVERY = 100;

  /** SPC: CAPACITY DATA HAS CHANGED. */
  static final int ASC_PARAMETERS_CHANGED = 0x2a;

  static final int ASCQ_CAPACITY_CHANGED = 0x09;
  /** SPC: NOT READY TO READY CHANGE, MEDIUM MAY HAVE CHANGED. */
  static final int ASC_MEDIUM_MAY_HAVE_CHANGED = 0x28;
  /** SPC: INQUIRY DATA HAS CHANGED. */
  static final int ASC_INQUIRY_CHANGED = 0x3f;

  static final int ASCQ_INQUIRY_CHANGED = 0x03;

  // Commands ------------------------------------------------------------------------------------

  /** Every command to a device entity; may cross nodes (sharding). */
  public sealed interface Command extends CborSerializable {
    /** Where the {@link StatusReply} goes; every command has one. */
    ActorRef<? extends StatusReply<?>> replyTo();
  }

  /**
   * Creates the device. Sent by the stack when the topology defines it. Acks once {@link
   * DeviceCreated} is persisted; idempotent with the same configuration; error if the device exists
   * with a different one (use {@link Reconfigure}). Re-creates a {@link Decommissioned} device.
   */
  public record Create(DeviceConfig config, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /**
   * Replaces the configuration (identity, location, geometry) and posts INQUIRY DATA HAS CHANGED.
   * Idempotent. Capacity and media state are kept unless the configuration changes the geometry.
   */
  public record Reconfigure(DeviceConfig config, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /**
   * A removable medium with a backing of its own (a CD/DVD image) was put in at runtime ({@code
   * ctl cd load}): the configuration's store kind becomes {@code storeKind} ({@code file:PATH}), so
   * the device plays it again after a restart. Idempotent; no unit attention (the device posted
   * its own medium change).
   */
  public record ChangeMedium(String storeKind, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** The device was plugged in (hot-plug or start-up). Idempotent. cf. AC_FOUND_DEVICE. */
  public record Plug(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** The device was pulled. Idempotent. cf. AC_LOST_DEVICE. */
  public record Unplug(String cause, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * The capacity changed (resize). Also posts CAPACITY DATA HAS CHANGED for every initiator, in
   * the same atomic write. Idempotent.
   *
   * @param blockSize new logical block length, or 0 to keep the current one
   */
  public record ChangeCapacity(long blocks, int blockSize, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /** START STOP UNIT with START=1. Idempotent. */
  public record StartUnit(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** START STOP UNIT with START=0. Idempotent. */
  public record StopUnit(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * A medium was inserted (or START STOP UNIT with LOEJ=1, START=1). Posts NOT READY TO READY
   * CHANGE in the same write. Idempotent; error if the device is not removable.
   */
  public record LoadMedium(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * The medium was ejected. Idempotent; error if the device is not removable or removal is
   * prevented (PREVENT ALLOW MEDIUM REMOVAL).
   */
  public record EjectMedium(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** PREVENT ALLOW MEDIUM REMOVAL. Idempotent. */
  public record PreventRemoval(boolean prevent, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /**
   * MODE SELECT changed a mode page (saved values). Idempotent.
   *
   * @param hex the page's bytes as lowercase hex
   */
  public record ChangeModePage(
      int page, int subpage, String hex, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** All mode pages back to their defaults. Idempotent. */
  public record ResetModePages(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * SPC-2 RESERVE(6/10). Idempotent for the holder; error {@code reservation conflict} if another
   * initiator holds it.
   */
  public record Reserve(String initiator, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /** SPC-2 RELEASE(6/10). A release by a non-holder is a no-op ack (as in SPC-2). */
  public record Release(String initiator, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /**
   * PERSISTENT RESERVE OUT, REGISTER / REGISTER AND IGNORE EXISTING KEY: registers {@code key} for
   * the initiator, or unregisters it when {@code key} is 0 (which also releases a reservation it
   * holds). Idempotent.
   */
  public record PrRegister(String initiator, long key, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /**
   * PERSISTENT RESERVE OUT, RESERVE. Error {@code reservation conflict} if the initiator is not
   * registered with {@code key} or another holder exists. Idempotent for the holder.
   */
  public record PrReserve(
      String initiator, long key, int type, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /** PERSISTENT RESERVE OUT, RELEASE. No-op ack if the initiator does not hold it. */
  public record PrRelease(String initiator, long key, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /** PERSISTENT RESERVE OUT, CLEAR: drops every registration and the reservation. */
  public record PrClear(String initiator, long key, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /**
   * PERSISTENT RESERVE OUT, PREEMPT: removes the registrations of {@code victimKey}; if the holder
   * had that key, the reservation passes to the initiator with {@code type}.
   */
  public record PrPreempt(
      String initiator,
      long key,
      long victimKey,
      int type,
      ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /** Adds (or replaces, same id) a fault rule. Idempotent. */
  public record AddFaultRule(FaultRule rule, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /** Removes a fault rule. Idempotent: an unknown id acks. */
  public record RemoveFaultRule(String id, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /**
   * A one-shot rule fired: it is gone from now on, also after a restart. Idempotent: an unknown
   * id acks (it was consumed already).
   */
  public record ConsumeFaultRule(String id, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /** Removes every fault rule and delay. Idempotent. */
  public record ClearFaultRules(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * Sets the extra service delay of a class of commands ({@code read}, {@code write}, {@code
   * any}); 0 removes it. Idempotent.
   */
  public record SetDelay(String opClass, long micros, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /**
   * Establishes a unit attention condition. Replies with the posted UA (its id is needed to
   * consume it). Not idempotent: each post is a new condition.
   */
  public record PostUnitAttention(
      String initiator,
      int asc,
      int ascq,
      String reason,
      ActorRef<StatusReply<UnitAttention>> replyTo)
      implements Command {}

  /** The UA was reported (REQUEST SENSE / CHECK CONDITION). Idempotent: unknown ids ack. */
  public record ConsumeUnitAttention(long id, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /**
   * A SAS expander's phy was disabled (SMP PHY CONTROL DISABLE) or enabled again (LINK RESET or
   * HARD RESET of a disabled phy): the phy stays so after a restart. Idempotent; error for a phy
   * number outside 0..255.
   */
  public record SetPhyEnabled(int phy, boolean enabled, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /** Removes the device from the topology. Idempotent. */
  public record Decommission(String cause, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /** Replies with the current state, in every phase. */
  public record Get(ActorRef<StatusReply<State>> replyTo) implements Command {}

  // Events: past tense, plain values ------------------------------------------------------------

  /** Every fact the device journal holds. Written as JSON; see docs/persistence.md. */
  public sealed interface Event extends JsonSerializable {}

  /** The device was created with this configuration (also: re-created after decommission). */
  public record DeviceCreated(DeviceConfig config) implements Event {}

  /** The configuration was replaced. */
  public record DeviceReconfigured(DeviceConfig config) implements Event {}

  /** The medium's backing changed at runtime (see {@link ChangeMedium}). */
  public record MediumChanged(String storeKind) implements Event {}

  /** Plugged in. */
  public record DevicePlugged() implements Event {}

  /** Pulled. */
  public record DeviceUnplugged(String cause) implements Event {}

  /**
   * Capacity changed. Version 2: {@code blocks} (was {@code newBlocks} in version 1) and {@code
   * blockSize} (absent in version 1, where it meant "unchanged": migrated to 0). See {@link
   * org.camstack.persistence.serialization.CapacityChangedMigration}.
   *
   * @param blockSize new block length, 0 = unchanged
   */
  public record CapacityChanged(long blocks, int blockSize) implements Event {}

  /** Spun up / became ready. */
  public record MediumStarted() implements Event {}

  /** Spun down. */
  public record MediumStopped() implements Event {}

  /** A medium was loaded. */
  public record MediumLoaded() implements Event {}

  /** The medium was ejected. */
  public record MediumEjected() implements Event {}

  /** Medium removal was prevented (true) or allowed (false). */
  public record RemovalPrevented(boolean prevent) implements Event {}

  /** A mode page changed to these bytes (lowercase hex). */
  public record ModePageChanged(int page, int subpage, String hex) implements Event {}

  /** Every mode page back to defaults. */
  public record ModePagesReset() implements Event {}

  /** SPC-2 reservation taken. */
  public record UnitReserved(String initiator) implements Event {}

  /** SPC-2 reservation released. */
  public record UnitReleased(String initiator) implements Event {}

  /** A persistent reservation key was registered (or replaced) for an initiator. */
  public record PrKeyRegistered(String initiator, long key) implements Event {}

  /** An initiator's registration was removed (and its reservation, if it held one). */
  public record PrKeyUnregistered(String initiator) implements Event {}

  /** A persistent reservation was taken. */
  public record PrReserved(String initiator, long key, int type) implements Event {}

  /** The persistent reservation was released. */
  public record PrReleased(String initiator) implements Event {}

  /** Every registration and the reservation were cleared. */
  public record PrCleared(String initiator) implements Event {}

  /** Registrations of {@code victimKey} were preempted by {@code initiator}. */
  public record PrPreempted(String initiator, long key, long victimKey, int type)
      implements Event {}

  /** A fault rule was added or replaced. */
  public record FaultRuleAdded(FaultRule rule) implements Event {}

  /** A fault rule was removed by the operator. */
  public record FaultRuleRemoved(String id) implements Event {}

  /** A one-shot fault rule fired and is gone. */
  public record FaultRuleConsumed(String id) implements Event {}

  /** Every fault rule and delay was removed. */
  public record FaultRulesCleared() implements Event {}

  /** A command class's extra delay was set (0 = none). */
  public record DelaySet(String opClass, long micros) implements Event {}

  /** A unit attention condition was established. */
  public record UnitAttentionPosted(UnitAttention unitAttention) implements Event {}

  /** A unit attention condition was reported and cleared. */
  public record UnitAttentionConsumed(long id) implements Event {}

  /** A SAS expander's phy was disabled ({@code enabled} false) or enabled again. */
  public record PhyStateChanged(int phy, boolean enabled) implements Event {}

  /** Removed from the topology. */
  public record DeviceDecommissioned(String cause) implements Event {}

  // State: one record per phase -----------------------------------------------------------------

  /** The device's state in one of its phases. Also the snapshot payload. */
  public sealed interface State extends JsonSerializable {}

  /** Never created (or journal empty). */
  public record Unconfigured() implements State {}

  /** Removed from the topology; the last configuration is kept for the record. */
  public record Decommissioned(String cause, DeviceConfig lastConfig) implements State {}

  /** Media state. cf. START STOP UNIT, PREVENT ALLOW MEDIUM REMOVAL. */
  public record Media(boolean started, boolean loaded, boolean removalPrevented)
      implements JsonSerializable {
    static final Media READY = new Media(true, true, false);
  }

  /**
   * Reservations. {@code ""} means "none" for the holders.
   *
   * @param holder SPC-2 RESERVE holder
   * @param prKeys persistent reservation registrations: initiator → key
   * @param prHolder persistent reservation holder (initiator)
   * @param prType persistent reservation type (SPC-3 type code), 0 when none
   * @param prGeneration PRgeneration: bumped on every registration change
   */
  public record Reservations(
      String holder, Map<String, Long> prKeys, String prHolder, int prType, long prGeneration)
      implements JsonSerializable {
    static final Reservations NONE = new Reservations("", Map.of(), "", 0, 0);

    public Reservations {
      holder = holder == null ? "" : holder;
      prKeys = Map.copyOf(prKeys == null ? Map.of() : prKeys);
      prHolder = prHolder == null ? "" : prHolder;
    }

    Reservations withHolder(String h) {
      return new Reservations(h, prKeys, prHolder, prType, prGeneration);
    }

    Reservations withPr(Map<String, Long> keys, String h, int type, long gen) {
      return new Reservations(holder, keys, h, h.isEmpty() ? 0 : type, gen);
    }
  }

  /**
   * A created device.
   *
   * @param modePages changed mode pages: {@code "PP"} or {@code "PP/SS"} (hex page/subpage) →
   *     page bytes as hex
   * @param delays command class → extra delay in microseconds
   * @param unitAttentions pending UAs, oldest first
   * @param nextUnitAttentionId id for the next posted UA
   * @param disabledPhys a SAS expander's disabled phys, ascending (version 2; empty for any other
   *     device and in version-1 snapshots, see {@link
   *     org.camstack.persistence.serialization.ConfiguredMigration})
   */
  public record Configured(
      DeviceConfig config,
      boolean plugged,
      long blocks,
      int blockSize,
      Media media,
      Map<String, String> modePages,
      Reservations reservations,
      List<FaultRule> faultRules,
      Map<String, Long> delays,
      List<UnitAttention> unitAttentions,
      long nextUnitAttentionId,
      List<Integer> disabledPhys)
      implements State {

    public Configured {
      modePages = Map.copyOf(modePages);
      faultRules = List.copyOf(faultRules);
      delays = Map.copyOf(delays);
      unitAttentions = List.copyOf(unitAttentions);
      disabledPhys = disabledPhys == null ? List.of() : List.copyOf(new java.util.TreeSet<>(disabledPhys));
    }

    static Configured fresh(DeviceConfig config) {
      return new Configured(
          config, false, config.blocks(), config.blockSize(), Media.READY, Map.of(),
          Reservations.NONE, List.of(), Map.of(), List.of(), 1, List.of());
    }

    Configured withConfig(DeviceConfig c) {
      return new Configured(
          c, plugged, blocks, blockSize, media, modePages, reservations, faultRules, delays,
          unitAttentions, nextUnitAttentionId, disabledPhys);
    }

    Configured withPlugged(boolean p) {
      return new Configured(
          config, p, blocks, blockSize, media, modePages, reservations, faultRules, delays,
          unitAttentions, nextUnitAttentionId, disabledPhys);
    }

    Configured withCapacity(long b, int bs) {
      return new Configured(
          config, plugged, b, bs, media, modePages, reservations, faultRules, delays,
          unitAttentions, nextUnitAttentionId, disabledPhys);
    }

    Configured withMedia(Media m) {
      return new Configured(
          config, plugged, blocks, blockSize, m, modePages, reservations, faultRules, delays,
          unitAttentions, nextUnitAttentionId, disabledPhys);
    }

    Configured withModePages(Map<String, String> pages) {
      return new Configured(
          config, plugged, blocks, blockSize, media, pages, reservations, faultRules, delays,
          unitAttentions, nextUnitAttentionId, disabledPhys);
    }

    Configured withReservations(Reservations r) {
      return new Configured(
          config, plugged, blocks, blockSize, media, modePages, r, faultRules, delays,
          unitAttentions, nextUnitAttentionId, disabledPhys);
    }

    Configured withFaults(List<FaultRule> rules, Map<String, Long> d) {
      return new Configured(
          config, plugged, blocks, blockSize, media, modePages, reservations, rules, d,
          unitAttentions, nextUnitAttentionId, disabledPhys);
    }

    Configured withUnitAttentions(List<UnitAttention> uas, long nextId) {
      return new Configured(
          config, plugged, blocks, blockSize, media, modePages, reservations, faultRules, delays,
          uas, nextId, disabledPhys);
    }

    Configured withPhy(int phy, boolean enabled) {
      java.util.TreeSet<Integer> d = new java.util.TreeSet<>(disabledPhys);
      if (enabled) {
        d.remove(phy);
      } else {
        d.add(phy);
      }
      return new Configured(
          config, plugged, blocks, blockSize, media, modePages, reservations, faultRules, delays,
          unitAttentions, nextUnitAttentionId, List.copyOf(d));
    }

    /** The fault rule with this id, or null. */
    public FaultRule faultRule(String id) {
      for (FaultRule r : faultRules) {
        if (r.id().equals(id)) {
          return r;
        }
      }
      return null;
    }

    /** The pending UA with this id, or null. */
    public UnitAttention unitAttention(long id) {
      for (UnitAttention ua : unitAttentions) {
        if (ua.id() == id) {
          return ua;
        }
      }
      return null;
    }
  }

  /** The mode page map key: {@code "08"} or {@code "1c/01"}. */
  public static String modePageKey(int page, int subpage) {
    return subpage == 0
        ? String.format("%02x", page)
        : String.format("%02x/%02x", page, subpage);
  }

  // Creation ------------------------------------------------------------------------------------

  /** The persistence id of the device with this key: {@code CamDevice|<wwn>}. */
  public static PersistenceId persistenceId(String deviceKey) {
    return PersistenceId.of(ENTITY_TYPE, StableIds.requireDeviceKey(deviceKey));
  }

  /** The entity for one device, snapshotting every {@value #DEFAULT_SNAPSHOT_EVERY} events. */
  public static Behavior<Command> create(String deviceKey) {
    return create(deviceKey, DEFAULT_SNAPSHOT_EVERY);
  }

  /** The entity for one device, snapshotting every {@code snapshotEvery} events (keeps two). */
  public static Behavior<Command> create(String deviceKey, int snapshotEvery) {
    return new DeviceEntity(deviceKey, snapshotEvery);
  }

  /**
   * Registers the device entity type with Cluster Sharding (a one-node cluster is fine). Needs
   * {@code pekko.actor.provider = cluster} and a joined cluster.
   */
  public static ActorRef<ShardingEnvelope<Command>> init(ActorSystem<?> system) {
    return ClusterSharding.get(system)
        .init(Entity.of(TYPE_KEY, ctx -> create(ctx.getEntityId())));
  }

  /** A sharded reference to the device with this key (after {@link #init(ActorSystem)}). */
  public static EntityRef<Command> entityRef(ActorSystem<?> system, String deviceKey) {
    return ClusterSharding.get(system)
        .entityRefFor(TYPE_KEY, StableIds.requireDeviceKey(deviceKey));
  }

  private final String key;
  private final int snapshotEvery;

  private DeviceEntity(String deviceKey, int snapshotEvery) {
    super(
        persistenceId(deviceKey),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
    if (snapshotEvery < 1) {
      throw new IllegalArgumentException("snapshotEvery must be >= 1");
    }
    this.key = deviceKey;
    this.snapshotEvery = snapshotEvery;
  }

  @Override
  public State emptyState() {
    return new Unconfigured();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(snapshotEvery, 2);
  }

  // Command handlers ----------------------------------------------------------------------------

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> b = newCommandHandlerWithReplyBuilder();
    b.forStateType(Unconfigured.class)
        .onCommand(Create.class, (s, c) -> onCreate(c))
        .onCommand(Decommission.class, c -> ack(c.replyTo()))
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(s)));
    b.forStateType(Decommissioned.class)
        .onCommand(Create.class, (s, c) -> onCreate(c))
        .onCommand(Decommission.class, c -> ack(c.replyTo()))
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(s)));
    b.forStateType(Configured.class)
        .onCommand(Create.class, this::onCreateAgain)
        .onCommand(Reconfigure.class, this::onReconfigure)
        .onCommand(ChangeMedium.class, this::onChangeMedium)
        .onCommand(Plug.class, this::onPlug)
        .onCommand(Unplug.class, this::onUnplug)
        .onCommand(ChangeCapacity.class, this::onChangeCapacity)
        .onCommand(StartUnit.class, this::onStartUnit)
        .onCommand(StopUnit.class, this::onStopUnit)
        .onCommand(LoadMedium.class, this::onLoadMedium)
        .onCommand(EjectMedium.class, this::onEjectMedium)
        .onCommand(PreventRemoval.class, this::onPreventRemoval)
        .onCommand(ChangeModePage.class, this::onChangeModePage)
        .onCommand(ResetModePages.class, this::onResetModePages)
        .onCommand(Reserve.class, this::onReserve)
        .onCommand(Release.class, this::onRelease)
        .onCommand(PrRegister.class, this::onPrRegister)
        .onCommand(PrReserve.class, this::onPrReserve)
        .onCommand(PrRelease.class, this::onPrRelease)
        .onCommand(PrClear.class, this::onPrClear)
        .onCommand(PrPreempt.class, this::onPrPreempt)
        .onCommand(AddFaultRule.class, this::onAddFaultRule)
        .onCommand(RemoveFaultRule.class, this::onRemoveFaultRule)
        .onCommand(ConsumeFaultRule.class, this::onConsumeFaultRule)
        .onCommand(ClearFaultRules.class, this::onClearFaultRules)
        .onCommand(SetDelay.class, this::onSetDelay)
        .onCommand(PostUnitAttention.class, this::onPostUnitAttention)
        .onCommand(ConsumeUnitAttention.class, this::onConsumeUnitAttention)
        .onCommand(SetPhyEnabled.class, this::onSetPhyEnabled)
        .onCommand(Decommission.class, this::onDecommission)
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(s)));
    // Any other command outside Configured: the device does not exist (yet or any more).
    b.forAnyState().onAnyCommand(this::notConfigured);
    return b.build();
  }

  private ReplyEffect<Event, State> onCreate(Create c) {
    return persistAck(new DeviceCreated(c.config()), c.replyTo());
  }

  private ReplyEffect<Event, State> onCreateAgain(Configured s, Create c) {
    if (s.config().equals(c.config())) {
      return ack(c.replyTo());
    }
    return error(c.replyTo(), "already created with a different configuration (use Reconfigure)");
  }

  private ReplyEffect<Event, State> onReconfigure(Configured s, Reconfigure c) {
    if (s.config().equals(c.config())) {
      return ack(c.replyTo());
    }
    return persistAck(
        List.of(
            new DeviceReconfigured(c.config()),
            posted(s, ASC_INQUIRY_CHANGED, ASCQ_INQUIRY_CHANGED, "inquiry data has changed")),
        c.replyTo());
  }

  private ReplyEffect<Event, State> onChangeMedium(Configured s, ChangeMedium c) {
    if (c.storeKind() == null || !c.storeKind().startsWith("file:")) {
      return error(c.replyTo(), "a medium is file:PATH, got " + c.storeKind());
    }
    return c.storeKind().equals(s.config().storeKind()) ? ack(c.replyTo()) : persistAck(new MediumChanged(c.storeKind()), c.replyTo());
  }

  private ReplyEffect<Event, State> onSetPhyEnabled(Configured s, SetPhyEnabled c) {
    if (c.phy() < 0 || c.phy() > 255) {
      return error(c.replyTo(), "phy " + c.phy() + " is not a phy number (0..255)");
    }
    boolean enabled = !s.disabledPhys().contains(c.phy());
    return enabled == c.enabled() ? ack(c.replyTo()) : persistAck(new PhyStateChanged(c.phy(), c.enabled()), c.replyTo());
  }

  private ReplyEffect<Event, State> onPlug(Configured s, Plug c) {
    return s.plugged() ? ack(c.replyTo()) : persistAck(new DevicePlugged(), c.replyTo());
  }

  private ReplyEffect<Event, State> onUnplug(Configured s, Unplug c) {
    return s.plugged() ? persistAck(new DeviceUnplugged(c.cause()), c.replyTo()) : ack(c.replyTo());
  }

  private ReplyEffect<Event, State> onChangeCapacity(Configured s, ChangeCapacity c) {
    if (c.blocks() < 0 || c.blockSize() < 0) {
      return error(c.replyTo(), "capacity must be >= 0");
    }
    int newBlockSize = c.blockSize() == 0 ? s.blockSize() : c.blockSize();
    if (s.blocks() == c.blocks() && s.blockSize() == newBlockSize) {
      return ack(c.replyTo());
    }
    return persistAck(
        List.of(
            new CapacityChanged(c.blocks(), c.blockSize()),
            posted(s, ASC_PARAMETERS_CHANGED, ASCQ_CAPACITY_CHANGED, "capacity data has changed")),
        c.replyTo());
  }

  private ReplyEffect<Event, State> onStartUnit(Configured s, StartUnit c) {
    return s.media().started() ? ack(c.replyTo()) : persistAck(new MediumStarted(), c.replyTo());
  }

  private ReplyEffect<Event, State> onStopUnit(Configured s, StopUnit c) {
    return s.media().started() ? persistAck(new MediumStopped(), c.replyTo()) : ack(c.replyTo());
  }

  private ReplyEffect<Event, State> onLoadMedium(Configured s, LoadMedium c) {
    if (!s.config().removable()) {
      return error(c.replyTo(), "medium is not removable");
    }
    if (s.media().loaded()) {
      return ack(c.replyTo());
    }
    return persistAck(
        List.of(
            new MediumLoaded(),
            posted(s, ASC_MEDIUM_MAY_HAVE_CHANGED, 0, "not ready to ready change")),
        c.replyTo());
  }

  private ReplyEffect<Event, State> onEjectMedium(Configured s, EjectMedium c) {
    if (!s.config().removable()) {
      return error(c.replyTo(), "medium is not removable");
    }
    if (!s.media().loaded()) {
      return ack(c.replyTo());
    }
    if (s.media().removalPrevented()) {
      return error(c.replyTo(), "medium removal prevented");
    }
    return persistAck(new MediumEjected(), c.replyTo());
  }

  private ReplyEffect<Event, State> onPreventRemoval(Configured s, PreventRemoval c) {
    if (s.media().removalPrevented() == c.prevent()) {
      return ack(c.replyTo());
    }
    return persistAck(new RemovalPrevented(c.prevent()), c.replyTo());
  }

  private ReplyEffect<Event, State> onChangeModePage(Configured s, ChangeModePage c) {
    if (c.page() < 0 || c.page() > 0x3f || c.subpage() < 0 || c.subpage() > 0xff) {
      return error(c.replyTo(), "bad mode page " + c.page() + "/" + c.subpage());
    }
    if (c.hex() == null || !Hex.isHex(c.hex())) {
      return error(c.replyTo(), "mode page bytes are not hex");
    }
    String hex = c.hex().toLowerCase(Locale.ROOT);
    if (hex.equals(s.modePages().get(modePageKey(c.page(), c.subpage())))) {
      return ack(c.replyTo());
    }
    return persistAck(new ModePageChanged(c.page(), c.subpage(), hex), c.replyTo());
  }

  private ReplyEffect<Event, State> onResetModePages(Configured s, ResetModePages c) {
    return s.modePages().isEmpty() ? ack(c.replyTo()) : persistAck(new ModePagesReset(), c.replyTo());
  }

  private ReplyEffect<Event, State> onReserve(Configured s, Reserve c) {
    String holder = s.reservations().holder();
    if (holder.equals(c.initiator())) {
      return ack(c.replyTo());
    }
    if (!holder.isEmpty()) {
      return error(c.replyTo(), "reservation conflict: held by " + holder);
    }
    return persistAck(new UnitReserved(c.initiator()), c.replyTo());
  }

  private ReplyEffect<Event, State> onRelease(Configured s, Release c) {
    if (!s.reservations().holder().equals(c.initiator())) {
      return ack(c.replyTo()); // cf. SPC-2 RELEASE: a non-holder's release is GOOD, no effect
    }
    return persistAck(new UnitReleased(c.initiator()), c.replyTo());
  }

  private ReplyEffect<Event, State> onPrRegister(Configured s, PrRegister c) {
    Long current = s.reservations().prKeys().get(c.initiator());
    if (c.key() == 0) {
      return current == null
          ? ack(c.replyTo())
          : persistAck(new PrKeyUnregistered(c.initiator()), c.replyTo());
    }
    if (current != null && current == c.key()) {
      return ack(c.replyTo());
    }
    return persistAck(new PrKeyRegistered(c.initiator(), c.key()), c.replyTo());
  }

  private ReplyEffect<Event, State> onPrReserve(Configured s, PrReserve c) {
    Reservations r = s.reservations();
    if (!registered(r, c.initiator(), c.key())) {
      return error(c.replyTo(), "reservation conflict: " + c.initiator() + " not registered");
    }
    if (r.prHolder().equals(c.initiator()) && r.prType() == c.type()) {
      return ack(c.replyTo());
    }
    if (!r.prHolder().isEmpty()) {
      return error(c.replyTo(), "reservation conflict: held by " + r.prHolder());
    }
    return persistAck(new PrReserved(c.initiator(), c.key(), c.type()), c.replyTo());
  }

  private ReplyEffect<Event, State> onPrRelease(Configured s, PrRelease c) {
    Reservations r = s.reservations();
    if (!registered(r, c.initiator(), c.key())) {
      return error(c.replyTo(), "reservation conflict: " + c.initiator() + " not registered");
    }
    if (!r.prHolder().equals(c.initiator())) {
      return ack(c.replyTo());
    }
    return persistAck(new PrReleased(c.initiator()), c.replyTo());
  }

  private ReplyEffect<Event, State> onPrClear(Configured s, PrClear c) {
    if (!registered(s.reservations(), c.initiator(), c.key())) {
      return error(c.replyTo(), "reservation conflict: " + c.initiator() + " not registered");
    }
    return persistAck(new PrCleared(c.initiator()), c.replyTo());
  }

  private ReplyEffect<Event, State> onPrPreempt(Configured s, PrPreempt c) {
    if (!registered(s.reservations(), c.initiator(), c.key())) {
      return error(c.replyTo(), "reservation conflict: " + c.initiator() + " not registered");
    }
    return persistAck(
        new PrPreempted(c.initiator(), c.key(), c.victimKey(), c.type()), c.replyTo());
  }

  private static boolean registered(Reservations r, String initiator, long key) {
    Long k = r.prKeys().get(initiator);
    return k != null && k == key;
  }

  private ReplyEffect<Event, State> onAddFaultRule(Configured s, AddFaultRule c) {
    if (c.rule() == null) {
      return error(c.replyTo(), "no fault rule");
    }
    if (c.rule().equals(s.faultRule(c.rule().id()))) {
      return ack(c.replyTo());
    }
    return persistAck(new FaultRuleAdded(c.rule()), c.replyTo());
  }

  private ReplyEffect<Event, State> onRemoveFaultRule(Configured s, RemoveFaultRule c) {
    return s.faultRule(c.id()) == null
        ? ack(c.replyTo())
        : persistAck(new FaultRuleRemoved(c.id()), c.replyTo());
  }

  private ReplyEffect<Event, State> onConsumeFaultRule(Configured s, ConsumeFaultRule c) {
    FaultRule rule = s.faultRule(c.id());
    if (rule == null) {
      return ack(c.replyTo());
    }
    if (!rule.oneShot()) {
      return error(c.replyTo(), "fault rule " + c.id() + " is continuous; remove it instead");
    }
    return persistAck(new FaultRuleConsumed(c.id()), c.replyTo());
  }

  private ReplyEffect<Event, State> onClearFaultRules(Configured s, ClearFaultRules c) {
    return s.faultRules().isEmpty() && s.delays().isEmpty()
        ? ack(c.replyTo())
        : persistAck(new FaultRulesCleared(), c.replyTo());
  }

  private ReplyEffect<Event, State> onSetDelay(Configured s, SetDelay c) {
    if (c.opClass() == null || c.opClass().isBlank() || c.micros() < 0) {
      return error(c.replyTo(), "delay needs a command class and micros >= 0");
    }
    long current = s.delays().getOrDefault(c.opClass(), 0L);
    if (current == c.micros()) {
      return ack(c.replyTo());
    }
    return persistAck(new DelaySet(c.opClass(), c.micros()), c.replyTo());
  }

  private ReplyEffect<Event, State> onPostUnitAttention(Configured s, PostUnitAttention c) {
    if (c.asc() < 0 || c.asc() > 0xff || c.ascq() < 0 || c.ascq() > 0xff) {
      return Effect().reply(c.replyTo(), StatusReply.error(key + ": asc/ascq must be bytes"));
    }
    UnitAttention ua =
        new UnitAttention(s.nextUnitAttentionId(), c.initiator(), c.asc(), c.ascq(), c.reason());
    return Effect()
        .persist(new UnitAttentionPosted(ua))
        .thenReply(c.replyTo(), st -> StatusReply.success(ua));
  }

  private ReplyEffect<Event, State> onConsumeUnitAttention(Configured s, ConsumeUnitAttention c) {
    return s.unitAttention(c.id()) == null
        ? ack(c.replyTo())
        : persistAck(new UnitAttentionConsumed(c.id()), c.replyTo());
  }

  private ReplyEffect<Event, State> onDecommission(Configured s, Decommission c) {
    return persistAck(new DeviceDecommissioned(c.cause()), c.replyTo());
  }

  /** Outside {@link Configured}: every command but Create/Decommission/Get is refused. */
  private ReplyEffect<Event, State> notConfigured(State s, Command c) {
    String why = s instanceof Decommissioned ? "device is decommissioned" : "device not created";
    return Effect().reply(replyToOf(c), StatusReply.error(key + ": " + why));
  }

  /**
   * The reply-to of a command, for the generic refusal. The cast is safe: a refusal is an error
   * reply, which a receiver of any {@code StatusReply<T>} accepts.
   */
  @SuppressWarnings("unchecked") // StatusReply.error(..) is a StatusReply<T> for every T
  private static ActorRef<StatusReply<Object>> replyToOf(Command c) {
    return (ActorRef<StatusReply<Object>>) (ActorRef<?>) c.replyTo();
  }

  private UnitAttentionPosted posted(Configured s, int asc, int ascq, String reason) {
    return new UnitAttentionPosted(
        new UnitAttention(
            s.nextUnitAttentionId(), UnitAttention.ALL_INITIATORS, asc, ascq, reason));
  }

  private ReplyEffect<Event, State> persistAck(Event e, ActorRef<StatusReply<Done>> replyTo) {
    return Effect().persist(e).thenReply(replyTo, st -> StatusReply.ack());
  }

  private ReplyEffect<Event, State> persistAck(
      List<Event> events, ActorRef<StatusReply<Done>> replyTo) {
    return Effect().persist(events).thenReply(replyTo, st -> StatusReply.ack());
  }

  private ReplyEffect<Event, State> ack(ActorRef<StatusReply<Done>> replyTo) {
    return Effect().reply(replyTo, StatusReply.ack());
  }

  private ReplyEffect<Event, State> error(ActorRef<StatusReply<Done>> replyTo, String why) {
    return Effect().reply(replyTo, StatusReply.error(key + ": " + why));
  }

  // Event handler: pure, runs again on every recovery --------------------------------------------

  @Override
  public EventHandler<State, Event> eventHandler() {
    var b = newEventHandlerBuilder();
    b.forAnyState()
        .onEvent(DeviceCreated.class, (s, e) -> Configured.fresh(e.config()))
        .onEvent(DeviceDecommissioned.class, (s, e) -> new Decommissioned(e.cause(), configOf(s)));
    b.forStateType(Configured.class)
        .onEvent(DeviceReconfigured.class, DeviceEntity::applyReconfigured)
        .onEvent(MediumChanged.class, (s, e) -> s.withConfig(s.config().withStoreKind(e.storeKind())))
        .onEvent(DevicePlugged.class, (s, e) -> s.withPlugged(true))
        .onEvent(DeviceUnplugged.class, (s, e) -> s.withPlugged(false))
        .onEvent(
            CapacityChanged.class,
            (s, e) -> s.withCapacity(e.blocks(), e.blockSize() == 0 ? s.blockSize() : e.blockSize()))
        .onEvent(MediumStarted.class, (s, e) -> s.withMedia(media(s, true, s.media().loaded())))
        .onEvent(MediumStopped.class, (s, e) -> s.withMedia(media(s, false, s.media().loaded())))
        .onEvent(MediumLoaded.class, (s, e) -> s.withMedia(media(s, s.media().started(), true)))
        .onEvent(MediumEjected.class, (s, e) -> s.withMedia(media(s, s.media().started(), false)))
        .onEvent(
            RemovalPrevented.class,
            (s, e) ->
                s.withMedia(new Media(s.media().started(), s.media().loaded(), e.prevent())))
        .onEvent(ModePageChanged.class, DeviceEntity::applyModePage)
        .onEvent(ModePagesReset.class, (s, e) -> s.withModePages(Map.of()))
        .onEvent(
            UnitReserved.class,
            (s, e) -> s.withReservations(s.reservations().withHolder(e.initiator())))
        .onEvent(UnitReleased.class, (s, e) -> s.withReservations(s.reservations().withHolder("")))
        .onEvent(PrKeyRegistered.class, DeviceEntity::applyPrRegistered)
        .onEvent(PrKeyUnregistered.class, DeviceEntity::applyPrUnregistered)
        .onEvent(PrReserved.class, DeviceEntity::applyPrReserved)
        .onEvent(PrReleased.class, DeviceEntity::applyPrReleased)
        .onEvent(PrCleared.class, DeviceEntity::applyPrCleared)
        .onEvent(PrPreempted.class, DeviceEntity::applyPrPreempted)
        .onEvent(FaultRuleAdded.class, DeviceEntity::applyFaultRuleAdded)
        .onEvent(FaultRuleRemoved.class, (s, e) -> withoutRule(s, e.id()))
        .onEvent(FaultRuleConsumed.class, (s, e) -> withoutRule(s, e.id()))
        .onEvent(FaultRulesCleared.class, (s, e) -> s.withFaults(List.of(), Map.of()))
        .onEvent(DelaySet.class, DeviceEntity::applyDelaySet)
        .onEvent(UnitAttentionPosted.class, DeviceEntity::applyUnitAttentionPosted)
        .onEvent(UnitAttentionConsumed.class, DeviceEntity::applyUnitAttentionConsumed)
        .onEvent(PhyStateChanged.class, (s, e) -> s.withPhy(e.phy(), e.enabled()));
    return b.build();
  }

  private static DeviceConfig configOf(State s) {
    if (s instanceof Configured c) {
      return c.config();
    }
    if (s instanceof Decommissioned d) {
      return d.lastConfig();
    }
    return null;
  }

  private static Media media(Configured s, boolean started, boolean loaded) {
    return new Media(started, loaded, s.media().removalPrevented());
  }

  private static Configured applyReconfigured(Configured s, DeviceReconfigured e) {
    Configured c = s.withConfig(e.config());
    boolean geometryChanged =
        s.config().blocks() != e.config().blocks()
            || s.config().blockSize() != e.config().blockSize();
    return geometryChanged ? c.withCapacity(e.config().blocks(), e.config().blockSize()) : c;
  }

  private static Configured applyModePage(Configured s, ModePageChanged e) {
    Map<String, String> pages = new TreeMap<>(s.modePages());
    pages.put(modePageKey(e.page(), e.subpage()), e.hex());
    return s.withModePages(pages);
  }

  private static Configured applyPrRegistered(Configured s, PrKeyRegistered e) {
    Reservations r = s.reservations();
    Map<String, Long> keys = new HashMap<>(r.prKeys());
    keys.put(e.initiator(), e.key());
    return s.withReservations(r.withPr(keys, r.prHolder(), r.prType(), r.prGeneration() + 1));
  }

  private static Configured applyPrUnregistered(Configured s, PrKeyUnregistered e) {
    Reservations r = s.reservations();
    Map<String, Long> keys = new HashMap<>(r.prKeys());
    keys.remove(e.initiator());
    String holder = r.prHolder().equals(e.initiator()) ? "" : r.prHolder();
    return s.withReservations(r.withPr(keys, holder, r.prType(), r.prGeneration() + 1));
  }

  private static Configured applyPrReserved(Configured s, PrReserved e) {
    Reservations r = s.reservations();
    return s.withReservations(r.withPr(r.prKeys(), e.initiator(), e.type(), r.prGeneration()));
  }

  private static Configured applyPrReleased(Configured s, PrReleased e) {
    Reservations r = s.reservations();
    return s.withReservations(r.withPr(r.prKeys(), "", 0, r.prGeneration()));
  }

  private static Configured applyPrCleared(Configured s, PrCleared e) {
    Reservations r = s.reservations();
    return s.withReservations(r.withPr(Map.of(), "", 0, r.prGeneration() + 1));
  }

  private static Configured applyPrPreempted(Configured s, PrPreempted e) {
    Reservations r = s.reservations();
    Map<String, Long> keys = new HashMap<>(r.prKeys());
    Long holderKey = r.prKeys().get(r.prHolder());
    keys.values().removeIf(k -> k == e.victimKey());
    keys.put(e.initiator(), e.key());
    boolean takesOver = holderKey != null && holderKey == e.victimKey();
    String holder = takesOver ? e.initiator() : keys.containsKey(r.prHolder()) ? r.prHolder() : "";
    int type = takesOver ? e.type() : r.prType();
    return s.withReservations(r.withPr(keys, holder, type, r.prGeneration() + 1));
  }

  private static Configured applyFaultRuleAdded(Configured s, FaultRuleAdded e) {
    List<FaultRule> rules = new ArrayList<>(s.faultRules());
    rules.removeIf(r -> r.id().equals(e.rule().id()));
    rules.add(e.rule());
    return s.withFaults(rules, s.delays());
  }

  private static Configured withoutRule(Configured s, String id) {
    List<FaultRule> rules = new ArrayList<>(s.faultRules());
    rules.removeIf(r -> r.id().equals(id));
    return s.withFaults(rules, s.delays());
  }

  private static Configured applyDelaySet(Configured s, DelaySet e) {
    Map<String, Long> delays = new TreeMap<>(s.delays());
    if (e.micros() == 0) {
      delays.remove(e.opClass());
    } else {
      delays.put(e.opClass(), e.micros());
    }
    return s.withFaults(s.faultRules(), delays);
  }

  private static Configured applyUnitAttentionPosted(Configured s, UnitAttentionPosted e) {
    List<UnitAttention> uas = new ArrayList<>(s.unitAttentions());
    uas.add(e.unitAttention());
    long next = Math.max(s.nextUnitAttentionId(), e.unitAttention().id() + 1);
    return s.withUnitAttentions(uas, next);
  }

  private static Configured applyUnitAttentionConsumed(Configured s, UnitAttentionConsumed e) {
    List<UnitAttention> uas = new ArrayList<>(s.unitAttentions());
    uas.removeIf(ua -> ua.id() == e.id());
    return s.withUnitAttentions(uas, s.nextUnitAttentionId());
  }
}
