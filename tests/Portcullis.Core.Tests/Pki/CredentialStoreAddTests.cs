using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Portcullis.Core.Config;
using Portcullis.Core.Pki;

namespace Portcullis.Core.Tests.Pki;

/// <summary>Credentials that come over VICI (load-cert, load-key, a load-conn's certificates) rather than from the folders.</summary>
public sealed class CredentialStoreAddTests
{
    private static (X509Certificate2 Cert, ECDsa Key) SelfSigned(string cn)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={cn}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        X509Certificate2 cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return (X509CertificateLoader.LoadCertificate(cert.RawData), key);
    }

    [Fact]
    public void A_certificate_and_its_key_added_by_name_are_found_together()
    {
        (X509Certificate2 cert, ECDsa key) = SelfSigned("server.example");
        using CredentialStore store = CredentialStore.FromItems([], [], [], []);
        var errors = new List<ConfigError>();
        store.AddCertificates(System.Text.Encoding.ASCII.GetBytes(cert.ExportCertificatePem()), ca: false, "vici-0123456789abcdef", "vici load-cert", errors);
        store.AddPrivateKey(key.ExportECPrivateKey(), "ECDSA", "vici load-key", errors);
        Assert.Empty(errors);
        X509Certificate2? found = store.FindCertificate("vici-0123456789abcdef");
        Assert.NotNull(found);
        Assert.Equal(cert.Thumbprint, found.Thumbprint);
        Assert.NotNull(store.FindPrivateKey(found));
        Assert.Single(store.Certificates);
        Assert.Empty(store.CaCertificates);
    }

    [Fact]
    public void A_ca_certificate_in_der_goes_with_the_cas()
    {
        (X509Certificate2 cert, _) = SelfSigned("Test CA");
        using CredentialStore store = CredentialStore.FromItems([], [], [], []);
        var errors = new List<ConfigError>();
        store.AddCertificates(cert.RawData, ca: true, "ca", "vici load-cert", errors);
        Assert.Empty(errors);
        Assert.Single(store.CaCertificates);
        Assert.NotNull(store.FindCaCertificate("ca"));
    }

    [Fact]
    public void What_cannot_be_read_is_an_error_naming_where_it_came_from()
    {
        using CredentialStore store = CredentialStore.FromItems([], [], [], []);
        var errors = new List<ConfigError>();
        store.AddCertificates([1, 2, 3], ca: false, "x", "vici load-cert vici-1", errors);
        store.AddPrivateKey([1, 2, 3], null, "vici load-key vici-2", errors);
        store.AddCrls([1, 2, 3], "vici load-cert vici-3", errors);
        Assert.Equal(["vici load-cert vici-1", "vici load-key vici-2", "vici load-cert vici-3"], errors.Select(e => e.File));
        (_, ECDsa ec) = SelfSigned("x");
        store.AddPrivateKey(ec.ExportPkcs8PrivateKey(), "RSA", "vici load-key vici-4", errors);
        Assert.Equal("vici load-key vici-4: not an RSA key", errors[^1].ToString());
        Assert.Equal(0, store.PrivateKeyCount);
    }
}
