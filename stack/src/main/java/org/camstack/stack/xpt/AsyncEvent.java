package org.camstack.stack.xpt;

import org.apache.pekko.actor.typed.ActorRef;
import org.camstack.stack.ccb.AsyncCode;
import org.camstack.stack.ccb.CamPath;
import org.camstack.stack.ccb.Ccb;
import org.camstack.stack.ccb.DeviceInfo;

/**
 * An asynchronous event delivered to subscribers registered with {@link Xpt.RegisterAsync} for a
 * (wildcard) path covering {@link #path()}. One record per {@code AC_*} code, each with a typed
 * payload instead of {@code void *arg}.
 *
 * <p>cf. {@code xpt_async(code, path, arg)} in sys/cam/cam_xpt.c.
 */
public sealed interface AsyncEvent {

  CamPath path();

  AsyncCode code();

  /**
   * AC_FOUND_DEVICE: the probe configured a device. {@code device} is the device queue the periph
   * sends its CCBs to directly (the hot path never passes through the {@link Xpt} actor).
   */
  record FoundDevice(CamPath path, DeviceInfo info, ActorRef<XptDevice.Command> device)
      implements AsyncEvent {
    public AsyncCode code() {
      return AsyncCode.AC_FOUND_DEVICE;
    }
  }

  /** AC_LOST_DEVICE: the device (or, with a wildcard path, every device below it) is gone. */
  record LostDevice(CamPath path) implements AsyncEvent {
    public AsyncCode code() {
      return AsyncCode.AC_LOST_DEVICE;
    }
  }

  /** AC_PATH_REGISTERED: a bus was registered (replayed to late subscribers). */
  record PathRegistered(CamPath path, Ccb.PathInqResult cpi) implements AsyncEvent {
    public AsyncCode code() {
      return AsyncCode.AC_PATH_REGISTERED;
    }
  }

  /** AC_PATH_DEREGISTERED: a bus went away. */
  record PathDeregistered(CamPath path) implements AsyncEvent {
    public AsyncCode code() {
      return AsyncCode.AC_PATH_DEREGISTERED;
    }
  }

  /** AC_BUS_RESET. */
  record BusReset(CamPath path) implements AsyncEvent {
    public AsyncCode code() {
      return AsyncCode.AC_BUS_RESET;
    }
  }

  /** AC_SENT_BDR: a bus device reset was sent to the target. */
  record SentBdr(CamPath path) implements AsyncEvent {
    public AsyncCode code() {
      return AsyncCode.AC_SENT_BDR;
    }
  }

  /** AC_UNIT_ATTENTION: a CCB completed with a unit attention (e.g. 2A/09 capacity changed). */
  record UnitAttention(CamPath path, int asc, int ascq) implements AsyncEvent {
    public AsyncCode code() {
      return AsyncCode.AC_UNIT_ATTENTION;
    }
  }

  /** AC_INQ_CHANGED: inquiry data changed; the XPT re-probes without announcing. */
  record InqChanged(CamPath path) implements AsyncEvent {
    public AsyncCode code() {
      return AsyncCode.AC_INQ_CHANGED;
    }
  }

  /** AC_GETDEV_CHANGED: the device's GDEV_TYPE data changed. */
  record GetDevChanged(CamPath path) implements AsyncEvent {
    public AsyncCode code() {
      return AsyncCode.AC_GETDEV_CHANGED;
    }
  }

  /** AC_TRANSFER_NEG: new transfer settings. */
  record TransferNeg(CamPath path, Ccb.TranSettings settings) implements AsyncEvent {
    public AsyncCode code() {
      return AsyncCode.AC_TRANSFER_NEG;
    }
  }

  /** AC_ADVINFO_CHANGED: advanced info (e.g. the physical path) of the device changed. */
  record AdvInfoChanged(CamPath path, Ccb.AdvInfoType type) implements AsyncEvent {
    public AsyncCode code() {
      return AsyncCode.AC_ADVINFO_CHANGED;
    }
  }

  /** AC_SCSI_AEN: asynchronous event notification from the device. */
  record ScsiAen(CamPath path) implements AsyncEvent {
    public AsyncCode code() {
      return AsyncCode.AC_SCSI_AEN;
    }
  }

  /** AC_UNSOL_RESEL. */
  record UnsolResel(CamPath path) implements AsyncEvent {
    public AsyncCode code() {
      return AsyncCode.AC_UNSOL_RESEL;
    }
  }

  /** AC_CONTRACT: a contract (e.g. a physical path update) from the SIM. */
  record Contract(CamPath path, String contract) implements AsyncEvent {
    public AsyncCode code() {
      return AsyncCode.AC_CONTRACT;
    }
  }
}
