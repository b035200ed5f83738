using Portcullis.Core.Config;
using Portcullis.Core.Pki;
using Portcullis.Core.Tests.Pki;

namespace Portcullis.Core.Tests.Config;

public class CredentialCheckTests
{
    private static PortcullisConfig Load(string text)
    {
        (SettingsSection root, _) = SettingsParser.ParseText(text, "/etc/portcullis/swanctl.conf");
        (PortcullisConfig? config, IReadOnlyList<ConfigError> errors) = SwanctlConfigLoader.Load(root);
        Assert.True(config is not null, string.Join("\n", errors));
        return config!;
    }

    private const string Gateway = """
        connections {
            rw {
                pools = rw
                local {
                    auth = pubkey
                    certs = serverCert.pem
                }
                remote {
                    auth = pubkey
                    cacerts = caCert.pem
                }
            }
        }
        pools {
            rw {
                addrs = 198.18.100.0/24
            }
        }
        """;

    [Fact]
    public void Missing_certificates_and_cas_are_errors_naming_the_connection_and_key()
    {
        IReadOnlyList<ConfigError> errors = CredentialCheck.Check(Load(Gateway), CredentialStore.Empty);
        Assert.Contains(errors, e => e.Key == "connections.rw.local.certs" && e.Message.Contains("'serverCert.pem' not found in x509/") && e.Line == 2);
        Assert.Contains(errors, e => e.Key == "connections.rw.remote.cacerts" && e.Message.Contains("'caCert.pem' not found in x509ca/"));
        Assert.Contains(errors, e => e.Key == "connections.rw.remote" && e.Message.Contains("needs a CA certificate"));
        Assert.All(errors, e => Assert.Equal("/etc/portcullis/swanctl.conf", e.File));
    }

    [Fact]
    public void A_certificate_without_its_private_key_is_an_error()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"portcullis-credcheck-{Guid.NewGuid():N}");
        try
        {
            Issued ca = TestPki.Root("CN=Test CA");
            Issued server = TestPki.Issue(ca, "CN=server.example", dns: ["server.example"]);
            Directory.CreateDirectory(Path.Combine(dir, "x509ca"));
            Directory.CreateDirectory(Path.Combine(dir, "x509"));
            File.WriteAllText(Path.Combine(dir, "x509ca", "caCert.pem"), ca.Pem);
            File.WriteAllText(Path.Combine(dir, "x509", "serverCert.pem"), server.Pem);
            var loadErrors = new List<ConfigError>();
            using CredentialStore store = CredentialStore.Load(dir, loadErrors);
            Assert.Empty(loadErrors);
            IReadOnlyList<ConfigError> errors = CredentialCheck.Check(Load(Gateway), store);
            ConfigError e = Assert.Single(errors);
            Assert.Equal("connections.rw.local.certs", e.Key);
            Assert.Contains("no private key for 'serverCert.pem'", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void An_unknown_pool_is_an_error()
    {
        PortcullisConfig config = Load("""
            connections {
                rw {
                    pools = nowhere
                    local {
                        auth = psk
                    }
                    remote {
                        auth = psk
                    }
                }
            }
            """);
        ConfigError e = Assert.Single(CredentialCheck.Check(config, CredentialStore.Empty));
        Assert.Equal("connections.rw.pools", e.Key);
        Assert.Contains("no pool 'nowhere'", e.Message);
    }
}
