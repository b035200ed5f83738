using System.Buffers.Binary;

namespace Portcullis.Core.Ikev2.Wire;

/// <summary>Security protocol identifiers (RFC 7296 §3.3.1).</summary>
public enum ProtocolId : byte
{
    /// <summary>None (notifies about the IKE SA as a whole).</summary>
    None = 0,
    /// <summary>IKE.</summary>
    Ike = 1,
    /// <summary>AH.</summary>
    Ah = 2,
    /// <summary>ESP.</summary>
    Esp = 3,
}

/// <summary>
/// Notify payload (RFC 7296 §3.10):
/// <code>
///  Protocol ID (1) | SPI Size (1) | Notify Message Type (2) | SPI | Notification Data
/// </code>
/// </summary>
public sealed class NotifyPayload(NotifyType notifyType, ReadOnlySpan<byte> data, ProtocolId protocol = ProtocolId.None, ReadOnlySpan<byte> spi = default) : Payload
{
    private readonly byte[] _data = data.ToArray();
    private readonly byte[] _spi = spi.ToArray();

    /// <inheritdoc />
    public override PayloadType Type => PayloadType.Notify;

    /// <summary>The notify type.</summary>
    public NotifyType NotifyType { get; } = notifyType;

    /// <summary>The protocol the SPI belongs to.</summary>
    public ProtocolId Protocol { get; } = protocol;

    /// <summary>The SPI, if any.</summary>
    public ReadOnlySpan<byte> Spi => _spi;

    /// <summary>The notification data.</summary>
    public ReadOnlySpan<byte> Data => _data;

    /// <inheritdoc />
    public override int BodyLength => 4 + _spi.Length + _data.Length;

    /// <inheritdoc />
    public override void WriteBody(Span<byte> destination)
    {
        destination[0] = (byte)Protocol;
        destination[1] = (byte)_spi.Length;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)NotifyType);
        _spi.CopyTo(destination[4..]);
        _data.CopyTo(destination[(4 + _spi.Length)..]);
    }

    /// <summary>A notify without data.</summary>
    public static NotifyPayload Of(NotifyType type) => new(type, default);

    /// <summary>Parses the body.</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out NotifyPayload? payload, out ParseError error)
    {
        payload = null;
        error = default;
        if (body.Length < 4) { error = new("Notify Message Type", $"notify body of {body.Length} bytes"); return false; }
        int spiSize = body[1];
        if (4 + spiSize > body.Length) { error = new("SPI Size", $"{spiSize} with {body.Length - 4} bytes left"); return false; }
        payload = new NotifyPayload((NotifyType)BinaryPrimitives.ReadUInt16BigEndian(body[2..]), body[(4 + spiSize)..], (ProtocolId)body[0], body.Slice(4, spiSize));
        return true;
    }
}
