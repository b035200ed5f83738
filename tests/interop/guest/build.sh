#!/usr/bin/env bash
# Builds the Debian guest the kernel-peer interop cases boot (tests/interop/guest/guest.sh), or finds it built.
# Usage (root): build.sh  -> prints the folder holding vmlinux, initrd.gz and rootfs.ext4 (last line of stdout).
# The folder is $PC_GUEST_CACHE (default /var/cache/portcullis-guest)/<hash of this folder's files>, so a change to
# the package list, the init scripts or this script builds anew; a lock (flock) makes cases starting at once build it
# once. The Debian mirror comes from the host's apt sources at run time. The build log is build.log beside the lock;
# on failure its tail is printed and the exit status is not 0.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${PC_GUEST_CACHE:-/var/cache/portcullis-guest}
# What the guest needs: kernel ESP/AH/L2TP/PPP come with linux-image-amd64's modules; charon and swanctl with the
# PSK, IKEv1 and kernel-netlink plugins (libstrongswan's), ECP, Curve25519 and GCM for IKE (openssl, gcm and
# curve25519 in libstrongswan-standard-plugins: without them charon refuses ecp256 before sending anything);
# netbase for /etc/protocols (swanctl resolves "udp" in a selector with it); EAP/XAUTH plugins for later cases; xl2tpd and pppd for the L2TP client; tcpdump to look at the guest's side; kmod
# for modprobe.
packages=netbase,kmod,strongswan-charon,strongswan-swanctl,libstrongswan-standard-plugins,libcharon-extauth-plugins,xl2tpd,ppp,iproute2,iputils-ping,tcpdump,procps,busybox
# The kernel (linux-image-amd64's image package) is unpacked rather than installed: its postinst would build an
# initramfs with mkinitramfs (minutes on a loaded machine) that the guest never uses, as it boots with its own
# initrd (below).
kernel_meta=linux-image-amd64
hash=$(cat "$here/build.sh" "$here/init" "$here/pc-init" | sha256sum | cut -c1-16)
out="$cache/$hash"
mkdir -p "$cache"
exec 9> "$cache/$hash.lock"
flock 9
if [ -s "$out/rootfs.ext4" ] && [ -s "$out/vmlinux" ] && [ -s "$out/initrd.gz" ]; then echo "$out"; exit 0; fi

log="$cache/$hash.build.log"
# in_root COMMAND…: runs the guest root's own tools (kmod, apt) in it, with its PATH, not the host's.
in_root() { chroot "$root" /usr/bin/env PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
fail() { echo "guest build: $*" >&2; echo "--- last lines of $log" >&2; tail -40 "$log" >&2; exit 1; }
# The mirror: the first http(s) URI of the host's apt sources serving bookworm's main archive (not -security),
# in one-line (.list) or deb822 (.sources) form.
mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '$1 == "deb" && $3 ~ /^bookworm$/ { print $2; exit }' || true)
if [ -z "$mirror" ]; then
  mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
    /^URIs:/ { uri = $2 } /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm") ok = 1 }
    /^$/ { if (ok && uri != "") { print uri; exit } ok = 0; uri = "" }
    END { if (ok && uri != "") print uri }' | head -1 || true)
fi
[ -n "$mirror" ] || { echo "guest build: no bookworm mirror in the host's apt sources" >&2; exit 1; }

work=$(mktemp -d "$cache/build.XXXXXX")
# PC_GUEST_KEEP_FAILED=1 leaves a failed build's folder for a look.
trap '[ $? -ne 0 ] && [ "${PC_GUEST_KEEP_FAILED:-0}" = 1 ] && echo "guest build: kept $work" >&2 || rm -rf "$work"' EXIT
root="$work/root"
: > "$log"
echo "guest build: debootstrap bookworm from $mirror into $work (log $log)" >&2
debootstrap --variant=minbase --include="$packages" bookworm "$root" "$mirror" >> "$log" 2>&1 || fail "debootstrap failed"

