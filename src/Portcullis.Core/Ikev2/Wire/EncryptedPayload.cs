using System.Buffers.Binary;
using System.Security.Cryptography;
using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Registry;

namespace Portcullis.Core.Ikev2.Wire;

/// <summary>
/// Encrypted and Authenticated payload, SK (RFC 7296 §3.14, RFC 5282 for AEADs):
/// <code>
///  generic header | Initialization Vector | Encrypted IKE Payloads ‖ Padding ‖ Pad Length | Integrity Checksum Data
/// </code>
/// With a plain cipher the checksum covers the whole message from the IKE header to the end of the ciphertext;
/// with an AEAD the associated data is the IKE header and the SK generic header. One instance per IKE SA holds the
/// keyed transforms of both directions.
/// </summary>
public sealed class EncryptedPayload : IDisposable
{
    private readonly EncryptionTransform _encryption;
    private readonly IAead? _aeadOut, _aeadIn;
    private readonly ICipher? _cipherOut, _cipherIn;
    private readonly IIntegrity? _integrityOut, _integrityIn;

    /// <summary>Keys both directions: <paramref name="outKey"/>/<paramref name="outIntegrityKey"/> protect what this side sends.</summary>
    public EncryptedPayload(EncryptionTransform encryption, IntegrityTransform? integrity,
        ReadOnlySpan<byte> outKey, ReadOnlySpan<byte> outIntegrityKey, ReadOnlySpan<byte> inKey, ReadOnlySpan<byte> inIntegrityKey)
    {
        _encryption = encryption;
        if (encryption.IsAead)
        {
            _aeadOut = encryption.CreateAead(outKey);
            _aeadIn = encryption.CreateAead(inKey);
        }
        else
        {
            ArgumentNullException.ThrowIfNull(integrity);
            _cipherOut = encryption.CreateCipher(outKey);
            _cipherIn = encryption.CreateCipher(inKey);
            _integrityOut = integrity.Create(outIntegrityKey);
            _integrityIn = integrity.Create(inIntegrityKey);
        }
    }

    private int IvSize => _encryption.IvSize;
    private int IcvSize => _aeadOut?.IcvSize ?? _integrityOut!.IcvSize;

    /// <summary>Builds a whole protected message: the header (length filled in) and one SK payload holding <paramref name="inner"/>.</summary>
    public byte[] Protect(IkeHeader header, IReadOnlyList<Payload> inner)
    {
        var plain = new byte[Payload.ChainLength(inner)];
        Payload.WriteChain(inner, plain);
        return Seal(header, PayloadType.Encrypted, inner.Count > 0 ? inner[0].Type : PayloadType.None, [], plain);
    }

    /// <summary>Length of the message <see cref="Protect"/> builds around <paramref name="innerLength"/> bytes of inner payloads.</summary>
    internal int ProtectedLength(int innerLength) => IkeHeader.Size + Payload.HeaderSize + IvSize + PlainLength(innerLength) + IcvSize;

    /// <summary>The most content bytes that fit when the encrypted part (IV to ICV) may take <paramref name="room"/> bytes.</summary>
    internal int MaxInnerLength(int room)
    {
        int block = Math.Max(1, _encryption.BlockSize);
        int plain = (room - IvSize - IcvSize) / block * block;
        return plain - 1; // the Pad Length octet
    }

    private int PlainLength(int innerLength)
    {
        int block = Math.Max(1, _encryption.BlockSize);
        return (innerLength + 1 + block - 1) / block * block;
    }

