package org.camstack.stack.testkit;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.camstack.stack.ccb.AsyncCode;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.DeviceInfo;
import org.camstack.stack.xpt.AsyncEvent;
import org.camstack.stack.xpt.Xpt;
import org.camstack.stack.xpt.XptDevice;

/**
 * Stands in for the XPT in periph tests: keeps async subscriptions (with the AC_FOUND_DEVICE
 * replay), the periph list per device (newest first), the device references periphs hold, and
 * the events periphs raise. Test-only messages configure devices and query what it saw. It takes
 * any message ({@code Behavior<Object>}): {@link Xpt.Command} is sealed, so the test messages are
 * not XPT commands; hand periphs {@code stub.narrow()}.
 */
public final class XptStub {
  private XptStub() {}

  /** Configure a device: AC_FOUND_DEVICE to every subscriber covering it. */
  public record AddDevice(CamPath path, DeviceInfo info, ActorRef<XptDevice.Command> device) {}

  /** Lose a device: AC_LOST_DEVICE to every subscriber covering it. */
  public record LoseDevice(CamPath path) {}

  /** Deliver any event to the subscribers covering its path. */
  public record Raise(AsyncEvent event) {}

  public record GetState(ActorRef<State> replyTo) {}

  /**
   * What the stub saw.
   *
   * @param periphs per device path, periph names newest first (cf. device->periphs)
   * @param raised events periphs raised with RaiseAsync
   * @param subscriptions number of live subscriptions per path
   * @param deviceRefs per device path, the references held (AcquireDevice minus ReleaseDevice)
   */
  public record State(
      Map<CamPath, List<String>> periphs,
      List<AsyncEvent> raised,
      Map<CamPath, Integer> subscriptions,
      Map<CamPath, Integer> deviceRefs) {}

  private record Sub(Set<AsyncCode> events, CamPath path, ActorRef<AsyncEvent> subscriber) {}

  public static Behavior<Object> create() {
    return Behaviors.setup(
        ctx -> {
          List<Sub> subs = new ArrayList<>();
          Map<CamPath, AsyncEvent.FoundDevice> devices = new LinkedHashMap<>();
          Map<CamPath, List<String>> periphs = new HashMap<>();
          List<AsyncEvent> raised = new ArrayList<>();
          Map<CamPath, Integer> refs = new HashMap<>();
          Consumer<Xpt.RegisterAsync> register =
                  r -> {
                    subs.removeIf(s -> s.subscriber().equals(r.subscriber()) && s.path().equals(r.path()));
                    subs.add(new Sub(r.events(), r.path(), r.subscriber()));
                    if (r.events().contains(AsyncCode.AC_FOUND_DEVICE)) {
                      for (AsyncEvent.FoundDevice f : devices.values()) {
                        if (r.path().matches(f.path())) {
                          r.subscriber().tell(f);
                        }
                      }
                    }
                    if (r.ack() != null) {
                      r.ack().tell(new Xpt.AsyncRegistered(r.path()));
                    }
                  };
          Consumer<Xpt.AddPeriph> addPeriph =
              a -> periphs.computeIfAbsent(a.path(), p -> new ArrayList<>()).add(0, a.periphName() + a.unit());
          Consumer<Xpt.RemovePeriph> removePeriph =
              a -> {
                List<String> l = periphs.get(a.path());
                if (l != null) {
                  l.remove(a.periphName() + a.unit());
                }
              };
          Consumer<CamPath> acquire = path -> refs.merge(path, 1, Integer::sum);
          Consumer<CamPath> release = path -> refs.computeIfPresent(path, (k, n) -> n == 1 ? null : n - 1);
          return Behaviors.receive(Object.class)
              .onMessage(
                  Xpt.RegisterAsync.class,
                  r -> {
                    register.accept(r);
                    return Behaviors.same();
                  })
              .onMessage(
                  Xpt.UnregisterAsync.class,
                  u -> {
                    subs.removeIf(s -> s.subscriber().equals(u.subscriber()) && s.path().equals(u.path()));
                    return Behaviors.same();
                  })
              .onMessage(
                  Xpt.AddPeriph.class,
                  a -> {
                    addPeriph.accept(a);
                    return Behaviors.same();
                  })
              .onMessage(
                  Xpt.RemovePeriph.class,
                  a -> {
                    removePeriph.accept(a);
                    return Behaviors.same();
                  })
              .onMessage(
                  Xpt.AcquireDevice.class,
                  a -> {
                    acquire.accept(a.path());
                    return Behaviors.same();
                  })
              .onMessage(
                  Xpt.ReleaseDevice.class,
                  r -> {
                    release.accept(r.path());
                    return Behaviors.same();
                  })
              .onMessage(
                  Xpt.AllocPeriph.class,
                  a -> {
                    acquire.accept(a.path());
                    if (a.listed()) {
                      addPeriph.accept(new Xpt.AddPeriph(a.path(), a.periphName(), a.unit()));
                    }
                    register.accept(new Xpt.RegisterAsync(a.events(), a.path(), a.subscriber(), null));
                    return Behaviors.same();
                  })
              .onMessage(
                  Xpt.FreePeriph.class,
                  f -> {
                    if (f.listed()) {
                      removePeriph.accept(new Xpt.RemovePeriph(f.path(), f.periphName(), f.unit()));
                    }
                    release.accept(f.path());
                    return Behaviors.same();
                  })
              .onMessage(
                  Xpt.RaiseAsync.class,
                  r -> {
                    raised.add(r.event());
                    deliver(subs, r.event());
                    return Behaviors.same();
                  })
              .onMessage(
                  Xpt.Action.class,
                  a -> {
                    // a device's EDT-level CCB (e.g. XPT_DEV_ADVINFO) goes where the test answers
                    // that device's CCBs: its device probe
                    AsyncEvent.FoundDevice f = devices.get(a.ccb().path());
                    if (f != null && f.device() != null) {
                      f.device().tell(new XptDevice.Action(a.ccb()));
                    } else {
                      a.ccb().header().replyTo().tell(Ccb.Completed.of(a.ccb(), CamStatus.REQ_INVALID));
                    }
                    return Behaviors.same();
                  })
              .onMessage(
                  AddDevice.class,
                  a -> {
                    AsyncEvent.FoundDevice f = new AsyncEvent.FoundDevice(a.path(), a.info(), a.device());
                    devices.put(a.path(), f);
                    deliver(subs, f);
                    return Behaviors.same();
                  })
              .onMessage(
                  LoseDevice.class,
                  l -> {
                    devices.keySet().removeIf(p -> l.path().matches(p));
                    deliver(subs, new AsyncEvent.LostDevice(l.path()));
                    return Behaviors.same();
                  })
              .onMessage(
                  Raise.class,
                  r -> {
                    deliver(subs, r.event());
                    return Behaviors.same();
                  })
              .onMessage(
                  GetState.class,
                  q -> {
                    Map<CamPath, List<String>> p = new HashMap<>();
                    periphs.forEach((k, v) -> p.put(k, List.copyOf(v)));
                    Map<CamPath, Integer> s = new HashMap<>();
                    for (Sub sub : subs) {
                      s.merge(sub.path(), 1, Integer::sum);
                    }
                    q.replyTo().tell(new State(p, List.copyOf(raised), s, Map.copyOf(refs)));
                    return Behaviors.same();
                  })
              .build();
        });
  }

  private static void deliver(List<Sub> subs, AsyncEvent e) {
    for (Sub s : List.copyOf(subs)) {
      if (s.events().contains(e.code()) && (s.path().matches(e.path()) || e.path().matches(s.path()))) {
        s.subscriber().tell(e);
      }
    }
  }
}
