using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Portcullis.Core.Config;
using Portcullis.Core.Ikev2.Wire;
using Portcullis.Core.Pki;
using static Portcullis.Core.Tests.Pki.TestPki;

namespace Portcullis.Core.Tests.Pki;

/// <summary>Loading a swanctl directory: each folder, PEM and DER, every key form, and a ConfigError naming each bad file.</summary>
public sealed class CredentialStoreLoadTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "portcullis-pki-test-" + Guid.NewGuid().ToString("N"));

    public CredentialStoreLoadTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string relative, byte[] contents)
    {
        string path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, contents);
        return path;
    }

    private string Write(string relative, string text) => Write(relative, Encoding.ASCII.GetBytes(text));

    private static string Pem(string label, byte[] der) => new string(PemEncoding.Write(label, der)) + "\n";

    [Fact]
    public void A_missing_or_empty_directory_loads_nothing_and_no_error()
    {
        var errors = new List<ConfigError>();
        using CredentialStore store = CredentialStore.Load(Path.Combine(_dir, "nowhere"), errors);
        Assert.Empty(errors);
        Assert.Empty(store.CaCertificates);
        Assert.Empty(store.Certificates);
        using CredentialStore empty = CredentialStore.Load(_dir, errors);
        Assert.Empty(errors);
    }

    [Fact]
    public void Every_folder_and_form_loads()
    {
        Issued root = Root("C=CH, O=Portcullis Test, CN=Root CA", KeyKind.Rsa2048);
        Issued other = Root("CN=Other Root");
        Issued inter = Issue(root, "C=CH, O=Portcullis Test, CN=Intermediate CA", ca: true);
        Issued rsa = Issue(root, "CN=rsa.example", KeyKind.Rsa2048, dns: ["rsa.example"]);
        Issued ec = Issue(inter, "CN=ec.example", KeyKind.P384, dns: ["ec.example"]);
        Issued ec8 = Issue(root, "CN=ec8.example", KeyKind.P256, dns: ["ec8.example"]);
        Issued rsaDer = Issue(root, "CN=rsader.example", KeyKind.Rsa2048);
        Issued ecDer = Issue(root, "CN=ecder.example", KeyKind.P256);
        Issued pkcs8Der = Issue(root, "CN=pkcs8der.example", KeyKind.P521);

        // x509ca: a PEM bundle of two CAs, and a DER one.
        Write("x509ca/caCert.pem", root.Pem + other.Pem);
        Write("x509ca/interCert.der", inter.Cert.RawData);
        // x509: PEM (with openssl's explanatory text before the block) and DER.
        Write("x509/rsaCert.pem", "Certificate:\n    Data: ...\n" + rsa.Pem);
        Write("x509/ecCert.der", ec.Cert.RawData);
        Write("x509/ec8Cert.pem", ec8.Pem);
        Write("x509/rsaDer.pem", rsaDer.Pem);
        Write("x509/ecDer.pem", ecDer.Pem);
        Write("x509/pkcs8Der.pem", pkcs8Der.Pem);
        // Keys: PKCS #1, SEC1 (with openssl ecparam's EC PARAMETERS block first), PKCS #8, in PEM and DER.
        Write("private/rsaKey.pem", ((RSA)rsa.Key).ExportRSAPrivateKeyPem());
        Write("private/ecKey.pem", "-----BEGIN EC PARAMETERS-----\nBgUrgQQAIg==\n-----END EC PARAMETERS-----\n" + ((ECDsa)ec.Key).ExportECPrivateKeyPem());
        Write("pkcs8/ec8Key.pem", ec8.Key.ExportPkcs8PrivateKeyPem());
        Write("rsa/rsaKey.der", ((RSA)rsaDer.Key).ExportRSAPrivateKey());
        Write("ecdsa/ecKey.der", ((ECDsa)ecDer.Key).ExportECPrivateKey());
        Write("private/pkcs8.der", pkcs8Der.Key.ExportPkcs8PrivateKey());
        // CRLs in PEM and DER.
        Write("x509crl/root.crl", Pem("X509 CRL", Crl(root, [rsaDer.Cert])));
        Write("x509crl/inter.der", Crl(inter, []));

        var errors = new List<ConfigError>();
        using CredentialStore store = CredentialStore.Load(_dir, errors);
        Assert.Empty(errors);
        Assert.Equal(["C=CH, O=Portcullis Test, CN=Root CA", "CN=Other Root", "C=CH, O=Portcullis Test, CN=Intermediate CA"],
            store.CaCertificates.Select(c => CertificateIdentity.FormatDistinguishedName(c.SubjectName.RawData)));
        Assert.Equal(6, store.Certificates.Count);
        Assert.Equal(6, store.PrivateKeyCount);
        Assert.Equal(2, store.CrlCount);

        foreach (Issued own in (Issued[])[rsa, ec, ec8, rsaDer, ecDer, pkcs8Der])
        {
            X509Certificate2 loaded = store.Certificates.Single(c => c.RawData.AsSpan().SequenceEqual(own.Cert.RawData));
            AsymmetricAlgorithm? key = store.FindPrivateKey(loaded);
            Assert.NotNull(key);
            Assert.Equal(own.Key is RSA, key is RSA);
            // The key found signs what the certificate's public key verifies.
            byte[] data = [1, 2, 3];
            if (key is RSA r) Assert.True(loaded.GetRSAPublicKey()!.VerifyData(data, r.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
            else Assert.True(loaded.GetECDsaPublicKey()!.VerifyData(data, ((ECDsa)key!).SignData(data, HashAlgorithmName.SHA256), HashAlgorithmName.SHA256));
        }

        Assert.Equal(rsa.Cert.RawData, store.FindCertificate("rsaCert.pem")!.RawData);
        Assert.Equal(ec.Cert.RawData, store.FindCertificate(Path.Combine(_dir, "x509", "ecCert.der"))!.RawData);
        Assert.Null(store.FindCertificate("missing.pem"));
        Assert.Equal(inter.Cert.RawData, store.FindCaCertificate("interCert.der")!.RawData);
        Assert.Equal(root.Cert.RawData, store.FindCaCertificate("caCert.pem")!.RawData); // the first of the bundle
        Assert.Null(store.FindCaCertificate("rsaCert.pem"));

        // The loaded CAs and CRLs are what validation uses.
        Assert.True(store.Validate(ec.Cert, [], null, Now).Ok);
        Assert.Equal(CertificateProblem.Revoked, store.Validate(rsaDer.Cert, [], null, Now).Problem);
    }

    [Fact]
    public void An_absolute_path_outside_the_folders_is_read_on_first_use()
    {
        Issued root = Root("CN=Root CA");
        string path = Write("elsewhere/peer.pem", root.Pem);
        var errors = new List<ConfigError>();
        using CredentialStore store = CredentialStore.Load(_dir, errors);
        Assert.Empty(store.CaCertificates);
        Assert.Equal(root.Cert.RawData, store.FindCaCertificate(path)!.RawData);
        Assert.Same(store.FindCaCertificate(path), store.FindCaCertificate(path));
        Assert.Null(store.FindCertificate(Path.Combine(_dir, "elsewhere", "none.pem")));
    }

    [Fact]
    public void Each_bad_file_is_an_error_naming_it_and_the_rest_loads()
    {
        Issued root = Root("CN=Root CA");
        Issued ee = Issue(root, "CN=ok.example");
        using ECDsa ecKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Write("x509ca/caCert.pem", root.Pem);
        Write("x509/ok.pem", ee.Pem);
        string garbage = Write("x509/garbage.pem", "this is not a certificate\n");
        string truncated = Write("x509/truncated.der", ee.Cert.RawData[..200]);
        string noBlock = Write("x509/key-not-cert.pem", ecKey.ExportECPrivateKeyPem());
        string encrypted = Write("private/encrypted.pem",
            ecKey.ExportEncryptedPkcs8PrivateKeyPem("secret", new PbeParameters(PbeEncryptionAlgorithm.Aes128Cbc, HashAlgorithmName.SHA256, 1000)));
        string encryptedDer = Write("pkcs8/encrypted.der",
            ecKey.ExportEncryptedPkcs8PrivateKey("secret", new PbeParameters(PbeEncryptionAlgorithm.Aes128Cbc, HashAlgorithmName.SHA256, 1000)));
        string legacy = Write("rsa/legacy.pem",
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\nAAAA\n-----END RSA PRIVATE KEY-----\n");
        string ecInRsa = Write("rsa/ec.pem", ecKey.ExportECPrivateKeyPem());
        string notKey = Write("private/cert.pem", ee.Pem);
        string badCrl = Write("x509crl/bad.crl", "-----BEGIN X509 CRL-----\nMAMCAQA=\n-----END X509 CRL-----\n");
        string p12 = Write("pkcs12/bundle.p12", [1, 2, 3]);
        // An Ed25519 PKCS #8 key (RFC 8410 §10.3's example).
        string ed25519 = Write("private/ed25519.pem",
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n-----END PRIVATE KEY-----\n");
        Write("private/good.pem", ecKey.ExportPkcs8PrivateKeyPem());

        var errors = new List<ConfigError>();
        using CredentialStore store = CredentialStore.Load(_dir, errors);
        Assert.Single(store.CaCertificates);
        Assert.Single(store.Certificates);
        Assert.Equal(1, store.PrivateKeyCount);

        void Expect(string path, string message)
        {
            ConfigError e = Assert.Single(errors, e => e.File == path);
            Assert.Equal(0, e.Line);
            Assert.Contains(message, e.Message);
            Assert.StartsWith(path + ": ", e.ToString());
        }
        Expect(garbage, "");
        Expect(truncated, "malformed certificate");
        Expect(noBlock, "no CERTIFICATE block");
        Expect(encrypted, "encrypted private keys are not supported yet");
        Expect(encryptedDer, "encrypted private keys are not supported yet");
        Expect(legacy, "encrypted private keys are not supported yet");
        Expect(ecInRsa, "not an RSA key");
        Expect(notKey, "a CERTIFICATE block where a private key was expected");
        Expect(badCrl, "malformed CRL");
        Expect(p12, "PKCS #12 containers (pkcs12/) are not supported by Portcullis yet");
        Expect(ed25519, "Ed25519 keys are not supported yet");
        Assert.Equal(11, errors.Count);
    }

    [Fact]
    public void CERTREQ_hashes_are_SHA1_of_each_CAs_SubjectPublicKeyInfo_and_map_back()
    {
        Issued a = Root("CN=A"), b = Root("CN=B", KeyKind.Rsa2048), c = Root("CN=C");
        using var store = CredentialStore.FromItems([a.Cert, b.Cert], [], [], []);
        IReadOnlyList<byte[]> all = store.CertificateAuthorityHashes(null);
        Assert.Equal([SHA1.HashData(a.Cert.PublicKey.ExportSubjectPublicKeyInfo()), SHA1.HashData(b.Cert.PublicKey.ExportSubjectPublicKeyInfo())], all);
        Assert.Equal([all[1]], store.CertificateAuthorityHashes([b.Cert, b.Cert]));
        Assert.Equal(SHA1.HashData(c.Cert.PublicKey.ExportSubjectPublicKeyInfo()), Assert.Single(store.CertificateAuthorityHashes([c.Cert])));

        // What we send comes back to us through a parsed CERTREQ; unknown hashes and a trailing fragment are ignored.
        var req = CertReqPayload.X509([new byte[20], all[1], SHA1.HashData(c.Cert.PublicKey.ExportSubjectPublicKeyInfo())]);
        Assert.Equal([b.Cert], store.CasMatching(req.CertificationAuthority));
        Assert.Equal([b.Cert, a.Cert], store.CasMatching([.. all[1], .. all[0], .. all[0], 1, 2, 3])); // in the CERTREQ's order
        Assert.Empty(store.CasMatching([]));
    }

    [Fact]
    public void Parser_functions_work_on_bytes_without_files()
    {
        Issued root = Root("CN=Root CA");
        Assert.True(CredentialParser.TryParseCertificates(Encoding.ASCII.GetBytes(root.Pem + root.Pem), out List<X509Certificate2> two, out _));
        Assert.Equal(2, two.Count);
        Assert.True(CredentialParser.TryParseCertificates(root.Cert.RawData, out List<X509Certificate2> one, out _));
        Assert.Single(one);
        Assert.False(CredentialParser.TryLoadCertificate([0x30, 0x03, 0x02, 0x01, 0x00], out _, out string error));
        Assert.Contains("malformed certificate", error);
        Assert.False(CredentialParser.TryLoadCertificate([], out _, out _));
        Assert.False(CredentialParser.TryParsePrivateKey([], out _, out _));
        Assert.False(CredentialParser.TryParsePrivateKey(RandomNumberGenerator.GetBytes(100), out _, out _));
        Assert.True(CredentialParser.TryParseCrls(Crl(root, []), out List<byte[]> crls, out _));
        Assert.Single(crls);
        // Every prefix of a certificate is refused without an exception.
        for (int cut = 0; cut < root.Cert.RawData.Length; cut += 7)
            Assert.False(CredentialParser.TryLoadCertificate(root.Cert.RawData.AsSpan(0, cut), out _, out _));
    }
}
