using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Portcullis.Core.Config;
using Portcullis.Core.Doctor;
using Portcullis.Core.Tests.Firewall;

namespace Portcullis.Core.Tests.Doctor;

/// <summary>
/// The judgements of <c>portcullis doctor</c> on captured text: <c>nft -j list ruleset</c> and
/// <c>iptables-legacy-save</c> output and <c>/proc/net/udp</c> taken in test namespaces (<c>Vectors/doctor/</c>),
/// against the golden configurations of the firewall tests.
/// </summary>
public sealed class DoctorAnalyserTests
{
    private static string Vector(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vectors", "doctor", name));

    private static PortcullisConfig Config(string name)
    {
        (PortcullisConfig? config, _) = SwanctlConfigLoader.Load(Path.Combine(FirewallGoldenTests.GoldenDirectory, name));
        return config!;
    }

    private static Dictionary<string, DoctorCheck> FirewallChecks(FilterRuleset ruleset, string conf) =>
        DoctorChecks.Firewall(ruleset, DoctorChecks.NeededPackets(Config(conf))).ToDictionary(c => c.Name[(c.Name.IndexOf(')') + 2)..]);

    [Fact]
    public void TheSiteNeedsIkeNatTAndEspFromItsPeer()
    {
        IReadOnlyList<NeededPacket> needed = DoctorChecks.NeededPackets(Config("site.conf"));
        Assert.Equal([(17, 500), (17, 4500), (50, 0)], needed.Select(p => ((int)p.Protocol, (int)p.Port)).ToArray());
        Assert.All(needed, p => Assert.Equal(IPAddress.Parse("192.0.2.2"), p.Source));
    }

    [Fact]
    public void AnNftRulesetAcceptingOnlySshAnd500BlocksNatTAndEsp()
    {
        FilterRuleset ruleset = FilterRulesetParser.ParseNftJson(Vector("nft-ssh-and-500-only.json"))!;
        Dictionary<string, DoctorCheck> checks = FirewallChecks(ruleset, "site.conf");
        Assert.Equal(DoctorStatus.Ok, checks["udp/500 from 192.0.2.2"].Status);
        Assert.Equal(DoctorStatus.Fail, checks["udp/4500 from 192.0.2.2"].Status);
        Assert.Contains("inet filter input policy drop", checks["udp/4500 from 192.0.2.2"].Reason);
        Assert.Equal(DoctorStatus.Fail, checks["esp from 192.0.2.2"].Status);
    }

    [Fact]
    public void OurOwnNftRulesetPassesForItsConfigAndFailsForAnother()
    {
        FilterRuleset ruleset = FilterRulesetParser.ParseNftJson(Vector("nft-portcullis-site.json"))!;
        Assert.All(FirewallChecks(ruleset, "site.conf").Values, c => Assert.Equal(DoctorStatus.Ok, c.Status));
        // The site's rules accept IKE from 192.0.2.2 only: road warriors from anywhere would be dropped.
        Dictionary<string, DoctorCheck> rw = FirewallChecks(ruleset, "rw.conf");
        Assert.All(rw.Values, c => Assert.Equal(DoctorStatus.Fail, c.Status));
    }

    [Fact]
    public void OurOwnIptablesRulesetPassesForItsConfig()
    {
        FilterRuleset ruleset = FilterRulesetParser.ParseIptablesSave(Vector("iptables-legacy-portcullis-site.txt"), "iptables-legacy");
        Assert.All(FirewallChecks(ruleset, "site.conf").Values, c => Assert.Equal(DoctorStatus.Ok, c.Status));
    }

    [Fact]
    public void IptablesDropsAreFoundAndUnknownMatchesOnlyWarn()
    {
        // Our site rules with the ESP accept removed, an explicit ESP drop and a "-m recent" drop in front.
        FilterRuleset ruleset = FilterRulesetParser.ParseIptablesSave(Vector("iptables-legacy-blocking.txt"), "iptables-legacy");
        Dictionary<string, DoctorCheck> checks = FirewallChecks(ruleset, "site.conf");
        Assert.Equal(DoctorStatus.Fail, checks["esp from 192.0.2.2"].Status);
        Assert.Contains("-A INPUT -p esp -j DROP", checks["esp from 192.0.2.2"].Reason);
        Assert.Equal(DoctorStatus.Warn, checks["udp/500 from 192.0.2.2"].Status);
        Assert.Contains("-m recent", checks["udp/500 from 192.0.2.2"].Reason);
    }

    [Fact]
    public void UserChainsAndRejectAreFollowed()
    {
        const string save = """
            *filter
            :INPUT ACCEPT [0:0]
            :FORWARD ACCEPT [0:0]
            :OUTPUT ACCEPT [0:0]
            :vpn - [0:0]
            -A INPUT -i lo -j ACCEPT
            -A INPUT -p udp -j vpn
            -A INPUT -p esp -j ACCEPT
            -A vpn -p udp -m udp --dport 500 -j RETURN
            -A vpn -s 192.0.2.0/24 -p udp -m multiport --dports 4500,4501 -j REJECT --reject-with icmp-port-unreachable
            COMMIT
            """;
        Dictionary<string, DoctorCheck> checks = FirewallChecks(FilterRulesetParser.ParseIptablesSave(save, "iptables-legacy"), "site.conf");
        Assert.Equal(DoctorStatus.Ok, checks["udp/500 from 192.0.2.2"].Status);
        Assert.Equal(DoctorStatus.Fail, checks["udp/4500 from 192.0.2.2"].Status);
        Assert.Contains("ip filter vpn", checks["udp/4500 from 192.0.2.2"].Reason);
        Assert.Equal(DoctorStatus.Ok, checks["esp from 192.0.2.2"].Status);
    }

    [Fact]
    public void NotJsonIsNoRulesetAndNoFilteringIsOk()
    {
        Assert.Null(FilterRulesetParser.ParseNftJson("Error: not root"));
        Assert.Null(FilterRulesetParser.ParseNftJson("[1,2]"));
        FilterRuleset empty = FilterRulesetParser.ParseNftJson("""{"nftables": [{"metainfo": {"version": "1.0.6"}}]}""")!;
        DoctorCheck check = Assert.Single(DoctorChecks.Firewall(empty, DoctorChecks.NeededPackets(Config("site.conf"))));
        Assert.Equal(DoctorStatus.Ok, check.Status);
    }

    [Fact]
    public void ProcNetUdpGivesAddressPortAndInode()
    {
        UdpSocketEntry v4 = Assert.Single(ProcNetUdp.Parse(Vector("proc-net-udp.txt")));
        Assert.Equal(IPAddress.Parse("192.0.2.1"), v4.Address);
        Assert.Equal(500, v4.Port);
        Assert.True(v4.Inode > 0);
        UdpSocketEntry v6 = Assert.Single(ProcNetUdp.Parse(Vector("proc-net-udp6.txt")));
        Assert.Equal(IPAddress.IPv6Any, v6.Address);
        Assert.Equal(4500, v6.Port);
        Assert.Empty(ProcNetUdp.Parse("header only\n  garbage line\n"));
    }

    [Fact]
    public void PortHoldersAreNamed()
    {
        Assert.Equal(DoctorStatus.Ok, DoctorChecks.UdpPort(500, [new PortHolder(42, "/usr/local/bin/portcullis daemon")], false).Status);
        DoctorCheck charon = DoctorChecks.UdpPort(500, [new PortHolder(812, "/usr/lib/ipsec/charon")], false);
        Assert.Equal(DoctorStatus.Fail, charon.Status);
        Assert.Contains("charon (pid 812)", charon.Reason);
        Assert.Contains("systemctl stop strongswan", charon.ToString());
        Assert.Equal(DoctorStatus.Warn, DoctorChecks.UdpPort(4500, [], true).Status);
        Assert.Equal(DoctorStatus.Fail, DoctorChecks.UdpPort(4500, [], false).Status);
    }

    [Fact]
    public void ForwardingIsNeededForPoolsL2tpAndLocalNetworksOnly()
    {
        Assert.Equal((true, false), DoctorChecks.ForwardingNeeded(Config("rw.conf")));
        Assert.Equal((true, false), DoctorChecks.ForwardingNeeded(Config("l2tp.conf")));
        Assert.Equal((true, true), DoctorChecks.ForwardingNeeded(Config("ipv6.conf")));
        var fs = new InMemoryConfigFileSystem().Add("/h.conf", "connections { h { children { c { local_ts = 198.18.1.1/32 \n remote_ts = 198.18.2.0/24 } } } }");
        (PortcullisConfig? host, _) = SwanctlConfigLoader.Load("/h.conf", fs);
        Assert.Equal((false, false), DoctorChecks.ForwardingNeeded(host!));
        Assert.Equal(DoctorStatus.Fail, DoctorChecks.Forwarding("IPv4", true, "0\n", "net.ipv4.ip_forward").Status);
        Assert.Equal(DoctorStatus.Ok, DoctorChecks.Forwarding("IPv4", true, "1\n", "net.ipv4.ip_forward").Status);
        Assert.Equal(DoctorStatus.Ok, DoctorChecks.Forwarding("IPv4", false, "0\n", "net.ipv4.ip_forward").Status);
    }

    [Fact]
    public void EspOverheadFollowsTheProposalsAndMtuWarnsWhenItDoesNotFit()
    {
        var gcm = ProposalParser.Parse("aes256gcm16", ProposalKind.Esp).Proposals;
        var cbc = ProposalParser.Parse("aes256-sha512", ProposalKind.Esp).Proposals;
        // IPv4 20 + UDP 8 + SPI/sequence 8 + IV 8 + padding 3 + 2 + ICV 16
        Assert.Equal(65, DoctorChecks.EspOverhead(gcm, ipv6: false));
        // IPv6 40 + 8 + 8 + IV 16 + padding 15 + 2 + ICV 32
        Assert.Equal(121, DoctorChecks.EspOverhead(cbc, ipv6: true));
        Assert.Equal(DoctorStatus.Ok, DoctorChecks.Mtu("eth0", 1500, 1400, 65, "192.0.2.2").Status);
        DoctorCheck small = DoctorChecks.Mtu("ppp0", 1450, 1400, 65, "192.0.2.2");
        Assert.Equal(DoctorStatus.Warn, small.Status);
        Assert.Contains("1385", small.Hint);
    }

    [Fact]
    public void CertificatesAreJudgedAgainstTheClock()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=vpn.example.org", key, HashAlgorithmName.SHA256);
        var now = new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
        using X509Certificate2 valid = request.CreateSelfSigned(now.AddDays(-10), now.AddDays(300));
        using X509Certificate2 future = request.CreateSelfSigned(now.AddHours(2), now.AddDays(300));
        using X509Certificate2 expiring = request.CreateSelfSigned(now.AddDays(-300), now.AddDays(5));
        using X509Certificate2 expired = request.CreateSelfSigned(now.AddDays(-300), now.AddDays(-1));
        Assert.Equal(DoctorStatus.Ok, DoctorChecks.Certificate(valid, now, "own").Status);
        DoctorCheck notYet = DoctorChecks.Certificate(future, now, "own");
        Assert.Equal(DoctorStatus.Fail, notYet.Status);
        Assert.Contains("clock", notYet.Hint);
        Assert.Equal(DoctorStatus.Warn, DoctorChecks.Certificate(expiring, now, "own").Status);
        Assert.Equal(DoctorStatus.Fail, DoctorChecks.Certificate(expired, now, "CA").Status);
    }
}
