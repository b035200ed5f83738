using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Portcullis.Core.Config;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Ikev2.Wire;
using Portcullis.Core.L2tp;
using Portcullis.Core.Pools;
using Portcullis.Core.Ppp;
using Portcullis.Host.Tun;

namespace Portcullis.Host.Daemon;

/// <summary>
/// L2TP/IPsec in the daemon: the L2TP engines (server for the <c>l2tp</c> section, client for <c>l2tp-connect</c>)
/// and a PPP session per L2TP session, fed only with UDP 1701 segments that arrived inside a transport-mode ESP SA and
/// sending only through one (<see cref="EspDataPlane.SendTransport"/>). An L2TP peer is known by the outer endpoint of
/// its SAs, so several clients behind one NAT stay apart. IP packets of an open PPP link go to and from the TUN
/// device: IPv4 for the IPCP address, and IPv6 for the client's own /64 when an IPv6 pool in <c>l2tp.pools</c> is
/// shorter than /64 (<see cref="AddressPoolManager.AcquirePrefix"/>: every address the client forms in it, SLAAC or
/// RFC 4941 temporary, is routed and accepted), else for the one address it forms from the pool's /64 and its IPv6CP
/// Interface-Identifier. The Router Advertisements carry the IPv6 DNS servers of those pools (RDNSS). Everything runs on the daemon's loop thread except
/// <see cref="OnTunPacket"/>, which hands over to it.
/// </summary>
internal sealed class L2tpService : IDisposable
{
    private readonly EspDataPlane _dataPlane;
    private readonly TunDevice _tun;
    private readonly Func<PortcullisConfig> _config;
    private readonly AddressPoolManager _pools;
    private readonly Action<Action> _post;
    private readonly ILogger _logger;
    private readonly ILoggerFactory _loggers;
    private L2tpServer? _server;
    private L2tpClient? _client;
    private readonly Dictionary<L2tpSession, Link> _links = [];
    // Keyed by the IPv4 address as a number: the TUN reader looks every packet up here while a PPP link is up.
    private readonly ConcurrentDictionary<uint, Link> _byAddress = new();
    // The same for IPv6 addresses (a server's clients' global addresses).
    private readonly ConcurrentDictionary<UInt128, Link> _byAddress6 = new();
    // A server's clients' own /64s, and a client's /64 from the advertisement, by their first 64 bits.
    private readonly ConcurrentDictionary<ulong, Link> _byPrefix6 = new();
    private readonly Dictionary<IPEndPoint, ushort> _peerPorts = [];
    private readonly byte[] _frame = new byte[TunDevice.MaxPacketSize + 64];
    private readonly byte[] _datagram = new byte[TunDevice.MaxPacketSize + 128];
    private bool _disposed;
    private bool _sharedPrefixLogged;

    /// <summary>One PPP link over an L2TP session.</summary>
    private sealed class Link(L2tpEngine engine, L2tpSession session, PppSession ppp, bool client)
    {
        public L2tpEngine Engine { get; } = engine;
        public L2tpSession Session { get; } = session;
        public PppSession Ppp { get; } = ppp;
        public bool Client { get; } = client;
        public Lease? Lease { get; set; }
        public IPAddress? Address { get; set; }
        public IPAddress? Address6 { get; set; }
        /// <summary>Server: our own address on the link (l2tp.local_ip), held on the TUN device while the link is up.</summary>
        public IPAddress? ServerAddress { get; set; }
        /// <summary>Server: the client's own /64, delegated from an IPv6 pool, once asked for (null: the shared /64).</summary>
        public Lease? Prefix6 { get; set; }
        public bool Prefix6Asked { get; set; }
        /// <summary>Client: IPv6CP was asked for (l2tp-connect --ipv6), and our Interface-Identifier once it opened.</summary>
        public bool WantIpv6 { get; init; }
        public ulong Ipv6Identifier { get; set; }
        public IReadOnlyList<string> Routes { get; set; } = [];
        public TaskCompletionSource<string?>? Connected { get; set; }
    }

