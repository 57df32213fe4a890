package org.camstack.stack.node;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * {@link NodeService} over the actors of one node. (Skeleton until the stack lands.)
 */
public final class StackNodeService implements NodeService {

  private final ActorSystem<?> system;
  private final NodeSettings settings;
  private volatile boolean ready;
  private volatile boolean stopping;

  private StackNodeService(ActorSystem<?> system, NodeSettings settings) {
    this.system = system;
    this.settings = settings;
  }

  static StackNodeService start(ActorSystem<?> system, NodeSettings settings) {
    return new StackNodeService(system, settings);
  }

  CompletionStage<Done> firstScan() {
    ready = true;
    return CompletableFuture.completedFuture(Done.getInstance());
  }

  String devlistText() {
    return "";
  }

  void markStopping() {
    stopping = true;
  }

  CompletionStage<Done> detach() {
    return CompletableFuture.completedFuture(Done.getInstance());
  }

  @Override
  public boolean ready() {
    return ready && !stopping;
  }

  @Override
  public String nodeName() {
    return NodeSettings.SYSTEM_NAME + "@" + system.address().getHost().orElse("127.0.0.1") + ":"
        + system.address().getPort().orElse(0);
  }

  private static <T> CompletionStage<T> todo() {
    return CompletableFuture.failedFuture(ApiException.unavailable("not implemented yet"));
  }

  @Override public CompletionStage<ApiModel.Topology> topology() { return CompletableFuture.completedFuture(new ApiModel.Topology(List.of())); }
  @Override public CompletionStage<ApiModel.Devlist> devlist() { return CompletableFuture.completedFuture(new ApiModel.Devlist(List.of())); }
  @Override public CompletionStage<ApiModel.PeriphList> periphlist(String dev) { return todo(); }
  @Override public CompletionStage<ApiModel.Inquiry> inquiry(String dev) { return todo(); }
  @Override public CompletionStage<ApiModel.ReadCap> readcap(String dev) { return todo(); }
  @Override public CompletionStage<ApiModel.CommandResult> tur(String dev) { return todo(); }
  @Override public CompletionStage<ApiModel.CommandResult> startStop(String dev, boolean start, boolean loadEject) { return todo(); }
  @Override public CompletionStage<ApiModel.ScanReport> rescan(String path) { return todo(); }
  @Override public CompletionStage<ApiModel.ScanReport> reset(String path) { return todo(); }
  @Override public CompletionStage<ApiModel.LunInfo> lunAdd(ApiModel.LunAdd request) { return todo(); }
  @Override public CompletionStage<ApiModel.Ack> lunRemove(String path) { return todo(); }
  @Override public CompletionStage<ApiModel.LunInfo> lunResize(String path, ApiModel.LunResize request) { return todo(); }
  @Override public CompletionStage<ApiModel.FaultList> faults(String dev) { return todo(); }
  @Override public CompletionStage<ApiModel.FaultRule> faultAdd(String dev, ApiModel.FaultRule rule) { return todo(); }
  @Override public CompletionStage<ApiModel.Ack> faultDelete(String dev, String id) { return todo(); }
  @Override public CompletionStage<ApiModel.Delay> delay(String dev, ApiModel.Delay delay) { return todo(); }
  @Override public CompletionStage<ApiModel.Handle> open(ApiModel.Open request) { return todo(); }
  @Override public CompletionStage<ApiModel.Ack> close(long handle) { return todo(); }
  @Override public CompletionStage<ApiModel.Data> read(long handle, ApiModel.Read request) { return todo(); }
  @Override public CompletionStage<ApiModel.Ack> write(long handle, ApiModel.Write request) { return todo(); }
  @Override public CompletionStage<ApiModel.CdbResult> cdb(long handle, ApiModel.Cdb request) { return todo(); }
  @Override public CompletionStage<ApiModel.Stats> stats() { return todo(); }
  @Override public CompletionStage<ApiModel.Wiring> wiring() { return todo(); }
  @Override public CompletionStage<ApiModel.WiringEntry> wire(ApiModel.Wire request) { return todo(); }
  @Override public CompletionStage<ApiModel.Ack> unwire(String driver, int unit) { return todo(); }
}
