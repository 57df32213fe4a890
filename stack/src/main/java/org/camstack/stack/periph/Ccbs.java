package org.camstack.stack.periph;

import org.camstack.stack.ccb.Ccb;

/** Helpers for periph drivers that handle CCBs built elsewhere (pass(4)'s user CCBs). */
public final class Ccbs {
  private Ccbs() {}

  /**
   * The same CCB with another header: the periph's own id, path and completion address. cf. {@code
   * xpt_merge_ccb()} + {@code xpt_setup_ccb()} in passsendccb(). Returns null for function codes a
   * periph can never send (those are XPT-only, refused before this is called).
   */
  public static Ccb withHeader(Ccb ccb, Ccb.Header h) {
    if (ccb instanceof Ccb.ScsiIo s) {
      return new Ccb.ScsiIo(h, s.cdb(), s.dataOut(), s.dxferLen(), s.initiatorId());
    } else if (ccb instanceof Ccb.SmpIo s) {
      return new Ccb.SmpIo(h, s.request(), s.responseLen());
    } else if (ccb instanceof Ccb.Noop) {
      return new Ccb.Noop(h);
    } else if (ccb instanceof Ccb.GetDevType) {
      return new Ccb.GetDevType(h);
    } else if (ccb instanceof Ccb.GetDevList g) {
      return new Ccb.GetDevList(h, g.index(), g.generation());
    } else if (ccb instanceof Ccb.PathInq) {
      return new Ccb.PathInq(h);
    } else if (ccb instanceof Ccb.RelSimQ r) {
      return new Ccb.RelSimQ(h, r.releaseFlags(), r.openings(), r.releaseTimeoutMs(), r.count());
    } else if (ccb instanceof Ccb.Abort a) {
      return new Ccb.Abort(h, a.abortCcbId());
    } else if (ccb instanceof Ccb.ResetDev) {
      return new Ccb.ResetDev(h);
    } else if (ccb instanceof Ccb.GetTranSettings) {
      return new Ccb.GetTranSettings(h);
    } else if (ccb instanceof Ccb.SetTranSettings t) {
      return new Ccb.SetTranSettings(h, t.settings());
    } else if (ccb instanceof Ccb.DevAdvInfo d) {
      return new Ccb.DevAdvInfo(h, d.type(), d.setData());
    } else if (ccb instanceof Ccb.PathStats) {
      return new Ccb.PathStats(h);
    } else if (ccb instanceof Ccb.GetDevStats) {
      return new Ccb.GetDevStats(h);
    }
    return null;
  }
}
