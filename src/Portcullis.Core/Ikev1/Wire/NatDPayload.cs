using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ikev1.Wire;

/// <summary>
/// NAT Discovery payload (RFC 3947 §3.2): HASH(CKY-I | CKY-R | IP | Port) with the negotiated hash. The first one in a
/// message is of the receiver's address as the sender sees it, the others of the sender's own addresses.
/// </summary>
public sealed class NatDPayload(ReadOnlySpan<byte> hash) : IsakmpPayload
{
    private readonly byte[] _hash = hash.ToArray();

    /// <inheritdoc />
    public override IsakmpPayloadType Type => IsakmpPayloadType.NatDiscovery;

    /// <summary>HASH of the address and port.</summary>
    public ReadOnlySpan<byte> Hash => _hash;

    /// <inheritdoc />
    public override int BodyLength => _hash.Length;

    /// <inheritdoc />
    public override void WriteBody(Span<byte> destination) => _hash.CopyTo(destination);

    /// <summary>Parses the body.</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out NatDPayload? payload, out ParseError error)
    {
        payload = null;
        error = default;
        if (body.Length == 0) { error = new("HASH of the address and port", "empty"); return false; }
        payload = new NatDPayload(body);
        return true;
    }
}
