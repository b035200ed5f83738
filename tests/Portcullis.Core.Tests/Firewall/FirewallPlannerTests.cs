using System.Net;
using System.Text;
using Portcullis.Core.Config;
using Portcullis.Core.Firewall;

namespace Portcullis.Core.Tests.Firewall;

/// <summary>The decisions behind the rules, checked one by one (the golden files fix the text).</summary>
public sealed class FirewallPlannerTests
{
    private static FirewallPlan Plan(string conf, string args = "") => FirewallGoldenTests.Plan(conf, args, out _);

    private static IEnumerable<FirewallRule> Input(FirewallPlan plan, byte protocol) =>
        plan.Rules.Where(r => r.Chain == FirewallChain.Input && r.Protocol == protocol && r.Special == FirewallSpecial.None && r.InInterface is null);

    [Fact]
    public void SiteToSitePeerIsTheOnlySourceOfIkeNatTAndEsp()
    {
        FirewallPlan plan = Plan("site.conf");
        FirewallRule[] udp = Input(plan, 17).ToArray();
        Assert.Equal([(ushort)500, (ushort)4500], udp.Select(r => r.DestinationPort!.Value.From).ToArray());
        Assert.All(udp, r => Assert.Equal(IPAddress.Parse("192.0.2.2"), r.Source!.Value.StartAddress));
        FirewallRule esp = Assert.Single(Input(plan, 50));
        Assert.Equal(IPAddress.Parse("192.0.2.2"), esp.Source!.Value.StartAddress);
        Assert.Empty(Input(plan, 51));
        Assert.DoesNotContain(plan.Rules, r => r.DestinationPort is { From: <= 1701, To: >= 1701 });
    }

    [Fact]
    public void RoadWarriorsMayComeFromAnyAddressAndThePoolIsMasqueraded()
    {
        FirewallPlan plan = Plan("rw.conf", "--interface eth0");
        Assert.All(Input(plan, 17), r => Assert.Null(r.Source));
        FirewallRule masquerade = Assert.Single(plan.Rules, r => r.Verdict == FirewallVerdict.Masquerade);
        Assert.Equal("eth0", masquerade.OutInterface);
        Assert.False(masquerade.OutInterfaceNot);
        Assert.Equal("198.18.100.0/24", masquerade.Source.ToString());
        // Two connections share the pool and the ports: one rule each, naming both.
        Assert.Contains("(rw, rw-full)", Assert.Single(Input(plan, 17), r => r.DestinationPort!.Value.From == 500).Comment);
    }

    [Fact]
    public void WithoutInterfaceThePoolIsMasqueradedEverywhereButIntoTheTunnel()
    {
        FirewallRule masquerade = Assert.Single(Plan("rw.conf").Rules, r => r.Verdict == FirewallVerdict.Masquerade);
        Assert.Equal("pcl0", masquerade.OutInterface);
        Assert.True(masquerade.OutInterfaceNot);
    }

    [Fact]
    public void BehindANatFrontEspIsNeverPlain()
    {
        FirewallPlan plan = Plan("rw.conf", "--nat-front 203.0.113.1");
        Assert.Empty(Input(plan, 50));
        Assert.Equal(2, Input(plan, 17).Count());
        Assert.Contains(plan.Notes, n => n.Contains("--front", StringComparison.Ordinal));
    }

    [Fact]
    public void TheNatFrontForwardsUdp500And4500ToTheServerOnly()
    {
        FirewallPlan plan = Plan("rw.conf", "--nat-front 203.0.113.1 --front");
        FirewallRule[] dnat = plan.Rules.Where(r => r.Verdict == FirewallVerdict.Dnat).ToArray();
        Assert.Equal([(ushort)500, (ushort)4500], dnat.Select(r => r.DestinationPort!.Value.From).ToArray());
        Assert.All(dnat, r => Assert.Equal(IPAddress.Parse("192.0.2.1"), r.DnatTo));
        Assert.All(dnat, r => Assert.Equal("203.0.113.1", r.Destination.ToString()));
        Assert.DoesNotContain(plan.Rules, r => r.Protocol == 50);
        Assert.False(plan.DropByDefault);
    }

