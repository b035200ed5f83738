using System.Net;
using System.Security.Cryptography;
using System.Text;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Pki;
using static Portcullis.Core.Tests.Pki.TestPki;

namespace Portcullis.Core.Tests.Pki;

/// <summary>IKE identities against a certificate's subject and subjectAltNames, as strongSwan matches them.</summary>
public class CertificateIdentityTests
{
    private static readonly Issued s_root = Root("C=CH, O=Portcullis Test, CN=Root CA");

    private static readonly Issued s_server = Issue(s_root, "C=CH, O=Portcullis Test, CN=server.example", dns: ["server.example", "vpn.Example.ORG"],
        ips: [IPAddress.Parse("192.0.2.1"), IPAddress.Parse("2001:db8::1")], directoryNames: ["C=CH, O=Alias, CN=gateway"]);

    private static readonly Issued s_client = Issue(s_root, "C=CH, O=Portcullis Test, CN=client@example.org", emails: ["client@example.org"]);

    private static Identity Id(string text)
    {
        Assert.True(Identity.TryParse(text, out Identity? id, out string? error), error);
        return id!;
    }

    [Theory]
    [InlineData("C=CH, O=Portcullis Test, CN=server.example", true)]
    [InlineData("C=CH, O=portcullis test, CN=SERVER.EXAMPLE", true)]   // values compare case-insensitively
    [InlineData("C=CH, O=Portcullis  Test, CN=server.example", true)]  // runs of spaces fold
    [InlineData("C=CH, O=Portcullis Test, CN=*", true)]                // strongSwan's wildcard value
    [InlineData("C=CH, O=*, CN=*", true)]
    [InlineData("C=CH, O=Alias, CN=gateway", true)]                    // a directoryName subjectAltName
    [InlineData("C=CH, O=Portcullis Test, CN=client.example", false)]
    [InlineData("C=CH, CN=server.example", false)]                     // an attribute fewer
    [InlineData("C=CH, O=Portcullis Test, CN=server.example, OU=x", false)]
    [InlineData("CN=server.example, O=Portcullis Test, C=CH", false)]  // order matters
    [InlineData("C=CH, OU=Portcullis Test, CN=server.example", false)] // type matters
    public void Distinguished_names_match_attribute_by_attribute(string dn, bool matches)
    {
        Assert.Equal(matches, CertificateIdentity.Matches(s_server.Cert, Id(dn)));
    }

    [Fact]
    public void A_wildcard_from_a_peer_is_just_a_character()
    {
        Assert.False(CertificateIdentity.Matches(s_server.Cert, Id("C=CH, O=Portcullis Test, CN=*"), allowWildcards: false));
        Assert.True(CertificateIdentity.Matches(s_server.Cert, Id("C=CH, O=Portcullis Test, CN=server.example"), allowWildcards: false));
        Assert.False(CertificateIdentity.Matches(s_server.Cert, Id("@*.example"), allowWildcards: false));
    }

    [Theory]
    [InlineData("server.example", true)]
    [InlineData("@server.example", true)]
    [InlineData("SERVER.example", true)]
    [InlineData("vpn.example.org", true)]
    [InlineData("@*.example", true)]     // wildcard in the configured identity
    [InlineData("other.example", false)]
    [InlineData("example", false)]
    public void Fqdn_matches_dNSName_subjectAltNames(string fqdn, bool matches)
    {
        Assert.Equal(matches, CertificateIdentity.Matches(s_server.Cert, Id(fqdn)));
    }

    [Fact]
    public void Fqdn_and_email_are_not_matched_against_the_CN_as_strongSwan_does_not()
    {
        Issued cnOnly = Issue(s_root, "C=CH, O=Portcullis Test, CN=cn-only.example");
        Assert.False(CertificateIdentity.Matches(cnOnly.Cert, Id("cn-only.example")));
        Issued cnMail = Issue(s_root, "C=CH, O=Portcullis Test, CN=carol@example.org");
        Assert.False(CertificateIdentity.Matches(cnMail.Cert, Id("carol@example.org")));
        Issued eMail = Issue(s_root, "C=CH, E=carol@example.org, CN=carol");
        Assert.False(CertificateIdentity.Matches(eMail.Cert, Id("carol@example.org")));
    }

    [Theory]
    [InlineData("client@example.org", true)]
    [InlineData("Client@Example.org", true)]
    [InlineData("*@example.org", true)]
    [InlineData("server@example.org", false)]
    [InlineData("client@example.com", false)]
    public void Email_matches_rfc822Name_subjectAltNames(string email, bool matches)
    {
        Assert.Equal(matches, CertificateIdentity.Matches(s_client.Cert, Id(email)));
    }

