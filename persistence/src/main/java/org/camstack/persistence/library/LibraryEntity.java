package org.camstack.persistence.library;

import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.camstack.persistence.StableIds;
import org.camstack.persistence.serialization.CborSerializable;
import org.camstack.persistence.serialization.JsonSerializable;

/**
 * The durable metadata of one virtual tape library (the tape drives and medium changer of one
 * bus, see {@code org.camstack.stack.target.TapeLibrary}): which cartridge is in which element and
 * where it came from, the logical position of each cartridge sitting in a drive, and each drive's
 * block length. The cartridges' <em>contents</em> are not here: they stay in the cartridge files.
 *
 * <p>Element addresses are SMC-3 element addresses; this entity does not interpret them (it only
 * knows that a cartridge is at one address at a time). cf. mhVTL's library_contents file, here
 * event-sourced in the node's journal so that {@code journal timeline} shows every move.
 */
public final class LibraryEntity
    extends EventSourcedBehaviorWithEnforcedReplies<LibraryEntity.Command, LibraryEntity.Event, LibraryEntity.State> {

  /** Entity type: the first part of the persistence id {@code CamLibrary|<hostId>|scbus<N>}. */
  public static final String ENTITY_TYPE = "CamLibrary";

  /**
   * Where a cartridge is.
   *
   * @param address the element it is in
   * @param source the element it came from (its home; SVALID, chio return)
   * @param position its logical object number when it sits in a drive, else 0
   */
  public record Place(int address, int source, long position) implements JsonSerializable {}

  /** Every command to the entity. */
  public sealed interface Command extends CborSerializable {}

  /** Records one fact; acks once persisted (or at once when it changes nothing). */
  public record Record(Event event, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Query: the library's state. */
  public record Get(ActorRef<StatusReply<State>> replyTo) implements Command {}

  /** Facts. Written as JSON. */
  public sealed interface Event extends JsonSerializable {}

  /** A cartridge entered the library at {@code address} (stocked at first power-on, or imported at the mailslot). */
  public record CartridgeImported(String barcode, int address) implements Event {}

  /** A cartridge left the library through the mailslot. */
  public record CartridgeExported(String barcode, int address) implements Event {}

  /** MOVE MEDIUM (or half of EXCHANGE MEDIUM): {@code source} is its home afterwards. */
  public record CartridgeMoved(String barcode, int from, int to, int source) implements Event {}

  /** The cartridge in the drive at {@code address} is at logical object {@code position}. */
  public record DrivePositionChanged(String barcode, int address, long position) implements Event {}

  /** The drive at data transfer element {@code address} uses {@code length} (0: variable). */
  public record BlockLengthChanged(int address, int length) implements Event {}

  /**
   * The library's state; also the snapshot payload.
   *
   * @param stocked whether the library was ever filled (a fresh one is stocked at power-on)
   * @param cartridges barcode &rarr; where it is
   * @param blockLengths data transfer element &rarr; block length (absent: variable)
   */
  public record State(boolean stocked, Map<String, Place> cartridges, Map<Integer, Integer> blockLengths)
      implements JsonSerializable {
    public State {
      cartridges = Collections.unmodifiableMap(new TreeMap<>(cartridges));
      blockLengths = Collections.unmodifiableMap(new TreeMap<>(blockLengths));
    }

    State apply(Event e) {
      Map<String, Place> c = new TreeMap<>(cartridges);
      Map<Integer, Integer> b = new TreeMap<>(blockLengths);
      boolean s = stocked;
      if (e instanceof CartridgeImported i) {
        c.put(i.barcode(), new Place(i.address(), i.address(), 0));
        s = true;
      } else if (e instanceof CartridgeExported x) {
        c.remove(x.barcode());
      } else if (e instanceof CartridgeMoved m) {
        c.put(m.barcode(), new Place(m.to(), m.source(), 0));
      } else if (e instanceof DrivePositionChanged p) {
        Place was = c.get(p.barcode());
        if (was != null && was.address() == p.address()) {
          c.put(p.barcode(), new Place(was.address(), was.source(), p.position()));
        }
      } else if (e instanceof BlockLengthChanged l) {
        if (l.length() == 0) {
          b.remove(l.address());
        } else {
          b.put(l.address(), l.length());
        }
      }
      return new State(s, c, b);
    }
  }

  /** {@code CamLibrary|<hostId>|scbus<bus>}. */
  public static PersistenceId persistenceId(String hostId, int bus) {
    if (bus < 0) {
      throw new IllegalArgumentException("bad bus number " + bus);
    }
    // entity id "<host>|scbusN": Pekko's of(type, id) refuses a '|' in the id, so the whole id is given
    return PersistenceId.ofUniqueId(ENTITY_TYPE + "|" + StableIds.requireHostId(hostId) + "|scbus" + bus);
  }

  public static Behavior<Command> create(String hostId, int bus) {
    return new LibraryEntity(hostId, bus);
  }

  private LibraryEntity(String hostId, int bus) {
    super(persistenceId(hostId, bus),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
  }

  @Override
  public State emptyState() {
    return new State(false, Map.of(), Map.of());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(200, 2);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Record.class, (s, c) -> {
          if (c.event() == null) {
            return Effect().reply(c.replyTo(), StatusReply.error("no event"));
          }
          if (s.apply(c.event()).equals(s)) {
            return Effect().reply(c.replyTo(), StatusReply.ack());
          }
          return Effect().persist(c.event()).thenReply(c.replyTo(), st -> StatusReply.ack());
        })
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(s)))
        .build();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }
}
