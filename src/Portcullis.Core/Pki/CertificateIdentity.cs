using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Portcullis.Core.Ikev2;

namespace Portcullis.Core.Pki;

/// <summary>
/// Whether an IKE identity is in a certificate, as strongSwan decides it (RFC 4945 §3.1 leaves the rules to the
/// implementation): an ID_DER_ASN1_DN against the subject or a directoryName subjectAltName, attribute by attribute;
/// ID_FQDN against dNSName and ID_RFC822_ADDR against rfc822Name subjectAltNames, case-insensitively; ID_IPV4/IPV6_ADDR
/// against iPAddress subjectAltNames; ID_KEY_ID against the subjectKeyIdentifier, the SHA-1 of the public key (bits
/// or whole SubjectPublicKeyInfo) or of the certificate. An FQDN or e-mail identity is never matched against the
/// subject's CN or emailAddress: strongSwan does not, and neither does a peer that would accept our certificate.
/// </summary>
public static class CertificateIdentity
{
    /// <summary>
    /// True when <paramref name="id"/>, a configured identity, is in <paramref name="cert"/>. Wildcards count as
    /// strongSwan's: a DN attribute value <c>*</c> matches any value; an FQDN or e-mail identity starting with
    /// <c>*</c> matches any name ending in the rest (<c>*.example.org</c>, <c>*@example.org</c>).
    /// </summary>
    public static bool Matches(X509Certificate2 cert, Identity id) => Matches(cert, id, allowWildcards: true);

    /// <summary>
    /// As <see cref="Matches(X509Certificate2, Identity)"/>; with <paramref name="allowWildcards"/> false a <c>*</c>
    /// is an ordinary character, which is right for an identity a peer sent (its IDi or IDr must name itself, not a
    /// pattern).
    /// </summary>
    public static bool Matches(X509Certificate2 cert, Identity id, bool allowWildcards)
    {
        if (!CertificateInfo.TryParse(cert.RawData, out CertificateInfo? info, out _)) return false;
        return Matches(info!, id, allowWildcards);
    }

    internal static bool Matches(CertificateInfo info, Identity id, bool allowWildcards)
    {
        switch (id.Type)
        {
            case IdType.DerAsn1Dn:
                if (DistinguishedName.Matches(info.Subject, id.Data, allowWildcards)) return true;
                return info.SubjectAltNames.Any(s => s.Tag == SubjectAltName.DirectoryName && DistinguishedName.Matches(s.Raw, id.Data, allowWildcards));
            case IdType.Fqdn:
                return NameMatches(info, SubjectAltName.DnsName, id.Data, allowWildcards);
            case IdType.Rfc822Addr:
                return NameMatches(info, SubjectAltName.Rfc822Name, id.Data, allowWildcards);
            case IdType.Ipv4Addr or IdType.Ipv6Addr:
                return info.SubjectAltNames.Any(s => s.Tag == SubjectAltName.IpAddress && s.Raw.AsSpan().SequenceEqual(id.Data));
            case IdType.KeyId:
                return id.Data.Length > 0 && (
                    info.SubjectKeyIdentifier is { } ski && ski.AsSpan().SequenceEqual(id.Data)
                    || SHA1.HashData(info.SubjectPublicKey).AsSpan().SequenceEqual(id.Data)
                    || info.SpkiSha1.AsSpan().SequenceEqual(id.Data)
                    || SHA1.HashData(info.Der).AsSpan().SequenceEqual(id.Data));
            default:
                return false;
        }
    }

    private static bool NameMatches(CertificateInfo info, int tag, byte[] idData, bool allowWildcards)
    {
        string id = Encoding.UTF8.GetString(idData);
        foreach (SubjectAltName san in info.SubjectAltNames)
        {
            if (san.Tag != tag || san.Text is null) continue;
            if (string.Equals(san.Text, id, StringComparison.OrdinalIgnoreCase)) return true;
            if (allowWildcards && id.StartsWith('*') && san.Text.EndsWith(id[1..], StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }

    /// <summary>
    /// A configured identity against the one a peer sent: equal, or DNs that match with the configured one's <c>*</c>
    /// wildcards. What IKEv2 and IKEv1 connections and connection lookup all compare with.
    /// </summary>
    public static bool IdentityMatches(Identity configured, Identity actual) => configured.Equals(actual) || DnMatches(configured, actual);

    /// <summary>
    /// True when two ID_DER_ASN1_DN identities match: <paramref name="actual"/> (what a peer sent) against
    /// <paramref name="configured"/>, attribute by attribute, with a <c>*</c> value in the configured one matching any
    /// value. False when either is not a DN.
    /// </summary>
    public static bool DnMatches(Identity configured, Identity actual) =>
        configured.Type == IdType.DerAsn1Dn && actual.Type == IdType.DerAsn1Dn && DistinguishedName.Matches(actual.Data, configured.Data, wildcards: true);

    /// <summary>The certificate's subject as an ID_DER_ASN1_DN identity (what strongSwan uses when no <c>id</c> is configured).</summary>
    public static Identity SubjectIdentity(X509Certificate2 cert) => new(IdType.DerAsn1Dn, cert.SubjectName.RawData);

    /// <summary>A DER distinguished name as strongSwan writes it, in encoding order: <c>C=CH, O=Example, CN=moon</c>.</summary>
    public static string FormatDistinguishedName(ReadOnlySpan<byte> der) => DistinguishedName.Format(der.ToArray());

    /// <summary>The subject and subjectAltNames: <c>"C=CH, O=Example, CN=dave" (subjectAltName: dave@example.org, 192.0.2.7)</c>.</summary>
    public static string Describe(X509Certificate2 cert)
    {
        if (!CertificateInfo.TryParse(cert.RawData, out CertificateInfo? info, out string error)) return $"unreadable certificate ({error})";
        return Describe(info!);
    }

    internal static string Describe(CertificateInfo info)
    {
        string subject = $"\"{info.SubjectText}\"";
        return info.SubjectAltNames.Count == 0 ? subject : $"{subject} (subjectAltName: {string.Join(", ", info.SubjectAltNames)})";
    }

    /// <summary>The "ID not in certificate" message: <c>'carol@example.org' is not in certificate "CN=dave" (subjectAltName: dave@example.org)</c>.</summary>
    public static string NotInCertificate(X509Certificate2 cert, Identity id) => $"'{IdentityText(id)}' is not in certificate {Describe(cert)}";

    /// <summary>An identity as text, with a DN in strongSwan's order.</summary>
    public static string IdentityText(Identity id) => id.Type == IdType.DerAsn1Dn ? DistinguishedName.Format(id.Data) : id.ToString();
}
