using System.Net;
using System.Net.Sockets;
using Portcullis.Core.Config;
using Portcullis.Core.Pools;

namespace Portcullis.Core.Tests.Config;

public class PoolConfigTests
{
    private const string Main = "/etc/swanctl/swanctl.conf";

    private static (PortcullisConfig? Config, IReadOnlyList<ConfigError> Errors) Load(string text)
    {
        var fs = new InMemoryConfigFileSystem();
        fs.Add(Main, text);
        return SwanctlConfigLoader.Load(Main, fs);
    }

    private static IReadOnlyList<PoolConfig> LoadPools(string pools)
    {
        (PortcullisConfig? config, IReadOnlyList<ConfigError> errors) = Load($"pools {{\n{pools}\n}}\n");
        Assert.Empty(errors);
        return config!.Pools;
    }

    private static IPAddress Ip(string s) => IPAddress.Parse(s);

    [Fact]
    public void Pools_load_with_addrs_dns_and_nbns_in_file_order()
    {
        IReadOnlyList<PoolConfig> pools = LoadPools("""
              rw {
                addrs = 198.18.100.0/24
                dns = 198.18.0.53, 198.18.0.54
                nbns = 198.18.0.137
              }
              rw6 {
                addrs = 2001:db8:100::/120
                dns = 2001:db8::53
              }
              few {
                addrs = 198.18.101.10-198.18.101.50
              }
              one {
                addrs = 198.18.102.5
              }
            """);
        Assert.Equal(["rw", "rw6", "few", "one"], pools.Select(p => p.Name));
        PoolConfig rw = pools[0];
        Assert.Equal(new SourceLocation(Main, 2), rw.Location);
        Assert.Equal("198.18.100.0/24", rw.Addrs.ToString());
        Assert.Equal([Ip("198.18.0.53"), Ip("198.18.0.54")], rw.Dns);
        Assert.Equal([Ip("198.18.0.137")], rw.Nbns);
        Assert.Equal(AddressFamily.InterNetworkV6, pools[1].Addrs.Family);
        Assert.Equal([Ip("2001:db8::53")], pools[1].Dns);
        Assert.Empty(pools[2].Dns);
        Assert.Equal(41UL, pools[2].Addrs.Size);
        Assert.Equal(1UL, pools[3].Addrs.Size);
    }

    [Fact]
    public void No_pools_section_means_no_pools()
    {
        (PortcullisConfig? config, IReadOnlyList<ConfigError> errors) = Load("connections {\n}\n");
        Assert.Empty(errors);
        Assert.Empty(config!.Pools);
    }

    [Theory]
    // addrs as written, first address handed out, last, size
    [InlineData("198.18.100.0/24", "198.18.100.1", "198.18.100.254", 254UL)] // network and broadcast left out
    [InlineData("198.18.100.10/24", "198.18.100.10", "198.18.100.254", 245UL)] // starts at the address given
    [InlineData("198.18.100.0/30", "198.18.100.1", "198.18.100.2", 2UL)]
    [InlineData("198.18.100.0/31", "198.18.100.0", "198.18.100.1", 2UL)] // a /31 has no network or broadcast address
    [InlineData("198.18.100.1/31", "198.18.100.1", "198.18.100.1", 1UL)]
    [InlineData("198.18.100.7/32", "198.18.100.7", "198.18.100.7", 1UL)]
    [InlineData("198.18.100.7", "198.18.100.7", "198.18.100.7", 1UL)]
    [InlineData("198.18.0.0/16", "198.18.0.1", "198.18.255.254", 65534UL)]
    [InlineData("198.18.100.10-198.18.100.50", "198.18.100.10", "198.18.100.50", 41UL)]
    [InlineData("198.18.100.10 - 198.18.100.10", "198.18.100.10", "198.18.100.10", 1UL)]
    [InlineData("2001:db8:100::/120", "2001:db8:100::1", "2001:db8:100::fe", 254UL)]
    [InlineData("2001:db8:100::/64", "2001:db8:100::1", "2001:db8:100::7fff:fffe", 2147483646UL)] // capped at 2^31 like strongSwan
    [InlineData("2001:db8::10-2001:db8::1f", "2001:db8::10", "2001:db8::1f", 16UL)]
    public void Addrs_follow_strongswan_s_rules(string addrs, string first, string last, ulong size)
    {
        Assert.True(AddressRange.TryParse(addrs, out AddressRange? range, out string? error), error);
        Assert.Equal(Ip(first), range!.First);
        Assert.Equal(Ip(last), range.Last);
        Assert.Equal(size, range.Size);
        Assert.True(range.Contains(Ip(first)));
        Assert.True(range.Contains(Ip(last)));
        Assert.Equal(size - 1, range.OffsetOf(Ip(last)));
    }

