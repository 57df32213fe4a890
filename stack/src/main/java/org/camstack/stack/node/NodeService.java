package org.camstack.stack.node;

import java.util.concurrent.CompletionStage;

/**
 * What the management API can ask of a running stack. Every method is asynchronous and never
 * blocks the caller; bad input fails the stage with {@link ApiException} (4xx, nothing changed).
 * {@link StackNodeService} implements it over the actors of one node; {@link ManagementRoutes}
 * maps it to HTTP.
 *
 * <p>A device argument {@code dev} is a periph name ({@code da0}, {@code pass3}, {@code ses0}) or
 * {@code B:T:L}; a {@code path} is {@code all}, {@code B} or {@code B:T:L} as camcontrol takes it.
 */
public interface NodeService {

  /** True once the first scan of every bus finished (cf. the boot-time {@code xpt_config}). */
  boolean ready();

  /** The node's name, {@code camstack@host:port}. */
  String nodeName();

  CompletionStage<ApiModel.Topology> topology();

  /** XPT_DEV_MATCH over the whole EDT. */
  CompletionStage<ApiModel.Devlist> devlist();

  /** XPT_GDEVLIST walked from index 0 on the device's path. */
  CompletionStage<ApiModel.PeriphList> periphlist(String dev);

  /** INQUIRY (36 bytes), VPD 0x80, XPT_PATH_INQ and XPT_GET_TRAN_SETTINGS. */
  CompletionStage<ApiModel.Inquiry> inquiry(String dev);

  /** READ CAPACITY(10), then (16) when the last LBA is 0xFFFFFFFF. */
  CompletionStage<ApiModel.ReadCap> readcap(String dev);

  /** TEST UNIT READY with CAM_DEV_QFRZDIS. */
  CompletionStage<ApiModel.CommandResult> tur(String dev);

  /**
   * START STOP UNIT.
   *
   * @param start true = start, false = stop
   * @param loadEject with start: load; with stop: eject
   */
  CompletionStage<ApiModel.CommandResult> startStop(String dev, boolean start, boolean loadEject);

  /** XPT_SCAN_BUS for every bus / one bus, XPT_SCAN_LUN for B:T:L. */
  CompletionStage<ApiModel.ScanReport> rescan(String path);

  /** XPT_RESET_BUS for every bus / one bus, XPT_RESET_DEV for B:T:L. */
  CompletionStage<ApiModel.ScanReport> reset(String path);

  CompletionStage<ApiModel.LunInfo> lunAdd(ApiModel.LunAdd request);

  /** Hot-unplug: the LUN disappears from the SIM; the XPT learns it through the normal paths. */
  CompletionStage<ApiModel.Ack> lunRemove(String path);

  /** Capacity change (UA 2A/09 on the LUN). */
  CompletionStage<ApiModel.LunInfo> lunResize(String path, ApiModel.LunResize request);

  CompletionStage<ApiModel.FaultList> faults(String dev);

  CompletionStage<ApiModel.FaultRule> faultAdd(String dev, ApiModel.FaultRule rule);

  CompletionStage<ApiModel.Ack> faultDelete(String dev, String id);

  CompletionStage<ApiModel.Delay> delay(String dev, ApiModel.Delay delay);

  /**
   * Opens a devfs node for {@code client} (the caller's address: handles are limited per client and
   * in total, 429 beyond).
   */
  CompletionStage<ApiModel.Handle> open(String client, ApiModel.Open request);

  CompletionStage<ApiModel.Ack> close(long handle);

  CompletionStage<ApiModel.Data> read(long handle, ApiModel.Read request);

  CompletionStage<ApiModel.Ack> write(long handle, ApiModel.Write request);

  CompletionStage<ApiModel.CdbResult> cdb(long handle, ApiModel.Cdb request);

  CompletionStage<ApiModel.Stats> stats();

  CompletionStage<ApiModel.Wiring> wiring();

  CompletionStage<ApiModel.WiringEntry> wire(ApiModel.Wire request);

  CompletionStage<ApiModel.Ack> unwire(String driver, int unit);

  /** The target ports (cf. {@code ctladm port -l}). */
  default CompletionStage<ApiModel.Ports> ports() {
    throw ApiException.notFound("this node has no target ports");
  }

  /** The cluster views and moves (docs/cluster.md); empty on a node that is not a cluster node. */
  default java.util.Optional<ClusterApi> cluster() {
    return java.util.Optional.empty();
  }

  /** The iSCSI sessions (cf. {@code ctladm islist}). */
  default CompletionStage<ApiModel.IscsiSessions> iscsiSessions() {
    throw ApiException.notFound("this node has no iSCSI portal");
  }

  /** Asks one iSCSI session to log out (cf. {@code ctladm islogout}). */
  default CompletionStage<ApiModel.Ack> iscsiLogout(String session) {
    throw ApiException.notFound("this node has no iSCSI portal");
  }

  /** The SMP area (camcontrol smp* through an expander's pass device); 404 on nodes without one. */
  default SmpApi smp() {
    throw ApiException.notFound("this node has no SMP API");
  }

  /** The targ(4) area (a user program plays a target-mode LUN); 404 on nodes without one. */
  default TargApi targ() {
    throw ApiException.notFound("this node has no targ API");
  }

  /** The tape area (mt / chio over the sa and ch drivers); 404 on nodes without one. */
  default TapeApi tape() {
    throw ApiException.notFound("this node has no tape API");
  }

  /** The emulated CD/DVD drive's front panel: what it holds (cf. {@code cdcontrol status}). */
  default CompletionStage<DevicesApi.CdStatus> cdStatus(String dev) {
    throw ApiException.notFound("this node has no emulated drives");
  }

  /** Puts an ISO image in the drive (UA 06/28/00 to every initiator). */
  default CompletionStage<DevicesApi.CdStatus> cdLoad(String dev, DevicesApi.CdLoad request) {
    throw ApiException.notFound("this node has no emulated drives");
  }

  /** The drive's eject button; 409 while removal is prevented. */
  default CompletionStage<DevicesApi.CdStatus> cdEject(String dev) {
    throw ApiException.notFound("this node has no emulated drives");
  }

  /** SG_IO on an open {@code sgN} handle (the Linux sg ABI). */
  default CompletionStage<DevicesApi.SgIoReply> sgio(long handle, DevicesApi.SgIoRequest request) {
    throw ApiException.notFound("this node has no sg devices");
  }

  /** The iSCSI initiator sessions (cf. {@code iscsictl}), or null when the node has none. */
  default IscsiInitiatorApi iscsiInitiator() {
    return null;
  }
}
