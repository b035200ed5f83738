namespace Portcullis.Core.Ikev2.Wire;

/// <summary>Certificate encodings of the CERT and CERTREQ payloads (RFC 7296 §3.6, IANA "IKEv2 Certificate Encodings").</summary>
public enum CertEncoding : byte
{
    /// <summary>PKCS #7 wrapped X.509 certificate.</summary>
    Pkcs7WrappedX509 = 1,
    /// <summary>PGP certificate.</summary>
    Pgp = 2,
    /// <summary>DNS signed key.</summary>
    DnsSignedKey = 3,
    /// <summary>X.509 Certificate - Signature: a DER-encoded certificate; in CERTREQ, SHA-1 hashes of CA public keys.</summary>
    X509Signature = 4,
    /// <summary>Kerberos token.</summary>
    Kerberos = 6,
    /// <summary>Certificate Revocation List (CRL).</summary>
    Crl = 7,
    /// <summary>Authority Revocation List (ARL).</summary>
    Arl = 8,
    /// <summary>SPKI certificate.</summary>
    Spki = 9,
    /// <summary>X.509 Certificate - Attribute.</summary>
    X509Attribute = 10,
    /// <summary>Raw RSA key (deprecated).</summary>
    RawRsaKey = 11,
    /// <summary>Hash and URL of X.509 certificate.</summary>
    HashAndUrlX509 = 12,
    /// <summary>Hash and URL of X.509 bundle.</summary>
    HashAndUrlX509Bundle = 13,
    /// <summary>Raw public key (RFC 7670).</summary>
    RawPublicKey = 15,
}

/// <summary>
/// Certificate payload, CERT (RFC 7296 §3.6):
/// <code>
///  Cert Encoding (1) | Certificate Data
/// </code>
/// Encodings other than <see cref="CertEncoding.X509Signature"/> are kept as they came; what to do with them is the
/// receiver's business, not the parser's.
/// </summary>
public sealed class CertPayload(CertEncoding encoding, ReadOnlySpan<byte> data) : Payload
{
    private readonly byte[] _data = data.ToArray();

    /// <inheritdoc />
    public override PayloadType Type => PayloadType.Certificate;

    /// <summary>The encoding of <see cref="Data"/>.</summary>
    public CertEncoding Encoding { get; } = encoding;

    /// <summary>The certificate data (for <see cref="CertEncoding.X509Signature"/>, one DER certificate).</summary>
    public ReadOnlySpan<byte> Data => _data;

    /// <inheritdoc />
    public override int BodyLength => 1 + _data.Length;

    /// <summary>A CERT payload carrying one X.509 certificate in DER.</summary>
    public static CertPayload X509(ReadOnlySpan<byte> der) => new(CertEncoding.X509Signature, der);

    /// <inheritdoc />
    public override void WriteBody(Span<byte> destination)
    {
        destination[0] = (byte)Encoding;
        _data.CopyTo(destination[1..]);
    }

    /// <summary>Parses the body.</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out CertPayload? payload, out ParseError error)
    {
        payload = null;
        error = default;
        if (body.Length < 1) { error = new("Cert Encoding", "CERT body of 0 bytes"); return false; }
        payload = new CertPayload((CertEncoding)body[0], body[1..]);
        return true;
    }
}
