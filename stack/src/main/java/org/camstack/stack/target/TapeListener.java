package org.camstack.stack.target;

/**
 * What an {@link EmuTape} tells its library: the logical position moved (a command read, wrote,
 * spaced, located or rewound) or the block length changed. Called with the drive's lock held: record a value, never call back
 * into the drive.
 */
@FunctionalInterface
public interface TapeListener {

  /** Nobody listens. */
  TapeListener NONE = (drive, position) -> {};

  /** {@code drive}'s logical object number is now {@code position}. */
  void positionChanged(EmuTape drive, int position);

  /** {@code drive}'s block length is now {@code length} (MODE SELECT; 0 is variable). */
  default void blockLengthChanged(EmuTape drive, int length) {}
}
