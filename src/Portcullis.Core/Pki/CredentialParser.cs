using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Portcullis.Core.Pki;

/// <summary>
/// Reads the contents of the files swanctl keeps credentials in: certificates and CRLs (PEM, possibly several blocks,
/// or DER) and unencrypted private keys (PEM "RSA PRIVATE KEY" = PKCS #1, "EC PRIVATE KEY" = SEC1, "PRIVATE KEY" =
/// PKCS #8, or the same in DER). Works on bytes; <see cref="CredentialStore.Load"/> does the file reading. Never throws
/// on bad input: each method says what is wrong instead.
/// </summary>
public static class CredentialParser
{
    /// <summary>The message for an encrypted key, in whatever form it comes.</summary>
    public const string EncryptedKeyMessage = "encrypted private keys are not supported yet";

    /// <summary>One or more certificates: PEM "CERTIFICATE" blocks, or one DER certificate.</summary>
    public static bool TryParseCertificates(ReadOnlySpan<byte> contents, out List<X509Certificate2> certificates, out string error)
    {
        certificates = [];
        error = "";
        if (LooksLikePem(contents))
        {
            List<byte[]>? blocks = PemBlocks(contents, ["CERTIFICATE", "X509 CERTIFICATE"], out error);
            if (blocks is null) return false;
            if (blocks.Count == 0) { error = "no CERTIFICATE block in the PEM file"; return false; }
            foreach (byte[] der in blocks)
            {
                if (!TryLoadCertificate(der, out X509Certificate2? cert, out error)) { Dispose(certificates); return false; }
                certificates.Add(cert!);
            }
            return true;
        }
        if (!TryLoadCertificate(contents, out X509Certificate2? single, out error)) return false;
        certificates.Add(single!);
        return true;
    }

    /// <summary>
    /// One DER certificate, as a CERT payload carries it: loaded by .NET and read by our own parser, which must both
    /// accept it. For peer data: never throws.
    /// </summary>
    public static bool TryLoadCertificate(ReadOnlySpan<byte> der, out X509Certificate2? certificate, out string error)
    {
        certificate = null;
        byte[] bytes = der.ToArray();
        if (!CertificateInfo.TryParse(bytes, out _, out error)) return false;
        try
        {
            certificate = X509CertificateLoader.LoadCertificate(bytes);
            return true;
        }
        catch (CryptographicException e)
        {
            error = $"not an X.509 certificate ({e.Message})";
            return false;
        }
    }

    /// <summary>One or more CRLs: PEM "X509 CRL" blocks, or one DER CRL. Each is checked to be a readable CertificateList.</summary>
    public static bool TryParseCrls(ReadOnlySpan<byte> contents, out List<byte[]> crls, out string error)
    {
        crls = [];
        error = "";
        if (LooksLikePem(contents))
        {
            List<byte[]>? blocks = PemBlocks(contents, ["X509 CRL"], out error);
            if (blocks is null) return false;
            if (blocks.Count == 0) { error = "no X509 CRL block in the PEM file"; return false; }
            crls = blocks;
        }
        else crls = [contents.ToArray()];
        foreach (byte[] der in crls)
            if (!CrlInfo.TryParse(der, "", out _, out error)) { crls = []; return false; }
        return true;
    }

