using System.Formats.Asn1;
using System.Security.Cryptography;

namespace Portcullis.Core.Crypto.Signatures;

/// <summary>
/// Reads a signature AlgorithmIdentifier (RFC 5280 §4.1.1.2) from a peer, an RFC 7427 AUTH payload, a certificate or
/// a CRL, and names the <see cref="SignatureScheme"/> it is. Accepts the PKCS #1 v1.5 identifiers with NULL or absent
/// parameters, ECDSA with SHA-2, and RSASSA-PSS when its parameters are what <see cref="SignatureScheme"/> can verify
/// (MGF1 with the same hash, salt as long as the hash, trailer 1), with or without the DEFAULT trailer written out.
/// Never throws on malformed input.
/// </summary>
public static class SignatureAlgorithmIdentifier
{
    private const string RsaPss = "1.2.840.113549.1.1.10";
    private const string Mgf1 = "1.2.840.113549.1.1.8";

    /// <summary>Names the scheme of a DER AlgorithmIdentifier; false with the reason in words when it is not one we verify.</summary>
    public static bool TryParse(ReadOnlySpan<byte> der, out SignatureScheme? scheme, out string reason)
    {
        scheme = null;
        reason = "";
        try
        {
            var outer = new AsnReader(der.ToArray(), AsnEncodingRules.DER);
            AsnReader seq = outer.ReadSequence();
            outer.ThrowIfNotEmpty();
            string oid = seq.ReadObjectIdentifier();
            switch (oid)
            {
                case "1.2.840.113549.1.1.5": return Pkcs1(seq, "rsa-sha1", out scheme, out reason);
                case "1.2.840.113549.1.1.11": return Pkcs1(seq, "rsa-sha256", out scheme, out reason);
                case "1.2.840.113549.1.1.12": return Pkcs1(seq, "rsa-sha384", out scheme, out reason);
                case "1.2.840.113549.1.1.13": return Pkcs1(seq, "rsa-sha512", out scheme, out reason);
                case "1.2.840.10045.4.3.2": return NoParameters(seq, "ecdsa-sha256", out scheme, out reason);
                case "1.2.840.10045.4.3.3": return NoParameters(seq, "ecdsa-sha384", out scheme, out reason);
                case "1.2.840.10045.4.3.4": return NoParameters(seq, "ecdsa-sha512", out scheme, out reason);
                case RsaPss: return Pss(seq, out scheme, out reason);
                default:
                    reason = $"signature algorithm {Describe(oid)} is not supported";
                    return false;
            }
        }
        catch (AsnContentException e)
        {
            reason = $"malformed AlgorithmIdentifier ({e.Message})";
            return false;
        }
        catch (CryptographicException e)
        {
            reason = $"malformed AlgorithmIdentifier ({e.Message})";
            return false;
        }
    }

    private static string Describe(string oid) => oid switch
    {
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.14" => "sha224WithRSAEncryption",
        "1.2.840.10045.4.3.1" => "ecdsa-with-SHA224",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        "2.16.840.1.101.3.4.3.14" or "2.16.840.1.101.3.4.3.15" or "2.16.840.1.101.3.4.3.16" => $"RSA with SHA-3 ({oid})",
        _ => oid,
    };

    private static bool Pkcs1(AsnReader seq, string keyword, out SignatureScheme? scheme, out string reason)
    {
        // RFC 4055 §5: NULL parameters; some encoders omit them, which strongSwan and OpenSSL accept too.
        if (seq.HasData) seq.ReadNull();
        seq.ThrowIfNotEmpty();
        return Found(keyword, out scheme, out reason);
    }

    private static bool NoParameters(AsnReader seq, string keyword, out SignatureScheme? scheme, out string reason)
    {
        seq.ThrowIfNotEmpty();
        return Found(keyword, out scheme, out reason);
    }

    private static bool Found(string keyword, out SignatureScheme? scheme, out string reason)
    {
        scheme = SignatureScheme.Find(keyword);
        reason = "";
        return scheme is not null;
    }

    /// <summary>RSASSA-PSS-params (RFC 4055 §3.1), every field with its DEFAULT (SHA-1, MGF1-SHA-1, 20, 1) when absent.</summary>
    private static bool Pss(AsnReader seq, out SignatureScheme? scheme, out string reason)
    {
        scheme = null;
        string hash = "1.3.14.3.2.26", mgfHash = "1.3.14.3.2.26";
        int salt = 20, trailer = 1;
        AsnReader parameters = seq.ReadSequence();
        seq.ThrowIfNotEmpty();
        if (parameters.HasData && parameters.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
            hash = ReadHashIdentifier(parameters.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0)));
        if (parameters.HasData && parameters.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 1)))
        {
            AsnReader mgf = parameters.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 1)).ReadSequence();
            string mgfOid = mgf.ReadObjectIdentifier();
            if (mgfOid != Mgf1) { reason = $"RSASSA-PSS mask generation function {mgfOid} is not supported (only MGF1)"; return false; }
            mgfHash = ReadHashIdentifier(mgf);
        }
        if (parameters.HasData && parameters.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 2)))
        {
            AsnReader s = parameters.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 2));
            if (!s.TryReadInt32(out salt)) { reason = "RSASSA-PSS saltLength out of range"; return false; }
            s.ThrowIfNotEmpty();
        }
        if (parameters.HasData && parameters.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 3)))
        {
            AsnReader t = parameters.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 3));
            if (!t.TryReadInt32(out trailer)) { reason = "RSASSA-PSS trailerField out of range"; return false; }
            t.ThrowIfNotEmpty();
        }
        parameters.ThrowIfNotEmpty();

        (string keyword, int length) = hash switch
        {
            "2.16.840.1.101.3.4.2.1" => ("rsa/pss-sha256", 32),
            "2.16.840.1.101.3.4.2.2" => ("rsa/pss-sha384", 48),
            "2.16.840.1.101.3.4.2.3" => ("rsa/pss-sha512", 64),
            _ => ("", 0),
        };
        if (length == 0) { reason = $"RSASSA-PSS with hash {hash} is not supported (only SHA-256, SHA-384, SHA-512)"; return false; }
        if (mgfHash != hash) { reason = "RSASSA-PSS with an MGF1 hash other than the signature hash is not supported"; return false; }
        // .NET signs and verifies PSS with the salt as long as the hash, as strongSwan and RFC 7427 A.4.3 do.
        if (salt != length) { reason = $"RSASSA-PSS with a {salt}-byte salt is not supported (only {length}, the hash length)"; return false; }
        if (trailer != 1) { reason = $"RSASSA-PSS trailerField {trailer} is not 1"; return false; }
        return Found(keyword, out scheme, out reason);
    }

    private static string ReadHashIdentifier(AsnReader outer)
    {
        AsnReader alg = outer.ReadSequence();
        outer.ThrowIfNotEmpty();
        string oid = alg.ReadObjectIdentifier();
        if (alg.HasData) alg.ReadNull();
        alg.ThrowIfNotEmpty();
        return oid;
    }
}
