# Interop harness: Portcullis and strongSwan in network namespaces this script creates. Sourced by run-case.sh.
# Only documentation addresses: 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 outside, 198.18.0.0/15 inside, and
# 2001:db8::/32 for IPv6 (both).
# Everything started here is recorded and stopped by pc_cleanup (trap EXIT); nothing else is touched.

PC_TAG="pc$$$RANDOM"
PC_NAMESPACES=()
PC_PIDS=()
PC_WORK=$(mktemp -d /tmp/portcullis-interop.XXXXXX)
PC_KEEP=${PC_KEEP:-0}

pc_log() { echo "[$(date +%T.%3N)] $*"; }
pc_fail() { echo "FAIL: $*"; exit 1; }
# pc_grepq ARGS…: grep -q for the end of a pipeline. grep -q exits at the first match; the writer before it then dies of
# SIGPIPE (or echo fails with EPIPE) and, under pipefail, a match would fail the pipeline. This reads its input whole.
pc_grepq() { grep "$@" > /dev/null; }
# pc_wait_log FILE PATTERN [TENTHS]: waits up to TENTHS tenths of a second (default 50) for PATTERN (grep's basic
# regular expression) in FILE; its status says whether it came. For lines a daemon logs just after what a case waited on.
pc_wait_log() { local i; for i in $(seq "${3:-50}"); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; grep -q -- "$2" "$1" 2>/dev/null; }

pc_cleanup() {
  local pid
  for pid in "${PC_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  sleep 0.3
  for pid in "${PC_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
  local ns
  for ns in "${PC_NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null; done
  [ "$PC_KEEP" = 1 ] || rm -rf "$PC_WORK"
}
trap pc_cleanup EXIT

# pc_ns VAR SUFFIX: creates a namespace and sets VAR to its name (no subshell, so cleanup knows of it).
pc_ns() { local ns="$PC_TAG-$2"; ip netns add "$ns" || pc_fail "ip netns add $ns"; PC_NAMESPACES+=("$ns"); ip -n "$ns" link set lo up; printf -v "$1" '%s' "$ns"; }

# pc_link NS1 ADDR1/LEN NS2 ADDR2/LEN: a veth pair between two namespaces. IPv6 addresses skip duplicate address
# detection (nodad), so they are usable at once.
pc_link() {
  local a b i
  # The names live in the host namespace until moved: another case running at the same time may hold the same
  # random name for that moment, so a clash is retried with new names.
  for i in 1 2 3 4 5; do
    a="v$RANDOM$i" b="v$RANDOM$i"
    ip link add "$a" type veth peer name "$b" 2>/dev/null && break
    [ "$i" = 5 ] && pc_fail "veth"
  done
  ip link set "$a" netns "$1"; ip link set "$b" netns "$3"
  ip -n "$1" addr add "$2" dev "$a" $(pc_nodad "$2"); ip -n "$3" addr add "$4" dev "$b" $(pc_nodad "$4")
  ip -n "$1" link set "$a" up; ip -n "$3" link set "$b" up
  PC_LINK_A=$a; PC_LINK_B=$b
}

# Two hosts on one link: LEFT 192.0.2.1 (inner 198.18.1.1), RIGHT 192.0.2.2 (inner 198.18.2.1).
pc_topology_pair() {
  pc_ns LEFT l; pc_ns RIGHT r
  pc_link "$LEFT" 192.0.2.1/24 "$RIGHT" 192.0.2.2/24
  LEFT_IF=$PC_LINK_A; RIGHT_IF=$PC_LINK_B
  LEFT_ADDR=192.0.2.1; RIGHT_ADDR=192.0.2.2
  ip -n "$LEFT" addr add 198.18.1.1/32 dev lo; ip -n "$RIGHT" addr add 198.18.2.1/32 dev lo
}

pc_nodad() { case "$1" in *:*) echo nodad ;; esac; }

# Two hosts on one IPv6 link: LEFT 2001:db8:1::1 (inner 2001:db8:100::1 and 198.18.1.1), RIGHT 2001:db8:1::2 (inner
# 2001:db8:200::1 and 198.18.2.1).
pc_topology_pair6() {
  pc_ns LEFT l; pc_ns RIGHT r
  pc_link "$LEFT" 2001:db8:1::1/64 "$RIGHT" 2001:db8:1::2/64
  LEFT_IF=$PC_LINK_A; RIGHT_IF=$PC_LINK_B
  LEFT_ADDR=2001:db8:1::1; RIGHT_ADDR=2001:db8:1::2
  ip -n "$LEFT" addr add 198.18.1.1/32 dev lo; ip -n "$RIGHT" addr add 198.18.2.1/32 dev lo
  ip -n "$LEFT" addr add 2001:db8:100::1/128 dev lo nodad; ip -n "$RIGHT" addr add 2001:db8:200::1/128 dev lo nodad
}

