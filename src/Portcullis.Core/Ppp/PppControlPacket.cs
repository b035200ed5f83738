using System.Buffers.Binary;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ppp;

/// <summary>Codes of LCP (RFC 1661 §5, RFC 1570 for 12 and 13) and of NCPs such as IPCP (codes 1 to 7 only).</summary>
public enum PppCode : byte
{
    /// <summary>Configure-Request.</summary>
    ConfigureRequest = 1,
    /// <summary>Configure-Ack.</summary>
    ConfigureAck = 2,
    /// <summary>Configure-Nak.</summary>
    ConfigureNak = 3,
    /// <summary>Configure-Reject.</summary>
    ConfigureReject = 4,
    /// <summary>Terminate-Request.</summary>
    TerminateRequest = 5,
    /// <summary>Terminate-Ack.</summary>
    TerminateAck = 6,
    /// <summary>Code-Reject.</summary>
    CodeReject = 7,
    /// <summary>Protocol-Reject (LCP only).</summary>
    ProtocolReject = 8,
    /// <summary>Echo-Request (LCP only).</summary>
    EchoRequest = 9,
    /// <summary>Echo-Reply (LCP only).</summary>
    EchoReply = 10,
    /// <summary>Discard-Request (LCP only).</summary>
    DiscardRequest = 11,
    /// <summary>Identification (LCP only, RFC 1570).</summary>
    Identification = 12,
    /// <summary>Time-Remaining (LCP only, RFC 1570).</summary>
    TimeRemaining = 13,
}

/// <summary>
/// An LCP or NCP packet (RFC 1661 §5):
/// <code>
///  Code (1) | Identifier (1) | Length (2, the whole packet) | Data
/// </code>
/// Octets after Length are padding and ignored (RFC 1661 §5).
/// </summary>
public readonly ref struct PppControlPacket
{
    /// <summary>Bytes of Code, Identifier and Length.</summary>
    public const int HeaderSize = 4;

    private PppControlPacket(byte code, byte identifier, ReadOnlySpan<byte> data)
    {
        Code = code;
        Identifier = identifier;
        Data = data;
    }

    /// <summary>The Code (a <see cref="PppCode"/>, or an unknown value to Code-Reject).</summary>
    public byte Code { get; }

    /// <summary>The Identifier that pairs a reply with its request.</summary>
    public byte Identifier { get; }

    /// <summary>The Data (options of a Configure packet), a slice of the parsed bytes.</summary>
    public ReadOnlySpan<byte> Data { get; }

    /// <summary>The Code's name (<c>Configure-Request</c>), or its number.</summary>
    public static string CodeName(byte code) => (PppCode)code switch
    {
        PppCode.ConfigureRequest => "Configure-Request",
        PppCode.ConfigureAck => "Configure-Ack",
        PppCode.ConfigureNak => "Configure-Nak",
        PppCode.ConfigureReject => "Configure-Reject",
        PppCode.TerminateRequest => "Terminate-Request",
        PppCode.TerminateAck => "Terminate-Ack",
        PppCode.CodeReject => "Code-Reject",
        PppCode.ProtocolReject => "Protocol-Reject",
        PppCode.EchoRequest => "Echo-Request",
        PppCode.EchoReply => "Echo-Reply",
        PppCode.DiscardRequest => "Discard-Request",
        PppCode.Identification => "Identification",
        PppCode.TimeRemaining => "Time-Remaining",
        _ => $"code {code}",
    };

    /// <summary>Parses the Information field of an LCP or NCP frame.</summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, out PppControlPacket parsed, out ParseError error)
    {
        parsed = default;
        error = default;
        if (packet.Length < HeaderSize) { error = new("Length", $"packet of {packet.Length} bytes, the header alone is {HeaderSize}"); return false; }
        int length = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        if (length < HeaderSize) { error = new("Length", $"{length}, less than the {HeaderSize}-byte header"); return false; }
        if (length > packet.Length) { error = new("Length", $"{length}, but only {packet.Length} bytes arrived"); return false; }
        parsed = new PppControlPacket(packet[0], packet[1], packet[HeaderSize..length]);
        return true;
    }

    /// <summary>Writes a packet; returns its length.</summary>
    /// <exception cref="ArgumentException">The packet does not fit in <paramref name="destination"/> or in a Length field.</exception>
    public static int Write(byte code, byte identifier, ReadOnlySpan<byte> data, Span<byte> destination)
    {
        int length = HeaderSize + data.Length;
        if (length > ushort.MaxValue) throw new ArgumentException($"a packet holds at most {ushort.MaxValue} bytes", nameof(data));
        if (destination.Length < length) throw new ArgumentException($"a {length}-byte packet does not fit in {destination.Length} bytes", nameof(destination));
        destination[0] = code;
        destination[1] = identifier;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)length);
        data.CopyTo(destination[HeaderSize..]);
        return length;
    }

    /// <summary>A new array holding the packet.</summary>
    public static byte[] Build(byte code, byte identifier, ReadOnlySpan<byte> data)
    {
        var packet = new byte[HeaderSize + data.Length];
        Write(code, identifier, data, packet);
        return packet;
    }

    /// <summary>A new array holding the packet.</summary>
    public static byte[] Build(PppCode code, byte identifier, ReadOnlySpan<byte> data) => Build((byte)code, identifier, data);
}
