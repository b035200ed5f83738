using System.Security.Cryptography;
using Portcullis.Core.Crypto.Native;

namespace Portcullis.Core.Crypto.Transforms;

/// <summary>
/// AES-GCM (RFC 4106), AES-GMAC (RFC 4543) and ChaCha20-Poly1305 (RFC 7634) on OpenSSL EVP cipher contexts that are
/// keyed once per SA. The BCL's AesGcm and ChaCha20Poly1305 set a context up again, key schedule included, on every
/// call; here a packet costs an IV reset, the AAD, the data and the tag. One context per direction, made on first
/// use (an SA direction only ever seals or only opens); not thread-safe, as <see cref="IAead"/> says.
/// </summary>
internal sealed unsafe class EvpAead : SaltedAead
{
    public const int SaltSize = 4;
    private const int EVP_CTRL_AEAD_SET_IVLEN = 0x9;
    private const int EVP_CTRL_AEAD_GET_TAG = 0x10;
    private const int EVP_CTRL_AEAD_SET_TAG = 0x11;

    private readonly EvpContextPair _contexts;
    private readonly bool _gmac;

    /// <param name="cipher">An EVP name: <c>AES-128-GCM</c>, <c>AES-192-GCM</c>, <c>AES-256-GCM</c> or <c>ChaCha20-Poly1305</c>.</param>
    /// <param name="keyMaterial">The key followed by the 4-byte salt.</param>
    /// <param name="icvSize">The ICV: 8, 12 or 16 for GCM (OpenSSL takes a truncated tag directly), 16 otherwise.</param>
    /// <param name="gmac">ENCR_NULL_AUTH_AES_GMAC: the payload is authenticated as AAD and travels in the clear.</param>
    public EvpAead(string cipher, ReadOnlySpan<byte> keyMaterial, int icvSize, bool gmac = false) : base(keyMaterial[^SaltSize..], icvSize)
    {
        // The nonce is salt ‖ IV, 12 bytes: the default for both ciphers, set anyway so it never depends on that.
        _contexts = new EvpContextPair(cipher, keyMaterial[..^SaltSize], beforeKey: ctx =>
            LibCrypto.Check(LibCrypto.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, SaltSize + 8, null), "EVP_CTRL_AEAD_SET_IVLEN"));
        _gmac = gmac;
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
            // A null cipher and key with a new IV keeps the key schedule: this is the per-packet cost.
            LibCrypto.Check(LibCrypto.EVP_CipherInit_ex(ctx, 0, 0, null, n, 1), "EVP_CipherInit_ex");
            Aad(ctx, aad, associatedData.Length);
            if (_gmac)
            {
                // RFC 4543 §3.5: AAD = associated data ‖ IV ‖ payload; the payload itself is not encrypted.
                Aad(ctx, n + SaltSize, nonce.Length - SaltSize);
                Aad(ctx, input, plaintext.Length);
                plaintext.CopyTo(ciphertext);
            }
            else if (plaintext.Length > 0)
            {
                LibCrypto.Check(LibCrypto.EVP_CipherUpdate(ctx, output, out _, input, plaintext.Length), "EVP_CipherUpdate");
            }
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
            LibCrypto.Check(LibCrypto.EVP_CipherInit_ex(ctx, 0, 0, null, n, 0), "EVP_CipherInit_ex");
            LibCrypto.Check(LibCrypto.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, tag.Length, t), "EVP_CTRL_AEAD_SET_TAG");
            Aad(ctx, aad, associatedData.Length);
            if (_gmac)
            {
                Aad(ctx, n + SaltSize, nonce.Length - SaltSize);
                Aad(ctx, input, ciphertext.Length);
            }
            else if (ciphertext.Length > 0)
            {
                LibCrypto.Check(LibCrypto.EVP_CipherUpdate(ctx, output, out _, input, ciphertext.Length), "EVP_CipherUpdate");
            }
            // Final verifies the tag (constant time inside OpenSSL); a bad packet is a false, never an exception.
            bool ok = LibCrypto.EVP_CipherFinal_ex(ctx, output, out _) > 0;
            if (!ok) LibCrypto.ERR_clear_error();
            else if (_gmac) ciphertext.CopyTo(plaintext);
            return ok;
        }
    }

    private static void Aad(nint ctx, byte* data, int length)
    {
        if (length > 0) LibCrypto.Check(LibCrypto.EVP_CipherUpdate(ctx, null, out _, data, length), "EVP_CipherUpdate(AAD)");
    }

    // Freeing the contexts cleanses the expanded key.
    protected override void DisposePrimitive() => _contexts.Dispose();
}
