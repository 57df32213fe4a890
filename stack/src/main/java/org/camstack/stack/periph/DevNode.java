package org.camstack.stack.periph;

import org.apache.pekko.actor.typed.ActorRef;
import org.camstack.stack.devfs.Devfs;

/**
 * A periph's devfs node: its name and id, whether {@code make_dev} is still unanswered, and the
 * requests to devfs about it (make, scheduled destroy with or without callback, synchronous
 * destroy). cf. {@code softc->dev} and make_dev() / destroy_dev_sched_cb() / destroy_dev(). Used on
 * the periph's actor; the answers come back to {@link PeriphBase} through its adapters.
 */
final class DevNode {

  private final ActorRef<Devfs.Command> devfs;
  private final Devfs.Owner owner;
  private final ActorRef<Devfs.MakeDevResult> madeTo;
  private final ActorRef<Devfs.NodeGone> goneTo;
  private final ActorRef<Devfs.Destroyed> destroyedTo;
  private boolean makePending;
  private long id;
  private String name = "";

  DevNode(
      ActorRef<Devfs.Command> devfs,
      Devfs.Owner owner,
      ActorRef<Devfs.MakeDevResult> madeTo,
      ActorRef<Devfs.NodeGone> goneTo,
      ActorRef<Devfs.Destroyed> destroyedTo) {
    this.devfs = devfs;
    this.owner = owner;
    this.madeTo = madeTo;
    this.goneTo = goneTo;
    this.destroyedTo = destroyedTo;
  }

  /** cf. make_dev(): asks devfs for {@code node}. */
  void make(String node, boolean trackClose) {
    makePending = true;
    name = node;
    devfs.tell(new Devfs.MakeDev(node, trackClose, 0, owner, madeTo));
  }

  /** Devfs answered {@link #make}: true if the node exists now. */
  boolean made(Devfs.MakeDevResult r) {
    makePending = false;
    if (r.ok()) {
      id = r.nodeId();
      return true;
    }
    name = "";
    return false;
  }

  boolean makePending() {
    return makePending;
  }

  long id() {
    return id;
  }

  String name() {
    return name;
  }

  /** cf. destroy_dev_sched_cb(dev, xxdevgonecb, periph): devfs calls back when it is gone. */
  void destroyWithCallback() {
    if (id != 0) {
      devfs.tell(new Devfs.DestroyDevSched(id, goneTo));
    }
  }

  /** cf. destroy_dev_sched(dev): no callback (2012-pre). */
  void destroyWithoutCallback() {
    if (id != 0) {
      devfs.tell(new Devfs.DestroyDevSched(id, null));
    }
  }

  /** cf. destroy_dev(dev): synchronous; {@code requester} waits for {@link Devfs.Destroyed}. */
  void destroySync(ActorRef<?> requester) {
    devfs.tell(new Devfs.DestroyDev(id, requester, destroyedTo));
  }

  /** Devfs reported the node gone. */
  void gone() {
    id = 0;
  }
}
