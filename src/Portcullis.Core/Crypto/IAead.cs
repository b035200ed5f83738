namespace Portcullis.Core.Crypto;

/// <summary>
/// An AEAD keyed for one SA direction (RFC 4106, 4309, 4543, 7634 style: the key material carries a salt,
/// the nonce is salt ‖ IV). One instance per SA and pipeline; not thread-safe.
/// </summary>
public interface IAead : IDisposable
{
    /// <summary>Size of the explicit IV carried in each packet (8 for every IPsec AEAD).</summary>
    int IvSize { get; }

    /// <summary>Size of the integrity check value (authentication tag).</summary>
    int IcvSize { get; }

    /// <summary>Encrypts <paramref name="plaintext"/> into <paramref name="ciphertext"/> (same length) and writes the ICV.</summary>
    void Seal(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> icv);

    /// <summary>Verifies the ICV and decrypts; false (and <paramref name="plaintext"/> zeroed) when it does not verify.</summary>
    bool Open(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> icv, Span<byte> plaintext);
}
