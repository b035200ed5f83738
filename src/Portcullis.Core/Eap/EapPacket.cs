using System.Buffers.Binary;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Eap;

/// <summary>
/// An EAP packet (RFC 3748 §4):
/// <code>
///  Code (1) | Identifier (1) | Length (2, the whole packet) | Type (1, Request/Response only) | Type-Data
/// </code>
/// Success and Failure packets are the 4-byte header alone.
/// </summary>
public sealed class EapPacket
{
    /// <summary>Bytes of Code, Identifier and Length.</summary>
    public const int HeaderSize = 4;

    private readonly byte[] _typeData;

    private EapPacket(EapCode code, byte identifier, EapType? type, ReadOnlySpan<byte> typeData)
    {
        if (HeaderSize + 1 + typeData.Length > ushort.MaxValue)
            throw new ArgumentException($"an EAP packet holds at most {ushort.MaxValue} bytes", nameof(typeData));
        Code = code;
        Identifier = identifier;
        Type = type;
        _typeData = typeData.ToArray();
    }

    /// <summary>The Code.</summary>
    public EapCode Code { get; }

    /// <summary>The Identifier that pairs a Response with its Request.</summary>
    public byte Identifier { get; }

    /// <summary>The Type of a Request or Response; null for Success and Failure.</summary>
    public EapType? Type { get; }

    /// <summary>The Type-Data (empty for Success and Failure).</summary>
    public ReadOnlySpan<byte> TypeData => _typeData;

    /// <summary>The Length field: bytes of the whole packet.</summary>
    public int Length => HeaderSize + (Type is null ? 0 : 1 + _typeData.Length);

    /// <summary>A Request of <paramref name="type"/>.</summary>
    public static EapPacket Request(byte identifier, EapType type, ReadOnlySpan<byte> typeData) => new(EapCode.Request, identifier, type, typeData);

    /// <summary>A Response of <paramref name="type"/>.</summary>
    public static EapPacket Response(byte identifier, EapType type, ReadOnlySpan<byte> typeData) => new(EapCode.Response, identifier, type, typeData);

    /// <summary>An EAP-Success.</summary>
    public static EapPacket Success(byte identifier) => new(EapCode.Success, identifier, null, []);

    /// <summary>An EAP-Failure.</summary>
    public static EapPacket Failure(byte identifier) => new(EapCode.Failure, identifier, null, []);

    /// <summary>Writes the packet into <paramref name="destination"/>; returns <see cref="Length"/>.</summary>
    public int Write(Span<byte> destination)
    {
        destination[0] = (byte)Code;
        destination[1] = Identifier;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)Length);
        if (Type is EapType type)
        {
            destination[HeaderSize] = (byte)type;
            _typeData.CopyTo(destination[(HeaderSize + 1)..]);
        }
        return Length;
    }

    /// <summary>The packet's bytes.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        Write(bytes);
        return bytes;
    }

    /// <summary>
    /// Parses a packet. Bytes after Length are ignored, as RFC 3748 §4 asks of link-layer padding (callers that carry
    /// exactly one packet, like the IKEv2 EAP payload, check that nothing follows).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out EapPacket? packet, out ParseError error)
    {
        packet = null;
        error = default;
        if (data.Length < HeaderSize) { error = new("EAP header", $"{data.Length} bytes, need {HeaderSize}"); return false; }
        var code = (EapCode)data[0];
        if (code is < EapCode.Request or > EapCode.Failure) { error = new("Code", $"unknown EAP code {data[0]}"); return false; }
        int length = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
        if (length < HeaderSize) { error = new("Length", $"{length} is shorter than the EAP header"); return false; }
        if (length > data.Length) { error = new("Length", $"{length} with {data.Length} bytes present"); return false; }
        byte identifier = data[1];
        if (code is EapCode.Success or EapCode.Failure)
        {
            if (length != HeaderSize) { error = new("Length", $"{length} for an EAP-{code}, which is {HeaderSize} bytes"); return false; }
            packet = new EapPacket(code, identifier, null, []);
            return true;
        }
        if (length < HeaderSize + 1) { error = new("Type", $"EAP {code} of {length} bytes has no Type"); return false; }
        var type = (EapType)data[HeaderSize];
        ReadOnlySpan<byte> typeData = data[(HeaderSize + 1)..length];
        // An Expanded Type names its vendor and vendor type before any data (RFC 3748 §5.7).
        if (type == EapType.Expanded && typeData.Length < 7)
        {
            error = new("Vendor-Type", $"Expanded Type with {typeData.Length} bytes of Type-Data, need 7");
            return false;
        }
        packet = new EapPacket(code, identifier, type, typeData);
        return true;
    }

    /// <inheritdoc />
    public override string ToString() =>
        Type is EapType t ? $"EAP-{Code} id {Identifier} {EapTypeNames.Of(t)} ({_typeData.Length} bytes)" : $"EAP-{Code} id {Identifier}";
}
