#!/usr/bin/env python3
"""Hostile traffic for the `hostile` interop case, run in the peer's namespace (its address, so the daemon sees
packets from the peer it has SAs with). First it records the ESP-in-UDP packets the peer sends (AF_PACKET on the
peer's link), then for --seconds it sends, round robin at --rate packets/s:
  replay    a recorded ESP packet again, the ESP byte for byte (raw IP, same ports): a replay, dropped and counted
  bitflip   a recorded ESP packet with one bit flipped after SPI and sequence number: ICV failure, dropped and counted
  forgedesp the live inbound SPI with a fresh sequence number and random body: ICV failure
  garbage   random bytes (1-2000) to UDP 500 and to UDP 4500 (behind a non-ESP marker)
  truncated an IKE header with the live SPIs whose Length claims more than was sent
  forgedike the live SPIs, INFORMATIONAL, an SK payload of random bytes (no keys): ICV failure
  init      mangled IKE_SA_INIT requests (SPIr 0) with random payload chains
  oversized a 65,000-byte datagram to 500, to 4500, and ESP-looking with the live SPI
Usage: hostile.py --target ADDR --iface IF --spi-i HEX --spi-r HEX --esp-spi HEX --seconds N --rate N
"""
import argparse, os, random, socket, struct, sys, time

p = argparse.ArgumentParser()
p.add_argument("--target", required=True)
p.add_argument("--iface", required=True)
p.add_argument("--spi-i", required=True)
p.add_argument("--spi-r", required=True)
p.add_argument("--esp-spi", required=True, help="the daemon's inbound ESP SPI (hex)")
p.add_argument("--seconds", type=float, default=20)
p.add_argument("--rate", type=int, default=200)
a = p.parse_args()
rng = random.Random(9)
spis = bytes.fromhex(a.spi_i) + bytes.fromhex(a.spi_r)
esp_spi = bytes.fromhex(a.esp_spi)

# 1. Record what the peer sends us: IPv4/UDP to the target's port 4500 whose payload starts with a non-zero SPI.
sniff = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
sniff.bind((a.iface, 0))
sniff.settimeout(0.2)
recorded, deadline = [], time.time() + 5
while time.time() < deadline and len(recorded) < 50:
    try:
        frame, addr = sniff.recvfrom(70000)
    except socket.timeout:
        continue
    if addr[2] != socket.PACKET_OUTGOING or len(frame) < 14 + 28 or frame[12:14] != b"\x08\x00":
        continue
    ip = frame[14:]
    ihl = (ip[0] & 15) * 4
    if ip[9] != 17 or socket.inet_ntoa(ip[16:20]) != a.target:
        continue
    dport = struct.unpack("!H", ip[ihl + 2:ihl + 4])[0]
    payload = ip[ihl + 8:]
    if dport == 4500 and len(payload) > 16 and payload[:4] == esp_spi:
        recorded.append(bytes(ip[:struct.unpack("!H", ip[2:4])[0]]))
sniff.close()
print(f"recorded {len(recorded)} ESP packets to {a.target}:4500 with SPI {a.esp_spi}")
if len(recorded) < 5:
    sys.exit("too few ESP packets recorded: is traffic flowing?")

raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
u500 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u4500 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for s in (u500, u4500):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)

def send_raw(ip):
    raw.sendto(ip, (a.target, 0))

def udp_with_payload(ip, payload):
    """The recorded packet's IP and UDP headers around another payload (lengths fixed, UDP checksum 0)."""
    ihl = (ip[0] & 15) * 4
    hdr = bytearray(ip[:ihl + 8])
    struct.pack_into("!H", hdr, 2, ihl + 8 + len(payload))
    struct.pack_into("!H", hdr, ihl + 4, 8 + len(payload))
    struct.pack_into("!H", hdr, ihl + 6, 0)
    return bytes(hdr) + payload

def esp_payload(ip):
    return ip[(ip[0] & 15) * 4 + 8:]

def ike_header(exchange, flags, msgid, length, next_payload=46, init=False):
    s = (os.urandom(8) + b"\0" * 8) if init else spis
    return s + bytes([next_payload, 0x20, exchange, flags]) + struct.pack("!II", msgid, length)

seq = [0x7000_0000]
def kind_replay():
    # The ESP bytes exactly as recorded. The UDP checksum is zeroed (allowed for IPv4): frames captured on their way
    # out carry the partial checksum the veth would have completed (checksum offload), which the receiver drops.
    ip = rng.choice(recorded)
    send_raw(udp_with_payload(ip, esp_payload(ip)))
def kind_bitflip():
    ip = rng.choice(recorded)
    pl = bytearray(esp_payload(ip))
    pl[rng.randrange(8, len(pl))] ^= 1 << rng.randrange(8)
    send_raw(udp_with_payload(ip, bytes(pl)))
def kind_forgedesp():
    seq[0] += 1
    send_raw(udp_with_payload(recorded[0], esp_spi + struct.pack("!I", seq[0]) + os.urandom(rng.randrange(16, 1400))))
def kind_garbage():
    body = os.urandom(rng.randrange(1, 2000))
    u500.sendto(body, (a.target, 500))
    u4500.sendto(b"\0\0\0\0" + body, (a.target, 4500))
def kind_truncated():
    h = ike_header(rng.choice([34, 35, 36, 37]), rng.choice([0x08, 0x20, 0x28, 0x00]), rng.randrange(0, 8), rng.randrange(29, 5000))
    u4500.sendto(b"\0\0\0\0" + h + os.urandom(rng.randrange(0, 12)), (a.target, 4500))
    u500.sendto(h[:rng.randrange(1, 28)], (a.target, 500))
def kind_forgedike():
    body = os.urandom(rng.randrange(16, 300))
    sk = bytes([0, 0]) + struct.pack("!H", 4 + len(body)) + body
    h = ike_header(37, rng.choice([0x08, 0x20, 0x28, 0x00]), rng.randrange(0, 16), 28 + len(sk))
    u4500.sendto(b"\0\0\0\0" + h + sk, (a.target, 4500))
def kind_init():
    chain = bytearray()
    for _ in range(rng.randrange(0, 6)):
        body = os.urandom(rng.randrange(0, 80))
        chain += bytes([rng.choice([33, 34, 40, 41, 0, 255]), rng.choice([0, 0x80])]) + struct.pack("!H", 4 + len(body)) + body
    h = ike_header(34, 0x08, 0, 28 + len(chain), next_payload=rng.choice([33, 34, 40, 41]), init=True)
    u500.sendto(h + bytes(chain), (a.target, 500))
def kind_oversized():
    big = os.urandom(65000)
    u500.sendto(big, (a.target, 500))
    u4500.sendto(b"\0\0\0\0" + big, (a.target, 4500))
    u4500.sendto(esp_spi + big, (a.target, 4500))

kinds = [kind_replay, kind_bitflip, kind_forgedesp, kind_garbage, kind_truncated, kind_forgedike, kind_init, kind_replay, kind_bitflip]
counts = {k.__name__[5:]: 0 for k in kinds + [kind_oversized]}
start, n = time.time(), 0
while time.time() - start < a.seconds:
    k = kinds[n % len(kinds)] if n % 200 else kind_oversized
    try:
        k()
    except OSError as e:  # a full socket buffer: count and go on
        counts["error"] = counts.get("error", 0) + 1
    counts[k.__name__[5:]] += 1
    n += 1
    time.sleep(max(0, start + n / a.rate - time.time()))
print("sent " + ", ".join(f"{v} {k}" for k, v in counts.items()) + f" in {time.time() - start:.1f} s")
