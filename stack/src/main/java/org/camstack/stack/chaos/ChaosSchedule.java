package org.camstack.stack.chaos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A chaos schedule: the seed and the operations of every cycle, which is all a deterministic run
 * needs to be rerun exactly (the scheduler's picks and the virtual clock follow from the seed and
 * the operations). {@code --record FILE} writes one, {@code --replay FILE} reruns it, {@code
 * --shrink} cuts it down. Operations are stored as the raw choices the generator made (a client's
 * file slot, a roll), not as resolved references, so a shrunk schedule still means something: an
 * operation whose file or target is not there any more is skipped.
 *
 * <p>The file is line-based text: a header ({@code seed}, {@code clients}, {@code legacy}, {@code
 * settle-every}, optionally the {@code summary} the recording run printed), then {@code cycle N}
 * lines each followed by its operations, one per line ({@link Op#format()}).
 *
 * @param summary the summary line of the run that recorded it ("" when unknown)
 */
public record ChaosSchedule(long seed, int clients, boolean legacy, int settleEvery, List<Cycle> cycles, String summary) {

  public ChaosSchedule {
    cycles = List.copyOf(cycles);
    summary = summary == null ? "" : summary;
  }

  /** One cycle: its number in the recording run and its operations, launched all at once. */
  public record Cycle(int number, List<Op> ops) {
    public Cycle {
      ops = List.copyOf(ops);
    }
  }

  /** One operation of a cycle. */
  public sealed interface Op {
    /** The line in the schedule file. */
    String format();

    /** The verb ops are counted by ({@code open}, {@code io}, ...). */
    default String verb() {
      return format().split(" ")[0];
    }
  }

  /** Client {@code client} opens {@code name} read-write ("-": there was nothing to open). */
  public record Open(int client, String name) implements Op {
    @Override
    public String format() {
      return "open " + client + " " + name;
    }
  }

  /**
   * Client {@code client} does I/O on its open file number {@code slot}: what (read, write, flush,
   * delete; an enclosure status page or element; a pass TEST UNIT READY) depends on the file's
   * driver and {@code roll}; {@code block}, {@code element}, {@code flag} and {@code data} (the
   * written bytes' seed) are its arguments.
   */
  public record Io(int client, int slot, int roll, int block, int element, boolean flag, long data) implements Op {
    @Override
    public String format() {
      return "io " + client + " " + slot + " " + roll + " " + block + " " + element + " " + flag + " " + data;
    }
  }

  /** Client {@code client} closes its open file number {@code slot}. */
  public record Close(int client, int slot) implements Op {
    @Override
    public String format() {
      return "close " + client + " " + slot;
    }
  }

  /** The nemesis pulls target {@code target} of bus {@code bus} (EmuSim.RemoveTarget). */
  public record Unplug(int bus, int target) implements Op {
    @Override
    public String format() {
      return "unplug " + bus + " " + target;
    }
  }

  /** The nemesis plugs a pulled target back in, same LUNs (EmuSim.AddTarget). */
  public record Replug(int bus, int target) implements Op {
    @Override
    public String format() {
      return "replug " + bus + " " + target;
    }
  }

  /** XPT_SCAN_BUS of bus {@code bus}. */
  public record Rescan(int bus) implements Op {
    @Override
    public String format() {
      return "rescan " + bus;
    }
  }

  /** A bus reset (EmuSim.ResetBus). */
  public record Reset(int bus) implements Op {
    @Override
    public String format() {
      return "reset " + bus;
    }
  }

  /**
   * An external acquire (then release) of one of {@code driver}'s units: the one at {@code roll}
   * modulo the number of units the driver lists at that moment.
   */
  public record Acquire(String driver, int roll) implements Op {
    @Override
    public String format() {
      return "acquire " + driver + " " + roll;
    }
  }

  /**
   * {@code chaos --iscsi}: the network nemesis cuts every TCP connection between the initiator SIM
   * and the portal (the TCP proxy); the SIM reconnects at once (a blip).
   */
  public record NetDrop() implements Op {
    @Override
    public String format() {
      return "netdrop";
    }
  }

  /** {@code chaos --iscsi}: the portal becomes unreachable (connections cut, new ones refused). */
  public record NetDown() implements Op {
    @Override
    public String format() {
      return "netdown";
    }
  }

  /** {@code chaos --iscsi}: the portal is reachable again. */
  public record NetUp() implements Op {
    @Override
    public String format() {
      return "netup";
    }
  }

  /** {@code chaos --iscsi}: LUN {@code lun} is pulled on the target side (EmuTarget.removeLun). */
  public record LunPull(int lun) implements Op {
    @Override
    public String format() {
      return "lunpull " + lun;
    }
  }

  /** {@code chaos --iscsi}: a pulled LUN is plugged back on the target side (EmuTarget.addLun). */
  public record LunPlug(int lun) implements Op {
    @Override
    public String format() {
      return "lunplug " + lun;
    }
  }

  /** How many operations in all. */
  public int opCount() {
    int n = 0;
    for (Cycle c : cycles) {
      n += c.ops().size();
    }
    return n;
  }

  public ChaosSchedule withCycles(List<Cycle> newCycles) {
    return new ChaosSchedule(seed, clients, legacy, settleEvery, newCycles, "");
  }

  public ChaosSchedule withSummary(String s) {
    return new ChaosSchedule(seed, clients, legacy, settleEvery, cycles, s);
  }

  /** The file's text. */
  public String format() {
    StringBuilder sb = new StringBuilder("# camstack chaos schedule; rerun with ./camstack chaos --replay FILE\n");
    sb.append("seed ").append(seed).append('\n');
    sb.append("clients ").append(clients).append('\n');
    sb.append("legacy ").append(legacy).append('\n');
    sb.append("settle-every ").append(settleEvery).append('\n');
    if (!summary.isEmpty()) {
      sb.append("summary ").append(summary).append('\n');
    }
    for (Cycle c : cycles) {
      sb.append("cycle ").append(c.number()).append('\n');
      for (Op op : c.ops()) {
        sb.append("  ").append(op.format()).append('\n');
      }
    }
    return sb.toString();
  }

  public void write(Path file) throws IOException {
    Files.writeString(file, format(), StandardCharsets.UTF_8);
  }

  public static ChaosSchedule read(Path file) throws IOException {
    return parse(Files.readString(file, StandardCharsets.UTF_8));
  }

  /**
   * Parses {@link #format()}'s text.
   *
   * @throws IllegalArgumentException naming the line that is not understood
   */
  public static ChaosSchedule parse(String text) {
    long seed = 0;
    int clients = 4;
    boolean legacy = false;
    int settleEvery = 250;
    String summary = "";
    List<Cycle> cycles = new ArrayList<>();
    int number = -1;
    List<Op> ops = new ArrayList<>();
    int lineNo = 0;
    for (String raw : text.split("\n")) {
      lineNo++;
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] w = line.split(" ");
      try {
        switch (w[0]) {
          case "seed" -> seed = Long.parseLong(w[1]);
          case "clients" -> clients = Integer.parseInt(w[1]);
          case "legacy" -> legacy = Boolean.parseBoolean(w[1]);
          case "settle-every" -> settleEvery = Integer.parseInt(w[1]);
          case "summary" -> summary = line.substring("summary ".length());
          case "cycle" -> {
            if (number >= 0) {
              cycles.add(new Cycle(number, ops));
            }
            number = Integer.parseInt(w[1]);
            ops = new ArrayList<>();
          }
          default -> {
            if (number < 0) {
              throw new IllegalArgumentException("operation before the first cycle");
            }
            ops.add(parseOp(w));
          }
        }
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("schedule line " + lineNo + " (" + line + "): " + e.getMessage(), e);
      }
    }
    if (number >= 0) {
      cycles.add(new Cycle(number, ops));
    }
    return new ChaosSchedule(seed, clients, legacy, settleEvery, cycles, summary);
  }

  private static Op parseOp(String[] w) {
    return switch (w[0]) {
      case "open" -> new Open(Integer.parseInt(w[1]), w[2]);
      case "io" ->
          new Io(
              Integer.parseInt(w[1]),
              Integer.parseInt(w[2]),
              Integer.parseInt(w[3]),
              Integer.parseInt(w[4]),
              Integer.parseInt(w[5]),
              Boolean.parseBoolean(w[6]),
              Long.parseLong(w[7]));
      case "close" -> new Close(Integer.parseInt(w[1]), Integer.parseInt(w[2]));
      case "unplug" -> new Unplug(Integer.parseInt(w[1]), Integer.parseInt(w[2]));
      case "replug" -> new Replug(Integer.parseInt(w[1]), Integer.parseInt(w[2]));
      case "rescan" -> new Rescan(Integer.parseInt(w[1]));
      case "reset" -> new Reset(Integer.parseInt(w[1]));
      case "acquire" -> new Acquire(w[1], Integer.parseInt(w[2]));
      case "netdrop" -> new NetDrop();
      case "netdown" -> new NetDown();
      case "netup" -> new NetUp();
      case "lunpull" -> new LunPull(Integer.parseInt(w[1]));
      case "lunplug" -> new LunPlug(Integer.parseInt(w[1]));
      default -> throw new IllegalArgumentException("unknown operation " + w[0]);
    };
  }
}
