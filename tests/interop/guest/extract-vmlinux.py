#!/usr/bin/env python3
"""extract-vmlinux.py BZIMAGE OUT: writes the uncompressed kernel ELF inside a bzImage (as the kernel's
scripts/extract-vmlinux does): finds each compressed stream's magic, decompresses from there, keeps the first result
that is an ELF file."""
import bz2, lzma, shutil, subprocess, sys, zlib

def gzip_(data):
    return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data)

def xz(data):
    return lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data)

def lzma_(data):
    return lzma.LZMADecompressor(format=lzma.FORMAT_ALONE).decompress(data)

def bzip2(data):
    return bz2.BZ2Decompressor().decompress(data)

def zstd(data):
    if shutil.which("zstd") is None:
        raise ValueError("zstd not installed")
    # zstd stops with an error at the bytes after the frame; what it wrote before is the kernel.
    return subprocess.run(["zstd", "-dcq"], input=data, capture_output=True).stdout

FORMATS = [(b"\x1f\x8b\x08", gzip_), (b"\xfd7zXZ\x00", xz), (b"\x28\xb5\x2f\xfd", zstd),
           (b"BZh", bzip2), (b"\x5d\x00\x00\x00", lzma_)]

def main():
    data = open(sys.argv[1], "rb").read()
    for magic, decompress in FORMATS:
        at = data.find(magic)
        while at >= 0:
            try:
                out = decompress(data[at:])
            except Exception:
                out = b""
            if out[:4] == b"\x7fELF":
                open(sys.argv[2], "wb").write(out)
                print(f"extract-vmlinux: {decompress.__name__.strip('_')} stream at offset {at}, {len(out)} bytes of ELF")
                return 0
            at = data.find(magic, at + 1)
    print("extract-vmlinux: no compressed ELF kernel found", file=sys.stderr)
    return 1

sys.exit(main())
