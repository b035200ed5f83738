# Debian guests for the kernel-peer interop cases: a stock Debian kernel (kernel ESP, AH, L2TP, PPP) under QEMU (TCG),
# its TAP on a bridge in one of the case's namespaces, driven through a 9p share. Sourced by run-case.sh after lib.sh;
# every QEMU started here is in PC_PIDS and each TAP lives in a namespace of the case, so pc_cleanup removes them all.
#   pc_guest_image                      builds the image or finds it cached (build.sh); sets PC_GUEST_IMAGE
#   pc_guest_boot NS NAME ADDR/LEN [GW] boots guest NAME on bridge br0 of NS at ADDR; returns when it runs commands
#   pc_guest_run NAME COMMAND [SECS]    runs COMMAND (bash) in the guest: prints its output, returns its exit status
#   pc_guest_copy NAME FILE DEST        puts a host file at DEST in the guest
#   pc_guest_stop NAME                  powers the guest off (kills its QEMU)

PC_GUEST_N=0

pc_guest_image() {
  [ -n "${PC_GUEST_IMAGE:-}" ] && return 0
  local start=$SECONDS
  PC_GUEST_IMAGE=$(bash "$here/guest/build.sh" | tail -1) && [ -s "$PC_GUEST_IMAGE/rootfs.ext4" ] || pc_fail "the guest image could not be built (tests/interop/guest/build.sh)"
  pc_log "guest image $PC_GUEST_IMAGE (kernel $(cat "$PC_GUEST_IMAGE/kernel-version"), $((SECONDS - start)) s to find or build)"
}

