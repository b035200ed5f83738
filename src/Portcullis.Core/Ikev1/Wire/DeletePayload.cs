using System.Buffers.Binary;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ikev1.Wire;

/// <summary>
/// Delete payload (RFC 2408 §3.15): the sender no longer uses these SAs. For the ISAKMP SA the SPI is the 16 bytes of
/// both cookies; for ESP each SPI is the sender's inbound SPI (4 bytes).
/// <code>
///  Domain of Interpretation (4) | Protocol-Id (1) | SPI Size (1) | # of SPIs (2) | SPIs
/// </code>
/// </summary>
public sealed class DeletePayload(IsakmpProtocolId protocol, int spiSize, IReadOnlyList<byte[]> spis) : IsakmpPayload
{
    /// <inheritdoc />
    public override IsakmpPayloadType Type => IsakmpPayloadType.Delete;

    /// <summary>Protocol-Id.</summary>
    public IsakmpProtocolId Protocol { get; } = protocol;

    /// <summary>SPI Size.</summary>
    public int SpiSize { get; } = spiSize;

    /// <summary>The SPIs.</summary>
    public IReadOnlyList<byte[]> Spis { get; } = spis;

    /// <summary>The SPIs as ESP SPIs (SPI Size 4).</summary>
    public IEnumerable<uint> Spis32 => SpiSize == 4 ? Spis.Select(s => BinaryPrimitives.ReadUInt32BigEndian(s)) : [];

    /// <summary>Deletes ESP SAs by our inbound SPIs.</summary>
    public static DeletePayload ForEsp(IEnumerable<uint> spis) => ForIpsec(IsakmpProtocolId.IpsecEsp, spis);

    /// <summary>Deletes ESP or AH SAs (PROTO_IPSEC_ESP or PROTO_IPSEC_AH) by our inbound SPIs.</summary>
    public static DeletePayload ForIpsec(IsakmpProtocolId protocol, IEnumerable<uint> spis) => new(protocol, 4, spis.Select(s =>
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, s);
        return b;
    }).ToList());

    /// <summary>Deletes the ISAKMP SA with these cookies.</summary>
    public static DeletePayload ForIsakmpSa(ulong cookieI, ulong cookieR)
    {
        var spi = new byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(spi, cookieI);
        BinaryPrimitives.WriteUInt64BigEndian(spi.AsSpan(8), cookieR);
        return new DeletePayload(IsakmpProtocolId.Isakmp, 16, [spi]);
    }

    /// <inheritdoc />
    public override int BodyLength => 8 + SpiSize * Spis.Count;

    /// <inheritdoc />
    public override void WriteBody(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, SaPayload.IpsecDoi);
        destination[4] = (byte)Protocol;
        destination[5] = (byte)SpiSize;
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], (ushort)Spis.Count);
        for (int i = 0; i < Spis.Count; i++) Spis[i].CopyTo(destination[(8 + i * SpiSize)..]);
    }

    /// <summary>Parses the body.</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out DeletePayload? payload, out ParseError error)
    {
        payload = null;
        error = default;
        if (body.Length < 8) { error = new("# of SPIs", $"delete body of {body.Length} bytes"); return false; }
        uint doi = BinaryPrimitives.ReadUInt32BigEndian(body);
        if (doi != SaPayload.IpsecDoi) { error = new("Domain of Interpretation", $"{doi} in a delete"); return false; }
        var protocol = (IsakmpProtocolId)body[4];
        int spiSize = body[5], count = BinaryPrimitives.ReadUInt16BigEndian(body[6..]);
        int expected = protocol switch { IsakmpProtocolId.Isakmp => 16, IsakmpProtocolId.IpsecEsp or IsakmpProtocolId.IpsecAh => 4, IsakmpProtocolId.IpComp => 2, _ => -1 };
        if (expected < 0) { error = new("Protocol-Id", $"{body[4]} in a delete"); return false; }
        if (spiSize != expected) { error = new("SPI Size", $"{spiSize} for {protocol}, must be {expected}"); return false; }
        if (body.Length != 8 + spiSize * count) { error = new("# of SPIs", $"{count} SPIs of {spiSize} bytes need {8 + spiSize * count} bytes, body has {body.Length}"); return false; }
        var spis = new List<byte[]>(count);
        for (int i = 0; i < count; i++) spis.Add(body.Slice(8 + i * spiSize, spiSize).ToArray());
        payload = new DeletePayload(protocol, spiSize, spis);
        return true;
    }
}
