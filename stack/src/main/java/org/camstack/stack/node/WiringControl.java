package org.camstack.stack.node;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.DeviceInfo;

/**
 * Unit wiring as the management API sees it: which device identity holds which {@code driver}
 * unit, and explicit {@code wire} / {@code unwire} (cf. {@code hint.da.3.target} hints, kept in
 * the journal so that units survive restarts).
 */
public interface WiringControl {

  CompletionStage<ApiModel.Wiring> list();

  /** Wires {@code driver}{@code unit} to the device at {@code path}; effective at its next attach. */
  CompletionStage<ApiModel.WiringEntry> wire(String driver, int unit, CamPath path, DeviceInfo info);

  CompletionStage<ApiModel.Ack> unwire(String driver, int unit);

  /** No wiring store: the verbs answer 503. */
  WiringControl NONE =
      new WiringControl() {
        @Override
        public CompletionStage<ApiModel.Wiring> list() {
          return CompletableFuture.failedFuture(ApiException.unavailable("this node keeps no wiring"));
        }

        @Override
        public CompletionStage<ApiModel.WiringEntry> wire(String driver, int unit, CamPath path, DeviceInfo info) {
          return CompletableFuture.failedFuture(ApiException.unavailable("this node keeps no wiring"));
        }

        @Override
        public CompletionStage<ApiModel.Ack> unwire(String driver, int unit) {
          return CompletableFuture.failedFuture(ApiException.unavailable("this node keeps no wiring"));
        }
      };
}