    public L2tpService(EspDataPlane dataPlane, TunDevice tun, Func<PortcullisConfig> config, AddressPoolManager pools, Action<Action> post, ILoggerFactory loggers)
    {
        _dataPlane = dataPlane;
        _tun = tun;
        _config = config;
        _pools = pools;
        _post = post;
        _loggers = loggers;
        _logger = loggers.CreateLogger("l2tp");
        dataPlane.TransportReceived = (child, port, payload) => _post(() => Receive(DateTimeOffset.UtcNow, child, port, payload));
    }

    /// <summary>When <see cref="HandleTimeout"/> is next due.</summary>
    public DateTimeOffset? NextTimeout
    {
        get
        {
            DateTimeOffset? next = Min(_server?.NextTimeout, _client?.NextTimeout);
            foreach (Link link in _links.Values) next = Min(next, link.Ppp.NextTimeout);
            return next;
        }
    }

    private static DateTimeOffset? Min(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a < b ? a : b;

    /// <summary>The L2TP server, created when the configuration first has an <c>l2tp</c> section.</summary>
    private L2tpServer? Server
    {
        get
        {
            if (_server is null && _config().L2tp is not null)
            {
                _server = new L2tpServer(new L2tpOptions { HostName = Environment.MachineName }, _loggers.CreateLogger("l2tp"));
                _server.FrameReceived = OnFrame;
            }
            return _server;
        }
    }

    /// <summary>A UDP 1701 segment out of a transport-mode SA (loop thread).</summary>
    private void Receive(DateTimeOffset now, ChildSa child, ushort peerPort, byte[] payload)
    {
        IPEndPoint peer = child.RemoteEndpoint;
        _peerPorts[peer] = peerPort;
        // Our own client's tunnel to this peer, else the server (which needs an l2tp section to exist at all).
        L2tpEngine? engine = _client is not null && _client.Tunnels.Any(t => t.RemoteEndpoint.Equals(peer)) ? _client : Server;
        if (engine is null)
        {
            L2tpLogHost.NoServer(_logger, peer.ToString());
            return;
        }
        if (engine.TryDecapsulateData(peer, payload, out L2tpSession? session, out int offset, out int length))
            OnFrame(session, payload.AsSpan(offset, length));
        else
            engine.HandleDatagram(now, new IPEndPoint(child.LocalEndpoint.Address, EspDataPlane.L2tpPort), peer, payload);
        Pump(now);
    }

    /// <summary>A PPP frame of a session: an IP packet for the TUN device, or PPP's own control traffic.</summary>
    private void OnFrame(L2tpSession session, ReadOnlySpan<byte> frame)
    {
        if (!_links.TryGetValue(session, out Link? link)) return;
        if (link.Ppp.TryGetIpPacket(frame, out ReadOnlySpan<byte> ip))
        {
            if (link.Client && NeighborDiscovery.IsIcmpv6Type(ip, RouterAdvertisement.Type))
            {
                // The TUN device has no link-local address to do SLAAC with, so the client does it here.
                TakeRouterAdvertisement(link, ip);
                return;
            }
            // Only the address IPCP gave the peer, or the IPv6 address it formed, may be a source (a server); a client
            // takes what comes to its address.
            // With its own /64 any source in it (SLAAC, RFC 4941 temporary addresses).
            if (!link.Client && !(ip[0] >> 4 == 6 ? Source6Allowed(link, ip) : link.Address is { } a4 && SourceIs(ip, a4))) return;
            _tun.Write(ip);
            return;
        }
        link.Ppp.HandleFrame(DateTimeOffset.UtcNow, frame);
    }

    /// <summary>
    /// Client: SLAAC (RFC 4862 §5.5.3) from the server's advertisement: its autonomous /64 and our IPv6CP
    /// Interface-Identifier make our address, which goes on the TUN device.
    /// </summary>
    private void TakeRouterAdvertisement(Link link, ReadOnlySpan<byte> ip)
    {
        if (!RouterAdvertisement.TryParse(ip, out RouterAdvertisement ra, out ParseError error))
        {
            L2tpLogHost.BadAdvertisement(_logger, link.Session.Tunnel.RemoteEndpoint.ToString(), error.ToString());
            return;
        }
        if (ra.Prefix is null || !ra.Autonomous || ra.PrefixLength != 64 || ra.ValidLifetime == 0 || link.Ipv6Identifier == 0) return;
        IPAddress address = Ipv6cpOptions.Address(ra.Prefix, link.Ipv6Identifier);
        // Any address of ours in the /64 goes out through this link (the SLAAC one, and temporary ones, RFC 4941).
        _byPrefix6[Key64(ra.Prefix)] = link;
        if (address.Equals(link.Address6)) return;
        if (link.Address6 is { } old)
        {
            _byAddress6.TryRemove(Key6(old), out _);
            if (Key64(old) != Key64(address)) _byPrefix6.TryRemove(KeyValuePair.Create(Key64(old), link));
            _dataPlane.RemoveVirtualIp(old);
        }
        link.Address6 = address;
        _byAddress6[Key6(address)] = link;
        _dataPlane.AddVirtualIp(address);
        L2tpLogHost.Slaac(_logger, address.ToString(), ra.Source.ToString(), ra.Dns is { Servers.Count: > 0 } rdnss ? $"{string.Join(", ", rdnss.Servers)} (RDNSS, {rdnss.Lifetime} s)" : "none");
        if (link.Address is not null) link.Connected?.TrySetResult(null);
    }

    private static uint Key(IPAddress address)
    {
        Span<byte> a = stackalloc byte[4];
        address.TryWriteBytes(a, out _);
        return BinaryPrimitives.ReadUInt32BigEndian(a);
    }

    private static UInt128 Key6(IPAddress address)
    {
        Span<byte> a = stackalloc byte[16];
        address.TryWriteBytes(a, out _);
        return BinaryPrimitives.ReadUInt128BigEndian(a);
    }

    private static bool Source6Allowed(Link link, ReadOnlySpan<byte> ip)
    {
        if (link.Prefix6 is { } own && ip.Length >= 40) return BinaryPrimitives.ReadUInt64BigEndian(ip[8..]) == Key64(own.Address);
        return link.Address6 is { } a6 && Source6Is(ip, a6);
    }

    private static ulong Key64(IPAddress address) => (ulong)(Key6(address) >> 64);

    private static bool Source6Is(ReadOnlySpan<byte> ip, IPAddress address)
    {
        Span<byte> a = stackalloc byte[16];
        return ip.Length >= 40 && address.TryWriteBytes(a, out _) && ip.Slice(8, 16).SequenceEqual(a);
    }

    private static bool SourceIs(ReadOnlySpan<byte> ip, IPAddress address)
    {
        Span<byte> a = stackalloc byte[4];
        return ip.Length >= 20 && ip[0] >> 4 == 4 && address.TryWriteBytes(a, out _) && ip.Slice(12, 4).SequenceEqual(a);
    }

    /// <summary>
    /// TUN reader thread: a packet for a PPP client's address (server) or from our PPP address (client) goes into its
    /// link; true when taken. The packet is copied to the loop, which owns the engines.
    /// </summary>
    public bool OnTunPacket(ReadOnlySpan<byte> packet)
    {
        Link? link;
        if (packet.Length >= 40 && packet[0] >> 4 == 6)
        {
            if (_byAddress6.IsEmpty && _byPrefix6.IsEmpty) return false;
            UInt128 destination6 = BinaryPrimitives.ReadUInt128BigEndian(packet[24..]), source6 = BinaryPrimitives.ReadUInt128BigEndian(packet[8..]);
            // Server: to a client's address or into its own /64. Client: from our address or another one we formed in
            // the advertised /64 (a temporary one, RFC 4941).
            if (!_byAddress6.TryGetValue(destination6, out link)
                && !(_byPrefix6.TryGetValue((ulong)(destination6 >> 64), out link) && !link.Client)
                && !(_byAddress6.TryGetValue(source6, out link) && link.Client)
                && !(_byPrefix6.TryGetValue((ulong)(source6 >> 64), out link) && link.Client)) return false;
        }
        else
        {
            if (_byAddress.IsEmpty || packet.Length < 20 || packet[0] >> 4 != 4) return false;
            uint destination = BinaryPrimitives.ReadUInt32BigEndian(packet[16..]), source = BinaryPrimitives.ReadUInt32BigEndian(packet[12..]);
            if (!_byAddress.TryGetValue(destination, out link) && !(_byAddress.TryGetValue(source, out link) && link.Client)) return false;
        }
        byte[] copy = packet.ToArray();
        _post(() => SendIp(link, copy));
        return true;
    }

    private void SendIp(Link link, byte[] ip)
    {
        if (ip[0] >> 4 == 6 ? !link.Ppp.IsIpv6Up : !link.Ppp.IsNetworkUp) return;
        int n = PppSession.WrapIpPacket(ip, _frame);
        if (n > 0) SendFrame(link, _frame.AsSpan(0, n));
    }

    private void SendFrame(Link link, ReadOnlySpan<byte> frame)
    {
        if (!link.Engine.TryEncapsulateData(link.Session, frame, _datagram, out int written)) return;
        SendDatagram(link.Session.Tunnel.RemoteEndpoint, _datagram.AsSpan(0, written));
    }

    private void SendDatagram(IPEndPoint peer, ReadOnlySpan<byte> datagram)
    {
        ushort port = _peerPorts.TryGetValue(peer, out ushort p) ? p : EspDataPlane.L2tpPort;
        if (!_dataPlane.SendTransport(peer, EspDataPlane.L2tpPort, port, datagram)) L2tpLogHost.NoSa(_logger, peer.ToString());
    }

    /// <summary>Runs the timers of the engines and the PPP links.</summary>
    public void HandleTimeout(DateTimeOffset now)
    {
        _server?.HandleTimeout(now);
        _client?.HandleTimeout(now);
        foreach (Link link in _links.Values.ToArray()) link.Ppp.HandleTimeout(now);
        Pump(now);
    }

    /// <summary>Moves what the engines queued: datagrams out through the SAs, L2TP and PPP events to their effects.</summary>
    private void Pump(DateTimeOffset now)
    {
        for (bool moved = true; moved;)
        {
            moved = false;
            foreach (L2tpEngine engine in new L2tpEngine?[] { _server, _client }.OfType<L2tpEngine>())
            {
                while (engine.TryDequeueTransmit(out L2tpTransmit? t)) { moved = true; SendDatagram(t.Remote, t.Data); }
                while (engine.TryDequeueEvent(out L2tpEvent? e)) { moved = true; OnL2tpEvent(now, engine, e); }
            }
            foreach (Link link in _links.Values.ToArray())
            {
                while (link.Ppp.TryDequeueFrame(out byte[] frame)) { moved = true; SendFrame(link, frame); }
                while (link.Ppp.TryDequeueEvent(out PppEvent pe)) { moved = true; OnPppEvent(now, link, pe); }
            }
        }
    }

    private void OnL2tpEvent(DateTimeOffset now, L2tpEngine engine, L2tpEvent e)
    {
        switch (e)
        {
            case L2tpSessionUp up when engine == _server && !_links.ContainsKey(up.Session):
            {
                Link link = NewServerLink(engine, up.Session, _config().L2tp!);
                _links[up.Session] = link;
                link.Ppp.Start(now);
                break;
            }
            case L2tpSessionUp up when engine == _client && _links.TryGetValue(up.Session, out Link? link):
                link.Ppp.Start(now);
                break;
            case L2tpSessionDown down when _links.TryGetValue(down.Session, out Link? link):
                link.Ppp.LowerDown(now, down.Reason);
                Forget(link, down.Reason);
                break;
            case L2tpTunnelDown down:
                foreach (Link link in _links.Values.Where(l => l.Session.Tunnel == down.Tunnel).ToArray())
                {
                    link.Ppp.LowerDown(now, down.Reason);
                    Forget(link, down.Reason);
                }
                break;
        }
    }

    /// <summary>
    /// A server-side PPP link: the methods of <c>l2tp.auth</c>, users from <c>secrets.eap-*</c>, and for IPCP the
    /// authenticated user's lease from the l2tp pools (the user is the identity, as EAP identities are for IKEv2).
    /// </summary>
    private Link NewServerLink(L2tpEngine engine, L2tpSession session, L2tpConfig l2tp)
    {
        Link? link = null;
        IPEndPoint peer = session.Tunnel.RemoteEndpoint;
        // IPv6CP runs only when a pool makes IPv6 usable: its /64 is the prefix the client's address is formed in.
        PoolConfig? pool6 = l2tp.Pools.Select(name => _pools.Pools.FirstOrDefault(p => p.Name == name))
            .FirstOrDefault(p => p is not null && p.Addrs.Family == AddressFamily.InterNetworkV6);
        IPAddress? prefix6 = pool6 is null ? null : Ipv6cpOptions.Address(pool6.Addrs.First, 0);
        var ppp = new PppSession(new PppOptions
        {
            Role = PppRole.Server,
            Name = $"ppp[{session.Tunnel.LocalTunnelId}/{session.LocalSessionId}]",
            AuthenticationProtocols = [.. l2tp.Auth.Select(ToPpp)],
            FindPassword = user => _config().FindEapSecret(user)?.Secret,
            Mru = l2tp.Mru,
            LocalAddress = l2tp.LocalIp,
            // IPCP carries IPv4 servers only; an IPv6 pool's servers are not for it.
            Dns = [.. l2tp.Pools.SelectMany(_pools.Dns).Where(a => a.AddressFamily == AddressFamily.InterNetwork).Distinct()],
            Nbns = [.. l2tp.Pools.SelectMany(_pools.Nbns).Where(a => a.AddressFamily == AddressFamily.InterNetwork).Distinct()],
            AssignPeerAddress = user =>
            {
                if (link!.Lease is { } held) return held.Address;
                link.Lease = _pools.Acquire(l2tp.Pools, user, AddressFamily.InterNetwork, null, peer);
                if (link.Lease is null) L2tpLogHost.PoolExhausted(_logger, string.Join(", ", l2tp.Pools), user);
                return link.Lease?.Address;
            },
            Ipv6Prefix = prefix6,
            // A /64 of its own when a pool delegates them (asked for during IPv6CP's negotiation, so the identifier is
            // checked against the right prefix), else the shared /64 of the first IPv6 pool.
            AssignIpv6Prefix = user => OwnPrefix6(link!, l2tp.Pools, user)?.Address,
            Ipv6Dns = [.. l2tp.Pools.SelectMany(_pools.Dns).Where(a => a.AddressFamily == AddressFamily.InterNetworkV6).Distinct()],
            // An identifier is refused when its address is another link's or one the pools hand out (IKEv2 clients);
            // in a /64 of its own every identifier but ours is the client's to take.
            Ipv6IdentifierTaken = id =>
            {
                if (OwnPrefix6(link!, l2tp.Pools, link!.Ppp.AuthenticatedUser ?? "-") is not null) return false;
                IPAddress address = Ipv6cpOptions.Address(prefix6!, id);
                return (_byAddress6.TryGetValue(Key6(address), out Link? other) && other != link) || _pools.Pools.Any(p => p.Addrs.Contains(address));
            },
        }, _loggers.CreateLogger("ppp"));
        link = new Link(engine, session, ppp, client: false);
        return link;
    }

    /// <summary>
    /// Server: the link's own /64 from the first l2tp pool that delegates them, asked for once; null when no pool does
    /// (the shared /64, as before) or all are taken (logged; the shared /64 too, so no two clients share a /64).
    /// </summary>
    private Lease? OwnPrefix6(Link link, IReadOnlyList<string> pools, string user)
    {
        if (link.Prefix6Asked) return link.Prefix6;
        link.Prefix6Asked = true;
        if (!_pools.DelegatesPrefixes(pools))
        {
            if (!_sharedPrefixLogged && _pools.Pools.FirstOrDefault(p => pools.Contains(p.Name) && p.Addrs.Family == AddressFamily.InterNetworkV6) is { } shared)
            {
                _sharedPrefixLogged = true;
                L2tpLogHost.SharedPrefix(_logger, shared.Name, shared.Addrs.ToString());
            }
            return null;
        }
        link.Prefix6 = _pools.AcquirePrefix(pools, user, link.Session.Tunnel.RemoteEndpoint);
        if (link.Prefix6 is null) L2tpLogHost.PrefixPoolExhausted(_logger, string.Join(", ", pools), user);
        return link.Prefix6;
    }

    private static PppAuthenticationProtocol ToPpp(PppAuthMethod method) => method switch
    {
        PppAuthMethod.ChapMd5 => PppAuthenticationProtocol.ChapMd5,
        PppAuthMethod.Pap => PppAuthenticationProtocol.Pap,
        _ => PppAuthenticationProtocol.MsChapV2,
    };

    private void OnPppEvent(DateTimeOffset now, Link link, PppEvent e)
    {
        switch (e)
        {
            case PppNetworkUp up:
            {
                IPAddress mine = link.Client ? up.LocalAddress : up.PeerAddress;
                if (link.Address is { } old && !old.Equals(mine)) _byAddress.TryRemove(Key(old), out _);
                link.Address = mine;
                _byAddress[Key(mine)] = link;
                if (link.Client)
                {
                    _dataPlane.AddVirtualIp(up.LocalAddress);
                    // With --ipv6 the connection is done when the advertisement gave an IPv6 address too.
                    if (!link.WantIpv6 || link.Address6 is not null) link.Connected?.TrySetResult(null);
                }
                else
                {
                    // Our end of the link is a local address, as on pppd's ppp0, so a client can ping it or use it as
                    // DNS server; counted by the data plane, as every link has the same one.
                    if (link.ServerAddress is null) { link.ServerAddress = up.LocalAddress; _dataPlane.AddVirtualIp(up.LocalAddress); }
                    // The peer's address routes into the TUN device, where OnTunPacket hands it to this link.
                    string prefix = $"{up.PeerAddress}/32";
                    IpResult r = IpCommand.RouteReplace(prefix, _tun.Name);
                    if (!r.Ok) DaemonLog.RouteFailed(_logger, prefix, _tun.Name, r.ToString());
                    else if (!link.Routes.Contains(prefix)) link.Routes = [.. link.Routes, prefix];
                }
                L2tpLogHost.LinkUp(_logger, link.Ppp.AuthenticatedUser ?? "-", up.PeerAddress.ToString(), up.LocalAddress.ToString(),
                    up.Dns.Count > 0 ? string.Join(", ", up.Dns) : "none", link.Session.Tunnel.RemoteEndpoint.ToString());
                break;
            }
            case PppIpv6Up up6 when link.Client:
                link.Ipv6Identifier = up6.LocalIdentifier;
                break;
            case PppIpv6Up up6 when !link.Client && up6.PeerAddress is { } address6:
            {
                if (link.Address6 is { } old6 && !old6.Equals(address6))
                {
                    _byAddress6.TryRemove(Key6(old6), out _);
                    string oldRoute = $"{old6}/128";
                    IpCommand.RouteDelete(oldRoute, _tun.Name);
                    link.Routes = [.. link.Routes.Where(r => r != oldRoute)];
                }
                link.Address6 = address6;
                string route6;
                if (link.Prefix6 is { } own)
                {
                    // Its own /64: all of it routes into the TUN device, where OnTunPacket hands it to this link.
                    _byPrefix6[Key64(own.Address)] = link;
                    route6 = $"{own.Address}/{own.PrefixLength}";
                }
                else
                {
                    _byAddress6[Key6(address6)] = link;
                    // As for IPv4: the address routes into the TUN device, where OnTunPacket hands it to this link.
                    route6 = $"{address6}/128";
                }
                IpResult r6 = IpCommand.RouteReplace(route6, _tun.Name);
                if (!r6.Ok) DaemonLog.RouteFailed(_logger, route6, _tun.Name, r6.ToString());
                else if (!link.Routes.Contains(route6)) link.Routes = [.. link.Routes, route6];
                L2tpLogHost.Ipv6Up(_logger, link.Ppp.AuthenticatedUser ?? "-", address6.ToString(), route6, link.Session.Tunnel.RemoteEndpoint.ToString());
                break;
            }
            case PppAuthenticationFailed failed:
                link.Connected?.TrySetResult($"PPP authentication failed: {failed.Reason}");
                break;
            case PppDown down:
                link.Connected?.TrySetResult($"PPP down: {down.Reason}");
                link.Engine.CloseSession(now, link.Session, down.Reason);
                Forget(link, down.Reason);
                break;
        }
    }

    /// <summary>Drops a link: its lease back to the pool, its route and address gone.</summary>
    private void Forget(Link link, string reason)
    {
        if (!_links.Remove(link.Session)) return;
        if (link.Address is { } address)
        {
            _byAddress.TryRemove(Key(address), out _);
            if (link.Client) _dataPlane.RemoveVirtualIp(address);
        }
        if (link.ServerAddress is { } server) _dataPlane.RemoveVirtualIp(server);
        if (link.Address6 is { } address6)
        {
            _byAddress6.TryRemove(Key6(address6), out _);
            if (link.Client) _dataPlane.RemoveVirtualIp(address6);
        }
        foreach (KeyValuePair<ulong, Link> entry in _byPrefix6)
            if (entry.Value == link) _byPrefix6.TryRemove(entry);
        if (link.Prefix6 is { } own) _pools.Release(own);
        foreach (string prefix in link.Routes) IpCommand.RouteDelete(prefix, _tun.Name);
        if (link.Lease is { } lease) _pools.Release(lease);
        link.Connected?.TrySetResult($"L2TP session closed: {reason}");
        L2tpLogHost.LinkDown(_logger, link.Ppp.AuthenticatedUser ?? "-", link.Session.Tunnel.RemoteEndpoint.ToString(), reason);
        link.Ppp.Dispose();
    }

    /// <summary>
    /// <c>portcullis l2tp-connect</c>: an L2TP tunnel and session to a peer we hold a transport-mode SA with, PPP as a
    /// client with a user and password; done when IPCP gave us an address (which goes on the TUN device, with routes for
    /// <paramref name="routes"/> through it), or failed with the reason.
    /// </summary>
    public Task<string?> Connect(DateTimeOffset now, IPEndPoint peer, string user, byte[] password, IReadOnlyList<string> routes, bool ipv6 = false)
    {
        _client ??= new L2tpClient(new L2tpOptions { HostName = Environment.MachineName }, _loggers.CreateLogger("l2tp"));
        _client.FrameReceived = OnFrame;
        L2tpTunnel tunnel = _client.Tunnels.FirstOrDefault(t => t.RemoteEndpoint.Equals(peer) && t.State != L2tpTunnelState.Closing)
            ?? _client.Connect(now, new IPEndPoint(peer.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, EspDataPlane.L2tpPort), peer);
        L2tpSession session = _client.OpenSession(now, tunnel);
        var ppp = new PppSession(new PppOptions
        {
            Role = PppRole.Client,
            Name = $"ppp[{tunnel.LocalTunnelId}/{session.LocalSessionId}]",
            UserName = user,
            Password = password,
            AuthenticationProtocols = [PppAuthenticationProtocol.MsChapV2, PppAuthenticationProtocol.ChapMd5, PppAuthenticationProtocol.Pap],
            RequestIpv6 = ipv6,
        }, _loggers.CreateLogger("ppp"));
        var link = new Link(_client, session, ppp, client: true) { WantIpv6 = ipv6, Connected = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously) };
        _links[session] = link;
        Task<string?> done = link.Connected.Task;
        _ = done.ContinueWith(t =>
        {
            if (t.Result is not null) return;
            _post(() =>
            {
                foreach (string prefix in routes)
                {
                    IpResult r = IpCommand.RouteReplace(prefix, _tun.Name, prefix.Contains(':') ? link.Address6 : link.Address);
                    if (!r.Ok) DaemonLog.RouteFailed(_logger, prefix, _tun.Name, r.ToString());
                }
                link.Routes = routes;
            });
        }, TaskScheduler.Default);
        Pump(now);
        return done;
    }

