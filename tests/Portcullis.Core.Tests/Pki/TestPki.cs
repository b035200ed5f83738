using System.Formats.Asn1;
using System.Net;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Portcullis.Core.Tests.Pki;

public enum KeyKind { Rsa2048, Rsa3072, P256, P384, P521 }

/// <summary>A certificate and its private key (the certificate itself carries no key).</summary>
public sealed record Issued(X509Certificate2 Cert, AsymmetricAlgorithm Key)
{
    public string Pem => Cert.ExportCertificatePem() + "\n";
}

/// <summary>Builds CAs, intermediates, end-entity certificates and CRLs with .NET's builders, at a fixed time.</summary>
internal static class TestPki
{
    /// <summary>The time every test validates at; certificates are valid from <see cref="From"/> to <see cref="Until"/> unless told.</summary>
    public static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset From = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset Until = new(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static int s_serial = 0x1000;

    /// <summary>A DN in strongSwan's order: the attributes are encoded as written, left to right.</summary>
    public static X500DistinguishedName Dn(string text) => new(text.Replace(", ", ","), X500DistinguishedNameFlags.UseCommas);

    public static AsymmetricAlgorithm NewKey(KeyKind kind) => kind switch
    {
        KeyKind.Rsa2048 => RSA.Create(2048),
        KeyKind.Rsa3072 => RSA.Create(3072),
        KeyKind.P256 => ECDsa.Create(ECCurve.NamedCurves.nistP256),
        KeyKind.P384 => ECDsa.Create(ECCurve.NamedCurves.nistP384),
        _ => ECDsa.Create(ECCurve.NamedCurves.nistP521),
    };

    private static X509SignatureGenerator Generator(AsymmetricAlgorithm key) => key switch
    {
        RSA rsa => X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1),
        ECDsa ec => X509SignatureGenerator.CreateForECDsa(ec),
        _ => throw new ArgumentException("key"),
    };

    private static CertificateRequest Request(X500DistinguishedName subject, AsymmetricAlgorithm key, HashAlgorithmName hash) => key switch
    {
        RSA rsa => new CertificateRequest(subject, rsa, hash, RSASignaturePadding.Pkcs1),
        ECDsa ec => new CertificateRequest(subject, ec, hash),
        _ => throw new ArgumentException("key"),
    };

    public static Issued Root(string dn, KeyKind kind = KeyKind.P256, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null,
        bool basicConstraints = true, X509KeyUsageFlags usage = X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, int? pathLength = null)
    {
        AsymmetricAlgorithm key = NewKey(kind);
        CertificateRequest req = Request(Dn(dn), key, HashAlgorithmName.SHA256);
        if (basicConstraints) req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, pathLength is not null, pathLength ?? 0, true));
        if (usage != X509KeyUsageFlags.None) req.CertificateExtensions.Add(new X509KeyUsageExtension(usage, true));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        X509Certificate2 cert = req.Create(Dn(dn), Generator(key), notBefore ?? From.AddYears(-1), notAfter ?? Until.AddYears(5), Serial());
        return new Issued(cert, key);
    }

    public static Issued Issue(Issued issuer, string dn, KeyKind kind = KeyKind.P256, bool ca = false, int? pathLength = null, string[]? eku = null,
        string[]? dns = null, string[]? emails = null, IPAddress[]? ips = null, string[]? directoryNames = null,
        DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null, X509KeyUsageFlags? usage = null, string? crlUri = null,
        HashAlgorithmName? hash = null, AsymmetricAlgorithm? key = null, byte[]? serial = null, IEnumerable<X509Extension>? extra = null)
    {
        key ??= NewKey(kind);
        CertificateRequest req = Request(Dn(dn), key, hash ?? HashAlgorithmName.SHA256);
        if (ca) req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, pathLength is not null, pathLength ?? 0, true));
        X509KeyUsageFlags ku = usage ?? (ca ? X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign : X509KeyUsageFlags.DigitalSignature);
        if (ku != X509KeyUsageFlags.None) req.CertificateExtensions.Add(new X509KeyUsageExtension(ku, true));
        if (eku is not null)
        {
            var oids = new OidCollection();
            foreach (string oid in eku) oids.Add(new Oid(oid));
            req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, false));
        }
        if (dns is not null || emails is not null || ips is not null || directoryNames is not null)
            req.CertificateExtensions.Add(SubjectAltNames(dns ?? [], emails ?? [], ips ?? [], directoryNames ?? []));
        if (crlUri is not null) req.CertificateExtensions.Add(CertificateRevocationListBuilder.BuildCrlDistributionPointExtension([crlUri]));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        req.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer.Cert, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        foreach (X509Extension e in extra ?? []) req.CertificateExtensions.Add(e);
        X509Certificate2 cert = req.Create(issuer.Cert.SubjectName, Generator(issuer.Key), notBefore ?? From, notAfter ?? Until, serial ?? Serial());
        return new Issued(cert, key);
    }

    /// <summary>subjectAltName with dNSName, rfc822Name, iPAddress and directoryName entries (the BCL builder has no directoryName).</summary>
    private static X509Extension SubjectAltNames(string[] dns, string[] emails, IPAddress[] ips, string[] directoryNames)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            foreach (string e in emails) w.WriteCharacterString(UniversalTagNumber.IA5String, e, new Asn1Tag(TagClass.ContextSpecific, 1));
            foreach (string d in dns) w.WriteCharacterString(UniversalTagNumber.IA5String, d, new Asn1Tag(TagClass.ContextSpecific, 2));
            foreach (string dn in directoryNames)
                using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 4, isConstructed: true)))
                    w.WriteEncodedValue(Dn(dn).RawData);
            foreach (IPAddress ip in ips) w.WriteOctetString(ip.GetAddressBytes(), new Asn1Tag(TagClass.ContextSpecific, 7));
        }
        return new X509Extension("2.5.29.17", w.Encode(), false);
    }

    private static byte[] Serial()
    {
        int s = Interlocked.Increment(ref s_serial);
        return [0x01, (byte)(s >> 16), (byte)(s >> 8), (byte)s];
    }

    /// <summary>A CRL of <paramref name="issuer"/>'s name, signed by <paramref name="signer"/> (default: the issuer's key).</summary>
    public static byte[] Crl(Issued issuer, IEnumerable<X509Certificate2> revoked, DateTimeOffset? thisUpdate = null, DateTimeOffset? nextUpdate = null,
        AsymmetricAlgorithm? signer = null, X509RevocationReason? reason = X509RevocationReason.KeyCompromise, DateTimeOffset? revokedAt = null)
    {
        var builder = new CertificateRevocationListBuilder();
        foreach (X509Certificate2 cert in revoked) builder.AddEntry(cert, revokedAt ?? new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero), reason);
        return builder.Build(issuer.Cert.SubjectName, Generator(signer ?? issuer.Key), BigInteger.One, nextUpdate ?? Until,
            HashAlgorithmName.SHA256, X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer.Cert, true, false), thisUpdate ?? From.AddDays(30));
    }
}
