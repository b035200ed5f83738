using Microsoft.Extensions.Logging.Abstractions;
using Portcullis.Core.Config;
using Portcullis.Core.Ikev2;
using Portcullis.Host.Daemon;

namespace Portcullis.Host.Tests;

public sealed class SaListingTests
{
    private static readonly PortcullisConfig Empty = new() { Connections = [], Secrets = [] };

    [Fact]
    public void List_sas_ends_with_the_dos_summary()
    {
        var engine = new IkeEngine(Empty, new IkeEngineOptions(), NullLogger.Instance);
        string text = SaListing.ListSas(engine.IkeSas, null, DateTimeOffset.UnixEpoch, engine);
        Assert.Equal("half-open IKE_SAs: 0, cookies not required (cookie_threshold 10, block_threshold 5); 0 IKE_SA_INIT answered with a COOKIE, 0 dropped\n", text);
    }

    [Fact]
    public void Dos_summary_shows_cookie_mode_and_settings()
    {
        var always = new IkeEngine(Empty, new IkeEngineOptions { CookieThreshold = 0, InitLimitHalfOpen = 100 }, NullLogger.Instance);
        Assert.StartsWith("half-open IKE_SAs: 0, cookies required (cookie_threshold 0, block_threshold 5), init_limit_half_open 100;", SaListing.DosSummary(always));
        var off = new IkeEngine(Empty, new IkeEngineOptions { DosProtection = false }, NullLogger.Instance);
        Assert.StartsWith("half-open IKE_SAs: 0, dos_protection off;", SaListing.DosSummary(off));
    }

    [Fact]
    public void List_pools_counts_and_lists_delegated_slash_64s()
    {
        Assert.True(Portcullis.Core.Pools.AddressRange.TryParse("2001:db8:300::/56", out Portcullis.Core.Pools.AddressRange? range, out _));
        var pools = new Portcullis.Core.Pools.AddressPoolManager([new PoolConfig { Name = "ppp6", Addrs = range! }]);
        pools.AcquirePrefix(["ppp6"], "alice");
        pools.Acquire(["ppp6"], "bob", System.Net.Sockets.AddressFamily.InterNetworkV6, null);
        Assert.Equal(
            "ppp6                 2001:db8:300::/56                 1 / 0 / 2147483646\n" +
            "                     delegated /64s                    1 / 0 / 255\n" +
            "  2001:db8:300::1                         online  'bob'\n" +
            "  2001:db8:300:1::/64                     online  'alice'\n",
            SaListing.ListPools(pools, leases: true));
    }

    private static ConnectionConfig Ikev1(string local, string remote, string localNet, string remoteNet)
    {
        Portcullis.Core.Ipsec.TrafficSelector Ts(string t) =>
            Portcullis.Core.Ipsec.TrafficSelector.TryParse(t, out var ts, out _) ? ts : throw new ArgumentException(t);
        Identity Id(string t) => Identity.TryParse(t, out Identity? id, out _) ? id! : throw new ArgumentException(t);
        return new ConnectionConfig
        {
            Name = "gw",
            Version = 1,
            Location = new SourceLocation("test", 1),
            LocalAddrs = [local],
            RemoteAddrs = [remote],
            Proposals = ProposalParser.Parse("aes128-sha256-modp2048", ProposalKind.Ike).Proposals,
            Local = new AuthConfig { Auth = "psk", Id = Id(local) },
            Remote = new AuthConfig { Auth = "psk", Id = Id(remote) },
            Children = [new ChildConfig
            {
                Name = "net",
                Location = new SourceLocation("test", 2),
                LocalTs = [Ts(localNet)],
                RemoteTs = [Ts(remoteNet)],
                EspProposals = ProposalParser.Parse("aes128-sha256", ProposalKind.Esp).Proposals,
            }],
        };
    }

    [Fact]
    public void List_sas_shows_IKEv1_SAs_with_their_Quick_Mode_SAs()
    {
        PortcullisConfig Config(ConnectionConfig c) => new()
        {
            Connections = [c],
            Secrets = [new SharedSecret { Name = "ike-gw", Secret = "listing secret"u8.ToArray() }],
        };
        var left = new IkeEngine(Config(Ikev1("192.0.2.1", "192.0.2.2", "198.18.1.0/24", "198.18.2.0/24")), new IkeEngineOptions(), NullLogger.Instance);
        var right = new IkeEngine(Config(Ikev1("192.0.2.2", "192.0.2.1", "198.18.2.0/24", "198.18.1.0/24")), new IkeEngineOptions(), NullLogger.Instance);
        DateTimeOffset now = DateTimeOffset.UnixEpoch;
        Assert.True(left.Initiate(now, "net", out string? error), error);
        for (bool moved = true; moved;)
        {
            moved = false;
            foreach ((IkeEngine from, IkeEngine to) in (ReadOnlySpan<(IkeEngine, IkeEngine)>)[(left, right), (right, left)])
                while (from.TryDequeueTransmit(out IkeTransmit? t))
                {
                    moved = true;
                    if (!t!.IsKeepalive) to.HandleDatagram(now, t.Remote, t.Local, t.Data);
                }
        }
        string text = SaListing.ListSas(left.IkeSas, null, now + TimeSpan.FromSeconds(5), left);
        Assert.Matches(@"^gw: #1, ESTABLISHED, IKEv1 Main Mode, [0-9a-f]{16}_i\* [0-9a-f]{16}_r\n", text);
        Assert.Contains("  local  '192.0.2.1' @ 192.0.2.1[500]\n", text);
        Assert.Contains("  aes128-sha256-prfsha256-modp2048\n", text);
        Assert.Contains("NAT: none, UDP encapsulation no, NAT-T yes, DPD yes", text);
        Assert.Contains("established 5s ago, reauthenticating in ", text);
        Assert.Matches(@"  net: #2, INSTALLED, TUNNEL, ESP SPIs: [0-9a-f]{8}_i [0-9a-f]{8}_o\n    aes128-sha256\n", text);
        Assert.Contains("    remote 198.18.2.0/24\n", text);
        Assert.Contains("IKEv1 Main Mode, ", SaListing.ListSas(right.IkeSas, null, now, right));
    }
}
