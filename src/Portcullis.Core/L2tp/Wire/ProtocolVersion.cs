using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.L2tp.Wire;

/// <summary>Protocol Version AVP value (RFC 2661 §4.4.3): Ver (1) and Rev (1); this document is 1.0.</summary>
public readonly record struct ProtocolVersion(byte Version, byte Revision)
{
    /// <summary>Version 1, revision 0: RFC 2661.</summary>
    public static readonly ProtocolVersion Rfc2661 = new(1, 0);

    /// <summary>Parses the value.</summary>
    public static bool TryParse(ReadOnlySpan<byte> value, out ProtocolVersion version, out ParseError error)
    {
        version = default;
        error = default;
        if (value.Length != 2) { error = new("Protocol Version", $"value of {value.Length} bytes, must be 2"); return false; }
        version = new ProtocolVersion(value[0], value[1]);
        return true;
    }

    /// <summary>Writes the value; returns 2.</summary>
    public int Write(Span<byte> destination)
    {
        destination[0] = Version;
        destination[1] = Revision;
        return 2;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Version}.{Revision}";
}
