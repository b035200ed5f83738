using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Portcullis.Core.Pki;
using static Portcullis.Core.Tests.Pki.TestPki;

namespace Portcullis.Core.Tests.Pki;

/// <summary>Path building and checking (RFC 5280 §6 as IKE needs it, strongSwan's rules): every <see cref="CertificateProblem"/>, CRLs, cacerts.</summary>
public class ChainValidationTests
{
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";

    private static CredentialStore Store(Issued[] cas, params byte[][] crls) => CredentialStore.FromItems(cas.Select(c => c.Cert), [], [], crls);

    private static void AssertProblem(CertificateValidation v, CertificateProblem problem, params string[] inMessage)
    {
        Assert.True(v.Problem == problem, $"expected {problem}, got {v.Problem}: {v.Message}");
        Assert.Equal(problem == CertificateProblem.None, v.Ok);
        foreach (string s in inMessage) Assert.Contains(s, v.Message);
    }

    [Theory]
    [InlineData(KeyKind.P256, KeyKind.P256)]
    [InlineData(KeyKind.P384, KeyKind.Rsa2048)]
    [InlineData(KeyKind.Rsa2048, KeyKind.P384)]
    [InlineData(KeyKind.Rsa3072, KeyKind.Rsa2048)]
    public void Chain_through_a_received_intermediate_to_a_trusted_root(KeyKind caKey, KeyKind eeKey)
    {
        Issued root = Root("C=CH, O=Portcullis Test, CN=Root CA", caKey);
        Issued inter = Issue(root, "C=CH, O=Portcullis Test, CN=Intermediate CA", caKey, ca: true);
        Issued ee = Issue(inter, "C=CH, O=Portcullis Test, CN=carol", eeKey, eku: [ServerAuth]);
        using CredentialStore store = Store([root]);

        CertificateValidation v = store.Validate(ee.Cert, [inter.Cert], null, Now);
        AssertProblem(v, CertificateProblem.None, "\"C=CH, O=Portcullis Test, CN=carol\"", "Intermediate CA", "Root CA");
        Assert.Equal([ee.Cert, inter.Cert, root.Cert], v.Chain);

        // Without the intermediate the root cannot be reached.
        AssertProblem(store.Validate(ee.Cert, [], null, Now), CertificateProblem.UnknownCa,
            "no trusted CA for \"C=CH, O=Portcullis Test, CN=carol\" issued by \"C=CH, O=Portcullis Test, CN=Intermediate CA\"");
    }

    [Fact]
    public void An_intermediate_from_x509ca_completes_the_chain_too()
    {
        Issued root = Root("CN=Root CA");
        Issued inter = Issue(root, "CN=Intermediate CA", ca: true);
        Issued ee = Issue(inter, "CN=carol");
        using CredentialStore store = Store([root, inter]);
        CertificateValidation v = store.Validate(ee.Cert, [], null, Now);
        AssertProblem(v, CertificateProblem.None);
        Assert.Equal(3, v.Chain.Count);
        Assert.Equal([inter.Cert], store.IntermediatesFor(ee.Cert));
        Assert.Empty(store.IntermediatesFor(inter.Cert));
    }

    [Fact]
    public void A_CA_certificate_presented_as_the_end_entity_is_not_its_own_issuer()
    {
        Issued root = Root("CN=Root CA");
        Issued inter = Issue(root, "CN=Intermediate CA", ca: true);
        using CredentialStore store = Store([root, inter]);
        // The intermediate, sent as an end entity, chains to the root (the trusted copy of itself is not its issuer).
        CertificateValidation v = store.Validate(inter.Cert, [], null, Now);
        AssertProblem(v, CertificateProblem.None);
        Assert.Equal([inter.Cert, root.Cert], v.Chain);
        // A self-signed root offered as an end entity has no issuer but itself.
        AssertProblem(store.Validate(root.Cert, [], null, Now), CertificateProblem.UnknownCa);
    }

