using System.Net;
using System.Net.Sockets;
using Portcullis.Core.Config;
using Portcullis.Core.Ikev2.Wire;
using Portcullis.Core.Pools;

namespace Portcullis.Core.Tests.Pools;

public class AddressPoolManagerTests
{
    private static readonly AddressFamily V4 = AddressFamily.InterNetwork, V6 = AddressFamily.InterNetworkV6;

    private static IPAddress Ip(string s) => IPAddress.Parse(s);

    internal static PoolConfig Pool(string name, string addrs, params string[] dns)
    {
        Assert.True(AddressRange.TryParse(addrs, out AddressRange? range, out string? error), error);
        return new PoolConfig { Name = name, Addrs = range!, Dns = [.. dns.Select(IPAddress.Parse)] };
    }

    private static Lease Take(AddressPoolManager m, string identity, string? requested = null, string pool = "rw", IPEndPoint? peer = null) =>
        m.Acquire([pool], identity, V4, requested is null ? null : Ip(requested), peer) ?? throw new Xunit.Sdk.XunitException($"no address for {identity}");

    [Fact]
    public void Three_hundred_identities_get_three_hundred_distinct_addresses_lowest_first()
    {
        var m = new AddressPoolManager([Pool("rw", "198.18.100.0/23")]);
        var leases = Enumerable.Range(0, 300).Select(i => Take(m, $"client{i}")).ToList();
        Assert.Equal(300, leases.Select(l => l.Address).Distinct().Count());
        Assert.Equal(Ip("198.18.100.1"), leases[0].Address);
        Assert.Equal(Ip("198.18.101.44"), leases[299].Address);
        Assert.All(leases, l => Assert.Equal(LeaseOrigin.New, l.Origin));
        Assert.Equal(new PoolStatus("rw", Pool("rw", "198.18.100.0/23").Addrs, 510, 300, 0), m.Status("rw"));
    }

    [Fact]
    public void An_exhausted_pool_returns_null_and_the_next_named_pool_is_used()
    {
        var m = new AddressPoolManager([Pool("small", "198.18.100.1-198.18.100.2"), Pool("big", "198.18.101.0/24"), Pool("six", "2001:db8::/120")]);
        Assert.Equal(Ip("198.18.100.1"), Take(m, "a", pool: "small").Address);
        Assert.Equal(Ip("198.18.100.2"), Take(m, "b", pool: "small").Address);
        Assert.Null(m.Acquire(["small"], "c", V4, null));
        Assert.Equal(Ip("198.18.101.1"), m.Acquire(["small", "big"], "c", V4, null)!.Address);
        // Unknown names and pools of the other family are skipped.
        Assert.Null(m.Acquire(["nope", "six"], "d", V4, null));
        Assert.Equal(Ip("2001:db8::1"), m.Acquire(["small", "six"], "d", V6, null)!.Address);
        Assert.Null(m.Acquire([], "e", V4, null));
    }

    [Fact]
    public void An_identity_that_went_offline_gets_its_address_back()
    {
        var m = new AddressPoolManager([Pool("rw", "198.18.100.0/24")]);
        Lease a = Take(m, "alice"), b = Take(m, "bob");
        Assert.True(m.Release(a));
        Assert.Equal((0, 1), (m.Status("rw").Online - 1, m.Status("rw").Offline));
        Take(m, "carol"); // a never-used address goes to a newcomer, alice's stays reserved
        Lease again = Take(m, "alice");
        Assert.Equal(a.Address, again.Address);
        Assert.Equal(LeaseOrigin.Returned, again.Origin);
        Assert.NotEqual(b.Address, again.Address);
    }

    [Fact]
    public void When_nothing_is_left_the_oldest_offline_lease_of_another_identity_is_taken()
    {
        var m = new AddressPoolManager([Pool("rw", "198.18.100.1-198.18.100.3")]);
        Lease a = Take(m, "a"), b = Take(m, "b"), c = Take(m, "c");
        Assert.Null(m.Acquire(["rw"], "d", V4, null));
        m.Release(b);
        m.Release(a);
        Lease d = Take(m, "d");
        Assert.Equal((b.Address, LeaseOrigin.Reclaimed, "b"), (d.Address, d.Origin, d.PreviousIdentity));
        Lease e = Take(m, "e");
        Assert.Equal(a.Address, e.Address);
        Assert.Null(m.Acquire(["rw"], "b", V4, null)); // b's lease is gone: everything is online
        m.Release(c);
        Assert.Equal(c.Address, Take(m, "b").Address);
        Assert.Equal([("a", false), ("b", false), ("c", false)], new[] { a, b, c }.Select(l => (l.Identity, m.Release(l))));
    }

