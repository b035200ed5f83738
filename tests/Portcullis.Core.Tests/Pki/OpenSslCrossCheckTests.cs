using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Portcullis.Core.Config;
using Portcullis.Core.Crypto.Signatures;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Ikev2.Wire;
using Portcullis.Core.Pki;
using static Portcullis.Core.Tests.Pki.TestPki;

namespace Portcullis.Core.Tests.Pki;

/// <summary>A fact that needs the <c>openssl</c> command; skipped, saying so, when it is not on PATH.</summary>
public sealed class OpenSslFactAttribute : FactAttribute
{
    public OpenSslFactAttribute()
    {
        if (OpenSsl.Path is null) Skip = "openssl is not on PATH: the third-party cross-check of certificates and signatures cannot run";
    }
}

/// <summary>A theory that needs the <c>openssl</c> command; skipped, saying so, when it is not on PATH.</summary>
public sealed class OpenSslTheoryAttribute : TheoryAttribute
{
    public OpenSslTheoryAttribute()
    {
        if (OpenSsl.Path is null) Skip = "openssl is not on PATH: the third-party cross-check of signatures cannot run";
    }
}

internal static class OpenSsl
{
    public static readonly string? Path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
        .Select(d => System.IO.Path.Combine(d, "openssl")).FirstOrDefault(File.Exists);

    public static (int Exit, string Output) Run(string directory, params string[] args)
    {
        var start = new ProcessStartInfo(Path!) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) start.ArgumentList.Add(a);
        using Process p = Process.Start(start)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output);
    }

    public static string Ok(string directory, params string[] args)
    {
        (int exit, string output) = Run(directory, args);
        Assert.True(exit == 0, $"openssl {string.Join(' ', args)}: exit {exit}: {output}");
        return output;
    }
}