# Client 198.51.100.2 behind a NAT (masquerade to 203.0.113.1 with source ports rewritten to 30000-40000) and a
# server 203.0.113.2 with no route back to the client's network. LEFT is the client, RIGHT the server.
pc_topology_nat() {
  local nat; pc_ns LEFT c; pc_ns nat n; pc_ns RIGHT s; NAT_NS=$nat
  pc_link "$LEFT" 198.51.100.2/24 "$nat" 198.51.100.1/24
  LEFT_IF=$PC_LINK_A
  pc_link "$nat" 203.0.113.1/24 "$RIGHT" 203.0.113.2/24
  RIGHT_IF=$PC_LINK_B
  ip -n "$LEFT" route add default via 198.51.100.1
  ip netns exec "$nat" sysctl -qw net.ipv4.ip_forward=1
  ip netns exec "$nat" nft -f - <<NFT || pc_fail "nft"
table ip pcnat {
  chain post { type nat hook postrouting priority srcnat; policy accept;
    ip saddr 198.51.100.0/24 meta l4proto udp masquerade to :30000-40000
    ip saddr 198.51.100.0/24 masquerade
  }
}
NFT
  LEFT_ADDR=198.51.100.2; RIGHT_ADDR=203.0.113.2
  ip -n "$LEFT" addr add 198.18.1.1/32 dev lo; ip -n "$RIGHT" addr add 198.18.2.1/32 dev lo
}

# Client 198.51.100.2 and server 203.0.113.2 with a router between them (no NAT): LEFT is the client, RIGHT the
# server, ROUTER_NS the router, where a test can add nftables rules (e.g. to drop packets at random).
pc_topology_routed() {
  local router; pc_ns LEFT c; pc_ns router m; pc_ns RIGHT s; ROUTER_NS=$router
  pc_link "$LEFT" 198.51.100.2/24 "$router" 198.51.100.1/24
  LEFT_IF=$PC_LINK_A
  pc_link "$router" 203.0.113.1/24 "$RIGHT" 203.0.113.2/24
  RIGHT_IF=$PC_LINK_B
  ip -n "$LEFT" route add 203.0.113.0/24 via 198.51.100.1
  ip -n "$RIGHT" route add 198.51.100.0/24 via 203.0.113.1
  ip netns exec "$router" sysctl -qw net.ipv4.ip_forward=1
  LEFT_ADDR=198.51.100.2; RIGHT_ADDR=203.0.113.2
  ip -n "$LEFT" addr add 198.18.1.1/32 dev lo; ip -n "$RIGHT" addr add 198.18.2.1/32 dev lo
}

# pc_conf ME PEER MY_INNER PEER_INNER IKE_PROPOSAL ESP_PROPOSAL SECRET [CHILD_EXTRA [CONN_EXTRA]]: a site-to-site
# swanctl.conf both implementations read; CHILD_EXTRA is added to the child section (e.g. "start_action = trap"),
# CONN_EXTRA to the connection (e.g. "rekey_time = 10s").
pc_conf() {
  cat <<CONF
connections {
  gw {
    version = 2
    local_addrs = $1
    remote_addrs = $2
    proposals = $5
    ${9:-}
    local {
      auth = psk
      id = $1
    }
    remote {
      auth = psk
      id = $2
    }
    children {
      net {
        local_ts = $(pc_ts "$3")
        remote_ts = $(pc_ts "$4")
        esp_proposals = $6
        ${8:-}
      }
    }
  }
}
secrets {
  ike-gw {
    id-1 = $1
    id-2 = $2
    secret = "$7"
  }
}
CONF
}

