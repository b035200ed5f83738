using System.Formats.Asn1;
using System.Net;
using System.Numerics;
using System.Security.Cryptography;

namespace Portcullis.Core.Pki;

/// <summary>A subjectAltName entry (RFC 5280 §4.2.1.6): the GeneralName choice and its value.</summary>
internal readonly record struct SubjectAltName(int Tag, string? Text, byte[] Raw)
{
    public const int Rfc822Name = 1, DnsName = 2, DirectoryName = 4, Uri = 6, IpAddress = 7;

    /// <summary>The name as an administrator writes it.</summary>
    public override string ToString() => Tag switch
    {
        IpAddress when Raw.Length is 4 or 16 => new IPAddress(Raw).ToString(),
        DirectoryName => DistinguishedName.Format(Raw),
        Rfc822Name or DnsName or Uri => Text ?? "",
        _ => $"[{Tag}]#{Convert.ToHexStringLower(Raw)}",
    };
}

/// <summary>
/// The fields of an X.509 certificate (RFC 5280 §4.1) Portcullis checks, read with its own ASN.1 reader so every check
/// sees exactly the bytes that were signed. Lenient about BER where real certificates bend DER, strict about structure;
/// never throws: <see cref="TryParse"/> says what is wrong instead.
/// </summary>
internal sealed class CertificateInfo
{
    private static readonly Asn1Tag s_explicit0 = new(TagClass.ContextSpecific, 0, isConstructed: true);
    private static readonly Asn1Tag s_explicit3 = new(TagClass.ContextSpecific, 3, isConstructed: true);

    /// <summary>The whole certificate.</summary>
    public required byte[] Der { get; init; }
    /// <summary>tbsCertificate, as signed.</summary>
    public required ReadOnlyMemory<byte> Tbs { get; init; }
    /// <summary>signatureAlgorithm (the outer one).</summary>
    public required ReadOnlyMemory<byte> SignatureAlgorithm { get; init; }
    /// <summary>signatureValue's bits.</summary>
    public required byte[] Signature { get; init; }
    /// <summary>serialNumber's content octets, leading zeros removed.</summary>
    public required byte[] Serial { get; init; }
    /// <summary>issuer Name, DER.</summary>
    public required ReadOnlyMemory<byte> Issuer { get; init; }
    /// <summary>subject Name, DER.</summary>
    public required ReadOnlyMemory<byte> Subject { get; init; }
    /// <summary>notBefore.</summary>
    public required DateTimeOffset NotBefore { get; init; }
    /// <summary>notAfter.</summary>
    public required DateTimeOffset NotAfter { get; init; }
    /// <summary>subjectPublicKeyInfo, DER.</summary>
    public required ReadOnlyMemory<byte> SubjectPublicKeyInfo { get; init; }
    /// <summary>The subjectPublicKey BIT STRING's bits.</summary>
    public required byte[] SubjectPublicKey { get; init; }
    /// <summary>True when basicConstraints is present.</summary>
    public bool HasBasicConstraints { get; init; }
    /// <summary>basicConstraints cA.</summary>
    public bool IsCa { get; init; }
    /// <summary>basicConstraints pathLenConstraint, if any.</summary>
    public int? PathLength { get; init; }
    /// <summary>keyUsage bits (bit 0 = digitalSignature … bit 6 = cRLSign), null when absent.</summary>
    public int? KeyUsage { get; init; }
    /// <summary>extendedKeyUsage purposes, null when absent.</summary>
    public IReadOnlyList<string>? ExtendedKeyUsage { get; init; }
    /// <summary>subjectAltName entries (empty when absent).</summary>
    public IReadOnlyList<SubjectAltName> SubjectAltNames { get; init; } = [];
    /// <summary>subjectKeyIdentifier, if any.</summary>
    public byte[]? SubjectKeyIdentifier { get; init; }
    /// <summary>authorityKeyIdentifier keyIdentifier, if any.</summary>
    public byte[]? AuthorityKeyIdentifier { get; init; }
    /// <summary>True when the certificate names CRL distribution points.</summary>
    public bool HasCrlDistributionPoints { get; init; }

    /// <summary>keyUsage keyCertSign.</summary>
    public const int KeyCertSign = 1 << 5;
    /// <summary>keyUsage cRLSign.</summary>
    public const int CrlSign = 1 << 6;

    /// <summary>The subject written as strongSwan writes it.</summary>
    public string SubjectText => DistinguishedName.Format(Subject);

    /// <summary>The issuer written as strongSwan writes it.</summary>
    public string IssuerText => DistinguishedName.Format(Issuer);

    /// <summary>True when subject and issuer are the same name.</summary>
    public bool SelfIssued => DistinguishedName.Matches(Subject, Issuer, wildcards: false);

    /// <summary>SHA-1 of the SubjectPublicKeyInfo: what a CERTREQ carries for a CA (RFC 7296 §3.7).</summary>
    public byte[] SpkiSha1 => SHA1.HashData(SubjectPublicKeyInfo.Span);

