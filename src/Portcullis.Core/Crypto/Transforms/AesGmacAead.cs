using System.Buffers;
using System.Security.Cryptography;

namespace Portcullis.Core.Crypto.Transforms;

/// <summary>
/// ENCR_NULL_AUTH_AES_GMAC (RFC 4543): integrity without confidentiality. The payload travels in the clear; the
/// ICV is the GCM tag with an empty plaintext over AAD = associated data ‖ IV ‖ payload (RFC 4543 §3.5).
/// </summary>
internal sealed class AesGmacAead : IAead
{
    public const int SaltSize = 4;
    private readonly AesGcm _gcm;
    private readonly byte[] _salt = new byte[SaltSize];

    public AesGmacAead(ReadOnlySpan<byte> keyMaterial)
    {
        _gcm = new AesGcm(keyMaterial[..^SaltSize], 16);
        keyMaterial[^SaltSize..].CopyTo(_salt);
    }

    public int IvSize => 8;
    public int IcvSize => 16;

    public void Seal(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> icv)
    {
        Tag(iv, associatedData, plaintext, icv[..IcvSize]);
        plaintext.CopyTo(ciphertext);
    }

    public bool Open(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> icv, Span<byte> plaintext)
    {
        if (icv.Length != IcvSize || iv.Length != IvSize) return false;
        Span<byte> expected = stackalloc byte[IcvSize];
        Tag(iv, associatedData, ciphertext, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, icv)) return false;
        ciphertext.CopyTo(plaintext);
        return true;
    }

    private void Tag(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> payload, Span<byte> tag)
    {
        if (iv.Length != IvSize) throw new ArgumentException("the IV must be 8 bytes", nameof(iv));
        Span<byte> nonce = stackalloc byte[12];
        _salt.CopyTo(nonce);
        iv.CopyTo(nonce[SaltSize..]);
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

    public void Dispose()
    {
        _gcm.Dispose();
        CryptographicOperations.ZeroMemory(_salt);
    }
}
