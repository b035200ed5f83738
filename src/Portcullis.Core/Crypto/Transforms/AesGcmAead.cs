using System.Buffers;
using System.Security.Cryptography;

namespace Portcullis.Core.Crypto.Transforms;

/// <summary>
/// AES-GCM for ESP (RFC 4106) and IKEv2 (RFC 5282): key material is the AES key followed by a 4-byte salt,
/// the nonce salt ‖ 8-byte IV, the ICV 16, 12 or 8 bytes. The BCL's AesGcm takes tags of 12–16 bytes only; the
/// 8-byte ICV is the leading half of the full tag (GCM truncates by taking the most significant bytes), so it is
/// sealed with a full tag and opened by decrypting in counter mode and recomputing the full tag.
/// </summary>
internal sealed class AesGcmAead : SaltedAead
{
    public const int SaltSize = 4;
    private const int FullTagSize = 16;
    private readonly AesGcm _gcm;
    private readonly Aes? _ctr;

    public AesGcmAead(ReadOnlySpan<byte> keyMaterial, int icvSize) : base(keyMaterial[^SaltSize..], icvSize)
    {
        ReadOnlySpan<byte> key = keyMaterial[..^SaltSize];
        bool truncated = icvSize < AesGcm.TagByteSizes.MinSize;
        _gcm = new AesGcm(key, truncated ? FullTagSize : icvSize);
        if (truncated) _ctr = Keys.CreateAes(key);
    }

    protected override void Encrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag)
    {
        if (_ctr is null)
        {
            _gcm.Encrypt(nonce, plaintext, ciphertext, tag, associatedData);
            return;
        }
        Span<byte> full = stackalloc byte[FullTagSize];
        _gcm.Encrypt(nonce, plaintext, ciphertext, full, associatedData);
        full[..tag.Length].CopyTo(tag);
    }

    protected override bool Decrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext)
    {
        if (_ctr is null)
        {
            _gcm.Decrypt(nonce, ciphertext, tag, plaintext, associatedData);
            return true;
        }
        // GCM encrypts with counter blocks nonce ‖ 2, 3, …; block 1 (J0) masks the tag.
        CounterMode.Xor(_ctr, nonce, 2, ciphertext, plaintext);
        byte[] scratch = ArrayPool<byte>.Shared.Rent(ciphertext.Length);
        Span<byte> full = stackalloc byte[FullTagSize];
        try
        {
            _gcm.Encrypt(nonce, plaintext, scratch.AsSpan(0, ciphertext.Length), full, associatedData);
            return CryptographicOperations.FixedTimeEquals(full[..tag.Length], tag);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    protected override void DisposePrimitive()
    {
        _gcm.Dispose();
        _ctr?.Dispose();
    }
}
