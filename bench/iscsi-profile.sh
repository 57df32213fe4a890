#!/usr/bin/env bash
# bench/iscsi-profile.sh: what the iSCSI frontend costs per I/O, measured in a way that survives a
# busy machine: node CPU microseconds per I/O (/proc/PID/stat utime+stime over the measured run,
# divided by the I/Os iscsi-perf completed) and bytes allocated per I/O (JFR's per-thread
# allocation totals, jdk.ThreadAllocationStatistics every second, over the same window), plus the
# JFR recording itself (CPU samples every 10 ms, allocation samples) for `jfr print`.
#
# usage: bench/iscsi-profile.sh [-c CLASSES] [-t SECONDS] [-w WARMUP] [-m QD] [-o DIR] [-n] [-j OPTS] [LABEL]
#   -c  the stack's classes directory to run (default stack/target/classes): point it at a copy
#       of an older build to compare A and B; the libraries come from stack/target/classpath.txt
#   -t  measured seconds (20), -w warm-up seconds (10), -m iscsi-perf -m (32)
#   -o  where the log, node.jfr and the summary go (default: a new directory under /tmp)
#   -n  no JFR (CPU per I/O only, no allocation figure)
#   -j  more JVM options for the node (split on spaces), e.g. -j "-Dpekko.x=y -XX:+UseParallelGC"
# It starts `camstack node --iscsi-port 0` on a fresh data dir, runs libiscsi's
# `iscsi-perf -m QD -b 8 -r` (4 KiB random READ(16)) against the default topology's 1 GiB RAM disk
# (bus 0 target 0 LUN 0), then stops the node by its PID. One line of results on stdout:
#   LABEL iops=N node_cores=C cpu_us_per_io=X bytes_per_io=Y syscalls_per_io=S ctxsw_per_io=W
# (syscalls: the node's read and write system calls from /proc/PID/io; ctxsw: context switches of
# all its threads, voluntary and not; both show how well a burst is batched)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLASSES="$ROOT/stack/target/classes"
SECS=20
WARM=10
QD=32
OUT=""
USE_JFR=1
EXTRA=""
while getopts "c:t:w:m:o:nj:" opt; do
  case "$opt" in
    c) CLASSES="$OPTARG" ;;
    t) SECS="$OPTARG" ;;
    w) WARM="$OPTARG" ;;
    m) QD="$OPTARG" ;;
    o) OUT="$OPTARG" ;;
    n) USE_JFR=0 ;;
    j) EXTRA="$OPTARG" ;;
    *) sed -n '2,20p' "$0" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
LABEL="${1:-run}"
[ -n "$OUT" ] || OUT="$(mktemp -d /tmp/camstack-iscsi-profile.XXXXXX)"
mkdir -p "$OUT"
for tool in iscsi-perf iscsi-ls java; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 2; }
done
CP="$CLASSES:$(cat "$ROOT/stack/target/classpath.txt")"
read -r -a JVM <<<"$EXTRA"
if [ "$USE_JFR" = 1 ]; then
  jfr configure --input profile jdk.ThreadAllocationStatistics#period=1s jdk.ExecutionSample#period=10ms \
    --output "$OUT/profile.jfc" >/dev/null
  JVM+=("-XX:StartFlightRecording:filename=$OUT/node.jfr,settings=$OUT/profile.jfc,dumponexit=true")
fi
rm -rf "$OUT/data"
java ${JVM[@]+"${JVM[@]}"} -cp "$CP" org.camstack.stack.cli.Main node --port 0 --cluster-port 0 --iscsi-port 0 \
  --data "$OUT/data" >"$OUT/node.log" 2>&1 &
NODE=$!
stop_node() {
  if kill -0 "$NODE" 2>/dev/null; then
    kill -TERM "$NODE" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$NODE" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$NODE" 2>/dev/null || true
  fi
  wait "$NODE" 2>/dev/null || true
}
trap stop_node EXIT INT TERM

PORT=""
for _ in $(seq 240); do
  PORT="$(grep -o 'iSCSI portal listening on 127.0.0.1:[0-9]*' "$OUT/node.log" | sed 's/.*://' || true)"
  [ -n "$PORT" ] && break
  kill -0 "$NODE" 2>/dev/null || { cat "$OUT/node.log" >&2; exit 1; }
  sleep 0.5
