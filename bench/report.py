"""Joins BenchmarkDotNet's JSON results with `openssl speed -mr` figures into one Markdown table."""
import glob, json, sys

bdn_dir, openssl_file = sys.argv[1], sys.argv[2]

ref = {}  # (kind, name, size) -> bytes/s or ops/s
for line in open(openssl_file):
    parts = line.split()
    if len(parts) < 4:
        continue
    kind, name, size, f = parts[0], parts[1], int(parts[2]), parts[3].split(":")
    if kind in ("evp", "hmac") and len(f) >= 4:
        ref[(kind, name, size)] = float(f[3])
    elif kind == "pk" and len(f) >= 4:
        ref[(kind, name, 0)] = float(f[3])

AEAD = {"aes128gcm16": "aes-128-gcm", "aes256gcm16": "aes-256-gcm", "aes128ccm16": "aes-128-ccm",
        "aes128gmac": "aes-128-gcm", "chacha20poly1305": "chacha20-poly1305"}
CBC = {"aes128": "aes-128-cbc", "aes256": "aes-256-cbc"}
KE = {"ecp256": "ecdhp256", "ecp384": "ecdhp384", "curve25519": "ecdhx25519", "modp2048": "ffdh2048"}

rows = []
for path in glob.glob(bdn_dir + "/**/*.json", recursive=True):
    for b in json.load(open(path)).get("Benchmarks", []):
        params = dict(p.split("=", 1) for p in b["Parameters"].split("&") if "=" in p)
        mean_ns = b["Statistics"]["Median"]  # medians: robust to the VM's scheduling spikes
        alloc = (b.get("Memory") or {}).get("BytesAllocatedPerOperation")
        method = b["Method"]
        if b["Type"] == "AeadBenchmarks" or b["Type"] == "CbcHmacBenchmarks":
            size = int(params["Size"])
            ours = size / mean_ns * 1e9
            if b["Type"] == "AeadBenchmarks":
                name = params["Keyword"]
                other = ref.get(("evp", AEAD[name], size))
                against = AEAD[name]
            else:
                enc, integ = params["Proposal"].split("-")
                name = params["Proposal"]
                a, h = ref.get(("evp", CBC[enc], size)), ref.get(("hmac", integ, size))
                other = 1 / (1 / a + 1 / h) if a and h else None
                against = f"{CBC[enc]} + hmac({integ})"
            rows.append((f"{name} {method} {size} B", f"{mean_ns:,.0f} ns", f"{ours / 1e6:,.1f} MB/s",
                         f"{other / 1e6:,.1f} MB/s ({against})" if other else "n/a",
                         f"{ours / other:.2f}" if other else "n/a", alloc))
        else:
            name = params["Keyword"]
            ours = 1e9 / mean_ns
            other = ref.get(("pk", KE.get(name, ""), 0)) if method in ("Derive", "Complete") else None
            rows.append((f"{name} {method}", f"{mean_ns:,.0f} ns", f"{ours:,.0f} op/s",
                         f"{other:,.0f} op/s ({KE[name]})" if other else "n/a",
                         f"{ours / other:.2f}" if other else "n/a", alloc))

rows.sort()
print("| benchmark | median | Portcullis | OpenSSL (`openssl speed`) | ratio | allocated B/op |")
print("|---|---|---|---|---|---|")
for r in rows:
    print("| " + " | ".join("-" if c is None else str(c) for c in r) + " |")
