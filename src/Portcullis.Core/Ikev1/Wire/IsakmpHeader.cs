using System.Buffers.Binary;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ikev1.Wire;

/// <summary>Flags of the ISAKMP header (RFC 2408 §3.1).</summary>
[Flags]
public enum IsakmpFlags : byte
{
    /// <summary>No flag.</summary>
    None = 0,
    /// <summary>E: the payloads after the header are encrypted.</summary>
    Encryption = 0x01,
    /// <summary>C: the sender wants a CONNECTED notify before SAs are used (Quick Mode commit).</summary>
    Commit = 0x02,
    /// <summary>A: the payloads are authenticated but not encrypted (Informational with authentication only).</summary>
    AuthenticationOnly = 0x04,
}

/// <summary>Exchange Type of the ISAKMP header (RFC 2408 §3.1, RFC 2409 §5).</summary>
public enum IsakmpExchangeType : byte
{
    /// <summary>None.</summary>
    None = 0,
    /// <summary>Base.</summary>
    Base = 1,
    /// <summary>Identity Protection: IKE's Main Mode.</summary>
    IdentityProtection = 2,
    /// <summary>Authentication Only.</summary>
    AuthenticationOnly = 3,
    /// <summary>Aggressive Mode.</summary>
    Aggressive = 4,
    /// <summary>Informational.</summary>
    Informational = 5,
    /// <summary>Transaction (Mode Config, draft-dukes-ike-mode-cfg).</summary>
    Transaction = 6,
    /// <summary>Quick Mode (RFC 2409 §5.5).</summary>
    QuickMode = 32,
    /// <summary>New Group Mode (RFC 2409 §5.6).</summary>
    NewGroupMode = 33,
}

/// <summary>
/// The ISAKMP header (RFC 2408 §3.1); the same 28 bytes as IKEv2's, with version 1.0:
/// <code>
///  Initiator Cookie (8) | Responder Cookie (8) | Next Payload (1) | MjVer|MnVer (1)
///  Exchange Type (1) | Flags (1) | Message ID (4) | Length (4)
/// </code>
/// </summary>
public readonly record struct IsakmpHeader(ulong InitiatorCookie, ulong ResponderCookie, IsakmpPayloadType NextPayload, byte Version,
    IsakmpExchangeType ExchangeType, IsakmpFlags Flags, uint MessageId, uint Length)
{
    /// <summary>Bytes in the header.</summary>
    public const int Size = 28;

    /// <summary>Version octet of ISAKMP as IKEv1 uses it (major 1, minor 0).</summary>
    public const byte Version10 = 0x10;

    /// <summary>Major version.</summary>
    public int MajorVersion => Version >> 4;

    /// <summary>The E flag.</summary>
    public bool IsEncrypted => (Flags & IsakmpFlags.Encryption) != 0;

    /// <summary>Reads the header; checks only what a header alone can show (the length against the datagram).</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out IsakmpHeader header, out ParseError error)
    {
        header = default;
        error = default;
        if (data.Length < Size) { error = new("ISAKMP header", $"datagram of {data.Length} bytes is shorter than the {Size}-byte header"); return false; }
        header = new IsakmpHeader(
            BinaryPrimitives.ReadUInt64BigEndian(data),
            BinaryPrimitives.ReadUInt64BigEndian(data[8..]),
            (IsakmpPayloadType)data[16],
            data[17],
            (IsakmpExchangeType)data[18],
            (IsakmpFlags)data[19],
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
        BinaryPrimitives.WriteUInt64BigEndian(destination, InitiatorCookie);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], ResponderCookie);
        destination[16] = (byte)NextPayload;
        destination[17] = Version;
        destination[18] = (byte)ExchangeType;
        destination[19] = (byte)Flags;
        BinaryPrimitives.WriteUInt32BigEndian(destination[20..], MessageId);
        BinaryPrimitives.WriteUInt32BigEndian(destination[24..], Length);
    }
}