    [Theory]
    [InlineData("198.18.100.0/33", "prefix length must be 0 to 32")]
    [InlineData("198.18.100.0/", "prefix length must be 0 to 32")]
    [InlineData("198.18.100.0/-1", "is not an address range")]
    [InlineData("198.18.100.255/24", "leaves no address to hand out")]
    [InlineData("198.18.100", "is not an address")]
    [InlineData("10.1", "is not an address")]
    [InlineData("pool.example.org", "is not an address")]
    [InlineData("fe80::1%eth0", "is not an address")]
    [InlineData("198.18.100.50-198.18.100.10", "first address is above the last")]
    [InlineData("198.18.100.1-2001:db8::1", "mixes IPv4 and IPv6")]
    [InlineData("198.18.100.1-", "is not an address range")]
    [InlineData("2001:db8::-2001:db9::", "too large")]
    public void Bad_addrs_are_refused(string addrs, string message)
    {
        Assert.False(AddressRange.TryParse(addrs, out AddressRange? range, out string? error));
        Assert.Null(range);
        Assert.Contains(message, error);
    }

    [Theory]
    [InlineData("    addrs = 198.18.100.0/33", 3, "pools.p.addrs", "prefix length must be 0 to 32")]
    [InlineData("    addrs = 198.18.100.0/24, 198.18.101.0/24", 3, "pools.p.addrs", "one 'addrs' per pool")]
    [InlineData("    addrs = 198.18.100.0/24\n    dns = 198.18.0.53, ns.example.org", 4, "pools.p.dns", "'ns.example.org' is not an IP address")]
    [InlineData("    addrs = 198.18.100.0/24\n    dns = 198.18.0.0/24", 4, "pools.p.dns", "is not an IP address")]
    [InlineData("    addrs = 198.18.100.0/24\n    nbns = 198.18.0.1,,198.18.0.2", 4, "pools.p.nbns", "empty element")]
    [InlineData("    dns = 198.18.0.53", 2, "pools.p.addrs", "missing 'addrs'")]
    [InlineData("    addrs =", 2, "pools.p.addrs", "missing 'addrs'")]
    [InlineData("    addrs = 198.18.100.0/24\n    split_include = 198.18.0.0/16", 4, "pools.p.split_include", "the key 'split_include' is not supported by Portcullis yet")]
    [InlineData("    addrs = 198.18.100.0/24\n    netmask = 255.255.255.0", 4, "pools.p.netmask", "not supported by Portcullis yet")]
    [InlineData("    addrs = 198.18.100.0/24\n    dhcp = 198.18.0.67", 4, "pools.p.dhcp", "not supported by Portcullis yet")]
    [InlineData("    addrs = 198.18.100.0/24\n    25 = example.org", 4, "pools.p.25", "not supported by Portcullis yet")]
    [InlineData("    addrs = 198.18.100.0/24\n    dnss = 198.18.0.53", 4, "pools.p.dnss", "unknown pool attribute 'dnss' (addrs, dns, nbns)")]
    [InlineData("    addrs = 198.18.100.0/24\n    leases {\n    }", 4, "pools.p.leases", "the section 'leases' is not supported by Portcullis yet")]
    public void Bad_pools_are_refused_naming_file_line_and_key(string body, int line, string key, string message)
    {
        (PortcullisConfig? config, IReadOnlyList<ConfigError> errors) = Load($"pools {{\n  p {{\n{body}\n  }}\n}}\n");
        Assert.Null(config);
        Assert.Contains(errors, e => e.File == Main && e.Line == line && e.Key == key && e.Message.Contains(message));
        Assert.All(errors, e => Assert.StartsWith($"{Main}:", e.ToString()));
    }

    [Fact]
    public void A_value_directly_under_pools_is_refused()
    {
        (PortcullisConfig? config, IReadOnlyList<ConfigError> errors) = Load("pools {\n  addrs = 198.18.100.0/24\n}\n");
        Assert.Null(config);
        ConfigError e = Assert.Single(errors);
        Assert.Equal((2, "pools.addrs"), (e.Line, e.Key));
    }

    [Fact]
    public void Overlapping_pools_are_refused_naming_both()
    {
        (PortcullisConfig? config, IReadOnlyList<ConfigError> errors) = Load("""
            pools {
              a {
                addrs = 198.18.100.0/24
              }
              b {
                addrs = 198.18.100.200-198.18.101.10
              }
              c {
                addrs = 198.18.101.11-198.18.101.20
              }
              d {
                addrs = 2001:db8::/120
              }
            }
            """);
        Assert.Null(config);
        ConfigError e = Assert.Single(errors);
        Assert.Equal("/etc/swanctl/swanctl.conf:6: pools.b.addrs: 198.18.100.200-198.18.101.10 overlaps pool 'a' (198.18.100.0/24)", e.ToString());
    }

    [Fact]
    public void Pools_merge_across_includes_and_a_later_value_wins_as_in_strongswan()
    {
        var fs = new InMemoryConfigFileSystem();
        fs.Add("/etc/swanctl/conf.d/pools.conf", "pools {\n  rw {\n    dns = 198.18.0.54\n  }\n}\n");
        fs.Add(Main, "pools {\n  rw {\n    addrs = 198.18.100.0/24\n    dns = 198.18.0.53\n  }\n}\ninclude conf.d/*.conf\n");
        (PortcullisConfig? config, IReadOnlyList<ConfigError> errors) = SwanctlConfigLoader.Load(Main, fs);
        Assert.Empty(errors);
        PoolConfig rw = Assert.Single(config!.Pools);
        Assert.Equal([Ip("198.18.0.54")], rw.Dns);
    }
}
