using System.Security.Cryptography;
using Portcullis.Core.Crypto.Native;

namespace Portcullis.Core.Crypto.Transforms;

/// <summary>
/// AES-CCM for ESP (RFC 4309): key material is the AES key followed by a 3-byte salt, the nonce salt ‖ 8-byte IV
/// (11 bytes, so L = 4), the ICV 8, 12 or 16 bytes. On an OpenSSL EVP context keyed once per SA direction, like
/// <see cref="EvpAead"/>: the BCL's AesCcm keys a new context (and allocates) on every call. CCM needs the tag
/// length before the key, and the message length before the associated data.
/// </summary>
internal sealed unsafe class AesCcmAead : SaltedAead
{
    public const int SaltSize = 3;
    private const int EVP_CTRL_AEAD_SET_IVLEN = 0x9;
    private const int EVP_CTRL_AEAD_GET_TAG = 0x10;
    private const int EVP_CTRL_AEAD_SET_TAG = 0x11;

    private readonly EvpContextPair _contexts;

    public AesCcmAead(ReadOnlySpan<byte> keyMaterial, int icvSize) : base(keyMaterial[^SaltSize..], icvSize)
    {
        // The nonce length (L = 4) and the tag length (M) are fixed when the key is set.
        _contexts = new EvpContextPair($"AES-{(keyMaterial.Length - SaltSize) * 8}-CCM", keyMaterial[..^SaltSize], beforeKey: ctx =>
        {
            LibCrypto.Check(LibCrypto.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, SaltSize + 8, null), "EVP_CTRL_AEAD_SET_IVLEN");
            LibCrypto.Check(LibCrypto.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, icvSize, null), "EVP_CTRL_AEAD_SET_TAG");
        });
    }

    protected override void Encrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag)
    {
        nint ctx = _contexts.Encrypt;
        fixed (byte* n = nonce)
        fixed (byte* aad = associatedData)
        fixed (byte* input = plaintext)
        fixed (byte* output = ciphertext)
        fixed (byte* t = tag)
        {
            LibCrypto.Check(LibCrypto.EVP_CipherInit_ex(ctx, 0, 0, null, n, 1), "EVP_CipherInit_ex");
            LibCrypto.Check(LibCrypto.EVP_CipherUpdate(ctx, null, out _, null, plaintext.Length), "EVP_CipherUpdate(length)");
            if (associatedData.Length > 0)
                LibCrypto.Check(LibCrypto.EVP_CipherUpdate(ctx, null, out _, aad, associatedData.Length), "EVP_CipherUpdate(AAD)");
            // CCM takes the whole payload in one call; an empty one still needs the call, with a non-null output.
            byte scratch = 0;
            LibCrypto.Check(LibCrypto.EVP_CipherUpdate(ctx, plaintext.Length > 0 ? output : &scratch, out _, plaintext.Length > 0 ? input : &scratch, plaintext.Length), "EVP_CipherUpdate");
            LibCrypto.Check(LibCrypto.EVP_CipherFinal_ex(ctx, output, out _), "EVP_CipherFinal_ex");
            LibCrypto.Check(LibCrypto.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, tag.Length, t), "EVP_CTRL_AEAD_GET_TAG");
        }
    }

    protected override bool Decrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext)
    {
        nint ctx = _contexts.Decrypt;
        fixed (byte* n = nonce)
        fixed (byte* aad = associatedData)
        fixed (byte* input = ciphertext)
        fixed (byte* output = plaintext)
        fixed (byte* t = tag)
        {
            // The expected tag after the IV: finishing a message (good or bad) clears it in OpenSSL.
            bool ok = LibCrypto.EVP_CipherInit_ex(ctx, 0, 0, null, n, 0) > 0
                && LibCrypto.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, tag.Length, t) > 0
                && LibCrypto.EVP_CipherUpdate(ctx, null, out _, null, ciphertext.Length) > 0
                && (associatedData.Length == 0 || LibCrypto.EVP_CipherUpdate(ctx, null, out _, aad, associatedData.Length) > 0);
            byte scratch = 0;
            // For CCM the update that decrypts also verifies the tag (in constant time inside OpenSSL).
            ok = ok && LibCrypto.EVP_CipherUpdate(ctx, ciphertext.Length > 0 ? output : &scratch, out _, ciphertext.Length > 0 ? input : &scratch, ciphertext.Length) > 0;
            if (!ok) LibCrypto.ERR_clear_error();
            return ok;
        }
    }

    protected override void DisposePrimitive() => _contexts.Dispose();
}
