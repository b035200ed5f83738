using System.Net;
using Portcullis.Core.Config;
using Portcullis.Core.Pki;

namespace Portcullis.Core.Tests.Config;

public class L2tpConfigTests
{
    private static (PortcullisConfig? Config, IReadOnlyList<ConfigError> Errors) Load(string text) =>
        SwanctlConfigLoader.Load(SettingsParser.ParseText(text, "/etc/portcullis/swanctl.conf").Root);

    [Fact]
    public void The_l2tp_section_loads_with_defaults()
    {
        (PortcullisConfig? c, IReadOnlyList<ConfigError> errors) = Load("""
            l2tp {
                pools = ppp
                local_ip = 198.18.101.1
            }
            pools {
                ppp {
                    addrs = 198.18.101.0/24
                }
            }
            """);
        Assert.Empty(errors);
        L2tpConfig l2tp = c!.L2tp!;
        Assert.Equal(["ppp"], l2tp.Pools);
        Assert.Equal(IPAddress.Parse("198.18.101.1"), l2tp.LocalIp);
        Assert.Equal([PppAuthMethod.MsChapV2], l2tp.Auth);
        Assert.Equal(1400, l2tp.Mru);
        Assert.Empty(CredentialCheck.Check(c, CredentialStore.Empty));
    }

    [Fact]
    public void Auth_methods_keep_their_order()
    {
        (PortcullisConfig? c, _) = Load("l2tp {\n pools = p\n local_ip = 198.18.101.1\n auth = chap, mschapv2, pap\n mru = 1300\n}\n");
        Assert.Equal([PppAuthMethod.ChapMd5, PppAuthMethod.MsChapV2, PppAuthMethod.Pap], c!.L2tp!.Auth);
        Assert.Equal(1300, c.L2tp.Mru);
    }

    [Theory]
    [InlineData("l2tp {\n pools = p\n local_ip = 198.18.101.1\n auth = eap\n}\n", 4, "l2tp.auth", "unknown PPP authentication 'eap'")]
    [InlineData("l2tp {\n pools = p\n local_ip = 2001:db8::1\n}\n", 3, "l2tp.local_ip", "not an IPv4 address")]
    [InlineData("l2tp {\n pools = p\n local_ip = 198.18.101.1\n mru = 9000\n}\n", 4, "l2tp.mru", "not an MRU")]
    [InlineData("l2tp {\n local_ip = 198.18.101.1\n}\n", 1, "l2tp.pools", "missing 'pools'")]
    [InlineData("l2tp {\n pools = p\n}\n", 1, "l2tp.local_ip", "missing 'local_ip'")]
    [InlineData("l2tp {\n pools = p\n local_ip = 198.18.101.1\n ipv6 = yes\n}\n", 4, "l2tp.ipv6", "not supported by Portcullis yet")]
    public void Bad_values_name_file_line_and_key(string text, int line, string key, string message)
    {
        (PortcullisConfig? c, IReadOnlyList<ConfigError> errors) = Load(text);
        Assert.Null(c);
        Assert.Contains(errors, e => e.Line == line && e.Key == key && e.Message.Contains(message));
    }

    [Fact]
    public void An_unknown_pool_is_a_credential_check_error()
    {
        (PortcullisConfig? c, _) = Load("l2tp {\n pools = nowhere\n local_ip = 198.18.101.1\n}\n");
        ConfigError e = Assert.Single(CredentialCheck.Check(c!, CredentialStore.Empty));
        Assert.Equal("l2tp.pools", e.Key);
    }
}
