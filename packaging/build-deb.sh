#!/usr/bin/env bash
# Builds the Debian package: a self-contained single-file `portcullis` (no .NET runtime needed on the target) in
# /usr/bin, the systemd unit (Type=notify, hardened), the example configuration as /etc/portcullis/swanctl.conf (a
# conffile), the man page, and the changelog.
# Usage: bash packaging/build-deb.sh [OUTPUT_DIR]   (default artifacts/deb); prints the .deb's path last.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$here/artifacts/deb}
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$here/Directory.Build.props")
arch=$(dpkg --print-architecture)
case "$arch" in amd64) rid=linux-x64 ;; arm64) rid=linux-arm64 ;; *) echo "build-deb.sh: no .NET runtime identifier for $arch" >&2; exit 1 ;; esac
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root="$stage/root"

dotnet publish "$here/src/Portcullis.Cli/Portcullis.Cli.csproj" -c Release -r "$rid" --self-contained \
  -p:PublishSingleFile=true -p:DebugType=none -o "$stage/publish" --nologo -v quiet >&2

install -D -m 0755 "$stage/publish/portcullis" "$root/usr/bin/portcullis"
install -d -m 0755 "$root/lib/systemd/system"
sed "s|@BINDIR@|/usr/bin|" "$here/packaging/portcullis.service" > "$root/lib/systemd/system/portcullis.service"
chmod 0644 "$root/lib/systemd/system/portcullis.service"
install -D -m 0600 "$here/packaging/swanctl.conf.example" "$root/etc/portcullis/swanctl.conf"
install -D -m 0644 "$here/packaging/swanctl.conf.example" "$root/usr/share/doc/portcullis/examples/swanctl.conf"
install -d -m 0755 "$root/usr/share/man/man8"
gzip -9n < "$here/packaging/portcullis.8" > "$root/usr/share/man/man8/portcullis.8.gz"
gzip -9n < "$here/CHANGELOG.md" > "$root/usr/share/doc/portcullis/changelog.gz"
chmod 0644 "$root/usr/share/man/man8/portcullis.8.gz" "$root/usr/share/doc/portcullis/changelog.gz"

install -d -m 0755 "$root/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: portcullis
Version: $version
Architecture: $arch
Maintainer: Portcullis developers <dev@portcullis.invalid>
Installed-Size: $size
Depends: libc6, libgcc-s1, libstdc++6, libssl3 | libssl3t64, zlib1g, iproute2
Section: net
Priority: optional
Homepage: https://github.com/portcullis/portcullis
Description: IPsec VPN (IKEv2, IKEv1, L2TP/IPsec) configured like strongSwan
 Portcullis reads strongSwan's swanctl.conf syntax and proposal strings, negotiates
 IKEv2 and IKEv1 SAs with NAT traversal, and carries ESP over a user-space data
 plane (TUN). Its control socket also speaks strongSwan's VICI protocol, so
 swanctl drives it. Self-contained: no .NET runtime needed.
CONTROL
echo /etc/portcullis/swanctl.conf > "$root/DEBIAN/conffiles"
# Maintainer scripts honour DPKG_ROOT (an installation into another root touches nothing of the host) and do not
# start the service: the example configuration must be edited first.
cat > "$root/DEBIAN/postinst" <<'SCRIPT'
#!/bin/sh
set -e
if [ "$1" = configure ] && [ -z "${DPKG_ROOT:-}" ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload || true
fi
exit 0
SCRIPT
cat > "$root/DEBIAN/prerm" <<'SCRIPT'
#!/bin/sh
set -e
if [ "$1" = remove ] && [ -z "${DPKG_ROOT:-}" ] && [ -d /run/systemd/system ]; then
  systemctl stop portcullis.service || true
fi
exit 0
SCRIPT
cat > "$root/DEBIAN/postrm" <<'SCRIPT'
#!/bin/sh
set -e
if [ -z "${DPKG_ROOT:-}" ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload || true
fi
exit 0
SCRIPT
chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm" "$root/DEBIAN/postrm"

mkdir -p "$out"
deb="$out/portcullis_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >&2
echo "$deb"
