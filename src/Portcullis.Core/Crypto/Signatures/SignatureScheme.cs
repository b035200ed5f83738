using System.Formats.Asn1;
using System.Security.Cryptography;

namespace Portcullis.Core.Crypto.Signatures;

/// <summary>The family of a signature scheme.</summary>
public enum SignatureAlgorithm
{
    /// <summary>RSASSA-PKCS1-v1_5 (RFC 8017 §8.2).</summary>
    RsaPkcs1,
    /// <summary>RSASSA-PSS with MGF1 and a salt as long as the hash (RFC 8017 §8.1, RFC 4055).</summary>
    RsaPss,
    /// <summary>ECDSA over a NIST prime curve (FIPS 186, RFC 4754).</summary>
    Ecdsa,
}

/// <summary>
/// A signature scheme for the IKEv2 AUTH payload: either the RFC 7427 "Digital Signature" method (auth method 14,
/// the AUTH data starts with the DER AlgorithmIdentifier, ECDSA signatures DER-encoded) or one of the older fixed
/// methods (RSA with SHA-1, auth method 1; ECDSA with SHA-2 on the matching curve, RFC 4754, methods 9–11, r ‖ s).
/// </summary>
public sealed class SignatureScheme
{
    private SignatureScheme(string keyword, SignatureAlgorithm algorithm, HashAlgorithmName hash, ushort hashId, byte? authMethod, int curveBits)
    {
        Keyword = keyword;
        Algorithm = algorithm;
        Hash = hash;
        HashId = hashId;
        AuthMethod = authMethod;
        CurveBits = curveBits;
        AlgorithmIdentifier = EncodeAlgorithmIdentifier(algorithm, hash);
    }

    /// <summary>strongSwan's name for the scheme (<c>rsa/pss-sha256</c>, <c>ecdsa-sha384</c>).</summary>
    public string Keyword { get; }

    /// <summary>RSA PKCS#1 v1.5, RSA-PSS or ECDSA.</summary>
    public SignatureAlgorithm Algorithm { get; }

    /// <summary>The hash signed.</summary>
    public HashAlgorithmName Hash { get; }

    /// <summary>The RFC 7427 hash algorithm number sent in SIGNATURE_HASH_ALGORITHMS (1 SHA-1, 2 SHA2-256, 3 SHA2-384, 4 SHA2-512).</summary>
    public ushort HashId { get; }

    /// <summary>The pre-RFC 7427 IKEv2 auth method this scheme is, if any (1 RSA/SHA-1; 9, 10, 11 ECDSA, RFC 4754).</summary>
    public byte? AuthMethod { get; }

    /// <summary>For the RFC 4754 methods, the curve the method fixes; 0 otherwise.</summary>
    public int CurveBits { get; }

    /// <summary>The DER AlgorithmIdentifier that prefixes RFC 7427 AUTH data.</summary>
    public ReadOnlyMemory<byte> AlgorithmIdentifier { get; }

    /// <summary>Legacy: SHA-1 based, refused unless configured.</summary>
    public bool Legacy => Hash == HashAlgorithmName.SHA1;

    /// <summary>Every scheme, in listing order.</summary>
    public static IReadOnlyList<SignatureScheme> All { get; } =
    [
        new("rsa-sha1", SignatureAlgorithm.RsaPkcs1, HashAlgorithmName.SHA1, 1, 1, 0),
        new("rsa-sha256", SignatureAlgorithm.RsaPkcs1, HashAlgorithmName.SHA256, 2, null, 0),
        new("rsa-sha384", SignatureAlgorithm.RsaPkcs1, HashAlgorithmName.SHA384, 3, null, 0),
        new("rsa-sha512", SignatureAlgorithm.RsaPkcs1, HashAlgorithmName.SHA512, 4, null, 0),
        new("rsa/pss-sha256", SignatureAlgorithm.RsaPss, HashAlgorithmName.SHA256, 2, null, 0),
        new("rsa/pss-sha384", SignatureAlgorithm.RsaPss, HashAlgorithmName.SHA384, 3, null, 0),
        new("rsa/pss-sha512", SignatureAlgorithm.RsaPss, HashAlgorithmName.SHA512, 4, null, 0),
        new("ecdsa-sha256", SignatureAlgorithm.Ecdsa, HashAlgorithmName.SHA256, 2, 9, 256),
        new("ecdsa-sha384", SignatureAlgorithm.Ecdsa, HashAlgorithmName.SHA384, 3, 10, 384),
        new("ecdsa-sha512", SignatureAlgorithm.Ecdsa, HashAlgorithmName.SHA512, 4, 11, 521),
    ];

