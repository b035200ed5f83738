using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Portcullis.Core.Ipsec;

/// <summary>
/// The Internet checksum (RFC 1071): the one's complement of the one's complement sum of 16-bit big-endian words.
/// Summed eight bytes at a time in native order (the sum is byte-order independent, RFC 1071 §2(B)) and swapped once
/// at the end, because segmenting a 64 KB TCP send costs one pass over every byte.
/// </summary>
public static class InternetChecksum
{
    /// <summary>Adds <paramref name="data"/> (an odd length is padded with a zero byte) to a running sum of big-endian words.</summary>
    public static ulong Add(ulong sum, ReadOnlySpan<byte> data)
    {
        ulong native = 0;
        int i = 0;
        if (Vector256.IsHardwareAccelerated && data.Length >= 64)
        {
            // 32-bit words widened into 64-bit lanes: the same sum as below, eight words a step (a TSO packet's
            // segments are checksummed once each, so this loop is most of what segmenting costs).
            Vector256<ulong> acc = Vector256<ulong>.Zero;
            ref byte start = ref MemoryMarshal.GetReference(data);
            for (; i + 32 <= data.Length; i += 32)
            {
                (Vector256<ulong> lo, Vector256<ulong> hi) = Vector256.Widen(Vector256.LoadUnsafe(ref start, (nuint)i).AsUInt32());
                acc += lo + hi;
            }
            native = Vector256.Sum(acc);
        }
        ReadOnlySpan<ulong> words = MemoryMarshal.Cast<byte, ulong>(data[i..]);
        foreach (ulong w in words)
        {
            // Two 32-bit halves added separately so nothing carries out of 64 bits.
            native += (w & 0xFFFF_FFFF) + (w >> 32);
        }
        i += words.Length * 8;
        for (; i + 1 < data.Length; i += 2) native += MemoryMarshal.Read<ushort>(data[i..]);
        if (i < data.Length) native += BitConverter.IsLittleEndian ? data[i] : (ulong)data[i] << 8;
        ushort folded = Fold16(native);
        return sum + (BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(folded) : folded);
    }

    /// <summary>Adds one 16-bit big-endian word.</summary>
    public static ulong Add(ulong sum, ushort word) => sum + word;

    /// <summary>Folds a running sum to 16 bits (end-around carry), not complemented.</summary>
    public static ushort Fold16(ulong sum)
    {
        while (sum >> 16 != 0) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)sum;
    }

    /// <summary>The checksum field's value for a running sum: the folded sum complemented.</summary>
    public static ushort Finish(ulong sum) => (ushort)~Fold16(sum);

    /// <summary>The checksum of <paramref name="data"/> alone.</summary>
    public static ushort Compute(ReadOnlySpan<byte> data) => Finish(Add(0, data));
}
