namespace Portcullis.Core.Ikev2.Wire;

/// <summary>Nonce payload (RFC 7296 §3.9): 16 to 256 bytes of random data.</summary>
public sealed class NoncePayload(ReadOnlySpan<byte> nonce) : Payload
{
    private readonly byte[] _nonce = nonce.ToArray();

    /// <summary>Shortest nonce the RFC allows.</summary>
    public const int MinimumSize = 16;

    /// <summary>Longest nonce the RFC allows.</summary>
    public const int MaximumSize = 256;

    /// <inheritdoc />
    public override PayloadType Type => PayloadType.Nonce;

    /// <summary>The nonce.</summary>
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
        if (body.Length < MinimumSize || body.Length > MaximumSize)
        {
            error = new("Nonce Data", $"{body.Length} bytes, must be {MinimumSize} to {MaximumSize}");
            return false;
        }
        payload = new NoncePayload(body);
        return true;
    }
}