    [Fact]
    public void A_requested_address_is_given_when_free_or_the_identity_s_own()
    {
        var m = new AddressPoolManager([Pool("rw", "198.18.100.0/24")]);
        Lease a = Take(m, "alice", requested: "198.18.100.77");
        Assert.Equal((Ip("198.18.100.77"), LeaseOrigin.Requested), (a.Address, a.Origin));
        // Someone else asking for it gets another one; the cursor skips the taken address later.
        Lease b = Take(m, "bob", requested: "198.18.100.77");
        Assert.Equal((Ip("198.18.100.1"), LeaseOrigin.New), (b.Address, b.Origin));
        // Outside the pool, of the wrong family, or "any": the usual order.
        Assert.Equal(Ip("198.18.100.2"), Take(m, "carol", requested: "198.18.200.1").Address);
        Assert.Equal(Ip("198.18.100.3"), m.Acquire(["rw"], "dave", V4, Ip("2001:db8::1"))!.Address);
        Assert.Equal(Ip("198.18.100.4"), Take(m, "erin", requested: "0.0.0.0").Address);
        // An offline lease asked for by its identity comes back; asked for by another, it is refused.
        m.Release(a);
        Assert.NotEqual(a.Address, Take(m, "mallory", requested: "198.18.100.77").Address);
        Lease back = Take(m, "alice", requested: "198.18.100.77");
        Assert.Equal((a.Address, LeaseOrigin.Returned), (back.Address, back.Origin));
        var ips = Enumerable.Range(0, 80).Select(i => Take(m, $"x{i}").Address).ToList();
        Assert.DoesNotContain(Ip("198.18.100.77"), ips);
        Assert.Equal(ips.Count, ips.Distinct().Count());
    }

    [Fact]
    public void Reauthentication_shares_the_address_until_the_old_sa_goes()
    {
        var peer = new IPEndPoint(Ip("192.0.2.10"), 4500);
        var m = new AddressPoolManager([Pool("rw", "198.18.100.0/24")]);
        Lease old = Take(m, "alice", peer: peer);
        Lease fresh = Take(m, "alice", requested: old.Address.ToString(), peer: peer);
        Assert.Equal((old.Address, LeaseOrigin.Shared), (fresh.Address, fresh.Origin));
        Assert.NotEqual(old.Reference, fresh.Reference);
        Assert.Equal(new LeaseInfo(old.Address, "alice", true, 2), Assert.Single(m.Leases("rw")));
        // The old IKE SA is deleted: the address stays online for the new one; releasing twice counts once.
        Assert.True(m.Release(old));
        Assert.False(m.Release(old));
        Assert.Equal(new LeaseInfo(old.Address, "alice", true, 1), Assert.Single(m.Leases("rw")));
        Assert.Equal(1, m.Status("rw").Online);
        Assert.True(m.Release(fresh));
        Assert.Equal(new LeaseInfo(old.Address, "alice", false, 0), Assert.Single(m.Leases("rw")));
        Assert.Equal((0, 1), (m.Status("rw").Online, m.Status("rw").Offline));
    }

    [Fact]
    public void A_second_device_of_one_identity_gets_its_own_address()
    {
        var laptop = new IPEndPoint(Ip("192.0.2.10"), 4500);
        var phone = new IPEndPoint(Ip("198.51.100.20"), 4500);
        var m = new AddressPoolManager([Pool("rw", "198.18.100.0/24")]);
        Lease first = Take(m, "alice", peer: laptop);
        // Without asking: a new address (strongSwan does the same).
        Assert.NotEqual(first.Address, Take(m, "alice", peer: phone).Address);
        // Asking for the laptop's address from another endpoint: still not shared.
        Lease asked = Take(m, "alice", requested: first.Address.ToString(), peer: phone);
        Assert.NotEqual(first.Address, asked.Address);
        Assert.Equal(LeaseOrigin.New, asked.Origin);
        // Without endpoints the identity alone decides.
        var n = new AddressPoolManager([Pool("rw", "198.18.100.0/24")]);
        Lease x = Take(n, "bob");
        Assert.Equal((x.Address, LeaseOrigin.Shared), (Take(n, "bob", requested: x.Address.ToString()).Address, Take(n, "bob", requested: x.Address.ToString()).Origin));
    }

