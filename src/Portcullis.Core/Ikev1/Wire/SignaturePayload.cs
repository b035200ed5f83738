using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ikev1.Wire;

/// <summary>Signature payload (RFC 2408 §3.12): SIG_I or SIG_R, the signature over HASH_I or HASH_R (RFC 2409 §5.1).</summary>
public sealed class SignaturePayload(ReadOnlySpan<byte> signature) : IsakmpPayload
{
    private readonly byte[] _signature = signature.ToArray();

    /// <inheritdoc />
    public override IsakmpPayloadType Type => IsakmpPayloadType.Signature;

    /// <summary>The Signature Data.</summary>
    public ReadOnlySpan<byte> Signature => _signature;

    /// <inheritdoc />
    public override int BodyLength => _signature.Length;

    /// <inheritdoc />
    public override void WriteBody(Span<byte> destination) => _signature.CopyTo(destination);

    /// <summary>Parses the body.</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out SignaturePayload? payload, out ParseError error)
    {
        payload = null;
        error = default;
        if (body.Length == 0) { error = new("Signature Data", "empty"); return false; }
        payload = new SignaturePayload(body);
        return true;
    }
}
