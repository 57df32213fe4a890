package org.camstack.stack.devfs;

/**
 * The errno values a device call can return to user space, with FreeBSD's numbers. cf.
 * sys/sys/errno.h.
 */
public enum Errno {
  OK(0),
  EPERM(1),
  ENOENT(2),
  EIO(5),
  ENXIO(6),
  EBADF(9),
  ENOMEM(12),
  EACCES(13),
  EBUSY(16),
  EEXIST(17),
  ENODEV(19),
  EINVAL(22),
  ENOSPC(28),
  ENOTTY(25),
  ERESTART(-1),
  ETIMEDOUT(60),
  ENAMETOOLONG(63),
  EOPNOTSUPP(45),
  EDEADLK(11);

  private final int value;

  Errno(int value) {
    this.value = value;
  }

  /** FreeBSD's numeric value ({@code EEXIST} is 17, as in "error=17" of the 2012 panic). */
  public int value() {
    return value;
  }

  public boolean isOk() {
    return this == OK;
  }
}