    [Fact]
    public void Unknown_CA_names_the_issuer()
    {
        Issued root = Root("CN=Our Root");
        Issued other = Root("CN=Foo CA");
        Issued ee = Issue(other, "CN=mallory");
        using CredentialStore store = Store([root]);
        CertificateValidation v = store.Validate(ee.Cert, [], null, Now);
        AssertProblem(v, CertificateProblem.UnknownCa, "no trusted CA for \"CN=mallory\" issued by \"CN=Foo CA\"");
        Assert.Equal([ee.Cert], v.Chain);
        // The peer sending the foreign root does not make it trusted.
        AssertProblem(store.Validate(ee.Cert, [other.Cert], null, Now), CertificateProblem.UnknownCa, "\"CN=Foo CA\"");
        AssertProblem(CredentialStore.Empty.Validate(ee.Cert, [], null, Now), CertificateProblem.UnknownCa);
    }

    [Fact]
    public void A_CA_of_the_same_name_with_another_key_is_a_bad_signature()
    {
        Issued root = Root("CN=Example CA");
        Issued impostor = Root("CN=Example CA");
        // No key identifiers, so only the signature tells the two apart.
        Issued ee = Issue(impostor, "CN=carol", extra: []);
        Issued plain = IssueWithoutKeyIds(impostor, "CN=carol");
        using CredentialStore store = Store([root]);
        AssertProblem(store.Validate(plain.Cert, [], null, Now), CertificateProblem.BadSignature,
            "certificate \"CN=carol\" is not signed by trusted CA \"CN=Example CA\"", "does not verify");
        // With the authorityKeyIdentifier the impostor's certificate does not even name our CA.
        AssertProblem(store.Validate(ee.Cert, [], null, Now), CertificateProblem.UnknownCa);
    }

