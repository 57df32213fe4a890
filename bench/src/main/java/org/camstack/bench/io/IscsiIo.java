package org.camstack.bench.io;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.util.ByteString;
import org.camstack.bench.harness.DispatcherSettings;
import org.camstack.stack.CamStackConfig;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.HbaFlags;
import org.camstack.stack.scsi.Bytes;
import org.camstack.stack.scsi.ReportLuns;
import org.camstack.stack.scsi.ScsiResponse;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.sim.AsyncSimDataPath;
import org.camstack.stack.sim.iscsi.InitiatorSession;
import org.camstack.stack.sim.iscsi.IscsiBus;
import org.camstack.stack.sim.iscsi.IscsiLink;
import org.camstack.stack.sim.iscsi.IscsiUrl;

/**
 * {@code bench io --periph da --iscsi URL}: the da periphs of an XPT whose one bus is an iSCSI
 * initiator session ({@link IscsiBus} over one {@link IscsiLink}) to a real target (tgt, a
 * camstack node): the whole camstack initiator path (devfs, da, XPT, the SIM, the wire). The bench
 * command runs {@code iscsi-perf} against the same target and LUN in the same run.
 */
public final class IscsiIo {
  private IscsiIo() {}

  /** The da measurement, the disks measured, and the URL of the first (for iscsi-perf). */
  public record Result(IoSpec spec, Measurement actor, List<String> disks, String firstLunUrl) {}

  private record Disk(long lun, int blockSize, long blocks) {}

  public static Result run(IoSpec base, DispatcherSettings dispatcher, String url) throws Exception {
    IscsiUrl u = IscsiUrl.parse(url);
    ActorSystem<StackHost.Command> system = ActorSystem.create(
        StackHost.create(), "bench-io-iscsi", dispatcher.toConfig().withFallback(CamStackConfig.load()));
    IscsiBus bus = new IscsiBus(Duration.ofSeconds(10));
    CompletableFuture<IscsiLink> up = new CompletableFuture<>();
    long isid = (0x80L << 40) | (System.nanoTime() & 0x3F_FFFF_FFFFL);
    IscsiLink link = IscsiLink.open(u.host(), u.port(),
        InitiatorSession.Params.of("iqn.2026-12.org.camstack:bench-io", u.target(), isid, Optional.empty()),
        new IscsiLink.Listener() {
          @Override
          public void up(IscsiLink l) {
            bus.attach(l);
            up.complete(l);
          }

          @Override
          public void down(IscsiLink l, String reason, List<AsyncSimDataPath.Done> unanswered) {
            bus.detach(l, unanswered);
            up.completeExceptionally(new IllegalStateException("iSCSI login to " + u + " failed: " + reason));
          }
        }, IscsiLink.Timing.DEFAULT, "bench-io");
    try {
      up.get(30, TimeUnit.SECONDS);
      List<Disk> disks = disks(bus);
      if (disks.isEmpty()) {
        throw new IllegalStateException(u + " has no disk LUN");
      }
      Ccb.PathInqResult cpi = new Ccb.PathInqResult(1, HbaFlags.PI_TAG_ABLE, 0, 0, 16383, 1, "iSCSI", "iSCSI", "iscsi",
          0, 0, 150_000, 1L << 20);
      CompletableFuture<StackHost.Booted> booted = new CompletableFuture<>();
      system.tell(new StackHost.Boot(List.of(new StackHost.BusSpec(cpi, 128, bus)), disks.size(), true, booted));
      StackHost.Booted b = booted.get(60, TimeUnit.SECONDS);
      List<LunFixture> fixtures = new ArrayList<>();
      List<String> names = new ArrayList<>();
      for (Disk d : disks) {
        fixtures.add(new LunFixture(CamPath.of(b.pathIds()[0], 0, d.lun()), bus, 0, d.blockSize(), d.blocks()));
        names.add(u + "/" + d.lun() + " (" + d.blocks() + " x " + d.blockSize() + ")");
      }
      IoSpec spec = base.with(disks.size(), base.qd());
      ActorRunner.Spawner spawner = new ActorRunner.Spawner() {
        @Override
        public <T> ActorRef<T> spawn(Behavior<T> behavior, String name) {
          CompletableFuture<ActorRef<T>> f = new CompletableFuture<>();
          system.tell(new StackHost.Spawn<>(behavior, name, f));
          try {
            return f.get(30, TimeUnit.SECONDS);
          } catch (Exception e) {
            throw new IllegalStateException("spawning " + name + " failed", e);
          }
        }
      };
      java.util.function.IntFunction<String> daNode = i -> {
        Integer unit = b.daUnits().get(fixtures.get(i).path().toString());
        return "da" + (unit != null ? unit : i);
      };
      Measurement actor = ActorRunner.runDa(spec, fixtures, b.devfs(), daNode, spawner, dispatcher.threads(),
          "open daN (devfs), bios on the da periph -> XptDevice -> iSCSI initiator SIM (IscsiBus, one TCP connection) -> "
              + u, Long.toString(System.nanoTime(), 36));
      link.logoutAndClose(Duration.ofSeconds(3));
      return new Result(spec, actor, names, u + "/" + disks.get(0).lun());
    } finally {
      link.close();
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }

  /** The disk LUNs (peripheral type 0, connected) with their capacity: REPORT LUNS, INQUIRY, READ CAPACITY(10). */
  private static List<Disk> disks(IscsiBus bus) {
    ScsiResponse rl = command(bus, 0, new byte[] {(byte) 0xA0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0}, 4096);
    List<Disk> out = new ArrayList<>();
    int n = (int) Bytes.be32(rl.data(), 0) / 8;
    for (int i = 0; i < n && 8 + 8 * i + 8 <= rl.data().size(); i++) {
      long lun = ReportLuns.decodeLun(rl.data(), 8 + 8 * i);
      ScsiResponse inq = command(bus, lun, new byte[] {0x12, 0, 0, 0, 36, 0}, 36);
      if (inq.data().isEmpty() || (Bytes.u8(inq.data(), 0) & 0xFF) != 0) {
        continue; // not a connected direct-access device
      }
      ScsiResponse cap = command(bus, lun, new byte[] {0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 8);
      out.add(new Disk(lun, (int) Bytes.be32(cap.data(), 4), Bytes.be32(cap.data(), 0) + 1));
    }
    return out;
  }

  /** One CDB, retried past unit attentions (power on, nexus loss) a few times. */
  private static ScsiResponse command(IscsiBus bus, long lun, byte[] cdb, int len) {
    ScsiResponse r = null;
    for (int i = 0; i < 5; i++) {
      r = bus.execute(0, lun, ByteString.fromArray(cdb), ByteString.emptyByteString(), len, 1);
      if (r != null && r.scsiStatus() == ScsiStatus.GOOD) {
        return r;
      }
    }
    throw new IllegalStateException(String.format("CDB 0x%02x on lun %d failed: %s", cdb[0], lun, r));
  }
}
