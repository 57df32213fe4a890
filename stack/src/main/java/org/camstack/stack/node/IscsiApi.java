package org.camstack.stack.node;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.camstack.stack.target.EmuTarget;
import org.camstack.stack.target.Nexuses;
import org.camstack.stack.target.TargetInventory;
import org.camstack.stack.target.iscsi.IscsiPortal;
import org.camstack.stack.target.iscsi.IscsiSessions;
import org.camstack.stack.target.iscsi.TargetNames;

/**
 * The target-port area of the management API (cf. {@code ctladm port -l}, {@code ctladm islist},
 * {@code ctladm islogout}): the node's ports, its iSCSI sessions, logging one out.
 */
final class IscsiApi {
  private final TargetInventory targets;
  private volatile IscsiPortal portal; // null: --iscsi-port off

  IscsiApi(TargetInventory targets) {
    this.targets = targets;
  }

  void attach(IscsiPortal p) {
    this.portal = p;
  }

  CompletionStage<ApiModel.Ports> ports() {
    List<ApiModel.Port> out = new ArrayList<>();
    List<String> sim = new ArrayList<>();
    List<String> iqns = new ArrayList<>();
    IscsiPortal p = portal;
    for (Map.Entry<Integer, Map<Integer, EmuTarget>> b : targets.snapshot().entrySet()) {
      for (Integer t : b.getValue().keySet()) {
        sim.add(b.getKey() + ":" + t);
        if (p != null) {
          iqns.add(TargetNames.name(p.config().host(), b.getKey(), t));
        }
      }
    }
    out.add(new ApiModel.Port(Nexuses.CAM_SIM_PORT, "camsim", "", 0, sim));
    if (p != null) {
      out.add(new ApiModel.Port(Nexuses.ISCSI_PORT, "iscsi", p.address(), p.sessions().list().size(), iqns));
    }
    return CompletableFuture.completedFuture(new ApiModel.Ports(out));
  }

  CompletionStage<ApiModel.IscsiSessions> sessions() {
    List<ApiModel.IscsiSession> out = new ArrayList<>();
    for (IscsiSessions.Info i : portal().sessions().list()) {
      out.add(new ApiModel.IscsiSession(i.tsih(), i.initiator(), i.isid(), i.type(), i.target(), i.remote()));
    }
    return CompletableFuture.completedFuture(new ApiModel.IscsiSessions(out));
  }

  /** Asks session {@code tsih} to log out (Async Message); it is dropped if it does not within 5 s. */
  CompletionStage<ApiModel.Ack> logout(String session) {
    int tsih;
    try {
      tsih = Integer.parseInt(session);
    } catch (NumberFormatException e) {
      throw ApiException.badRequest("bad session '" + session + "': expected its TSIH (a number, see ctl iscsi sessions)");
    }
    if (!portal().sessions().requestLogout(tsih)) {
      throw ApiException.notFound("no iSCSI session " + tsih);
    }
    return CompletableFuture.completedFuture(new ApiModel.Ack(true, "session " + tsih + " asked to log out"));
  }

  private IscsiPortal portal() {
    IscsiPortal p = portal;
    if (p == null) {
      throw ApiException.notFound("this node has no iSCSI portal (--iscsi-port off)");
    }
    return p;
  }
}
