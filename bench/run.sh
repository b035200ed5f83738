#!/usr/bin/env bash
# Runs the BenchmarkDotNet benchmarks and `openssl speed` for the same algorithms on this machine, in the same run,
# and prints a table of Portcullis's figures with their ratio to OpenSSL's (ratio > 1: Portcullis is faster).
# Usage: bash bench/run.sh [--quick] [--filter PATTERN]
#   --quick: BenchmarkDotNet's dry job, for a smoke test of the script
#   --filter: only the BenchmarkDotNet benchmarks matching PATTERN (e.g. '*AeadBenchmarks*'); openssl speed runs in full
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out="$here/artifacts/bench"
rm -rf "$out"; mkdir -p "$out"
# Twelve 250 ms iterations after three warm-ups: this 2-core VM is noisy, so the report uses medians.
job=(--warmupCount 3 --iterationCount 12 --iterationTime 250)
filter='*'
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) job=(--job dry); shift ;;
    --filter) filter="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

dotnet run -c Release --project "$here/bench/Portcullis.Benchmarks" -- \
  --filter "$filter" "${job[@]}" --exporters json --artifacts "$out/bdn" > "$out/bdn.log"

speed() { openssl speed -mr -seconds 3 "$@" 2>/dev/null | grep -E '^\+F' | tail -1; }
{
  for size in 64 1400; do
    for evp in aes-128-gcm aes-256-gcm aes-128-ccm chacha20-poly1305 aes-128-cbc aes-256-cbc; do
      echo "evp $evp $size $(speed -bytes "$size" -evp "$evp")"
    done
    for h in sha256 sha512; do echo "hmac $h $size $(speed -bytes "$size" -hmac "$h")"; done
  done
  for alg in ecdhp256 ecdhp384 ecdhx25519 ffdh2048; do echo "pk $alg 0 $(speed "$alg")"; done
} > "$out/openssl.txt"

python3 "$here/bench/report.py" "$out/bdn" "$out/openssl.txt" | tee "$out/report.md"
