using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Portcullis.Core.Config;
using Portcullis.Core.Crypto.Signatures;
using Portcullis.Core.Ikev1;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Pki;
using Portcullis.Core.Tests.Ikev2;
using Portcullis.Core.Tests.Pki;
using static Portcullis.Core.Tests.Ikev2.EnginePair;

namespace Portcullis.Core.Tests.Ikev1;

/// <summary>IKEv1 Main Mode with RSA signatures (RFC 2409 §5.1): certificates, CERTREQ, SIG_I and SIG_R.</summary>
public class Ikev1CertificateTests
{
    private static ConnectionConfig Conn(bool left, string? remoteId, bool aggressive = false)
    {
        ConnectionConfig c = Ikev1Pair.Connection(left, aggressive: aggressive);
        return new ConnectionConfig
        {
            Name = c.Name, Version = 1, Location = c.Location, LocalAddrs = c.LocalAddrs, RemoteAddrs = c.RemoteAddrs, Proposals = c.Proposals,
            Aggressive = aggressive, Children = c.Children,
            Local = new AuthConfig { Auth = "pubkey", Id = Id(left ? "@client.example" : "@server.example") },
            Remote = new AuthConfig { Auth = "pubkey", Id = remoteId is null ? null : Id(remoteId) },
        };
    }

    private static Issued Ca(string dn = "CN=Test CA, O=Portcullis Test, C=CH", KeyKind kind = KeyKind.Rsa2048) => TestPki.Root(dn, kind);

    private static Issued Leaf(Issued ca, string dn, string dns, KeyKind kind = KeyKind.Rsa2048) => TestPki.Issue(ca, dn, kind, dns: [dns]);

    private static EnginePair CertPair(Issued ca, Issued? leftCert = null, bool aggressive = false, KeyKind kind = KeyKind.Rsa2048)
    {
        Issued left = leftCert ?? Leaf(ca, "CN=client.example, O=Portcullis Test", "client.example", kind);
        Issued right = Leaf(ca, "CN=server.example, O=Portcullis Test", "server.example", kind);
        var pair = new EnginePair(new PortcullisConfig { Connections = [Conn(true, "@server.example", aggressive)], Secrets = [] },
            new PortcullisConfig { Connections = [Conn(false, null, aggressive)], Secrets = [] }) { Now = TestPki.Now };
        pair.Left.Credentials = CredentialStore.FromItems([ca.Cert], [left.Cert], [left.Key], []);
        pair.Right.Credentials = CredentialStore.FromItems([ca.Cert], [right.Cert], [right.Key], []);
        return pair;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RSA_signatures_authenticate_both_sides(bool aggressive)
    {
        EnginePair pair = CertPair(Ca(), aggressive: aggressive);
        pair.Establish();
        Assert.Single(pair.Events<ChildSaInstalled>(Side.Left));
        Assert.Single(pair.Events<ChildSaInstalled>(Side.Right));
        IsakmpSa r = Assert.Single(pair.Right.Ikev1.Sas), l = Assert.Single(pair.Left.Ikev1.Sas);
        Assert.Contains("CN=client.example", r.RemoteCertificate!.Subject);
        Assert.Contains("CN=server.example", l.RemoteCertificate!.Subject);
        Assert.Equal("client.example", r.RemoteId!.ToString());
        // Each asked for the other's certificate, so each sent it with its signature.
        string idProof = aggressive ? "CERT SIG" : "[ID CERT SIG";
        Assert.Contains(pair.LeftLog.Lines, x => x.Text.Contains("sending ") && x.Text.Contains(idProof));
        Assert.Contains(pair.RightLog.Lines, x => x.Text.Contains("sending ") && x.Text.Contains(idProof));
        Assert.Empty(pair.LeftLog.Warnings);
        Assert.Empty(pair.RightLog.Warnings);
    }

    [Fact]
    public void A_certificate_from_another_CA_is_refused()
    {
        Issued other = Ca("CN=Other CA, O=Elsewhere");
        EnginePair pair = CertPair(Ca(), Leaf(other, "CN=client.example, O=Portcullis Test", "client.example"));
        pair.Establish();
        Assert.Contains(pair.RightLog.Warnings, w => w.Contains("authentication of 'client.example' failed"));
        Assert.Contains(pair.LeftLog.Warnings, w => w.Contains("AUTHENTICATION_FAILED"));
        Assert.Empty(pair.Events<ChildSaInstalled>(Side.Left));
        Assert.Empty(pair.Right.Ikev1.Sas);
    }

    [Fact]
    public void An_ECDSA_certificate_is_not_usable_for_IKEv1_signatures_and_the_log_says_so()
    {
        EnginePair pair = CertPair(Ca(kind: KeyKind.P256), kind: KeyKind.P256);
        pair.Establish();
        Assert.Contains(pair.LeftLog.Warnings.Concat(pair.LeftLog.Lines.Select(l => l.Text)), w => w.Contains("IKEv1 signs with RSA only"));
        Assert.Empty(pair.Events<ChildSaInstalled>(Side.Left));
    }

    [Fact]
    public void The_raw_PKCS1_signature_verifies_and_detects_changes()
    {
        using RSA key = RSA.Create(2048);
        byte[] hash = SHA256.HashData("HASH_I"u8);
        byte[] sig = RsaPkcs1NullSignature.Sign(key, hash);
        Assert.Equal(256, sig.Length);
        Assert.True(RsaPkcs1NullSignature.Verify(key, hash, sig));
        hash[0] ^= 1;
        Assert.False(RsaPkcs1NullSignature.Verify(key, hash, sig));
        Assert.False(RsaPkcs1NullSignature.Verify(key, hash, sig.AsSpan(1)));
    }

    [OpenSslFact]
    public void The_raw_PKCS1_signature_is_what_openssl_recovers_with_pkcs1_padding()
    {
        string dir = Directory.CreateTempSubdirectory("portcullis-ikev1-sig-").FullName;
        try
        {
            using RSA key = RSA.Create(2048);
            byte[] hash = SHA1.HashData("HASH_R"u8);
            File.WriteAllText(Path.Combine(dir, "pub.pem"), key.ExportSubjectPublicKeyInfoPem());
            File.WriteAllBytes(Path.Combine(dir, "sig"), RsaPkcs1NullSignature.Sign(key, hash));
            OpenSsl.Ok(dir, "pkeyutl", "-verifyrecover", "-pubin", "-inkey", "pub.pem", "-pkeyopt", "rsa_padding_mode:pkcs1", "-in", "sig", "-out", "recovered");
            Assert.Equal(hash, File.ReadAllBytes(Path.Combine(dir, "recovered")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
