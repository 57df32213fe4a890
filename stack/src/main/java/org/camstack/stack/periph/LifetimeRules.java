package org.camstack.stack.periph;

/**
 * Which lifetime rules a periph follows: {@link Fixed} (2012-post, commit ea37f51942) or {@link
 * Legacy} (2012-pre, which has bugs A-D). Every difference between the two is here, as one object
 * per periph instance, instead of branches in {@link PeriphBase}. cf. cam_periph.c before and after
 * the seed commit (docs/lifetime.md, "Lifetime in fixed mode" and "The bugs, as timelines").
 *
 * <p>It holds the open-reference state, since the two disciplines count opens differently.
 */
abstract sealed class LifetimeRules permits LifetimeRules.Fixed, LifetimeRules.Legacy {

  static LifetimeRules of(boolean legacy) {
    return legacy ? new Legacy() : new Fixed();
  }

  abstract boolean isLegacy();

  /**
   * A reference the periph takes for one of its own holders (ALLOC, DEVFS, CCB, TASK, PROBE).
   * cf. cam_periph_doacquire(); 2012-pre had none of them.
   */
  abstract void holdOwn(PeriphBase p, RefToken token);

  /** The release of {@link #holdOwn}. */
  abstract void dropOwn(PeriphBase p, RefToken token);

  /**
   * The end of cam_periph_invalidate(), after oninvalidate: fixed asks devfs to destroy the node
   * (with the callback) and drops ALLOC; 2012-pre frees at once when nothing is held.
   */
  abstract void afterOnInvalidate(PeriphBase p);

  /** The node was made after the periph went invalid: fixed destroys it at once. */
  abstract void nodeMadeWhileInvalid(PeriphBase p);

  /** camperiphfree() before the destructor: 2012-pre returns the unit here (bug A). */
  abstract void beforeDestructor(PeriphBase p);

  /** camperiphfree() after the destructor: 2012-post returns the unit here. */
  abstract void afterDestructor(PeriphBase p);

  /** An open that passed the validity check: take OPEN per the discipline. */
  abstract void open(PeriphBase p);

  /** A close: drop OPEN per the discipline. May free the periph. */
  abstract void close(PeriphBase p);

  /** Opens counted now. */
  abstract int openCount();

  /** cf. passdevgonecb(): no close will come any more: drop one OPEN per remaining open. */
  abstract void dropOpensAtNodeGone(PeriphBase p);

  /** 2012-post. */
  static final class Fixed extends LifetimeRules {
    private int openCount; // cf. softc->open_count

    @Override
    boolean isLegacy() {
      return false;
    }

    @Override
    void holdOwn(PeriphBase p, RefToken token) {
      p.doAcquire(token);
    }

    @Override
    void dropOwn(PeriphBase p, RefToken token) {
      p.release(token);
    }

    @Override
    void afterOnInvalidate(PeriphBase p) {
      p.requestNodeDestroy();
      p.release(RefToken.ALLOC); // cf. cam_periph_invalidate() dropping the allocation reference
    }

    @Override
    void nodeMadeWhileInvalid(PeriphBase p) {
      p.requestNodeDestroy();
    }

    @Override
    void beforeDestructor(PeriphBase p) {}

    @Override
    void afterDestructor(PeriphBase p) {
      p.unitFreed(); // destructor first, then the unit may be reused
    }

    @Override
    void open(PeriphBase p) {
      p.acquireForClient(RefToken.OPEN); // D_TRACKCLOSE: every open holds one
      openCount++;
    }

    @Override
    void close(PeriphBase p) {
      if (openCount > 0) {
        openCount--;
        p.release(RefToken.OPEN);
      }
    }

    @Override
    int openCount() {
      return openCount;
    }

    @Override
    void dropOpensAtNodeGone(PeriphBase p) {
      while (openCount > 0) {
        openCount--;
        p.release(RefToken.OPEN);
      }
    }
  }

  /** 2012-pre. */
  static final class Legacy extends LifetimeRules {
    private boolean open; // cf. PASS_FLAG_OPEN / SES_FLAG_OPEN

    @Override
    boolean isLegacy() {
      return true;
    }

    @Override
    void holdOwn(PeriphBase p, RefToken token) {}

    @Override
    void dropOwn(PeriphBase p, RefToken token) {}

    @Override
    void afterOnInvalidate(PeriphBase p) {
      p.maybeFree(); // cf. 2012-pre cam_periph_invalidate(): if refcount == 0, camperiphfree()
    }

    @Override
    void nodeMadeWhileInvalid(PeriphBase p) {}

    @Override
    void beforeDestructor(PeriphBase p) {
      p.unitFreed(); // TAILQ_REMOVE before the destructor: the unit is reusable now
    }

    @Override
    void afterDestructor(PeriphBase p) {}

    @Override
    void open(PeriphBase p) {
      if (!open) { // the first opener keeps the reference
        open = true;
        p.acquireForClient(RefToken.OPEN);
      }
    }

    @Override
    void close(PeriphBase p) {
      if (open) { // no D_TRACKCLOSE: this is the last close
        open = false;
        p.release(RefToken.OPEN);
      }
    }

    @Override
    int openCount() {
      return open ? 1 : 0;
    }

    @Override
    void dropOpensAtNodeGone(PeriphBase p) {}
  }
}
