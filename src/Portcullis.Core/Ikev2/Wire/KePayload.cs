using System.Buffers.Binary;

namespace Portcullis.Core.Ikev2.Wire;

/// <summary>
/// Key Exchange payload (RFC 7296 §3.4):
/// <code>
///  Diffie-Hellman Group Num (2) | RESERVED (2) | Key Exchange Data
/// </code>
/// </summary>
public sealed class KePayload(ushort group, ReadOnlySpan<byte> data) : Payload
{
    private readonly byte[] _data = data.ToArray();

    /// <inheritdoc />
    public override PayloadType Type => PayloadType.KeyExchange;

    /// <summary>The key exchange method (Transform Type 4 ID).</summary>
    public ushort Group { get; } = group;

    /// <summary>The public value or KEM data.</summary>
    public ReadOnlySpan<byte> Data => _data;

    /// <inheritdoc />
    public override int BodyLength => 4 + _data.Length;

    /// <inheritdoc />
    public override void WriteBody(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, Group);
        destination[2] = destination[3] = 0;
        _data.CopyTo(destination[4..]);
    }

    /// <summary>Parses the body.</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out KePayload? payload, out ParseError error)
    {
        payload = null;
        error = default;
        if (body.Length < 4) { error = new("Diffie-Hellman Group Num", $"KE body of {body.Length} bytes"); return false; }
        payload = new KePayload(BinaryPrimitives.ReadUInt16BigEndian(body), body[4..]);
        return true;
    }
}
