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
        int innerLength = Payload.ChainLength(inner);
        int block = Math.Max(1, _encryption.BlockSize);
        int plainLength = (innerLength + 1 + block - 1) / block * block;
        int padLength = plainLength - innerLength - 1;
        int skLength = Payload.HeaderSize + IvSize + plainLength + IcvSize;
        var message = new byte[IkeHeader.Size + skLength];
        (header with { NextPayload = PayloadType.Encrypted, Length = (uint)message.Length }).Write(message);
        Span<byte> sk = message.AsSpan(IkeHeader.Size);
        sk[0] = (byte)(inner.Count > 0 ? inner[0].Type : PayloadType.None);
        sk[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(sk[2..], (ushort)skLength);
        Span<byte> iv = sk.Slice(Payload.HeaderSize, IvSize);
        RandomNumberGenerator.Fill(iv);
        Span<byte> plain = sk.Slice(Payload.HeaderSize + IvSize, plainLength);
        Payload.WriteChain(inner, plain);
        plain.Slice(innerLength, padLength).Clear();
        plain[^1] = (byte)padLength;
        Span<byte> icv = sk.Slice(Payload.HeaderSize + IvSize + plainLength, IcvSize);
        if (_aeadOut is not null)
        {
            _aeadOut.Seal(iv, message.AsSpan(0, IkeHeader.Size + Payload.HeaderSize), plain, plain, icv);
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
    public bool TryUnprotect(ReadOnlySpan<byte> message, EncryptedBody body, out byte[] inner, out ParseError error)
    {
        inner = [];
        error = default;
        ReadOnlySpan<byte> sk = message.Slice(body.PayloadOffset + IkeHeader.Size, body.PayloadLength);
        int block = Math.Max(1, _encryption.BlockSize);
        int cipherLength = sk.Length - Payload.HeaderSize - IvSize - IcvSize;
        if (cipherLength < 1 || cipherLength % block != 0)
        {
            error = new("Encrypted IKE Payloads", $"{cipherLength} bytes of ciphertext, not a positive multiple of {block}");
            return false;
        }
        ReadOnlySpan<byte> iv = sk.Slice(Payload.HeaderSize, IvSize);
        ReadOnlySpan<byte> ciphertext = sk.Slice(Payload.HeaderSize + IvSize, cipherLength);
        ReadOnlySpan<byte> icv = sk.Slice(Payload.HeaderSize + IvSize + cipherLength, IcvSize);
        var plain = new byte[cipherLength];
        int end = IkeHeader.Size + body.PayloadOffset + body.PayloadLength;
        if (_aeadIn is not null)
        {
            ReadOnlySpan<byte> aad = message[..(IkeHeader.Size + body.PayloadOffset + Payload.HeaderSize)];
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
