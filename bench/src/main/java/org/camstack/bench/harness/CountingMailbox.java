package org.camstack.bench.harness;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.dispatch.Envelope;
import org.apache.pekko.dispatch.MailboxType;
import org.apache.pekko.dispatch.MessageQueue;
import org.apache.pekko.dispatch.NodeMessageQueue;
import org.apache.pekko.dispatch.UnboundedMessageQueueSemantics;
import scala.Option;

/**
 * The typed default mailbox (a {@link NodeMessageQueue}) with counters: messages enqueued and
 * mailboxes created (one per actor started), by kind of receiver (its path's last element with
 * digits and unique suffixes replaced, e.g. {@code da#}, {@code $#}). For {@code bench lifecycle
 * --count-messages}: what a cycle costs in messages and actor starts, independent of the load.
 * System messages (create, watch, terminate) do not go through the queue and are not counted.
 */
public final class CountingMailbox implements MailboxType {

  /** Counters of one kind of receiver. */
  public record Count(long messages, long actors) {}

  private static final Map<String, LongAdder[]> KINDS = new ConcurrentHashMap<>();

  /** Config that makes every typed actor of a system use this mailbox. */
  public static Config config() {
    return ConfigFactory.parseString(
        "pekko.actor.typed.default-mailbox.mailbox-type = \"" + CountingMailbox.class.getName() + "\"");
  }

  /** Counters so far by kind of receiver (sorted by kind). */
  public static Map<String, Count> snapshot() {
    Map<String, Count> m = new TreeMap<>();
    KINDS.forEach((k, v) -> m.put(k, new Count(v[0].sum(), v[1].sum())));
    return m;
  }

  /** {@code after - before} per kind, kinds with nothing counted left out. */
  public static Map<String, Count> delta(Map<String, Count> before, Map<String, Count> after) {
    Map<String, Count> d = new TreeMap<>();
    after.forEach((k, a) -> {
      Count b = before.getOrDefault(k, new Count(0, 0));
      if (a.messages() != b.messages() || a.actors() != b.actors()) {
        d.put(k, new Count(a.messages() - b.messages(), a.actors() - b.actors()));
      }
    });
    return d;
  }

  /** The kind of an actor: its name with digit runs as {@code #} and Pekko's unique suffixes cut. */
  static String kind(String name) {
    String n = name.startsWith("$") ? "$" : name;
    int dash = n.indexOf('-');
    if (dash > 0 && n.length() - dash > 8) {
      n = n.substring(0, dash); // e.g. a per-host writer name
    }
    return n.replaceAll("[0-9]+", "#");
  }

  public CountingMailbox(ActorSystem.Settings settings, Config config) {}

  @Override
  public MessageQueue create(Option<ActorRef> owner, Option<ActorSystem> system) {
    String k = owner.isDefined() ? kind(owner.get().path().name()) : "?";
    LongAdder[] c = KINDS.computeIfAbsent(k, x -> new LongAdder[] {new LongAdder(), new LongAdder()});
    c[1].increment();
    return new Queue(c[0]);
  }

  private static final class Queue implements MessageQueue, UnboundedMessageQueueSemantics {
    private final NodeMessageQueue q = new NodeMessageQueue();
    private final LongAdder messages;

    Queue(LongAdder messages) {
      this.messages = messages;
    }

    @Override
    public void enqueue(ActorRef receiver, Envelope handle) {
      messages.increment();
      q.enqueue(receiver, handle);
    }

    @Override
    public Envelope dequeue() {
      return q.dequeue();
    }

    @Override
    public int numberOfMessages() {
      return q.numberOfMessages();
    }

    @Override
    public boolean hasMessages() {
      return q.hasMessages();
    }

    @Override
    public void cleanUp(ActorRef owner, MessageQueue deadLetters) {
      q.cleanUp(owner, deadLetters);
    }
  }
}
