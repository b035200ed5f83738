#!/usr/bin/env bash
# Where the user-space data plane's time goes: one Portcullis <-> Portcullis tunnel (the same set-up as
# bench/throughput.sh), iperf3 through it, and during the middle of the run, per daemon: CPU per thread (from
# /proc/PID/task/*/stat), system calls by kind (perf's syscall tracepoints), packets through the TUN devices and the
# veth link, and optionally a perf profile with .NET's symbols (DOTNET_PerfMapEnabled). A measurement, run on demand
# (root), not a test.
#
# Usage: sudo bash bench/dataplane-profile.sh [--suite S] [--streams N] [--seconds S] [--record]
#   --suite S    ESP proposal (default aes128gcm16)
#   --streams N  parallel iperf3 TCP streams (default 1)
#   --seconds S  iperf3 run (default 16); counters cover S/2 seconds from S/4 on
#   --record     also `perf record -g` both daemons over the same window and print the top symbols
# PORTCULLIS_BIN names the portcullis executable (default: the Release build of this checkout).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
PORTCULLIS_BIN=${PORTCULLIS_BIN:-$root/src/Portcullis.Cli/bin/Release/net10.0/portcullis}
suite=aes128gcm16 streams=1 seconds=16 record=0
while [ $# -gt 0 ]; do
  case "$1" in
    --suite) suite=$2; shift 2 ;;
    --streams) streams=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --record) record=1; shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "run as root (network namespaces)" >&2; exit 1; }
command -v perf > /dev/null || { echo "perf is missing (Debian's linux-perf)" >&2; exit 1; }
source "$root/tests/interop/lib.sh"
# perf map files for JIT code; W^X double mapping off, or perf sees JIT code only as memfd:doublemapper.
export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0

SECRET="profile-$RANDOM$RANDOM-secret"
pc_topology_pair
pc_conf 192.0.2.1 192.0.2.2 198.18.1.1 198.18.2.1 aes128gcm16-prfsha256-ecp256 "$suite" "$SECRET" "" "encap = yes" > "$PC_WORK/left.conf"
pc_conf 192.0.2.2 192.0.2.1 198.18.2.1 198.18.1.1 aes128gcm16-prfsha256-ecp256 "$suite" "$SECRET" "" "encap = yes" > "$PC_WORK/right.conf"
declare -A PID
for side in l r; do
  ns=$LEFT; [ $side = r ] && ns=$RIGHT
  dir="$PC_WORK/$side"; mkdir -p "$dir"; cp "$PC_WORK/$([ $side = l ] && echo left || echo right).conf" "$dir/swanctl.conf"
  ip netns exec "$ns" env PORTCULLIS_SOCKET="$dir/portcullis.sock" "$PORTCULLIS_BIN" daemon --config "$dir/swanctl.conf" > "$dir/portcullis.log" 2>&1 &
  PID[$side]=$!; PC_PIDS+=($!)
  for i in $(seq 100); do [ -S "$dir/portcullis.sock" ] && break; sleep 0.1; done
done
pc_portcullis "$LEFT" l initiate --child net > "$PC_WORK/initiate.out" 2>&1
ip netns exec "$LEFT" ping -c 2 -W 2 -I 198.18.1.1 198.18.2.1 > /dev/null || { cat "$PC_WORK/initiate.out"; pc_fail "the tunnel did not come up"; }

