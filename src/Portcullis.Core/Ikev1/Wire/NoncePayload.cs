using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ikev1.Wire;

/// <summary>Nonce payload (RFC 2408 §3.13): 8 to 256 bytes (RFC 2409 §5).</summary>
public sealed class NoncePayload(ReadOnlySpan<byte> nonce) : IsakmpPayload
{
    private readonly byte[] _nonce = nonce.ToArray();

    /// <summary>Shortest nonce RFC 2409 allows.</summary>
    public const int MinimumSize = 8;

    /// <summary>Longest nonce RFC 2409 allows.</summary>
    public const int MaximumSize = 256;

    /// <inheritdoc />
    public override IsakmpPayloadType Type => IsakmpPayloadType.Nonce;

    /// <summary>The Nonce Data (Ni_b or Nr_b).</summary>
    public ReadOnlySpan<byte> Nonce => _nonce;

    /// <inheritdoc />
    public override int BodyLength => _nonce.Length;

    /// <inheritdoc />
    public override void WriteBody(Span<byte> destination) => _nonce.CopyTo(destination);

    /// <summary>Parses the body.</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out NoncePayload? payload, out ParseError error)
    {
        payload = null;
        error = default;
        if (body.Length is < MinimumSize or > MaximumSize) { error = new("Nonce Data", $"{body.Length} bytes, must be {MinimumSize} to {MaximumSize}"); return false; }
        payload = new NoncePayload(body);
        return true;
    }
}
