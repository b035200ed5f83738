using System.Buffers;
using System.Security.Cryptography;

namespace Portcullis.Core.Crypto.Kdf;

/// <summary>
/// prf+ (RFC 7296 §2.13): T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n), output T1 | T2 | … cut to length.
/// At most 255 blocks.
/// </summary>
public static class PrfPlus
{
    /// <summary>Fills <paramref name="output"/> with prf+(K, <paramref name="seed"/>), K being the key <paramref name="prf"/> holds.</summary>
    public static void Expand(IPrf prf, ReadOnlySpan<byte> seed, Span<byte> output)
    {
        int size = prf.OutputSize;
        int blocks = (output.Length + size - 1) / size;
        if (blocks > 255) throw new ArgumentException("prf+ yields at most 255 blocks", nameof(output));
        byte[] input = ArrayPool<byte>.Shared.Rent(size + seed.Length + 1);
        Span<byte> block = stackalloc byte[size];
        try
        {
            int previous = 0;
            for (int n = 1; n <= blocks; n++)
            {
                // input = T(n-1) | S | n, with T(0) empty.
                Span<byte> data = input.AsSpan(0, previous + seed.Length + 1);
                seed.CopyTo(data[previous..]);
                data[^1] = (byte)n;
                prf.Compute(data, block);
                int offset = (n - 1) * size;
                block[..Math.Min(size, output.Length - offset)].CopyTo(output[offset..]);
                block.CopyTo(input);
                previous = size;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(block);
            CryptographicOperations.ZeroMemory(input);
            ArrayPool<byte>.Shared.Return(input);
        }
    }
}
