using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ikev1.Wire;

/// <summary>
/// Certificate payload (RFC 2408 §3.9):
/// <code>
///  Cert Encoding (1) | Certificate Data
/// </code>
/// </summary>
public sealed class CertPayload(byte encoding, ReadOnlySpan<byte> data) : IsakmpPayload
{
    /// <summary>X.509 Certificate - Signature (4).</summary>
    public const byte X509Signature = 4;

    /// <summary>Certificate Revocation List (7).</summary>
    public const byte Crl = 7;

    private readonly byte[] _data = data.ToArray();

    /// <inheritdoc />
    public override IsakmpPayloadType Type => IsakmpPayloadType.Certificate;

    /// <summary>Cert Encoding.</summary>
    public byte Encoding { get; } = encoding;

    /// <summary>Certificate Data (DER for X.509).</summary>
    public ReadOnlySpan<byte> Data => _data;

    /// <inheritdoc />
    public override int BodyLength => 1 + _data.Length;

    /// <inheritdoc />
    public override void WriteBody(Span<byte> destination)
    {
        destination[0] = Encoding;
        _data.CopyTo(destination[1..]);
    }

    /// <summary>Parses the body.</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out CertPayload? payload, out ParseError error)
    {
        payload = null;
        error = default;
        if (body.Length < 2) { error = new("Certificate Data", $"CERT body of {body.Length} bytes"); return false; }
        payload = new CertPayload(body[0], body[1..]);
        return true;
    }
}
