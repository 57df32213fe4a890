package org.camstack.stack.node;

import static org.camstack.stack.node.NodeCcbs.path;
import static org.camstack.stack.node.NodeCcbs.lunPath;
import static org.camstack.stack.node.NodeCcbs.commandFailed;
import static org.camstack.stack.node.NodeCcbs.describe;
import static org.camstack.stack.node.NodeCcbs.senseText;
import static org.camstack.stack.node.NodeCcbs.failed;
import static org.camstack.stack.node.NodeCcbs.guard;
import static org.camstack.stack.node.NodeCcbs.logWithPath;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.util.ByteString;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamPriority;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;
import org.camstack.stack.ccb.DeviceInfo;
import org.camstack.stack.devfs.Devfs;
import org.camstack.stack.devfs.Errno;
import org.camstack.stack.scsi.Cdbs;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.Sense;
import org.camstack.stack.scsi.SenseTables;
import org.camstack.stack.scsi.pass.PassPeriph;
import org.camstack.stack.sim.emu.Delay;
import org.camstack.stack.sim.emu.FaultRule;
import org.camstack.stack.sim.emu.LunSpec;
import org.camstack.stack.xpt.IoStats;
import org.camstack.stack.xpt.Xpt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.camstack.stack.node.NodeCcbs.Target;

/**
 * The statistics area of the management API: per-LUN counters and latencies (ctlstat-like) from
 * the device queues' {@link IoStats}, for the LUNs the EDT holds.
 */
final class StatsApi {
  private static final Logger LOG = LoggerFactory.getLogger(StatsApi.class);

  private final NodeCcbs ccbs;
  private final ActorSystem<?> system;
  private final Duration askTimeout;
  private final EdtApi edt;

  StatsApi(NodeCcbs ccbs, EdtApi edt) {
    this.ccbs = ccbs;
    this.system = ccbs.system();
    this.askTimeout = ccbs.askTimeout();
    this.edt = edt;
  }

  public CompletionStage<ApiModel.Stats> stats() {
    return edt.devlist()
        .thenApply(
            dl -> {
              Map<CamPath, List<String>> present = new HashMap<>();
              for (ApiModel.Bus b : dl.buses()) {
                for (ApiModel.Device d : b.devices()) {
                  if (!d.unconfigured() && d.bus() >= 0) {
                    present.put(CamPath.of(d.bus(), d.target(), d.lun()), d.periphs());
                  }
                }
              }
              List<ApiModel.LunStats> out = new ArrayList<>();
              long age = 0;
              for (Map.Entry<CamPath, IoStats> e : IoStats.Registry.get(system).all().entrySet()) {
                List<String> periphs = present.get(e.getKey());
                if (periphs == null) {
                  continue;
                }
                IoStats.Snapshot s = e.getValue().snapshot();
                age = Math.max(age, s.ageMillis());
                out.add(
                    new ApiModel.LunStats(
                        e.getKey().btl(), periphs, s.reads(), s.writes(), s.other(), s.bytesRead(), s.bytesWritten(),
                        s.errors(), s.timeouts(), s.p50Micros(), s.p90Micros(), s.p99Micros(), s.p999Micros(), s.maxMicros()));
              }
              out.sort(Comparator.comparing((ApiModel.LunStats l) -> CamPath.parse(l.path()).bus())
                  .thenComparing(l -> CamPath.parse(l.path()).target())
                  .thenComparing(l -> CamPath.parse(l.path()).lun()));
              return new ApiModel.Stats(age, out);
            });
  }

}
