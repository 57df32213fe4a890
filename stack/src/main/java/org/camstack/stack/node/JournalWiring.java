package org.camstack.stack.node;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.pattern.StatusReply;
import org.camstack.persistence.wiring.HostWiringEntity;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.DeviceInfo;
import org.camstack.stack.lifetime.DeviceIdentity;
import org.camstack.stack.periph.WiringSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Unit wiring kept in the journal ({@link HostWiringEntity}, one per host): the periph drivers ask
 * it which unit a device had ({@link WiringSource}, answered from an in-memory copy loaded at
 * start, never blocking), it records every first attach as an automatic wiring, and the management
 * API lists, wires and unwires through it ({@link WiringControl}). So after a restart, and after a
 * LUN is pulled and plugged again, a device comes back under the same {@code passN}; a new device
 * gets the first unit no wiring holds. cf. {@code camperiphunit()} and the wired-unit hints.
 */
final class JournalWiring implements WiringSource, WiringControl {
  private static final Logger LOG = LoggerFactory.getLogger(JournalWiring.class);

  private final ActorSystem<?> system;
  private final ActorRef<HostWiringEntity.Command> entity;
  private final Duration timeout;
  /** (driver, deviceKey) &rarr; wiring. Written on the driver threads and the API's. */
  private final Map<String, HostWiringEntity.Wiring> byDevice = new ConcurrentHashMap<>();
  /** deviceKey &rarr; where the device was last seen. */
  private final Map<String, CamPath> seenAt = new ConcurrentHashMap<>();

  private JournalWiring(ActorSystem<?> system, ActorRef<HostWiringEntity.Command> entity, Duration timeout) {
    this.system = system;
    this.entity = entity;
    this.timeout = timeout;
  }

  /**
   * Loads the host's wiring. The entity runs on this node (not through Cluster Sharding): it is
   * this host's state and lives in this node's journal, whatever other members of the cluster do.
   */
  static CompletionStage<JournalWiring> load(ActorSystem<?> system, String hostId, Duration timeout) {
    ActorRef<HostWiringEntity.Command> ref =
        system.systemActorOf(HostWiringEntity.create(hostId), "wiring-" + hostId, Props.empty());
    JournalWiring w = new JournalWiring(system, ref, timeout);
    return w.<StatusReply<HostWiringEntity.State>>ask(HostWiringEntity.GetWiring::new)
        .thenApply(
            r -> {
              for (HostWiringEntity.Wiring e : r.getValue().wirings()) {
                w.byDevice.put(key(e.driver(), e.deviceKey()), e);
              }
              LOG.info("wiring of host [{}]: {} entries", hostId, w.byDevice.size());
              return w;
            });
  }

  private static String key(String driver, String deviceKey) {
    return driver + "|" + deviceKey;
  }

  private <R> CompletionStage<R> ask(java.util.function.Function<ActorRef<R>, HostWiringEntity.Command> msg) {
    return AskPattern.ask(entity, msg::apply, timeout, system.scheduler());
  }

  // ------------------------------------------------------------------ WiringSource

  @Override
  public OptionalInt wiredUnit(String driver, CamPath path, DeviceInfo info) {
    String dk = DeviceIdentity.of(info).key();
    if (dk.isEmpty()) {
      return OptionalInt.empty();
    }
    HostWiringEntity.Wiring w = byDevice.get(key(driver, dk));
    return w == null ? OptionalInt.empty() : OptionalInt.of(w.unit());
  }

  @Override
  public boolean reserved(String driver, int unit) {
    for (HostWiringEntity.Wiring w : byDevice.values()) {
      if (w.driver().equals(driver) && w.unit() == unit) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void assigned(String driver, int unit, CamPath path, DeviceInfo info, boolean wired) {
    String dk = DeviceIdentity.of(info).key();
    if (dk.isEmpty()) {
      return;
    }
    seenAt.put(dk, path);
    if (wired || byDevice.containsKey(key(driver, dk))) {
      return;
    }
    byDevice.put(key(driver, dk), new HostWiringEntity.Wiring(dk, driver, unit, true));
    // the driver chose the first unit no wiring holds; with every lower unit busy the entity
    // records exactly that one
    java.util.Set<Integer> busy = IntStream.range(0, unit).boxed().collect(Collectors.toSet());
    this.<StatusReply<Integer>>ask(r -> new HostWiringEntity.AssignUnit(dk, driver, busy, r))
        .whenComplete(
            (r, e) -> {
              if (e != null) {
                LOG.warn("could not record the wiring of {}{} to [{}]: {}", driver, unit, dk, e.toString());
              } else if (r.isSuccess() && r.getValue() != unit) {
                LOG.warn("journal wired [{}] to {}{} while the driver chose {}{}", dk, driver, r.getValue(), driver, unit);
                byDevice.put(key(driver, dk), new HostWiringEntity.Wiring(dk, driver, r.getValue(), true));
              }
            });
  }

  // ------------------------------------------------------------------ WiringControl

  @Override
  public CompletionStage<ApiModel.Wiring> list() {
    List<ApiModel.WiringEntry> out = new ArrayList<>();
    for (HostWiringEntity.Wiring w : byDevice.values()) {
      CamPath p = seenAt.get(w.deviceKey());
      out.add(new ApiModel.WiringEntry(w.driver(), w.unit(), w.deviceKey(), p == null ? "" : p.btl(), !w.automatic()));
    }
    out.sort((a, b) -> a.driver().equals(b.driver()) ? Integer.compare(a.unit(), b.unit()) : a.driver().compareTo(b.driver()));
    return java.util.concurrent.CompletableFuture.completedFuture(new ApiModel.Wiring(out));
  }

  @Override
  public CompletionStage<ApiModel.WiringEntry> wire(String driver, int unit, CamPath path, DeviceInfo info) {
    String dk = DeviceIdentity.of(info).key();
    if (dk.isEmpty()) {
      throw ApiException.conflict(path.btl() + " has no stable identity (no WWN, no serial) to wire");
    }
    return this.<StatusReply<Done>>ask(r -> new HostWiringEntity.Wire(dk, driver, unit, r))
        .thenApply(
            r -> {
              if (r.isError()) {
                throw ApiException.conflict(ManagementRoutes.oneLine(r.getError().getMessage()));
              }
              byDevice.put(key(driver, dk), new HostWiringEntity.Wiring(dk, driver, unit, false));
              seenAt.putIfAbsent(dk, path);
              LOG.info("api: {}{} wired to [{}] ({})", driver, unit, dk, path.btl());
              return new ApiModel.WiringEntry(driver, unit, dk, path.btl(), true);
            });
  }

  @Override
  public CompletionStage<ApiModel.Ack> unwire(String driver, int unit) {
    HostWiringEntity.Wiring holder = null;
    for (HostWiringEntity.Wiring w : byDevice.values()) {
      if (w.driver().equals(driver) && w.unit() == unit) {
        holder = w;
      }
    }
    if (holder == null) {
      throw ApiException.notFound(driver + unit + " is not wired");
    }
    HostWiringEntity.Wiring h = holder;
    return this.<StatusReply<Done>>ask(r -> new HostWiringEntity.Unwire(h.deviceKey(), driver, r))
        .thenApply(
            r -> {
              if (r.isError()) {
                throw ApiException.conflict(ManagementRoutes.oneLine(r.getError().getMessage()));
              }
              byDevice.remove(key(driver, h.deviceKey()), h);
              LOG.info("api: {}{} unwired from [{}]", driver, unit, h.deviceKey());
              return new ApiModel.Ack(true, driver + unit + " unwired");
            });
  }
}
