#!/usr/bin/env bash
# The set-up command's demo: Portcullis in one network namespace, Debian's strongSwan in another, an IKEv2 tunnel
# between them (aes256gcm16-prfsha384-ecp384 / aes256gcm16, PSK), a ping through it, both sides' SA listings,
# then everything removed again. Usage (root): bash scripts/demo.sh [PORTCULLIS_BINARY]
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
PORTCULLIS_BIN=${1:-$(command -v portcullis)}
[ -x "$PORTCULLIS_BIN" ] || { echo "demo: no portcullis binary" >&2; exit 1; }
source "$here/tests/interop/lib.sh"

pc_topology_pair
secret="demo-$RANDOM$RANDOM"
pc_conf 192.0.2.1 192.0.2.2 198.18.1.1 198.18.2.1 aes256gcm16-prfsha384-ecp384 aes256gcm16 "$secret" > "$PC_WORK/pc.conf"
pc_conf 192.0.2.2 192.0.2.1 198.18.2.1 198.18.1.1 aes256gcm16-prfsha384-ecp384 aes256gcm16 "$secret" > "$PC_WORK/ss.conf"
pc_start_strongswan "$RIGHT" ss
pc_strongswan_load "$RIGHT" ss "$PC_WORK/ss.conf"
pc_start_portcullis "$LEFT" pc "$PC_WORK/pc.conf"
echo "==> demo: portcullis (namespace $LEFT, 192.0.2.1, inner 198.18.1.1) initiating to strongSwan ($RIGHT, 192.0.2.2, inner 198.18.2.1)"
pc_portcullis "$LEFT" pc initiate --child net || { tail -20 "$PC_WORK/pc/portcullis.log"; pc_fail "demo tunnel did not come up"; }
echo "==> demo: ping 198.18.2.1 from 198.18.1.1 through the tunnel"
ip netns exec "$LEFT" ping -c 3 -i 0.3 -W 2 -I 198.18.1.1 198.18.2.1 || { tail -20 "$PC_WORK/pc/portcullis.log"; pc_fail "demo ping failed"; }
echo "==> demo: portcullis list-sas"
pc_portcullis "$LEFT" pc list-sas
echo "==> demo: swanctl --list-sas (strongSwan's view)"
pc_swanctl "$RIGHT" ss --list-sas
echo "==> demo: done; removing the namespaces and stopping both daemons"
