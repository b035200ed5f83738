using System.Buffers.Binary;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ikev1.Wire;

/// <summary>
/// Transform payload (RFC 2408 §3.6), inside a Proposal payload: one alternative of the proposal's protocol.
/// <code>
///  Next Payload (3 or 0) | RESERVED (1) | Payload Length (2) | Transform # (1) | Transform-Id (1) | RESERVED2 (2) | SA Attributes
/// </code>
/// </summary>
public sealed class TransformPayload(byte number, byte transformId, IReadOnlyList<DataAttribute> attributes)
{
    /// <summary>The Transform-Id of ISAKMP's only transform (RFC 2407 §4.4.2).</summary>
    public const byte KeyIke = 1;

    /// <summary>Transform #, unique within its proposal.</summary>
    public byte Number { get; } = number;

    /// <summary>Transform-Id: KEY_IKE for phase 1, the ESP transform (ESP_AES, ESP_3DES, …) for phase 2.</summary>
    public byte TransformId { get; } = transformId;

    /// <summary>The SA attributes, in order.</summary>
    public IReadOnlyList<DataAttribute> Attributes { get; } = attributes;

    /// <summary>Bytes on the wire, generic header included.</summary>
    public int Length => 8 + Attributes.Sum(a => a.Length);

    /// <summary>The first attribute of a type, if any.</summary>
    public DataAttribute? Attribute(ushort type)
    {
        foreach (DataAttribute a in Attributes) if (a.Type == type) return a;
        return null;
    }

    /// <summary>The numeric value of the first attribute of a type, if any.</summary>
    public ulong? Value(ushort type) => Attribute(type)?.NumericValue;

    /// <summary>Writes the payload with its generic header; returns bytes written.</summary>
    public int Write(Span<byte> destination, bool last)
    {
        destination[0] = last ? (byte)0 : (byte)IsakmpPayloadType.Transform;
        destination[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)Length);
        destination[4] = Number;
        destination[5] = TransformId;
        destination[6] = destination[7] = 0;
        int offset = 8;
        foreach (DataAttribute a in Attributes) offset += a.Write(destination[offset..]);
        return offset;
    }

    /// <summary>Parses one transform payload from the start of <paramref name="data"/>; <paramref name="length"/> is its size.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out TransformPayload? transform, out bool last, out int length, out ParseError error)
    {
        transform = null;
        last = false;
        length = 0;
        error = default;
        if (data.Length < 8) { error = new("Transform payload", $"{data.Length} bytes left, need 8"); return false; }
        if (data[0] is not (0 or (byte)IsakmpPayloadType.Transform)) { error = new("Next Payload", $"{data[0]} after a transform, must be 0 or 3"); return false; }
        last = data[0] == 0;
        length = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
        if (length < 8 || length > data.Length) { error = new("Transform Payload Length", $"{length} with {data.Length} bytes left"); return false; }
        var attributes = new List<DataAttribute>();
        if (!DataAttribute.TryParseAll(data[8..length], attributes, out error)) return false;
        transform = new TransformPayload(data[4], data[5], attributes);
        return true;
    }
}
