using System.Buffers.Binary;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ikev1.Wire;

/// <summary>
/// Notification payload (RFC 2408 §3.14):
/// <code>
///  Domain of Interpretation (4) | Protocol-ID (1) | SPI Size (1) | Notify Message Type (2) | SPI | Notification Data
/// </code>
/// </summary>
public sealed class NotificationPayload(IsakmpProtocolId protocol, NotifyMessageType notifyType, ReadOnlySpan<byte> spi, ReadOnlySpan<byte> data) : IsakmpPayload
{
    private readonly byte[] _spi = spi.ToArray();
    private readonly byte[] _data = data.ToArray();

    /// <inheritdoc />
    public override IsakmpPayloadType Type => IsakmpPayloadType.Notification;

    /// <summary>Protocol-ID.</summary>
    public IsakmpProtocolId Protocol { get; } = protocol;

    /// <summary>Notify Message Type.</summary>
    public NotifyMessageType NotifyType { get; } = notifyType;

    /// <summary>The SPI (the two cookies for an ISAKMP SA, an ESP SPI, or empty).</summary>
    public ReadOnlySpan<byte> Spi => _spi;

    /// <summary>Notification Data.</summary>
    public ReadOnlySpan<byte> Data => _data;

    /// <summary>A notify about the ISAKMP SA with these cookies as its SPI (INITIAL-CONTACT, R-U-THERE).</summary>
    public static NotificationPayload ForIsakmpSa(NotifyMessageType type, ulong cookieI, ulong cookieR, ReadOnlySpan<byte> data = default)
    {
        Span<byte> spi = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(spi, cookieI);
        BinaryPrimitives.WriteUInt64BigEndian(spi[8..], cookieR);
        return new NotificationPayload(IsakmpProtocolId.Isakmp, type, spi, data);
    }

    /// <inheritdoc />
    public override int BodyLength => 8 + _spi.Length + _data.Length;

    /// <inheritdoc />
    public override void WriteBody(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, SaPayload.IpsecDoi);
        destination[4] = (byte)Protocol;
        destination[5] = (byte)_spi.Length;
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], (ushort)NotifyType);
        _spi.CopyTo(destination[8..]);
        _data.CopyTo(destination[(8 + _spi.Length)..]);
    }

    /// <summary>Parses the body. DOI 0 is accepted too: some peers send it in phase 1 notifies.</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out NotificationPayload? payload, out ParseError error)
    {
        payload = null;
        error = default;
        if (body.Length < 8) { error = new("Notify Message Type", $"notification body of {body.Length} bytes"); return false; }
        uint doi = BinaryPrimitives.ReadUInt32BigEndian(body);
        if (doi is not (0 or SaPayload.IpsecDoi)) { error = new("Domain of Interpretation", $"{doi} in a notification"); return false; }
        int spiSize = body[5];
        if (8 + spiSize > body.Length) { error = new("SPI Size", $"{spiSize} with {body.Length - 8} bytes left"); return false; }
        payload = new NotificationPayload((IsakmpProtocolId)body[4], (NotifyMessageType)BinaryPrimitives.ReadUInt16BigEndian(body[6..]),
            body.Slice(8, spiSize), body[(8 + spiSize)..]);
        return true;
    }
}
