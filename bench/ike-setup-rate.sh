#!/usr/bin/env bash
# IKE SA setups per second with Portcullis as responder and with strongSwan's charon as responder, against the same
# initiator (one charon, one configuration), in the same run; the figure is the ratio Portcullis / charon.
# A benchmark, run on demand (root), not a test: nothing here asserts a speed.
#
# Usage: sudo bash bench/ike-setup-rate.sh [--count N] [--groups ecp256,modp2048] [--rounds R] [--warmup W]
#                                          [--window K] [--out FILE]
#   --count N     IKE SAs per measurement (default 500)
#   --groups L    key exchange groups, each measured with aes128gcm16-prfsha256-GROUP (default ecp256,modp2048)
#   --rounds R    measurements per group and responder, responders alternating; the table shows the median (default 3)
#   --warmup W    setups before each measurement, not counted (default 50): the same for both responders, and it
#                 keeps .NET's JIT out of the figure
#   --window K    at most K setups unfinished at a time (default 64; 0: all N at once)
#   --out FILE    raw numbers, one line per measurement (default /tmp/portcullis-ike-setup-rate.txt)
# PORTCULLIS_BIN names the portcullis executable (default: the Release build of this checkout).
#
# Method. Namespace "i" (192.0.2.1) runs the initiator charon with N connections per group, each with its own name
# and identity and no CHILD SA; namespace "r" (192.0.2.2) runs the responder: charon, then (charon stopped) the
# Portcullis daemon, both loading the same swanctl.conf (one connection, any peer identity, one PSK without ids).
# A measurement has the initiator set up N IKE SAs (IKE only: IKE_SA_INIT and IKE_AUTH without an SA payload, which
# Portcullis answers without a CHILD SA) through VICI (bench/ike-setup-rate-vici.pl), keeping K unfinished, and
# counts charon's ike-updown events; setups/s = N / the time until the Nth is up. All N are then terminated (DELETE)
# and the next measurement starts from an empty table. The window keeps the test about throughput: with all 500 at
# once a MODP burst queues for longer than the 4 s retransmission timeout, and a burst of answers overflows the
# initiator's socket buffer (both were seen), so either responder could be charged for retransmissions.
# CPU time (utime + stime from /proc/PID/stat) of the initiator and the responder, and of the rest of the machine
# (from /proc/stat), over the same window shows who set the pace: on 2 cores, a sum near 2.0 CPU-s per second means
# the machine did, not the responder; CPU ms per setup of the responder compares the two without that.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
PORTCULLIS_BIN=${PORTCULLIS_BIN:-$root/src/Portcullis.Cli/bin/Release/net10.0/portcullis}
VICI="$here/ike-setup-rate-vici.pl"

count=500 groups=ecp256,modp2048 rounds=3 warmup=50 window=64 out=/tmp/portcullis-ike-setup-rate.txt
while [ $# -gt 0 ]; do
  case "$1" in
    --count) count=$2; shift 2 ;;
    --groups) groups=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --window) window=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "run as root (network namespaces)" >&2; exit 1; }
[ -x "$PORTCULLIS_BIN" ] || { echo "$PORTCULLIS_BIN not built (dotnet build -c Release)" >&2; exit 1; }
[ -x /usr/lib/ipsec/charon ] && command -v swanctl > /dev/null || { echo "strongSwan is missing (scripts/test-deps.sh installs it)" >&2; exit 1; }
[ "$warmup" -le "$count" ] || warmup=$count
IFS=, read -r -a GROUPS_LIST <<< "$groups"
source "$root/tests/interop/lib.sh"

SECRET="bench-$RANDOM$RANDOM-secret"
INI_ADDR=192.0.2.1 RESP_ADDR=192.0.2.2
pc_ns INI i; pc_ns RESP r
pc_link "$INI" "$INI_ADDR/24" "$RESP" "$RESP_ADDR/24"

