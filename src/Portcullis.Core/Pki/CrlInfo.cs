using System.Formats.Asn1;
using System.Security.Cryptography;

namespace Portcullis.Core.Pki;

/// <summary>One revoked certificate of a CRL: its serial (leading zeros removed), when, and the reasonCode if given.</summary>
internal readonly record struct RevokedEntry(byte[] Serial, DateTimeOffset RevocationDate, int? Reason);

/// <summary>
/// A certificate revocation list (RFC 5280 §5), read with our own ASN.1 reader: what was signed, by whom, its
/// validity window and its entries. A delta CRL or one limited by an issuingDistributionPoint still revokes the
/// serials it lists but does not count as complete (<see cref="Complete"/>).
/// </summary>
internal sealed class CrlInfo
{
    /// <summary>The whole CRL.</summary>
    public required byte[] Der { get; init; }
    /// <summary>tbsCertList, as signed.</summary>
    public required ReadOnlyMemory<byte> Tbs { get; init; }
    /// <summary>signatureAlgorithm.</summary>
    public required ReadOnlyMemory<byte> SignatureAlgorithm { get; init; }
    /// <summary>signatureValue's bits.</summary>
    public required byte[] Signature { get; init; }
    /// <summary>issuer Name, DER.</summary>
    public required ReadOnlyMemory<byte> Issuer { get; init; }
    /// <summary>thisUpdate.</summary>
    public required DateTimeOffset ThisUpdate { get; init; }
    /// <summary>nextUpdate, if any.</summary>
    public DateTimeOffset? NextUpdate { get; init; }
    /// <summary>revokedCertificates.</summary>
    public required IReadOnlyList<RevokedEntry> Entries { get; init; }
    /// <summary>authorityKeyIdentifier keyIdentifier, if any.</summary>
    public byte[]? AuthorityKeyIdentifier { get; init; }
    /// <summary>False for a delta CRL or a partitioned one (issuingDistributionPoint): not proof of good standing.</summary>
    public bool Complete { get; init; } = true;
    /// <summary>Where it came from (file name), for messages.</summary>
    public string Source { get; init; } = "";

    /// <summary>The issuer written as strongSwan writes it.</summary>
    public string IssuerText => DistinguishedName.Format(Issuer);

    /// <summary>Reads a DER CRL; false with the reason when it is not one.</summary>
    public static bool TryParse(byte[] der, string source, out CrlInfo? crl, out string error)
    {
        crl = null;
        error = "";
        try
        {
            var outer = new AsnReader(der, AsnEncodingRules.BER);
            AsnReader list = outer.ReadSequence();
            if (outer.HasData) { error = "data after the CRL"; return false; }
            ReadOnlyMemory<byte> tbsBytes = list.ReadEncodedValue();
            ReadOnlyMemory<byte> signatureAlgorithm = list.ReadEncodedValue();
            byte[] signature = list.ReadBitString(out int unused);
            if (unused != 0) { error = "signatureValue has unused bits"; return false; }
            list.ThrowIfNotEmpty();

            AsnReader tbs = new AsnReader(tbsBytes, AsnEncodingRules.BER).ReadSequence();
            if (tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Integer)) tbs.ReadInteger(); // version v2
            ReadOnlyMemory<byte> innerAlgorithm = tbs.ReadEncodedValue();
            if (!innerAlgorithm.Span.SequenceEqual(signatureAlgorithm.Span)) { error = "the two signature algorithm fields differ"; return false; }
            ReadOnlyMemory<byte> issuer = tbs.ReadEncodedValue();
            if (!DistinguishedName.TryParse(issuer, out _)) { error = "issuer is not a Name"; return false; }
            DateTimeOffset thisUpdate = CertificateInfo.ReadTime(tbs);
            DateTimeOffset? nextUpdate = null;
            if (tbs.HasData && (tbs.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) || tbs.PeekTag().HasSameClassAndValue(Asn1Tag.GeneralizedTime)))
                nextUpdate = CertificateInfo.ReadTime(tbs);
            var entries = new List<RevokedEntry>();
            if (tbs.HasData && tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
            {
                AsnReader revoked = tbs.ReadSequence();
                while (revoked.HasData)
                {
                    AsnReader entry = revoked.ReadSequence();
                    byte[] serial = CertificateInfo.TrimSerial(entry.ReadIntegerBytes().Span);
                    DateTimeOffset date = CertificateInfo.ReadTime(entry);
                    int? reason = null;
                    if (entry.HasData)
                    {
                        AsnReader extensions = entry.ReadSequence();
                        while (extensions.HasData)
                        {
                            AsnReader extension = extensions.ReadSequence();
                            string oid = extension.ReadObjectIdentifier();
                            bool critical = extension.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean) && extension.ReadBoolean();
                            byte[] value = extension.ReadOctetString();
                            if (oid == "2.5.29.21")
                            {
                                var r = new AsnReader(value, AsnEncodingRules.BER);
                                ReadOnlyMemory<byte> code = r.ReadEnumeratedBytes();
                                reason = code.Length == 1 ? code.Span[0] : null;
                            }
                            else if (critical && oid == "2.5.29.29")
                            {
                                // certificateIssuer: entries of an indirect CRL; we cannot attribute them.
                                error = "indirect CRLs (certificateIssuer entry extension) are not supported";
                                return false;
                            }
                        }
                    }
                    entry.ThrowIfNotEmpty();
                    entries.Add(new RevokedEntry(serial, date, reason));
                }
            }
            byte[]? aki = null;
            bool complete = true;
            var explicit0 = new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true);
            if (tbs.HasData && tbs.PeekTag().HasSameClassAndValue(explicit0))
            {
                AsnReader extensions = tbs.ReadSequence(explicit0).ReadSequence();
                while (extensions.HasData)
                {
                    AsnReader extension = extensions.ReadSequence();
                    string oid = extension.ReadObjectIdentifier();
                    if (extension.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean)) extension.ReadBoolean();
                    byte[] value = extension.ReadOctetString();
                    switch (oid)
                    {
                        case "2.5.29.35":
                        {
                            AsnReader a = new AsnReader(value, AsnEncodingRules.BER).ReadSequence();
                            if (a.HasData && a.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
                                aki = a.ReadOctetString(new Asn1Tag(TagClass.ContextSpecific, 0));
                            break;
                        }
                        case "2.5.29.27" or "2.5.29.28": // deltaCRLIndicator, issuingDistributionPoint
                            complete = false;
                            break;
                    }
                }
            }
            tbs.ThrowIfNotEmpty();
            crl = new CrlInfo
            {
                Der = der,
                Tbs = tbsBytes,
                SignatureAlgorithm = signatureAlgorithm,
                Signature = signature,
                Issuer = issuer,
                ThisUpdate = thisUpdate,
                NextUpdate = nextUpdate,
                Entries = entries,
                AuthorityKeyIdentifier = aki,
                Complete = complete,
                Source = source,
            };
            return true;
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException or ArgumentException or OverflowException)
        {
            error = $"malformed CRL ({e.Message})";
            return false;
        }
    }

    /// <summary>RFC 5280 §5.3.1 CRLReason names.</summary>
    public static string ReasonName(int? reason) => reason switch
    {
        0 => "unspecified",
        1 => "keyCompromise",
        2 => "cACompromise",
        3 => "affiliationChanged",
        4 => "superseded",
        5 => "cessationOfOperation",
        6 => "certificateHold",
        8 => "removeFromCRL",
        9 => "privilegeWithdrawn",
        10 => "aACompromise",
        null => "no reason given",
        _ => reason.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
