namespace Portcullis.Core.Ikev2.Wire;

/// <summary>
/// Certificate Request payload, CERTREQ (RFC 7296 §3.7):
/// <code>
///  Cert Encoding (1) | Certification Authority
/// </code>
/// For <see cref="CertEncoding.X509Signature"/> the Certification Authority field is a concatenation of 20-byte SHA-1
/// hashes of trusted CAs' SubjectPublicKeyInfo. An empty list is accepted (some peers send one to ask for any
/// certificate); a length that is not a whole number of hashes is refused, as strongSwan does.
/// </summary>
public sealed class CertReqPayload(CertEncoding encoding, ReadOnlySpan<byte> certificationAuthority) : Payload
{
    /// <summary>Length of one CA hash (SHA-1).</summary>
    public const int HashLength = 20;

    private readonly byte[] _authority = certificationAuthority.ToArray();

    /// <inheritdoc />
    public override PayloadType Type => PayloadType.CertificateRequest;

    /// <summary>The encoding requested.</summary>
    public CertEncoding Encoding { get; } = encoding;

    /// <summary>The Certification Authority field as received.</summary>
    public ReadOnlySpan<byte> CertificationAuthority => _authority;

    /// <inheritdoc />
    public override int BodyLength => 1 + _authority.Length;

    /// <summary>A CERTREQ for X.509 certificates from the CAs with these SHA-1 SubjectPublicKeyInfo hashes.</summary>
    public static CertReqPayload X509(IEnumerable<byte[]> caHashes)
    {
        var all = new List<byte>();
        foreach (byte[] hash in caHashes)
        {
            if (hash.Length != HashLength) throw new ArgumentException($"a CA hash is {HashLength} bytes, not {hash.Length}", nameof(caHashes));
            all.AddRange(hash);
        }
        return new CertReqPayload(CertEncoding.X509Signature, all.ToArray());
    }

    /// <summary>
    /// The CA hashes, one 20-byte SHA-1 each, for <see cref="CertEncoding.X509Signature"/>; empty for other encodings.
    /// </summary>
    public IReadOnlyList<byte[]> CaHashes()
    {
        if (Encoding != CertEncoding.X509Signature) return [];
        var hashes = new byte[_authority.Length / HashLength][];
        for (int i = 0; i < hashes.Length; i++) hashes[i] = _authority.AsSpan(i * HashLength, HashLength).ToArray();
        return hashes;
    }

    /// <inheritdoc />
    public override void WriteBody(Span<byte> destination)
    {
        destination[0] = (byte)Encoding;
        _authority.CopyTo(destination[1..]);
    }

    /// <summary>Parses the body.</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out CertReqPayload? payload, out ParseError error)
    {
        payload = null;
        error = default;
        if (body.Length < 1) { error = new("Cert Encoding", "CERTREQ body of 0 bytes"); return false; }
        var encoding = (CertEncoding)body[0];
        ReadOnlySpan<byte> authority = body[1..];
        if (encoding == CertEncoding.X509Signature && authority.Length % HashLength != 0)
        {
            error = new("Certification Authority", $"{authority.Length} bytes is not a whole number of {HashLength}-byte SHA-1 hashes");
            return false;
        }
        payload = new CertReqPayload(encoding, authority);
        return true;
    }
}
