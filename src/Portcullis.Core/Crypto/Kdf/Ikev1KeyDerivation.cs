using System.Buffers.Binary;
using System.Security.Cryptography;
using Portcullis.Core.Crypto.Registry;

namespace Portcullis.Core.Crypto.Kdf;

/// <summary>The keying material of an IKEv1 ISAKMP SA (RFC 2409 §5), each in its own wiped buffer.</summary>
public sealed class Ikev1SaKeys : IDisposable
{
    internal Ikev1SaKeys(SecretBuffer skeyId, SecretBuffer d, SecretBuffer a, SecretBuffer e)
    {
        SkeyId = skeyId; SkeyIdD = d; SkeyIdA = a; SkeyIdE = e;
    }

    /// <summary>SKEYID.</summary>
    public SecretBuffer SkeyId { get; }
    /// <summary>SKEYID_d: derives Quick Mode key material.</summary>
    public SecretBuffer SkeyIdD { get; }
    /// <summary>SKEYID_a: authenticates ISAKMP messages (HASH payloads).</summary>
    public SecretBuffer SkeyIdA { get; }
    /// <summary>SKEYID_e: the source of the ISAKMP SA's encryption key.</summary>
    public SecretBuffer SkeyIdE { get; }

    /// <summary>Wipes every key.</summary>
    public void Dispose()
    {
        SkeyId.Dispose(); SkeyIdD.Dispose(); SkeyIdA.Dispose(); SkeyIdE.Dispose();
    }
}

