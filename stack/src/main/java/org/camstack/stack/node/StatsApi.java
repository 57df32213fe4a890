package org.camstack.stack.node;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.xpt.IoStats;

/**
 * The statistics area of the management API: per-LUN counters and latencies (ctlstat-like) from
 * the device queues' {@link IoStats}, for the LUNs the EDT holds.
 */
final class StatsApi {
  private final NodeCcbs ccbs;
  private final ActorSystem<?> system;
  private final EdtApi edt;

  StatsApi(NodeCcbs ccbs, EdtApi edt) {
    this.ccbs = ccbs;
    this.system = ccbs.system();
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
                    new ApiModel.LunStats(e.getKey().btl(), periphs, s));
              }
              out.sort(Comparator.comparing((ApiModel.LunStats l) -> CamPath.parse(l.path()).bus())
                  .thenComparing(l -> CamPath.parse(l.path()).target())
                  .thenComparing(l -> CamPath.parse(l.path()).lun()));
              return new ApiModel.Stats(age, out);
            });
  }

}