    private static Issued IssueWithoutKeyIds(Issued issuer, string dn)
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest(Dn(dn), key, HashAlgorithmName.SHA256);
        X509Certificate2 cert = req.Create(issuer.Cert.SubjectName, X509SignatureGenerator.CreateForECDsa((ECDsa)issuer.Key), From, Until, [7, 7]);
        return new Issued(cert, key);
    }

    [Fact]
    public void A_tampered_certificate_is_a_bad_signature()
    {
        Issued root = Root("CN=Root CA");
        Issued ee = Issue(root, "CN=carol", dns: ["carol.example"]);
        byte[] der = ee.Cert.RawData;
        int at = der.AsSpan().IndexOf("carol.example"u8);
        der[at] = (byte)'k';
        using X509Certificate2 tampered = X509CertificateLoader.LoadCertificate(der);
        using CredentialStore store = Store([root]);
        AssertProblem(store.Validate(tampered, [], null, Now), CertificateProblem.BadSignature, "\"CN=carol\"");
    }

    [Fact]
    public void Expired_and_not_yet_valid_name_the_certificate_and_the_date()
    {
        Issued root = Root("CN=Root CA");
        Issued old = Issue(root, "C=CH, O=Example, CN=moon.example", notBefore: From.AddYears(-2), notAfter: new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Issued future = Issue(root, "CN=sun", notBefore: new DateTimeOffset(2026, 7, 1, 6, 30, 0, TimeSpan.Zero));
        using CredentialStore store = Store([root]);
        AssertProblem(store.Validate(old.Cert, [], null, Now), CertificateProblem.Expired,
            "certificate \"C=CH, O=Example, CN=moon.example\" expired on 2026-01-01 00:00:00Z");
        AssertProblem(store.Validate(future.Cert, [], null, Now), CertificateProblem.NotYetValid,
            "certificate \"CN=sun\" is not valid before 2026-07-01 06:30:00Z");
        // Validity is judged at the time given, not the machine's clock.
        AssertProblem(store.Validate(future.Cert, [], null, new DateTimeOffset(2026, 8, 1, 0, 0, 0, TimeSpan.Zero)), CertificateProblem.None);
    }

    [Fact]
    public void An_expired_CA_fails_the_chain()
    {
        Issued root = Root("CN=Root CA");
        Issued inter = Issue(root, "CN=Old Intermediate", ca: true, notAfter: new DateTimeOffset(2026, 5, 1, 0, 0, 0, TimeSpan.Zero));
        Issued ee = Issue(inter, "CN=carol");
        using CredentialStore store = Store([root]);
        AssertProblem(store.Validate(ee.Cert, [inter.Cert], null, Now), CertificateProblem.Expired, "CA certificate \"CN=Old Intermediate\" expired on 2026-05-01");
    }

    [Fact]
    public void An_issuer_that_is_not_a_CA_is_refused()
    {
        Issued root = Root("CN=Root CA");
        Issued notCa = Issue(root, "CN=Not A CA", usage: X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign);
        Issued ee = Issue(notCa, "CN=carol");
        using CredentialStore store = Store([root]);
        AssertProblem(store.Validate(ee.Cert, [notCa.Cert], null, Now), CertificateProblem.NotACa,
            "certificate \"CN=Not A CA\" is not a CA (basicConstraints cA is not set) but issued \"CN=carol\"");

        Issued noCertSign = Issue(root, "CN=No CertSign", ca: true, usage: X509KeyUsageFlags.CrlSign);
        AssertProblem(store.Validate(Issue(noCertSign, "CN=dave").Cert, [noCertSign.Cert], null, Now), CertificateProblem.NotACa, "keyCertSign");
    }

    [Fact]
    public void Path_length_constraint_is_enforced()
    {
        Issued root = Root("CN=Root CA", pathLength: 0);
        Issued inter = Issue(root, "CN=Intermediate CA", ca: true);
        Issued ee = Issue(inter, "CN=carol");
        using CredentialStore store = Store([root]);
        AssertProblem(store.Validate(ee.Cert, [inter.Cert], null, Now), CertificateProblem.NotACa, "pathLenConstraint");
        AssertProblem(store.Validate(Issue(root, "CN=direct").Cert, [], null, Now), CertificateProblem.None);
    }

    [Fact]
    public void A_version_1_style_root_in_x509ca_is_trusted_as_strongSwan_does()
    {
        Issued root = Root("CN=Old Root", basicConstraints: false, usage: X509KeyUsageFlags.None);
        using CredentialStore store = Store([root]);
        AssertProblem(store.Validate(Issue(root, "CN=carol").Cert, [], null, Now), CertificateProblem.None);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("1.3.6.1.5.5.7.3.1", true)]        // serverAuth
    [InlineData("1.3.6.1.5.5.7.3.2", true)]        // clientAuth
    [InlineData("1.3.6.1.5.5.7.3.17", true)]       // id-kp-ipsecIKE (RFC 4945)
    [InlineData("2.5.29.37.0", true)]              // anyExtendedKeyUsage
    [InlineData("1.3.6.1.5.5.8.2.2", true)]        // iKEIntermediate (strongSwan's pki --flag ikeIntermediate)
    [InlineData("1.3.6.1.5.5.7.3.3", false)]       // codeSigning
    [InlineData("1.3.6.1.5.5.7.3.4", false)]       // emailProtection
    public void Extended_key_usage_must_allow_IKE(string? purpose, bool ok)
    {
        Issued root = Root("CN=Root CA");
        Issued ee = Issue(root, "CN=carol", eku: purpose is null ? null : [purpose]);
        using CredentialStore store = Store([root]);
        CertificateValidation v = store.Validate(ee.Cert, [], null, Now);
        if (ok) AssertProblem(v, CertificateProblem.None);
        else AssertProblem(v, CertificateProblem.WrongEku, "certificate \"CN=carol\" has the wrong EKU for IKE: its extendedKeyUsage allows only");
    }

    [Fact]
    public void Wrong_EKU_lists_the_purposes_in_words()
    {
        Issued root = Root("CN=Root CA");
        Issued ee = Issue(root, "CN=carol", eku: ["1.3.6.1.5.5.7.3.3", "1.3.6.1.5.5.7.3.4"]);
        using CredentialStore store = Store([root]);
        AssertProblem(store.Validate(ee.Cert, [], null, Now), CertificateProblem.WrongEku, "allows only codeSigning, emailProtection");
    }

    [Fact]
    public void A_malformed_certificate_is_reported_not_thrown()
    {
        using CredentialStore store = Store([Root("CN=Root CA")]);
        Issued ee = Issue(Root("CN=Other"), "CN=x", extra: [new X509Extension("1.2.3.4.5", [0x05, 0x00], critical: true)]);
        AssertProblem(store.Validate(ee.Cert, [], null, Now), CertificateProblem.Malformed, "unsupported critical extension 1.2.3.4.5");
        // Garbage intermediates from the peer are skipped with a note.
        Issued root = Root("CN=Root CA 2");
        using CredentialStore store2 = Store([root]);
        CertificateValidation v = store2.Validate(Issue(root, "CN=y").Cert, [ee.Cert], null, Now);
        AssertProblem(v, CertificateProblem.None);
        Assert.Contains(v.Notes, n => n.Contains("ignored"));
    }

    // ---------------------------------------------------------------- cacerts

    [Fact]
    public void Trust_anchors_restrict_the_chain_to_the_configured_CAs()
    {
        Issued rootA = Root("CN=Root A"), rootB = Root("CN=Root B");
        Issued interA = Issue(rootA, "CN=Intermediate A", ca: true);
        Issued ee = Issue(interA, "CN=carol");
        using CredentialStore store = Store([rootA, rootB]);
        AssertProblem(store.Validate(ee.Cert, [interA.Cert], [rootA.Cert], Now), CertificateProblem.None);
        // strongSwan's cacerts may name an intermediate: the chain must pass through it.
        AssertProblem(store.Validate(ee.Cert, [interA.Cert], [interA.Cert], Now), CertificateProblem.None);
        AssertProblem(store.Validate(ee.Cert, [interA.Cert], [rootB.Cert], Now), CertificateProblem.UnknownCa,
            "chains to \"CN=Root A\", which is not one of the configured CA certificates (\"CN=Root B\")");
    }

    [Fact]
    public void A_trust_anchor_outside_x509ca_is_trusted_for_that_call()
    {
        Issued root = Root("CN=Elsewhere Root");
        Issued ee = Issue(root, "CN=carol");
        AssertProblem(CredentialStore.Empty.Validate(ee.Cert, [], [root.Cert], Now), CertificateProblem.None);
        AssertProblem(CredentialStore.Empty.Validate(ee.Cert, [], null, Now), CertificateProblem.UnknownCa);
    }

    // ---------------------------------------------------------------- CRLs

    [Fact]
    public void A_CRL_that_lists_the_certificate_revokes_it()
    {
        Issued root = Root("C=CH, O=Example, CN=Example CA");
        Issued carol = Issue(root, "CN=carol"), dave = Issue(root, "CN=dave");
        byte[] crl = Crl(root, [carol.Cert]);
        using CredentialStore store = Store([root], crl);
        AssertProblem(store.Validate(carol.Cert, [], null, Now), CertificateProblem.Revoked,
            "certificate \"CN=carol\" was revoked on 2026-03-01 08:00:00Z (keyCompromise) (CRL of \"C=CH, O=Example, CN=Example CA\"");
        CertificateValidation ok = store.Validate(dave.Cert, [], null, Now);
        AssertProblem(ok, CertificateProblem.None);
        Assert.Empty(ok.Notes);
    }

    [Fact]
    public void A_revoked_intermediate_fails_the_chain()
    {
        Issued root = Root("CN=Root CA");
        Issued inter = Issue(root, "CN=Intermediate CA", ca: true);
        Issued ee = Issue(inter, "CN=carol");
        using CredentialStore store = Store([root], Crl(root, [inter.Cert], reason: X509RevocationReason.CACompromise));
        AssertProblem(store.Validate(ee.Cert, [inter.Cert], null, Now), CertificateProblem.Revoked, "\"CN=Intermediate CA\" was revoked", "cACompromise");
    }

    [Fact]
    public void A_CRL_with_a_bad_signature_is_ignored_and_noted()
    {
        Issued root = Root("CN=Example CA");
        Issued carol = Issue(root, "CN=carol");
        using AsymmetricAlgorithm forger = NewKey(KeyKind.P256);
        using CredentialStore store = Store([root], Crl(root, [carol.Cert], signer: forger));
        CertificateValidation v = store.Validate(carol.Cert, [], null, Now);
        AssertProblem(v, CertificateProblem.None);
        Assert.Contains(v.Notes, n => n.Contains("CRL of \"CN=Example CA\"") && n.Contains("ignored") && n.Contains("does not verify"));
        // With revocation = strict the ignored CRL leaves the certificate without a status.
        AssertProblem(store.Validate(carol.Cert, [], null, Now, RevocationPolicy.Strict), CertificateProblem.RevocationUnavailable, "revocation = strict");
    }

    [Fact]
    public void A_stale_CRL_still_revokes_and_is_noted_as_strongSwan_does()
    {
        Issued root = Root("CN=Example CA");
        Issued carol = Issue(root, "CN=carol"), dave = Issue(root, "CN=dave");
        byte[] stale = Crl(root, [carol.Cert], thisUpdate: From, nextUpdate: new DateTimeOffset(2026, 4, 1, 0, 0, 0, TimeSpan.Zero));
        using CredentialStore store = Store([root], stale);
        AssertProblem(store.Validate(carol.Cert, [], null, Now), CertificateProblem.Revoked);
        CertificateValidation v = store.Validate(dave.Cert, [], null, Now);
        AssertProblem(v, CertificateProblem.None);
        Assert.Contains(v.Notes, n => n.Contains("stale since 2026-04-01 00:00:00Z"));
        AssertProblem(store.Validate(dave.Cert, [], null, Now, RevocationPolicy.Strict), CertificateProblem.RevocationUnavailable);
    }

    [Fact]
    public void Revocation_policies_strict_and_ifuri()
    {
        Issued root = Root("CN=Example CA");
        Issued withUri = Issue(root, "CN=carol", crlUri: "http://crl.example/ca.crl");
        Issued without = Issue(root, "CN=dave");
        using CredentialStore none = Store([root]);
        AssertProblem(none.Validate(without.Cert, [], null, Now, RevocationPolicy.Relaxed), CertificateProblem.None);
        AssertProblem(none.Validate(without.Cert, [], null, Now, RevocationPolicy.IfUri), CertificateProblem.None);
        AssertProblem(none.Validate(withUri.Cert, [], null, Now, RevocationPolicy.IfUri), CertificateProblem.RevocationUnavailable, "revocation = ifuri");
        AssertProblem(none.Validate(without.Cert, [], null, Now, RevocationPolicy.Strict), CertificateProblem.RevocationUnavailable,
            "no current CRL of \"CN=Example CA\" vouches for certificate \"CN=dave\"");
        using CredentialStore current = Store([root], Crl(root, []));
        AssertProblem(current.Validate(withUri.Cert, [], null, Now, RevocationPolicy.Strict), CertificateProblem.None);
    }

    [Fact]
    public void A_CRL_of_another_CA_is_not_applied()
    {
        Issued root = Root("CN=Example CA"), other = Root("CN=Other CA");
        Issued carol = Issue(root, "CN=carol", serial: [0x42]);
        Issued otherCarol = Issue(other, "CN=carol", serial: [0x42]);
        using CredentialStore store = Store([root, other], Crl(other, [otherCarol.Cert]));
        AssertProblem(store.Validate(carol.Cert, [], null, Now), CertificateProblem.None);
        AssertProblem(store.Validate(otherCarol.Cert, [], null, Now), CertificateProblem.Revoked);
    }

    [Fact]
    public void Validation_with_RSA_PSS_signed_certificates()
    {
        using RSA caKey = RSA.Create(2048);
        var req = new CertificateRequest(Dn("CN=PSS Root"), caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        X509Certificate2 root = req.CreateSelfSigned(From, Until);
        using ECDsa eeKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        X509Certificate2 ee = new CertificateRequest(Dn("CN=carol"), eeKey, HashAlgorithmName.SHA384)
            .Create(root.SubjectName, X509SignatureGenerator.CreateForRSA(caKey, RSASignaturePadding.Pss), From, Until, [1]);
        using CredentialStore store = CredentialStore.FromItems([root], [], [], []);
        AssertProblem(store.Validate(ee, [], null, Now), CertificateProblem.None);
    }
}
