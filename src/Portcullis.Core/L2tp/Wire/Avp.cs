using System.Buffers.Binary;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.L2tp.Wire;

/// <summary>
/// The AVP header (RFC 2661 §4.1):
/// <code>
///  |M|H| rsvd  |      Length       |           Vendor ID           |
///  |         Attribute Type        |        Attribute Value...
/// </code>
/// Length counts the whole AVP, these six bytes included, in 10 bits (at most 1023).
/// </summary>
public readonly record struct AvpHeader(bool Mandatory, bool Hidden, byte ReservedBits, ushort Length, ushort VendorId, ushort AttributeType)
{
    /// <summary>Bytes of the header.</summary>
    public const int Size = 6;

    /// <summary>The largest Length 10 bits can hold.</summary>
    public const int MaximumLength = 0x3FF;

    /// <summary>Vendor ID of the attributes the IETF defines.</summary>
    public const ushort IetfVendorId = 0;

    /// <summary>Bytes of the Attribute Value.</summary>
    public int ValueLength => Length - Size;

    /// <summary>Reads one AVP header and checks its Length against the bytes left in the message.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out AvpHeader header, out ParseError error)
    {
        header = default;
        error = default;
        if (data.Length < Size) { error = new("AVP header", $"{data.Length} bytes left, an AVP needs at least {Size}"); return false; }
        ushort first = BinaryPrimitives.ReadUInt16BigEndian(data);
        int length = first & MaximumLength;
        header = new AvpHeader(
            (first & 0x8000) != 0,
            (first & 0x4000) != 0,
            (byte)((first >> 10) & 0x0F),
            (ushort)length,
            BinaryPrimitives.ReadUInt16BigEndian(data[2..]),
            BinaryPrimitives.ReadUInt16BigEndian(data[4..]));
        if (length < Size || length > data.Length)
        {
            error = new("AVP Length", $"attribute {header.AttributeType} (vendor {header.VendorId}) says {length} bytes, {data.Length} left and at least {Size} needed");
            header = default;
            return false;
        }
        return true;
    }

    /// <summary>Writes the header into the first <see cref="Size"/> bytes.</summary>
    public void Write(Span<byte> destination)
    {
        if (Length > MaximumLength) throw new ArgumentOutOfRangeException(nameof(Length), Length, "an AVP is at most 1023 bytes");
        ushort first = (ushort)((Mandatory ? 0x8000 : 0) | (Hidden ? 0x4000 : 0) | ((ReservedBits & 0x0F) << 10) | Length);
        BinaryPrimitives.WriteUInt16BigEndian(destination, first);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], VendorId);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], AttributeType);
    }
}

/// <summary>Walks the AVPs of a control message body without copying them.</summary>
public ref struct AvpReader(ReadOnlySpan<byte> avps)
{
    private ReadOnlySpan<byte> _rest = avps;

    /// <summary>How many AVPs were read so far.</summary>
    public int Count { get; private set; }

    /// <summary>
    /// The next AVP: true with its header and value; false at the end (error empty) or on a malformed AVP (error set;
    /// the rest of the message cannot be trusted).
    /// </summary>
    public bool TryReadNext(out AvpHeader header, out ReadOnlySpan<byte> value, out ParseError error)
    {
        value = default;
        header = default;
        error = default;
        if (_rest.IsEmpty) return false;
        if (!AvpHeader.TryParse(_rest, out header, out error)) return false;
        value = _rest.Slice(AvpHeader.Size, header.ValueLength);
        _rest = _rest[header.Length..];
        Count++;
        return true;
    }
}
