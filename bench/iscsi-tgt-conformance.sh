#!/usr/bin/env bash
# The reference for camstack's iSCSI conformance test: the same iscsi-test-cu invocation
# (ConformanceIscsiTestCuTest: --dataloss, SCSI and iSCSI families, two initiator names) against tgt
# (Debian 'tgt') with a 1 GiB file LUN on a free loopback port. Not part of mvn verify.
#
#   bench/iscsi-tgt-conformance.sh            compare with stack/src/test/resources/iscsi/iscsi-test-cu.tgt.expected
#   bench/iscsi-tgt-conformance.sh --update   rewrite that file from this run
#
# Raw output and one summary line per family go to bench-results/iscsi-tgt-conformance-<UTC time>/.
# tgtd runs in the foreground (-f) as our child, with its own control port (-C) so it coexists with
# other tgtd instances; it is stopped by PID on every path (trap), its LUN file removed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
UPDATE=false
[ "${1:-}" = "--update" ] && UPDATE=true

for tool in tgtd tgtadm iscsi-test-cu; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$tool not installed (apt-get install tgt libiscsi-bin)" >&2; exit 2; }
done

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=""
for _ in $(seq 1 50); do
  p=$((40000 + RANDOM % 20000))
  if port_free "$p"; then PORT=$p; break; fi
done
[ -n "$PORT" ] || { echo "no free loopback port found" >&2; exit 2; }
CTL=""
for _ in $(seq 1 50); do
  c=$((1000 + RANDOM % 30000))
  if [ ! -e "/run/tgtd/socket.$c" ] && [ ! -e "/var/run/tgtd/socket.$c" ]; then CTL=$c; break; fi
done
[ -n "$CTL" ] || { echo "no free tgtd control port found" >&2; exit 2; }

OUT="$ROOT/bench-results/iscsi-tgt-conformance-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
LUNFILE="$(mktemp "${TMPDIR:-/tmp}/camstack-tgt-ref.XXXXXX")"
IQN="iqn.2026-12.org.camstack:tgt-reference"
TGTD_PID=""

cleanup() {
  if [ -n "$TGTD_PID" ] && kill -0 "$TGTD_PID" 2>/dev/null; then
    tgtadm -C "$CTL" --mode system --op delete >/dev/null 2>&1 || true
    for _ in $(seq 1 50); do kill -0 "$TGTD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -TERM "$TGTD_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$TGTD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$TGTD_PID" 2>/dev/null || true
    wait "$TGTD_PID" 2>/dev/null || true
  fi
  rm -f "$LUNFILE" "/run/tgtd/socket.$CTL" "/run/tgtd/socket.$CTL.lock"
}
trap cleanup EXIT INT TERM

truncate -s 1G "$LUNFILE"
tgtd -f --iscsi "portal=127.0.0.1:$PORT" -C "$CTL" >"$OUT/tgtd.log" 2>&1 &
TGTD_PID=$!
echo "tgtd pid $TGTD_PID on 127.0.0.1:$PORT (control port $CTL), LUN file $LUNFILE"
for _ in $(seq 1 100); do
  tgtadm -C "$CTL" --mode system --op show >/dev/null 2>&1 && break
  kill -0 "$TGTD_PID" 2>/dev/null || { echo "tgtd exited; see $OUT/tgtd.log" >&2; exit 1; }
  sleep 0.1
done
tgtadm -C "$CTL" --lld iscsi --mode target --op new --tid 1 --targetname "$IQN"
tgtadm -C "$CTL" --lld iscsi --mode logicalunit --op new --tid 1 --lun 1 --backing-store "$LUNFILE"
tgtadm -C "$CTL" --lld iscsi --mode target --op bind --tid 1 --initiator-address ALL
tgtd -V > "$OUT/tgt-version.txt" 2>&1 || true

export MAVEN_OPTS="${MAVEN_OPTS:--Xmx768m}"
set +e
(cd "$ROOT" && mvn -B -q -o -pl stack -am test -Dtest='ConformanceIscsiTestCuTest' -Dsurefire.failIfNoSpecifiedTests=false \
  -DargLine="-XX:TieredStopAtLevel=1 -Xss1m -Xmx512m" \
  -Dcamstack.iscsi.url="iscsi://127.0.0.1:$PORT/$IQN/1" \
  -Dcamstack.iscsi.expected=iscsi-test-cu.tgt.expected \
  -Dcamstack.iscsi.updateExpected="$UPDATE" \
  -Dcamstack.iscsi.outDir="$OUT") 2>&1 | tee "$OUT/mvn.log" | grep -E '^conformance:|Tests run:|FAIL|regression' 
rc=${PIPESTATUS[0]}
set -e
echo "--- $OUT/summary.txt"
cat "$OUT/summary.txt" 2>/dev/null || { echo "(no summary: tail of $OUT/mvn.log follows)"; tail -n 30 "$OUT/mvn.log"; }
grep -h -A3 '^Run Summary' "$OUT"/iscsi-test-cu-*.txt 2>/dev/null | grep -E 'tests|Run Summary' || true
exit "$rc"
