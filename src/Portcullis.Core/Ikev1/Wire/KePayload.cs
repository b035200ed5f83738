using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ikev1.Wire;

/// <summary>
/// Key Exchange payload (RFC 2408 §3.7): the public value only, the group being the one the SA negotiated.
/// <code>
///  Key Exchange Data
/// </code>
/// </summary>
public sealed class KePayload(ReadOnlySpan<byte> data) : IsakmpPayload
{
    private readonly byte[] _data = data.ToArray();

    /// <inheritdoc />
    public override IsakmpPayloadType Type => IsakmpPayloadType.KeyExchange;

    /// <summary>The Key Exchange Data (g^x).</summary>
    public ReadOnlySpan<byte> Data => _data;

    /// <inheritdoc />
    public override int BodyLength => _data.Length;

    /// <inheritdoc />
    public override void WriteBody(Span<byte> destination) => _data.CopyTo(destination);

    /// <summary>Parses the body (the length is checked against the group by the exchange).</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out KePayload? payload, out ParseError error)
    {
        payload = null;
        error = default;
        if (body.Length == 0) { error = new("Key Exchange Data", "empty"); return false; }
        payload = new KePayload(body);
        return true;
    }
}
