namespace Portcullis.Core.Ikev2.Wire;

/// <summary>
/// Identification payload, IDi or IDr (RFC 7296 §3.5):
/// <code>
///  ID Type (1) | RESERVED (3) | Identification Data
/// </code>
/// The body (type, reserved and data) is what the AUTH calculation signs as RestOfInitIDPayload / RestOfRespIDPayload.
/// </summary>
public sealed class IdPayload(PayloadType type, Identity identity) : Payload
{
    /// <inheritdoc />
    public override PayloadType Type { get; } = type;

    /// <summary>The identity.</summary>
    public Identity Identity { get; } = identity;

    /// <inheritdoc />
    public override int BodyLength => 4 + Identity.Data.Length;

    /// <inheritdoc />
    public override void WriteBody(Span<byte> destination)
    {
        destination[0] = (byte)Identity.Type;
        destination[1] = destination[2] = destination[3] = 0;
        Identity.Data.CopyTo(destination[4..]);
    }

    /// <summary>The body as bytes (for the AUTH calculation).</summary>
    public byte[] BodyBytes()
    {
        var b = new byte[BodyLength];
        WriteBody(b);
        return b;
    }

    /// <summary>Parses the body.</summary>
    public static bool TryParse(PayloadType type, ReadOnlySpan<byte> body, out IdPayload? payload, out ParseError error)
    {
        payload = null;
        error = default;
        if (body.Length < 4) { error = new("ID Type", $"ID body of {body.Length} bytes"); return false; }
        var idType = (IdType)body[0];
        ReadOnlySpan<byte> data = body[4..];
        if (idType == IdType.Ipv4Addr && data.Length != 4 || idType == IdType.Ipv6Addr && data.Length != 16)
        {
            error = new("Identification Data", $"{idType} of {data.Length} bytes");
            return false;
        }
        payload = new IdPayload(type, new Identity(idType, data));
        return true;
    }
}
