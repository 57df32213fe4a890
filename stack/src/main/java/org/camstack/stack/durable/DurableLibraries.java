package org.camstack.stack.durable;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.camstack.persistence.library.LibraryEntity;
import org.camstack.stack.sim.BusSpec;
import org.camstack.stack.sim.Topology;
import org.camstack.stack.target.LibraryStateSink;
import org.camstack.stack.target.LunSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tape libraries of one host, durable: each bus with a medium changer has its {@link
 * LibraryEntity} ({@code CamLibrary|<host>|scbus<N>}), read at start ({@link #recover}) before the
 * SIMs build their devices, and a {@link LibraryStateSink} per bus that records every import,
 * export, move and block length change (in order, as it happens) and a loaded cartridge's position
 * (coalesced: at most one event per cartridge every {@link #POSITION_DELAY}, off the data path).
 */
public final class DurableLibraries {
  private static final Logger LOG = LoggerFactory.getLogger(DurableLibraries.class);

  /** How long position reports of a drive are gathered before one event is recorded. */
  static final Duration POSITION_DELAY = Duration.ofMillis(100);

  private final ActorSystem<?> system;
  private final Duration timeout;
  /** bus number &rarr; its library's sink. */
  private final Map<Integer, Sink> sinks = new ConcurrentHashMap<>();

  private DurableLibraries(ActorSystem<?> system, Duration timeout) {
    this.system = system;
    this.timeout = timeout;
  }

  /** Reads the library of every bus of {@code topology} that has a medium changer. */
  static CompletionStage<DurableLibraries> recover(ActorSystem<?> system, String hostId, Topology topology, Duration timeout) {
    List<Integer> buses = new ArrayList<>();
    for (int i = 0; i < topology.buses().size(); i++) {
      BusSpec b = topology.buses().get(i);
      if (b.targets().values().stream().flatMap(List::stream).anyMatch(l -> l.type() == LunSpec.Type.CHANGER)) {
        buses.add(DurableDevices.busNumber(i, b));
      }
    }
    return recover(system, hostId, buses, timeout);
  }

  /**
   * Reads the library of each bus {@code scbusN} in {@code buses}.
   *
   * @param timeout for each journal round trip
   */
  public static CompletionStage<DurableLibraries> recover(
      ActorSystem<?> system, String hostId, List<Integer> buses, Duration timeout) {
    DurableLibraries d = new DurableLibraries(system, timeout);
    List<CompletableFuture<?>> all = new ArrayList<>();
    for (int number : buses) {
      ActorRef<LibraryEntity.Command> e = system.systemActorOf(
          LibraryEntity.create(hostId, number), "library-" + hostId + "-scbus" + number, Props.empty());
      all.add(AskPattern.<LibraryEntity.Command, LibraryEntity.State>askWithStatus(
              e, LibraryEntity.Get::new, timeout, system.scheduler())
          .thenAccept(s -> d.sinks.put(number, d.new Sink(e, s)))
          .toCompletableFuture());
    }
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(v -> d);
  }

  /** The sink of bus {@code scbusN}'s library ({@link LibraryStateSink#NONE} when it has none). */
  public LibraryStateSink sink(int busNumber) {
    Sink s = sinks.get(busNumber);
    return s == null ? LibraryStateSink.NONE : s;
  }

  /** Completes once every library's events so far are persisted. */
  public CompletionStage<Done> flush() {
    List<CompletableFuture<?>> all = new ArrayList<>();
    for (Sink s : sinks.values()) {
      s.flushPositions();
      all.add(AskPattern.<LibraryEntity.Command, LibraryEntity.State>askWithStatus(
              s.entity, LibraryEntity.Get::new, timeout, system.scheduler())
          .toCompletableFuture());
    }
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(v -> Done.getInstance());
  }

  /** One library's sink: the entity's state at start, and events to it. */
  private final class Sink implements LibraryStateSink {
    private final ActorRef<LibraryEntity.Command> entity;
    private final Recorded recorded;
    /** barcode &rarr; its latest position report, not yet recorded. */
    private final Map<String, LibraryEntity.DrivePositionChanged> positions = new ConcurrentHashMap<>();
    private final AtomicBoolean queued = new AtomicBoolean();

    Sink(ActorRef<LibraryEntity.Command> entity, LibraryEntity.State state) {
      this.entity = entity;
      if (state.stocked()) {
        Map<String, Place> c = new TreeMap<>();
        state.cartridges().forEach((b, p) -> c.put(b, new Place(p.address(), p.source(), p.position())));
        this.recorded = new Recorded(c, state.blockLengths());
      } else {
        this.recorded = null;
      }
    }

    @Override
    public Recorded recorded() {
      return recorded;
    }

    @Override
    public void imported(String barcode, int address) {
      record(new LibraryEntity.CartridgeImported(barcode, address));
    }

    @Override
    public void exported(String barcode, int address) {
      record(new LibraryEntity.CartridgeExported(barcode, address));
    }

    @Override
    public void moved(String barcode, int from, int to, int source) {
      positions.remove(barcode); // a report from before the move is stale
      record(new LibraryEntity.CartridgeMoved(barcode, from, to, source));
    }

    @Override
    public void blockLengthChanged(int address, int length) {
      record(new LibraryEntity.BlockLengthChanged(address, length));
    }

    @Override
    public void positionChanged(String barcode, int address, long position) {
      positions.put(barcode, new LibraryEntity.DrivePositionChanged(barcode, address, position));
      if (!queued.getAndSet(true)) {
        system.scheduler().scheduleOnce(POSITION_DELAY, this::flushPositions, system.executionContext());
      }
    }

    void flushPositions() {
      queued.set(false);
      for (String b : List.copyOf(positions.keySet())) {
        LibraryEntity.DrivePositionChanged p = positions.remove(b);
        if (p != null) {
          record(p);
        }
      }
    }

    private void record(LibraryEntity.Event e) {
      AskPattern.<LibraryEntity.Command, Done>askWithStatus(
              entity, r -> new LibraryEntity.Record(e, r), timeout, system.scheduler())
          .whenComplete((done, failure) -> {
            if (failure != null) {
              LOG.warn("tape library: {} not recorded: {}", e, failure.toString());
            }
          });
    }
  }
}
