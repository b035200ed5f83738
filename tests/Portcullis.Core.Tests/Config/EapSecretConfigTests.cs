using System.Text;
using Portcullis.Core.Config;

namespace Portcullis.Core.Tests.Config;

/// <summary><c>secrets { eap-NAME { id, id-*, secret } }</c>: EAP users and their passwords.</summary>
public class EapSecretConfigTests
{
    private const string Main = "/etc/swanctl/swanctl.conf";

    private static (PortcullisConfig? Config, IReadOnlyList<ConfigError> Errors) Load(string text) =>
        SwanctlConfigLoader.Load(Main, new InMemoryConfigFileSystem().Add(Main, text));

    private const string Users = """
        secrets {
            ike-gw {
                secret = psk
            }
            eap-alice {
                id = alice
                secret = "correct horse battery staple"
            }
            eap-carol {
                id-1 = "EXAMPLE\\carol"
                id-2 = carol@example.org
                secret = 0x636172
            }
            eap-guest {
                secret = 0sZ3Vlc3Q=
            }
            eap {
                id = dave
                secret = dave
            }
        }
        """;

    [Fact]
    public void EapSectionsLoadWithTheirIdsAndSecrets()
    {
        (PortcullisConfig? config, IReadOnlyList<ConfigError> errors) = Load(Users);
        Assert.Empty(errors);
        Assert.Equal(["ike-gw"], config!.Secrets.Select(s => s.Name));
        Assert.Equal(["eap-alice", "eap-carol", "eap-guest", "eap"], config.EapSecrets.Select(s => s.Name));
        Assert.Equal("correct horse battery staple"u8.ToArray(), config.EapSecrets[0].Secret);
        Assert.Equal(["alice"], config.EapSecrets[0].Ids.Select(i => i.ToString()));
        Assert.Equal([@"EXAMPLE\carol", "carol@example.org"], config.EapSecrets[1].Ids.Select(i => i.ToString()));
        Assert.Equal("car"u8.ToArray(), config.EapSecrets[1].Secret);
        Assert.Empty(config.EapSecrets[2].Ids);
        Assert.Equal("guest"u8.ToArray(), config.EapSecrets[2].Secret);
    }

    [Fact]
    public void FindEapSecretMatchesIdentitiesTheWayStrongSwanDoes()
    {
        PortcullisConfig config = Load(Users).Config!;
        Assert.Equal("eap-alice", config.FindEapSecret("alice")?.Name);
        // FQDN and e-mail identities ignore ASCII case; '@alice' in the file is the same FQDN.
        Assert.Equal("eap-alice", config.FindEapSecret("ALICE")?.Name);
        Assert.Equal("eap-carol", config.FindEapSecret(@"EXAMPLE\carol")?.Name);
        Assert.Equal("eap-carol", config.FindEapSecret("Carol@Example.org")?.Name);
        Assert.Equal("eap", config.FindEapSecret("dave")?.Name);
        // A secret without ids stands for any other user, as in strongSwan.
        Assert.Equal("eap-guest", config.FindEapSecret("mallory")?.Name);
        Assert.Equal("eap-guest", config.FindEapSecret("carol")?.Name);

        PortcullisConfig strict = Load("secrets {\n  eap-a {\n    id = \"@alice\"\n    secret = x\n  }\n}\n").Config!;
        Assert.Equal("eap-a", strict.FindEapSecret("alice")?.Name);
        Assert.Null(strict.FindEapSecret("alicia"));
        Assert.Null(strict.FindEapSecret(""));
        Assert.Null(strict.FindEapSecret("cn=x,o="));
    }

    [Fact]
    public void ConfigsWithoutEapSecretsHaveAnEmptyList()
    {
        var config = new PortcullisConfig { Connections = [], Secrets = [] };
        Assert.Empty(config.EapSecrets);
        Assert.Null(config.FindEapSecret("alice"));
    }

    [Theory]
    [InlineData("secrets {\n  eap-u {\n    secret = x\n    pin = 1\n  }\n}\n", 4, "secrets.eap-u.pin", "not supported by Portcullis yet")]
    [InlineData("secrets {\n  eap-u {\n    id = u\n    sub {\n    }\n  }\n}\n", 4, "secrets.eap-u.sub", "not supported by Portcullis yet")]
    [InlineData("secrets {\n  eap-u {\n    id = u\n  }\n}\n", 2, "secrets.eap-u.secret", "missing 'secret'")]
    [InlineData("secrets {\n  eap-u {\n    secret = 0xZZ\n  }\n}\n", 3, "secrets.eap-u.secret", "not hexadecimal")]
    [InlineData("secrets {\n  eap-u {\n    id = \"@#zz\"\n    secret = x\n  }\n}\n", 3, "secrets.eap-u.id", "not hexadecimal")]
    [InlineData("secrets {\n  ntlm-u {\n    secret = x\n  }\n}\n", 2, "secrets.ntlm-u", "not supported by Portcullis yet")]
    public void MistakesNameFileLineAndKey(string text, int line, string key, string message)
    {
        (PortcullisConfig? config, IReadOnlyList<ConfigError> errors) = Load(text);
        Assert.Null(config);
        Assert.Contains(errors, e => e.File == Main && e.Line == line && e.Key == key && e.Message.Contains(message, StringComparison.Ordinal));
    }
}
