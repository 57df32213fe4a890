package org.camstack.stack.sim.iscsi;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.pattern.StatusReply;
import org.camstack.stack.iscsi.Chap;
import org.camstack.stack.xpt.Xpt;

/**
 * The initiator sessions of one stack (cf. {@code iscsid} plus {@code iscsictl}): each is an
 * {@link IscsiSim} system actor, numbered {@code iscsiN} (N is also the session's id). Adds,
 * lists and removes them; thread-safe. Durability is the caller's (the node journals them).
 */
public final class IscsiInitiators {

  /** A session as configured. */
  public record Spec(int unit, IscsiUrl url, String chapUser, String chapSecretFile) {}

  private record Entry(Spec spec, ActorRef<IscsiSim.Command> sim) {}

  private final ActorSystem<?> system;
  private final ActorRef<Xpt.Command> xpt;
  private final IscsiSim.Settings settings;
  private final Duration timeout;
  private final Map<Integer, Entry> sessions = new TreeMap<>();
  private long generation;

  public IscsiInitiators(ActorSystem<?> system, ActorRef<Xpt.Command> xpt, IscsiSim.Settings settings, Duration timeout) {
    this.system = system;
    this.xpt = xpt;
    this.settings = settings;
    this.timeout = timeout;
  }

  public IscsiSim.Settings settings() {
    return settings;
  }

  /**
   * Reads a CHAP secret file: its first line, stripped; like every secret file, refused unless only
   * its owner may access it (0600).
   *
   * @throws IllegalArgumentException unreadable, accessible by others, or a secret {@link Chap.Account} refuses
   */
  public static Optional<Chap.Account> chap(String user, String secretFile) {
    boolean hasUser = user != null && !user.isEmpty();
    boolean hasFile = secretFile != null && !secretFile.isEmpty();
    if (hasUser != hasFile) {
      throw new IllegalArgumentException("CHAP needs both --chap-user and --chap-secret-file");
    }
    if (!hasUser) {
      return Optional.empty();
    }
    String secret = org.camstack.stack.secret.SecretFile.firstLine(Path.of(secretFile), "CHAP secret");
    return Optional.of(Chap.Account.of(user, secret));
  }

  /**
   * The unit a new session of {@code url} would get, or the unit of the session already going there.
   */
  public synchronized Optional<Integer> unitOf(IscsiUrl url) {
    for (Entry e : sessions.values()) {
      if (e.spec().url().equals(url)) {
        return Optional.of(e.spec().unit());
      }
    }
    return Optional.empty();
  }

  /** The lowest free unit. */
  public synchronized int nextUnit() {
    int u = 0;
    while (sessions.containsKey(u)) {
      u++;
    }
    return u;
  }

  /**
   * Starts a session.
   *
   * @throws IllegalArgumentException a session with that unit or URL exists, or bad CHAP settings
   */
  public synchronized void start(Spec spec) {
    if (sessions.containsKey(spec.unit())) {
      throw new IllegalArgumentException("iscsi" + spec.unit() + " exists");
    }
    if (unitOf(spec.url()).isPresent()) {
      throw new IllegalArgumentException("a session to " + spec.url() + " exists (iscsi" + unitOf(spec.url()).get() + ")");
    }
    Optional<Chap.Account> chap = chap(spec.chapUser(), spec.chapSecretFile());
    ActorRef<IscsiSim.Command> sim = system.systemActorOf(
        IscsiSim.create(spec.url(), chap, -1, spec.unit(), settings, xpt),
        "iscsi-initiator-" + spec.unit() + "-" + (generation++), Props.empty());
    sessions.put(spec.unit(), new Entry(spec, sim));
  }

  /** The session named by {@code idOrUrl}: {@code N}, {@code iscsiN} or its URL. */
  public synchronized Optional<Spec> find(String idOrUrl) {
    String s = idOrUrl.startsWith("iscsi://") ? null : idOrUrl.startsWith("iscsi") ? idOrUrl.substring(5) : idOrUrl;
    if (s != null) {
      try {
        Entry e = sessions.get(Integer.parseInt(s));
        return e == null ? Optional.empty() : Optional.of(e.spec());
      } catch (NumberFormatException ex) {
        return Optional.empty();
      }
    }
    IscsiUrl u;
    try {
      u = IscsiUrl.parse(idOrUrl);
    } catch (IllegalArgumentException ex) {
      return Optional.empty();
    }
    return unitOf(u).map(unit -> sessions.get(unit).spec());
  }

  /** Logs out and removes the session's bus; completes once the bus is gone. */
  public CompletionStage<Done> remove(int unit) {
    Entry e;
    synchronized (this) {
      e = sessions.remove(unit);
    }
    if (e == null) {
      return CompletableFuture.failedFuture(new IllegalArgumentException("no session iscsi" + unit));
    }
    return AskPattern.<IscsiSim.Command, StatusReply<Done>>ask(e.sim(), IscsiSim.Remove::new, timeout, system.scheduler())
        .thenApply(StatusReply::getValue);
  }

  /** Every session's state, by unit. */
  public CompletionStage<List<Map.Entry<Spec, IscsiSim.Status>>> list() {
    List<Entry> all;
    synchronized (this) {
      all = new ArrayList<>(sessions.values());
    }
    List<CompletableFuture<Map.Entry<Spec, IscsiSim.Status>>> fs = new ArrayList<>();
    for (Entry e : all) {
      fs.add(AskPattern.<IscsiSim.Command, IscsiSim.Status>ask(e.sim(), IscsiSim.GetStatus::new, timeout, system.scheduler())
          .thenApply(st -> Map.entry(e.spec(), st))
          .exceptionally(t -> Map.entry(e.spec(), new IscsiSim.Status(e.spec().url().toString(), "Unknown", -1, 0,
              "no answer: " + t.getMessage(), 0, 0, null)))
          .toCompletableFuture());
    }
    return CompletableFuture.allOf(fs.toArray(CompletableFuture[]::new))
        .thenApply(v -> fs.stream().map(CompletableFuture::join).toList());
  }

  /** Logs every session out (node shutdown), bounded by the ask timeout. */
  public CompletionStage<Done> removeAll() {
    List<Integer> units;
    synchronized (this) {
      units = new ArrayList<>(sessions.keySet());
    }
    List<CompletableFuture<Done>> fs = new ArrayList<>();
    for (int u : units) {
      fs.add(remove(u).toCompletableFuture().exceptionally(t -> Done.getInstance()));
    }
    return CompletableFuture.allOf(fs.toArray(CompletableFuture[]::new)).thenApply(v -> Done.getInstance());
  }
}
