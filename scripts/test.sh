#!/usr/bin/env bash
# Runs every test of the solution and the README's set-up command, then prints one summary line last:
# "tests: N passed, N failed, N skipped".
# Usage: bash scripts/test.sh        (CI runs exactly this, through .ci/run)
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
results="$here/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

bash "$here/scripts/test-deps.sh" || exit 1

# The full 10 000-round ML-KEM known-answer runs (about 30 s) are part of every test run made through this script.
export PORTCULLIS_FULL_KAT="${PORTCULLIS_FULL_KAT:-1}"

dotnet build Portcullis.slnx -c Release --nologo -v quiet -warnaserror || { echo "tests: build failed"; exit 1; }

# The Debian guest of the kernel-peer interop cases, built here (or found cached) so its time shows on its own; a
# failed build (build.sh printed its log's tail) fails the run; the other tests still run.
guest_status=0
if [ "$(id -u)" -eq 0 ]; then
  start=$SECONDS
  if guest=$(bash "$here/tests/interop/guest/build.sh" | tail -1); then
    echo "guest: image $guest ready in $((SECONDS - start)) s"
  else
    echo "guest: FAILED: the kernel-peer guest image could not be built (tests/interop/guest/build.sh, log above)"
    guest_status=1
  fi
fi
dotnet test Portcullis.slnx -c Release --no-build --nologo --logger "trx" --results-directory "$results"
status=$?
[ "$guest_status" -eq 0 ] || status=1

# The README's set-up command, into a scratch prefix: it must build, install and run `portcullis`.
if [ "$(id -u)" -eq 0 ]; then
  prefix=$(mktemp -d)
  if bash "$here/scripts/install.sh" "$prefix" > "$results/install.log" 2>&1 \
     && "$prefix/bin/portcullis" --version | grep '^portcullis ' > /dev/null \
     && "$prefix/bin/portcullis" algorithms | grep 'aes256gcm16' > /dev/null \
     && grep -q '3 received' "$results/install.log" && grep -q '==> demo: done' "$results/install.log"; then
    echo "install: scripts/install.sh built and installed portcullis, and its demo tunnel carried a ping"
  else
    echo "install: scripts/install.sh failed; its output:"
    cat "$results/install.log"
    status=1
  fi
  rm -rf "$prefix"
elif [ "${CI:-}" = "true" ]; then
  echo "install: CI must run as root to check scripts/install.sh"
  status=1
else
  echo "install: skipped (not root; scripts/install.sh needs root)"
fi

python3 - "$results" "$here" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = skipped = 0
# Every test project must have left its results: a test host that died (or was killed) leaves none, and its tests
# would otherwise vanish from the count instead of failing it.
projects = glob.glob(sys.argv[2] + "/tests/*.Tests/*.csproj")
trx = glob.glob(sys.argv[1] + "/*.trx")
if len(trx) < len(projects):
    print(f"tests: {len(projects)} test projects but results from only {len(trx)}: a test run was lost")
    failed += len(projects) - len(trx)
for f in trx:
    c = ET.parse(f).getroot().find("t:ResultSummary/t:Counters", ns)
    passed += int(c.get("passed")); failed += int(c.get("failed")) + int(c.get("error")) + int(c.get("timeout")) + int(c.get("aborted"))
    skipped += int(c.get("notExecuted"))
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
PY
[ $? -eq 0 ] || status=1
exit "$status"