pc_guest_boot() {
  local ns=$1 name=$2 addr=$3 gw=${4:-} dir="$PC_WORK/guest-$2"
  pc_guest_image
  PC_GUEST_N=$((PC_GUEST_N + 1))
  local tap="gtap$PC_GUEST_N" mac; mac=$(printf '52:54:00:%02x:%02x:%02x' $((RANDOM % 256)) $((RANDOM % 256)) "$PC_GUEST_N")
  mkdir -p "$dir/share/cmd" "$dir/share/out" "$dir/share/files"
  ip -n "$ns" tuntap add "$tap" mode tap || pc_fail "tap for guest $name"
  ip -n "$ns" link set "$tap" master br0 up || pc_fail "tap of guest $name on br0"
  local t0=$EPOCHREALTIME
  # snapshot=on: the guest writes to a temporary overlay, so any number of guests share the cached image read-only.
  ip netns exec "$ns" qemu-system-x86_64 -accel tcg -machine pc -cpu max -m 512 -smp 1 -nodefaults -no-user-config \
    -display none -serial "file:$dir/console.log" -no-reboot \
    -kernel "$PC_GUEST_IMAGE/vmlinux" -initrd "$PC_GUEST_IMAGE/initrd.gz" \
    -append "console=ttyS0 quiet panic=-1 pc.name=$name pc.ip=$addr${gw:+ pc.gw=$gw}" \
    -drive "file=$PC_GUEST_IMAGE/rootfs.ext4,if=virtio,format=raw,snapshot=on" \
    -virtfs "local,path=$dir/share,mount_tag=pc,security_model=none,id=pc" \
    -netdev "tap,id=n0,ifname=$tap,script=no,downscript=no" -device "virtio-net-pci,netdev=n0,mac=$mac" \
    > "$dir/qemu.out" 2>&1 &
  local pid=$!
  PC_PIDS+=($pid)
  eval "GUEST_PID_$name=$pid"
  local i
  for i in $(seq 1200); do
    [ -s "$dir/share/ready" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$dir/qemu.out"; tail -30 "$dir/console.log"; pc_fail "QEMU of guest $name exited"; }
    sleep 0.1
  done
  [ -s "$dir/share/ready" ] || { tail -30 "$dir/console.log"; pc_fail "guest $name did not come up within 120 s"; }
  pc_log "guest $name up at $addr in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s (kernel uptime $(cat "$dir/share/ready") s)"
}

pc_guest_run() {
  local name=$1 cmd=$2 secs=${3:-60} dir="$PC_WORK/guest-$1/share" pid
  eval "pid=\${GUEST_PID_$name:-}"
  [ -n "$pid" ] || pc_fail "no guest $name"
  # A name unique without shared state: callers run this in $(…) subshells too.
  local n="${EPOCHREALTIME/./}$BASHPID$RANDOM"
  printf '# timeout %s\n%s\n' "$secs" "$cmd" > "$dir/cmd/$n.tmp"
  mv "$dir/cmd/$n.tmp" "$dir/cmd/$n.sh"
  local i
  for i in $(seq $(( (secs + 15) * 10 ))); do
    [ -e "$dir/out/$n.rc" ] && break
    kill -0 "$pid" 2>/dev/null || { tail -30 "$PC_WORK/guest-$name/console.log"; pc_fail "guest $name died"; }
    sleep 0.1
  done
  [ -e "$dir/out/$n.rc" ] || pc_fail "guest $name did not answer command $n ($cmd) within $((secs + 15)) s"
  cat "$dir/out/$n.out"
  return "$(cat "$dir/out/$n.rc")"
}

pc_guest_copy() {
  local dir="$PC_WORK/guest-$1/share/files" f; f="$(basename "$2").$RANDOM"
  cp "$2" "$dir/$f" || pc_fail "copy $2 for guest $1"
  pc_guest_run "$1" "install -D -m 600 /pc/files/$f '$3'" 10 || pc_fail "copy $2 to $3 in guest $1"
}

pc_guest_stop() {
  local pid; eval "pid=\${GUEST_PID_$1:-}"
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  eval "GUEST_PID_$1="
}

# pc_guest_charon NAME: strongSwan's charon in the guest on the kernel's IPsec (kernel-netlink, no libipsec), with
# every plugin Debian installed; the log in /var/log/charon.log (pc_guest_run NAME 'cat /var/log/charon.log').
pc_guest_charon() {
  pc_guest_run "$1" '
modprobe -a esp4 ah4 xfrm_user xfrm4_tunnel tunnel4 ipcomp 2>/dev/null
cat > /etc/strongswan.d/pc-log.conf <<CONF
charon {
  filelog {
    pc {
      path = /var/log/charon.log
      default = 1
      ike = 2
      cfg = 2
      flush_line = yes
    }
  }
}
CONF
setsid /usr/lib/ipsec/charon > /var/log/charon.out 2>&1 < /dev/null &
for i in $(seq 100); do [ -S /run/charon.vici ] && exit 0; sleep 0.1; done
cat /var/log/charon.out; exit 1' 30 || pc_fail "charon did not start in guest $1"
}

# pc_guest_swanctl NAME CONF: loads swanctl.conf CONF (a host file) into the guest's charon.
pc_guest_swanctl() {
  pc_guest_copy "$1" "$2" /etc/swanctl/swanctl.conf
  pc_guest_run "$1" 'swanctl --load-all' 30 > "$PC_WORK/guest-$1/load.out" || { cat "$PC_WORK/guest-$1/load.out"; pc_fail "swanctl --load-all in guest $1"; }
}

# pc_topology_guests N: a bridge br0 in SWITCH_NS; Portcullis's namespace RIGHT on it at 192.0.2.1 (inner 198.18.2.1 on
# lo, RIGHT_IF its interface); guests i = 1..N get GUEST_ADDR[i] = 192.0.2.(10+i) (booted by the case).
pc_topology_guests() {
  local sw i
  pc_ns sw w; SWITCH_NS=$sw
  ip -n "$sw" link add br0 type bridge || pc_fail "bridge"
  ip -n "$sw" link set br0 up
  pc_ns RIGHT s
  pc_port "$RIGHT" 192.0.2.1/24; RIGHT_IF=$PC_PORT_IF; RIGHT_ADDR=192.0.2.1
  ip -n "$RIGHT" addr add 198.18.2.1/32 dev lo
  GUEST_ADDR=()
  for i in $(seq "$1"); do GUEST_ADDR[$i]=192.0.2.$((10 + i)); done
}

# pc_kernel_conf VERSION MODE PROTO IKE_PROPOSAL CHILD_PROPOSAL SECRET ME PEER MY_INNER PEER_INNER: the swanctl.conf of
# either end of a kernel case (Portcullis and the guest's strongSwan read the same text), so a new variant changes
# one place: IKE VERSION 1|2, MODE tunnel|transport (transport: the selectors are the two outer addresses, MY_INNER
# and PEER_INNER unused), PROTO esp|ah (esp_proposals or ah_proposals = CHILD_PROPOSAL, e.g. aes128-sha256-esn).
pc_kernel_conf() {
  local ts=""
  [ "$2" = tunnel ] && ts="local_ts = $9/32
        remote_ts = ${10}/32"
  cat <<CONF
connections {
  kernel {
    version = $1
    local_addrs = $7
    remote_addrs = $8
    proposals = $4
    local {
      auth = psk
      id = $7
    }
    remote {
      auth = psk
      id = $8
    }
    children {
      net {
        mode = $2
        $ts
        $3_proposals = $5
      }
    }
  }
}
secrets {
  ike-kernel {
    id-1 = $7
    id-2 = $8
    secret = "$6"
  }
}
CONF
}
