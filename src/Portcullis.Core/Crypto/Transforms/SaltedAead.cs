using System.Security.Cryptography;

namespace Portcullis.Core.Crypto.Transforms;

/// <summary>
/// What every IPsec AEAD shares (RFC 4106, 4309, 4543, 7634): the key material ends with a salt, the nonce is
/// salt ‖ 8-byte explicit IV, and a packet that fails to verify leaves the output zeroed. Subclasses only call
/// their primitive.
/// </summary>
internal abstract class SaltedAead : IAead
{
    private readonly byte[] _salt;

    protected SaltedAead(ReadOnlySpan<byte> salt, int icvSize)
    {
        _salt = salt.ToArray();
        IcvSize = icvSize;
    }

    public int IvSize => 8;
    public int IcvSize { get; }

    private int NonceSize => _salt.Length + IvSize;

    public void Seal(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> icv)
    {
        if (iv.Length != IvSize) throw new ArgumentException("the IV must be 8 bytes", nameof(iv));
        Span<byte> nonce = stackalloc byte[NonceSize];
        _salt.CopyTo(nonce);
        iv.CopyTo(nonce[_salt.Length..]);
        Encrypt(nonce, associatedData, plaintext, ciphertext[..plaintext.Length], icv[..IcvSize]);
    }

    public bool Open(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> icv, Span<byte> plaintext)
    {
        plaintext = plaintext[..ciphertext.Length];
        bool ok = false;
        if (icv.Length == IcvSize && iv.Length == IvSize)
        {
            Span<byte> nonce = stackalloc byte[NonceSize];
            _salt.CopyTo(nonce);
            iv.CopyTo(nonce[_salt.Length..]);
            try
            {
                ok = Decrypt(nonce, associatedData, ciphertext, icv, plaintext);
            }
            catch (AuthenticationTagMismatchException)
            {
                // The BCL reports a bad tag by exception; it stops here, as a false.
                ok = false;
            }
        }
        if (!ok) CryptographicOperations.ZeroMemory(plaintext);
        return ok;
    }

    /// <summary>Writes the nonce, salt ‖ <paramref name="iv"/>, into <paramref name="nonce"/> and returns its length.</summary>
    protected int WriteNonce(ReadOnlySpan<byte> iv, Span<byte> nonce)
    {
        if (iv.Length != IvSize) throw new ArgumentException("the IV must be 8 bytes", nameof(iv));
        _salt.CopyTo(nonce);
        iv.CopyTo(nonce[_salt.Length..]);
        return NonceSize;
    }

    /// <summary>Encrypts and writes the <see cref="IcvSize"/>-byte tag.</summary>
    protected abstract void Encrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag);

    /// <summary>Verifies and decrypts; false or <see cref="AuthenticationTagMismatchException"/> when the tag does not verify.</summary>
    protected abstract bool Decrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext);

    /// <summary>Releases the primitive (which wipes its key).</summary>
    protected abstract void DisposePrimitive();

    public void Dispose()
    {
        DisposePrimitive();
        CryptographicOperations.ZeroMemory(_salt);
    }
}
