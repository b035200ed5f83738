using System.Buffers.Binary;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.L2tp.Wire;

/// <summary>The bits of the first header octets (RFC 2661 §3.1); the low four bits hold Ver.</summary>
[Flags]
public enum L2tpHeaderFlags : ushort
{
    /// <summary>No bit set: a data message with the shortest header.</summary>
    None = 0,
    /// <summary>T: a control message.</summary>
    Type = 0x8000,
    /// <summary>L: the Length field is present.</summary>
    Length = 0x4000,
    /// <summary>S: the Ns and Nr fields are present.</summary>
    Sequence = 0x0800,
    /// <summary>O: the Offset Size field is present.</summary>
    Offset = 0x0200,
    /// <summary>P: a data message to be treated preferentially.</summary>
    Priority = 0x0100,
}

/// <summary>
/// The L2TP header (RFC 2661 §3.1):
/// <code>
///  |T|L|x|x|S|x|O|P|x|x|x|x|  Ver  |  Length (opt)  |
///  |  Tunnel ID  |  Session ID  |  Ns (opt)  |  Nr (opt)  |  Offset Size (opt)  |  Offset pad (opt)
/// </code>
/// Control messages carry T, L and S and never O; data messages carry any of L, S, O and P.
/// </summary>
public readonly record struct L2tpHeader(L2tpHeaderFlags Flags, ushort Length, ushort TunnelId, ushort SessionId, ushort Ns, ushort Nr, ushort OffsetSize)
{
    /// <summary>Ver of the header this document describes (L2TPv2); 1 is L2F, 3 is L2TPv3.</summary>
    public const int Version = 2;

    /// <summary>Bytes of a control message header (T, L and S set): also the whole of a ZLB acknowledgement.</summary>
    public const int ControlHeaderSize = 12;

    /// <summary>The shortest header (a data message with no optional field).</summary>
    public const int MinimumSize = 6;

    /// <summary>The flag bits a control message must carry.</summary>
    public const L2tpHeaderFlags ControlFlags = L2tpHeaderFlags.Type | L2tpHeaderFlags.Length | L2tpHeaderFlags.Sequence;

    private const ushort KnownBits = 0x8000 | 0x4000 | 0x0800 | 0x0200 | 0x0100;

    /// <summary>T: a control message (else a data message).</summary>
    public bool IsControl => (Flags & L2tpHeaderFlags.Type) != 0;

    /// <summary>L: the Length field is present.</summary>
    public bool HasLength => (Flags & L2tpHeaderFlags.Length) != 0;

    /// <summary>S: Ns and Nr are present.</summary>
    public bool HasSequence => (Flags & L2tpHeaderFlags.Sequence) != 0;

    /// <summary>O: Offset Size is present.</summary>
    public bool HasOffset => (Flags & L2tpHeaderFlags.Offset) != 0;

    /// <summary>Bytes of the fixed fields the flags call for, without the offset padding.</summary>
    public int FieldsSize => SizeOf(Flags);

    /// <summary>Where the payload (the AVPs or the PPP frame) starts: after the fields and the offset padding.</summary>
    public int PayloadOffset => FieldsSize + (HasOffset ? OffsetSize : 0);

    /// <summary>Bytes of the fixed fields for these flags.</summary>
    public static int SizeOf(L2tpHeaderFlags flags) =>
        MinimumSize
        + ((flags & L2tpHeaderFlags.Length) != 0 ? 2 : 0)
        + ((flags & L2tpHeaderFlags.Sequence) != 0 ? 4 : 0)
        + ((flags & L2tpHeaderFlags.Offset) != 0 ? 2 : 0);

    /// <summary>
    /// Reads the header and checks it against the datagram: Ver 2, a Length within the datagram, an offset within the
    /// message and, for a control message, the T, L and S bits without O. <paramref name="messageLength"/> is Length
    /// when present, else the datagram's length (bytes after Length are not part of the message).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> datagram, out L2tpHeader header, out int messageLength, out ParseError error)
    {
        header = default;
        messageLength = 0;
        error = default;
        if (datagram.Length < 2) { error = new("L2TP header", $"datagram of {datagram.Length} bytes has no flags and version"); return false; }
        ushort first = BinaryPrimitives.ReadUInt16BigEndian(datagram);
        int version = first & 0x000F;
        if (version != Version) { error = new("Ver", $"version {version}, not {Version} (L2TPv2)"); return false; }
        var flags = (L2tpHeaderFlags)(first & KnownBits);
        int size = SizeOf(flags);
        if (datagram.Length < size) { error = new("L2TP header", $"datagram of {datagram.Length} bytes is shorter than the {size}-byte header its flags announce"); return false; }
        bool control = (flags & L2tpHeaderFlags.Type) != 0;
        if (control && (flags & L2tpHeaderFlags.Length) == 0) { error = new("L bit", "control message without a Length field"); return false; }
        if (control && (flags & L2tpHeaderFlags.Sequence) == 0) { error = new("S bit", "control message without Ns and Nr"); return false; }
        if (control && (flags & L2tpHeaderFlags.Offset) != 0) { error = new("O bit", "set in a control message"); return false; }

        int at = 2;
        ushort length = 0;
        if ((flags & L2tpHeaderFlags.Length) != 0)
        {
            length = BinaryPrimitives.ReadUInt16BigEndian(datagram[at..]);
            at += 2;
            if (length < size || length > datagram.Length)
            {
                error = new("Length", $"header says {length} bytes, the header needs {size} and the datagram has {datagram.Length}");
                return false;
            }
        }
        ushort tunnelId = BinaryPrimitives.ReadUInt16BigEndian(datagram[at..]);
        ushort sessionId = BinaryPrimitives.ReadUInt16BigEndian(datagram[(at + 2)..]);
        at += 4;
        ushort ns = 0, nr = 0;
        if ((flags & L2tpHeaderFlags.Sequence) != 0)
        {
            ns = BinaryPrimitives.ReadUInt16BigEndian(datagram[at..]);
            nr = BinaryPrimitives.ReadUInt16BigEndian(datagram[(at + 2)..]);
            at += 4;
        }
        ushort offsetSize = 0;
        if ((flags & L2tpHeaderFlags.Offset) != 0) offsetSize = BinaryPrimitives.ReadUInt16BigEndian(datagram[at..]);

        messageLength = (flags & L2tpHeaderFlags.Length) != 0 ? length : datagram.Length;
        if (size + offsetSize > messageLength)
        {
            error = new("Offset Size", $"{offsetSize} bytes of padding after a {size}-byte header run past the {messageLength}-byte message");
            return false;
        }
        header = new L2tpHeader(flags, length, tunnelId, sessionId, ns, nr, offsetSize);
        return true;
    }

    /// <summary>
    /// Writes the header (offset padding zeroed) into the start of <paramref name="destination"/>; returns
    /// <see cref="PayloadOffset"/>. Length is written as given: the caller sets it to the whole message.
    /// </summary>
    public int Write(Span<byte> destination)
    {
        int size = PayloadOffset;
        if (destination.Length < size) throw new ArgumentException($"needs {size} bytes", nameof(destination));
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)(((ushort)Flags & KnownBits) | Version));
        int at = 2;
        if (HasLength) { BinaryPrimitives.WriteUInt16BigEndian(destination[at..], Length); at += 2; }
        BinaryPrimitives.WriteUInt16BigEndian(destination[at..], TunnelId);
        BinaryPrimitives.WriteUInt16BigEndian(destination[(at + 2)..], SessionId);
        at += 4;
        if (HasSequence)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination[at..], Ns);
            BinaryPrimitives.WriteUInt16BigEndian(destination[(at + 2)..], Nr);
            at += 4;
        }
        if (HasOffset)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination[at..], OffsetSize);
            at += 2;
            destination[at..size].Clear();
        }
        return size;
    }

    /// <summary>A control message header: T, L and S set, Ver 2.</summary>
    public static L2tpHeader Control(ushort length, ushort tunnelId, ushort sessionId, ushort ns, ushort nr) =>
        new(ControlFlags, length, tunnelId, sessionId, ns, nr, 0);

    /// <summary>Offset of Ns in a control message (flags, Length, Tunnel ID, Session ID come first).</summary>
    internal const int ControlNsOffset = 8;

    /// <summary>Offset of Nr in a control message.</summary>
    internal const int ControlNrOffset = 10;
}