    /// <summary>The L2TP tunnels and PPP links, for <c>list-sas</c>.</summary>
    public string Describe()
    {
        if (_links.Count == 0 && _server is null && _client is null) return "";
        var text = new System.Text.StringBuilder();
        foreach (Link link in _links.Values)
            text.Append($"l2tp: {(link.Client ? "client" : "server")} tunnel {link.Session.Tunnel.LocalTunnelId}/{link.Session.LocalSessionId} with " +
                $"{link.Session.Tunnel.RemoteEndpoint}, PPP {(link.Ppp.IsNetworkUp ? "up" : link.Ppp.Phase.ToString().ToLowerInvariant())}, user '{link.Ppp.AuthenticatedUser ?? "-"}', " +
                $"address {link.Address?.ToString() ?? "-"}{(link.Address6 is { } a6 ? $" {a6}" : "")}, frames in {link.Session.FramesReceived}, out {link.Session.FramesSent}\n");
        return text.ToString();
    }

    /// <summary>StopCCN to every peer (daemon shutdown); routes and leases are dropped.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        DateTimeOffset now = DateTimeOffset.UtcNow;
        _server?.CloseAll(now, "daemon stopping");
        _client?.CloseAll(now, "daemon stopping");
        Pump(now);
        foreach (Link link in _links.Values.ToArray()) Forget(link, "daemon stopping");
    }
}

