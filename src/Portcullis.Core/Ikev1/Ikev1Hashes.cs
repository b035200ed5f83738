using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Registry;

namespace Portcullis.Core.Ikev1;

/// <summary>
/// The hashes of IKEv1: HASH_I and HASH_R (RFC 2409 §5), Quick Mode's HASH(1), HASH(2), HASH(3) (§5.5), the
/// Informational HASH(1) (§5.7), the IVs (Appendix B) and NAT-D (RFC 3947 §3.2).
/// </summary>
internal static class Ikev1Hashes
{
    private static byte[] Prf(PrfTransform prf, ReadOnlySpan<byte> key, params ReadOnlySpan<byte[]> parts)
    {
        using IPrf keyed = prf.Create(key);
        int length = 0;
        foreach (byte[] p in parts) length += p.Length;
        byte[] data = new byte[length];
        int offset = 0;
        foreach (byte[] p in parts) { p.CopyTo(data, offset); offset += p.Length; }
        var output = new byte[keyed.OutputSize];
        keyed.Compute(data, output);
        return output;
    }

    private static byte[] Cookies(ulong first, ulong second)
    {
        var b = new byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(b, first);
        BinaryPrimitives.WriteUInt64BigEndian(b.AsSpan(8), second);
        return b;
    }

    private static byte[] Uint32(uint v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, v);
        return b;
    }

    /// <summary>HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b).</summary>
    public static byte[] HashI(PrfTransform prf, ReadOnlySpan<byte> skeyId, byte[] gxi, byte[] gxr, ulong cookieI, ulong cookieR, byte[] saiB, byte[] idiiB) =>
        Prf(prf, skeyId, gxi, gxr, Cookies(cookieI, cookieR), saiB, idiiB);

    /// <summary>HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b).</summary>
    public static byte[] HashR(PrfTransform prf, ReadOnlySpan<byte> skeyId, byte[] gxi, byte[] gxr, ulong cookieI, ulong cookieR, byte[] saiB, byte[] idirB) =>
        Prf(prf, skeyId, gxr, gxi, Cookies(cookieR, cookieI), saiB, idirB);

    /// <summary>Quick Mode HASH(1), and Informational HASH(1): prf(SKEYID_a, M-ID | the payloads after HASH).</summary>
    public static byte[] Hash1(PrfTransform prf, ReadOnlySpan<byte> skeyIdA, uint messageId, ReadOnlySpan<byte> rest) =>
        Prf(prf, skeyIdA, Uint32(messageId), rest.ToArray());

    /// <summary>Quick Mode HASH(2) = prf(SKEYID_a, M-ID | Ni_b | the payloads after HASH).</summary>
    public static byte[] Hash2(PrfTransform prf, ReadOnlySpan<byte> skeyIdA, uint messageId, byte[] niB, ReadOnlySpan<byte> rest) =>
        Prf(prf, skeyIdA, Uint32(messageId), niB, rest.ToArray());

    /// <summary>Quick Mode HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b).</summary>
    public static byte[] Hash3(PrfTransform prf, ReadOnlySpan<byte> skeyIdA, uint messageId, byte[] niB, byte[] nrB) =>
        Prf(prf, skeyIdA, [0], Uint32(messageId), niB, nrB);

    /// <summary>The IV of phase 1: hash(g^xi | g^xr), cut to the cipher's block size (RFC 2409 Appendix B).</summary>
    public static byte[] Phase1Iv(HashAlgorithmName hash, byte[] gxi, byte[] gxr, int blockSize)
    {
        byte[] data = [.. gxi, .. gxr];
        return CryptographicOperations.HashData(hash, data)[..blockSize];
    }

    /// <summary>The first IV of a Quick Mode or Informational exchange: hash(last phase 1 CBC block | M-ID), cut to the block size.</summary>
    public static byte[] Phase2Iv(HashAlgorithmName hash, byte[] lastPhase1Block, uint messageId, int blockSize)
    {
        byte[] data = [.. lastPhase1Block, .. Uint32(messageId)];
        return CryptographicOperations.HashData(hash, data)[..blockSize];
    }

    /// <summary>NAT-D: HASH(CKY-I | CKY-R | IP | Port) with the negotiated hash.</summary>
    public static byte[] NatD(HashAlgorithmName hash, ulong cookieI, ulong cookieR, IPEndPoint endpoint)
    {
        Span<byte> input = stackalloc byte[16 + 16 + 2];
        BinaryPrimitives.WriteUInt64BigEndian(input, cookieI);
        BinaryPrimitives.WriteUInt64BigEndian(input[8..], cookieR);
        endpoint.Address.TryWriteBytes(input[16..], out int n);
        BinaryPrimitives.WriteUInt16BigEndian(input[(16 + n)..], (ushort)endpoint.Port);
        return CryptographicOperations.HashData(hash, input[..(16 + n + 2)]);
    }
}
