package org.camstack.stack.ccb;

/**
 * The errno values of the whole stack, with FreeBSD's numbers and {@code strerror()} texts: what
 * CAM's error recovery decides ({@code cam_periph_error()}), what a periph's open/strategy/ioctl
 * and devfs return to user space. One enum for every layer; it lives in the bottom package so that
 * devfs and the SCSI layers share it without seeing each other. cf. sys/sys/errno.h and
 * lib/libc/gen/errlst.c.
 *
 * <p>{@link #OK} stands for a successful call (errno 0).
 *
 * <p>{@link #ERESTART} and {@link #EJUSTRETURN} are kernel-internal (negative) values: {@code
 * cam_periph_error()} returns ERESTART to say "the CCB was re-queued".
 */
public enum Errno {
  OK(0, "No error: 0"),
  EPERM(1, "Operation not permitted"),
  ENOENT(2, "No such file or directory"),
  ESRCH(3, "No such process"),
  EINTR(4, "Interrupted system call"),
  EIO(5, "Input/output error"),
  ENXIO(6, "Device not configured"),
  E2BIG(7, "Argument list too long"),
  ENOEXEC(8, "Exec format error"),
  EBADF(9, "Bad file descriptor"),
  ECHILD(10, "No child processes"),
  EDEADLK(11, "Resource deadlock avoided"),
  ENOMEM(12, "Cannot allocate memory"),
  EACCES(13, "Permission denied"),
  EFAULT(14, "Bad address"),
  ENOTBLK(15, "Block device required"),
  EBUSY(16, "Device busy"),
  EEXIST(17, "File exists"),
  EXDEV(18, "Cross-device link"),
  ENODEV(19, "Operation not supported by device"),
  ENOTDIR(20, "Not a directory"),
  EISDIR(21, "Is a directory"),
  EINVAL(22, "Invalid argument"),
  ENFILE(23, "Too many open files in system"),
  EMFILE(24, "Too many open files"),
  ENOTTY(25, "Inappropriate ioctl for device"),
  ETXTBSY(26, "Text file busy"),
  EFBIG(27, "File too large"),
  ENOSPC(28, "No space left on device"),
  ESPIPE(29, "Illegal seek"),
  EROFS(30, "Read-only file system"),
  EMLINK(31, "Too many links"),
  EPIPE(32, "Broken pipe"),
  EDOM(33, "Numerical argument out of domain"),
  ERANGE(34, "Result too large"),
  EAGAIN(35, "Resource temporarily unavailable"),
  EINPROGRESS(36, "Operation now in progress"),
  EALREADY(37, "Operation already in progress"),
  EOPNOTSUPP(45, "Operation not supported"),
  ENAMETOOLONG(63, "File name too long"),
  ETIMEDOUT(60, "Operation timed out"),
  ENOSYS(78, "Function not implemented"),
  EOVERFLOW(84, "Value too large to be stored in data type"),
  ECANCELED(85, "Operation canceled"),
  EDOOFUS(88, "Programming error"),
  EINTEGRITY(97, "Integrity check failed"),
  ERESTART(-1, "Restart system call"),
  EJUSTRETURN(-2, "Just return");

  private final int number;
  private final String text;

  Errno(int number, String text) {
    this.number = number;
    this.text = text;
  }

  /** The numeric value as in FreeBSD's errno.h ({@code EEXIST} is 17, as in "error=17" of the 2012 panic). */
  public int number() {
    return number;
  }

  /** {@code strerror()} text, e.g. "Device not configured" for ENXIO. */
  public String strerror() {
    return text;
  }

  /** The errno with this number. */
  public static Errno fromNumber(int number) {
    for (Errno e : values()) {
      if (e.number == number) {
        return e;
      }
    }
    throw new IllegalArgumentException("unknown errno " + number);
  }

  /** True for {@link #OK}, the successful call. */
  public boolean isOk() {
    return this == OK;
  }

  /** {@code ENXIO (Device not configured)}. */
  public String describe() {
    return name() + " (" + text + ")";
  }
}