    /// <summary>Looks a scheme up by keyword.</summary>
    public static SignatureScheme? Find(string keyword) => All.FirstOrDefault(s => string.Equals(s.Keyword, keyword, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Signs <paramref name="data"/>. With <paramref name="rfc7427"/> an ECDSA signature is DER (ECDSA-Sig-Value);
    /// without, it is r ‖ s as RFC 4754 requires. RSA signatures are the same either way.
    /// </summary>
    public byte[] Sign(AsymmetricAlgorithm key, ReadOnlySpan<byte> data, bool rfc7427) => key switch
    {
        RSA rsa when Algorithm != SignatureAlgorithm.Ecdsa => rsa.SignData(data.ToArray(), Hash, Padding),
        ECDsa ecdsa when Algorithm == SignatureAlgorithm.Ecdsa => ecdsa.SignData(data, Hash, Format(rfc7427)),
        _ => throw new ArgumentException($"{Keyword} cannot sign with a {key.GetType().Name}", nameof(key)),
    };

    /// <summary>Verifies a peer's signature; false for any malformed or wrong signature, never an exception.</summary>
    public bool Verify(AsymmetricAlgorithm key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature, bool rfc7427)
    {
        try
        {
            return key switch
            {
                RSA rsa when Algorithm != SignatureAlgorithm.Ecdsa => rsa.VerifyData(data, signature, Hash, Padding),
                ECDsa ecdsa when Algorithm == SignatureAlgorithm.Ecdsa => ecdsa.VerifyData(data, signature, Hash, Format(rfc7427)),
                _ => false,
            };
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private RSASignaturePadding Padding => Algorithm == SignatureAlgorithm.RsaPss ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1;

    private static DSASignatureFormat Format(bool rfc7427) =>
        rfc7427 ? DSASignatureFormat.Rfc3279DerSequence : DSASignatureFormat.IeeeP1363FixedFieldConcatenation;

    private static string HashOid(HashAlgorithmName hash) => hash.Name switch
    {
        "SHA1" => "1.3.14.3.2.26",
        "SHA256" => "2.16.840.1.101.3.4.2.1",
        "SHA384" => "2.16.840.1.101.3.4.2.2",
        "SHA512" => "2.16.840.1.101.3.4.2.3",
        _ => throw new ArgumentOutOfRangeException(nameof(hash)),
    };

    /// <summary>The AlgorithmIdentifiers of RFC 7427 Appendix A (RFC 4055 for PSS: MGF1 with the same hash, salt = hash length).</summary>
    private static byte[] EncodeAlgorithmIdentifier(SignatureAlgorithm algorithm, HashAlgorithmName hash)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            switch (algorithm)
            {
                case SignatureAlgorithm.RsaPkcs1:
                    w.WriteObjectIdentifier(hash.Name switch
                    {
                        "SHA1" => "1.2.840.113549.1.1.5",
                        "SHA256" => "1.2.840.113549.1.1.11",
                        "SHA384" => "1.2.840.113549.1.1.12",
                        _ => "1.2.840.113549.1.1.13",
                    });
                    w.WriteNull();
                    break;
                case SignatureAlgorithm.Ecdsa:
                    w.WriteObjectIdentifier(hash.Name switch
                    {
                        "SHA256" => "1.2.840.10045.4.3.2",
                        "SHA384" => "1.2.840.10045.4.3.3",
                        _ => "1.2.840.10045.4.3.4",
                    });
                    break;
                case SignatureAlgorithm.RsaPss:
                    w.WriteObjectIdentifier("1.2.840.113549.1.1.10");
                    using (w.PushSequence())
                    {
                        using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0)))
                            WriteHashIdentifier(w, hash);
                        using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 1)))
                        using (w.PushSequence())
                        {
                            w.WriteObjectIdentifier("1.2.840.113549.1.1.8");
                            WriteHashIdentifier(w, hash);
                        }
                        using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 2)))
                            w.WriteInteger(HashLength(hash));
                        // trailerField [3] INTEGER 1, written out although it is the DEFAULT: RFC 7427 Appendix A.4.3
                        // prints the RSASSA-PSS identifier with it (72 bytes, "... a2 03 02 01 20 a3 03 02 01 01"),
                        // and IKEv2 peers that match AlgorithmIdentifiers as byte strings (OpenBSD iked, whose first
                        // PSS blob is this one) expect exactly those bytes. (RFC 4055 §3.1 would omit it; parsers of
                        // a peer's identifier must accept both forms.)
                        using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 3)))
                            w.WriteInteger(1);
                    }
                    break;
            }
        }
        return w.Encode();
    }

    private static void WriteHashIdentifier(AsnWriter w, HashAlgorithmName hash)
    {
        using (w.PushSequence())
        {
            w.WriteObjectIdentifier(HashOid(hash));
            w.WriteNull();
        }
    }

    private static int HashLength(HashAlgorithmName hash) => hash.Name switch
    {
        "SHA1" => 20,
        "SHA256" => 32,
        "SHA384" => 48,
        _ => 64,
    };

    /// <inheritdoc />
    public override string ToString() => Keyword;
}
