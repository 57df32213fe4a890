package org.camstack.stack.xpt;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.AsyncCode;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamPriority;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;

/** An XPT with fake buses, and helpers to send CCBs and wait for their completions. */
final class XptFixture {
  static final Duration WAIT = Duration.ofSeconds(10);
  private static final AtomicLong IDS = new AtomicLong(1);

  final ActorTestKit kit;
  final ActorRef<Xpt.Command> xpt;

  XptFixture(ActorTestKit kit, Xpt.Settings settings) {
    this.kit = kit;
    this.xpt = kit.spawn(Xpt.create(settings));
  }

  XptFixture(ActorTestKit kit) {
    this(kit, new Xpt.Settings(Duration.ofSeconds(30), Duration.ofSeconds(5), 4));
  }

  int register(FakeBus bus, int unit) {
    TestProbe<Xpt.BusRegistered> p = kit.createTestProbe();
    xpt.tell(new Xpt.RegisterBus(bus.cpi(unit), -1, 32, bus, p.getRef()));
    return p.expectMessageClass(Xpt.BusRegistered.class, WAIT).pathId();
  }

  static long nextId() {
    return IDS.getAndIncrement();
  }

  static Ccb.Header header(CamPath path, ActorRef<Ccb.Completed> replyTo) {
    return Ccb.Header.of(nextId(), path, replyTo);
  }

  static Ccb.Header header(CamPath path, int flags, ActorRef<Ccb.Completed> replyTo) {
    return new Ccb.Header(nextId(), path, CamPriority.NORMAL, flags, 0, 0, replyTo);
  }

  /** Sends {@code ccb} to the XPT and returns its one completion. */
  Ccb.Completed action(Ccb ccb, TestProbe<Ccb.Completed> probe) {
    xpt.tell(new Xpt.Action(ccb));
    Ccb.Completed c = probe.expectMessageClass(Ccb.Completed.class, WAIT);
    assertEquals(ccb, c.ccb());
    return c;
  }

  Ccb.Completed scanBus(int bus) {
    TestProbe<Ccb.Completed> p = kit.createTestProbe();
    return action(new Ccb.ScanBus(header(CamPath.bus(bus), p.getRef())), p);
  }

  Ccb.Completed scanTarget(int bus, int target) {
    TestProbe<Ccb.Completed> p = kit.createTestProbe();
    return action(new Ccb.ScanTarget(header(CamPath.target(bus, target), p.getRef())), p);
  }

  Ccb.Completed scanLun(CamPath path) {
    TestProbe<Ccb.Completed> p = kit.createTestProbe();
    return action(new Ccb.ScanLun(header(path, p.getRef()), false), p);
  }

  Ccb.DevMatchResult devMatch(CamPath pattern) {
    TestProbe<Ccb.Completed> p = kit.createTestProbe();
    return action(new Ccb.DevMatch(header(pattern, p.getRef()), pattern, ""), p)
        .resultAs(Ccb.DevMatchResult.class);
  }

  /** Paths of configured devices on all buses, in EDT order. */
  List<CamPath> configured() {
    List<CamPath> out = new ArrayList<>();
    for (Ccb.BusMatch b : devMatch(CamPath.XPT).buses()) {
      for (Ccb.DeviceMatch d : b.devices()) {
        if (!d.unconfigured()) {
          out.add(d.path());
        }
      }
    }
    return out;
  }

  /** Subscribes a probe to device arrival/departure/inquiry-change on {@code path}, after the replay. */
  TestProbe<AsyncEvent> subscribe(CamPath path) {
    return subscribe(path, EnumSet.of(AsyncCode.AC_FOUND_DEVICE, AsyncCode.AC_LOST_DEVICE, AsyncCode.AC_INQ_CHANGED));
  }

  TestProbe<AsyncEvent> subscribe(CamPath path, java.util.Set<AsyncCode> codes) {
    TestProbe<AsyncEvent> events = kit.createTestProbe();
    TestProbe<Xpt.AsyncRegistered> ack = kit.createTestProbe();
    xpt.tell(new Xpt.RegisterAsync(codes, path, events.getRef(), ack.getRef()));
    ack.expectMessageClass(Xpt.AsyncRegistered.class, WAIT);
    return events;
  }

  static Ccb.ScsiIo tur(CamPath path, int flags, ActorRef<Ccb.Completed> replyTo) {
    return new Ccb.ScsiIo(header(path, flags | CcbFlags.DIR_NONE, replyTo), ByteString.fromArrayUnsafe(new byte[6]), ByteString.emptyByteString(), 0);
  }

  static Ccb.ScsiIo read(CamPath path, int flags, ActorRef<Ccb.Completed> replyTo) {
    byte[] cdb = new byte[10];
    cdb[0] = 0x28;
    cdb[8] = 1;
    return new Ccb.ScsiIo(header(path, flags | CcbFlags.DIR_IN, replyTo), ByteString.fromArrayUnsafe(cdb), ByteString.emptyByteString(), 512);
  }

  /** The device queue behind a configured device, from AC_FOUND_DEVICE replay. */
  ActorRef<XptDevice.Command> deviceRef(CamPath path) {
    TestProbe<AsyncEvent> events = subscribe(path, EnumSet.of(AsyncCode.AC_FOUND_DEVICE));
    AsyncEvent.FoundDevice f = events.expectMessageClass(AsyncEvent.FoundDevice.class, WAIT);
    xpt.tell(new Xpt.UnregisterAsync(path, events.getRef()));
    return f.device();
  }

  static void assertStatus(CamStatus expected, Ccb.Completed c) {
    assertEquals(expected, c.status(), () -> "completion " + c);
  }
}