# debootstrap leaves the archive's package lists in the root, so its apt finds the kernel without an update.
kpkg=$(in_root apt-cache depends "$kernel_meta" 2>> "$log" | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
[ -n "$kpkg" ] || fail "apt-cache depends $kernel_meta found no kernel package"
in_root sh -c "cd /var/cache/apt/archives && apt-get download -q $kpkg" >> "$log" 2>&1 || fail "apt-get download $kpkg"
deb=$(ls "$root/var/cache/apt/archives/${kpkg}"_*.deb | head -1)
# Through tar, keeping the root's /lib -> usr/lib symlink (merged /usr): dpkg-deb -x would replace it with a folder
# holding only the modules, and nothing in the root would run any more.
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$root" --keep-directory-symlink >> "$log" 2>&1 || fail "unpacking $deb"
rm -f "$deb"
kver=$(ls "$root/lib/modules" | head -1)
[ -n "$kver" ] && [ -f "$root/boot/vmlinuz-$kver" ] || fail "no kernel in the guest root"
# Drivers for hardware QEMU does not show the guest are left out, so the image is smaller.
for d in drivers/gpu drivers/media drivers/net/wireless drivers/infiniband drivers/staging sound drivers/scsi drivers/usb drivers/bluetooth net/bluetooth net/wireless net/mac80211 drivers/hid drivers/input; do
  rm -rf "$root/lib/modules/$kver/kernel/$d"
done
in_root depmod "$kver" >> "$log" 2>&1 || fail "depmod"
# The uncompressed kernel: QEMU boots its ELF through the PVH entry point, quicker than the bzImage's decompressor
# under TCG.
python3 "$here/extract-vmlinux.py" "$root/boot/vmlinuz-$kver" "$work/vmlinux" >> "$log" 2>&1 || fail "extract-vmlinux failed"

# The initrd: static busybox and the modules to reach the root disk and the 9p share, loaded in dependency order
# (modprobe --show-depends against the guest's modules.dep).
initrd="$work/initrd"
mkdir -p "$initrd/bin" "$initrd/modules" "$initrd/dev" "$initrd/proc" "$initrd/sys" "$initrd/newroot"
cp /bin/busybox "$initrd/bin/busybox"
ldd /bin/busybox > /dev/null 2>&1 && fail "/bin/busybox is not static (install busybox-static)"
: > "$initrd/modules/load"
for m in virtio_pci virtio_blk virtio_net ext4 9p 9pnet_virtio; do
  # The guest's own modprobe (the host may have none), run in its root.
  in_root modprobe -S "$kver" --show-depends "$m" >> "$log" 2>&1 || fail "modprobe --show-depends $m"
  in_root modprobe -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
done | awk '!seen[$0]++' | while read -r ko; do
  cp "$root$ko" "$initrd/modules/"; echo "$(basename "$ko")" >> "$initrd/modules/load"
done
[ -s "$initrd/modules/load" ] || fail "no modules for the initrd"
cp "$here/init" "$initrd/init"; chmod 755 "$initrd/init"
(cd "$initrd" && find . | cpio -o -H newc --quiet | gzip -1) > "$work/initrd.gz" || fail "initrd"

# The root: the PID 1 script that runs the host's commands, no services of its own; what a guest never uses is left
# out (documentation, locales, the downloaded packages, the kernel outside the image) so the image is small.
install -m 755 "$here/pc-init" "$root/sbin/pc-init"
rm -rf "$root/usr/share/doc" "$root/usr/share/man" "$root/usr/share/locale" "$root/var/cache/apt/archives"/*.deb "$root/boot" "$root/var/lib/apt/lists"/*_Packages
echo "portcullis-guest" > "$root/etc/hostname"
size=$(( $(du -sm "$root" | cut -f1) * 13 / 10 + 200 ))
mkfs.ext4 -q -F -L pcguest -d "$root" "$work/rootfs.ext4" "${size}M" >> "$log" 2>&1 || fail "mkfs.ext4 -d"

mkdir -p "$out.tmp"
mv "$work/vmlinux" "$work/initrd.gz" "$work/rootfs.ext4" "$out.tmp/"
echo "$kver" > "$out.tmp/kernel-version"
rm -rf "$out"; mv "$out.tmp" "$out"
echo "guest build: done, kernel $kver, $(du -sh "$out" | cut -f1) in $out" >&2
echo "$out"
