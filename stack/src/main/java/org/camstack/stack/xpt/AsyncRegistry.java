package org.camstack.stack.xpt;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.camstack.stack.ccb.AsyncCode;
import org.camstack.stack.ccb.CamPath;

/**
 * The async-callback registry as a plain single-owner object: who wants which {@code AC_*} codes
 * on which (wildcard) path, in registration order, newest first. cf. {@code
 * xpt_register_async()} / {@code xpt_async()} / {@code xptsetasyncfunc()} and {@code
 * xptsetasyncbusfunc()} (the replay to late registrants) in sys/cam/cam_xpt.c.
 *
 * <p>The {@link Xpt} actor owns one with {@code S = ActorRef<AsyncEvent>}; the registry never
 * sends: {@link #recipients} and {@link #replay} say who gets what, the owner tells. Not
 * thread-safe.
 *
 * @param <S> the subscriber handle (compared with {@code equals})
 */
final class AsyncRegistry<S> {

  private static final class Subscription<S> {
    final CamPath path;
    final S subscriber;
    Set<AsyncCode> events;

    Subscription(CamPath path, S subscriber, Set<AsyncCode> events) {
      this.path = path;
      this.subscriber = subscriber;
      this.events = events;
    }
  }

  private final List<Subscription<S>> subscriptions = new ArrayList<>(); // newest first

  /**
   * cf. {@code xpt_register_async(events, ...)}: a new subscription goes to the head; the same
   * subscriber on the same path has its event set replaced. An empty set unregisters. Returns true
   * when a subscription was added (the owner then watches the subscriber).
   */
  boolean register(Set<AsyncCode> events, CamPath path, S subscriber) {
    if (events.isEmpty()) {
      unregister(path, subscriber);
      return false;
    }
    for (Subscription<S> s : subscriptions) {
      if (s.subscriber.equals(subscriber) && s.path.equals(path)) {
        s.events = Set.copyOf(events);
        return false;
      }
    }
    subscriptions.add(0, new Subscription<>(path, subscriber, Set.copyOf(events)));
    return true;
  }

  /** cf. {@code xpt_register_async(0, ...)}: drops the subscriber's subscription on {@code path}. */
  void unregister(CamPath path, S subscriber) {
    subscriptions.removeIf(s -> s.subscriber.equals(subscriber) && s.path.equals(path));
  }

  /** Drops every subscription of {@code subscriber} (it stopped). */
  void removeSubscriber(Object subscriber) {
    subscriptions.removeIf(s -> s.subscriber.equals(subscriber));
  }

  /** Whether {@code subscriber} has any subscription left. */
  boolean has(Object subscriber) {
    for (Subscription<S> s : subscriptions) {
      if (s.subscriber.equals(subscriber)) {
        return true;
      }
    }
    return false;
  }

  /** Number of subscriptions. */
  int size() {
    return subscriptions.size();
  }

  /**
   * cf. {@code xpt_async()}: every subscriber, newest first, whose path overlaps the event's (either
   * covers the other) and who wants its code. A subscriber registered on two overlapping paths is
   * listed once per subscription, as CAM calls each registration.
   */
  List<S> recipients(AsyncEvent ev) {
    List<S> out = new ArrayList<>();
    for (Subscription<S> s : subscriptions) {
      if (s.events.contains(ev.code()) && overlaps(s.path, ev.path())) {
        out.add(s.subscriber);
      }
    }
    return out;
  }

  /**
   * cf. {@code xptsetasyncbusfunc()} / {@code xptsetasyncfunc()}: what a new registration for
   * {@code events} on {@code path} is told at once — AC_PATH_REGISTERED for every registered bus
   * whose path overlaps, then AC_FOUND_DEVICE for every configured device the path covers, in EDT
   * order.
   */
  static List<AsyncEvent> replay(Set<AsyncCode> events, CamPath path, Edt edt) {
    List<AsyncEvent> out = new ArrayList<>();
    if (events.contains(AsyncCode.AC_PATH_REGISTERED)) {
      for (Edt.Bus bus : edt.buses()) {
        CamPath bp = CamPath.bus(bus.pathId);
        if (overlaps(path, bp)) {
          out.add(new AsyncEvent.PathRegistered(bp, bus.cpi));
        }
      }
    }
    if (events.contains(AsyncCode.AC_FOUND_DEVICE)) {
      for (Edt.Bus bus : edt.buses()) {
        for (Edt.Device d : bus.devices()) {
          if (d.configured && path.matches(d.path)) {
            out.add(new AsyncEvent.FoundDevice(d.path, d.info, d.ref));
          }
        }
      }
    }
    return out;
  }

  /** Either path covers the other (cf. {@code xpt_path_comp()} &ge; 0). */
  static boolean overlaps(CamPath a, CamPath b) {
    return a.matches(b) || b.matches(a);
  }
}