# thread CPU ticks: "TID NAME UTIME STIME" per thread of a process
threads() { for t in /proc/$1/task/*; do awk '{ match($0, /\(.*\)/); name=substr($0, RSTART+1, RLENGTH-2); gsub(/ /, "_", name); split(substr($0, RSTART+RLENGTH+1), f, " "); print FILENAME, name, f[12], f[13] }' "$t/stat" 2> /dev/null; done; }
counters() { # NS IF -> "rx_bytes tx_packets"
  echo "$(ip netns exec "$1" cat /sys/class/net/"$2"/statistics/rx_bytes) $(ip netns exec "$1" cat /sys/class/net/"$2"/statistics/tx_packets)"
}

ip netns exec "$RIGHT" timeout $((seconds + 30)) iperf3 -s -1 -B 198.18.2.1 > /dev/null 2>&1 &
PC_PIDS+=($!)
sleep 0.5
ip netns exec "$LEFT" timeout $((seconds + 20)) iperf3 -c 198.18.2.1 -B 198.18.1.1 -t "$seconds" -P "$streams" -J > "$PC_WORK/iperf.json" 2>&1 &
client=$!
window=$((seconds / 2))
sleep $((seconds / 4))
for side in l r; do threads ${PID[$side]} > "$PC_WORK/threads-$side.0"; done
read -r tun_r_rx tun_r_tx <<< "$(counters "$RIGHT" pcl0)"; read -r veth_l_rx veth_l_tx <<< "$(counters "$LEFT" "$LEFT_IF")"; veth_l_rxp=$(ip netns exec "$LEFT" cat /sys/class/net/"$LEFT_IF"/statistics/rx_packets)
events=syscalls:sys_enter_read,syscalls:sys_enter_write,syscalls:sys_enter_writev,syscalls:sys_enter_sendmsg,syscalls:sys_enter_recvmsg,syscalls:sys_enter_sendmmsg,syscalls:sys_enter_recvmmsg,syscalls:sys_enter_poll,syscalls:sys_enter_futex,task-clock,context-switches
for side in l r; do
  perf stat -x, -e "$events" -p ${PID[$side]} -o "$PC_WORK/stat-$side.csv" -- sleep "$window" &
done
if [ $record = 1 ]; then
  perf record -F 999 -g -p "${PID[l]},${PID[r]}" -o "$PC_WORK/perf.data" -- sleep "$window" > /dev/null 2>&1 &
fi
la=$(cut -d' ' -f1-3 /proc/loadavg)
wait_start=$(date +%s.%N)
sleep "$window"; sleep 0.3
read -r tun_r_rx2 tun_r_tx2 <<< "$(counters "$RIGHT" pcl0)"; read -r veth_l_rx2 veth_l_tx2 <<< "$(counters "$LEFT" "$LEFT_IF")"; veth_l_rxp2=$(ip netns exec "$LEFT" cat /sys/class/net/"$LEFT_IF"/statistics/rx_packets)
for side in l r; do threads ${PID[$side]} > "$PC_WORK/threads-$side.1"; done
wait "$client"
hz=$(getconf CLK_TCK)
python3 - "$PC_WORK" "$window" "$hz" "$((tun_r_rx2 - tun_r_rx))" "$((veth_l_tx2 - veth_l_tx))" "$((veth_l_rxp2 - veth_l_rxp))" "$la" <<'PY'
import json, sys, os
work, window, hz = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
data, skb_out, skb_in, load = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
try:
    end = json.load(open(f"{work}/iperf.json"))["end"]
    print(f"iperf3: {end['sum_received']['bits_per_second'] / 1e9:.2f} Gbit/s received; load average at start {load}")
except Exception as e:
    print("iperf3 failed:", e)
# The receiver's TUN device counts a coalesced GSO write once: count the data in 1400-byte packets (the TUN MTU) instead.
data = data // 1400
print(f"window {window:.0f} s: {data} data packets of 1400 B ({data / window:.0f}/s) into the receiver's TUN device; "
      f"the sender's veth sent {skb_out} and received {skb_in} skbs (a GSO skb counts once)")
pkts = data
for side, role in (("l", "sender (TUN read, encrypt, UDP send)"), ("r", "receiver (UDP receive, decrypt, TUN write)")):
    print(f"-- daemon {side}: {role}")
    def load_threads(path):
        d = {}
        for line in open(path):
            f = line.split()
            if len(f) == 4: d[f[0]] = (f[1], int(f[2]), int(f[3]))
        return d
    a, b = load_threads(f"{work}/threads-{side}.0"), load_threads(f"{work}/threads-{side}.1")
    rows = []
    for tid, (name, u, s) in b.items():
        u0, s0 = a.get(tid, (name, 0, 0))[1:]
        du, ds = (u - u0) / hz / window, (s - s0) / hz / window
        if du + ds >= 0.02: rows.append((du + ds, name, du, ds))
    for total, name, du, ds in sorted(rows, reverse=True):
        print(f"   thread {name:<28} {total * 100:5.1f}% of a core (user {du * 100:5.1f}%, system {ds * 100:5.1f}%)")
    for line in open(f"{work}/stat-{side}.csv"):
        f = line.strip().split(",")
        if len(f) < 3 or not f[0] or f[0].startswith("<"): continue
        try: v = float(f[0])
        except ValueError: continue
        ev = f[2].replace("syscalls:sys_enter_", "")
        if ev == "task-clock":
            print(f"   task-clock {v / 1e3 / window:.2f} CPUs, {v * 1e6 / max(pkts, 1):.0f} ns per data packet")
        elif v > 0:
            print(f"   {ev:<16} {v / window:10.0f}/s  {v / max(pkts, 1):6.2f} per data packet")
PY
if [ $record = 1 ]; then
  echo "-- where the daemons' samples fall: thread, then binary (JIT code shows as perf-PID.map or [unknown])"
  perf report -i "$PC_WORK/perf.data" --no-children --sort comm,dso --stdio -g none 2> /dev/null | grep '%' | head -20
  echo "-- top symbols"
  perf report -i "$PC_WORK/perf.data" --no-children --sort comm,dso,sym --stdio -g none 2> /dev/null | grep '%' | head -40
fi
