using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ikev1.Wire;

/// <summary>
/// Certificate Request payload (RFC 2408 §3.10):
/// <code>
///  Cert. Type (1) | Certificate Authority (a DER distinguished name, or empty for any)
/// </code>
/// </summary>
public sealed class CertReqPayload(byte certType, ReadOnlySpan<byte> authority) : IsakmpPayload
{
    private readonly byte[] _authority = authority.ToArray();

    /// <inheritdoc />
    public override IsakmpPayloadType Type => IsakmpPayloadType.CertificateRequest;

    /// <summary>Cert. Type (the encodings of <see cref="CertPayload"/>).</summary>
    public byte CertType { get; } = certType;

    /// <summary>Certificate Authority: the DER-encoded subject name of an acceptable CA, or empty.</summary>
    public ReadOnlySpan<byte> Authority => _authority;

    /// <inheritdoc />
    public override int BodyLength => 1 + _authority.Length;

    /// <inheritdoc />
    public override void WriteBody(Span<byte> destination)
    {
        destination[0] = CertType;
        _authority.CopyTo(destination[1..]);
    }

    /// <summary>Parses the body.</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out CertReqPayload? payload, out ParseError error)
    {
        payload = null;
        error = default;
        if (body.Length < 1) { error = new("Cert. Type", "empty CERTREQ body"); return false; }
        payload = new CertReqPayload(body[0], body[1..]);
        return true;
    }
}
