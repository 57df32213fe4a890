package org.camstack.stack.node;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.util.ByteString;
import org.camstack.persistence.device.FaultRule;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.CamPriority;
import org.camstack.stack.ccb.CamStatus;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.CcbFlags;
import org.camstack.stack.ccb.DeviceInfo;
import org.camstack.stack.devfs.Devfs;
import org.camstack.stack.ccb.Errno;
import org.camstack.stack.scsi.Cdbs;
import org.camstack.stack.scsi.ScsiStatus;
import org.camstack.stack.scsi.Sense;
import org.camstack.stack.scsi.SenseTables;
import org.camstack.stack.scsi.pass.PassPeriph;
import org.camstack.stack.target.Delay;
import org.camstack.stack.target.LunSpec;
import org.camstack.stack.xpt.IoStats;
import org.camstack.stack.xpt.Xpt;

/**
 * {@link NodeService} over the actors of one node, one class per API area: {@link EdtApi}
 * (devlist, periphlist, rescan, reset), {@link ScsiCommandApi} (inquiry, readcap, tur, start/stop),
 * {@link LunApi} (topology, LUN add/remove/resize), {@link FaultApi} (fault rules, delays), {@link
 * DevfsApi} (devfs scripting), {@link StatsApi} and {@link WiringApi}; the CCB plumbing they share
 * is {@link NodeCcbs}. This class only routes a call to its area and tracks readiness.
 *
 * <p>Nothing here blocks: every call is an ask with the node's {@code ask-timeout} (scan and reset:
 * {@code scan-timeout}).
 */
public final class StackNodeService implements NodeService {
  private final ActorSystem<?> system;
  private final EdtApi edt;
  private final ScsiCommandApi scsi;
  private final LunApi luns;
  private final TapeApi tape;
  private final SmpApi smp;
  private final TargApi targ;
  private final FaultApi faults;
  private final DevfsApi files;
  private final StatsApi stats;
  private volatile IscsiApi iscsi; // set by the node once its target ports exist
  private final WiringApi wiring;
  private final DevicesApi devices;
  private final CompletableFuture<Done> firstScan = new CompletableFuture<>();
  private volatile boolean stopping;

  /**
   * @param firstScan completes when the boot-time scan of every bus finished
   */
  public StackNodeService(
      ActorSystem<?> system,
      ActorRef<Xpt.Command> xpt,
      ActorRef<Devfs.Command> devfs,
      SimControl sims,
      WiringControl wiring,
      CompletionStage<Done> firstScan,
      Duration askTimeout,
      Duration scanTimeout,
      ApiLimits limits) {
    this.system = system;
    NodeCcbs ccbs = new NodeCcbs(system, xpt, askTimeout);
    this.edt = new EdtApi(ccbs, scanTimeout);
    this.scsi = new ScsiCommandApi(ccbs);
    this.luns = new LunApi(ccbs, sims, limits);
    this.faults = new FaultApi(ccbs, sims, limits);
    this.files = new DevfsApi(ccbs, devfs, limits);
    this.tape = new TapeApi(system, devfs, askTimeout, limits);
    this.smp = new SmpApi(system, devfs, askTimeout);
    this.targ = new TargApi(system, xpt, ccbs, askTimeout, scanTimeout, limits);
    this.stats = new StatsApi(ccbs, edt);
    this.wiring = new WiringApi(ccbs, wiring);
    this.devices = new DevicesApi(ccbs, sims, files, devfs, system, limits);
    firstScan.whenComplete(
        (d, e) -> {
          if (e != null) {
            this.firstScan.completeExceptionally(e);
          } else {
            this.firstScan.complete(Done.getInstance());
          }
        });
  }

  /** Completes when the node is ready (first scan done). */
  CompletionStage<Done> firstScan() {
    return firstScan;
  }

  /** The devlist as camcontrol prints it (what the node shows on start). */
  CompletionStage<String> devlistText() {
    return devlist().thenApply(d -> DevlistFormat.format(d, false, false, DevlistFormat.Style.MODERN));
  }

  /** From now on {@code /ready} answers 503 (coordinated shutdown started). */
  void markStopping() {
    stopping = true;
  }

  @Override
  public boolean ready() {
    return firstScan.isDone() && !firstScan.isCompletedExceptionally() && !stopping;
  }

  @Override
  public String nodeName() {
    return NodeSettings.SYSTEM_NAME
        + "@"
        + system.address().getHost().orElse("127.0.0.1")
        + ":"
        + system.address().getPort().orElse(0);
  }

  // ------------------------------------------------------------------ EDT

  @Override
  public CompletionStage<ApiModel.Devlist> devlist() {
    return edt.devlist();
  }

  @Override
  public CompletionStage<ApiModel.PeriphList> periphlist(String dev) {
    return edt.periphlist(dev);
  }

  @Override
  public CompletionStage<ApiModel.ScanReport> rescan(String path) {
    return edt.rescan(path);
  }

  @Override
  public CompletionStage<ApiModel.ScanReport> reset(String path) {
    return edt.reset(path);
  }

  // ------------------------------------------------------------------ SCSI commands

  @Override
  public CompletionStage<ApiModel.Inquiry> inquiry(String dev) {
    return scsi.inquiry(dev);
  }

  @Override
  public CompletionStage<ApiModel.ReadCap> readcap(String dev) {
    return scsi.readcap(dev);
  }

