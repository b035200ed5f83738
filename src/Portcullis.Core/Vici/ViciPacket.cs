using System.Buffers.Binary;
using System.Text;

namespace Portcullis.Core.Vici;

/// <summary>The packet types of VICI's packet layer (strongSwan, src/libcharon/plugins/vici/README.md).</summary>
public enum ViciPacketType : byte
{
    /// <summary>A named request message (client to server).</summary>
    CmdRequest = 0,
    /// <summary>An unnamed response message for a request.</summary>
    CmdResponse = 1,
    /// <summary>An unnamed response: the requested command is unknown.</summary>
    CmdUnknown = 2,
    /// <summary>A named event registration request.</summary>
    EventRegister = 3,
    /// <summary>A named event deregistration request.</summary>
    EventUnregister = 4,
    /// <summary>An unnamed response: the (de-)registration succeeded.</summary>
    EventConfirm = 5,
    /// <summary>An unnamed response: there is no such event source.</summary>
    EventUnknown = 6,
    /// <summary>A named event message (server to client).</summary>
    Event = 7,
}

/// <summary>
/// One VICI packet, carried in one transport segment:
/// <code>
///  Segment length (4, network order, excludes itself) | Packet type (1) | [Name length (1) | Name] | Message
/// </code>
/// Named types (CMD_REQUEST, EVENT_REGISTER, EVENT_UNREGISTER, EVENT) carry the name; the message (a
/// <see cref="ViciMessage"/> encoding) fills the rest of the segment and may be empty.
/// </summary>
/// <param name="Type">The packet type.</param>
/// <param name="Name">The command or event name; empty for unnamed types.</param>
/// <param name="Message">The encoded message (may be empty).</param>
public sealed record ViciPacket(ViciPacketType Type, string Name, byte[] Message)
{
    /// <summary>The length field's size in front of every segment.</summary>
    public const int LengthFieldSize = 4;

    /// <summary>The largest segment strongSwan accepts (512 KiB of data), and so do we.</summary>
    public const int MaxSegmentLength = 512 * 1024;

    /// <summary>Whether packets of <paramref name="type"/> carry a name.</summary>
    public static bool IsNamed(ViciPacketType type) =>
        type is ViciPacketType.CmdRequest or ViciPacketType.EventRegister or ViciPacketType.EventUnregister or ViciPacketType.Event;

    /// <summary>
    /// Reads the segment length from the first four bytes of a stream. False with an error when it exceeds
    /// <see cref="MaxSegmentLength"/> or is zero (a packet has at least its type).
    /// </summary>
    public static bool TryReadSegmentLength(ReadOnlySpan<byte> header, out int length, out ViciParseError? error)
    {
        length = 0;
        error = null;
        if (header.Length < LengthFieldSize) { error = new(ViciErrorKind.Truncated, "segment length", header.Length); return false; }
        uint value = BinaryPrimitives.ReadUInt32BigEndian(header);
        if (value == 0) { error = new(ViciErrorKind.Truncated, "packet type", 0); return false; }
        if (value > MaxSegmentLength) { error = new(ViciErrorKind.TooLarge, "segment length", 0); return false; }
        length = (int)value;
        return true;
    }

    /// <summary>Parses one segment's data (without its length field).</summary>
    public static bool TryParse(ReadOnlySpan<byte> segment, out ViciPacket? packet, out ViciParseError? error)
    {
        packet = null;
        error = null;
        if (segment.Length < 1) { error = new(ViciErrorKind.Truncated, "packet type", 0); return false; }
        byte rawType = segment[0];
        if (rawType > (byte)ViciPacketType.Event) { error = new(ViciErrorKind.UnknownType, "packet type", 0); return false; }
        var type = (ViciPacketType)rawType;
        int offset = 1;
        string name = "";
        if (IsNamed(type))
        {
            if (segment.Length < 2) { error = new(ViciErrorKind.Truncated, "name length", 1); return false; }
            int nameLength = segment[1];
            offset = 2;
            if (segment.Length < offset + nameLength) { error = new(ViciErrorKind.Truncated, "name", offset); return false; }
            if (!TryDecodeName(segment.Slice(offset, nameLength), out name)) { error = new(ViciErrorKind.BadName, "name", offset); return false; }
            offset += nameLength;
        }
        packet = new ViciPacket(type, name, segment[offset..].ToArray());
        return true;
    }

    /// <summary>The whole segment, length field included, ready for the stream.</summary>
    public byte[] ToSegment()
    {
        byte[] name = Encoding.ASCII.GetBytes(Name);
        bool named = IsNamed(Type);
        if (named && (name.Length is 0 or > 255)) throw new InvalidOperationException($"a {Type} packet needs a name of 1 to 255 bytes");
        int length = 1 + (named ? 1 + name.Length : 0) + Message.Length;
        if (length > MaxSegmentLength) throw new InvalidOperationException($"VICI segment of {length} bytes exceeds {MaxSegmentLength}");
        var segment = new byte[LengthFieldSize + length];
        Span<byte> s = segment;
        BinaryPrimitives.WriteUInt32BigEndian(s, (uint)length);
        s[4] = (byte)Type;
        int offset = 5;
        if (named)
        {
            s[offset++] = (byte)name.Length;
            name.CopyTo(s[offset..]);
            offset += name.Length;
        }
        Message.CopyTo(s[offset..]);
        return segment;
    }

    /// <summary>Names are ASCII without NUL (README: "an ASCII string that is not null-terminated").</summary>
    internal static bool TryDecodeName(ReadOnlySpan<byte> bytes, out string name)
    {
        name = "";
        foreach (byte b in bytes)
            if (b is < 0x20 or > 0x7E) return false;
        name = Encoding.ASCII.GetString(bytes);
        return true;
    }
}
