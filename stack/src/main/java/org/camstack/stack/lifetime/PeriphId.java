package org.camstack.stack.lifetime;

/**
 * Names one incarnation of a peripheral: driver, unit number and the generation the driver gave it
 * when it was allocated. {@code pass3} gen 7 and {@code pass3} gen 12 are different objects: a
 * handle or event tagged with one can never be mistaken for the other.
 *
 * @param driver the driver name ({@code pass}, {@code da}, {@code ses})
 * @param unit the unit number
 * @param generation per-driver allocation counter, strictly increasing
 */
public record PeriphId(String driver, int unit, long generation) {

  public PeriphId {
    if (driver == null || driver.isEmpty() || unit < 0) {
      throw new IllegalArgumentException("bad periph id " + driver + unit);
    }
  }

  /** {@code pass3}. */
  public String name() {
    return driver + unit;
  }

  /** {@code pass3#7}, the name with its generation, for logs and violation messages. */
  @Override
  public String toString() {
    return driver + unit + "#" + generation;
  }
}
