package org.camstack.stack.node;

import static org.camstack.stack.node.NodeCcbs.guard;

import java.util.concurrent.CompletionStage;

/**
 * The wiring area of the management API: which unit number a device gets (journal-backed, see
 * {@link JournalWiring}).
 */
final class WiringApi {
  private final NodeCcbs ccbs;
  private final WiringControl wiring;

  WiringApi(NodeCcbs ccbs, WiringControl wiring) {
    this.ccbs = ccbs;
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