    /// <summary>
    /// Builds a protected message: the IKE header, then one payload of <paramref name="type"/> whose body is
    /// <paramref name="bodyPrefix"/> (empty for SK; Fragment Number and Total Fragments for SKF), the IV, the
    /// encrypted <paramref name="inner"/> with padding, and the ICV. Everything before the IV is the AEAD's
    /// associated data (RFC 5282 §5.1, RFC 7383 §2.5); a plain integrity transform covers everything before the ICV.
    /// </summary>
    internal byte[] Seal(IkeHeader header, PayloadType type, PayloadType nextPayload, ReadOnlySpan<byte> bodyPrefix, ReadOnlySpan<byte> inner)
    {
        int plainLength = PlainLength(inner.Length);
        int padLength = plainLength - inner.Length - 1;
        int headerLength = Payload.HeaderSize + bodyPrefix.Length;
        int payloadLength = headerLength + IvSize + plainLength + IcvSize;
        var message = new byte[IkeHeader.Size + payloadLength];
        (header with { NextPayload = type, Length = (uint)message.Length }).Write(message);
        Span<byte> payload = message.AsSpan(IkeHeader.Size);
        payload[0] = (byte)nextPayload;
        payload[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(payload[2..], (ushort)payloadLength);
        bodyPrefix.CopyTo(payload[Payload.HeaderSize..]);
        Span<byte> iv = payload.Slice(headerLength, IvSize);
        RandomNumberGenerator.Fill(iv);
        Span<byte> plain = payload.Slice(headerLength + IvSize, plainLength);
        inner.CopyTo(plain);
        plain.Slice(inner.Length, padLength).Clear();
        plain[^1] = (byte)padLength;
        Span<byte> icv = payload.Slice(headerLength + IvSize + plainLength, IcvSize);
        if (_aeadOut is not null)
        {
            _aeadOut.Seal(iv, message.AsSpan(0, IkeHeader.Size + headerLength), plain, plain, icv);
        }
        else
        {
            _cipherOut!.Encrypt(iv, plain, plain);
            _integrityOut!.Compute(message.AsSpan(0, message.Length - IcvSize), icv);
        }
        return message;
    }

    /// <summary>
    /// Verifies and decrypts the SK payload at <paramref name="body"/> of <paramref name="message"/>; returns the inner
    /// payload bytes (padding removed). False with the reason when the message does not verify or is malformed.
    /// </summary>
    public bool TryUnprotect(ReadOnlySpan<byte> message, EncryptedBody body, out byte[] inner, out ParseError error) =>
        TryOpen(message, IkeHeader.Size + body.PayloadOffset, body.PayloadLength, 0, out inner, out error);

    /// <summary>
    /// Verifies and decrypts the protected payload of <paramref name="payloadLength"/> bytes at
    /// <paramref name="payloadStart"/> of <paramref name="message"/> (which ends with it), whose body starts with
    /// <paramref name="prefixLength"/> bytes before the IV. The counterpart of <see cref="Seal"/>.
    /// </summary>
    internal bool TryOpen(ReadOnlySpan<byte> message, int payloadStart, int payloadLength, int prefixLength, out byte[] inner, out ParseError error)
    {
        inner = [];
        error = default;
        ReadOnlySpan<byte> payload = message.Slice(payloadStart, payloadLength);
        int headerLength = Payload.HeaderSize + prefixLength;
        int block = Math.Max(1, _encryption.BlockSize);
        int cipherLength = payload.Length - headerLength - IvSize - IcvSize;
        if (cipherLength < 1 || cipherLength % block != 0)
        {
            error = new("Encrypted IKE Payloads", $"{cipherLength} bytes of ciphertext, not a positive multiple of {block}");
            return false;
        }
        ReadOnlySpan<byte> iv = payload.Slice(headerLength, IvSize);
        ReadOnlySpan<byte> ciphertext = payload.Slice(headerLength + IvSize, cipherLength);
        ReadOnlySpan<byte> icv = payload.Slice(headerLength + IvSize + cipherLength, IcvSize);
        var plain = new byte[cipherLength];
        int end = payloadStart + payloadLength;
        if (_aeadIn is not null)
        {
            ReadOnlySpan<byte> aad = message[..(payloadStart + headerLength)];
            if (!_aeadIn.Open(iv, aad, ciphertext, icv, plain)) { error = new("Integrity Checksum Data", "does not verify"); return false; }
        }
        else
        {
            if (!_integrityIn!.Verify(message[..(end - IcvSize)], icv)) { error = new("Integrity Checksum Data", "does not verify"); return false; }
            _cipherIn!.Decrypt(iv, ciphertext, plain);
        }
        int padLength = plain[^1];
        if (padLength + 1 > plain.Length) { error = new("Pad Length", $"{padLength} with {plain.Length} bytes of plaintext"); return false; }
        inner = plain[..(plain.Length - padLength - 1)];
        return true;
    }

    /// <summary>Wipes the keys.</summary>
    public void Dispose()
    {
        _aeadOut?.Dispose();
        _aeadIn?.Dispose();
        _cipherOut?.Dispose();
        _cipherIn?.Dispose();
        _integrityOut?.Dispose();
        _integrityIn?.Dispose();
    }
}