done
[ -n "$PORT" ] || { echo "no portal line in $OUT/node.log" >&2; exit 1; }
URL=""
for _ in $(seq 100); do
  IQN="$(iscsi-ls -s "iscsi://127.0.0.1:$PORT" 2>/dev/null | sed -n 's/^Target:\(\S*\.b0\.t0\) Portal:.*/\1/p' | head -1)"
  [ -n "$IQN" ] && { URL="iscsi://127.0.0.1:$PORT/$IQN/0"; break; }
  sleep 0.2
done
[ -n "$URL" ] || { echo "no .b0.t0 target at port $PORT" >&2; exit 1; }

perf() { iscsi-perf -i iqn.2026-12.org.camstack:bench -m "$QD" -b 8 -t "$1" -r "$URL" 2>&1 | tr '\r' '\n'; }
ticks() { awk '{print $14 + $15}' "/proc/$NODE/stat"; }
# read/write system calls (/proc/PID/io) and context switches of all the node's threads
sysc() { awk '/^syscr|^syscw/ {n += $2} END {print n}' "/proc/$NODE/io"; }
ctxsw() { cat /proc/"$NODE"/task/*/status 2>/dev/null | awk '/ctxt_switches/ {n += $2} END {print n}'; }

[ "$WARM" -gt 0 ] && perf "$WARM" >"$OUT/warmup.txt"
C0="$(ticks)"
S0="$(sysc)"
X0="$(ctxsw)"
T0="$(date +%s.%N)"
perf "$SECS" >"$OUT/perf.txt"
T1="$(date +%s.%N)"
C1="$(ticks)"
S1="$(sysc)"
X1="$(ctxsw)"
echo "$T0 $T1" >"$OUT/window.txt" # the measured run, epoch seconds (to cut JFR events to it)
IOPS="$(grep -o 'iops average [0-9]*' "$OUT/perf.txt" | tail -1 | awk '{print $3}')"
stop_node
trap - EXIT INT TERM
HZ="$(getconf CLK_TCK)"

BYTES=""
if [ "$USE_JFR" = 1 ] && [ -f "$OUT/node.jfr" ]; then
  jfr print --json --events jdk.ThreadAllocationStatistics "$OUT/node.jfr" >"$OUT/alloc.json"
  # per thread: allocated at the last sample at or before T0 and at or before T1 (1 s period; the
  # window is taken between those samples' times, and the I/Os over it at the run's average rate)
  BYTES="$(python3 - "$OUT/alloc.json" "$T0" "$T1" "$IOPS" <<'EOF'
import json, sys, datetime
events = json.load(open(sys.argv[1]))["recording"]["events"]
t0, t1, iops = float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
def ts(s):
    s = s.rstrip("Z")
    main, _, frac = s.partition(".")
    base = datetime.datetime.fromisoformat(main).replace(tzinfo=datetime.timezone.utc).timestamp()
    return base + (float("0." + frac) if frac else 0.0)
samples = {}
for e in events:
    v = e["values"]
    th = v["thread"]
    key = (th or {}).get("javaThreadId") or (th or {}).get("osThreadId") or id(th)
    samples.setdefault(key, []).append((ts(v["startTime"]), v["allocated"]))
# the sampling instants inside the window (every thread is sampled at the same instants)
instants = sorted({t for s in samples.values() for t, _ in s if t0 <= t <= t1})
if len(instants) < 2:
    print("nan"); sys.exit()
a, b = instants[0], instants[-1]
total = 0
for s in samples.values():
    before_a = [x for t, x in s if t <= a + 0.05]
    before_b = [x for t, x in s if t <= b + 0.05]
    if before_b:
        total += before_b[-1] - (before_a[-1] if before_a else 0)
print("%.0f" % (total / ((b - a) * iops)))
EOF
)"
fi
python3 - "$LABEL" "$IOPS" "$C0" "$C1" "$HZ" "$T0" "$T1" "$SECS" "${BYTES:-nan}" "$((S1 - S0))" "$((X1 - X0))" <<'EOF' | tee "$OUT/summary.txt"
import sys
label, iops, c0, c1, hz, t0, t1, secs, b, sc, cs = sys.argv[1:]
iops, c0, c1, hz, t0, t1, secs = float(iops), float(c0), float(c1), float(hz), float(t0), float(t1), float(secs)
cpu = (c1 - c0) / hz
ios = iops * secs  # iscsi-perf's average over its own SECS seconds
print("%s iops=%.0f node_cores=%.2f cpu_us_per_io=%.2f bytes_per_io=%s syscalls_per_io=%.3f ctxsw_per_io=%.3f"
      % (label, iops, cpu / (t1 - t0), cpu / ios * 1e6, b, float(sc) / ios, float(cs) / ios))
EOF
echo "recording and logs: $OUT" >&2
