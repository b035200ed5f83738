#!/usr/bin/env bash
# iperf3 through IPsec tunnels between two network namespaces, Portcullis and strongSwan side by side in one run:
# Portcullis <-> Portcullis, Portcullis <-> strongSwan and strongSwan <-> strongSwan (strongSwan's user-space ESP,
# kernel-libipsec, as on this kernel), each ESP suite, TCP and UDP, 1 and 4 streams; plus the bare veth link as the
# ceiling. Every figure is printed with its ratio to strongSwan <-> strongSwan measured in the same run.
# A benchmark, run on demand (root), not a test: nothing here asserts a speed.
#
# Usage: sudo bash bench/throughput.sh [--suites LIST] [--pairs LIST] [--streams LIST] [--protocols LIST]
#                                     [--seconds S] [--out FILE]
#   --suites L     ESP proposals (default aes128gcm16,chacha20poly1305,aes128-sha256)
#   --pairs L      pp (Portcullis both ends), ps (Portcullis initiator, strongSwan responder), ss (strongSwan both),
#                  nn (Portcullis both ends with --no-offload: one system call per packet) (default pp,ps,ss)
#   --streams L    parallel iperf3 streams (default 1,4)
#   --protocols L  tcp and/or udp (default tcp,udp); UDP sends 1300-byte datagrams as fast as it can, and the figure
#                  is what arrived
#   --seconds S    seconds per iperf3 run (default 10)
#   --out FILE     raw results, one line per measurement (default /tmp/portcullis-throughput.txt)
# PORTCULLIS_BIN names the portcullis executable (default: the Release build of this checkout).
#
# Method. Namespaces "l" (192.0.2.1, inner 198.18.1.1) and "r" (192.0.2.2, inner 198.18.2.1) joined by a veth pair;
# one IKEv2 SA (aes128gcm16-prfsha256-ecp256, PSK) and one CHILD SA 198.18.1.1/32 === 198.18.2.1/32 with the suite,
# UDP-encapsulated (encap = yes: strongSwan's user-space ESP has no plain ESP here, so all pairs carry the same
# bytes). iperf3's server runs in "r" on 198.18.2.1, the client in "l" from 198.18.1.1; the figure is what the
# receiver counted. The daemons are started afresh for every pair and suite.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
PORTCULLIS_BIN=${PORTCULLIS_BIN:-$root/src/Portcullis.Cli/bin/Release/net10.0/portcullis}

suites=aes128gcm16,chacha20poly1305,aes128-sha256 pairs=pp,ps,ss streams=1,4 protocols=tcp,udp seconds=10
out=/tmp/portcullis-throughput.txt
while [ $# -gt 0 ]; do
  case "$1" in
    --suites) suites=$2; shift 2 ;;
    --pairs) pairs=$2; shift 2 ;;
    --streams) streams=$2; shift 2 ;;
    --protocols) protocols=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "run as root (network namespaces)" >&2; exit 1; }
[ -x "$PORTCULLIS_BIN" ] || { echo "$PORTCULLIS_BIN not built (dotnet build -c Release src/Portcullis.Cli)" >&2; exit 1; }
command -v iperf3 > /dev/null || apt-get install -y -q iperf3 > /dev/null || { echo "iperf3 is missing and could not be installed" >&2; exit 1; }
[ -x /usr/lib/ipsec/charon ] || { echo "strongSwan is missing (scripts/test-deps.sh installs it)" >&2; exit 1; }
IFS=, read -r -a SUITES <<< "$suites"; IFS=, read -r -a PAIRS <<< "$pairs"
IFS=, read -r -a STREAMS <<< "$streams"; IFS=, read -r -a PROTOCOLS <<< "$protocols"
source "$root/tests/interop/lib.sh"

SECRET="bench-$RANDOM$RANDOM-secret"
pc_topology_pair
: > "$out"

# iperf3 NAME PROTO STREAMS: one run from l to r's inner address; prints bits/s as the receiver counted them.
run_iperf() {
  local name=$1 proto=$2 n=$3 json="$PC_WORK/iperf-$1-$2-$3.json" args=()
  [ "$proto" = udp ] && args=(-u -b 0 -l 1300)
  # Bounded too: a client whose control connection died in the flood would leave the server waiting.
  ip netns exec "$RIGHT" timeout $((seconds + 30)) iperf3 -s -1 -B 198.18.2.1 > /dev/null 2>&1 &
  local server=$!
  PC_PIDS+=($server)
  sleep 0.5
  ip netns exec "$LEFT" timeout $((seconds + 20)) iperf3 -c 198.18.2.1 -B 198.18.1.1 -t "$seconds" -P "$n" -J "${args[@]}" > "$json" 2>&1
  wait "$server" 2> /dev/null
  python3 - "$json" "$proto" <<'PY'
import json, sys
try:
    r = json.load(open(sys.argv[1]))["end"]
    # What arrived: for UDP the sender's figure counts datagrams the tunnel dropped.
    s = r.get("sum_received") or r["sum"]
    print(int(s["bits_per_second"]))
except Exception:
    print(0)
PY
}

