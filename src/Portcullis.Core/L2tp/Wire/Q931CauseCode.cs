using System.Buffers.Binary;
using System.Text;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.L2tp.Wire;

/// <summary>
/// Q.931 Cause Code AVP value (RFC 2661 §4.4.5): Cause Code (2) and Cause Msg (1) as Q.931 has them, then an
/// optional Advisory Msg in UTF-8.
/// </summary>
public readonly record struct Q931CauseCode(ushort CauseCode, byte CauseMessage, string? Advisory)
{
    /// <summary>Bytes of the value.</summary>
    public int ValueLength => 3 + (Advisory is null ? 0 : Encoding.UTF8.GetByteCount(Advisory));

    /// <summary>Parses the value.</summary>
    public static bool TryParse(ReadOnlySpan<byte> value, out Q931CauseCode cause, out ParseError error)
    {
        cause = default;
        error = default;
        if (value.Length < 3) { error = new("Q.931 Cause Code", $"value of {value.Length} bytes, at least 3 needed"); return false; }
        cause = new Q931CauseCode(BinaryPrimitives.ReadUInt16BigEndian(value), value[2], value.Length > 3 ? Encoding.UTF8.GetString(value[3..]) : null);
        return true;
    }

    /// <summary>Writes the value; returns its length.</summary>
    public int Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, CauseCode);
        destination[2] = CauseMessage;
        return 3 + (Advisory is null ? 0 : Encoding.UTF8.GetBytes(Advisory, destination[3..]));
    }
}
