using System.Security.Cryptography;

namespace Portcullis.Core.Crypto.Transforms;

/// <summary>
/// ChaCha20-Poly1305 for ESP and IKEv2 (RFC 7634): key material is the 32-byte key followed by a 4-byte salt,
/// the nonce salt ‖ 8-byte IV, the ICV 16 bytes.
/// </summary>
internal sealed class ChaCha20Poly1305Aead : IAead
{
    public const int SaltSize = 4;
    private readonly ChaCha20Poly1305 _aead;
    private readonly byte[] _salt = new byte[SaltSize];

    public ChaCha20Poly1305Aead(ReadOnlySpan<byte> keyMaterial)
    {
        _aead = new ChaCha20Poly1305(keyMaterial[..^SaltSize]);
        keyMaterial[^SaltSize..].CopyTo(_salt);
    }

    public int IvSize => 8;
    public int IcvSize => 16;

    public void Seal(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> icv)
    {
        Span<byte> nonce = stackalloc byte[12];
        Nonce(iv, nonce);
        _aead.Encrypt(nonce, plaintext, ciphertext[..plaintext.Length], icv[..IcvSize], associatedData);
    }

    public bool Open(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> icv, Span<byte> plaintext)
    {
        if (icv.Length != IcvSize || iv.Length != IvSize) return false;
        Span<byte> nonce = stackalloc byte[12];
        Nonce(iv, nonce);
        plaintext = plaintext[..ciphertext.Length];
        try
        {
            _aead.Decrypt(nonce, ciphertext, icv, plaintext, associatedData);
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
        _aead.Dispose();
        CryptographicOperations.ZeroMemory(_salt);
    }
}