# Plugin lists. The initiator uses tests/interop/lib.sh's (strongSwan's own crypto first: gmp for MODP, its own
# AES-GCM and HMAC; ECP has only OpenSSL). The charon responder is the reference, so it prefers what Debian's
# packaged charon prefers (its default plugin order, checked with `swanctl --list-algs`): OpenSSL for MODP, ECP, PRF
# and KDF, AES-NI for AES-GCM. Portcullis uses OpenSSL too.
INITIATOR_PLUGINS="random nonce aes sha1 sha2 hmac gcm chapoly curve25519 gmp kdf openssl pem pkcs1 x509 pubkey kernel-libipsec kernel-netlink socket-default vici"
RESPONDER_PLUGINS="aesni aes sha2 sha1 random nonce x509 pubkey pkcs1 pem openssl gmp curve25519 chapoly hmac kdf gcm kernel-libipsec kernel-netlink socket-default vici"

# bench_start_charon NS NAME PLUGINS: like pc_start_strongswan (private /run and VICI socket), with settings
# for a burst: no cookies and no per-IP half-open limit (every initiator SA comes from one address), a hash table
# sized for thousands of IKE SAs (the default has one bucket), and charon's default log level 1 without flushing
# each line, as a packaged charon logs.
bench_start_charon() {
  local ns=$1 dir="$PC_WORK/$2" plugins=$3
  mkdir -p "$dir/run" "$dir/conf"
  cat > "$dir/strongswan.conf" <<CONF
charon {
  load = $plugins
  dos_protection = no
  block_threshold = 1000000
  ikesa_table_size = 4096
  ikesa_table_segments = 16
  # Each initiator connection is its own peer config, so it gets its own IKE SA anyway; this makes sure of it.
  reuse_ikesa = no
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
  pc_launch_charon "$ns" "$dir"
  local pid=$CHARON_PID
  # ip netns exec, unshare and bash all exec, so the PID is charon's own (its CPU time is what we sample).
  [ "$(cat /proc/$pid/comm)" = charon ] || pc_fail "PID $pid is $(cat /proc/$pid/comm), not charon"
  eval "PID_$2=$pid"
}

# bench_start_portcullis NS NAME CONF: like pc_start_portcullis, but without --debug and --keylog (a log line per
# message and a key file per SA would be measured too).
# Cookies and the per-address block are off, as for charon above (dos_protection = no): the benchmark's window of
# setups in flight would otherwise engage them, and a COOKIE round trip is not what is measured.
bench_start_portcullis() {
  local ns=$1 dir="$PC_WORK/$2"
  mkdir -p "$dir"
  cp "$3" "$dir/swanctl.conf"
  printf 'charon {\n  dos_protection = no\n  block_threshold = 0\n}\n' > "$dir/strongswan.conf"
  rm -f "$dir/portcullis.sock"
  ip netns exec "$ns" env PORTCULLIS_SOCKET="$dir/portcullis.sock" "$PORTCULLIS_BIN" daemon --config "$dir/swanctl.conf" \
    --settings "$dir/strongswan.conf" > "$dir/portcullis.log" 2>&1 &
  local pid=$!
  PC_PIDS+=("$pid")
  local i
  for i in $(seq 100); do [ -S "$dir/portcullis.sock" ] && break; sleep 0.1; done
  [ -S "$dir/portcullis.sock" ] || { cat "$dir/portcullis.log"; pc_fail "portcullis daemon did not start in $ns"; }
  eval "PID_$2=$pid"
}

# bench_stop PID: SIGTERM, wait, and forget the PID so cleanup never signals a number the kernel may reuse.
bench_stop() {
  kill -TERM "$1" 2>/dev/null
  local i
  for i in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$1" 2>/dev/null
  wait "$1" 2>/dev/null
  local kept=() p
  for p in "${PC_PIDS[@]}"; do [ "$p" = "$1" ] || kept+=("$p"); done
  PC_PIDS=("${kept[@]}")
}

# Both responders load this file: one connection for any identity, one PSK without ids.
{
  proposals=""
  for g in "${GROUPS_LIST[@]}"; do proposals+="${proposals:+, }aes128gcm16-prfsha256-$g"; done
  cat <<CONF
connections {
  bench {
    version = 2
    local_addrs = $RESP_ADDR
    remote_addrs = $INI_ADDR
    proposals = $proposals
    local {
      auth = psk
    }
    remote {
      auth = psk
    }
  }
}
secrets {
  ike-bench {
    secret = "$SECRET"
  }
}
CONF
} > "$PC_WORK/responder.conf"

# The initiator: COUNT connections per group, named GROUP-I with identity GROUP-I.bench.invalid. Without MOBIKE:
# a charon responder would otherwise send every new SA an address update whenever its interfaces change (its own
# TUN device appearing is enough), work Portcullis, which has no MOBIKE, never does.
{
  echo "connections {"
  for g in "${GROUPS_LIST[@]}"; do
    for i in $(seq "$count"); do
      printf '  %s-%d {\n    version = 2\n    local_addrs = %s\n    remote_addrs = %s\n    proposals = aes128gcm16-prfsha256-%s\n    mobike = no\n' "$g" "$i" "$INI_ADDR" "$RESP_ADDR" "$g"
      printf '    local {\n      auth = psk\n      id = %s-%d.bench.invalid\n    }\n    remote {\n      auth = psk\n    }\n  }\n' "$g" "$i"
    done
  done
  echo "}"
  printf 'secrets {\n  ike-bench {\n    secret = "%s"\n  }\n}\n' "$SECRET"
} > "$PC_WORK/initiator.conf"

bench_start_charon "$INI" ini "$INITIATOR_PLUGINS"
pc_strongswan_load "$INI" ini "$PC_WORK/initiator.conf"
INI_SOCK="$PC_WORK/ini/run/charon.vici"
vici() { perl "$VICI" "$1" "$INI_SOCK" "${@:2}"; }

udp_errors() { ip netns exec "$1" awk '/^Udp: [0-9]/ { print $4 }' /proc/net/snmp; }  # InErrors: receive buffer overflows included
retransmits() { grep -c "retransmit" "$PC_WORK/ini/charon.log"; }
# Which plugin each charon uses for the measured algorithms, for the raw file.
crypto_note() {
  pc_swanctl "$1" "$2" --list-algs 2>/dev/null | tr -d ' ' | grep -E '^(AES_GCM_16|PRF_HMAC_SHA2_256|ECP_256|MODP_2048)\[' | tr '\n' ' '
}
responder_sas() {
  if [ "$1" = charon ]; then pc_swanctl "$RESP" resp --list-sas 2>/dev/null | grep -c ESTABLISHED
  else pc_portcullis "$RESP" pc list-sas 2>/dev/null | grep -c ESTABLISHED; fi
}

# measure RESPONDER GROUP ROUND: one burst of COUNT setups; appends a line to $out.
measure() {
  local responder=$1 g=$2 round=$3 rpid
  eval "rpid=\$PID_$([ "$responder" = charon ] && echo resp || echo pc)"
  local udpi0 udpr0 rt0 result
  udpi0=$(udp_errors "$INI"); udpr0=$(udp_errors "$RESP"); rt0=$(retransmits)
  result=$(vici burst "$g-" "$count" "$window" 120 "$PID_ini" "$rpid") || pc_fail "VICI burst failed"
  local seconds up failed total half busy cpu_i cpu_r
  read -r seconds up failed total half busy cpu_i cpu_r <<< "$result"
  local established; established=$(responder_sas "$responder")
  local udpi=$(( $(udp_errors "$INI") - udpi0 )) udpr=$(( $(udp_errors "$RESP") - udpr0 )) rt=$(( $(retransmits) - rt0 ))
  local rate; rate=$(awk -v n="$count" -v s="$seconds" 'BEGIN { printf "%.1f", n / s }')
  local hz cpu_is cpu_rs cpu_os
  hz=$(getconf CLK_TCK)
  cpu_is=$(awk -v t="$cpu_i" -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }')
  cpu_rs=$(awk -v t="$cpu_r" -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }')
  cpu_os=$(awk -v b="$busy" -v i="$cpu_i" -v r="$cpu_r" -v hz="$hz" 'BEGIN { o = (b - i - r) / hz; printf "%.2f", o < 0 ? 0 : o }')
  echo "$g $responder $round $count $seconds $rate $up $failed $total $half $established $cpu_is $cpu_rs $cpu_os $rt $udpi $udpr" >> "$out"
  pc_log "$g $responder round $round: $count in ${seconds}s = $rate/s; $up up, $failed failed, initiator lists $total IKE SAs ($half half-open), responder $established; CPU-s: initiator $cpu_is, responder $cpu_rs, everything else $cpu_os; $rt retransmissions; UDP receive errors: $udpi initiator, $udpr responder"
  [ "$up" -eq "$count" ] || pc_log "WARNING: only $up of $count IKE SAs came up within 120 s"
  vici terminate "$g-" "$count" 60 > /dev/null || pc_log "WARNING: IKE SAs left on the initiator after terminate: $(vici stats)"
  local i
  for i in $(seq 100); do [ "$(responder_sas "$responder")" -eq 0 ] && break; sleep 0.1; done
}

warm() {
  local g=$1
  [ "$warmup" -gt 0 ] || return 0
  vici burst "$g-" "$warmup" "$window" 60 "$PID_ini" > /dev/null
  vici terminate "$g-" "$warmup" 60 > /dev/null || pc_log "WARNING: warm-up IKE SAs left: $(vici stats)"
}

echo "# group responder round setups seconds setups/s up failed initiator_ike_sas initiator_half_open responder_established cpu_initiator_s cpu_responder_s cpu_others_s retransmits udp_rcv_errors_initiator udp_rcv_errors_responder" > "$out"
echo "# $(date -u +%FT%TZ) $(nproc) cores, $(/usr/lib/ipsec/charon --version 2>/dev/null | head -1), $("$PORTCULLIS_BIN" --version 2>/dev/null | head -1)" >> "$out"
echo "# charon initiator crypto: $(crypto_note "$INI" ini)" >> "$out"
pc_log "initiator: charon in $INI with $(( count * ${#GROUPS_LIST[@]} )) connections; $rounds rounds of $count setups per group and responder"
for round in $(seq "$rounds"); do
  for responder in charon portcullis; do
    if [ "$responder" = charon ]; then
      bench_start_charon "$RESP" resp "$RESPONDER_PLUGINS"
      pc_strongswan_load "$RESP" resp "$PC_WORK/responder.conf"
      [ "$round" = 1 ] && echo "# charon responder crypto: $(crypto_note "$RESP" resp)" >> "$out"
      rpid=$PID_resp
    else
      bench_start_portcullis "$RESP" pc "$PC_WORK/responder.conf"
      rpid=$PID_pc
    fi
    for g in "${GROUPS_LIST[@]}"; do
      warm "$g"
      measure "$responder" "$g" "$round"
    done
    bench_stop "$rpid"
  done
done

# The table: median of the rounds per group and responder; CPU and counts summed over the rounds.
echo
awk '
  !/^#/ { key = $1 " " $2; n[key]++; rate[key, n[key]] = $6; secs[key, n[key]] = $5; setups[key] = $4
          ws[key] += $5; ci[key] += $12; cr[key] += $13; co[key] += $14; rt[key] += $15; ui[key] += $16; ur[key] += $17
          if (!(key in seen)) { seen[key] = 1; order[++k] = key } }
  function median(key, arr,    i, j, t, m, v) {
    m = n[key]; for (i = 1; i <= m; i++) v[i] = arr[key, i]
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
    return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2 }
  END {
    print "| group | responder | setups | seconds | setups/s | ratio | CPU-s/s initiator | CPU-s/s responder | CPU-s/s rest of machine | responder CPU ms/setup | retransmits | UDP drops (ini/resp) |"
    print "|---|---|---|---|---|---|---|---|---|---|---|---|"
    for (i = 1; i <= k; i++) {
      key = order[i]; split(key, p, " ")
      r = median(key, rate); med[key] = r
      ratio = "1.00"
      if (p[2] == "portcullis") ratio = med[p[1] " charon"] > 0 ? sprintf("**%.2f**", r / med[p[1] " charon"]) : "n/a"
      printf "| %s | %s | %d | %.2f | %.0f | %s | %.2f | %.2f | %.2f | %.2f | %d | %d / %d |\n", p[1], p[2], setups[key], median(key, secs), r, ratio,
        ci[key] / ws[key], cr[key] / ws[key], co[key] / ws[key], 1000 * cr[key] / (setups[key] * n[key]), rt[key], ui[key], ur[key]
    }
  }' "$out"
echo
echo "ratio: Portcullis setups/s / charon setups/s (medians of $rounds rounds); CPU columns over all rounds; raw numbers in $out"
