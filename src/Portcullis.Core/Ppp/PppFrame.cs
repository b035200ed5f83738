using System.Buffers.Binary;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ppp;

/// <summary>
/// A PPP frame as an L2TP data message carries it (RFC 2661): the HDLC-like framing of RFC 1662 without its flag
/// sequences, FCS and octet stuffing, but with the Address and Control fields (FF 03).
/// <code>
///  [Address 0xFF | Control 0x03] | Protocol (2, or 1 when compressed) | Information
/// </code>
/// Parsing accepts frames without FF 03 (Address-and-Control-Field-Compression) and with a one-byte Protocol
/// (Protocol-Field-Compression) whether or not they were negotiated, as receivers are asked to be lenient about both
/// (RFC 1661 §6.5, §6.6). Frames are written uncompressed, which is always allowed.
/// </summary>
public readonly ref struct PppFrame
{
    /// <summary>Bytes of Address, Control and a two-byte Protocol in the frames written here.</summary>
    public const int HeaderSize = 4;

    /// <summary>The all-stations Address.</summary>
    public const byte Address = 0xFF;

    /// <summary>The Unnumbered Information Control value.</summary>
    public const byte Control = 0x03;

    private PppFrame(ushort protocol, ReadOnlySpan<byte> information)
    {
        Protocol = protocol;
        Information = information;
    }

    /// <summary>The Protocol field.</summary>
    public ushort Protocol { get; }

    /// <summary>The Information field (the packet of <see cref="Protocol"/>), a slice of the parsed frame.</summary>
    public ReadOnlySpan<byte> Information { get; }

    /// <summary>Splits a frame into Protocol and Information without copying.</summary>
    public static bool TryParse(ReadOnlySpan<byte> frame, out PppFrame parsed, out ParseError error)
    {
        parsed = default;
        error = default;
        if (frame.Length >= 1 && frame[0] == Address)
        {
            if (frame.Length < 2) { error = new("Control", "frame ends after the Address field"); return false; }
            if (frame[1] != Control) { error = new("Control", $"0x{frame[1]:x2}, must be 0x03"); return false; }
            frame = frame[2..];
        }
        if (frame.Length == 0) { error = new("Protocol", "frame has no Protocol field"); return false; }
        ushort protocol;
        // A Protocol's first octet is even and its last odd (RFC 1661 §2): an odd first octet is a compressed field.
        if ((frame[0] & 1) == 1)
        {
            protocol = frame[0];
            frame = frame[1..];
        }
        else
        {
            if (frame.Length < 2) { error = new("Protocol", "frame ends inside the Protocol field"); return false; }
            protocol = BinaryPrimitives.ReadUInt16BigEndian(frame);
            if ((protocol & 1) == 0) { error = new("Protocol", $"0x{protocol:x4} has an even last octet"); return false; }
            frame = frame[2..];
        }
        parsed = new PppFrame(protocol, frame);
        return true;
    }

    /// <summary>Writes FF 03, the two-byte Protocol and the Information; returns the bytes written.</summary>
    /// <exception cref="ArgumentException">The destination is shorter than the frame.</exception>
    public static int Write(ushort protocol, ReadOnlySpan<byte> information, Span<byte> destination)
    {
        int length = HeaderSize + information.Length;
        if (destination.Length < length) throw new ArgumentException($"a {length}-byte frame does not fit in {destination.Length} bytes", nameof(destination));
        destination[0] = Address;
        destination[1] = Control;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], protocol);
        information.CopyTo(destination[HeaderSize..]);
        return length;
    }

    /// <summary>A new array holding the frame of <paramref name="information"/>.</summary>
    public static byte[] Build(ushort protocol, ReadOnlySpan<byte> information)
    {
        var frame = new byte[HeaderSize + information.Length];
        Write(protocol, information, frame);
        return frame;
    }
}
