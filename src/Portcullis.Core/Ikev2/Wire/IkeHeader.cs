using System.Buffers.Binary;

namespace Portcullis.Core.Ikev2.Wire;

/// <summary>Flags of the IKE header (RFC 7296 §3.1).</summary>
[Flags]
public enum IkeHeaderFlags : byte
{
    /// <summary>No flag.</summary>
    None = 0,
    /// <summary>Sent by the original initiator of the IKE SA.</summary>
    Initiator = 0x08,
    /// <summary>The sender can speak a higher major version.</summary>
    Version = 0x10,
    /// <summary>This message is a response.</summary>
    Response = 0x20,
}

/// <summary>
/// The IKE header (RFC 7296 §3.1):
/// <code>
///  IKE SA Initiator's SPI (8) | IKE SA Responder's SPI (8) | Next Payload (1) | MjVer|MnVer (1)
///  Exchange Type (1) | Flags (1) | Message ID (4) | Length (4)
/// </code>
/// </summary>
public readonly record struct IkeHeader(ulong InitiatorSpi, ulong ResponderSpi, PayloadType NextPayload, byte Version, ExchangeType ExchangeType,
    IkeHeaderFlags Flags, uint MessageId, uint Length)
{
    /// <summary>Bytes in the header.</summary>
    public const int Size = 28;

    /// <summary>Version octet of IKEv2 (major 2, minor 0).</summary>
    public const byte Ikev2Version = 0x20;

    /// <summary>Major version.</summary>
    public int MajorVersion => Version >> 4;

    /// <summary>The Response flag.</summary>
    public bool IsResponse => (Flags & IkeHeaderFlags.Response) != 0;

    /// <summary>The Initiator flag: the sender is the IKE SA's original initiator.</summary>
    public bool FromInitiator => (Flags & IkeHeaderFlags.Initiator) != 0;

    /// <summary>Reads the header; checks only what a header alone can show (length against the datagram).</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out IkeHeader header, out ParseError error)
    {
        header = default;
        error = default;
        if (data.Length < Size) { error = new("IKE header", $"datagram of {data.Length} bytes is shorter than the {Size}-byte header"); return false; }
        header = new IkeHeader(
            BinaryPrimitives.ReadUInt64BigEndian(data),
            BinaryPrimitives.ReadUInt64BigEndian(data[8..]),
            (PayloadType)data[16],
            data[17],
            (ExchangeType)data[18],
            (IkeHeaderFlags)data[19],
            BinaryPrimitives.ReadUInt32BigEndian(data[20..]),
            BinaryPrimitives.ReadUInt32BigEndian(data[24..]));
        if (header.Length < Size || header.Length > data.Length)
        {
            error = new("Length", $"header says {header.Length} bytes, datagram has {data.Length}");
            return false;
        }
        return true;
    }

    /// <summary>Writes the header into the first <see cref="Size"/> bytes.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, InitiatorSpi);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], ResponderSpi);
        destination[16] = (byte)NextPayload;
        destination[17] = Version;
        destination[18] = (byte)ExchangeType;
        destination[19] = (byte)Flags;
        BinaryPrimitives.WriteUInt32BigEndian(destination[20..], MessageId);
        BinaryPrimitives.WriteUInt32BigEndian(destination[24..], Length);
    }
}
