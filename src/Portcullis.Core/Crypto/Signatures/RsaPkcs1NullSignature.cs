using System.Numerics;
using System.Security.Cryptography;
using Portcullis.Core.Crypto.Native;

namespace Portcullis.Core.Crypto.Signatures;

/// <summary>
/// The RSA signature of IKEv1 (RFC 2409 §5.1): PKCS #1 v1.5 type 1 padding around the bare hash, with no DigestInfo,
/// which .NET's RSA cannot produce. The private-key operation runs in OpenSSL's constant-time modular
/// exponentiation; verification is public and uses BigInteger.
/// </summary>
public static unsafe class RsaPkcs1NullSignature
{
    /// <summary>EM = 0x00 0x01 FF…FF 0x00 ‖ data, of the modulus' length; null when the data does not fit.</summary>
    private static byte[]? Encode(ReadOnlySpan<byte> data, int k)
    {
        if (data.Length > k - 11) return null;
        var em = new byte[k];
        em[1] = 1;
        em.AsSpan(2, k - 3 - data.Length).Fill(0xFF);
        data.CopyTo(em.AsSpan(k - data.Length));
        return em;
    }

    /// <summary>Signs <paramref name="data"/> (a HASH_I or HASH_R) with the private key.</summary>
    public static byte[] Sign(RSA key, ReadOnlySpan<byte> data)
    {
        RSAParameters p = key.ExportParameters(includePrivateParameters: true);
        nint m = 0, d = 0, n = 0, r = 0, ctx = 0;
        try
        {
            int k = p.Modulus!.Length;
            byte[] em = Encode(data, k) ?? throw new CryptographicException($"{data.Length} bytes do not fit a {k * 8}-bit RSA signature");
            fixed (byte* pm = em) m = LibCrypto.Check(LibCrypto.BN_bin2bn(pm, em.Length, 0), "BN_bin2bn");
            fixed (byte* pd = p.D) d = LibCrypto.Check(LibCrypto.BN_bin2bn(pd, p.D!.Length, 0), "BN_bin2bn");
            LibCrypto.BN_set_flags(d, LibCrypto.BN_FLG_CONSTTIME);
            fixed (byte* pn = p.Modulus) n = LibCrypto.Check(LibCrypto.BN_bin2bn(pn, k, 0), "BN_bin2bn");
            r = LibCrypto.Check(LibCrypto.BN_new(), "BN_new");
            ctx = LibCrypto.Check(LibCrypto.BN_CTX_new(), "BN_CTX_new");
            LibCrypto.Check(LibCrypto.BN_mod_exp_mont_consttime(r, m, d, n, ctx, 0), "BN_mod_exp_mont_consttime");
            var signature = new byte[k];
            fixed (byte* ps = signature) LibCrypto.Check(LibCrypto.BN_bn2binpad(r, ps, k), "BN_bn2binpad");
            return signature;
        }
        finally
        {
            foreach (nint bn in (ReadOnlySpan<nint>)[m, d, n, r]) if (bn != 0) LibCrypto.BN_clear_free(bn);
            if (ctx != 0) LibCrypto.BN_CTX_free(ctx);
            CryptographicOperations.ZeroMemory(p.D);
            CryptographicOperations.ZeroMemory(p.P);
            CryptographicOperations.ZeroMemory(p.Q);
            CryptographicOperations.ZeroMemory(p.DP);
            CryptographicOperations.ZeroMemory(p.DQ);
            CryptographicOperations.ZeroMemory(p.InverseQ);
        }
    }

    /// <summary>True when <paramref name="signature"/> is the signature of <paramref name="data"/> under the public key.</summary>
    public static bool Verify(RSA key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        RSAParameters p = key.ExportParameters(includePrivateParameters: false);
        int k = p.Modulus!.Length;
        if (signature.Length != k) return false;
        var n = new BigInteger(p.Modulus, isUnsigned: true, isBigEndian: true);
        var s = new BigInteger(signature, isUnsigned: true, isBigEndian: true);
        if (s >= n) return false;
        BigInteger m = BigInteger.ModPow(s, new BigInteger(p.Exponent, isUnsigned: true, isBigEndian: true), n);
        var em = new byte[k];
        if (!m.TryWriteBytes(em.AsSpan(k - m.GetByteCount(isUnsigned: true)), out _, isUnsigned: true, isBigEndian: true)) return false;
        byte[]? expected = Encode(data, k);
        return expected is not null && CryptographicOperations.FixedTimeEquals(em, expected);
    }
}