/// <summary>
/// An independent check against OpenSSL's command line: our verdicts on chains and CRLs agree with
/// <c>openssl verify</c>, our AUTH signatures verify with <c>openssl dgst</c>, and keys and certificates that
/// <c>openssl genrsa/ecparam/req/x509</c> wrote load, match and sign here.
/// </summary>
public sealed class OpenSslCrossCheckTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "portcullis-openssl-test-" + Guid.NewGuid().ToString("N"));

    public OpenSslCrossCheckTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string File(string name, string text)
    {
        System.IO.File.WriteAllText(Path.Combine(_dir, name), text);
        return name;
    }

    private string File(string name, byte[] bytes)
    {
        System.IO.File.WriteAllBytes(Path.Combine(_dir, name), bytes);
        return name;
    }

    [OpenSslFact]
    public void Chain_and_CRL_verdicts_agree_with_openssl_verify()
    {
        Issued root = Root("C=CH, O=Portcullis Test, CN=Root CA", KeyKind.Rsa2048);
        Issued inter = Issue(root, "C=CH, O=Portcullis Test, CN=Intermediate CA", KeyKind.P384, ca: true);
        Issued carol = Issue(inter, "C=CH, O=Portcullis Test, CN=carol", KeyKind.Rsa2048, eku: ["1.3.6.1.5.5.7.3.2"], emails: ["carol@example.org"]);
        Issued dave = Issue(inter, "C=CH, O=Portcullis Test, CN=dave", KeyKind.P256, emails: ["dave@example.org"]);
        byte[] crl = Crl(inter, [dave.Cert]);
        File("root.pem", root.Pem);
        File("inter.pem", inter.Pem);
        File("carol.pem", carol.Pem);
        File("dave.pem", dave.Pem);
        File("crl.pem", new string(PemEncoding.Write("X509 CRL", crl)) + "\n" + new string(PemEncoding.Write("X509 CRL", Crl(root, []))) + "\n");
        string at = Now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

        using CredentialStore store = CredentialStore.FromItems([root.Cert], [], [], [crl, Crl(root, [])]);
        Assert.True(store.Validate(carol.Cert, [inter.Cert], null, Now).Ok);
        Assert.Contains("OK", OpenSsl.Ok(_dir, "verify", "-attime", at, "-CAfile", "root.pem", "-untrusted", "inter.pem", "-CRLfile", "crl.pem", "-crl_check_all", "carol.pem"));

        Assert.Equal(CertificateProblem.Revoked, store.Validate(dave.Cert, [inter.Cert], null, Now).Problem);
        (int exit, string output) = OpenSsl.Run(_dir, "verify", "-attime", at, "-CAfile", "root.pem", "-untrusted", "inter.pem", "-CRLfile", "crl.pem", "-crl_check_all", "dave.pem");
        Assert.NotEqual(0, exit);
        Assert.Contains("certificate revoked", output);

        // After the end entity's notAfter both say expired.
        DateTimeOffset later = Until.AddDays(1);
        Assert.Equal(CertificateProblem.Expired, store.Validate(carol.Cert, [inter.Cert], null, later).Problem);
        (exit, output) = OpenSsl.Run(_dir, "verify", "-attime", later.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-CAfile", "root.pem", "-untrusted", "inter.pem", "carol.pem");
        Assert.NotEqual(0, exit);
        Assert.Contains("certificate has expired", output);
    }

    public static TheoryData<KeyKind, bool> Signers() => new()
    {
        { KeyKind.Rsa2048, false }, { KeyKind.Rsa2048, true }, { KeyKind.Rsa3072, false }, { KeyKind.P256, false }, { KeyKind.P384, false }, { KeyKind.P521, false },
    };

    [OpenSslTheory]
    [MemberData(nameof(Signers))]
    public void Our_RFC_7427_AUTH_signature_verifies_with_openssl_dgst(KeyKind kind, bool pss)
    {
        Issued signer = Issue(Root("CN=Root CA"), "CN=signer", kind);
        byte[] octets = RandomNumberGenerator.GetBytes(700);
        AuthPayload auth = SignatureAuthentication.Sign(signer.Key, octets, [2, 3, 4], pss, out SignatureScheme scheme);
        byte[] signature = auth.Data[(1 + auth.Data[0])..].ToArray(); // after the length byte and the AlgorithmIdentifier
        File("octets.bin", octets);
        File("sig.bin", signature);
        File("pub.pem", new string(PemEncoding.Write("PUBLIC KEY", signer.Cert.PublicKey.ExportSubjectPublicKeyInfo())));
        string digest = "-" + scheme.Hash.Name!.ToLowerInvariant();
        string[] args = pss
            ? ["dgst", digest, "-verify", "pub.pem", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest", "-signature", "sig.bin", "octets.bin"]
            : ["dgst", digest, "-verify", "pub.pem", "-signature", "sig.bin", "octets.bin"];
        Assert.Contains("Verified OK", OpenSsl.Ok(_dir, args));
        octets[0] ^= 1;
        File("octets.bin", octets);
        Assert.NotEqual(0, OpenSsl.Run(_dir, args).Exit);
    }

    [OpenSslFact]
    public void Credentials_written_by_openssl_load_match_validate_and_sign()
    {
        // A CA and two end entities with the key forms openssl writes: PKCS #1 (-traditional), SEC1 with EC PARAMETERS, PKCS #8.
        Directory.CreateDirectory(Path.Combine(_dir, "swanctl", "x509ca"));
        Directory.CreateDirectory(Path.Combine(_dir, "swanctl", "x509"));
        Directory.CreateDirectory(Path.Combine(_dir, "swanctl", "private"));
        OpenSsl.Ok(_dir, "genrsa", "-traditional", "-out", "swanctl/private/caKey.pem", "2048");
        OpenSsl.Ok(_dir, "req", "-x509", "-new", "-key", "swanctl/private/caKey.pem", "-subj", "/C=CH/O=Portcullis Test/CN=OpenSSL Root CA", "-days", "30",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", "swanctl/x509ca/caCert.pem");
        OpenSsl.Ok(_dir, "ecparam", "-name", "secp384r1", "-genkey", "-out", "swanctl/private/serverKey.pem");
        OpenSsl.Ok(_dir, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "swanctl/private/clientKey.pem");
        File("server.ext", "subjectAltName=DNS:server.example,IP:192.0.2.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n");
        File("client.ext", "subjectAltName=email:client@example.org\nextendedKeyUsage=codeSigning\n");
        foreach ((string name, string subject) in (ReadOnlySpan<(string, string)>)[("server", "/C=CH/O=Portcullis Test/CN=server.example"), ("client", "/C=CH/O=Portcullis Test/CN=client@example.org")])
        {
            OpenSsl.Ok(_dir, "req", "-new", "-key", $"swanctl/private/{name}Key.pem", "-subj", subject, "-out", $"{name}.csr");
            OpenSsl.Ok(_dir, "x509", "-req", "-in", $"{name}.csr", "-CA", "swanctl/x509ca/caCert.pem", "-CAkey", "swanctl/private/caKey.pem", "-set_serial",
                name == "server" ? "10" : "11", "-days", "20", "-extfile", $"{name}.ext", "-out", $"swanctl/x509/{name}Cert.pem");
        }

        var errors = new List<ConfigError>();
        using CredentialStore store = CredentialStore.Load(Path.Combine(_dir, "swanctl"), errors);
        Assert.Empty(errors);
        Assert.Equal(3, store.PrivateKeyCount);
        Assert.True(Identity.TryParse("C=CH, O=Portcullis Test, CN=server.example", out Identity? serverDn, out _));
        Assert.True(Identity.TryParse("server.example", out Identity? serverFqdn, out _));
        Assert.True(Identity.TryParse("client@example.org", out Identity? clientEmail, out _));
        X509Certificate2 server = store.FindCertificateFor(serverFqdn!)!;
        Assert.Same(server, store.FindCertificate("serverCert.pem"));
        Assert.Same(server, store.FindCertificateFor(serverDn!));
        Assert.True(CertificateIdentity.Matches(server, Identity.FromAddress(System.Net.IPAddress.Parse("192.0.2.1"))));
        X509Certificate2 client = store.FindCertificateFor(clientEmail!)!;
        Assert.NotNull(client);

        DateTimeOffset now = DateTimeOffset.UtcNow;
        Assert.True(store.Validate(server, [], null, now).Ok);
        CertificateValidation wrongEku = store.Validate(client, [], null, now);
        Assert.Equal(CertificateProblem.WrongEku, wrongEku.Problem);
        Assert.Contains("codeSigning", wrongEku.Message);

        // Our signature with the openssl-made keys verifies against the openssl-made certificates, with openssl too.
        foreach ((X509Certificate2 cert, string name) in (ReadOnlySpan<(X509Certificate2, string)>)[(server, "server"), (client, "client")])
        {
            AsymmetricAlgorithm key = store.FindPrivateKey(cert)!;
            byte[] octets = RandomNumberGenerator.GetBytes(300);
            AuthPayload auth = SignatureAuthentication.Sign(key, octets, [2, 3, 4], out SignatureScheme scheme);
            Assert.True(SignatureAuthentication.Verify(cert, auth, octets, out string detail), detail);
            File("octets.bin", octets);
            File("sig.bin", auth.Data[(1 + auth.Data[0])..].ToArray());
            OpenSsl.Ok(_dir, "x509", "-in", $"swanctl/x509/{name}Cert.pem", "-pubkey", "-noout", "-out", "pub.pem");
            Assert.Contains("Verified OK", OpenSsl.Ok(_dir, "dgst", "-" + scheme.Hash.Name!.ToLowerInvariant(), "-verify", "pub.pem", "-signature", "sig.bin", "octets.bin"));
        }
    }
}
