using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ikev2;

/// <summary>The outcome of proposal selection: one transform of each type, with the proposal number and SPI it came with.</summary>
public sealed class NegotiatedProposal
{
    /// <summary>The selected proposal's number (echoed in the response).</summary>
    public byte Number { get; init; }

    /// <summary>The SPI the peer sent with the proposal (ESP: the peer's inbound SPI).</summary>
    public byte[] Spi { get; init; } = [];

    /// <summary>The SPI as a 32-bit ESP/AH SPI (0 when it is not 4 bytes).</summary>
    public uint Spi32 => Spi.Length == 4 ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(Spi) : 0;

    /// <summary>The protocol.</summary>
    public ProtocolId Protocol { get; init; }

    /// <summary>The encryption transform; null for AH, which has none.</summary>
    public EncryptionTransform? Encryption { get; init; }

    /// <summary>The integrity transform (null with an AEAD).</summary>
    public IntegrityTransform? Integrity { get; init; }

    /// <summary>The PRF (IKE only).</summary>
    public PrfTransform? Prf { get; init; }

    /// <summary>The key exchange method (IKE; ESP with PFS).</summary>
    public KeyExchangeTransform? KeyExchange { get; init; }

    /// <summary>ESN choice (ESP, AH).</summary>
    public EsnTransform? Esn { get; init; }

    /// <summary>Extended sequence numbers were chosen (RFC 7296 §3.3.2 transform type 5, ID 1).</summary>
    public bool ExtendedSequenceNumbers => Esn is { Id: 1 };

    /// <summary>The proposal as sent in a response, with <paramref name="spi"/> as this side's SPI.</summary>
    public WireProposal ToWire(byte[] spi)
    {
        var list = new List<WireTransform>();
        if (Encryption is not null) list.Add(new(TransformType.Encryption, Encryption.Id, Encryption.KeyBits));
        if (Prf is not null) list.Add(new(TransformType.Prf, Prf.Id));
        if (Integrity is not null) list.Add(new(TransformType.Integrity, Integrity.Id));
        if (KeyExchange is not null) list.Add(new(TransformType.KeyExchange, KeyExchange.Id));
        if (Esn is not null) list.Add(new(TransformType.ExtendedSequenceNumbers, Esn.Id));
        return new WireProposal(Number, Protocol, spi, list);
    }

    /// <summary>strongSwan's notation (<c>aes128gcm16-prfsha256-ecp256</c>).</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        if (Encryption is not null) parts.Add(Encryption.Keyword);
        if (Integrity is not null) parts.Add(Integrity.Keyword);
        if (Prf is not null) parts.Add(Prf.Keyword);
        if (KeyExchange is not null) parts.Add(KeyExchange.Keyword);
        if (Esn is not null && Esn.Id != 0) parts.Add(Esn.Keyword);
        return string.Join('-', parts);
    }
}