    [Fact]
    public void TheFrontNeedsTheServerAddress()
    {
        (PortcullisConfig? config, _) = SwanctlConfigLoader.Load(Path.Combine(FirewallGoldenTests.GoldenDirectory, "ipv6.conf"));
        FirewallPlan plan = FirewallPlanner.Plan(config!, new FirewallOptions { NatFront = IPAddress.Parse("203.0.113.1"), Front = true });
        Assert.Contains(plan.Errors, e => e.Contains("different families", StringComparison.Ordinal));
        plan = FirewallPlanner.Plan(config!, new FirewallOptions { NatFront = IPAddress.Parse("203.0.113.1"), Front = true, Server = IPAddress.Parse("192.0.2.9") });
        Assert.Empty(plan.Errors);
    }

    [Fact]
    public void AhIsOpenedOnlyForTheChildThatAsksAndEncapClosesPlainEsp()
    {
        FirewallPlan plan = Plan("ah.conf");
        FirewallRule ah = Assert.Single(Input(plan, 51));
        Assert.Equal("192.0.2.3", ah.Source.ToString());
        FirewallRule esp = Assert.Single(Input(plan, 50));
        Assert.Equal("192.0.2.3", esp.Source.ToString()); // udp-only (encap = yes) has none
        Assert.Equal(4, Input(plan, 17).Count());
    }

