#!/usr/bin/env bash
# bench/quiet-run.sh: every row of the speed table (docs/benchmarks.md, issue 15) in one go, on a
# quiet machine, printed as a markdown table (and kept as JSON under $OUT).
#
#   bench/quiet-run.sh                 # JDK from JAVA_HOME (or java on PATH), then the io rows
#                                      # again on the newest JDK under /usr/lib/jvm if it differs
#   JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 bench/quiet-run.sh --one-jdk
#   bench/quiet-run.sh --fast          # --duration 1s --warmup 0.5s --repeat 1: a dry run (~3 min)
#
# About 20 minutes with the second JDK, 14 without (--one-jdk). Every io row is
# `bench io --duration 3s --warmup 1s --repeat 3` (medians, stacks interleaved), the lifecycle row
# `bench lifecycle --duration 10s --warmup 60s --repeat 3` (its JIT warm-up is long); the table's
# command column is exactly what ran. A run whose 1-minute load average at its start was above 1.5
# is flagged "busy" in the last column: do not publish its figures. Before every row the script
# waits (up to SETTLE_MAX seconds, default 120) for the 1-minute load average to fall below
# SETTLE_LOAD (default 1.2), because the previous row's own load stays in that average for a minute.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${OUT:-$ROOT/target/quiet-run}"
TIMING=(--duration 3s --warmup 1s --repeat 3)
FAST=0
SECOND=1
for a in "$@"; do
  case "$a" in
    --one-jdk) SECOND=0 ;;
    --fast) TIMING=(--duration 1s --warmup 0.5s --repeat 1); FAST=1 ;;
    -h|--help) sed -n 2,17p "$0"; exit 0 ;;
    *) echo "quiet-run: unknown option $a" >&2; exit 2 ;;
  esac
done
command -v jq >/dev/null || { echo "quiet-run: needs jq" >&2; exit 2; }
mkdir -p "$OUT"