    [Theory]
    [InlineData("192.0.2.1", true)]
    [InlineData("2001:db8::1", true)]
    [InlineData("192.0.2.2", false)]
    [InlineData("2001:db8::2", false)]
    public void Addresses_match_iPAddress_subjectAltNames(string address, bool matches)
    {
        Assert.Equal(matches, CertificateIdentity.Matches(s_server.Cert, Identity.FromAddress(IPAddress.Parse(address))));
    }

    [Fact]
    public void Key_id_matches_the_key_identifiers()
    {
        byte[] ski = s_server.Cert.Extensions.OfType<System.Security.Cryptography.X509Certificates.X509SubjectKeyIdentifierExtension>().Single().SubjectKeyIdentifierBytes.ToArray();
        Assert.True(CertificateIdentity.Matches(s_server.Cert, new Identity(IdType.KeyId, ski)));
        Assert.True(CertificateIdentity.Matches(s_server.Cert, new Identity(IdType.KeyId, SHA1.HashData(s_server.Cert.PublicKey.ExportSubjectPublicKeyInfo()))));
        Assert.True(CertificateIdentity.Matches(s_server.Cert, new Identity(IdType.KeyId, SHA1.HashData(s_server.Cert.RawData))));
        Assert.False(CertificateIdentity.Matches(s_server.Cert, new Identity(IdType.KeyId, new byte[20])));
        Assert.False(CertificateIdentity.Matches(s_server.Cert, new Identity(IdType.KeyId, [])));
    }

    [Fact]
    public void An_identity_of_the_wrong_type_or_malformed_never_matches()
    {
        Assert.False(CertificateIdentity.Matches(s_client.Cert, Id("server.example")));
        Assert.False(CertificateIdentity.Matches(s_server.Cert, new Identity(IdType.DerAsn1Dn, [0x30, 0x05, 0x01])));
        Assert.False(CertificateIdentity.Matches(s_server.Cert, new Identity(IdType.DerAsn1Gn, [1, 2, 3])));
        Assert.False(CertificateIdentity.Matches(s_server.Cert, new Identity(IdType.Fqdn, Encoding.UTF8.GetBytes(""))));
    }

    [Fact]
    public void Subject_identity_is_the_subject_DN()
    {
        Identity id = CertificateIdentity.SubjectIdentity(s_server.Cert);
        Assert.Equal(IdType.DerAsn1Dn, id.Type);
        Assert.Equal(s_server.Cert.SubjectName.RawData, id.Data);
        Assert.Equal(Id("C=CH, O=Portcullis Test, CN=server.example"), id); // the configured form encodes identically
        Assert.True(CertificateIdentity.Matches(s_server.Cert, id, allowWildcards: false));
    }

    [Fact]
    public void Describe_and_the_not_in_certificate_message()
    {
        Assert.Equal("\"C=CH, O=Portcullis Test, CN=server.example\" (subjectAltName: server.example, vpn.Example.ORG, C=CH, O=Alias, CN=gateway, 192.0.2.1, 2001:db8::1)",
            CertificateIdentity.Describe(s_server.Cert));
        Issued dave = Issue(s_root, "CN=dave", emails: ["dave@example.org"]);
        Assert.Equal("'carol@example.org' is not in certificate \"CN=dave\" (subjectAltName: dave@example.org)",
            CertificateIdentity.NotInCertificate(dave.Cert, Id("carol@example.org")));
        Assert.Equal("'C=CH, O=X, CN=carol' is not in certificate \"CN=dave\" (subjectAltName: dave@example.org)",
            CertificateIdentity.NotInCertificate(dave.Cert, Id("C=CH, O=X, CN=carol")));
        Assert.Equal("\"CN=bare\"", CertificateIdentity.Describe(Issue(s_root, "CN=bare").Cert));
    }

    [Fact]
    public void Find_certificate_for_an_identity_needs_its_private_key()
    {
        Issued other = Issue(s_root, "CN=other", dns: ["other.example"]);
        using var store = CredentialStore.FromItems([s_root.Cert], [s_server.Cert, other.Cert], [s_server.Key], []);
        Assert.Same(s_server.Cert, store.FindCertificateFor(Id("server.example")));
        Assert.Same(s_server.Cert, store.FindCertificateFor(Id("C=CH, O=Portcullis Test, CN=server.example")));
        Assert.Null(store.FindCertificateFor(Id("other.example"))); // no key for it
        Assert.Null(store.FindCertificateFor(Id("nowhere.example")));
        Assert.Same(s_server.Key, store.FindPrivateKey(s_server.Cert));
        Assert.Null(store.FindPrivateKey(other.Cert));
    }
}
