using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Text;

namespace Portcullis.Core.Pki;

/// <summary>One attribute of a distinguished name: its type, its value as text (null when not a string type) and raw value.</summary>
internal readonly record struct DnAttribute(string Oid, string? Text, byte[] RawValue);

/// <summary>
/// X.500 names (RFC 5280 §4.1.2.4) as strongSwan treats them: written in the order of the encoding
/// (<c>C=CH, O=Example, CN=moon</c>), compared attribute by attribute with string values matched case-insensitively
/// and with runs of spaces folded (RFC 5280 §7.1's caseIgnoreMatch, short of full StringPrep), and, in a configured
/// identity, a value of <c>*</c> standing for any value.
/// </summary>
internal static class DistinguishedName
{
    /// <summary>The attributes of a DER Name in encoding order (multi-valued RDNs flattened); false when malformed.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> der, out List<DnAttribute> attributes)
    {
        attributes = [];
        try
        {
            var outer = new AsnReader(der, AsnEncodingRules.BER);
            AsnReader name = outer.ReadSequence();
            outer.ThrowIfNotEmpty();
            while (name.HasData)
            {
                AsnReader rdn = name.ReadSetOf(skipSortOrderValidation: true);
                while (rdn.HasData)
                {
                    AsnReader atv = rdn.ReadSequence();
                    string oid = atv.ReadObjectIdentifier();
                    Asn1Tag tag = atv.PeekTag();
                    byte[] raw = atv.PeekContentBytes().ToArray();
                    string? text = null;
                    if (tag.TagClass == TagClass.Universal)
                    {
                        var kind = (UniversalTagNumber)tag.TagValue;
                        if (kind is UniversalTagNumber.UTF8String or UniversalTagNumber.PrintableString or UniversalTagNumber.IA5String
                            or UniversalTagNumber.T61String or UniversalTagNumber.BMPString or UniversalTagNumber.UniversalString
                            or UniversalTagNumber.VisibleString or UniversalTagNumber.NumericString)
                        {
                            try { text = atv.ReadCharacterString(kind); }
                            catch (AsnContentException) { atv.ReadEncodedValue(); }
                        }
                        else atv.ReadEncodedValue();
                    }
                    else atv.ReadEncodedValue();
                    atv.ThrowIfNotEmpty();
                    attributes.Add(new DnAttribute(oid, text, raw));
                }
            }
            return true;
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException or ArgumentException)
        {
            attributes = [];
            return false;
        }
    }

    /// <summary>
    /// True when <paramref name="actual"/> (a certificate's name) matches <paramref name="pattern"/>: the same number
    /// of attributes, the same types in the same order, equal values; with <paramref name="wildcards"/> a pattern
    /// value of <c>*</c> matches any value.
    /// </summary>
    public static bool Matches(ReadOnlyMemory<byte> actual, ReadOnlyMemory<byte> pattern, bool wildcards)
    {
        if (actual.Span.SequenceEqual(pattern.Span)) return true;
        if (!TryParse(actual, out List<DnAttribute> a) || !TryParse(pattern, out List<DnAttribute> p) || a.Count != p.Count) return false;
        for (int i = 0; i < a.Count; i++)
        {
            if (a[i].Oid != p[i].Oid) return false;
            if (wildcards && p[i].Text == "*") continue;
            if (a[i].Text is not null && p[i].Text is not null)
            {
                if (!string.Equals(Fold(a[i].Text!), Fold(p[i].Text!), StringComparison.OrdinalIgnoreCase)) return false;
            }
            else if (!a[i].RawValue.AsSpan().SequenceEqual(p[i].RawValue)) return false;
        }
        return true;
    }

    private static string Fold(string value)
    {
        var sb = new StringBuilder(value.Length);
        bool space = false;
        foreach (char c in value.Trim())
        {
            if (c == ' ') { if (!space) sb.Append(' '); space = true; }
            else { sb.Append(c); space = false; }
        }
        return sb.ToString();
    }

    /// <summary>The name as strongSwan prints it, in encoding order: <c>C=CH, O=Example, CN=moon</c>.</summary>
    public static string Format(ReadOnlyMemory<byte> der)
    {
        if (!TryParse(der, out List<DnAttribute> attributes)) return "#" + Convert.ToHexStringLower(der.Span);
        if (attributes.Count == 0) return "";
        return string.Join(", ", attributes.Select(a => $"{ShortName(a.Oid)}={a.Text ?? "#" + Convert.ToHexStringLower(a.RawValue)}"));
    }

    private static string ShortName(string oid) => oid switch
    {
        "2.5.4.3" => "CN",
        "2.5.4.4" => "SN",
        "2.5.4.5" => "serialNumber",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "street",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.12" => "T",
        "2.5.4.13" => "D",
        "2.5.4.41" => "N",
        "2.5.4.42" => "G",
        "2.5.4.43" => "I",
        "2.5.4.46" => "dnQualifier",
        "2.5.4.65" => "pseudonym",
        "1.2.840.113549.1.9.1" => "E",
        "0.9.2342.19200300.100.1.1" => "UID",
        "0.9.2342.19200300.100.1.25" => "DC",
        _ => oid,
    };
}