/// <summary>The L2TP host's log lines.</summary>
internal static partial class L2tpLogHost
{
    [LoggerMessage(EventId = 620, Level = LogLevel.Warning, Message = "L2TP from {Peer} inside IPsec, but no l2tp section is configured: dropped")]
    public static partial void NoServer(ILogger logger, string peer);

    [LoggerMessage(EventId = 621, Level = LogLevel.Warning, Message = "L2TP to {Peer} not sent: no transport-mode SA with it (L2TP never leaves unprotected)")]
    public static partial void NoSa(ILogger logger, string peer);

    [LoggerMessage(EventId = 622, Level = LogLevel.Warning, Message = "no address left in pools {Pools} for PPP user '{User}'")]
    public static partial void PoolExhausted(ILogger logger, string pools, string user);

    [LoggerMessage(EventId = 623, Level = LogLevel.Information, Message = "PPP link up: user '{User}', peer {PeerAddress}, local {LocalAddress}, DNS {Dns}, over L2TP with {Peer}")]
    public static partial void LinkUp(ILogger logger, string user, string peerAddress, string localAddress, string dns, string peer);

    [LoggerMessage(EventId = 624, Level = LogLevel.Information, Message = "PPP link down: user '{User}' with {Peer}: {Reason}")]
    public static partial void LinkDown(ILogger logger, string user, string peer, string reason);