    /// <summary>
    /// An unencrypted RSA or ECDSA private key: PEM (PKCS #1, SEC1 or PKCS #8; an "EC PARAMETERS" block before the key,
    /// as <c>openssl ecparam -genkey</c> writes, is skipped) or DER in any of the three forms. Every buffer the key
    /// passes through is pinned and zeroed before returning.
    /// </summary>
    public static bool TryParsePrivateKey(ReadOnlySpan<byte> contents, out AsymmetricAlgorithm? key, out string error)
    {
        key = null;
        error = "";
        if (LooksLikePem(contents))
        {
            char[] text = GC.AllocateArray<char>(contents.Length, pinned: true);
            try
            {
                int n = Encoding.ASCII.GetChars(contents, text);
                ReadOnlySpan<char> rest = text.AsSpan(0, n);
                if (rest.IndexOf("ENCRYPTED PRIVATE KEY", StringComparison.Ordinal) >= 0
                    || rest.IndexOf("Proc-Type: 4,ENCRYPTED", StringComparison.Ordinal) >= 0)
                {
                    error = EncryptedKeyMessage;
                    return false;
                }
                while (PemEncoding.TryFind(rest, out PemFields fields))
                {
                    string label = new(rest[fields.Label]);
                    if (label is "RSA PRIVATE KEY" or "EC PRIVATE KEY" or "PRIVATE KEY")
                    {
                        ReadOnlySpan<char> base64 = rest[fields.Base64Data];
                        byte[] der = GC.AllocateArray<byte>(fields.DecodedDataLength, pinned: true);
                        try
                        {
                            if (!Convert.TryFromBase64Chars(base64, der, out int written)) { error = $"bad base64 in the {label} block"; return false; }
                            return TryImportKey(der.AsSpan(0, written), label, out key, out error);
                        }
                        finally
                        {
                            CryptographicOperations.ZeroMemory(der);
                        }
                    }
                    if (label is not ("EC PARAMETERS" or "DH PARAMETERS"))
                    {
                        error = $"a {label} block where a private key was expected";
                        return false;
                    }
                    rest = rest[fields.Location.End.GetOffset(rest.Length)..];
                }
                error = "no private key block in the PEM file";
                return false;
            }
            finally
            {
                CryptographicOperations.ZeroMemory(MemoryMarshalBytes(text));
            }
        }
        return TryImportKey(contents, null, out key, out error);
    }

    private static Span<byte> MemoryMarshalBytes(char[] chars) => System.Runtime.InteropServices.MemoryMarshal.AsBytes(chars.AsSpan());

    /// <summary>Imports a DER key; <paramref name="label"/> is the PEM label when there was one (it fixes the form).</summary>
    private static bool TryImportKey(ReadOnlySpan<byte> der, string? label, out AsymmetricAlgorithm? key, out string error)
    {
        key = null;
        string form = label switch
        {
            "RSA PRIVATE KEY" => "pkcs1",
            "EC PRIVATE KEY" => "sec1",
            "PRIVATE KEY" => "pkcs8",
            _ => DerKeyForm(der),
        };
        string? keyAlgorithm = null;
        switch (form)
        {
            case "encrypted":
                error = EncryptedKeyMessage;
                return false;
            case "pkcs8":
                keyAlgorithm = Pkcs8Algorithm(der);
                break;
            case "pkcs1" or "sec1":
                break;
            default:
                error = "not a certificate-less private key in PKCS #1, SEC1 or PKCS #8 form";
                return false;
        }
        try
        {
            switch (form, keyAlgorithm)
            {
                case ("pkcs1", _):
                {
                    var rsa = RSA.Create();
                    key = rsa;
                    rsa.ImportRSAPrivateKey(der, out int read);
                    if (read != der.Length) throw new CryptographicException("data after the key");
                    break;
                }
                case ("sec1", _):
                {
                    var ec = ECDsa.Create();
                    key = ec;
                    ec.ImportECPrivateKey(der, out int read);
                    if (read != der.Length) throw new CryptographicException("data after the key");
                    break;
                }
                case ("pkcs8", "1.2.840.113549.1.1.1"):
                {
                    var rsa = RSA.Create();
                    key = rsa;
                    rsa.ImportPkcs8PrivateKey(der, out int read);
                    if (read != der.Length) throw new CryptographicException("data after the key");
                    break;
                }
                case ("pkcs8", "1.2.840.10045.2.1"):
                {
                    var ec = ECDsa.Create();
                    key = ec;
                    ec.ImportPkcs8PrivateKey(der, out int read);
                    if (read != der.Length) throw new CryptographicException("data after the key");
                    break;
                }
                case ("pkcs8", _):
                    error = keyAlgorithm switch
                    {
                        "1.3.101.112" => "Ed25519 keys are not supported yet",
                        "1.3.101.113" => "Ed448 keys are not supported yet",
                        "1.2.840.113549.1.1.10" => "RSASSA-PSS-only keys are not supported (use an rsaEncryption key)",
                        null => "malformed PKCS #8 key",
                        _ => $"private keys of algorithm {keyAlgorithm} are not supported",
                    };
                    return false;
            }
            error = "";
            return true;
        }
        catch (CryptographicException e)
        {
            key?.Dispose();
            key = null;
            error = $"unreadable {FormName(form)} private key ({e.Message})";
            return false;
        }
    }

    private static string FormName(string form) => form switch { "pkcs1" => "PKCS #1 RSA", "sec1" => "SEC1 EC", _ => "PKCS #8" };

