using System.Buffers.Binary;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ikev1.Wire;

/// <summary>
/// A Data Attribute of a Transform payload (RFC 2408 §3.3): basic (TV, the AF bit set, a 2-byte value) or variable
/// (TLV, a 2-byte length and the value).
/// <code>
///  AF (1 bit) + Attribute Type (15 bits) | AF=1: Attribute Value (2) ; AF=0: Attribute Length (2) | Attribute Value
/// </code>
/// </summary>
public readonly record struct DataAttribute
{
    private readonly byte[]? _variable;

    private DataAttribute(ushort type, ushort basic, byte[]? variable)
    {
        Type = type;
        BasicValue = basic;
        _variable = variable;
    }

    /// <summary>The attribute type (15 bits).</summary>
    public ushort Type { get; }

    /// <summary>TV format: the value is the 2 bytes after the type.</summary>
    public bool IsBasic => _variable is null;

    /// <summary>The value of a basic attribute.</summary>
    public ushort BasicValue { get; }

    /// <summary>The value bytes of a variable attribute (empty for a basic one).</summary>
    public ReadOnlySpan<byte> VariableValue => _variable;

    /// <summary>Bytes on the wire.</summary>
    public int Length => IsBasic ? 4 : 4 + _variable!.Length;

    /// <summary>A basic (TV) attribute.</summary>
    public static DataAttribute Basic(ushort type, ushort value) => new(type, value, null);

    /// <summary>A variable (TLV) attribute.</summary>
    public static DataAttribute Variable(ushort type, ReadOnlySpan<byte> value) => new(type, 0, value.ToArray());

    /// <summary>A number: basic when it fits in 16 bits, otherwise variable with 4 bytes (life durations).</summary>
    public static DataAttribute Number(ushort type, ulong value)
    {
        if (value <= ushort.MaxValue) return Basic(type, (ushort)value);
        var bytes = new byte[value <= uint.MaxValue ? 4 : 8];
        if (bytes.Length == 4) BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)value);
        else BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
        return Variable(type, bytes);
    }

    /// <summary>The value as a number: the basic value, or a variable value of at most 8 bytes; null otherwise.</summary>
    public ulong? NumericValue
    {
        get
        {
            if (IsBasic) return BasicValue;
            if (_variable!.Length is 0 or > 8) return null;
            ulong v = 0;
            foreach (byte b in _variable) v = v << 8 | b;
            return v;
        }
    }

    /// <summary>Writes the attribute; returns bytes written.</summary>
    public int Write(Span<byte> destination)
    {
        if (IsBasic)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)(0x8000 | Type));
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], BasicValue);
            return 4;
        }
        BinaryPrimitives.WriteUInt16BigEndian(destination, Type);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)_variable!.Length);
        _variable.CopyTo(destination[4..]);
        return 4 + _variable.Length;
    }

    /// <summary>Parses the attributes filling <paramref name="data"/> exactly.</summary>
    public static bool TryParseAll(ReadOnlySpan<byte> data, List<DataAttribute> attributes, out ParseError error)
    {
        error = default;
        while (data.Length > 0)
        {
            if (data.Length < 4) { error = new("Data Attributes", $"{data.Length} bytes left, an attribute needs at least 4"); return false; }
            ushort first = BinaryPrimitives.ReadUInt16BigEndian(data);
            ushort second = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
            var type = (ushort)(first & 0x7FFF);
            if ((first & 0x8000) != 0)
            {
                attributes.Add(Basic(type, second));
                data = data[4..];
                continue;
            }
            if (4 + second > data.Length) { error = new("Attribute Length", $"{second} for attribute type {type} with {data.Length - 4} bytes left"); return false; }
            attributes.Add(Variable(type, data.Slice(4, second)));
            data = data[(4 + second)..];
        }
        return true;
    }

    /// <inheritdoc />
    public bool Equals(DataAttribute other) =>
        Type == other.Type && IsBasic == other.IsBasic && BasicValue == other.BasicValue && VariableValue.SequenceEqual(other.VariableValue);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Type, BasicValue, _variable?.Length ?? -1);
}