  @Override
  public CompletionStage<ApiModel.CommandResult> tur(String dev) {
    return scsi.tur(dev);
  }

  @Override
  public CompletionStage<ApiModel.CommandResult> startStop(String dev, boolean start, boolean loadEject) {
    return scsi.startStop(dev, start, loadEject);
  }

  // ------------------------------------------------------------------ LUNs and topology

  @Override
  public CompletionStage<ApiModel.Topology> topology() {
    return luns.topology();
  }

  @Override
  public CompletionStage<ApiModel.LunInfo> lunAdd(ApiModel.LunAdd request) {
    return luns.lunAdd(request);
  }

  @Override
  public CompletionStage<ApiModel.Ack> lunRemove(String path) {
    return luns.lunRemove(path);
  }

  @Override
  public CompletionStage<ApiModel.LunInfo> lunResize(String path, ApiModel.LunResize request) {
    return luns.lunResize(path, request);
  }

  // ------------------------------------------------------------------ faults

  @Override
  public CompletionStage<ApiModel.FaultList> faults(String dev) {
    return faults.faults(dev);
  }

  @Override
  public CompletionStage<ApiModel.FaultRule> faultAdd(String dev, ApiModel.FaultRule rule) {
    return faults.faultAdd(dev, rule);
  }

  @Override
  public CompletionStage<ApiModel.Ack> faultDelete(String dev, String id) {
    return faults.faultDelete(dev, id);
  }

  @Override
  public CompletionStage<ApiModel.Delay> delay(String dev, ApiModel.Delay delay) {
    return faults.delay(dev, delay);
  }

  @Override
  public TapeApi tape() {
    return tape;
  }

  @Override
  public TargApi targ() {
    return targ;
  }

  @Override
  public SmpApi smp() {
    return smp;
  }

  // ------------------------------------------------------------------ devfs scripting

  @Override
  public CompletionStage<ApiModel.Handle> open(String client, ApiModel.Open request) {
    return files.open(client, request);
  }

  @Override
  public CompletionStage<ApiModel.Ack> close(long handle) {
    return files.close(handle);
  }

  @Override
  public CompletionStage<ApiModel.Data> read(long handle, ApiModel.Read request) {
    return files.read(handle, request);
  }

  @Override
  public CompletionStage<ApiModel.Ack> write(long handle, ApiModel.Write request) {
    return files.write(handle, request);
  }

  @Override
  public CompletionStage<ApiModel.CdbResult> cdb(long handle, ApiModel.Cdb request) {
    return files.cdb(handle, request);
  }

  // ------------------------------------------------------------------ statistics and wiring

  private volatile IscsiInitiatorApi initiator; // set by the node once its initiator sessions are loaded

  /** Serves {@code /api/iscsi/initiator} from {@code api}. */
  void attachInitiator(IscsiInitiatorApi api) {
    this.initiator = api;
  }

  @Override
  public IscsiInitiatorApi iscsiInitiator() {
    return initiator;
  }

  private volatile ClusterApi clusterApi; // set by the node once its cluster LUNs exist

  /** Serves the cluster area ({@code /api/cluster/...}) from {@code api}. */
  void attachCluster(ClusterApi api) {
    this.clusterApi = api;
  }

  @Override
  public java.util.Optional<ClusterApi> cluster() {
    return java.util.Optional.ofNullable(clusterApi);
  }

  /** Serves the target-port verbs ({@code ports}, {@code iscsi ...}) from {@code api}. */
  void attachIscsi(IscsiApi api) {
    this.iscsi = api;
  }

  @Override
  public CompletionStage<ApiModel.Ports> ports() {
    IscsiApi a = iscsi;
    return a == null ? NodeService.super.ports() : a.ports();
  }

  @Override
  public CompletionStage<ApiModel.IscsiSessions> iscsiSessions() {
    IscsiApi a = iscsi;
    return a == null ? NodeService.super.iscsiSessions() : a.sessions();
  }

  @Override
  public CompletionStage<ApiModel.Ack> iscsiLogout(String session) {
    IscsiApi a = iscsi;
    return a == null ? NodeService.super.iscsiLogout(session) : a.logout(session);
  }

  @Override
  public CompletionStage<ApiModel.Stats> stats() {
    return stats.stats();
  }

  @Override
  public CompletionStage<ApiModel.Wiring> wiring() {
    return wiring.wiring();
  }

  @Override
  public CompletionStage<ApiModel.WiringEntry> wire(ApiModel.Wire request) {
    return wiring.wire(request);
  }

  @Override
  public CompletionStage<ApiModel.Ack> unwire(String driver, int unit) {
    return wiring.unwire(driver, unit);
  }

  @Override
  public CompletionStage<DevicesApi.CdStatus> cdStatus(String dev) {
    return devices.cdStatus(dev);
  }

  @Override
  public CompletionStage<DevicesApi.CdStatus> cdLoad(String dev, DevicesApi.CdLoad request) {
    return devices.cdLoad(dev, request);
  }

  @Override
  public CompletionStage<DevicesApi.CdStatus> cdEject(String dev) {
    return devices.cdEject(dev);
  }

  @Override
  public CompletionStage<DevicesApi.SgIoReply> sgio(long handle, DevicesApi.SgIoRequest request) {
    return devices.sgio(handle, request);
  }
}