    [Fact]
    public void A_transport_mode_child_opens_the_TUN_device_for_the_peer_hosts_own_traffic()
    {
        string path = Path.Combine(Path.GetTempPath(), $"portcullis-fw-transport-{Environment.ProcessId}.conf");
        File.WriteAllText(path, """
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
                  host {
                    mode = transport
                  }
                }
              }
            }
            secrets {
              ike-gw {
                secret = "golden"
              }
            }
            """);
        try
        {
            (PortcullisConfig? config, _) = SwanctlConfigLoader.Load(path);
            FirewallPlan plan = FirewallPlanner.Plan(config!, new FirewallOptions());
            // dynamic: the peer's address to ours, as the rebuilt headers have them.
            FirewallRule input = Assert.Single(plan.Rules, r => r.Chain == FirewallChain.Input && r.InInterface == "pcl0");
            Assert.Equal((IPAddress.Parse("192.0.2.2"), IPAddress.Parse("192.0.2.1")), (input.Source!.Value.StartAddress, input.Destination!.Value.StartAddress));
            Assert.Contains(plan.Explanation.SelectMany(e => e.Lines), l => l.StartsWith("child host (transport, ", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void TrafficSelectorProtocolAndPortsCarryIntoTheTunnelRules()
    {
        FirewallRule web = Assert.Single(Plan("ah.conf").Rules, r => r.Chain == FirewallChain.Input && r.InInterface == "pcl0" && r.Protocol == 6);
        Assert.Equal(((ushort)443, (ushort)443), web.DestinationPort);
        Assert.Null(web.SourcePort);
        Assert.Equal("198.18.1.10", web.Destination.ToString());
    }

    [Fact]
    public void CleartextL2tpIsDroppedBeforeConntrackCanAcceptIt()
    {
        FirewallPlan plan = Plan("l2tp.conf");
        List<FirewallRule> input = plan.Rules.Where(r => r.Chain == FirewallChain.Input).ToList();
        int drop = input.FindIndex(r => r.Verdict == FirewallVerdict.Drop && r.DestinationPort == (1701, 1701));
        int established = input.FindIndex(r => r.Special == FirewallSpecial.Established);
        Assert.True(drop >= 0 && drop < established, "the 1701 drop must come before the conntrack accept");
        Assert.DoesNotContain(plan.Rules, r => r.Verdict == FirewallVerdict.Accept && r.DestinationPort is { From: <= 1701, To: >= 1701 });
        // The PPP clients' pool comes out of the TUN device and is masqueraded.
        Assert.Contains(plan.Rules, r => r.InInterface == "pcl0" && r.Source.ToString() == "198.18.101.10-198.18.101.50");
        Assert.Contains(plan.Rules, r => r.Verdict == FirewallVerdict.Masquerade && r.Source.ToString() == "198.18.101.10-198.18.101.50");
    }

    [Fact]
    public void HostNamesInRemoteAddrsAcceptAnySourceAndSaySo()
    {
        FirewallPlan plan = Plan("ipv6.conf");
        Assert.Contains(Input(plan, 17), r => r.Source is null && r.Comment.Contains("branch", StringComparison.Ordinal));
        Assert.Contains(plan.Notes, n => n.Contains("host names", StringComparison.Ordinal));
        Assert.Contains(plan.Explanation, e => e.Lines.Any(l => l.Contains("branch.example.org", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("site.conf")]
    [InlineData("rw.conf")]
    [InlineData("l2tp.conf")]
    [InlineData("ah.conf")]
    [InlineData("ipv6.conf")]
    public void EveryRuleSaysWhyWithinNftablesCommentLimit(string conf)
    {
        foreach (FirewallRule rule in Plan(conf).Rules)
        {
            Assert.False(string.IsNullOrWhiteSpace(rule.Comment));
            Assert.True(Encoding.UTF8.GetByteCount(rule.Comment) <= 128, rule.Comment);
            Assert.DoesNotContain("\"", rule.Comment);
        }
    }

    [Fact]
    public void NoRuleReliesOnTheKernelsIpsecPolicyMatch()
    {
        foreach (string conf in (string[])["site.conf", "rw.conf", "l2tp.conf"])
        {
            FirewallPlan plan = Plan(conf);
            string nft = NftablesWriter.Write(plan, new FirewallOptions());
            Assert.DoesNotContain("secpath", nft.Split('\n').Where(l => !l.StartsWith('#')).Aggregate("", (a, l) => a + l));
            Assert.Contains(plan.Notes, n => n.Contains("never match", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void AhProposalsAreReadAndTheDaemonTakesThemInTunnelMode()
    {
        (PortcullisConfig? config, IReadOnlyList<ConfigError> errors) = SwanctlConfigLoader.Load(Path.Combine(FirewallGoldenTests.GoldenDirectory, "ah.conf"));
        Assert.Empty(errors);
        Assert.Equal("sha256-noesn", config!.Connections[0].Children[0].AhProposals.Single().ToString());
        Assert.Empty(DataPlaneSupport.Check(config));

        // Transport mode too; GMAC keywords are read as AUTH_AES_*_GMAC.
        var fs = new InMemoryConfigFileSystem();
        fs.Add("/s.conf", "connections {\n c {\n children {\n n {\n ah_proposals = aes256gmac-esn\n mode = transport\n }\n }\n }\n}\n");
        (PortcullisConfig? transport, IReadOnlyList<ConfigError> loadErrors) = SwanctlConfigLoader.Load("/s.conf", fs);
        Assert.Empty(loadErrors);
        Assert.Equal("aes256gmacauth-esn", transport!.Connections[0].Children[0].AhProposals.Single().ToString());
        Assert.Empty(DataPlaneSupport.Check(transport));

        // IKEv1 negotiates AH in Quick Mode (PROTO_IPSEC_AH) with the algorithms that have an AH transform ID.
        fs.Add("/v1.conf", "connections {\n c {\n version = 1\n children {\n n {\n ah_proposals = sha256,aes128gmac\n }\n }\n }\n}\n");
        (PortcullisConfig? v1, IReadOnlyList<ConfigError> v1Errors) = SwanctlConfigLoader.Load("/v1.conf", fs);
        Assert.Empty(v1Errors);
        Assert.Empty(DataPlaneSupport.Check(v1!));

        // AES-CMAC has none (RFC 2407 §4.4.3): refused, naming the file, line and key, rather than failing every Quick Mode.
        fs.Add("/cmac.conf", "connections {\n c {\n version = 1\n children {\n n {\n ah_proposals = aescmac\n }\n }\n }\n}\n");
        (PortcullisConfig? cmac, IReadOnlyList<ConfigError> cmacErrors) = SwanctlConfigLoader.Load("/cmac.conf", fs);
        Assert.Empty(cmacErrors);
        ConfigError refusal = Assert.Single(DataPlaneSupport.Check(cmac!));
        Assert.Equal(("/cmac.conf", "connections.c.children.n.ah_proposals"), (refusal.File, refusal.Key));
        Assert.Contains("IKEv1 AH transform ID", refusal.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("aes128-sha256", "cannot be used in AH proposals")]
    [InlineData("modp2048", "an integrity algorithm is mandatory")]
    [InlineData("sha999", "unknown algorithm 'sha999'")]
    public void BadAhProposalsAreRefusedWithTheReason(string value, string reason)
    {
        var fs = new InMemoryConfigFileSystem();
        fs.Add("/s.conf", $"connections {{ c {{ children {{ n {{ ah_proposals = {value} }} }} }} }}");
        (PortcullisConfig? config, IReadOnlyList<ConfigError> errors) = SwanctlConfigLoader.Load("/s.conf", fs);
        Assert.Null(config);
        Assert.Contains(errors, e => e.Key.EndsWith("ah_proposals", StringComparison.Ordinal) && e.Message.Contains(reason, StringComparison.Ordinal));
    }
}
