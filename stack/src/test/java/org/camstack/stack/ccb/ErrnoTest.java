package org.camstack.stack.ccb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.camstack.stack.scsi.Recovery;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The one errno enum of the stack: FreeBSD's numbers, both for devfs and for CAM's recovery. */
class ErrnoTest {

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource({
    "OK, 0",
    "EPERM, 1",
    "ENOENT, 2",
    "EIO, 5",
    "ENXIO, 6",
    "EBADF, 9",
    "EDEADLK, 11",
    "ENOMEM, 12",
    "EACCES, 13",
    "EBUSY, 16",
    "EEXIST, 17",
    "ENODEV, 19",
    "EINVAL, 22",
    "ENOTTY, 25",
    "ENOSPC, 28",
    "EOPNOTSUPP, 45",
    "ETIMEDOUT, 60",
    "ENAMETOOLONG, 63",
    "ERESTART, -1",
    "EJUSTRETURN, -2",
  })
  void freeBsdNumbers(Errno e, int number) {
    assertEquals(number, e.number());
    assertEquals(e, Errno.fromNumber(number));
  }

  @Test
  void okIsTheOnlySuccess() {
    assertTrue(Errno.OK.isOk());
    for (Errno e : Errno.values()) {
      assertEquals(e == Errno.OK, e.isOk(), e.name());
    }
    assertEquals("OK (No error: 0)", Errno.OK.describe());
    assertFalse(Errno.EIO.isOk());
  }

  @Test
  void numbersAreUniqueAndUnknownOnesAreRefused() {
    Set<Integer> numbers = new HashSet<>();
    for (Errno e : Errno.values()) {
      assertTrue(numbers.add(e.number()), "duplicate errno " + e);
      assertFalse(e.strerror().isEmpty(), e.name());
    }
    assertThrows(IllegalArgumentException.class, () -> Errno.fromNumber(9999));
  }

  @Test
  void aFailureNeverCarriesOk() {
    assertEquals(Errno.EIO, new Recovery.Fail(Errno.EIO, null).errno());
    assertThrows(IllegalArgumentException.class, () -> new Recovery.Fail(Errno.OK, null));
    assertThrows(IllegalArgumentException.class, () -> new Recovery.Fail(null, null));
  }
}
