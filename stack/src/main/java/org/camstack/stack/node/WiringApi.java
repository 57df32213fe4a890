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
 * The wiring area of the management API: which unit number a device gets (journal-backed, see
 * {@link JournalWiring}).
 */
final class WiringApi {
  private static final Logger LOG = LoggerFactory.getLogger(WiringApi.class);

  private final NodeCcbs ccbs;
  private final ActorSystem<?> system;
  private final Duration askTimeout;
  private final WiringControl wiring;

  WiringApi(NodeCcbs ccbs, WiringControl wiring) {
    this.ccbs = ccbs;
    this.system = ccbs.system();
    this.askTimeout = ccbs.askTimeout();
    this.wiring = wiring;
  }

  public CompletionStage<ApiModel.Wiring> wiring() {
    return guard(wiring::list);
  }

  public CompletionStage<ApiModel.WiringEntry> wire(ApiModel.Wire req) {
    return guard(
        () -> {
          if (req.driver() == null || !req.driver().matches("[a-z]+")) {
            throw ApiException.badRequest("bad driver '" + req.driver() + "'");
          }
          if (req.unit() == null || req.unit() < 0) {
            throw ApiException.badRequest("bad unit " + req.unit() + ": must not be negative");
          }
          return ccbs.resolve(req.device()).thenCompose(t -> wiring.wire(req.driver(), req.unit(), t.path(), t.info()));
        });
  }

  public CompletionStage<ApiModel.Ack> unwire(String driver, int unit) {
    return guard(() -> wiring.unwire(driver, unit));
  }
}
