#!/usr/bin/env bash
# Installs what the tests need beyond the .NET SDK. Idempotent; quiet when everything is there.
set -euo pipefail

need=()
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || need+=(iproute2)   # Host root tests: netns, TUN set-up
# Interop tests (tests/interop): strongSwan from Debian with userspace ESP (kernel-libipsec, in
# libcharon-extra-plugins), tshark to check our wire format, nftables for the NAT namespace, ping; iptables (both its
# nft and legacy flavours) and socat for the firewall cases, which load the generated rulesets and probe a port;
# strongswan-pki makes the certificates of the cert cases; systemd provides systemd-analyze, which checks the unit
# the package case installs (and socat plays systemd's notify socket there).
# The kernel-peer cases boot a Debian guest under QEMU (tests/interop/guest): qemu-system-x86 runs it, debootstrap
# builds its root, mkfs.ext4 (e2fsprogs) its image, busybox-static and cpio its initrd.
interop=(strongswan-charon strongswan-swanctl libcharon-extra-plugins libstrongswan-standard-plugins
         libstrongswan-extra-plugins tshark nftables iputils-ping iptables socat strongswan-pki systemd
         qemu-system-x86 debootstrap e2fsprogs busybox-static cpio)
if [ "$(id -u)" -eq 0 ]; then
  for p in "${interop[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "test-deps: missing ${need[*]}; run as root or install them" >&2
    exit 1
  fi
  echo "test-deps: installing ${need[*]}"
  apt-get update -qq || { echo "test-deps: apt-get update failed" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" > /tmp/portcullis-test-deps.log 2>&1 \
    || { cat /tmp/portcullis-test-deps.log >&2; echo "test-deps: apt-get install failed" >&2; exit 1; }
fi