# strongSwan as the reference: Debian's packaged charon plugin order (AES-NI for AES-GCM, OpenSSL for the rest, as
# `swanctl --list-algs` shows for a stock install), user-space ESP, log level 1 without flushing each line. The
# interop harness's charon prefers strongSwan's portable C code instead (an oracle independent of OpenSSL), which
# would make the reference slower than a real installation.
bench_start_charon() { # NS NAME
  local dir="$PC_WORK/$2"
  mkdir -p "$dir/run" "$dir/conf"
  cat > "$dir/strongswan.conf" <<CONF
charon {
  load = aesni aes sha2 sha1 random nonce x509 pubkey pkcs1 pem openssl gmp curve25519 chapoly hmac kdf gcm kernel-libipsec kernel-netlink socket-default vici
  filelog {
    bench {
      path = $dir/charon.log
      default = 1
    }
  }
  plugins {
    vici { socket = unix://$dir/run/charon.vici }
    socket-default { fwmark = 0x42 }
    kernel-netlink { fwmark = !0x42 }
  }
}
swanctl { socket = unix://$dir/run/charon.vici }
CONF
  pc_launch_charon "$1" "$dir"
}

start_side() { # NS NAME KIND(p|n|s) CONF
  if [ "$3" = p ] || [ "$3" = n ]; then
    local extra=(); [ "$3" = n ] && extra=(--no-offload)
    # No --debug: a packaged daemon logs at info.
    local dir="$PC_WORK/$2"
    mkdir -p "$dir"; cp "$4" "$dir/swanctl.conf"
    ip netns exec "$1" env PORTCULLIS_SOCKET="$dir/portcullis.sock" "$PORTCULLIS_BIN" daemon --config "$dir/swanctl.conf" \
      "${extra[@]}" > "$dir/portcullis.log" 2>&1 &
    PC_PIDS+=($!)
    local i
    for i in $(seq 100); do [ -S "$dir/portcullis.sock" ] && return 0; sleep 0.1; done
    cat "$dir/portcullis.log"; pc_fail "portcullis daemon did not start in $1"
  else
    bench_start_charon "$1" "$2"
    pc_strongswan_load "$1" "$2" "$4"
  fi
}

stop_all() {
  local pid
  for pid in "${PC_PIDS[@]}"; do kill "$pid" 2> /dev/null; done
  for pid in "${PC_PIDS[@]}"; do wait "$pid" 2> /dev/null; done
  PC_PIDS=()
  rm -rf "$PC_WORK"/side_*
  ip -n "$LEFT" link del pcl0 2> /dev/null; ip -n "$RIGHT" link del pcl0 2> /dev/null
}

measure() { # LABEL SUITE — iperf3 for every protocol and stream count; lines "LABEL SUITE PROTO STREAMS BITS"
  local p n
  for p in "${PROTOCOLS[@]}"; do
    for n in "${STREAMS[@]}"; do
      echo "$1 $2 $p $n $(run_iperf "$1-$2" "$p" "$n")" | tee -a "$out"
    done
  done
}

pc_log "veth ceiling (no tunnel)"
# The same inner addresses, routed over the bare link, so iperf3 runs exactly as through the tunnels.
ip -n "$LEFT" route add 198.18.2.1/32 via 192.0.2.2 src 198.18.1.1; ip -n "$RIGHT" route add 198.18.1.1/32 via 192.0.2.1 src 198.18.2.1
measure veth -
ip -n "$LEFT" route del 198.18.2.1/32; ip -n "$RIGHT" route del 198.18.1.1/32

for suite in "${SUITES[@]}"; do
  pc_conf 192.0.2.1 192.0.2.2 198.18.1.1 198.18.2.1 aes128gcm16-prfsha256-ecp256 "$suite" "$SECRET" "" "encap = yes" > "$PC_WORK/left.conf"
  pc_conf 192.0.2.2 192.0.2.1 198.18.2.1 198.18.1.1 aes128gcm16-prfsha256-ecp256 "$suite" "$SECRET" "" "encap = yes" > "$PC_WORK/right.conf"
  for pair in "${PAIRS[@]}"; do
    pc_log "$pair $suite"
    start_side "$RIGHT" side_r_"$pair" "${pair:1:1}" "$PC_WORK/right.conf"
    start_side "$LEFT" side_l_"$pair" "${pair:0:1}" "$PC_WORK/left.conf"
    if [ "${pair:0:1}" != s ]; then
      pc_portcullis "$LEFT" side_l_"$pair" initiate --child net > "$PC_WORK/initiate.out" 2>&1
    else
      pc_swanctl "$LEFT" side_l_"$pair" --initiate --child net > "$PC_WORK/initiate.out" 2>&1
    fi
    if ip netns exec "$LEFT" ping -c 2 -W 2 -I 198.18.1.1 198.18.2.1 > /dev/null 2>&1; then
      measure "$pair" "$suite"
    else
      echo "$pair $suite: the tunnel did not come up" >&2; tail -5 "$PC_WORK/initiate.out" >&2
    fi
    stop_all
  done
done

python3 - "$out" <<'PY'
import sys, collections
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
by = {(r[0], r[1], r[2], r[3]): int(r[4]) for r in rows}
names = {"veth": "bare veth", "pp": "Portcullis <-> Portcullis", "nn": "Portcullis <-> Portcullis, --no-offload", "ps": "Portcullis -> strongSwan", "ss": "strongSwan <-> strongSwan"}
print("| pair | suite | protocol | streams | Gbit/s | ratio to strongSwan <-> strongSwan |")
print("|---|---|---|---|---|---|")
for (pair, suite, proto, n), bits in by.items():
    ref = by.get(("ss", suite, proto, n))
    ratio = f"{bits / ref:.2f}" if ref and pair != "veth" else "n/a"
    print(f"| {names.get(pair, pair)} | {suite} | {proto} | {n} | {bits / 1e9:.2f} | {ratio} |")
PY