    [LoggerMessage(EventId = 626, Level = LogLevel.Information, Message = "PPP IPv6 up: user '{User}', peer {PeerAddress}, routed {Route}, over L2TP with {Peer}")]
    public static partial void Ipv6Up(ILogger logger, string user, string peerAddress, string route, string peer);

    [LoggerMessage(EventId = 627, Level = LogLevel.Information, Message = "PPP IPv6 address {Address} from the Router Advertisement of {Router}, DNS {Dns}")]
    public static partial void Slaac(ILogger logger, string address, string router, string dns);

    [LoggerMessage(EventId = 629, Level = LogLevel.Warning, Message = "no /64 left to delegate in pools {Pools} for PPP user '{User}': it gets one address in the pool's shared /64 (its RFC 4941 temporary addresses are dropped)")]
    public static partial void PrefixPoolExhausted(ILogger logger, string pools, string user);

    [LoggerMessage(EventId = 630, Level = LogLevel.Information, Message = "IPv6 pool {Pool} ({Addrs}) is one /64: PPP clients share it, each routed by the one address from its IPv6CP identifier, so addresses it forms otherwise (RFC 4941 temporary ones) are dropped; a pool shorter than /64 gives each client a /64 of its own")]
    public static partial void SharedPrefix(ILogger logger, string pool, string addrs);

    [LoggerMessage(EventId = 628, Level = LogLevel.Warning, Message = "Router Advertisement from L2TP peer {Peer} dropped: {Reason}")]
    public static partial void BadAdvertisement(ILogger logger, string peer, string reason);

    [LoggerMessage(EventId = 625, Level = LogLevel.Warning, Message = "cleartext L2TP from {Peer} dropped: L2TP is accepted only inside an IPsec SA")]
    public static partial void Cleartext(ILogger logger, string peer);
}
