#!/usr/bin/env bash
# Builds Portcullis, installs the `portcullis` command on PATH and its systemd unit, then brings up a demo tunnel
# between two network namespaces (Portcullis and strongSwan) and pings through it; the demo cleans up after itself.
# Usage (as root, from a clone):  bash scripts/install.sh [PREFIX]     (PREFIX defaults to /usr/local)
#                                  PORTCULLIS_NO_DEMO=1 skips the demo.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
prefix=${1:-/usr/local}
libdir="$prefix/lib/portcullis"
bindir="$prefix/bin"

if [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: run as root (it writes to $prefix and, later, brings up tunnels)" >&2
  exit 1
fi

if ! command -v dotnet >/dev/null 2>&1; then
  # Ubuntu ships the .NET SDK in its archive; Debian does not (install it from Microsoft's packages first).
  echo "install.sh: no .NET SDK found; trying the distribution's dotnet-sdk-10.0 package" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dotnet-sdk-10.0 || {
    echo "install.sh: please install the .NET 10 SDK (https://learn.microsoft.com/dotnet/core/install/linux) and re-run" >&2
    exit 1
  }
fi

case "$(uname -m)" in
  x86_64) rid=linux-x64 ;;
  aarch64) rid=linux-arm64 ;;
  *) echo "install.sh: no .NET runtime identifier for $(uname -m)" >&2; exit 1 ;;
esac
echo "==> building Portcullis (Release, self-contained single file for $rid)"
rm -rf "$libdir.new"
# Self-contained: the installed command needs no .NET runtime (the SDK is only needed to build).
dotnet publish "$here/src/Portcullis.Cli/Portcullis.Cli.csproj" -c Release -r "$rid" --self-contained -p:PublishSingleFile=true \
  -p:DebugType=none -o "$libdir.new" --nologo -v quiet
rm -rf "$libdir"
mv "$libdir.new" "$libdir"

mkdir -p "$bindir"
rm -f "$bindir/portcullis"
ln -s "$libdir/portcullis" "$bindir/portcullis"

unitdir="$prefix/lib/systemd/system"
mkdir -p "$unitdir"
sed "s|@BINDIR@|$bindir|" "$here/packaging/portcullis.service" > "$unitdir/portcullis.service"
mkdir -p "$prefix/share/portcullis"
cp "$here/packaging/swanctl.conf.example" "$prefix/share/portcullis/swanctl.conf.example"

echo "==> installed $bindir/portcullis ($("$bindir/portcullis" --version)), $unitdir/portcullis.service"
echo "==> portcullis algorithms --default"
"$bindir/portcullis" algorithms --default

if [ "${PORTCULLIS_NO_DEMO:-0}" != 1 ]; then
  echo "==> demo tunnel (installs strongSwan, tshark and nftables from Debian if missing)"
  bash "$here/scripts/test-deps.sh"
  bash "$here/scripts/demo.sh" "$bindir/portcullis"
fi