    /// <summary>
    /// Which of the DER key forms this is, by its first fields: PKCS #1 is SEQUENCE { 0, INTEGER n, … }, PKCS #8
    /// SEQUENCE { 0, SEQUENCE algorithm, … }, SEC1 SEQUENCE { 1, OCTET STRING, … }, an EncryptedPrivateKeyInfo
    /// SEQUENCE { SEQUENCE algorithm, OCTET STRING }.
    /// </summary>
    private static string DerKeyForm(ReadOnlySpan<byte> der)
    {
        // AsnDecoder works on the span itself: no copy of the key outside the caller's pinned buffer.
        const AsnEncodingRules ber = AsnEncodingRules.BER;
        try
        {
            AsnDecoder.ReadSequence(der, ber, out int offset, out int length, out _);
            ReadOnlySpan<byte> seq = der.Slice(offset, length);
            Asn1Tag first = Asn1Tag.Decode(seq, out _);
            if (first.HasSameClassAndValue(Asn1Tag.Sequence))
            {
                AsnDecoder.ReadEncodedValue(seq, ber, out _, out _, out int algorithmLength);
                ReadOnlySpan<byte> rest = seq[algorithmLength..];
                return rest.Length > 0 && Asn1Tag.Decode(rest, out _).HasSameClassAndValue(Asn1Tag.PrimitiveOctetString) ? "encrypted" : "unknown";
            }
            if (!AsnDecoder.TryReadInt32(seq, ber, out int version, out int versionLength) || seq.Length == versionLength) return "unknown";
            Asn1Tag second = Asn1Tag.Decode(seq[versionLength..], out _);
            if (version == 0 && second.HasSameClassAndValue(Asn1Tag.Integer)) return "pkcs1";
            if (version is 0 or 1 && second.HasSameClassAndValue(Asn1Tag.Sequence)) return "pkcs8";
            if (version == 1 && second.HasSameClassAndValue(Asn1Tag.PrimitiveOctetString)) return "sec1";
            return "unknown";
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException)
        {
            return "unknown";
        }
    }

    private static string? Pkcs8Algorithm(ReadOnlySpan<byte> der)
    {
        const AsnEncodingRules ber = AsnEncodingRules.BER;
        try
        {
            AsnDecoder.ReadSequence(der, ber, out int offset, out int length, out _);
            ReadOnlySpan<byte> seq = der.Slice(offset, length);
            AsnDecoder.ReadEncodedValue(seq, ber, out _, out _, out int versionLength);
            AsnDecoder.ReadSequence(seq[versionLength..], ber, out int algorithmOffset, out int algorithmLength, out _);
            return AsnDecoder.ReadObjectIdentifier(seq.Slice(versionLength + algorithmOffset, algorithmLength), ber, out _);
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException)
        {
            return null;
        }
    }

    /// <summary>PEM if the text begins (after white space) with a "-----BEGIN" line; DER starts with a SEQUENCE tag.</summary>
    private static bool LooksLikePem(ReadOnlySpan<byte> contents)
    {
        int i = 0;
        while (i < contents.Length && contents[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') i++;
        // A PEM file may start with explanatory text (openssl x509 -text output); DER never starts with printable text.
        return i < contents.Length && contents[i] != 0x30 && contents.IndexOf("-----BEGIN "u8) >= 0;
    }

    /// <summary>The decoded blocks with one of <paramref name="labels"/>; other blocks are skipped. Null with an error for bad base64.</summary>
    private static List<byte[]>? PemBlocks(ReadOnlySpan<byte> contents, string[] labels, out string error)
    {
        error = "";
        var blocks = new List<byte[]>();
        ReadOnlySpan<char> rest = Encoding.ASCII.GetString(contents);
        while (PemEncoding.TryFind(rest, out PemFields fields))
        {
            string label = new(rest[fields.Label]);
            if (labels.Contains(label))
            {
                var der = new byte[fields.DecodedDataLength];
                if (!Convert.TryFromBase64Chars(rest[fields.Base64Data], der, out int written)) { error = $"bad base64 in a {label} block"; return null; }
                blocks.Add(der[..written]);
            }
            rest = rest[fields.Location.End.GetOffset(rest.Length)..];
        }
        return blocks;
    }

    private static void Dispose(List<X509Certificate2> certificates)
    {
        foreach (X509Certificate2 c in certificates) c.Dispose();
        certificates.Clear();
    }
}
