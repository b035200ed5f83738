using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Portcullis.Core.Crypto.Transforms;

/// <summary>
/// AES counter-mode keystream from the BCL's AES-ECB, for the modes the BCL does not offer directly: AES-CTR
/// (RFC 3686) and the decryption half of GCM with a truncated 8-byte ICV.
/// </summary>
internal static class CounterMode
{
    private const int ChunkBlocks = 32;

    /// <summary>
    /// XORs <paramref name="input"/> with the keystream E(K, prefix ‖ counter), counter a 32-bit big-endian
    /// block number starting at <paramref name="firstCounter"/>. Input and output may overlap exactly.
    /// </summary>
    public static void Xor(Aes aes, ReadOnlySpan<byte> prefix12, uint firstCounter, ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (prefix12.Length != 12) throw new ArgumentException("counter prefix must be 12 bytes", nameof(prefix12));
        if (output.Length < input.Length) throw new ArgumentException("output shorter than input", nameof(output));
        Span<byte> counters = stackalloc byte[ChunkBlocks * 16];
        Span<byte> keystream = stackalloc byte[ChunkBlocks * 16];
        uint counter = firstCounter;
        for (int offset = 0; offset < input.Length; offset += keystream.Length)
        {
            int length = Math.Min(keystream.Length, input.Length - offset);
            int blocks = (length + 15) / 16;
            for (int b = 0; b < blocks; b++)
            {
                Span<byte> block = counters.Slice(b * 16, 16);
                prefix12.CopyTo(block);
                BinaryPrimitives.WriteUInt32BigEndian(block[12..], counter++);
            }
            aes.EncryptEcb(counters[..(blocks * 16)], keystream, PaddingMode.None);
            for (int i = 0; i < length; i++)
                output[offset + i] = (byte)(input[offset + i] ^ keystream[i]);
        }
        CryptographicOperations.ZeroMemory(keystream);
    }
}