/// <summary>
/// IKEv1 key derivation (RFC 2409 §5, §5.5 and Appendix B). The PRF is the HMAC of the negotiated hash unless a
/// PRF attribute says otherwise.
/// </summary>
public static class Ikev1KeyDerivation
{
    /// <summary>For signature authentication: SKEYID = prf(Ni_b | Nr_b, g^xy).</summary>
    public static SecretBuffer SkeyIdForSignatures(PrfTransform prf, ReadOnlySpan<byte> nonceI, ReadOnlySpan<byte> nonceR, ReadOnlySpan<byte> sharedSecret)
    {
        byte[] key = Concat(nonceI, nonceR);
        try
        {
            return Compute(prf, key, sharedSecret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>For pre-shared keys: SKEYID = prf(pre-shared-key, Ni_b | Nr_b).</summary>
    public static SecretBuffer SkeyIdForPreSharedKey(PrfTransform prf, ReadOnlySpan<byte> preSharedKey, ReadOnlySpan<byte> nonceI, ReadOnlySpan<byte> nonceR)
    {
        byte[] data = Concat(nonceI, nonceR);
        return Compute(prf, preSharedKey, data);
    }

    /// <summary>For public key encryption: SKEYID = prf(hash(Ni_b | Nr_b), CKY-I | CKY-R).</summary>
    public static SecretBuffer SkeyIdForPublicKeyEncryption(PrfTransform prf, HashAlgorithmName hash, ReadOnlySpan<byte> nonceI, ReadOnlySpan<byte> nonceR,
        ulong cookieI, ulong cookieR)
    {
        byte[] nonces = Concat(nonceI, nonceR);
        byte[] key = CryptographicOperations.HashData(hash, nonces);
        Span<byte> cookies = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(cookies, cookieI);
        BinaryPrimitives.WriteUInt64BigEndian(cookies[8..], cookieR);
        try
        {
            return Compute(prf, key, cookies);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>
    /// SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0); SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1);
    /// SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2). Takes ownership of <paramref name="skeyId"/>.
    /// </summary>
    public static Ikev1SaKeys Derive(PrfTransform prf, SecretBuffer skeyId, ReadOnlySpan<byte> sharedSecret, ulong cookieI, ulong cookieR)
    {
        using IPrf keyed = prf.Create(skeyId.ReadOnlySpan);
        int size = keyed.OutputSize;
        // data = [previous key |] g^xy | CKY-I | CKY-R | n; the part after the previous key is the same each time.
        int tail = sharedSecret.Length + 17;
        byte[] data = GC.AllocateArray<byte>(size + tail, pinned: true);
        var keys = new SecretBuffer[3];
        try
        {
            for (int n = 0; n < 3; n++)
            {
                int at = n == 0 ? 0 : size;
                if (n > 0) keys[n - 1].ReadOnlySpan.CopyTo(data);
                sharedSecret.CopyTo(data.AsSpan(at));
                BinaryPrimitives.WriteUInt64BigEndian(data.AsSpan(at + sharedSecret.Length), cookieI);
                BinaryPrimitives.WriteUInt64BigEndian(data.AsSpan(at + sharedSecret.Length + 8), cookieR);
                data[at + tail - 1] = (byte)n;
                keys[n] = new SecretBuffer(size);
                keyed.Compute(data.AsSpan(0, at + tail), keys[n].Span);
            }
            return new Ikev1SaKeys(skeyId, keys[0], keys[1], keys[2]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(data);
        }
    }

    /// <summary>
    /// The ISAKMP SA's encryption key (RFC 2409 Appendix B): the first bytes of SKEYID_e when it is long enough,
    /// otherwise of Ka = K1 | K2 | …, K1 = prf(SKEYID_e, 0), Kn = prf(SKEYID_e, Kn-1).
    /// </summary>
    public static SecretBuffer EncryptionKey(PrfTransform prf, ReadOnlySpan<byte> skeyIdE, int length)
    {
        var key = new SecretBuffer(length);
        if (skeyIdE.Length >= length)
        {
            skeyIdE[..length].CopyTo(key.Span);
            return key;
        }
        using IPrf keyed = prf.Create(skeyIdE);
        Span<byte> block = stackalloc byte[keyed.OutputSize];
        Span<byte> input = stackalloc byte[keyed.OutputSize];
        keyed.Compute([0], block);
        for (int offset = 0; ; )
        {
            int take = Math.Min(block.Length, length - offset);
            block[..take].CopyTo(key.Span[offset..]);
            offset += take;
            if (offset == length) break;
            block.CopyTo(input);
            keyed.Compute(input, block);
        }
        CryptographicOperations.ZeroMemory(block);
        CryptographicOperations.ZeroMemory(input);
        return key;
    }

    /// <summary>
    /// Quick Mode KEYMAT for one SA direction (RFC 2409 §5.5): K1 | K2 | … with
    /// K1 = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b) and Kn = prf(SKEYID_d, Kn-1 | [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b).
    /// <paramref name="pfsSharedSecret"/> is empty without PFS.
    /// </summary>
    public static SecretBuffer QuickModeKeyMaterial(PrfTransform prf, ReadOnlySpan<byte> skeyIdD, ReadOnlySpan<byte> pfsSharedSecret, byte protocol, uint spi,
        ReadOnlySpan<byte> nonceI, ReadOnlySpan<byte> nonceR, int length)
    {
        using IPrf keyed = prf.Create(skeyIdD);
        int size = keyed.OutputSize;
        int tail = pfsSharedSecret.Length + 5 + nonceI.Length + nonceR.Length;
        byte[] data = GC.AllocateArray<byte>(size + tail, pinned: true);
        Span<byte> block = stackalloc byte[size];
        var keymat = new SecretBuffer(length);
        try
        {
            // data = [Kn-1 |] g^xy | protocol | SPI | Ni_b | Nr_b; the tail is written once after the slot for Kn-1.
            Span<byte> t = data.AsSpan(size);
            pfsSharedSecret.CopyTo(t);
            t[pfsSharedSecret.Length] = protocol;
            BinaryPrimitives.WriteUInt32BigEndian(t[(pfsSharedSecret.Length + 1)..], spi);
            nonceI.CopyTo(t[(pfsSharedSecret.Length + 5)..]);
            nonceR.CopyTo(t[(pfsSharedSecret.Length + 5 + nonceI.Length)..]);
            keyed.Compute(t, block);
            for (int offset = 0; ; )
            {
                int take = Math.Min(size, length - offset);
                block[..take].CopyTo(keymat.Span[offset..]);
                offset += take;
                if (offset == length) break;
                block.CopyTo(data);
                keyed.Compute(data, block);
            }
            return keymat;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(block);
            CryptographicOperations.ZeroMemory(data);
        }
    }

    private static byte[] Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        byte[] result = GC.AllocateArray<byte>(a.Length + b.Length, pinned: true);
        a.CopyTo(result);
        b.CopyTo(result.AsSpan(a.Length));
        return result;
    }

    private static SecretBuffer Compute(PrfTransform prf, ReadOnlySpan<byte> key, ReadOnlySpan<byte> data)
    {
        using IPrf keyed = prf.Create(key);
        var output = new SecretBuffer(keyed.OutputSize);
        keyed.Compute(data, output.Span);
        return output;
    }
}
