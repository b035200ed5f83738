using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ikev1.Wire;

/// <summary>Hash payload (RFC 2408 §3.11): HASH_I, HASH_R, or HASH(1), HASH(2), HASH(3) of Quick Mode and Informational.</summary>
public sealed class HashPayload(ReadOnlySpan<byte> hash) : IsakmpPayload
{
    private readonly byte[] _hash = hash.ToArray();

    /// <inheritdoc />
    public override IsakmpPayloadType Type => IsakmpPayloadType.Hash;

    /// <summary>The Hash Data.</summary>
    public ReadOnlySpan<byte> Hash => _hash;

    /// <inheritdoc />
    public override int BodyLength => _hash.Length;

    /// <inheritdoc />
    public override void WriteBody(Span<byte> destination) => _hash.CopyTo(destination);

    /// <summary>Parses the body (its length is checked against the PRF by the exchange).</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out HashPayload? payload, out ParseError error)
    {
        payload = null;
        error = default;
        if (body.Length == 0) { error = new("Hash Data", "empty"); return false; }
        payload = new HashPayload(body);
        return true;
    }
}