# pc_ts LIST: a comma-separated list of selectors, each bare address made a host prefix (/32 or /128); prefixes and
# ranges (A-B) stay as they are.
pc_ts() {
  local out="" t
  for t in ${1//,/ }; do
    case "$t" in */*|*-*) ;; *:*) t="$t/128" ;; *) t="$t/32" ;; esac
    out="${out:+$out,}$t"
  done
  echo "$out"
}

# pc_start_strongswan NS NAME [CHARON_SETTINGS]: charon with userspace ESP (kernel-libipsec) in NS, private /run and
# VICI socket; CHARON_SETTINGS (lines such as "fragment_size = 576") go into its strongswan.conf's charon section.
pc_start_strongswan() {
  local ns=$1 dir="$PC_WORK/$2" extra=${3:-}
  mkdir -p "$dir/run" "$dir/conf"
  cat > "$dir/strongswan.conf" <<CONF
charon {
  # strongSwan's own crypto first, OpenSSL last: Portcullis uses OpenSSL (through .NET), so the oracle should not.
  # PC_CHARON_PLUGINS_EXTRA adds plugins for a case (e.g. pkcs8 revocation constraints for certificates).
  load = random nonce aes sha1 sha2 hmac gcm chapoly curve25519 gmp kdf openssl pem pkcs1 x509 pubkey kernel-libipsec kernel-netlink socket-default vici ${PC_CHARON_PLUGINS_EXTRA:-}
  filelog {
    interop {
      path = $dir/charon.log
      default = 1
      ike = 2
      cfg = 2
      flush_line = yes
    }
  }
  $extra
  plugins {
    vici { socket = unix://$dir/run/charon.vici }
    socket-default { fwmark = 0x42 }
    kernel-netlink { fwmark = !0x42 }
  }
}
swanctl { socket = unix://$dir/run/charon.vici }
CONF
  pc_launch_charon "$ns" "$dir"
}

# pc_launch_charon NS DIR: runs charon with DIR/strongswan.conf in NS, its /run a private DIR/run (charon 5.9.8 hard-codes
# /run/charon.pid), and waits for its VICI socket DIR/run/charon.vici. A restart first clears the last instance's
# socket and pid file. Sets CHARON_PID; ip netns exec, unshare and bash all exec, so it is charon's own PID.
pc_launch_charon() {
  local ns=$1 dir=$2
  rm -f "$dir/run/charon.vici" "$dir/run/charon.pid"
  ip netns exec "$ns" unshare --mount bash -c "mount --bind '$dir/run' /run && STRONGSWAN_CONF='$dir/strongswan.conf' exec /usr/lib/ipsec/charon" \
    > "$dir/charon.out" 2>&1 &
  CHARON_PID=$!
  PC_PIDS+=($CHARON_PID)
  local i
  for i in $(seq 50); do [ -S "$dir/run/charon.vici" ] && return 0; sleep 0.1; done
  cat "$dir/charon.out"; pc_fail "charon did not start in $ns"
}

pc_swanctl() { local ns=$1 dir="$PC_WORK/$2"; shift 2; STRONGSWAN_CONF="$dir/strongswan.conf" ip netns exec "$ns" swanctl "$@"; }

pc_strongswan_load() { cp "$3" "$PC_WORK/$2/conf/swanctl.conf"; pc_swanctl "$1" "$2" --load-all --file "$PC_WORK/$2/conf/swanctl.conf" > "$PC_WORK/$2/load.out" 2>&1 || { cat "$PC_WORK/$2/load.out"; pc_fail "swanctl --load-all"; }; }

# pc_strongswan_load_dir NS NAME SWANCTL_DIR: swanctl --load-all of SWANCTL_DIR/swanctl.conf with the credentials of
# SWANCTL_DIR (x509ca/, x509/, private/, x509crl/ …), as /etc/swanctl would hold them.
pc_strongswan_load_dir() {
  local out="$PC_WORK/$2/load.out"
  SWANCTL_DIR="$3" pc_swanctl "$1" "$2" --load-all --file "$3/swanctl.conf" > "$out" 2>&1 || { cat "$out"; pc_fail "swanctl --load-all from $3"; }
}

# pc_start_portcullis NS NAME CONF [DAEMON_ARGS…]: the daemon in NS with its own control socket and log; DAEMON_ARGS
# are added to its command line (e.g. --settings FILE).
pc_start_portcullis() {
  local ns=$1 name=$2 dir="$PC_WORK/$2"
  mkdir -p "$dir"
  cp "$3" "$dir/swanctl.conf"
  # Secrets for the owner only, as they should be: the daemon warns about group- or world-readable ones.
  chmod 600 "$dir/swanctl.conf"
  local keys; for keys in private rsa ecdsa pkcs8; do [ -d "$dir/$keys" ] && chmod -R go-rwx "$dir/$keys"; done
  shift 3
  ip netns exec "$ns" env PORTCULLIS_SOCKET="$dir/portcullis.sock" "$PORTCULLIS_BIN" daemon --config "$dir/swanctl.conf" --debug \
    --keylog "$PC_WORK/keys.log" "$@" > "$dir/portcullis.log" 2>&1 &
  PC_PIDS+=($!)
  eval "PID_$name=$!"
  local i
  for i in $(seq 100); do [ -S "$dir/portcullis.sock" ] && return 0; sleep 0.1; done
  cat "$dir/portcullis.log"; pc_fail "portcullis daemon did not start in $ns"
}

pc_portcullis() { local ns=$1 dir="$PC_WORK/$2"; shift 2; ip netns exec "$ns" env PORTCULLIS_SOCKET="$dir/portcullis.sock" "$PORTCULLIS_BIN" "$@"; }

# pc_capture_start NS IFACE NAME / pc_capture_check NAME: tshark must decode every frame without a malformed packet.
# IKE, ESP and IP fragments are captured; PC_CAPTURE_EXTRA adds to the filter (e.g. "ip proto 51", "udp port 1701").
pc_capture_start() {
  # Non-first IP fragments carry no UDP header: without them a large IKE message (certificates) is never reassembled.
  ip netns exec "$1" tshark -q -i "$2" -f "udp port 500 or udp port 4500 or ip proto 50 or ip6 proto 50 or ip proto 51 or (ip[6:2] & 0x1fff != 0) or (ip6 and ip6[6] == 44)${PC_CAPTURE_EXTRA:+ or $PC_CAPTURE_EXTRA}" -w "$PC_WORK/$3.pcap" > "$PC_WORK/$3.tshark.out" 2>&1 &
  PC_PIDS+=($!); eval "CAPTURE_$3=$!"
  local i
  for i in $(seq 100); do grep -q "Capturing on" "$PC_WORK/$3.tshark.out" 2>/dev/null && break; sleep 0.1; done
  grep -q "Capturing on" "$PC_WORK/$3.tshark.out" 2>/dev/null || { cat "$PC_WORK/$3.tshark.out"; pc_fail "tshark did not start"; }
  # "Capturing on" comes a moment before dumpcap takes packets: on a loaded machine the first IKEv1 message was
  # missed, and without it Wireshark cannot decrypt the rest. Wait for the file's header, then a little more.
  for i in $(seq 50); do [ -s "$PC_WORK/$3.pcap" ] && break; sleep 0.1; done
  sleep 0.5
}

# Wireshark's names for IKE transforms (its ikev2_decryption_table); it cannot decrypt IKE with ChaCha20-Poly1305.
pc_wireshark_encr() {
  case "$1" in
    aes128|aes192|aes256) echo "AES-CBC-${1#aes} [RFC3602]" ;;
    aes128ctr|aes192ctr|aes256ctr) local k=${1#aes}; echo "AES-CTR-${k%ctr} [RFC5930]" ;;
    aes*gcm16|aes*gcm12|aes*gcm8) local k=${1#aes}; echo "AES-GCM-${k%gcm*} with ${k#*gcm} octet ICV [RFC5282]" ;;
    3des) echo "3DES [RFC2451]" ;;
    *) return 1 ;;
  esac
}
pc_wireshark_integ() {
  case "$1" in
    -) echo "NONE [RFC4306]" ;; md5) echo "HMAC_MD5_96 [RFC2403]" ;; sha1) echo "HMAC_SHA1_96 [RFC2404]" ;;
    sha256) echo "HMAC_SHA2_256_128 [RFC4868]" ;; sha384) echo "HMAC_SHA2_384_192 [RFC4868]" ;; sha512) echo "HMAC_SHA2_512_256 [RFC4868]" ;;
    *) return 1 ;;
  esac
}

# pc_capture_check NAME: tshark must decode every frame without a malformed packet or an expert error. When the
# Portcullis daemons wrote their IKE keys (--keylog) and Wireshark knows the algorithms, tshark decrypts every
# Encrypted payload too, checks its integrity, and dissects the payloads inside (an independent check of our SK
# encoding and of every inner payload).
pc_capture_check() {
  local pid; eval "pid=\$CAPTURE_$1"; sleep 0.5; kill -INT "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  local pcap="$PC_WORK/$1.pcap" home="$PC_WORK/wireshark-home" decrypt=0
  mkdir -p "$home/.config/wireshark"; : > "$home/.config/wireshark/ikev2_decryption_table"; : > "$home/.config/wireshark/ikev1_decryption_table"
  # IKEv1 (ISAKMP): Wireshark needs the initiator's cookie and the encryption key; it takes the algorithm from the capture.
  [ -s "$PC_WORK/keys.log" ] && awk '$1 == "ikev1" { print $2 "," $5 }' "$PC_WORK/keys.log" > "$home/.config/wireshark/ikev1_decryption_table"
  if [ -s "$PC_WORK/keys.log" ]; then
    decrypt=1
    local kind spii spir enc integ ei er ai ar wenc winteg
    while read -r kind spii spir enc integ ei er ai ar; do
      [ "$kind" = ike ] || continue
      if wenc=$(pc_wireshark_encr "$enc") && winteg=$(pc_wireshark_integ "$integ"); then
        [ "$ai" = - ] && ai=""; [ "$ar" = - ] && ar=""
        printf '%s,%s,%s,%s,"%s",%s,%s,"%s"\n' "$spii" "$spir" "$ei" "$er" "$wenc" "$ai" "$ar" "$winteg" >> "$home/.config/wireshark/ikev2_decryption_table"
      else
        decrypt=0
      fi
    done < "$PC_WORK/keys.log"
  fi
  # PC_DECRYPT_ESP=1: the ESP keys the daemons logged go into Wireshark's esp_sa table (any address, by SPI), so what
  # travels inside ESP (L2TP and PPP in transport mode) is dissected and checked too.
  : > "$home/.config/wireshark/esp_sa"; : > "$home/.config/wireshark/preferences"
  if [ "${PC_DECRYPT_ESP:-0}" = 1 ] && grep -q '^esp ' "$PC_WORK/keys.log" 2>/dev/null; then
    local e spi encr integ key ikey wencr winteg
    while read -r e spi encr integ key ikey; do
      [ "$e" = esp ] || continue
      case "$encr" in
        aes128|aes192|aes256) wencr="AES-CBC [RFC3602]" ;;
        aes128gcm16|aes192gcm16|aes256gcm16) wencr="AES-GCM with 16 octet ICV [RFC4106]" ;;
        *) pc_fail "no Wireshark name for ESP encryption $encr" ;;
      esac
      case "$integ" in
        sha1) winteg="HMAC-SHA-1-96 [RFC2404]" ;;
        sha256) winteg="HMAC-SHA-256-128 [RFC4868]" ;;
        sha384) winteg="HMAC-SHA-384-192 [RFC4868]" ;;
        sha512) winteg="HMAC-SHA-512-256 [RFC4868]" ;;
        -) winteg="NULL"; ikey="" ;;
        *) pc_fail "no Wireshark name for ESP integrity $integ" ;;
      esac
      local family; for family in IPv4 IPv6; do
        printf '"%s","*","*","0x%s","%s","0x%s","%s","%s"\n' "$family" "$spi" "$wencr" "$key" "$winteg" "${ikey:+0x$ikey}" >> "$home/.config/wireshark/esp_sa"
      done
    done < "$PC_WORK/keys.log"
    printf 'esp.enable_encryption_decode: TRUE\n' > "$home/.config/wireshark/preferences"
  fi
  local frames; frames=$(HOME=$home tshark -r "$pcap" 2>/dev/null | wc -l)
  [ "$frames" -gt 0 ] || pc_fail "capture $1 is empty"
  # A retransmission repeats an earlier datagram byte for byte; the first copy is checked. Wireshark cannot decrypt
  # a repeated IKEv1 message (it chains the CBC IV from the exchange's previous message, which is then the original
  # itself), so repeats are left out of the checks below.
  local repeats; repeats=$(tshark -r "$pcap" -T fields -e frame.number -e udp.payload 2>/dev/null \
    | awk -F'\t' '$2 != "" { if (seen[$2]++) printf "%s,", $1 }')
  local fresh="frame"; [ -n "$repeats" ] && fresh="!(frame.number in {${repeats%,}})"
  local bad; bad=$(HOME=$home tshark -r "$pcap" -Y "($fresh) && (_ws.malformed || _ws.expert.severity == error)" 2>/dev/null)
  if [ -n "$bad" ]; then echo "$bad"; HOME=$home tshark -r "$pcap" -V -Y "($fresh) && (_ws.malformed || _ws.expert.severity == error)" | head -80; pc_fail "tshark found malformed frames"; fi
  local note="keys not usable by Wireshark, SK payloads not decrypted"
  if [ "$decrypt" = 1 ]; then
    local sk decrypted incorrect
    # SK (46) and SKF (53, RFC 7383 fragments: each decrypted and verified on its own).
    sk=$(HOME=$home tshark -r "$pcap" -Y 'isakmp.nextpayload == 46 || isakmp.nextpayload == 53' 2>/dev/null | wc -l)
    decrypted=$(HOME=$home tshark -r "$pcap" -V -Y 'isakmp.nextpayload == 46 || isakmp.nextpayload == 53' 2>/dev/null | grep -c 'Decrypted Data (')
    incorrect=$(HOME=$home tshark -r "$pcap" -V 2>/dev/null | grep -ci '\[incorrect')
    [ "$sk" -eq "$decrypted" ] || pc_fail "tshark decrypted $decrypted of $sk Encrypted payloads with the daemon's keys"
    [ "$incorrect" -eq 0 ] || pc_fail "tshark found $incorrect incorrect integrity checksums"
    note="all $sk Encrypted (and Encrypted Fragment) payloads decrypted and dissected, integrity correct"
  fi
  if [ -s "$home/.config/wireshark/ikev1_decryption_table" ]; then
    # Each encrypted ISAKMP message must decrypt to payloads Wireshark dissects (none left as opaque data).
    local v1 v1ok
    v1=$(HOME=$home tshark -r "$pcap" -Y "($fresh) && isakmp.version == 0x10 && isakmp.flags & 0x01" 2>/dev/null | wc -l)
    v1ok=$(HOME=$home tshark -r "$pcap" -Y "($fresh) && isakmp.version == 0x10 && isakmp.flags & 0x01" -T fields -e isakmp.typepayload 2>/dev/null | grep -c .)
    [ "$v1" -eq "$v1ok" ] || pc_fail "tshark decrypted $v1ok of $v1 encrypted ISAKMP (IKEv1) messages with the daemon's keys"
    note="$note; all $v1 encrypted ISAKMP (IKEv1) messages decrypted and dissected"
  fi
  [ -n "$repeats" ] && note="$note; $(tr -cd , <<< "$repeats" | wc -c) retransmitted frames (repeats of an earlier one) not checked again"
  pc_log "tshark decoded $frames frames of $1, none malformed; $note: $(tshark -r "$pcap" -T fields -e _ws.col.Protocol 2>/dev/null | sort | uniq -c | tr -s ' \n' ' ')"
}

# pc_scan_secrets: no secret a Portcullis daemon held reaches its log ($PC_WORK/*/portcullis.log). The keys come
# from the key log every daemon writes (--keylog): SK_ei/er, SK_ai/ar (ike), SK_d, SK_pi/pr (ike-secrets), the ISAKMP
# encryption key (ikev1), SKEYID, SKEYID_d/a/e (ikev1-secrets), both ESP SAs' keys (esp); the pre-shared keys and
# EAP/XAUTH passwords from the daemons' swanctl.conf. Each key is looked for in hex (whole and its first 8 bytes, any
# case) and in base64, each secret also as written; one grep per form, so it is cheap at the end of any case.
# Arguments: more secrets to look for (a password the case has since replaced in swanctl.conf).
pc_scan_secrets() {
  local keys="$PC_WORK/keys.log" pat="$PC_WORK/secrets.hex" b64="$PC_WORK/secrets.b64" txt="$PC_WORK/secrets.txt" conf v hex log
  [ -s "$keys" ] || pc_fail "no key log to check the daemon's log against"
  awk '$1 == "ike" { print $6; print $7; print $8; print $9 } $1 == "ike-secrets" { print $4; print $5; print $6 }
       $1 == "esp" { print $5; print $6 } $1 == "ikev1" { print $5 } $1 == "ikev1-secrets" { print $4; print $5; print $6; print $7 }' "$keys" \
    | grep -E '^[0-9a-f]{16,}$' | sort -u > "$pat.keys"
  : > "$txt"
  { printf '%s\n' "$@"
    for conf in "$PC_WORK"/*/swanctl.conf; do
      [ -e "${conf%/*}/portcullis.log" ] || continue
      sed -n 's/^[[:space:]]*secret[[:space:]]*=[[:space:]]*//p' "$conf" | sed 's/^"\(.*\)"[[:space:]]*$/\1/'
    done; } | grep . | sort -u | while IFS= read -r v; do
    case "$v" in
      0x*) hex=${v#0x} ;;
      0s*) hex=$(printf '%s' "${v#0s}" | base64 -d | basenc --base16) ;;
      *) hex=$(printf '%s' "$v" | basenc --base16); [ ${#v} -ge 6 ] && printf '%s\n' "$v" >> "$txt" ;;
    esac
    printf '%s\n' "${hex,,}" >> "$pat.keys"
  done
  # Shorter than 6 bytes would match by chance (and no key is that short).
  grep -E '^[0-9a-f]{12,}$' "$pat.keys" | sort -u > "$pat.all"
  local n; n=$(wc -l < "$pat.all")
  { cat "$pat.all"; grep -E '^.{16,}$' "$pat.all" | cut -c1-16; } | sort -u > "$pat"
  while read -r v; do printf '%s' "${v^^}" | basenc --base16 -d | base64 -w0 | tr -d '='; echo; done < "$pat.all" | sort -u > "$b64"
  for log in "$PC_WORK"/*/portcullis.log; do
    [ -e "$log" ] || continue
    if grep -qiF -f "$pat" "$log"; then pc_fail "key material from the key log (in hex) is in $log, line $(grep -niF -f "$pat" "$log" | cut -d: -f1 | head -3 | paste -sd,)"; fi
    if grep -qF -f "$b64" "$log"; then pc_fail "key material from the key log (in base64) is in $log"; fi
    if [ -s "$txt" ] && grep -qF -f "$txt" "$log"; then pc_fail "a pre-shared key or password of swanctl.conf is in $log"; fi
  done
  [ "$n" -ge 5 ] || pc_fail "only $n secrets to look for: the key log lacks keys"
  pc_log "secrets: none of the $n keys and secrets the daemons held ($(cut -d' ' -f1 "$keys" | sort | uniq -c | tr -s ' \n' ' ')lines in the key log, PSKs and passwords) is in their logs, in hex or base64"
}

# pc_ping NS FROM TO: three pings, every one answered (ping itself succeeds on partial loss).
pc_ping() {
  ip netns exec "$1" ping -c 3 -i 0.2 -W 2 -I "$2" "$3" > "$PC_WORK/ping.out" 2>&1
  grep -E 'packets transmitted' "$PC_WORK/ping.out"
  grep -q ' 0% packet loss' "$PC_WORK/ping.out" || { cat "$PC_WORK/ping.out"; pc_data_plane_counters; return 1; }
}

# Every running Portcullis daemon's data-plane counters (drops by reason, send errors): printed when traffic was lost.
pc_data_plane_counters() {
  local sock dir
  for sock in "$PC_WORK"/*/portcullis.sock; do
    [ -S "$sock" ] || continue
    dir=$(dirname "$sock")
    echo "--- $(basename "$dir"): data plane"
    PORTCULLIS_SOCKET="$sock" timeout 5 "$PORTCULLIS_BIN" list-sas 2>&1 | grep -E "data plane|ESP SPIs|^ +(in|out) "
  done
}

# strongSwan's names for our proposal keywords, to compare both sides' listings.
pc_strongswan_name() {
  case "$1" in
    aes128gcm16) echo AES_GCM_16-128 ;; aes256gcm16) echo AES_GCM_16-256 ;; aes128) echo AES_CBC-128 ;; aes256) echo AES_CBC-256 ;;
    chacha20poly1305) echo CHACHA20_POLY1305 ;; sha1) echo HMAC_SHA1_96 ;; sha256) echo HMAC_SHA2_256_128 ;; sha384) echo HMAC_SHA2_384_192 ;; sha512) echo HMAC_SHA2_512_256 ;;
    prfsha1) echo PRF_HMAC_SHA1 ;; prfsha256) echo PRF_HMAC_SHA2_256 ;; prfsha384) echo PRF_HMAC_SHA2_384 ;;
    ecp256) echo ECP_256 ;; ecp384) echo ECP_384 ;; modp1024) echo MODP_1024 ;; modp2048) echo MODP_2048 ;; curve25519) echo CURVE_25519 ;;
    3des) echo 3DES_CBC ;; *) echo "?$1" ;;
  esac
}

