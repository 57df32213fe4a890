package org.camstack.persistence.initiator;

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
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.camstack.persistence.StableIds;
import org.camstack.persistence.serialization.CborSerializable;
import org.camstack.persistence.serialization.JsonSerializable;

/**
 * The iSCSI initiator sessions one host keeps (cf. {@code iscsi.conf} read by {@code iscsictl
 * -A -a}): added with {@code ctl iscsi add} or {@code --iscsi-connect}, removed with {@code ctl
 * iscsi remove}. The host's node reads it at start and connects each again, so the sessions' LUNs
 * come back (under the same unit names: the wiring). The CHAP secret is not kept, only the file it
 * is read from.
 */
public final class HostInitiatorEntity
    extends EventSourcedBehaviorWithEnforcedReplies<
        HostInitiatorEntity.Command, HostInitiatorEntity.Event, HostInitiatorEntity.State> {

  /** Entity type: the first half of the persistence id {@code CamInitiator|<hostId>}. */
  public static final String ENTITY_TYPE = "CamInitiator";

  /**
   * One session.
   *
   * @param unit the SIM unit ({@code iscsiN}), the session's id
   * @param url {@code iscsi://HOST:PORT/IQN}
   * @param chapUser CHAP user, or "" for none
   * @param chapSecretFile the file holding the CHAP secret, or ""
   */
  public record Session(int unit, String url, String chapUser, String chapSecretFile) implements JsonSerializable {}

  /** Every command to the entity. */
  public sealed interface Command extends CborSerializable {}

  /** Keeps a session (replaces one with the same unit). Acks once persisted. */
  public record Add(Session session, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Drops a session by unit. Idempotent. */
  public record Remove(int unit, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Query: every session. */
  public record Get(ActorRef<StatusReply<State>> replyTo) implements Command {}

  /** Facts. Written as JSON. */
  public sealed interface Event extends JsonSerializable {}

  public record SessionAdded(Session session) implements Event {}

  public record SessionRemoved(int unit) implements Event {}

  /** The sessions by unit; also the snapshot payload. */
  public record State(Map<Integer, Session> sessions) implements JsonSerializable {
    public State {
      sessions = Collections.unmodifiableMap(new TreeMap<>(sessions));
    }
  }

  public static PersistenceId persistenceId(String hostId) {
    return PersistenceId.of(ENTITY_TYPE, StableIds.requireHostId(hostId));
  }

  public static Behavior<Command> create(String hostId) {
    return new HostInitiatorEntity(hostId);
  }

  private HostInitiatorEntity(String hostId) {
    super(persistenceId(hostId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
  }

  @Override
  public State emptyState() {
    return new State(Map.of());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Add.class, this::onAdd)
        .onCommand(Remove.class, (s, c) -> s.sessions().containsKey(c.unit())
            ? Effect().persist(new SessionRemoved(c.unit())).thenReply(c.replyTo(), st -> StatusReply.ack())
            : Effect().reply(c.replyTo(), StatusReply.ack()))
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(s)))
        .build();
  }

  private ReplyEffect<Event, State> onAdd(State s, Add c) {
    Session n = c.session();
    if (n == null || n.unit() < 0 || n.url() == null || !n.url().startsWith("iscsi://")) {
      return Effect().reply(c.replyTo(), StatusReply.error("bad initiator session " + n));
    }
    if (n.equals(s.sessions().get(n.unit()))) {
      return Effect().reply(c.replyTo(), StatusReply.ack());
    }
    return Effect().persist(new SessionAdded(n)).thenReply(c.replyTo(), st -> StatusReply.ack());
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(SessionAdded.class, (s, e) -> {
          Map<Integer, Session> m = new TreeMap<>(s.sessions());
          m.put(e.session().unit(), e.session());
          return new State(m);
        })
        .onEvent(SessionRemoved.class, (s, e) -> {
          Map<Integer, Session> m = new TreeMap<>(s.sessions());
          m.remove(e.unit());
          return new State(m);
        })
        .build();
  }
}