    [Fact]
    public void Reload_keeps_leases_that_still_fit_and_forgets_the_others()
    {
        var m = new AddressPoolManager([Pool("rw", "198.18.100.0/24"), Pool("old", "198.18.200.0/24")]);
        Lease a = Take(m, "a"), b = Take(m, "b"), c = Take(m, "c"), gone = Take(m, "g", pool: "old");
        m.Release(b);
        // rw shrinks to .1-.2: a (online, .1) and b (offline, .2) stay, c (.3) falls out; pool "old" is removed.
        m.Reload([Pool("rw", "198.18.100.1-198.18.100.2", "198.18.0.53"), Pool("new", "198.18.101.0/24")]);
        Assert.Equal(["rw", "new"], m.Pools.Select(p => p.Name));
        Assert.Equal([new LeaseInfo(a.Address, "a", true, 1), new LeaseInfo(b.Address, "b", false, 0)], m.Leases("rw"));
        Assert.Equal([Ip("198.18.0.53")], m.Dns("rw"));
        // Both addresses are known (none is new): the next client takes over b's offline lease, which survived.
        Lease d = Take(m, "d");
        Assert.Equal((b.Address, LeaseOrigin.Reclaimed, "b"), (d.Address, d.Origin, d.PreviousIdentity));
        Assert.False(m.Release(c));
        Assert.False(m.Release(gone));
        Assert.True(m.Release(a));
        Assert.Throws<KeyNotFoundException>(() => m.Status("old"));
        Assert.Empty(m.Dns("old"));
    }

    [Fact]
    public void Reload_moves_an_online_address_to_the_pool_that_now_holds_it()
    {
        var m = new AddressPoolManager([Pool("a", "198.18.100.0/25")]);
        Lease online = Take(m, "alice", pool: "a");
        m.Reload([Pool("b", "198.18.100.0/24")]);
        Assert.Equal(new LeaseInfo(online.Address, "alice", true, 1), Assert.Single(m.Leases("b")));
        Assert.NotEqual(online.Address, Take(m, "bob", pool: "b").Address);
        Assert.True(m.Release(online));
    }