# ---- road warriors: N clients and one gateway ----

# pc_topology_clients N: a gateway RIGHT (192.0.2.1, its inner network 198.18.2.0/24 with 198.18.2.1 on lo) and N
# client namespaces CLIENT_NS[1..N] at CLIENT_ADDR[i] = 192.0.2.(100+i), all on one Ethernet segment: a bridge in the
# namespace SWITCH_NS. N is 1 to 150.
pc_topology_clients() {
  local n=$1 sw cns i
  [ "$n" -ge 1 ] 2>/dev/null && [ "$n" -le 150 ] || pc_fail "clients: N must be 1 to 150, not '$n'"
  pc_ns sw w; SWITCH_NS=$sw
  ip -n "$sw" link add br0 type bridge || pc_fail "bridge"
  ip -n "$sw" link set br0 up
  pc_ns RIGHT s
  pc_port "$RIGHT" 192.0.2.1/24; RIGHT_IF=$PC_PORT_IF; RIGHT_ADDR=192.0.2.1
  ip -n "$RIGHT" addr add 198.18.2.1/32 dev lo
  CLIENT_NS=(); CLIENT_ADDR=()
  for i in $(seq "$n"); do
    pc_ns cns "c$i"
    pc_port "$cns" "192.0.2.$((100 + i))/24"
    CLIENT_NS[$i]=$cns; CLIENT_ADDR[$i]=192.0.2.$((100 + i))
  done
}

