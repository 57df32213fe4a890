package org.camstack.stack.devfs;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.Errno;
import org.camstack.persistence.audit.LifetimeEvent;
import org.camstack.persistence.audit.LifetimeListener;
import org.camstack.persistence.audit.ViolationKind;
import org.camstack.stack.lifetime.Lifetime;
import org.camstack.stack.lifetime.PeriphId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The device file system: the table of device names and the gate every user call passes through
 * on its way to a driver. cf. sys/kern/kern_conf.c ({@code make_dev}, {@code destroy_dev}, {@code
 * destroy_dev_sched_cb}, {@code dev_refthread}) and sys/fs/devfs/devfs_vnops.c.
 *
 * <p>A node ({@code struct cdev}) goes ACTIVE &rarr; SCHED_DTR (destroy requested: new calls fail
 * with ENXIO, calls already inside finish) &rarr; destroyed (name free, no call inside, aliases
 * gone) &rarr; the destroy callback ({@link NodeGone}) is sent to the driver. Scheduled destroys run
 * on a model of the {@code taskqueue_swi_giant} thread: FIFO, after {@link
 * Settings#destroyTaskDelay()} or, in manual mode, when a test sends {@link RunDestroyQueue}.
 *
 * <p>What used to panic or hang the kernel is recorded as a {@link
 * LifetimeEvent.ProtocolViolation} (query with {@link GetViolations}) instead of thrown: {@code
 * make_dev} of an active name (the 2012 panic "make_dev_credv: bad si_name (error=17,
 * si_name=pass3)"), a synchronous {@link DestroyDev} from a driver that is itself inside a call on
 * that node (self-deadlock), a driver that stops while calls are inside its node (use after free),
 * and an alias hung off a dying node.
 *
 * <p>Senders: drivers (periphs) send the kernel API ({@link MakeDev}, {@link MakePhysPathAlias},
 * {@link DestroyDevSched}, {@link DestroyDev}, {@link CallReturn}); users send the system calls
 * ({@link Open}, {@link Close}, {@link Ioctl}, {@link Read}, {@link Write}).
 */
public final class Devfs extends AbstractBehavior<Devfs.Command> {

  /**
   * Level checks only, so that a line off at the active level costs no {@code getLog()} (which builds
   * the actor's logging context and sets the MDC). Pekko names the actor's logger after this class.
   */
  private static final Logger LEVELS = LoggerFactory.getLogger(Devfs.class);

  /** {@code FREAD}. */
  public static final int FREAD = 0x1;
  /** {@code FWRITE}. */
  public static final int FWRITE = 0x2;
  /** {@code O_NONBLOCK}. */
  public static final int O_NONBLOCK = 0x4;

  /** {@code MAKEDEV_CHECKNAME}: a duplicate name returns EEXIST instead of panicking. */
  public static final int MAKEDEV_CHECKNAME = 0x10;

  /** {@code SPECNAMELEN}. */
  public static final int SPECNAMELEN = 255;

  /** Supertype of all messages to devfs. */
  public sealed interface Command {}

  // ---------------------------------------------------------------------------------------------
  // Driver side

  /**
   * Who answers for a node: the periph incarnation, its path and identity (for events) and the
   * refs calls go to. cf. {@code si_devsw} + {@code si_drv1}.
   *
   * @param calls receives {@link CdevCall}s (usually a message adapter of {@code actor})
   * @param actor the driver actor itself, watched: its death with calls inside is a violation
   */
  public record Owner(
      PeriphId periph, CamPath path, String identity, ActorRef<CdevCall> calls, ActorRef<?> actor) {
    public Owner {
      if (periph == null || calls == null || actor == null) {
        throw new IllegalArgumentException("owner needs periph, calls and actor");
      }
      identity = identity == null ? "" : identity;
    }
  }

  /**
   * cf. {@code make_dev_credf(flags, cdevsw, ...)}. Reply: {@link MakeDevResult}; a duplicate
   * active name is EEXIST and, without {@link #MAKEDEV_CHECKNAME}, a recorded DUPLICATE_NAME
   * violation (the kernel panicked).
   *
   * @param trackClose {@code D_TRACKCLOSE}: the driver sees every close, not only the last one
   */
  public record MakeDev(
      String name, boolean trackClose, int flags, Owner owner, ActorRef<MakeDevResult> replyTo)
      implements Command {}

  /** Answer to {@link MakeDev}: {@code nodeId} is valid when {@code errno} is OK. */
  public record MakeDevResult(String name, long nodeId, Errno errno) {
    public boolean ok() {
      return errno == Errno.OK;
    }
  }

  /**
   * cf. {@code make_dev_physpath_alias(flags, &alias, pdev, old_alias, physpath)}: alias {@code
   * <physpath>/<parent name>} (a leading {@code id1,} is stripped); replaces {@code oldAlias} (""
   * for none). An empty physpath destroys the old alias and answers EINVAL. Reply: {@link
   * AliasResult} when {@code replyTo} is non-null.
   */
  public record MakePhysPathAlias(
      long parentNodeId, String physPath, String oldAlias, ActorRef<AliasResult> replyTo)
      implements Command {}

  /** Answer to {@link MakePhysPathAlias}: the alias now in force ("" for none). */
  public record AliasResult(String alias, Errno errno) {}

  /**
   * cf. {@code make_dev_alias(pdev, fmt, ...)}: a second name {@code alias} for the node {@code
   * parentNodeId}, gone with it. Reply: {@link AliasResult} when {@code replyTo} is non-null (EEXIST
   * when the name is taken, a DUPLICATE_NAME as for make_dev; ENXIO when the parent is destroyed or
   * being destroyed, recorded as ALIAS_ON_INVALID: the driver must make it before it schedules the
   * node's destroy, as sgregister() does right after make_dev).
   */
  public record MakeDevAlias(long parentNodeId, String alias, ActorRef<AliasResult> replyTo) implements Command {}

  /**
   * cf. {@code destroy_dev_sched_cb(dev, cb, arg)}; {@code callback == null} is {@code
   * destroy_dev_sched(dev)}. Non-blocking: from now on new calls fail ENXIO; the node is destroyed
   * on the destroy task once no call is inside; then {@code callback} gets {@link NodeGone}. A
   * second request for the same node is ignored (its callback is not registered). No reply
   * otherwise.
   */
  public record DestroyDevSched(long nodeId, ActorRef<NodeGone> callback) implements Command {}

  /**
   * cf. {@code destroy_dev(dev)}: synchronous. The name is freed at once; the reply {@link
   * Destroyed} comes when no call is inside the node any more. {@code requester} is the actor that
   * waits: if it is the node's own driver and calls are inside, it can never return them, which
   * is recorded as a DESTROY_DEADLOCK violation (and the wait is broken so the model goes on).
   */
  public record DestroyDev(long nodeId, ActorRef<?> requester, ActorRef<Destroyed> replyTo)
      implements Command {}

  /**
   * From a periph's driver after the periph actor {@code owner} stopped without freeing its unit
   * (it crashed): answer {@link OwnerGone} once {@code owner} has stopped and devfs holds no node
   * or alias of it any more (at once if that is already so). devfs itself schedules the destroy
   * of a dead owner's nodes; until this answer the driver keeps the unit reserved, so the name
   * cannot be made again while it is still in devfs. cf. the unit-list rule of camperiphfree().
   */
  public record NotifyWhenOwnerGone(ActorRef<?> owner, ActorRef<OwnerGone> replyTo)
      implements Command {}

  /** Answer to {@link NotifyWhenOwnerGone}. */
  public record OwnerGone(ActorRef<?> owner) {}

  /** Answer to {@link DestroyDev}. {@code deadlock} when the wait had to be broken. */
  public record Destroyed(long nodeId, String name, boolean deadlock) {}

  /** The destroy callback (cf. {@code passdevgonecb}): the name is free, no call is inside. */
  public record NodeGone(long nodeId, String nodeName) {}

  /**
   * A call devfs hands to a node's driver (cf. the {@code d_open}, {@code d_close}, {@code
   * d_ioctl}, {@code d_read}, {@code d_write} methods of a {@code cdevsw}). The driver must answer
   * exactly once with {@link CallReturn} to {@code replyTo}; until then the call counts as inside
   * the node ({@code si_threadcount}).
   */
  public record CdevCall(
      long callId,
      long nodeId,
      String nodeName,
      long fileId,
      DevRequest request,
      ActorRef<CallReturn> replyTo) {
    /** Convenience: answers this call. */
    public void reply(DevReply reply) {
      replyTo.tell(new CallReturn(callId, reply));
    }
  }

  /** A driver's answer to a {@link CdevCall}. */
  public record CallReturn(long callId, DevReply reply) implements Command {}

  /** What the user asked, as the driver sees it. */
  public sealed interface DevRequest {}

  /** cf. {@code d_open(dev, oflags, ...)}. */
  public record OpenRequest(int oflags) implements DevRequest {}

  /** cf. {@code d_close}; {@code lastClose} when no other open of the node remains. */
  public record CloseRequest(boolean lastClose) implements DevRequest {}

  /** cf. {@code d_ioctl}. */
  public record IoctlRequest(IoctlCmd cmd) implements DevRequest {}

  /** cf. {@code d_read}. */
  public record ReadRequest(long offset, int length) implements DevRequest {}

  /** cf. {@code d_write}. */
  public record WriteRequest(long offset, ByteString data) implements DevRequest {}

  /** An ioctl command; drivers define their own records. */
  public interface IoctlCmd {}

  /** A typed ioctl result; drivers define their own records. */
  public interface IoctlResult {}

  /**
   * The outcome of a user call: an errno, data (read), and a typed result (ioctl).
   *
   * @param result null when the call has none
   */
  public record DevReply(Errno errno, ByteString data, IoctlResult result) {
    public DevReply {
      data = data == null ? ByteString.emptyByteString() : data;
    }

    public static DevReply ok() {
      return new DevReply(Errno.OK, ByteString.emptyByteString(), null);
    }

    public static DevReply ok(IoctlResult result) {
      return new DevReply(Errno.OK, ByteString.emptyByteString(), result);
    }

    public static DevReply data(ByteString data) {
      return new DevReply(Errno.OK, data, null);
    }

    public static DevReply error(Errno errno) {
      return new DevReply(errno, ByteString.emptyByteString(), null);
    }

    public boolean isOk() {
      return errno == Errno.OK;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // User side

  /** An open file on a node: tied to that node, never to a later node of the same name. */
  public record FileHandle(long fileId, long nodeId, String name) {}

  /** cf. {@code open(2)}; aliases resolve to their parent. Reply: {@link OpenResult}. */
  public record Open(String name, int oflags, ActorRef<OpenResult> replyTo) implements Command {}

  /** Answer to {@link Open}: {@code file} is null unless {@code errno} is OK. */
  public record OpenResult(String name, FileHandle file, Errno errno) {
    public boolean ok() {
      return errno == Errno.OK;
    }
  }

  /**
   * cf. {@code close(2)} / {@code devfs_close()}: the file is closed in every case; the driver is
   * called on every close with {@code D_TRACKCLOSE}, else only on the last one, and not at all once
   * the node's destroy was requested (ENXIO). Reply: {@link DevReply}.
   */
  public record Close(FileHandle file, ActorRef<DevReply> replyTo) implements Command {}

  /** cf. {@code ioctl(2)}. Reply: {@link DevReply}. */
  public record Ioctl(FileHandle file, IoctlCmd cmd, ActorRef<DevReply> replyTo)
      implements Command {}

  /** cf. {@code read(2)} at an offset. Reply: {@link DevReply} with the data. */
  public record Read(FileHandle file, long offset, int length, ActorRef<DevReply> replyTo)
      implements Command {}

  /** cf. {@code write(2)} at an offset. Reply: {@link DevReply}. */
  public record Write(FileHandle file, long offset, ByteString data, ActorRef<DevReply> replyTo)
      implements Command {}

  // ---------------------------------------------------------------------------------------------
  // Queries and test control

  /** Reply: every violation recorded so far, oldest first. */
  public record GetViolations(ActorRef<Violations> replyTo) implements Command {}

  /** Answer to {@link GetViolations}. */
  public record Violations(List<LifetimeEvent.ProtocolViolation> violations) {
    public Violations {
      violations = List.copyOf(violations);
    }
  }

  /** Reply: {@link NodeList} of every node not yet destroyed (incl. aliases), by name. */
  public record ListNodes(ActorRef<NodeList> replyTo) implements Command {}

  /**
   * One node as {@link ListNodes} shows it.
   *
   * @param state {@code ACTIVE} or {@code SCHED_DTR}
   * @param parent the parent's name for an alias, else ""
   */
  public record NodeInfo(
      long nodeId,
      String name,
      PeriphId owner,
      String state,
      int threadCount,
      int useCount,
      String parent,
      boolean trackClose) {}

  /** Answer to {@link ListNodes}. */
  public record NodeList(List<NodeInfo> nodes, int openFiles, int pendingDestroys) {
    public NodeList {
      nodes = List.copyOf(nodes);
    }

    /** The names currently in the name table. */
    public List<String> activeNames() {
      List<String> names = new ArrayList<>();
      for (NodeInfo n : nodes) {
        if (n.state().equals("ACTIVE")) {
          names.add(n.name());
        }
      }
      return names;
    }
  }

  /** Manual mode: run the destroy task once now (everything queued so far). No reply. */
  public enum RunDestroyQueue implements Command {
    INSTANCE
  }

  /**
   * Devfs settings.
   *
   * @param destroyTaskDelay how long after a destroy becomes ready the destroy task runs (the
   *     swi taskqueue's latency); called once per scheduling
   * @param manual when true scheduled destroys wait for {@link RunDestroyQueue}
   */
  public record Settings(Supplier<Duration> destroyTaskDelay, boolean manual) {
    public static Settings defaults() {
      return new Settings(() -> Duration.ZERO, false);
    }

    public static Settings manualDestroy() {
      return new Settings(() -> Duration.ZERO, true);
    }

    public static Settings delayed(Duration delay) {
      return new Settings(() -> delay, false);
    }
  }

  private enum DestroyTaskTick implements Command {
    INSTANCE
  }

  private record OwnerTerminated(ActorRef<?> actor) implements Command {}

  // ---------------------------------------------------------------------------------------------

  /** Creates devfs with the default settings. */
  public static Behavior<Command> create(LifetimeListener listener) {
    return create(Settings.defaults(), listener);
  }

  /** Creates devfs. {@code listener} gets node and violation events. */
  public static Behavior<Command> create(Settings settings, LifetimeListener listener) {
    return Behaviors.setup(
        ctx -> Behaviors.withTimers(timers -> new Devfs(ctx, timers, settings, listener)));
  }

  private enum State {
    ACTIVE,
    SCHED_DTR,
    DESTROYED
  }

  /** cf. {@code struct cdev} (+ {@code struct cdev_priv}). */
  private static final class Node {
    final long id;
    final String name;
    final Owner owner;
    final boolean trackClose;
    final Node parent; // non-null for an alias
    final Set<Node> children = new java.util.LinkedHashSet<>(); // ordered: no identity-hash order (detsim)
    State state = State.ACTIVE;
    boolean nameFreed; // cf. devfs_destroy() cleared CDP_ACTIVE
    int threadCount; // cf. si_threadcount
    int useCount; // cf. si_usecount
    boolean destroyQueued;
    ActorRef<NodeGone> callback;
    final List<ActorRef<Destroyed>> syncWaiters = new ArrayList<>();

    Node(long id, String name, Owner owner, boolean trackClose, Node parent) {
      this.id = id;
      this.name = name;
      this.owner = owner;
      this.trackClose = trackClose;
      this.parent = parent;
    }
  }

  /** One call inside a node. */
  private record Call(long callId, Node node, DevRequest request, FileHandle file, Object client) {}

  private final TimerScheduler<Command> timers;
  private final Settings settings;
  private final LifetimeListener listener;
  private final TreeMap<String, Node> names = new TreeMap<>(); // active names only
  private final Map<Long, Node> nodes = new HashMap<>(); // not yet destroyed, incl. aliases
  // owner actor -> its nodes in `nodes`: ownsNodes() and an owner's death without a walk of all nodes
  private final Map<ActorRef<?>, Integer> nodesByOwner = new HashMap<>();
  private final Map<Long, FileHandle> files = new HashMap<>();
  private final Map<Long, Call> calls = new LinkedHashMap<>();
  private final Set<Long> forcedCalls = new HashSet<>(); // failed by devfs, the driver may still answer
  private final Set<ActorRef<?>> watched = new HashSet<>();
  private final Set<ActorRef<?>> deadOwners = new HashSet<>();
  private final Map<ActorRef<?>, List<ActorRef<OwnerGone>>> ownerGoneWaiters = new HashMap<>();
  private final ArrayDeque<Node> destroyQueue = new ArrayDeque<>(); // cf. dev_ddtr
  private final List<LifetimeEvent.ProtocolViolation> violations = new ArrayList<>();
  private boolean taskScheduled;
  private long nextNodeId = 1;
  private long nextFileId = 1;
  private long nextCallId = 1;

  private Devfs(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      Settings settings,
      LifetimeListener listener) {
    super(context);
    this.timers = timers;
    this.settings = settings;
    this.listener = listener;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(MakeDev.class, this::onMakeDev)
        .onMessage(MakePhysPathAlias.class, this::onMakePhysPathAlias)
        .onMessage(MakeDevAlias.class, this::onMakeDevAlias)
        .onMessage(DestroyDevSched.class, this::onDestroyDevSched)
        .onMessage(DestroyDev.class, this::onDestroyDev)
        .onMessage(CallReturn.class, this::onCallReturn)
        .onMessage(Open.class, this::onOpen)
        .onMessage(Close.class, this::onClose)
        .onMessage(Ioctl.class, this::onIoctl)
        .onMessage(Read.class, this::onRead)
        .onMessage(Write.class, this::onWrite)
        .onMessage(GetViolations.class, this::onGetViolations)
        .onMessage(ListNodes.class, this::onListNodes)
        .onMessage(RunDestroyQueue.class, m -> onRunDestroyQueue())
        .onMessage(DestroyTaskTick.class, m -> onDestroyTaskTick())
        .onMessage(OwnerTerminated.class, this::onOwnerTerminated)
        .onMessage(NotifyWhenOwnerGone.class, this::onNotifyWhenOwnerGone)
        .build();
  }

  // ---------------------------------------------------------------------------------------------
  // Kernel API

  private Behavior<Command> onMakeDev(MakeDev cmd) {
    Errno bad = checkName(cmd.name());
    if (bad != Errno.OK) {
      cmd.replyTo().tell(new MakeDevResult(cmd.name(), 0, bad));
      return this;
    }
    Node existing = conflicting(cmd.name());
    if (existing != null) {
      if ((cmd.flags() & MAKEDEV_CHECKNAME) == 0) {
        duplicate(cmd.name(), cmd.owner(), existing);
      }
      cmd.replyTo().tell(new MakeDevResult(cmd.name(), 0, Errno.EEXIST));
      return this;
    }
    Node node = new Node(nextNodeId++, cmd.name(), cmd.owner(), cmd.trackClose(), null);
    addNode(node);
    names.put(node.name, node);
    watch(cmd.owner().actor());
    Owner o = cmd.owner();
    listener.onEvent(
        Lifetime.nodeCreated(o.periph(), o.identity(), node.name));
    if (LEVELS.isDebugEnabled()) {
      getContext().getLog().debug("make_dev [{}] node [{}] for [{}]", node.name, node.id, o.periph());
    }
    cmd.replyTo().tell(new MakeDevResult(node.name, node.id, Errno.OK));
    return this;
  }

  /** The 2012 panic, recorded: cf. make_dev_credv() -> prep_devname() -> EEXIST -> panic. */
  private void duplicate(String name, Owner newOwner, Node existing) {
    String msg =
        "make_dev_credv: bad si_name (error="
            + Errno.EEXIST.number()
            + ", si_name="
            + name
            + "): still "
            + existing.state
            + " for "
            + describeOwner(existing)
            + " (node "
            + existing.id
            + "), requested by "
            + newOwner.periph();
    violation(
        ViolationKind.DUPLICATE_NAME,
        msg,
        newOwner.periph(),
        newOwner.path(),
        newOwner.identity(),
        List.of(name, existing.name));
  }

  private static String describeOwner(Node n) {
    Node root = n.parent != null ? n.parent : n;
    return root.owner == null ? "?" : root.owner.periph().toString();
  }

  private Behavior<Command> onMakePhysPathAlias(MakePhysPathAlias cmd) {
    Node parent = nodes.get(cmd.parentNodeId());
    String old = cmd.oldAlias() == null ? "" : cmd.oldAlias();
    if (!aliasableParent(parent)) {
      aliasOnDeadParent(parent, cmd.parentNodeId(), "make_dev_physpath_alias", "physpath " + cmd.physPath());
      replyAlias(cmd, "", Errno.ENXIO);
      return this;
    }
    String physPath = cmd.physPath() == null ? "" : cmd.physPath();
    if (physPath.startsWith("id1,")) {
      physPath = physPath.substring(4);
    }
    if (physPath.isEmpty()) {
      destroyAlias(parent, old);
      replyAlias(cmd, "", Errno.EINVAL);
      return this;
    }
    String alias = physPath + "/" + parent.name;
    if (alias.length() > SPECNAMELEN) {
      replyAlias(cmd, old, Errno.ENAMETOOLONG);
      return this;
    }
    if (alias.equals(old) && names.get(alias) != null && names.get(alias).parent == parent) {
      replyAlias(cmd, alias, Errno.OK);
      return this;
    }
    Errno bad = checkName(alias);
    if (bad != Errno.OK) {
      replyAlias(cmd, old, bad);
      return this;
    }
    if (!addAlias(parent, alias)) {
      replyAlias(cmd, old, Errno.EEXIST);
      return this;
    }
    destroyAlias(parent, old);
    replyAlias(cmd, alias, Errno.OK);
    return this;
  }

  /** Adds {@code alias} under {@code parent}; false (a duplicate reported) when the name is taken. */
  private boolean addAlias(Node parent, String alias) {
    Node existing = conflicting(alias);
    if (existing != null) {
      duplicate(alias, parent.owner, existing);
      return false;
    }
    Node node = new Node(nextNodeId++, alias, parent.owner, false, parent);
    parent.children.add(node);
    addNode(node);
    names.put(alias, node);
    Owner o = parent.owner;
    listener.onEvent(
        Lifetime.aliasAdded(o.periph(), o.identity(), alias, parent.name));
    return true;
  }

  private static boolean aliasableParent(Node parent) {
    return parent != null && parent.state == State.ACTIVE && parent.parent == null;
  }

  /** An alias asked for a node that is destroyed or being destroyed: cf. bug C, a violation. */
  private void aliasOnDeadParent(Node parent, long parentNodeId, String call, String detail) {
    String pname = parent == null ? "node " + parentNodeId : parent.name;
    String what = parent == null ? "destroyed" : "being destroyed";
    Owner o = parent == null ? null : parent.owner;
    violation(
        ViolationKind.ALIAS_ON_INVALID,
        call + ": parent " + pname + " is " + what + " (" + detail + ")",
        o == null ? null : o.periph(),
        o == null ? null : o.path(),
        o == null ? "" : o.identity(),
        List.of(pname));
  }

  private Behavior<Command> onMakeDevAlias(MakeDevAlias cmd) {
    Node parent = nodes.get(cmd.parentNodeId());
    Errno e;
    if (!aliasableParent(parent)) {
      aliasOnDeadParent(parent, cmd.parentNodeId(), "make_dev_alias", "alias " + cmd.alias());
      e = Errno.ENXIO;
    } else {
      String alias = cmd.alias() == null ? "" : cmd.alias();
      e = checkName(alias);
      if (e == Errno.OK && alias.length() > SPECNAMELEN) {
        e = Errno.ENAMETOOLONG;
      }
      if (e == Errno.OK && !addAlias(parent, alias)) {
        e = Errno.EEXIST;
      }
    }
    if (cmd.replyTo() != null) {
      cmd.replyTo().tell(new AliasResult(e == Errno.OK ? cmd.alias() : "", e));
    }
    return this;
  }

  private static void replyAlias(MakePhysPathAlias cmd, String alias, Errno errno) {
    if (cmd.replyTo() != null) {
      cmd.replyTo().tell(new AliasResult(alias, errno));
    }
  }

  private void destroyAlias(Node parent, String aliasName) {
    if (aliasName.isEmpty()) {
      return;
    }
    Node alias = names.get(aliasName);
    if (alias != null && alias.parent == parent) {
      removeNode(alias);
    }
  }

  private Behavior<Command> onDestroyDevSched(DestroyDevSched cmd) {
    Node node = nodes.get(cmd.nodeId());
    if (node == null) {
      // Already destroyed: nothing to wait for. The kernel never sees this (the cdev pointer
      // would be stale); answering keeps a late requester's protocol going.
      if (cmd.callback() != null) {
        cmd.callback().tell(new NodeGone(cmd.nodeId(), "?"));
      }
      return this;
    }
    if (node.state == State.SCHED_DTR) {
      return this; // cf. destroy_dev_sched_cb(): already scheduled, callback not registered again
    }
    node.state = State.SCHED_DTR;
    node.callback = cmd.callback();
    emitDestroyRequested(node, cmd.callback() != null, false);
    maybeQueueDestroy(node);
    return this;
  }

  private Behavior<Command> onDestroyDev(DestroyDev cmd) {
    Node node = nodes.get(cmd.nodeId());
    if (node == null) {
      cmd.replyTo().tell(new Destroyed(cmd.nodeId(), "?", false));
      return this;
    }
    emitDestroyRequested(node, false, true);
    node.state = State.SCHED_DTR;
    freeName(node); // cf. destroy_devl(): devfs_destroy() first, the name is reusable from here
    if (node.threadCount > 0 && node.owner != null && node.owner.actor().equals(cmd.requester())) {
      // cf. destroy_devl() sleeping in "devdrn" for si_threadcount == 0 while the sleeping
      // thread is itself one of those counted: it never wakes up.
      violation(
          ViolationKind.DESTROY_DEADLOCK,
          "destroy_dev("
              + node.name
              + "): deadlock: called by its own driver "
              + node.owner.periph()
              + " from inside "
              + callsInside(node)
              + " on "
              + node.name
              + " (si_threadcount="
              + node.threadCount
              + ")",
          node.owner.periph(),
          node.owner.path(),
          node.owner.identity(),
          List.of(node.name));
      destroyNow(node);
      cmd.replyTo().tell(new Destroyed(node.id, node.name, true));
      return this;
    }
    node.syncWaiters.add(cmd.replyTo());
    maybeQueueDestroy(node);
    return this;
  }

  private String callsInside(Node node) {
    List<String> inside = new ArrayList<>();
    for (Call c : calls.values()) {
      if (c.node() == node) {
        inside.add(methodName(c.request()));
      }
    }
    return String.join(", ", inside);
  }

  private static String methodName(DevRequest r) {
    if (r instanceof OpenRequest) {
      return "d_open";
    } else if (r instanceof CloseRequest) {
      return "d_close";
    } else if (r instanceof IoctlRequest) {
      return "d_ioctl";
    } else if (r instanceof ReadRequest) {
      return "d_read";
    }
    return "d_write";
  }

  private void emitDestroyRequested(Node node, boolean withCallback, boolean sync) {
    Owner o = node.owner;
    listener.onEvent(
        Lifetime.destroyRequested(o.periph(), o.identity(), node.name));
  }

  private Behavior<Command> onCallReturn(CallReturn ret) {
    Call call = calls.remove(ret.callId());
    if (call == null) {
      if (!forcedCalls.remove(ret.callId())) {
        violation(
            ViolationKind.CLIENT_REPLY,
            "call " + ret.callId() + " returned twice (or was never made)",
            null,
            null,
            "",
            List.of());
      } else {
        getContext().getLog().debug("late return of call [{}] (already failed)", ret.callId());
      }
      return this;
    }
    Node node = call.node();
    node.threadCount--;
    finishCall(call, ret.reply());
    if (node.threadCount == 0) {
      maybeQueueDestroy(node);
    }
    return this;
  }

  @SuppressWarnings("unchecked")
  private void finishCall(Call call, DevReply reply) {
    if (call.request() instanceof OpenRequest) {
      ActorRef<OpenResult> client = (ActorRef<OpenResult>) call.client();
      if (reply.isOk() && nodes.containsKey(call.node().id)) {
        FileHandle fh = new FileHandle(nextFileId++, call.node().id, call.file().name());
        files.put(fh.fileId(), fh);
        call.node().useCount++;
        client.tell(new OpenResult(fh.name(), fh, Errno.OK));
      } else {
        Errno e = reply.isOk() ? Errno.ENXIO : reply.errno();
        client.tell(new OpenResult(call.file().name(), null, e));
      }
    } else {
      ((ActorRef<DevReply>) call.client()).tell(reply);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // System calls

  private Behavior<Command> onOpen(Open cmd) {
    Node node = cmd.name() == null ? null : names.get(cmd.name());
    if (node == null) {
      cmd.replyTo().tell(new OpenResult(cmd.name(), null, Errno.ENOENT));
      return this;
    }
    Node target = node.parent != null ? node.parent : node; // an alias is a symlink
    if (!enterable(target)) {
      cmd.replyTo().tell(new OpenResult(cmd.name(), null, Errno.ENXIO));
      return this;
    }
    FileHandle proto = new FileHandle(0, target.id, cmd.name());
    forward(target, proto, new OpenRequest(cmd.oflags()), cmd.replyTo());
    return this;
  }

  private Behavior<Command> onClose(Close cmd) {
    FileHandle fh = cmd.file() == null ? null : files.remove(cmd.file().fileId());
    if (fh == null) {
      cmd.replyTo().tell(DevReply.error(Errno.EBADF));
      return this;
    }
    Node node = nodes.get(fh.nodeId());
    if (node == null) {
      cmd.replyTo().tell(DevReply.error(Errno.ENXIO));
      return this;
    }
    node.useCount--;
    if (!enterable(node)) {
      // cf. devfs_close(): dev_refthread() fails once CDP_SCHED_DTR is set; d_close not called
      cmd.replyTo().tell(DevReply.error(Errno.ENXIO));
      return this;
    }
    boolean last = node.useCount == 0;
    if (node.trackClose || last) {
      forward(node, fh, new CloseRequest(last), cmd.replyTo());
    } else {
      cmd.replyTo().tell(DevReply.ok());
    }
    return this;
  }

  private Behavior<Command> onIoctl(Ioctl cmd) {
    return simpleCall(cmd.file(), new IoctlRequest(cmd.cmd()), cmd.replyTo());
  }

  private Behavior<Command> onRead(Read cmd) {
    return simpleCall(cmd.file(), new ReadRequest(cmd.offset(), cmd.length()), cmd.replyTo());
  }

  private Behavior<Command> onWrite(Write cmd) {
    if (cmd.data() == null) {
      cmd.replyTo().tell(DevReply.error(Errno.EINVAL));
      return this;
    }
    return simpleCall(cmd.file(), new WriteRequest(cmd.offset(), cmd.data()), cmd.replyTo());
  }

  private Behavior<Command> simpleCall(
      FileHandle file, DevRequest request, ActorRef<DevReply> replyTo) {
    FileHandle fh = file == null ? null : files.get(file.fileId());
    if (fh == null || fh.nodeId() != file.nodeId()) {
      replyTo.tell(DevReply.error(Errno.EBADF));
      return this;
    }
    Node node = nodes.get(fh.nodeId());
    if (node == null || !enterable(node)) {
      replyTo.tell(DevReply.error(Errno.ENXIO));
      return this;
    }
    forward(node, fh, request, replyTo);
    return this;
  }

  /** cf. {@code dev_refthread()}: fails once the destroy was requested. */
  private boolean enterable(Node node) {
    return node.state == State.ACTIVE && !deadOwners.contains(node.owner.actor());
  }

  private void forward(Node node, FileHandle fh, DevRequest request, Object client) {
    long callId = nextCallId++;
    node.threadCount++;
    calls.put(callId, new Call(callId, node, request, fh, client));
    ActorRef<CallReturn> self = getContext().getSelf().narrow();
    node.owner.calls().tell(new CdevCall(callId, node.id, node.name, fh.fileId(), request, self));
  }

  // ---------------------------------------------------------------------------------------------
  // The destroy task (cf. destroy_dev_tq on taskqueue_swi_giant)

  private void maybeQueueDestroy(Node node) {
    if (node.state != State.SCHED_DTR || node.threadCount > 0 || node.destroyQueued) {
      return;
    }
    node.destroyQueued = true;
    destroyQueue.add(node);
    scheduleTask();
  }

  private void scheduleTask() {
    if (settings.manual() || taskScheduled || destroyQueue.isEmpty()) {
      return;
    }
    taskScheduled = true;
    Duration delay = settings.destroyTaskDelay().get();
    if (delay.isZero() || delay.isNegative()) {
      getContext().getSelf().tell(DestroyTaskTick.INSTANCE);
    } else {
      timers.startSingleTimer(DestroyTaskTick.INSTANCE, delay);
    }
  }

  private Behavior<Command> onDestroyTaskTick() {
    taskScheduled = false;
    runDestroyQueue();
    scheduleTask();
    return this;
  }

  private Behavior<Command> onRunDestroyQueue() {
    runDestroyQueue();
    return this;
  }

  private void runDestroyQueue() {
    int n = destroyQueue.size();
    for (int i = 0; i < n; i++) {
      Node node = destroyQueue.poll();
      if (node.threadCount > 0) {
        node.destroyQueued = false; // a call got in before the flag; re-queued when it returns
        continue;
      }
      destroyNow(node);
    }
  }

  /** cf. destroy_devl() + destroy_dev_tq(): name gone, aliases gone, then the callback. */
  private void destroyNow(Node node) {
    if (node.state == State.DESTROYED) {
      return;
    }
    for (Node child : List.copyOf(node.children)) {
      removeNode(child);
    }
    removeNode(node);
    for (ActorRef<Destroyed> w : node.syncWaiters) {
      w.tell(new Destroyed(node.id, node.name, false));
    }
    node.syncWaiters.clear();
    if (node.callback != null) {
      node.callback.tell(new NodeGone(node.id, node.name));
    }
  }

  private void removeNode(Node node) {
    node.state = State.DESTROYED;
    freeName(node);
    if (nodes.remove(node.id) != null) {
      nodesByOwner.computeIfPresent(node.owner.actor(), (a, n) -> n == 1 ? null : n - 1);
    }
    destroyQueue.remove(node);
    if (node.parent != null) {
      node.parent.children.remove(node);
    }
    Owner o = node.owner;
    listener.onEvent(Lifetime.nodeGone(o.periph(), o.identity(), node.name));
    if (deadOwners.contains(o.actor()) && !ownsNodes(o.actor())) {
      deadOwners.remove(o.actor()); // nothing of it left to refuse calls for
      answerOwnerGone(o.actor());
    }
    if (LEVELS.isDebugEnabled()) {
      getContext().getLog().debug("destroyed [{}] (node {})", node.name, node.id);
    }
  }

  private void freeName(Node node) {
    if (!node.nameFreed) {
      node.nameFreed = true;
      if (names.get(node.name) == node) {
        names.remove(node.name);
      }
      for (Node child : List.copyOf(node.children)) {
        removeNode(child);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Driver death

  private void watch(ActorRef<?> actor) {
    if (watched.add(actor)) {
      getContext().watchWith(actor, new OwnerTerminated(actor));
    }
  }

  private boolean ownsNodes(ActorRef<?> actor) {
    return nodesByOwner.containsKey(actor);
  }

  private void addNode(Node node) {
    nodes.put(node.id, node);
    nodesByOwner.merge(node.owner.actor(), 1, Integer::sum);
  }

  private Behavior<Command> onNotifyWhenOwnerGone(NotifyWhenOwnerGone q) {
    ownerGoneWaiters.computeIfAbsent(q.owner(), a -> new ArrayList<>()).add(q.replyTo());
    if (!deadOwners.contains(q.owner()) && watched.add(q.owner())) {
      // not known dead yet: watching a stopped actor answers at once, after all it sent us
      getContext().watchWith(q.owner(), new OwnerTerminated(q.owner()));
    }
    return this;
  }

  private void answerOwnerGone(ActorRef<?> actor) {
    List<ActorRef<OwnerGone>> waiting = ownerGoneWaiters.remove(actor);
    if (waiting != null) {
      waiting.forEach(w -> w.tell(new OwnerGone(actor)));
    }
  }

  private Behavior<Command> onOwnerTerminated(OwnerTerminated t) {
    watched.remove(t.actor());
    deadOwners.add(t.actor());
    // cf. bug D: a thread inside d_ioctl dereferences si_drv1 while camperiphfree frees it
    Map<Node, List<Call>> inside = new LinkedHashMap<>();
    for (Call c : calls.values()) {
      if (c.node().owner.actor().equals(t.actor())) {
        inside.computeIfAbsent(c.node(), n -> new ArrayList<>()).add(c);
      }
    }
    for (Map.Entry<Node, List<Call>> e : inside.entrySet()) {
      Node node = e.getKey();
      List<String> methods = new ArrayList<>();
      for (Call c : e.getValue()) {
        methods.add(methodName(c.request()));
      }
      violation(
          ViolationKind.CALL_IN_FLIGHT_AT_FREE,
          "use after free: "
              + e.getValue().size()
              + " call(s) ("
              + String.join(", ", methods)
              + ") in flight on "
              + node.name
              + " when "
              + node.owner.periph()
              + " was freed",
          node.owner.periph(),
          node.owner.path(),
          node.owner.identity(),
          List.of(node.name));
      failCallsInside(node);
    }
    for (Node node : ownsNodes(t.actor()) ? List.copyOf(nodes.values()) : List.<Node>of()) {
      if (node.parent != null || !node.owner.actor().equals(t.actor())) {
        continue;
      }
      if (node.state == State.ACTIVE) {
        violation(
            ViolationKind.PERIPH_CRASHED,
            "node " + node.name + " orphaned: " + node.owner.periph() + " stopped without destroying it",
            node.owner.periph(),
            node.owner.path(),
            node.owner.identity(),
            List.of(node.name));
        node.state = State.SCHED_DTR;
      }
      maybeQueueDestroy(node);
    }
    if (!ownsNodes(t.actor())) {
      deadOwners.remove(t.actor());
      answerOwnerGone(t.actor());
    }
    return this;
  }

  private void failCallsInside(Node node) {
    for (Call c : List.copyOf(calls.values())) {
      if (c.node() == node) {
        calls.remove(c.callId());
        forcedCalls.add(c.callId());
        node.threadCount--;
        finishCall(c, DevReply.error(Errno.ENXIO));
      }
    }
    if (node.threadCount == 0) {
      maybeQueueDestroy(node);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Names

  /** cf. prep_devname(): normalisation rules that do not depend on the table. */
  private static Errno checkName(String name) {
    if (name == null || name.isEmpty() || name.equals(".") || name.equals("..")
        || name.endsWith("/") || name.startsWith("/") || name.contains("//")) {
      return Errno.EINVAL;
    }
    for (String part : name.split("/")) {
      if (part.equals(".") || part.equals("..")) {
        return Errno.EINVAL;
      }
    }
    if (name.length() > SPECNAMELEN) {
      return Errno.ENAMETOOLONG;
    }
    return Errno.OK;
  }

  /** cf. devfs_dev_exists(): an active node of that name, or a path-prefix conflict. */
  private Node conflicting(String name) {
    Node same = names.get(name);
    if (same != null) {
      return same;
    }
    int slash = name.indexOf('/');
    while (slash > 0) {
      Node dir = names.get(name.substring(0, slash));
      if (dir != null) {
        return dir;
      }
      slash = name.indexOf('/', slash + 1);
    }
    String below = names.ceilingKey(name + "/");
    if (below != null && below.startsWith(name + "/")) {
      return names.get(below);
    }
    return null;
  }

  private void violation(
      ViolationKind kind,
      String message,
      PeriphId periph,
      CamPath path,
      String identity,
      List<String> involved) {
    LifetimeEvent.ProtocolViolation v =
        Lifetime.violation(kind, message, periph, path, identity, involved);
    violations.add(v);
    getContext().getLog().error("protocol violation {}: {}", kind, message);
    listener.onEvent(v);
  }

  // ---------------------------------------------------------------------------------------------
  // Queries

  private Behavior<Command> onGetViolations(GetViolations q) {
    q.replyTo().tell(new Violations(violations));
    return this;
  }

  private Behavior<Command> onListNodes(ListNodes q) {
    List<NodeInfo> out = new ArrayList<>();
    List<Node> sorted = new ArrayList<>(nodes.values());
    sorted.sort((a, b) -> a.name.compareTo(b.name));
    for (Node n : sorted) {
      out.add(
          new NodeInfo(
              n.id,
              n.name,
              n.owner.periph(),
              n.nameFreed ? "SCHED_DTR" : n.state.name(),
              n.threadCount,
              n.useCount,
              n.parent == null ? "" : n.parent.name,
              n.trackClose));
    }
    q.replyTo().tell(new NodeList(out, files.size(), destroyQueue.size()));
    return this;
  }
}
