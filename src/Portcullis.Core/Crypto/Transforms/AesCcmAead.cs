using System.Security.Cryptography;

namespace Portcullis.Core.Crypto.Transforms;

/// <summary>
/// AES-CCM for ESP (RFC 4309): key material is the AES key followed by a 3-byte salt, the nonce salt ‖ 8-byte IV
/// (11 bytes, so L = 4), the ICV 8, 12 or 16 bytes.
/// </summary>
internal sealed class AesCcmAead : IAead
{
    public const int SaltSize = 3;
    private readonly AesCcm _ccm;
    private readonly byte[] _salt = new byte[SaltSize];

    public AesCcmAead(ReadOnlySpan<byte> keyMaterial, int icvSize)
    {
        _ccm = new AesCcm(keyMaterial[..^SaltSize]);
        keyMaterial[^SaltSize..].CopyTo(_salt);
        IcvSize = icvSize;
    }

    public int IvSize => 8;
    public int IcvSize { get; }

    public void Seal(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> icv)
    {
        Span<byte> nonce = stackalloc byte[SaltSize + 8];
        Nonce(iv, nonce);
        _ccm.Encrypt(nonce, plaintext, ciphertext[..plaintext.Length], icv[..IcvSize], associatedData);
    }

    public bool Open(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> icv, Span<byte> plaintext)
    {
        if (icv.Length != IcvSize || iv.Length != IvSize) return false;
        Span<byte> nonce = stackalloc byte[SaltSize + 8];
        Nonce(iv, nonce);
        plaintext = plaintext[..ciphertext.Length];
        try
        {
            _ccm.Decrypt(nonce, ciphertext, icv, plaintext, associatedData);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            CryptographicOperations.ZeroMemory(plaintext);
            return false;
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
        _ccm.Dispose();
        CryptographicOperations.ZeroMemory(_salt);
    }
}