    [Fact]
    public void Overlapping_or_duplicate_pools_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new AddressPoolManager([Pool("a", "198.18.100.0/24"), Pool("b", "198.18.100.128/25")]));
        Assert.Throws<ArgumentException>(() => new AddressPoolManager([Pool("a", "198.18.100.0/24"), Pool("a", "198.18.101.0/24")]));
        var m = new AddressPoolManager([Pool("a", "198.18.100.0/24")]);
        Lease l = Take(m, "x", pool: "a");
        Assert.Throws<ArgumentException>(() => m.Reload([Pool("a", "198.18.100.0/24"), Pool("b", "198.18.100.5")]));
        Assert.Equal(new LeaseInfo(l.Address, "x", true, 1), Assert.Single(m.Leases("a"))); // unchanged
    }

    [Fact]
    public void A_big_ipv6_pool_costs_only_what_is_handed_out()
    {
        var m = new AddressPoolManager([Pool("six", "2001:db8::/64")]);
        Assert.Equal(2147483646UL, m.Status("six").Size);
        Lease l = m.Acquire(["six"], "a", V6, Ip("2001:db8::7fff:fffe"))!;
        Assert.Equal(LeaseOrigin.Requested, l.Origin);
        Assert.Equal(Ip("2001:db8::1"), m.Acquire(["six"], "b", V6, IPAddress.IPv6Any)!.Address);
    }

    [Fact]
    public void The_reply_carries_the_addresses_and_the_dns_of_their_pools_only()
    {
        var m = new AddressPoolManager([Pool("v4", "198.18.100.0/24", "198.18.0.53"), Pool("v6", "2001:db8::/120", "2001:db8::53"), Pool("other", "198.18.101.0/24", "198.18.1.53")]);
        Lease a = m.Acquire(["v4", "v6"], "c", V4, null)!, b = m.Acquire(["v4", "v6"], "c", V6, null)!;
        ConfigurationPayload cp = m.ReplyFor([a, b]);
        Assert.Equal(ConfigType.Reply, cp.ConfigType);
        Assert.Equal([a.Address], cp.Ip4Addresses);
        Assert.Equal([(b.Address, 64)], cp.Ip6Addresses);
        Assert.Equal([Ip("198.18.0.53"), Ip("2001:db8::53")], cp.Dns);
    }

    /// <summary>
    /// Random acquire/release/reload sequences (seeded) checked against a model of the holds the test has: an address
    /// held by the test is held by one identity only, the manager lists exactly those addresses online with that
    /// identity and as many references, and releasing a hold twice does nothing.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Random_sequences_never_give_one_address_to_two_identities(int seed)
    {
        var rng = new Random(seed);
        PoolConfig[][] configs =
        [
            [Pool("a", "198.18.100.1-198.18.100.12"), Pool("b", "198.18.100.20-198.18.100.23")],
            [Pool("a", "198.18.100.1-198.18.100.8"), Pool("b", "198.18.100.9-198.18.100.23")],
            [Pool("b", "198.18.100.0/28")],
        ];
        var m = new AddressPoolManager(configs[0]);
        var live = new List<Lease>();
        var released = new List<Lease>();
        var endpoints = Enumerable.Range(0, 3).Select(i => new IPEndPoint(Ip($"192.0.2.{i + 1}"), 4500)).ToArray();
        int granted = 0, refused = 0, shared = 0, reclaimed = 0;
        for (int step = 0; step < 20000; step++)
        {
            int op = rng.Next(100);
            if (op < 55)
            {
                string id = $"id{rng.Next(25)}";
                IPAddress? requested = rng.Next(3) switch
                {
                    0 => null,
                    1 => Ip($"198.18.100.{rng.Next(0, 26)}"),
                    _ => live.Count > 0 ? live[rng.Next(live.Count)].Address : null,
                };
                string[] names = rng.Next(2) == 0 ? ["a", "b"] : ["b"];
                Lease? l = m.Acquire(names, id, V4, requested, endpoints[rng.Next(endpoints.Length)]);
                if (l is null) { refused++; continue; }
                granted++;
                if (l.Origin == LeaseOrigin.Shared) shared++;
                if (l.Origin == LeaseOrigin.Reclaimed) reclaimed++;
                Assert.Equal(id, l.Identity);
                live.Add(l);
            }
            else if (op < 95 && live.Count > 0)
            {
                int i = rng.Next(live.Count);
                Assert.True(m.Release(live[i]));
                released.Add(live[i]);
                live.RemoveAt(i);
            }
            else if (op < 97 && released.Count > 0)
            {
                Assert.False(m.Release(released[rng.Next(released.Count)]));
            }
            else if (op >= 97)
            {
                PoolConfig[] next = configs[rng.Next(configs.Length)];
                m.Reload(next);
                // Holds on addresses no pool has any more are forgotten, as documented.
                foreach (Lease gone in live.Where(l => !next.Any(p => p.Addrs.Contains(l.Address))).ToList())
                {
                    live.Remove(gone);
                    Assert.False(m.Release(gone));
                }
            }

            var online = m.Pools.SelectMany(p => m.Leases(p.Name)).Where(x => x.Online).ToDictionary(x => x.Address);
            var byAddress = live.GroupBy(l => l.Address).ToList();
            Assert.Equal(online.Count, byAddress.Count);
            foreach (IGrouping<IPAddress, Lease> g in byAddress)
            {
                Assert.Single(g.Select(l => l.Identity).Distinct());
                Assert.True(online.TryGetValue(g.Key, out LeaseInfo info), $"{g.Key} is held but not listed online");
                Assert.Equal((g.First().Identity, g.Count()), (info.Identity, info.References));
            }
        }
        Assert.True(granted > 1000 && refused > 100 && shared > 10 && reclaimed > 10,
            $"granted {granted}, refused {refused}, shared {shared}, reclaimed {reclaimed}: the sequence should exercise every rule");
    }
}