# pc_port NS ADDR/LEN: a veth from NS to the bridge in SWITCH_NS, made inside the two namespaces (never in the host's).
PC_PORT_N=0
pc_port() {
  PC_PORT_N=$((PC_PORT_N + 1))
  local a="port$PC_PORT_N" b="sw$PC_PORT_N"
  ip -n "$1" link add "$a" type veth peer name "$b" netns "$SWITCH_NS" || pc_fail "veth into $1"
  ip -n "$1" addr add "$2" dev "$a"; ip -n "$1" link set "$a" up
  ip -n "$SWITCH_NS" link set "$b" master br0 up
  PC_PORT_IF=$a
}

# pc_spawn_charon NS NAME: charon for the road-warrior cases in NS (kernel-libipsec, private /run and VICI socket as in
# pc_start_strongswan), started without waiting for it: pc_wait_charon NAME waits. Ten threads each (charon's default
# is 16; about seven are taken for good by the receiver, sender, scheduler, watcher and kernel-libipsec's TUN reader
# and ESP processor, and with four a VICI request never runs), since twenty of them share the machine; no DoS
# protection (a burst of clients is the point). The
# resolve plugin writes the DNS servers a client receives to DIR/resolv.conf (never /etc/resolv.conf) and logs
# "installing DNS server …".
pc_spawn_charon() {
  local ns=$1 dir="$PC_WORK/$2"
  mkdir -p "$dir/run" "$dir/conf"
  cat > "$dir/strongswan.conf" <<CONF
charon {
  load = random nonce aes sha1 sha2 hmac gcm curve25519 gmp kdf openssl pem pkcs1 x509 pubkey kernel-libipsec kernel-netlink socket-default vici resolve
  threads = 10
  dos_protection = no
  filelog {
    interop {
      path = $dir/charon.log
      default = 1
      ike = 2
      cfg = 2
      flush_line = yes
    }
  }
  plugins {
    vici { socket = unix://$dir/run/charon.vici }
    socket-default { fwmark = 0x42 }
    kernel-netlink { fwmark = !0x42 }
    resolve { file = $dir/resolv.conf }
  }
}
swanctl { socket = unix://$dir/run/charon.vici }
CONF
  rm -f "$dir/run/charon.vici" "$dir/run/charon.pid"
  ip netns exec "$ns" unshare --mount bash -c "mount --bind '$dir/run' /run && STRONGSWAN_CONF='$dir/strongswan.conf' exec /usr/lib/ipsec/charon" \
    > "$dir/charon.out" 2>&1 &
  PC_PIDS+=($!)
}

pc_wait_charon() {
  local dir="$PC_WORK/$1" i
  for i in $(seq 300); do [ -S "$dir/run/charon.vici" ] && return 0; sleep 0.1; done
  cat "$dir/charon.out"; pc_fail "charon $1 did not start"
}

# pc_rw_server_conf SECRET: the gateway's swanctl.conf, read unchanged by Portcullis and strongSwan: any client with the
# PSK gets an address from pool rw (198.18.100.0/24, DNS 198.18.0.53) and a tunnel to 198.18.2.0/24.
pc_rw_server_conf() {
  cat <<CONF
connections {
  rw {
    version = 2
    local_addrs = 192.0.2.1
    proposals = aes128gcm16-prfsha256-ecp256
    pools = rw
    local {
      auth = psk
      id = 192.0.2.1
    }
    remote {
      auth = psk
    }
    children {
      net {
        local_ts = 198.18.2.0/24
        esp_proposals = aes128gcm16
      }
    }
  }
}
pools {
  rw {
    addrs = 198.18.100.0/24
    dns = 198.18.0.53
  }
}
secrets {
  ike-rw {
    secret = "$1"
  }
}
CONF
}

# pc_rw_client_conf I SECRET: client I's swanctl.conf (strongSwan): vips = 0.0.0.0 asks the gateway for an address,
# which charon puts on its TUN and uses as the source of the tunnel to 198.18.2.0/24. Identity client<I>.pools.test.
pc_rw_client_conf() {
  cat <<CONF
connections {
  rw {
    version = 2
    local_addrs = ${CLIENT_ADDR[$1]}
    remote_addrs = 192.0.2.1
    vips = 0.0.0.0
    proposals = aes128gcm16-prfsha256-ecp256
    local {
      auth = psk
      id = client$1.pools.test
    }
    remote {
      auth = psk
      id = 192.0.2.1
    }
    children {
      net {
        remote_ts = 198.18.2.0/24
        esp_proposals = aes128gcm16
      }
    }
  }
}
secrets {
  ike-rw {
    secret = "$2"
  }
}
CONF
}

# pc_pki DIR [rsa|ecdsa]: credentials made with strongSwan's pki tool, in swanctl's layout. A CA
# "C=CH, O=Portcullis Test, CN=Portcullis Test CA" (DIR/ca/caCert.pem, caKey.pem); the server (left)
# "C=CH, O=Portcullis Test, CN=server.example" with subjectAltName server.example (serverAuth, ikeIntermediate); the
# client (right) "C=CH, O=Portcullis Test, CN=client@example.org" with subjectAltName client@example.org (clientAuth);
# a third client "…, CN=revoked@example.org" (subjectAltName revoked@example.org) that the CA's CRL revokes. Each side
# gets its own swanctl folder: DIR/left, DIR/right and DIR/revoked, each with x509ca/caCert.pem, x509/<name>Cert.pem,
# private/<name>Key.pem (PKCS #1 or SEC1 PEM, as pki writes them) and x509crl/caCrl.pem. RSA keys are 3072 bits,
# ECDSA keys P-384 (the CA) and P-256 (the end entities), so the two key sizes' hashes both come up. Valid for 30 days
# from now.
pc_pki() {
  local dir=$1 kind=${2:-rsa} ca_size ee_size log="$1/pki.log"
  case "$kind" in
    rsa) ca_size=3072; ee_size=3072 ;;
    ecdsa) ca_size=384; ee_size=256 ;;
    *) pc_fail "pc_pki: key type must be rsa or ecdsa, not '$kind'" ;;
  esac
  mkdir -p "$dir/ca"
  : > "$log"
  pki --gen --type "$kind" --size "$ca_size" --outform pem > "$dir/ca/caKey.pem" 2>> "$log" || { cat "$log"; pc_fail "pki --gen (CA)"; }
  pki --self --ca --lifetime 30 --in "$dir/ca/caKey.pem" --type "$kind" --dn "C=CH, O=Portcullis Test, CN=Portcullis Test CA" \
    --outform pem > "$dir/ca/caCert.pem" 2>> "$log" || { cat "$log"; pc_fail "pki --self"; }
  local side name dn san flags
  for side in left right revoked; do
    case "$side" in
      left) name=server; dn="C=CH, O=Portcullis Test, CN=server.example"; san=server.example; flags="--flag serverAuth --flag ikeIntermediate" ;;
      right) name=client; dn="C=CH, O=Portcullis Test, CN=client@example.org"; san=client@example.org; flags="--flag clientAuth" ;;
      revoked) name=revoked; dn="C=CH, O=Portcullis Test, CN=revoked@example.org"; san=revoked@example.org; flags="--flag clientAuth" ;;
    esac
    mkdir -p "$dir/$side/x509ca" "$dir/$side/x509" "$dir/$side/private" "$dir/$side/x509crl"
    cp "$dir/ca/caCert.pem" "$dir/$side/x509ca/caCert.pem"
    pki --gen --type "$kind" --size "$ee_size" --outform pem > "$dir/$side/private/${name}Key.pem" 2>> "$log" || { cat "$log"; pc_fail "pki --gen ($name)"; }
    # shellcheck disable=SC2086
    pki --pub --in "$dir/$side/private/${name}Key.pem" --type "$kind" 2>> "$log" \
      | pki --issue --cacert "$dir/ca/caCert.pem" --cakey "$dir/ca/caKey.pem" --dn "$dn" --san "$san" $flags --lifetime 30 --outform pem \
      > "$dir/$side/x509/${name}Cert.pem" 2>> "$log" || { cat "$log"; pc_fail "pki --issue ($name)"; }
  done
  pki --signcrl --cacert "$dir/ca/caCert.pem" --cakey "$dir/ca/caKey.pem" --reason key-compromise --cert "$dir/revoked/x509/revokedCert.pem" \
    --lifetime 30 --outform pem > "$dir/ca/caCrl.pem" 2>> "$log" || { cat "$log"; pc_fail "pki --signcrl"; }
  for side in left right revoked; do cp "$dir/ca/caCrl.pem" "$dir/$side/x509crl/caCrl.pem"; done
}

# pc_cert_conf NAME CHILD ME PEER MY_INNER PEER_INNER IKE_PROPOSAL LOCAL_ID CERT REMOTE_ID [CONN_EXTRA [REMOTE_EXTRA]]:
# one connection NAME (child CHILD) with auth = pubkey both ways, in the swanctl.conf syntax Portcullis and strongSwan
# both read; wrap one or more in "connections { … }". CONN_EXTRA is added to the connection (e.g. "send_cert =
# always"), REMOTE_EXTRA to remote (e.g. "cacerts = caCert.pem").
pc_cert_conf() {
  cat <<CONF
  $1 {
    version = 2
    local_addrs = $3
    remote_addrs = $4
    proposals = $7
    ${11:-}
    local {
      auth = pubkey
      certs = $9
      id = $8
    }
    remote {
      auth = pubkey
      id = ${10}
      ${12:-}
    }
    children {
      $2 {
        local_ts = $5/32
        remote_ts = $6/32
        esp_proposals = aes128gcm16
      }
    }
  }
CONF
}
