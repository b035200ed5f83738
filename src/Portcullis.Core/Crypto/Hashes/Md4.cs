using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;

namespace Portcullis.Core.Crypto.Hashes;

/// <summary>
/// MD4 (RFC 1320). Broken as a hash; here only because MS-CHAPv2's NT password hash is MD4 of the password (RFC 2759
/// §8.3) and .NET does not offer it.
/// </summary>
public static class Md4
{
    /// <summary>Bytes in an MD4 digest.</summary>
    public const int HashSizeInBytes = 16;

    private const int BlockSize = 64;

    /// <summary>Writes MD4(<paramref name="source"/>) into the first 16 bytes of <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than 16 bytes.</exception>
    public static void HashData(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (destination.Length < HashSizeInBytes)
            throw new ArgumentException($"MD4 needs {HashSizeInBytes} bytes of destination", nameof(destination));

        // RFC 1320 §3.3: the initial buffer A, B, C, D.
        Span<uint> state = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];

        int whole = source.Length / BlockSize * BlockSize;
        for (int offset = 0; offset < whole; offset += BlockSize)
            Compress(state, source.Slice(offset, BlockSize));

        // §3.1-3.2: a 1 bit, zeros to 56 mod 64, then the bit length as 64 bits little-endian. The tail may hold
        // password bytes, so it is wiped afterwards.
        Span<byte> tail = stackalloc byte[2 * BlockSize];
        tail.Clear();
        int rest = source.Length - whole;
        source[whole..].CopyTo(tail);
        tail[rest] = 0x80;
        int tailLength = rest < 56 ? BlockSize : 2 * BlockSize;
        BinaryPrimitives.WriteUInt64LittleEndian(tail[(tailLength - 8)..], (ulong)source.Length * 8);
        for (int offset = 0; offset < tailLength; offset += BlockSize)
            Compress(state, tail.Slice(offset, BlockSize));
        CryptographicOperations.ZeroMemory(tail);

        for (int i = 0; i < 4; i++)
            BinaryPrimitives.WriteUInt32LittleEndian(destination[(4 * i)..], state[i]);
        state.Clear();
    }

    /// <summary>MD4(<paramref name="source"/>) as a new 16-byte array.</summary>
    public static byte[] HashData(ReadOnlySpan<byte> source)
    {
        var digest = new byte[HashSizeInBytes];
        HashData(source, digest);
        return digest;
    }

    // RFC 1320 §3.4: three rounds of 16 operations over the block's sixteen little-endian words.
    private static void Compress(Span<uint> state, ReadOnlySpan<byte> block)
    {
        Span<uint> x = stackalloc uint[16];
        for (int i = 0; i < 16; i++) x[i] = BinaryPrimitives.ReadUInt32LittleEndian(block[(4 * i)..]);

        uint a = state[0], b = state[1], c = state[2], d = state[3];

        // Round 1: F(X,Y,Z) = XY v not(X) Z, words in order, shifts 3 7 11 19.
        for (int i = 0; i < 16; i += 4)
        {
            a = BitOperations.RotateLeft(a + ((b & c) | (~b & d)) + x[i], 3);
            d = BitOperations.RotateLeft(d + ((a & b) | (~a & c)) + x[i + 1], 7);
            c = BitOperations.RotateLeft(c + ((d & a) | (~d & b)) + x[i + 2], 11);
            b = BitOperations.RotateLeft(b + ((c & d) | (~c & a)) + x[i + 3], 19);
        }

        // Round 2: G(X,Y,Z) = XY v XZ v YZ plus 0x5A827999, words by column, shifts 3 5 9 13.
        const uint k2 = 0x5A827999;
        for (int i = 0; i < 4; i++)
        {
            a = BitOperations.RotateLeft(a + ((b & c) | (b & d) | (c & d)) + x[i] + k2, 3);
            d = BitOperations.RotateLeft(d + ((a & b) | (a & c) | (b & c)) + x[i + 4] + k2, 5);
            c = BitOperations.RotateLeft(c + ((d & a) | (d & b) | (a & b)) + x[i + 8] + k2, 9);
            b = BitOperations.RotateLeft(b + ((c & d) | (c & a) | (d & a)) + x[i + 12] + k2, 13);
        }

        // Round 3: H(X,Y,Z) = X xor Y xor Z plus 0x6ED9EBA1, words in bit-reversed order, shifts 3 9 11 15.
        const uint k3 = 0x6ED9EBA1;
        ReadOnlySpan<int> order = [0, 2, 1, 3];
        foreach (int i in order)
        {
            a = BitOperations.RotateLeft(a + (b ^ c ^ d) + x[i] + k3, 3);
            d = BitOperations.RotateLeft(d + (a ^ b ^ c) + x[i + 8] + k3, 9);
            c = BitOperations.RotateLeft(c + (d ^ a ^ b) + x[i + 4] + k3, 11);
            b = BitOperations.RotateLeft(b + (c ^ d ^ a) + x[i + 12] + k3, 15);
        }

        state[0] += a;
        state[1] += b;
        state[2] += c;
        state[3] += d;
        x.Clear();
    }
}
