using System.Buffers;
using System.Security.Cryptography;

namespace Portcullis.Core.Crypto.Transforms;

/// <summary>
/// ENCR_NULL_AUTH_AES_GMAC (RFC 4543): integrity without confidentiality. The payload travels in the clear; the
/// ICV is the GCM tag with an empty plaintext over AAD = associated data ‖ IV ‖ payload (RFC 4543 §3.5).
/// </summary>
internal sealed class AesGmacAead(ReadOnlySpan<byte> keyMaterial)
    : SaltedAead(keyMaterial[^SaltSize..], 16)
{
    public const int SaltSize = 4;
    private readonly AesGcm _gcm = new(keyMaterial[..^SaltSize], 16);

    protected override void Encrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag)
    {
        Tag(nonce, associatedData, plaintext, tag);
        plaintext.CopyTo(ciphertext);
    }

    protected override bool Decrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext)
    {
        Span<byte> expected = stackalloc byte[tag.Length];
        Tag(nonce, associatedData, ciphertext, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, tag)) return false;
        ciphertext.CopyTo(plaintext);
        return true;
    }

    private void Tag(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> payload, Span<byte> tag)
    {
        ReadOnlySpan<byte> iv = nonce[SaltSize..];
        int length = associatedData.Length + iv.Length + payload.Length;
        byte[] aad = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            associatedData.CopyTo(aad);
            iv.CopyTo(aad.AsSpan(associatedData.Length));
            payload.CopyTo(aad.AsSpan(associatedData.Length + iv.Length));
            _gcm.Encrypt(nonce, ReadOnlySpan<byte>.Empty, Span<byte>.Empty, tag, aad.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(aad);
        }
    }

    protected override void DisposePrimitive() => _gcm.Dispose();
}
