using System.Security.Cryptography;

namespace Portcullis.Core.Crypto.Transforms;

/// <summary>
/// AES-GCM for ESP (RFC 4106) and IKEv2 (RFC 5282): key material is the AES key followed by a 4-byte salt,
/// the nonce salt ‖ 8-byte IV, the ICV 16, 12 or 8 bytes. The BCL's AesGcm takes tags of 12–16 bytes only; the
/// 8-byte ICV is the leading half of the full tag (GCM truncates by taking the most significant bytes), so it is
/// sealed with a full tag and opened by decrypting in counter mode and recomputing the full tag.
/// </summary>
internal sealed class AesGcmAead : IAead
{
    public const int SaltSize = 4;
    private const int FullTagSize = 16;
    private readonly AesGcm _gcm;
    private readonly Aes? _ctr;
    private readonly byte[] _salt = new byte[SaltSize];

    public AesGcmAead(ReadOnlySpan<byte> keyMaterial, int icvSize)
    {
        ReadOnlySpan<byte> key = keyMaterial[..^SaltSize];
        keyMaterial[^SaltSize..].CopyTo(_salt);
        IcvSize = icvSize;
        bool truncated = icvSize < AesGcm.TagByteSizes.MinSize;
        _gcm = new AesGcm(key, truncated ? FullTagSize : icvSize);
        if (truncated) _ctr = Keys.CreateAes(key);
    }

    public int IvSize => 8;
    public int IcvSize { get; }

    public void Seal(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> icv)
    {
        Span<byte> nonce = stackalloc byte[12];
        Nonce(iv, nonce);
        if (_ctr is null)
        {
            _gcm.Encrypt(nonce, plaintext, ciphertext[..plaintext.Length], icv[..IcvSize], associatedData);
            return;
        }
        Span<byte> tag = stackalloc byte[FullTagSize];
        _gcm.Encrypt(nonce, plaintext, ciphertext[..plaintext.Length], tag, associatedData);
        tag[..IcvSize].CopyTo(icv);
    }

    public bool Open(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> icv, Span<byte> plaintext)
    {
        if (icv.Length != IcvSize || iv.Length != IvSize) return false;
        Span<byte> nonce = stackalloc byte[12];
        Nonce(iv, nonce);
        plaintext = plaintext[..ciphertext.Length];
        if (_ctr is null)
        {
            try
            {
                _gcm.Decrypt(nonce, ciphertext, icv, plaintext, associatedData);
                return true;
            }
            catch (AuthenticationTagMismatchException)
            {
                // The BCL reports a bad tag by exception; it stops here, as a false.
                CryptographicOperations.ZeroMemory(plaintext);
                return false;
            }
        }
        return OpenTruncated(nonce, associatedData, ciphertext, icv, plaintext);
    }

    private bool OpenTruncated(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> icv, Span<byte> plaintext)
    {
        // GCM encrypts with counter blocks nonce ‖ 2, 3, …; block 1 (J0) masks the tag.
        CounterMode.Xor(_ctr!, nonce, 2, ciphertext, plaintext);
        byte[] scratch = System.Buffers.ArrayPool<byte>.Shared.Rent(ciphertext.Length);
        Span<byte> tag = stackalloc byte[FullTagSize];
        try
        {
            Span<byte> recomputed = scratch.AsSpan(0, ciphertext.Length);
            _gcm.Encrypt(nonce, plaintext, recomputed, tag, associatedData);
            bool ok = CryptographicOperations.FixedTimeEquals(tag[..IcvSize], icv);
            if (!ok) CryptographicOperations.ZeroMemory(plaintext);
            return ok;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private void Nonce(ReadOnlySpan<byte> iv, Span<byte> nonce)
    {
        if (iv.Length != IvSize) throw new ArgumentException("the IV must be 8 bytes", nameof(iv));
        _salt.CopyTo(nonce);
        iv.CopyTo(nonce[SaltSize..]);
    }

    public void Dispose()
    {
        _gcm.Dispose();
        _ctr?.Dispose();
        CryptographicOperations.ZeroMemory(_salt);
    }
}
