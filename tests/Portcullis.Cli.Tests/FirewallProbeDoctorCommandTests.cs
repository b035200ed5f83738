using Portcullis.Cli;

namespace Portcullis.Cli.Tests;

/// <summary>The command lines of <c>firewall</c>, <c>probe</c> and <c>doctor</c>: options, errors, what reaches stdout.</summary>
public sealed class FirewallProbeDoctorCommandTests
{
    private static (int Status, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);

    private static string WriteConfig(string text)
    {
        string dir = Directory.CreateTempSubdirectory("portcullis-cli-").FullName;
        string path = Path.Combine(dir, "swanctl.conf");
        File.WriteAllText(path, text);
        return path;
    }

    private const string Site = """
        connections {
          gw {
            local_addrs = 192.0.2.1
            remote_addrs = 192.0.2.2
            local {
              auth = psk
            }
            remote {
              auth = psk
            }
            children {
              net {
                local_ts = 198.18.1.0/24
                remote_ts = 198.18.2.0/24
              }
            }
          }
        }
        """;

    [Fact]
    public void HelpNamesTheNewCommands()
    {
        var (_, output, _) = Run("--help");
        Assert.Contains("firewall [--config FILE] [--format nftables|iptables|ip6tables]", output);
        Assert.Contains("probe HOST...", output);
        Assert.Contains("doctor [--config FILE]", output);
    }

    [Fact]
    public void FirewallPrintsEachFormatFromTheGivenConfig()
    {
        string conf = WriteConfig(Site);
        var (status, nft, err) = Run("firewall", "--config", conf);
        Assert.Equal(0, status);
        Assert.Empty(err);
        Assert.Contains("ip saddr 192.0.2.2 ip daddr 192.0.2.1 udp dport 500 accept comment", nft);
        Assert.Contains($"nftables ruleset for {conf}", nft);
        (status, string ipt, _) = Run("firewall", "--config", conf, "--format", "iptables", "--allow", "tcp/22");
        Assert.Equal(0, status);
        Assert.Contains("-A INPUT -p tcp -m tcp --dport 22", ipt);
        Assert.Contains(":INPUT DROP [0:0]", ipt);
        (status, string explain, _) = Run("firewall", "--config", conf, "--explain");
        Assert.Equal(0, status);
        Assert.Contains("Connection gw:", explain);
    }

    [Theory]
    [InlineData("--format", "pf")]
    [InlineData("--nat-front", "not-an-address")]
    [InlineData("--allow", "22")]
    [InlineData("--front")]
    [InlineData("--bogus")]
    public void FirewallUsageErrorsGoToStderr(params string[] args)
    {
        var (status, output, error) = Run(["firewall", .. args]);
        Assert.Equal(CommandLine.UsageError, status);
        Assert.Empty(output);
        Assert.StartsWith("portcullis firewall: ", error);
    }

    [Fact]
    public void FirewallOfABadConfigNamesFileLineAndKey()
    {
        string conf = WriteConfig("connections {\n  gw {\n    unique = never\n  }\n}\n");
        var (status, output, error) = Run("firewall", "--config", conf);
        Assert.Equal(1, status);
        Assert.Empty(output);
        Assert.Contains("swanctl.conf:3: connections.gw.unique", error);
    }

    [Fact]
    public void FirewallFrontNeedsAServerAddress()
    {
        string conf = WriteConfig(Site.Replace("local_addrs = 192.0.2.1", ""));
        var (status, _, error) = Run("firewall", "--config", conf, "--nat-front", "203.0.113.1", "--front");
        Assert.Equal(1, status);
        Assert.Contains("--server ADDR", error);
        (status, string output, _) = Run("firewall", "--config", conf, "--nat-front", "203.0.113.1", "--front", "--server", "192.0.2.9");
        Assert.Equal(0, status);
        Assert.Contains("dnat to 192.0.2.9", output);
    }

    [Theory]
    [InlineData()]
    [InlineData("192.0.2.2", "--port", "0")]
    [InlineData("192.0.2.2", "--tries", "0")]
    [InlineData("192.0.2.2", "--proposal", "aes999-sha256-modp2048")]
    [InlineData("192.0.2.2", "--bogus")]
    public void ProbeUsageErrors(params string[] args)
    {
        var (status, output, error) = Run(["probe", .. args]);
        Assert.Equal(CommandLine.UsageError, status);
        Assert.Empty(output);
        Assert.StartsWith("portcullis probe: ", error);
    }

    [Fact]
    public void DoctorFailsOnABadConfigAndSaysWhy()
    {
        string conf = WriteConfig("connections {\n  gw {\n    unique = never\n  }\n}\n");
        var (status, output, _) = Run("doctor", "--config", conf);
        Assert.Equal(1, status);
        Assert.Contains("FAIL  config: ", output);
        Assert.Matches(@"\d+ checks: \d+ OK, \d+ WARN, [1-9]\d* FAIL", output);
    }
}