java_of() { "${1:+$1/bin/}java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.version = //p'; }
newest_jdk() { ls -d /usr/lib/jvm/*/ 2>/dev/null | while read -r d; do
    v="$("$d/bin/java" -version 2>&1 | sed -n '1s/.*version "\([0-9]*\).*/\1/p')"; [ -n "$v" ] && echo "$v ${d%/}"; done \
  | sort -n | tail -1 | cut -d' ' -f2; }

# bench JSON: the "actor", "direct-1t" and "kernel-lock" rows of results
fig() { jq -r --arg n "$2" --arg k "$3" '.results[] | select(.name == $n) | .[$k] // empty' "$1"; }
num() { awk -v v="$1" -v s="${2:-1}" -v d="${3:-0}" 'BEGIN { if (v == "") print "–"; else printf "%.*f", d, v / s }'; }
busy() { jq -r 'if .environment.quietAtStart == false then "busy (" + (.environment.loadAverageAtStart * 100 | round / 100 | tostring) + ")" else "ok (" + ((.environment.loadAverageAtStart // 0) * 100 | round / 100 | tostring) + ")" end' "$1"; }

ROWS=()
row() { ROWS+=("$1"); }

SETTLE_LOAD="${SETTLE_LOAD:-1.2}"
SETTLE_MAX="${SETTLE_MAX:-120}"
settle() {
  local waited=0 load
  while :; do
    load="$(cut -d' ' -f1 /proc/loadavg)"
    awk -v l="$load" -v t="$SETTLE_LOAD" 'BEGIN { exit !(l < t) }' && break
    [ "$waited" -ge "$SETTLE_MAX" ] && { echo "quiet-run: load $load still >= $SETTLE_LOAD after ${waited}s" >&2; break; }
    sleep 5; waited=$((waited + 5))
  done
}

# io_row LABEL FLOOR GOAL METRIC ARGS...: METRIC iops (in M) or lat (p50 / p99 us)
io_row() {
  local label="$1" floor="$2" goal="$3" metric="$4" tag; shift 4
  tag="$(echo "$JDK-$label" | tr -c 'A-Za-z0-9.-' '_')"
  local json="$OUT/$tag.json"
  local cmd=(bench io "${TIMING[@]}" "$@")
  settle
  echo "quiet-run: [$JDK] ${cmd[*]}" >&2
  JAVA_HOME="$JH" "$ROOT/camstack" "${cmd[@]}" --quiet --json "$json" >"$OUT/$tag.txt" 2>&1 || {
    row "| $label | $JDK | \`${cmd[*]}\` | FAILED (see $OUT/$tag.txt) | | | | $floor | $goal | | |"; return; }
  local a d k ra rk
  if [ "$metric" = lat ]; then
    a="$(num "$(fig "$json" actor p50us)" 1 1) / $(num "$(fig "$json" actor p99us)" 1 1) µs"
    d="$(num "$(fig "$json" direct-1t p50us)" 1 1) / $(num "$(fig "$json" direct-1t p99us)" 1 1) µs"
    k="$(num "$(fig "$json" kernel-lock p50us)" 1 1) / $(num "$(fig "$json" kernel-lock p99us)" 1 1) µs"
  else
    a="$(num "$(fig "$json" actor iops)" 1e6 2) M"
    d="$(num "$(fig "$json" direct-1t iops)" 1e6 2) M"
    k="$(num "$(fig "$json" kernel-lock iops)" 1e6 2) M"
    [ "$d" = "– M" ] && d="–"
    [ "$k" = "– M" ] && k="–"
  fi
  ra="$(num "$(fig "$json" direct-1t ratio)" 1 2)"
  rk="$(num "$(fig "$json" kernel-lock ratio)" 1 2)"
  row "| $label | $JDK | \`${cmd[*]}\` | $a | $d | $k | $ra / $rk | $floor | $goal | $(num "$(fig "$json" actor allocBytesPerIo)") | $(busy "$json") |"
}

io_rows() {
  io_row "4 KiB rand read, 8 LUNs QD32, transport" "1.6 M" "2.5 M" iops --luns 8 --qd 32
  io_row "same, da strategy path" "1.6 M" "2.5 M" iops --luns 8 --qd 32 --periph da
  io_row "4 KiB, 1 LUN QD32, transport" "0.8 M" "1.2 M" iops --luns 1 --qd 32
  io_row "4 KiB, 1 LUN QD32, da path" "0.8 M" "1.2 M" iops --luns 1 --qd 32 --periph da
  io_row "QD1 p50 / p99, transport" "2 / 10 µs" "1 / 5 µs" lat --luns 1 --qd 1
  io_row "null store, 8 LUNs QD32" "5 M" "10 M" iops --luns 8 --qd 32 --store null
}

dispatcher_rows() {
  for d in fork-join affinity pinned-groups; do
    io_row "1 LUN QD32 transport, --dispatcher $d" "0.8 M" "1.2 M" iops --luns 1 --qd 32 --dispatcher "$d" --no-baselines
    io_row "1 LUN QD32 da, --dispatcher $d" "0.8 M" "1.2 M" iops --luns 1 --qd 32 --periph da --dispatcher "$d" --no-baselines
    io_row "8 LUNs QD32 transport, --dispatcher $d" "1.6 M" "2.5 M" iops --luns 8 --qd 32 --dispatcher "$d" --no-baselines
  done
}

persist_rows() {
  # the lifecycle's JIT warm-up takes about a minute on 2 cores (docs/benchmarks.md, "Lifecycle"):
  # one 60 s warm-up, then three measured runs in the same JVM; the row gives their median
  local json="$OUT/$JDK-lifecycle.json" cmd=(bench lifecycle --duration 10s --warmup 60s --repeat 3)
  [ "$FAST" = 1 ] && cmd=(bench lifecycle --duration 1s --warmup 0.5s --repeat 1)
  settle
  echo "quiet-run: [$JDK] ${cmd[*]}" >&2
  if JAVA_HOME="$JH" "$ROOT/camstack" "${cmd[@]}" --quiet --json "$json" >"$OUT/$JDK-lifecycle.txt" 2>&1; then
    local med dropped jit
    med="$(jq -r '[.results[].cyclesPerSec] | sort | .[(length / 2 | floor)]' "$json")"
    dropped="$(jq -r '[.results[].dropped] | add' "$json")"
    jit="$(jq -r '[.results[].jitCoreShare] | max * 100 | round' "$json")"
    row "| lifecycle (plug, probe, attach pass+da, pull, detach), H2 | $JDK | \`${cmd[*]}\` | $(num "$med") cycles/s, median ($(num "$(jq -r '.results[0].lifetimeEvents / .results[0].cycles' "$json")" 1 1) events/cycle, $(num "$(jq -r '.results[0].journalWritesPerCycle' "$json")" 1 2) journal writes/cycle, $dropped dropped, JIT ≤ $jit % of a core) | – | – | – | 2,000 | 5,000 | | $(busy "$json") |"
  else
    row "| lifecycle, H2 | $JDK | \`${cmd[*]}\` | FAILED (see $OUT/$JDK-lifecycle.txt) | | | | 2,000 | 5,000 | | |"
  fi
  # recovery: the histories are written to an H2 file by the first command (which also times the
  # per-entity path and a bulk read in the writing JVM); the second recovers them in a JVM that
  # wrote nothing, as cold as a node start: its bulk read is the row's figure
  local jdb="$OUT/$JDK-recovery-h2"
  rm -rf "$jdb"
  local jopt=(--journal "jdbc:h2:file:$jdb/journal" --journal-password quiet)
  json="$OUT/$JDK-recovery.json"; cmd=(bench recovery --devices 10000)
  local jcold="$OUT/$JDK-recovery-cold.json" cold=(bench recovery --existing)
  settle
  echo "quiet-run: [$JDK] ${cmd[*]} ${jopt[*]}" >&2
  if JAVA_HOME="$JH" "$ROOT/camstack" "${cmd[@]}" "${jopt[@]}" --quiet --json "$json" >"$OUT/$JDK-recovery.txt" 2>&1 \
      && settle && echo "quiet-run: [$JDK] ${cold[*]} ${jopt[*]}" >&2 \
      && JAVA_HOME="$JH" "$ROOT/camstack" "${cold[@]}" "${jopt[@]}" --quiet --json "$jcold" >"$OUT/$JDK-recovery-cold.txt" 2>&1; then
    row "| recovery of 10,000 devices, H2, node start (bulk read, cold JVM) | $JDK | \`${cmd[*]} --journal FILE\` then \`${cold[*]} --journal FILE\` | $(num "$(jq -r '.results[0].bulkSeconds' "$jcold")" 1 2) s ($(jq -r '.results[0].bulkRecovered' "$jcold") recovered, $(num "$(jq -r '.results[0].bulkCpuSeconds' "$jcold")" 1 2) s CPU; same read warm: $(num "$(jq -r '.results[0].bulkWarmSeconds' "$jcold")" 1 2) s; per entity: $(num "$(jq -r '.results[0].recoverSeconds' "$json")" 1 2) s) | – | – | – | 3 s | 1 s | | $(busy "$jcold") |"
  else
    row "| recovery of 10,000 devices, H2 | $JDK | \`${cmd[*]}\` | FAILED (see $OUT/$JDK-recovery*.txt) | | | | 3 s | 1 s | | |"
  fi
}

start=$(date +%s)
JH="${JAVA_HOME:-}"
JDK="$(java_of "$JH")"
JAVA_HOME="$JH" "$ROOT/camstack" bench --help >/dev/null 2>&1 || true # builds once if sources changed
io_rows
dispatcher_rows
persist_rows
if [ "$SECOND" = 1 ]; then
  NJ="$(newest_jdk)"
  if [ -n "$NJ" ] && [ "$(java_of "$NJ")" != "$JDK" ]; then
    JH="$NJ"; JDK="$(java_of "$NJ")"
    io_rows
  fi
fi

echo
echo "Measured $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(( ($(date +%s) - start) / 60 )) min; figures are medians of the runs."
echo
echo "| metric | JDK | command | camstack | direct-1t | kernel-lock | ratio to direct-1t / kernel-lock | floor | goal | B/IO (camstack) | load at start |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for r in "${ROWS[@]}"; do echo "$r"; done
echo
echo "JSON and text output of every run: $OUT"
