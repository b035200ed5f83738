using System.Security.Cryptography;
using Portcullis.Core.Crypto.Registry;

namespace Portcullis.Core.Crypto.Kdf;

/// <summary>The seven keys of an IKE SA (RFC 7296 §2.14), each in its own wiped buffer.</summary>
public sealed class IkeSaKeys : IDisposable
{
    internal IkeSaKeys(SecretBuffer d, SecretBuffer ai, SecretBuffer ar, SecretBuffer ei, SecretBuffer er, SecretBuffer pi, SecretBuffer pr)
    {
        SkD = d; SkAi = ai; SkAr = ar; SkEi = ei; SkEr = er; SkPi = pi; SkPr = pr;
    }

    /// <summary>SK_d: derives CHILD SA keys and the next IKE SA's SKEYSEED.</summary>
    public SecretBuffer SkD { get; }
    /// <summary>SK_ai: integrity key of messages from the initiator (empty with an AEAD).</summary>
    public SecretBuffer SkAi { get; }
    /// <summary>SK_ar: integrity key of messages from the responder (empty with an AEAD).</summary>
    public SecretBuffer SkAr { get; }
    /// <summary>SK_ei: encryption key material (key ‖ salt) of messages from the initiator.</summary>
    public SecretBuffer SkEi { get; }
    /// <summary>SK_er: encryption key material (key ‖ salt) of messages from the responder.</summary>
    public SecretBuffer SkEr { get; }
    /// <summary>SK_pi: key for the initiator's AUTH payload.</summary>
    public SecretBuffer SkPi { get; }
    /// <summary>SK_pr: key for the responder's AUTH payload.</summary>
    public SecretBuffer SkPr { get; }

    /// <summary>Wipes every key.</summary>
    public void Dispose()
    {
        SkD.Dispose(); SkAi.Dispose(); SkAr.Dispose(); SkEi.Dispose(); SkEr.Dispose(); SkPi.Dispose(); SkPr.Dispose();
    }
}

/// <summary>IKEv2 key derivation (RFC 7296 §2.13, §2.14, §2.17, §2.18; RFC 9370 §2.2.2 for additional key exchanges).</summary>
public static class Ikev2KeyDerivation
{
    /// <summary>
    /// SKEYSEED = prf(Ni | Nr, g^ir). A PRF with a fixed key size (AES-XCBC/CMAC) is keyed with the first half of
    /// its key from the start of Ni and the second half from the start of Nr (RFC 7296 §2.14).
    /// </summary>
    public static SecretBuffer SkeySeed(PrfTransform prf, ReadOnlySpan<byte> nonceI, ReadOnlySpan<byte> nonceR, ReadOnlySpan<byte> sharedSecret)
    {
        byte[] key = GC.AllocateArray<byte>(prf.FixedKeySize ? prf.KeySize : nonceI.Length + nonceR.Length, pinned: true);
        try
        {
            if (prf.FixedKeySize)
            {
                int half = prf.KeySize / 2;
                nonceI[..half].CopyTo(key);
                nonceR[..half].CopyTo(key.AsSpan(half));
            }
            else
            {
                nonceI.CopyTo(key);
                nonceR.CopyTo(key.AsSpan(nonceI.Length));
            }
            return Compute(prf, key, sharedSecret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>
    /// SKEYSEED of a rekeyed IKE SA (RFC 7296 §2.18): prf(SK_d (old), g^ir (new) | Ni | Nr). Also the step of
    /// RFC 9370 §2.2.2 after each additional key exchange: prf(SK_d, SK(n) | Ni | Nr).
    /// </summary>
    public static SecretBuffer RekeySkeySeed(PrfTransform prf, ReadOnlySpan<byte> oldSkD, ReadOnlySpan<byte> sharedSecret, ReadOnlySpan<byte> nonceI, ReadOnlySpan<byte> nonceR)
    {
        byte[] data = GC.AllocateArray<byte>(sharedSecret.Length + nonceI.Length + nonceR.Length, pinned: true);
        try
        {
            sharedSecret.CopyTo(data);
            nonceI.CopyTo(data.AsSpan(sharedSecret.Length));
            nonceR.CopyTo(data.AsSpan(sharedSecret.Length + nonceI.Length));
            return Compute(prf, oldSkD, data);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(data);
        }
    }

    /// <summary>
    /// {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr), sized for the
    /// negotiated transforms (<paramref name="integrity"/> null with an AEAD).
    /// </summary>
    public static IkeSaKeys IkeSaKeys(PrfTransform prf, EncryptionTransform encryption, IntegrityTransform? integrity, ReadOnlySpan<byte> skeySeed,
        ReadOnlySpan<byte> nonceI, ReadOnlySpan<byte> nonceR, ulong spiI, ulong spiR)
    {
        int prfKey = prf.KeySize, integKey = integrity?.KeySize ?? 0, encKey = encryption.KeyMaterialSize;
        byte[] seed = GC.AllocateArray<byte>(nonceI.Length + nonceR.Length + 16, pinned: true);
        byte[] stream = GC.AllocateArray<byte>(3 * prfKey + 2 * integKey + 2 * encKey, pinned: true);
        try
        {
            nonceI.CopyTo(seed);
            nonceR.CopyTo(seed.AsSpan(nonceI.Length));
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(seed.AsSpan(nonceI.Length + nonceR.Length), spiI);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(seed.AsSpan(nonceI.Length + nonceR.Length + 8), spiR);
            using (IPrf keyed = prf.Create(skeySeed)) PrfPlus.Expand(keyed, seed, stream);
            int offset = 0;
            SecretBuffer Take(int length)
            {
                var key = new SecretBuffer(stream.AsSpan(offset, length));
                offset += length;
                return key;
            }
            return new IkeSaKeys(Take(prfKey), Take(integKey), Take(integKey), Take(encKey), Take(encKey), Take(prfKey), Take(prfKey));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(stream);
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <summary>
    /// KEYMAT of a CHILD SA (RFC 7296 §2.17): prf+(SK_d, [g^ir (new) |] Ni | Nr), <paramref name="length"/> bytes,
    /// taken in the order encryption key i→r, integrity key i→r, encryption key r→i, integrity key r→i.
    /// </summary>
    public static SecretBuffer ChildSaKeyMaterial(PrfTransform prf, ReadOnlySpan<byte> skD, ReadOnlySpan<byte> sharedSecret, ReadOnlySpan<byte> nonceI,
        ReadOnlySpan<byte> nonceR, int length)
    {
        byte[] seed = GC.AllocateArray<byte>(sharedSecret.Length + nonceI.Length + nonceR.Length, pinned: true);
        try
        {
            sharedSecret.CopyTo(seed);
            nonceI.CopyTo(seed.AsSpan(sharedSecret.Length));
            nonceR.CopyTo(seed.AsSpan(sharedSecret.Length + nonceI.Length));
            var keymat = new SecretBuffer(length);
            using IPrf keyed = prf.Create(skD);
            PrfPlus.Expand(keyed, seed, keymat.Span);
            return keymat;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    private static SecretBuffer Compute(PrfTransform prf, ReadOnlySpan<byte> key, ReadOnlySpan<byte> data)
    {
        using IPrf keyed = prf.Create(key);
        var output = new SecretBuffer(keyed.OutputSize);
        keyed.Compute(data, output.Span);
        return output;
    }
}
