using System.Security.Cryptography;

namespace Portcullis.Core.Crypto.Transforms;

/// <summary>
/// AES-CCM for ESP (RFC 4309): key material is the AES key followed by a 3-byte salt, the nonce salt ‖ 8-byte IV
/// (11 bytes, so L = 4), the ICV 8, 12 or 16 bytes.
/// </summary>
internal sealed class AesCcmAead(ReadOnlySpan<byte> keyMaterial, int icvSize)
    : SaltedAead(keyMaterial[^SaltSize..], icvSize)
{
    public const int SaltSize = 3;
    private readonly AesCcm _ccm = new(keyMaterial[..^SaltSize]);

    protected override void Encrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag) =>
        _ccm.Encrypt(nonce, plaintext, ciphertext, tag, associatedData);

    protected override bool Decrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext)
    {
        _ccm.Decrypt(nonce, ciphertext, tag, plaintext, associatedData);
        return true;
    }

    protected override void DisposePrimitive() => _ccm.Dispose();
}
