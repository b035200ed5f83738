using System.Net;
using System.Net.Sockets;
using Portcullis.Core.Config;
using Portcullis.Core.Pools;

namespace Portcullis.Core.Tests.Pools;

/// <summary>
/// /64s delegated from IPv6 pools shorter than /64, one per PPP client (<see cref="AddressPoolManager.AcquirePrefix"/>),
/// beside the pool's addresses, which keep its first /64.
/// </summary>
public class PrefixDelegationTests
{
    private static IPAddress Ip(string s) => IPAddress.Parse(s);

    private static PoolConfig Pool(string name, string addrs) => AddressPoolManagerTests.Pool(name, addrs);

    private static AddressRange Range(string addrs) => Pool("p", addrs).Addrs;

    [Fact]
    public void A_slash_56_delegates_its_255_other_slash_64s_and_a_slash_64_or_a_range_none()
    {
        AddressRange r = Range("2001:db8:1::/56");
        Assert.Equal(56, r.PrefixLength);
        Assert.Equal(255UL, r.PrefixCount);
        Assert.Equal(Ip("2001:db8:1:1::"), r.PrefixAt(0));
        Assert.Equal(Ip("2001:db8:1:ff::"), r.PrefixAt(254));
        Assert.Equal(0UL, r.PrefixOffsetOf(Ip("2001:db8:1:1:a:b:c:d")));
        Assert.Null(r.PrefixOffsetOf(Ip("2001:db8:1::5")));      // the addresses' /64
        Assert.Null(r.PrefixOffsetOf(Ip("2001:db8:2::5")));      // outside
        Assert.Equal(Ip("2001:db8:1::1"), r.First);              // addresses as before

        // Addresses that start in another /64 keep that one; the /64s on both sides are delegated.
        AddressRange shifted = Range("2001:db8:1:5::10/56");
        Assert.Equal(255UL, shifted.PrefixCount);
        Assert.Equal(Ip("2001:db8:1::"), shifted.PrefixAt(0));
        Assert.Equal(Ip("2001:db8:1:6::"), shifted.PrefixAt(5));
        Assert.Null(shifted.PrefixOffsetOf(Ip("2001:db8:1:5::abc")));

        Assert.Equal(65535UL, Range("2001:db8:1::/48").PrefixCount);
        Assert.Equal(0UL, Range("2001:db8:1::/64").PrefixCount);
        Assert.Null(Range("2001:db8:1::/64").PrefixLength);
        Assert.Equal(0UL, Range("2001:db8:1::1-2001:db8:1::ff").PrefixCount);
        Assert.Equal(0UL, Range("198.18.0.0/16").PrefixCount);
        Assert.NotEqual(Range("2001:db8:1::/56"), Range("2001:db8:1::/64"));
    }

    [Fact]
    public void Every_client_gets_its_own_slash_64_and_addresses_stay_in_the_first()
    {
        var m = new AddressPoolManager([Pool("v6", "2001:db8:1::/56"), Pool("v4", "198.18.100.0/24")]);
        Assert.True(m.DelegatesPrefixes(["v4", "v6"]));
        Assert.False(m.DelegatesPrefixes(["v4"]));
        var leases = Enumerable.Range(0, 255).Select(i => m.AcquirePrefix(["v4", "v6"], $"user{i}")!).ToList();
        Assert.Equal(255, leases.Select(l => l.Address).Distinct().Count());
        Assert.Equal(Ip("2001:db8:1:1::"), leases[0].Address);
        Assert.Equal(Ip("2001:db8:1:ff::"), leases[254].Address);
        Assert.All(leases, l => Assert.Equal(64, l.PrefixLength));
        Assert.All(leases, l => Assert.Equal(LeaseOrigin.New, l.Origin));
        // All online: nobody else gets one (never two clients with one /64).
        Assert.Null(m.AcquirePrefix(["v6"], "late"));
        // Single addresses for IKEv2 clients come from the first /64, untouched by the delegation.
        Lease address = m.Acquire(["v6"], "ike", AddressFamily.InterNetworkV6, null)!;
        Assert.Equal(Ip("2001:db8:1::1"), address.Address);
        Assert.Null(address.PrefixLength);

        PoolStatus status = m.Status("v6");
        Assert.Equal((1, 255UL, 255, 0), (status.Online, status.Prefixes, status.PrefixesOnline, status.PrefixesOffline));
        LeaseInfo first = m.Leases("v6").Single(l => l.Identity == "user0");
        Assert.Equal((Ip("2001:db8:1:1::"), 64, true), (first.Address, first.PrefixLength!.Value, first.Online));
    }

    [Fact]
    public void A_released_slash_64_comes_back_to_its_identity_and_is_taken_over_only_when_none_is_left()
    {
        var m = new AddressPoolManager([Pool("v6", "2001:db8:1::/62")]); // three /64s to delegate
        Lease a = m.AcquirePrefix(["v6"], "alice")!, b = m.AcquirePrefix(["v6"], "bob")!;
        Assert.True(m.Release(a));
        Assert.False(m.Release(a)); // once only
        Assert.Equal((1, 1), (m.Status("v6").PrefixesOnline, m.Status("v6").PrefixesOffline));

        Lease c = m.AcquirePrefix(["v6"], "carol")!; // the never-used one, alice's stays hers
        Assert.Equal(Ip("2001:db8:1:3::"), c.Address);
        Lease again = m.AcquirePrefix(["v6"], "alice")!;
        Assert.Equal((a.Address, LeaseOrigin.Returned), (again.Address, again.Origin));

        Assert.True(m.Release(b));
        Lease dave = m.AcquirePrefix(["v6"], "dave")!;
        Assert.Equal((b.Address, LeaseOrigin.Reclaimed, "bob"), (dave.Address, dave.Origin, dave.PreviousIdentity));
        Assert.Null(m.AcquirePrefix(["v6"], "erin"));
        // Releasing a prefix does not touch an address lease and the other way round.
        Lease address = m.Acquire(["v6"], "alice", AddressFamily.InterNetworkV6, null)!;
        Assert.True(m.Release(address));
        Assert.Equal(3, m.Status("v6").PrefixesOnline);
    }

    [Fact]
    public void A_pool_inside_another_pools_delegated_prefixes_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => new AddressPoolManager([Pool("big", "2001:db8:1::/56"), Pool("small", "2001:db8:1:5::/64")]));
        Assert.Contains("overlaps", e.Message, StringComparison.Ordinal);
        _ = new AddressPoolManager([Pool("big", "2001:db8:1::/56"), Pool("next", "2001:db8:1:100::/64")]);
    }

    [Fact]
    public void An_online_prefix_survives_a_reload_that_keeps_its_pool()
    {
        var m = new AddressPoolManager([Pool("v6", "2001:db8:1::/56")]);
        Lease a = m.AcquirePrefix(["v6"], "alice")!;
        m.Reload([Pool("v6", "2001:db8:1::/56"), Pool("v4", "198.18.100.0/24")]);
        Assert.Equal(1, m.Status("v6").PrefixesOnline);
        Assert.NotEqual(a.Address, m.AcquirePrefix(["v6"], "bob")!.Address);
        Assert.True(m.Release(a));
    }
}
