using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ikev1.Wire;

/// <summary>
/// Encryption of an ISAKMP message body (RFC 2408 §3.1 E flag, RFC 2409 Appendix B): everything after the header in
/// CBC mode under the ISAKMP SA's key, padded to the cipher's block with zeros; the IV is carried by the caller, who
/// chains it from message to message (the last cipher block of one is the IV of the next) and derives the first
/// of each phase 2 or informational exchange. No integrity: the HASH payloads authenticate.
/// </summary>
public sealed class IsakmpEncryption : IDisposable
{
    private readonly ICipher _cipher;

    /// <summary>Keys the cipher with the ISAKMP SA's encryption key.</summary>
    public IsakmpEncryption(EncryptionTransform transform, ReadOnlySpan<byte> key)
    {
        _cipher = transform.CreateCipher(key);
        BlockSize = _cipher.BlockSize;
    }

    /// <summary>The cipher's block size, also the IV size.</summary>
    public int BlockSize { get; }

    /// <summary>
    /// The datagram for <paramref name="header"/> (E flag and length set here) and the encrypted
    /// <paramref name="chain"/>; <paramref name="iv"/> becomes the last cipher block, the next message's IV.
    /// </summary>
    public byte[] Encrypt(IsakmpHeader header, ReadOnlySpan<byte> chain, Span<byte> iv)
    {
        int padded = (chain.Length + BlockSize - 1) / BlockSize * BlockSize;
        if (padded == 0) padded = BlockSize;
        var datagram = new byte[IsakmpHeader.Size + padded];
        (header with { Flags = header.Flags | IsakmpFlags.Encryption, Length = (uint)datagram.Length }).Write(datagram);
        Span<byte> body = datagram.AsSpan(IsakmpHeader.Size);
        chain.CopyTo(body);
        _cipher.Encrypt(iv, body, body);
        body[^BlockSize..].CopyTo(iv);
        return datagram;
    }

    /// <summary>
    /// Decrypts the body of an encrypted message with <paramref name="iv"/>. The IV for the next message (the last
    /// cipher block) comes out in <paramref name="nextIv"/>; the caller adopts it only once the message is
    /// authenticated, so that a forged or mangled message cannot break the chain.
    /// </summary>
    public bool TryDecrypt(ReadOnlySpan<byte> datagram, IsakmpHeader header, ReadOnlySpan<byte> iv, out byte[] plain, out byte[] nextIv, out ParseError error)
    {
        plain = [];
        nextIv = [];
        error = default;
        ReadOnlySpan<byte> body = datagram[IsakmpHeader.Size..(int)header.Length];
        if (body.Length == 0 || body.Length % BlockSize != 0)
        {
            error = new("encrypted payloads", $"{body.Length} bytes, not a whole number of {BlockSize}-byte blocks");
            return false;
        }
        plain = new byte[body.Length];
        _cipher.Decrypt(iv, body, plain);
        nextIv = body[^BlockSize..].ToArray();
        return true;
    }

    /// <summary>Wipes the key.</summary>
    public void Dispose() => _cipher.Dispose();
}
