using System.Security.Cryptography;

namespace Portcullis.Core.Crypto.Transforms;

/// <summary>
/// ChaCha20-Poly1305 for ESP and IKEv2 (RFC 7634): key material is the 32-byte key followed by a 4-byte salt,
/// the nonce salt ‖ 8-byte IV, the ICV 16 bytes.
/// </summary>
internal sealed class ChaCha20Poly1305Aead(ReadOnlySpan<byte> keyMaterial)
    : SaltedAead(keyMaterial[^SaltSize..], 16)
{
    public const int SaltSize = 4;
    private readonly ChaCha20Poly1305 _aead = new(keyMaterial[..^SaltSize]);

    protected override void Encrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag) =>
        _aead.Encrypt(nonce, plaintext, ciphertext, tag, associatedData);

    protected override bool Decrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext)
    {
        _aead.Decrypt(nonce, ciphertext, tag, plaintext, associatedData);
        return true;
    }

    protected override void DisposePrimitive() => _aead.Dispose();
}