    // Extensions a certificate may mark critical that we understand (or that restrict nothing we rely on).
    private static readonly HashSet<string> s_understood =
    [
        "2.5.29.15", "2.5.29.17", "2.5.29.19", "2.5.29.37", "2.5.29.14", "2.5.29.35", "2.5.29.31", "2.5.29.32", "2.5.29.18",
        "1.3.6.1.5.5.7.1.1",
    ];

    /// <summary>Reads a DER certificate; false with the reason when it is not one.</summary>
    public static bool TryParse(byte[] der, out CertificateInfo? info, out string error)
    {
        info = null;
        error = "";
        try
        {
            var outer = new AsnReader(der, AsnEncodingRules.BER);
            AsnReader certificate = outer.ReadSequence();
            if (outer.HasData) { error = "data after the certificate"; return false; }
            ReadOnlyMemory<byte> tbsBytes = certificate.ReadEncodedValue();
            ReadOnlyMemory<byte> signatureAlgorithm = certificate.ReadEncodedValue();
            byte[] signature = certificate.ReadBitString(out int unused);
            if (unused != 0) { error = "signatureValue has unused bits"; return false; }
            certificate.ThrowIfNotEmpty();

            var tbs = new AsnReader(tbsBytes, AsnEncodingRules.BER).ReadSequence();
            int version = 0;
            if (tbs.PeekTag().HasSameClassAndValue(s_explicit0))
            {
                AsnReader v = tbs.ReadSequence(s_explicit0);
                if (!v.TryReadInt32(out version) || version is < 0 or > 2) { error = "unknown certificate version"; return false; }
                v.ThrowIfNotEmpty();
            }
            byte[] serial = TrimSerial(tbs.ReadIntegerBytes().Span);
            ReadOnlyMemory<byte> innerAlgorithm = tbs.ReadEncodedValue();
            if (!innerAlgorithm.Span.SequenceEqual(signatureAlgorithm.Span)) { error = "the two signature algorithm fields differ"; return false; }
            ReadOnlyMemory<byte> issuer = tbs.ReadEncodedValue();
            AsnReader validity = tbs.ReadSequence();
            DateTimeOffset notBefore = ReadTime(validity), notAfter = ReadTime(validity);
            validity.ThrowIfNotEmpty();
            ReadOnlyMemory<byte> subject = tbs.ReadEncodedValue();
            ReadOnlyMemory<byte> spki = tbs.ReadEncodedValue();
            AsnReader spkiReader = new AsnReader(spki, AsnEncodingRules.BER).ReadSequence();
            spkiReader.ReadEncodedValue();
            byte[] publicKey = spkiReader.ReadBitString(out _);
            if (!DistinguishedName.TryParse(issuer, out _)) { error = "issuer is not a Name"; return false; }
            if (!DistinguishedName.TryParse(subject, out _)) { error = "subject is not a Name"; return false; }

            bool hasBasic = false, isCa = false, hasCdp = false;
            int? pathLength = null, keyUsage = null;
            List<string>? eku = null;
            var sans = new List<SubjectAltName>();
            byte[]? ski = null, aki = null;
            // issuerUniqueID [1], subjectUniqueID [2]: skipped.
            while (tbs.HasData && !tbs.PeekTag().HasSameClassAndValue(s_explicit3))
                tbs.ReadEncodedValue();
            if (tbs.HasData)
            {
                AsnReader extensions = tbs.ReadSequence(s_explicit3).ReadSequence();
                var seen = new HashSet<string>();
                while (extensions.HasData)
                {
                    AsnReader extension = extensions.ReadSequence();
                    string oid = extension.ReadObjectIdentifier();
                    bool critical = false;
                    if (extension.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean)) critical = extension.ReadBoolean();
                    byte[] value = extension.ReadOctetString();
                    extension.ThrowIfNotEmpty();
                    if (!seen.Add(oid)) { error = $"extension {oid} appears twice"; return false; }
                    if (critical && !s_understood.Contains(oid)) { error = $"unsupported critical extension {ExtensionName(oid)}"; return false; }
                    var r = new AsnReader(value, AsnEncodingRules.BER);
                    switch (oid)
                    {
                        case "2.5.29.19":
                        {
                            hasBasic = true;
                            AsnReader bc = r.ReadSequence();
                            if (bc.HasData && bc.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean)) isCa = bc.ReadBoolean();
                            if (bc.HasData)
                            {
                                BigInteger length = bc.ReadInteger();
                                pathLength = length < 0 ? 0 : length > 255 ? 255 : (int)length;
                            }
                            bc.ThrowIfNotEmpty();
                            break;
                        }
                        case "2.5.29.15":
                        {
                            byte[] bits = r.ReadBitString(out _);
                            int usage = 0;
                            // Bit 0 is the most significant bit of the first byte (X.690 §8.6).
                            for (int bit = 0; bit < 9 && bit / 8 < bits.Length; bit++)
                                if ((bits[bit / 8] & (0x80 >> (bit % 8))) != 0) usage |= 1 << bit;
                            keyUsage = usage;
                            break;
                        }
                        case "2.5.29.37":
                        {
                            eku = [];
                            AsnReader list = r.ReadSequence();
                            while (list.HasData) eku.Add(list.ReadObjectIdentifier());
                            break;
                        }
                        case "2.5.29.17":
                            ReadGeneralNames(r.ReadSequence(), sans);
                            break;
                        case "2.5.29.14":
                            ski = r.ReadOctetString();
                            break;
                        case "2.5.29.35":
                        {
                            AsnReader a = r.ReadSequence();
                            if (a.HasData && a.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
                                aki = a.ReadOctetString(new Asn1Tag(TagClass.ContextSpecific, 0));
                            break;
                        }
                        case "2.5.29.31":
                            hasCdp = true; // only its presence matters (revocation = ifuri)
                            continue;
                        default:
                            continue;
                    }
                    r.ThrowIfNotEmpty();
                }
            }
            tbs.ThrowIfNotEmpty();

            info = new CertificateInfo
            {
                Der = der,
                Tbs = tbsBytes,
                SignatureAlgorithm = signatureAlgorithm,
                Signature = signature,
                Serial = serial,
                Issuer = issuer,
                Subject = subject,
                NotBefore = notBefore,
                NotAfter = notAfter,
                SubjectPublicKeyInfo = spki,
                SubjectPublicKey = publicKey,
                HasBasicConstraints = hasBasic,
                IsCa = isCa,
                PathLength = pathLength,
                KeyUsage = keyUsage,
                ExtendedKeyUsage = eku,
                SubjectAltNames = sans,
                SubjectKeyIdentifier = ski,
                AuthorityKeyIdentifier = aki,
                HasCrlDistributionPoints = hasCdp,
            };
            return true;
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException or ArgumentException or OverflowException)
        {
            error = $"malformed certificate ({e.Message})";
            return false;
        }
    }

    private static void ReadGeneralNames(AsnReader names, List<SubjectAltName> into)
    {
        while (names.HasData)
        {
            Asn1Tag tag = names.PeekTag();
            if (tag.TagClass != TagClass.ContextSpecific) throw new AsnContentException("a GeneralName that is not context-tagged");
            switch (tag.TagValue)
            {
                case SubjectAltName.Rfc822Name or SubjectAltName.DnsName or SubjectAltName.Uri:
                {
                    byte[] raw = names.ReadOctetString(new Asn1Tag(TagClass.ContextSpecific, tag.TagValue));
                    // IA5String: 7-bit ASCII; anything else is not a name we would match, but keep it visible.
                    string text = raw.All(b => b < 0x80) ? System.Text.Encoding.ASCII.GetString(raw) : "#" + Convert.ToHexStringLower(raw);
                    into.Add(new SubjectAltName(tag.TagValue, text, raw));
                    break;
                }
                case SubjectAltName.IpAddress:
                    into.Add(new SubjectAltName(tag.TagValue, null, names.ReadOctetString(new Asn1Tag(TagClass.ContextSpecific, tag.TagValue))));
                    break;
                case SubjectAltName.DirectoryName:
                {
                    // [4] EXPLICIT Name.
                    AsnReader inner = names.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 4, isConstructed: true));
                    byte[] name = inner.ReadEncodedValue().ToArray();
                    inner.ThrowIfNotEmpty();
                    into.Add(new SubjectAltName(tag.TagValue, null, name));
                    break;
                }
                default:
                    into.Add(new SubjectAltName(tag.TagValue, null, names.ReadEncodedValue().ToArray()));
                    break;
            }
        }
    }

    /// <summary>Reads a Time (UTCTime or GeneralizedTime, RFC 5280 §4.1.2.5).</summary>
    internal static DateTimeOffset ReadTime(AsnReader reader) =>
        reader.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) ? reader.ReadUtcTime(2049) : reader.ReadGeneralizedTime();

    /// <summary>An INTEGER's content octets without leading zero bytes, so equal serials compare equal as bytes.</summary>
    internal static byte[] TrimSerial(ReadOnlySpan<byte> integer)
    {
        int start = 0;
        while (start < integer.Length - 1 && integer[start] == 0) start++;
        return integer[start..].ToArray();
    }

    private static string ExtensionName(string oid) => oid switch
    {
        "2.5.29.30" => "nameConstraints (2.5.29.30)",
        "2.5.29.33" => "policyMappings (2.5.29.33)",
        "2.5.29.36" => "policyConstraints (2.5.29.36)",
        "2.5.29.54" => "inhibitAnyPolicy (2.5.29.54)",
        "1.3.6.1.5.5.7.1.7" => "ipAddrBlocks (1.3.6.1.5.5.7.1.7)",
        _ => oid,
    };
}
