using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Portcullis.Core.Config;
using Portcullis.Core.Esp;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Ipsec;
using Portcullis.Host.Net;
using Portcullis.Host.Tun;

namespace Portcullis.Host.Daemon;

/// <summary>Where a CHILD SA's ESP goes; swapped as a whole when a NAT mapping changes, so readers see a consistent pair.</summary>
internal sealed record EspRoute(IPEndPoint Local, IPEndPoint Remote, bool UdpEncapsulation)
{
    /// <summary>The peer as a raw socket address, serialised once for plain ESP.</summary>
    public System.Net.SocketAddress RawRemote { get; } = RawEspSocket.AddressOf(Remote.Address);

    /// <summary>The NAT-T socket of the peer's address family (ESP in UDP).</summary>
    public UdpEndpoint? Udp { get; init; }

    /// <summary>The raw ESP socket of the peer's address family (plain ESP); null when UDP-encapsulated.</summary>
    public RawEspSocket? Raw { get; init; }

    /// <summary>The largest inner packet one outer packet carries on this route (see <see cref="PacketTooBig.TunnelMtu"/>).</summary>
    public int InnerMtu { get; init; } = int.MaxValue;

    /// <summary>The outer addresses as AH writes them into the outer IPv4 header (made once per route).</summary>
    public byte[] LocalAddressBytes { get; } = Local.Address.GetAddressBytes();

    /// <summary>The peer's address as AH writes it.</summary>
    public byte[] RemoteAddressBytes { get; } = Remote.Address.GetAddressBytes();
}

/// <summary>A PROTECT policy and its routes, shared by a CHILD SA and the CHILD SAs that rekey it.</summary>
internal sealed class PolicyHandle(SecurityPolicy policy, IReadOnlyList<string> routes)
{
    public SecurityPolicy Policy { get; } = policy;
    public IReadOnlyList<string> Routes { get; } = routes;
    /// <summary>Transport mode: the policy rules and table route (<see cref="TransportRouting"/>) that bring its traffic to the TUN device.</summary>
    public IReadOnlyList<string> TransportKeys { get; init; } = [];
    public int Users;
}

/// <summary>
/// The addresses a transport-mode inbound SA rebuilds IP headers with (<see cref="TransportModePacket.WriteHeader"/>):
/// the peer's and ours as the IKE SA knows them, and whether a NAT lies between (checksums then recomputed).
/// </summary>
internal sealed record TransportHosts(byte[] Peer, byte[] Local, bool Nat);

/// <summary>The ESP SAs of one CHILD SA, as installed in the data plane.</summary>
/// <summary>Takes a TUN packet for another path than the SPD; true when taken.</summary>
internal delegate bool TunPacketHook(ReadOnlySpan<byte> packet);

/// <summary>The ESP (or AH) SAs of one CHILD SA, as installed in the data plane.</summary>
internal sealed class InstalledChild(ChildSa child, IpsecSa inbound, IpsecSa outbound, PolicyHandle handle)
{
    public ChildSa Child { get; } = child;
    public IpsecSa Inbound { get; } = inbound;
    public IpsecSa Outbound { get; } = outbound;
    public PolicyHandle Handle { get; } = handle;
    public SecurityPolicy Policy => Handle.Policy;
}

/// <summary>
/// User-space ESP over a TUN device (RFC 4303 tunnel and transport mode, RFC 3948 UDP encapsulation): the TUN reader
/// thread looks up the SPD and encapsulates (transport mode: the packet without its IP header), the receive threads look
/// up the SAD and decapsulate (transport mode: an IP header rebuilt in front, <see cref="TransportModePacket"/>). Each thread owns one
/// preallocated buffer; nothing is allocated per packet. SAs are installed and removed from the daemon's loop.
/// </summary>
internal sealed class EspDataPlane : IDisposable
{
    private readonly SecurityAssociationDatabase _sad = new();
    private readonly SecurityAssociationDatabase<AhSa> _ahSad = new();
    private readonly SecurityPolicyDatabase _spd = new();
    private readonly Dictionary<uint, InstalledChild> _children = [];
    private readonly SecurityPolicyDatabase _traps = new();
    private readonly Dictionary<string, int> _routes = [];
    private readonly Dictionary<IPAddress, int> _virtualIps = [];
    private Action<string>? _onAcquire;
    private readonly Action<uint> _onInboundUsed;
    private readonly Action<uint, bool> _onLimit;

    /// <summary>How long the inbound SA of a rekeyed CHILD SA keeps accepting after its DELETE, for packets in flight.</summary>
    internal static readonly TimeSpan RekeyedInboundLinger = TimeSpan.FromSeconds(3);
    private readonly TunDevice _tun;
    private readonly UdpEndpoint _natT;
    private readonly RawEspSocket? _raw;
    private readonly ILogger _logger;
    private readonly byte[] _outBuffer = new byte[TunDevice.MaxPacketSize + 512];
    // One per receive thread: the NAT-T and raw ESP sockets of each family decrypt on their own threads, at once.
    [ThreadStatic] private static byte[]? t_inBuffer;
    private static byte[] InBuffer => t_inBuffer ??= new byte[Headroom + TunDevice.MaxPacketSize + 512];
    private long _noPolicy, _noSa, _badInbound, _sendErrors, _transportRefused;
    // Inbound transport-mode SAs by SPI: read per packet on the receive threads, without allocating.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<uint, TransportHosts> _transportHosts = new();
    // Room in front of a decrypted transport-mode payload for the IP header rebuilt there.
    private const int Headroom = 64;
    private readonly EspSendBatch _batch;
    private readonly TcpCoalescer? _coalescer;
    private long _coalescedWrites, _coalescedSegments;

    /// <param name="onInboundUsed">Called (on a packet thread) with a CHILD SA's inbound SPI when its first packet arrived.</param>
    /// <param name="onLimit">Called (on a packet thread) with a CHILD SA's inbound SPI when it crossed a soft or (true) hard volume limit.</param>
    public EspDataPlane(TunDevice tun, UdpEndpoint natT, RawEspSocket? raw, ILogger logger, Action<uint> onInboundUsed, Action<uint, bool> onLimit)
    {
        _onInboundUsed = onInboundUsed;
        _onLimit = onLimit;
        _tun = tun;
        _natT = natT;
        _raw = raw;
        _logger = logger;
        _batch = new EspSendBatch(remote => UdpFor(remote));
        _coalescer = tun.VnetHeader ? new TcpCoalescer() : null;
    }

    /// <summary>Policy routing for transport-mode CHILD SAs (the host's own traffic to the peer); null: transport mode carries only the daemon's L2TP.</summary>
    public TransportRouting? TransportRouting { get; init; }

    /// <summary>Host packets a transport-mode SA cannot carry (fragments, IPv6 headers that go before ESP), dropped.</summary>
    public long TransportRefusedDrops => Interlocked.Read(ref _transportRefused);

    /// <summary>The IPv6 NAT-T socket (UDP 4500 on ::), for peers with IPv6 addresses; null: none.</summary>
    public UdpEndpoint? NatT6 { get; init; }

    /// <summary>The IPv6 raw ESP socket (next header 50), for plain ESP with IPv6 peers; null: none.</summary>
    public RawEspSocket? Raw6 { get; init; }

    /// <summary>The raw AH socket (IPv4, protocol 51, IP_HDRINCL) for AH CHILD SAs (RFC 4302); null: none.</summary>
    public RawEspSocket? RawAh { get; init; }

    /// <summary>
    /// The MTU of the outer path, against which each route's inner MTU is computed; an inner packet above it gets an
    /// ICMP Packet Too Big (Fragmentation Needed) back through the TUN device instead of a fragmented ESP packet.
    /// </summary>
    public int OuterMtu { get; init; } = 1500;

    /// <summary>
    /// The MTU towards a peer's address (the kernel's path MTU or the outgoing device's), asked once per route (on the
    /// loop thread, when a CHILD SA is activated or moves); null, or an unknown answer, falls back to <see cref="OuterMtu"/>.
    /// </summary>
    public Func<IPAddress, int?>? OuterMtuFor { get; init; }

    /// <summary>Inner packets too big for their route, answered with an ICMP error (or refused by its rate limit) and dropped.</summary>
    public long TooBigDrops => Interlocked.Read(ref _tooBig);

    private long _tooBig;
    private readonly byte[] _icmpBuffer = new byte[PacketTooBig.MinIpv6Mtu];
    // TUN reader thread only: at most 10 errors at once, 100 a second after that.
    private readonly IcmpErrorRateLimit _icmpLimit = new(burst: 10, perSecond: 100);

    private UdpEndpoint? UdpFor(IPEndPoint remote) => remote.AddressFamily == AddressFamily.InterNetworkV6 ? NatT6 : _natT;

    private RawEspSocket? RawFor(IPEndPoint remote) => remote.AddressFamily == AddressFamily.InterNetworkV6 ? Raw6 : _raw;

    /// <summary>TCP packets of up to 64 KB the TUN device handed over (TSO), cut into segments before encryption.</summary>
    public long TsoReads => _tun.GsoPacketsRead;

    /// <summary>GSO packets written to the TUN device after coalescing, and the segments they joined.</summary>
    public (long Writes, long Segments) Coalesced => (Interlocked.Read(ref _coalescedWrites), Interlocked.Read(ref _coalescedSegments));

    /// <summary>Cleartext packets from the TUN device that matched no policy with an SA (dropped).</summary>
    public long OutboundNoPolicyDrops => Interlocked.Read(ref _noPolicy);
    /// <summary>ESP packets with an SPI of no inbound SA (dropped).</summary>
    public long InboundUnknownSpiDrops => Interlocked.Read(ref _noSa);
    /// <summary>Decrypted packets whose addresses lie outside the SA's selectors (dropped, RFC 4301 §5.2).</summary>
    public long InboundPolicyDrops => Interlocked.Read(ref _badInbound);
    /// <summary>ESP packets the socket refused to send.</summary>
    public long SendErrors => Interlocked.Read(ref _sendErrors) + _batch.Errors;

    /// <summary>UDP GSO sends of batched ESP packets, and the packets they carried.</summary>
    public (long Sends, long Packets) Batches => (_batch.Sends, _batch.Packets);

    /// <summary>When the last packet arrived on the inbound SA with this SPI; null when none did (or no such SA).</summary>
    public DateTimeOffset? LastInbound(uint spi)
    {
        IpsecSa? sa = _sad.TryGet(spi, out EspSa? esp) ? esp : _ahSad.TryGet(spi, out AhSa? ah) ? ah : null;
        if (sa?.Limits is not { } limits) return null;
        long at = limits.LastInboundTimestamp;
        return at == 0 ? null : DateTimeOffset.UtcNow - System.Diagnostics.Stopwatch.GetElapsedTime(at);
    }

    /// <summary>Counters of a CHILD SA, if installed.</summary>
    public InstalledChild? Find(uint childUid)
    {
        lock (_children) return _children.GetValueOrDefault(childUid);
    }

    public void Install(ChildSa child)
    {
        if (child.IsAh)
        {
            InstallAh(child);
            return;
        }
        bool esn = child.Proposal.ExtendedSequenceNumbers;
        EspSa inbound = EspSa.CreateInbound(child.InboundSpi, child.Proposal.Encryption!, child.Proposal.Integrity,
            child.InboundEncryptionKey.ReadOnlySpan, child.InboundIntegrityKey.ReadOnlySpan, extendedSequenceNumbers: esn);
        EspSa outbound = EspSa.CreateOutbound(child.OutboundSpi, child.Proposal.Encryption!, child.Proposal.Integrity,
            child.OutboundEncryptionKey.ReadOnlySpan, child.OutboundIntegrityKey.ReadOnlySpan, extendedSequenceNumbers: esn);
        bool transport = child.Mode == ChildMode.Transport;
        IReadOnlyList<TrafficSelector> local = child.LocalTs, remote = child.RemoteTs;
        if (transport && child.UdpEncapsulation)
        {
            // Behind a NAT the peer's selectors name its private address; its packets arrive from the NAT's (RFC 3948 §3.1.2).
            local = TransportModePacket.HostSelectors(local, child.LocalEndpoint.Address);
            remote = TransportModePacket.HostSelectors(remote, child.RemoteEndpoint.Address);
        }
        KeyLog?.Invoke(child);
        // The IKE layer's copies of the keys are no longer needed once the transforms are keyed.
        child.Dispose();
        if (!child.UdpEncapsulation && RawFor(child.RemoteEndpoint) is null)
            DaemonLog.PlainEspUnsupported(_logger, child.Owner.Name, child.Owner.Uid, child.Name);
        if (transport) _transportHosts[inbound.Spi] = HostsOf(child);
        Attach(child, inbound, outbound, local, remote, transport, () => _sad.TryAdd(inbound));
    }

    /// <summary>
    /// What ESP and AH share once the SA pair is keyed: selectors and limits, the policy and its routes (in transport
    /// mode the policy routing of the hosts' own traffic, <see cref="TransportRouting"/>; a rekey or reauthentication
    /// takes over its predecessor's: no gap, no route churn), the inbound SA into its protocol's SAD
    /// (<paramref name="addInbound"/>), the CHILD SA's entry, and the outbound side when active, before a new policy is
    /// in the SPD (a policy there without its SA would look like a trap's).
    /// </summary>
    private void Attach(ChildSa child, IpsecSa inbound, IpsecSa outbound, IReadOnlyList<TrafficSelector> local, IReadOnlyList<TrafficSelector> remote,
        bool transport, Action addInbound)
    {
        inbound.LocalSelectors = new SelectorSet(local);
        inbound.RemoteSelectors = new SelectorSet(remote);
        inbound.Limits = outbound.Limits = new SaLifetimeLimits(child.InboundSpi, child.RekeyBytes, child.LifeBytes, child.RekeyPackets, child.LifePackets);
        inbound.TransportMode = outbound.TransportMode = transport;
        PolicyHandle? handle = child.Replaces is { } previous ? Find(previous.Uid)?.Handle : null;
        bool fresh = handle is null;
        handle ??= new PolicyHandle(new SecurityPolicy(local, remote), transport ? [] : AddRoutes(local, remote))
        {
            TransportKeys = transport && TransportRouting is { } routing ? routing.Add(local, remote) : [],
        };
        var installed = new InstalledChild(child, inbound, outbound, handle);
        addInbound();
        lock (_children)
        {
            handle.Users++;
            _children[child.Uid] = installed;
        }
        if (child.OutboundActive) Activate(installed);
        if (fresh) _spd.Add(handle.Policy);
    }

    /// <summary>
    /// An AH CHILD SA (RFC 4302) over IPv4: the integrity keys go to an AhSa pair, inbound AH is looked up in its own
    /// SAD (AH SPIs are not ESP's), and the policy and routes (or, in transport mode, the policy routing of the hosts'
    /// own traffic) are shared as with ESP. AH never crosses a NAT, so the selectors are the addresses as they are.
    /// </summary>
    private void InstallAh(ChildSa child)
    {
        bool esn = child.Proposal.ExtendedSequenceNumbers;
        AhSa inbound = AhSa.CreateInbound(child.InboundSpi, child.Proposal.Integrity!, child.InboundIntegrityKey.ReadOnlySpan, extendedSequenceNumbers: esn);
        AhSa outbound = AhSa.CreateOutbound(child.OutboundSpi, child.Proposal.Integrity!, child.OutboundIntegrityKey.ReadOnlySpan, esn);
        bool transport = child.Mode == ChildMode.Transport;
        KeyLog?.Invoke(child);
        child.Dispose();
        if (RawAh is null || child.RemoteEndpoint.AddressFamily != AddressFamily.InterNetwork)
            DaemonLog.AhUnsupported(_logger, child.Owner.Name, child.Owner.Uid, child.Name,
                RawAh is null ? "the raw AH socket could not be opened" : "AH over IPv6 is not in the host data plane yet");
        Attach(child, inbound, outbound, child.LocalTs, child.RemoteTs, transport, () => _ahSad.TryAdd(inbound));
    }

    private static TransportHosts HostsOf(ChildSa child) =>
        new(child.RemoteEndpoint.Address.GetAddressBytes(), child.LocalEndpoint.Address.GetAddressBytes(), child.UdpEncapsulation);

    /// <summary>Outbound traffic of the policy goes through this CHILD SA from now on.</summary>
    public void ActivateOutbound(ChildSa child)
    {
        if (Find(child.Uid) is { } installed) Activate(installed);
    }

    private void Activate(InstalledChild installed)
    {
        installed.Policy.Tag = Route(installed.Child, installed.Outbound);
        installed.Policy.OutboundSa = installed.Outbound;
    }

    /// <summary>
    /// MOBIKE moved an IKE SA (RFC 4555): each of its CHILD SAs sends to the new endpoints from now on, in UDP or not as
    /// the NAT state now says. Only the route is swapped, as a whole; keys, SPIs and counters stay, nothing is rekeyed.
    /// </summary>
    public void UpdateEndpoints(IkeSa ikeSa)
    {
        foreach (ChildSa child in ikeSa.Children) UpdateEndpoints(child);
    }

    public void UpdateEndpoints(ChildSa child)
    {
        InstalledChild? installed = Find(child.Uid);
        if (installed is null) return;
        if (installed.Policy.OutboundSa == installed.Outbound) installed.Policy.Tag = Route(child, installed.Outbound);
        if (installed.Inbound.TransportMode) _transportHosts[installed.Inbound.Spi] = HostsOf(child);
    }

    private EspRoute Route(ChildSa child, IpsecSa outbound)
    {
        if (outbound is AhSa ah)
        {
            // AH: the outer IPv4 header is ours (20 bytes; in transport mode the host's own) and AH's length is fixed
            // per algorithm; never in UDP.
            int ahOuterMtu = OuterMtuFor?.Invoke(child.RemoteEndpoint.Address) ?? OuterMtu;
            int ahInnerMtu = ahOuterMtu - ah.HeaderLength(ipv6: false) - (ah.TransportMode ? 0 : 20);
            return new(child.LocalEndpoint, child.RemoteEndpoint, false) { Raw = RawAh, InnerMtu = ahInnerMtu };
        }
        var espOutbound = (EspSa)outbound;
        // The sockets of the peer's family and the inner MTU are worked out once per route, not per packet.
        RawEspSocket? raw = child.UdpEncapsulation ? null : RawFor(child.RemoteEndpoint);
        int outerMtu = OuterMtuFor?.Invoke(child.RemoteEndpoint.Address) ?? OuterMtu;
        bool v6 = child.RemoteEndpoint.AddressFamily == AddressFamily.InterNetworkV6;
        int innerMtu = PacketTooBig.TunnelMtu(outerMtu, v6, raw is null, espOutbound.IvSize, espOutbound.IcvSize, espOutbound.PaddingUnit);
        // Transport mode sends the host's packet without its IP header, which the outer one replaces.
        if (outbound.TransportMode) innerMtu += v6 ? TransportModePacket.Ipv6HeaderSize : TransportModePacket.Ipv4HeaderSize;
        return new(child.LocalEndpoint, child.RemoteEndpoint, raw is null) { Udp = UdpFor(child.RemoteEndpoint), Raw = raw, InnerMtu = innerMtu };
    }

    /// <summary>
    /// Puts a virtual IP the gateway assigned us on the TUN device, so that routes into the tunnel take it as source.
    /// Counted: a rekeyed or reauthenticated IKE SA holds the same address as its predecessor for a while.
    /// </summary>
    public void AddVirtualIp(IPAddress address)
    {
        lock (_virtualIps)
        {
            _virtualIps[address] = _virtualIps.GetValueOrDefault(address) + 1;
            if (_virtualIps[address] > 1) return;
            IpResult r = IpCommand.AddressReplace(_tun.Name, address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
            if (!r.Ok) DaemonLog.Failure(_logger, $"adding virtual IP {address} to {_tun.Name}", r.ToString());
        }
    }

    /// <summary>Removes a virtual IP when the last IKE SA holding it is gone.</summary>
    public void RemoveVirtualIp(IPAddress address)
    {
        lock (_virtualIps)
        {
            if (!_virtualIps.TryGetValue(address, out int count)) return;
            if (count > 1) { _virtualIps[address] = count - 1; return; }
            _virtualIps.Remove(address);
            IpCommand.AddressDelete(_tun.Name, address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
        }
    }

    /// <summary>
    /// Routes the remote selectors into the TUN device (with the local host address as source when there is one);
    /// routes are counted, so CHILD SAs and trap policies may share them.
    /// </summary>
    private List<string> AddRoutes(IReadOnlyList<TrafficSelector> local, IReadOnlyList<TrafficSelector> remote)
    {
        var added = new List<string>();
        // A range that is no prefix is routed as the prefixes that make it up.
        foreach ((TrafficSelector ts, IPAddress network, int length) in remote.SelectMany(ts => ts.Prefixes().Select(p => (ts, p.Network, p.PrefixLength))))
        {
            // The source is the local host address of the route's own family (selectors of both families may mix).
            TrafficSelector[] sameFamily = [.. local.Where(l => l.Family == ts.Family)];
            IPAddress? source = sameFamily.Length == 1 && sameFamily[0].StartAddress.Equals(sameFamily[0].EndAddress) ? sameFamily[0].StartAddress : null;
            string prefix = $"{network}/{length}";
            lock (_routes)
            {
                if (_routes.TryGetValue(prefix, out int count)) { _routes[prefix] = count + 1; added.Add(prefix); continue; }
                IpResult r = IpCommand.RouteReplace(prefix, _tun.Name, source);
                if (!r.Ok && source is not null) r = IpCommand.RouteReplace(prefix, _tun.Name);
                if (!r.Ok) { DaemonLog.RouteFailed(_logger, prefix, _tun.Name, r.ToString()); continue; }
                _routes[prefix] = 1;
                added.Add(prefix);
            }
        }
        return added;
    }

    private void ReleaseRoutes(IEnumerable<string> prefixes)
    {
        lock (_routes)
        {
            foreach (string prefix in prefixes)
            {
                if (!_routes.TryGetValue(prefix, out int count)) continue;
                if (count > 1) { _routes[prefix] = count - 1; continue; }
                _routes.Remove(prefix);
                IpCommand.RouteDelete(prefix, _tun.Name);
            }
        }
    }

    /// <summary>A trap policy: traffic for a CHILD SA that is not up asks the IKE engine to bring it up (once).</summary>
    private sealed class Trap(string child, IReadOnlyList<string> routes)
    {
        public string Child { get; } = child;
        public IReadOnlyList<string> Routes { get; } = routes;
        public IReadOnlyList<string> TransportKeys { get; init; } = [];
        public int Pending;
    }

    /// <summary>Installs trap policies for every <c>start_action = trap</c> child, replacing the previous set.</summary>
    public void SetTraps(PortcullisConfig config, Action<string> onAcquire)
    {
        _onAcquire = onAcquire;
        foreach (SecurityPolicy old in _traps.Policies.ToArray())
        {
            _traps.Remove(old);
            ReleaseTrap((Trap)old.Tag!);
        }
        foreach (ConnectionConfig conn in config.Connections)
        {
            foreach (ChildConfig child in conn.Children.Where(c => c.StartAction == StartAction.Trap))
            {
                // dynamic selectors stand for the IKE addresses, known here only when they are literal.
                IReadOnlyList<TrafficSelector> local = child.LocalTs.Count > 0 ? child.LocalTs
                    : conn.LocalAddress is { } l ? [child.LocalDynamic.For(l)] : [];
                IReadOnlyList<TrafficSelector> remote = child.RemoteTs.Count > 0 ? child.RemoteTs
                    : conn.RemoteAddress is { } r ? [child.RemoteDynamic.For(r)] : [];
                if (local.Count == 0 || remote.Count == 0)
                {
                    DaemonLog.Failure(_logger, $"trap policy for {child.Name}", "dynamic selectors need literal local_addrs and remote_addrs");
                    continue;
                }
                InstallTrap(child, local, remote);
            }
        }
    }

    private void InstallTrap(ChildConfig child, IReadOnlyList<TrafficSelector> local, IReadOnlyList<TrafficSelector> remote)
    {
        if (_traps.Policies.Any(p => ((Trap)p.Tag!).Child == child.Name)) return;
        bool transport = child.Mode == ChildMode.Transport;
        var trap = new Trap(child.Name, transport ? [] : AddRoutes(local, remote))
        {
            TransportKeys = transport && TransportRouting is { } routing ? routing.Add(local, remote) : [],
        };
        _traps.Add(new SecurityPolicy(local, remote, null, trap));
    }

    private void ReleaseTrap(Trap trap)
    {
        ReleaseRoutes(trap.Routes);
        TransportRouting?.Release(trap.TransportKeys);
    }

    /// <summary>The CHILD SA came up or its attempt ended: the next matching packet may trigger again.</summary>
    public void ResetTrap(string child)
    {
        foreach (SecurityPolicy p in _traps.Policies)
            if (p.Tag is Trap t && t.Child == child) Volatile.Write(ref t.Pending, 0);
    }

    public void Remove(ChildSa child)
    {
        InstalledChild? installed, successor = null;
        bool lastUser;
        lock (_children)
        {
            if (!_children.Remove(child.Uid, out installed)) return;
            lastUser = --installed.Handle.Users == 0;
            // Normally the successor was activated before the old SA goes; if not, hand the policy to a sibling.
            if (!lastUser && installed.Policy.OutboundSa == installed.Outbound)
                successor = _children.Values.Where(c => c.Handle == installed.Handle)
                    .OrderByDescending(c => c.Child.OutboundActive).ThenByDescending(c => c.Child.Uid).FirstOrDefault();
        }
        if (successor is not null) Activate(successor);
        if (lastUser)
        {
            _spd.Remove(installed.Policy);
            ReleaseRoutes(installed.Handle.Routes);
            TransportRouting?.Release(installed.Handle.TransportKeys);
        }
        // A rekeyed SA's inbound side keeps accepting a moment longer: the peer's last packets on it may still be on the way.
        TimeSpan linger = child.Superseded || child.IsRedundant ? RekeyedInboundLinger : TimeSpan.Zero;
        if (linger == TimeSpan.Zero) RemoveInbound(installed.Inbound);
        if (child.AfterRemoval == CloseAction.Trap)
            InstallTrap(child.Config, child.LocalTs, child.RemoteTs);
        // Let in-flight packets on the other threads finish with the SA before its keys are wiped.
        Task.Delay(linger + TimeSpan.FromSeconds(1)).ContinueWith(_ =>
        {
            if (linger > TimeSpan.Zero) RemoveInbound(installed.Inbound);
            installed.Inbound.Dispose();
            installed.Outbound.Dispose();
        });
    }

    /// <summary>Takes an inbound SA out of its SAD, if it is still the one installed under its SPI.</summary>
    private void RemoveInbound(IpsecSa inbound)
    {
        if (inbound is AhSa ah)
        {
            if (_ahSad.TryGet(ah.Spi, out AhSa? current) && current == ah) _ahSad.Remove(ah.Spi);
        }
        else if (_sad.TryGet(inbound.Spi, out EspSa? current) && current == inbound)
        {
            _sad.Remove(inbound.Spi);
            _transportHosts.TryRemove(inbound.Spi, out _);
        }
    }

    /// <summary>With <c>--keylog</c>: each CHILD SA's ESP keys, written before the IKE layer's copies are wiped.</summary>
    public Action<ChildSa>? KeyLog { get; set; }

    /// <summary>Sees each TUN packet first and takes it when it belongs to another path (PPP links over L2TP).</summary>
    public TunPacketHook? TunHook { get; set; }

    /// <summary>
    /// The inner MTU TCP SYNs are clamped to in both directions (the TUN device's MTU), so tunnelled TCP never needs
    /// fragments or ICMP "packet too big"; 0 leaves them alone.
    /// </summary>
    public int MssClampMtu { get; init; }

    /// <summary>Consecutive ESP packets to one peer go out in one UDP GSO send (<see cref="EspSendBatch"/>); false: one send each.</summary>
    public bool Batching { get; init; } = true;

    /// <summary>TUN reader thread: a cleartext packet to protect.</summary>
    public void OnTunPacket(Span<byte> packet)
    {
        if (TunHook is { } hook && hook(packet)) return;
        SecurityPolicy? policy = _spd.Lookup(packet);
        if (policy?.OutboundSa is not { } outboundSa || policy.Tag is not EspRoute route)
        {
            // No SA: a trap policy asks for one (the packet itself is dropped, as strongSwan's kernel does).
            if (_traps.Lookup(packet)?.Tag is Trap trap && Interlocked.Exchange(ref trap.Pending, 1) == 0) _onAcquire?.Invoke(trap.Child);
            Interlocked.Increment(ref _noPolicy);
            return;
        }
        if (packet.Length > route.InnerMtu && AnswerTooBig(packet, route.InnerMtu)) return;
        if (MssClampMtu > 0) TcpMssClamp.Apply(packet, Math.Min(MssClampMtu, route.InnerMtu));
        if (outboundSa is AhSa ah)
        {
            SendAh(ah, packet, route);
            return;
        }
        var sa = (EspSa)outboundSa;
        // Tunnel mode carries the whole packet; transport mode what follows its IP header, whose protocol is the Next Header.
        ReadOnlySpan<byte> payload = packet;
        byte nextHeader = packet.IsEmpty ? (byte)0 : (packet[0] >> 4) switch { 4 => EspProcessor.NextHeaderIPv4, 6 => EspProcessor.NextHeaderIPv6, _ => (byte)0 };
        if (sa.TransportMode)
        {
            if (TransportModePacket.TrySplit(packet, out int headerLength, out nextHeader, out int payloadLength) != TransportSplitError.None)
            {
                Interlocked.Increment(ref _transportRefused);
                return;
            }
            payload = packet.Slice(headerLength, payloadLength);
        }
        else if (nextHeader == 0)
        {
            return;
        }
        if (route.UdpEncapsulation && Batching)
        {
            // Encrypted straight into the batch; it goes out with the next packets in one sendmsg (UDP GSO).
            Span<byte> slot = _batch.Reserve(route, EspProcessor.GetEncapsulatedLength(sa, payload.Length));
            if (!slot.IsEmpty)
            {
                if (EspProcessor.Encapsulate(sa, payload, nextHeader, slot, out int batched) != EncapsulateResult.Ok) return;
                _batch.Commit(batched);
                if (sa.Limits is { } batchLimits && batchLimits.Check(sa) is var batchCrossed and not LimitCrossing.None)
                    _onLimit(batchLimits.Key, batchCrossed == LimitCrossing.Hard);
                return;
            }
        }
        _batch.Flush(); // a packet sent alone must not overtake batched ones
        EncapsulateResult result = EspProcessor.Encapsulate(sa, payload, nextHeader, _outBuffer, out int written);
        if (result != EncapsulateResult.Ok) return;
        if (sa.Limits is { } limits && limits.Check(sa) is var crossed and not LimitCrossing.None) _onLimit(limits.Key, crossed == LimitCrossing.Hard);
        if (route.UdpEncapsulation)
        {
            // No socket of the peer's family (IPv6 unavailable on the host): counted as a send error.
            if (route.Udp is not { } udp || !udp.SendEsp(route.Remote, _outBuffer.AsSpan(0, written), route.Local.Address).Ok)
                Interlocked.Increment(ref _sendErrors);
        }
        else if (!route.Raw!.Send(route.RawRemote, _outBuffer.AsSpan(0, written)))
        {
            Interlocked.Increment(ref _sendErrors);
        }
    }

    /// <summary>
    /// TUN reader thread: AH tunnel mode, the outer IPv4 header written by AH itself (its ICV covers it), or transport
    /// mode, AH inserted after the host packet's own header.
    /// </summary>
    private void SendAh(AhSa sa, ReadOnlySpan<byte> packet, EspRoute route)
    {
        _batch.Flush();
        if (route.Raw is not { } raw || route.LocalAddressBytes.Length != 4)
        {
            Interlocked.Increment(ref _sendErrors);
            return;
        }
        EncapsulateResult result = sa.TransportMode
            ? AhProcessor.EncapsulateTransport(sa, packet, _outBuffer, out int written)
            : AhProcessor.EncapsulateTunnel(sa, packet, route.LocalAddressBytes, route.RemoteAddressBytes, _outBuffer, out written);
        if (result != EncapsulateResult.Ok)
        {
            if (result == EncapsulateResult.InvalidInnerPacket && sa.TransportMode) Interlocked.Increment(ref _transportRefused);
            return;
        }
        if (sa.Limits is { } limits && limits.Check(sa) is var crossed and not LimitCrossing.None) _onLimit(limits.Key, crossed == LimitCrossing.Hard);
        if (!raw.Send(route.RawRemote, _outBuffer.AsSpan(0, written))) Interlocked.Increment(ref _sendErrors);
    }

    /// <summary>
    /// The raw AH socket's receive thread: a whole IPv4 packet with AH after its header. Verified in place (RFC 4302
    /// §3.4), AH taken out (the inner packet in tunnel mode, the host's packet in transport mode), checked against
    /// the SA's selectors (RFC 4301 §5.2) and written to the TUN device.
    /// </summary>
    public void OnAhPacket(ReadOnlySpan<byte> ipPacket)
    {
        byte[] inBuffer = InBuffer;
        if (ipPacket.Length > inBuffer.Length || ipPacket.Length < 20) return;
        int spiAt = (ipPacket[0] & 0x0F) * 4 + 4;
        if (ipPacket.Length < spiAt + 4 || _ahSad.Lookup(ipPacket[spiAt..]) is not { } sa)
        {
            Interlocked.Increment(ref _noSa);
            return;
        }
        Span<byte> buffer = inBuffer.AsSpan(0, ipPacket.Length);
        ipPacket.CopyTo(buffer);
        if (AhProcessor.Decapsulate(sa, buffer, out int offset, out int length, out _) != DecapsulateResult.Ok) return;
        if (sa.Limits is { } limits)
        {
            limits.LastInboundTimestamp = System.Diagnostics.Stopwatch.GetTimestamp();
            if (limits.FirstInboundUse()) _onInboundUsed(limits.Key);
            if (limits.Check(sa) is var crossed and not LimitCrossing.None) _onLimit(limits.Key, crossed == LimitCrossing.Hard);
        }
        Span<byte> inner = buffer.Slice(offset, length);
        if (!sa.MatchesInbound(inner))
        {
            Interlocked.Increment(ref _badInbound);
            return;
        }
        if (MssClampMtu > 0) TcpMssClamp.Apply(inner, MssClampMtu);
        _tun.Write(inner);
    }

    /// <summary>
    /// TUN reader thread: an inner packet bigger than its route carries. True (the packet is dropped) when an ICMP
    /// error is due, sent or not by the rate limit; false when none may be sent (IPv4 without DF, multicast, an ICMP
    /// error): the packet then goes on and the outer packet is fragmented.
    /// </summary>
    private bool AnswerTooBig(ReadOnlySpan<byte> packet, int mtu)
    {
        int n = PacketTooBig.Write(packet, mtu, _icmpBuffer);
        if (n == 0) return false;
        Interlocked.Increment(ref _tooBig);
        if (_icmpLimit.TryTake(System.Diagnostics.Stopwatch.GetTimestamp(), System.Diagnostics.Stopwatch.Frequency)) _tun.Write(_icmpBuffer.AsSpan(0, n));
        return true;
    }

    /// <summary>TUN reader thread: the device has no more packets queued; what was batched goes out now.</summary>
    public void OnTunIdle() => _batch.Flush();

    /// <summary>Receive threads: an ESP packet (SPI first) from the NAT-T socket or the raw ESP socket.</summary>
    public void OnEspDatagram(ReadOnlySpan<byte> esp) => OnEspDatagram(esp, coalesce: false);

    /// <summary>
    /// The NAT-T receive thread: as <see cref="OnEspDatagram(ReadOnlySpan{byte})"/>, but TCP segments of one flow may be
    /// held back and joined (<see cref="TcpCoalescer"/>) until <see cref="OnEspBatchEnd"/>. Only one thread may coalesce.
    /// </summary>
    public void OnEspDatagram(ReadOnlySpan<byte> esp, bool coalesce)
    {
        byte[] inBuffer = InBuffer;
        if (esp.Length > inBuffer.Length - Headroom) return;
        EspSa? sa = _sad.Lookup(esp);
        if (sa is null)
        {
            Interlocked.Increment(ref _noSa);
            return;
        }
        Span<byte> buffer = inBuffer.AsSpan(Headroom, esp.Length);
        esp.CopyTo(buffer);
        if (EspProcessor.Decapsulate(sa, buffer, out int offset, out int length, out byte nextHeader) != DecapsulateResult.Ok) return;
        if (sa.Limits is { } limits)
        {
            limits.LastInboundTimestamp = System.Diagnostics.Stopwatch.GetTimestamp();
            if (limits.FirstInboundUse()) _onInboundUsed(limits.Key);
            if (limits.Check(sa) is var crossed and not LimitCrossing.None) _onLimit(limits.Key, crossed == LimitCrossing.Hard);
        }
        Span<byte> inner = buffer.Slice(offset, length);
        if (sa.TransportMode)
        {
            // The daemon's own L2TP is handed over; any other payload is the peer host's and gets its IP header back.
            if (nextHeader == UdpSegment.Protocol && TransportReceived is not null
                && UdpSegment.TryParse(inner, out _, out ushort port, out _) && port == L2tpPort)
            {
                DeliverTransport(sa, inner);
                return;
            }
            if (!_transportHosts.TryGetValue(sa.Spi, out TransportHosts? hosts)) return;
            int start = TransportModePacket.WriteHeader(inBuffer, Headroom + offset, length, nextHeader, hosts.Peer, hosts.Local);
            if (start < 0)
            {
                Interlocked.Increment(ref _badInbound);
                return;
            }
            inner = inBuffer.AsSpan(start, Headroom + offset + length - start);
            if (hosts.Nat && !TransportModePacket.RecomputeChecksum(inner))
            {
                Interlocked.Increment(ref _badInbound);
                return;
            }
        }
        else
        {
            // Trim TFC padding: the inner IP header knows the packet's real length.
            int total = inner.Length >= 20 && inner[0] >> 4 == 4 ? BinaryPrimitives.ReadUInt16BigEndian(inner[2..])
                : inner.Length >= 40 && inner[0] >> 4 == 6 ? 40 + BinaryPrimitives.ReadUInt16BigEndian(inner[4..]) : inner.Length;
            if (total > inner.Length || total == 0) return;
            inner = inner[..total];
        }
        if (!sa.MatchesInbound(inner))
        {
            Interlocked.Increment(ref _badInbound);
            return;
        }
        if (MssClampMtu > 0) TcpMssClamp.Apply(inner, MssClampMtu);
        if (coalesce && _coalescer is { } coalescer)
        {
            CoalesceResult held = coalescer.Offer(inner);
            if (held == CoalesceResult.Held) return;
            WriteCoalesced(coalescer);
            if (held == CoalesceResult.FlushFirst && coalescer.Offer(inner) == CoalesceResult.Held) return;
        }
        _tun.Write(inner);
    }

    /// <summary>NAT-T receive thread: the datagrams of one receive call are handled; what was held back goes to the TUN device.</summary>
    public void OnEspBatchEnd()
    {
        if (_coalescer is { } coalescer) WriteCoalesced(coalescer);
    }

    private void WriteCoalesced(TcpCoalescer coalescer)
    {
        int segments = coalescer.Count;
        if (segments == 0) return;
        _tun.WriteWithHeader(coalescer.Take());
        if (segments > 1)
        {
            Interlocked.Increment(ref _coalescedWrites);
            Interlocked.Add(ref _coalescedSegments, segments);
        }
    }

    /// <summary>
    /// A UDP segment that arrived in a transport-mode SA (receive threads): handed over (copied) to
    /// <see cref="TransportReceived"/> with the CHILD SA it came through. Only the ports the daemon serves itself
    /// (L2TP's 1701) are taken; anything else is dropped and counted.
    /// </summary>
    private void DeliverTransport(EspSa sa, ReadOnlySpan<byte> segment)
    {
        InstalledChild? installed;
        lock (_children) installed = _children.Values.FirstOrDefault(c => c.Inbound == sa);
        if (installed is null || installed.Child.Mode != ChildMode.Transport
            || !UdpSegment.TryParse(segment, out ushort sourcePort, out ushort destinationPort, out ReadOnlySpan<byte> payload)
            || destinationPort != L2tpPort || TransportReceived is not { } deliver)
        {
            Interlocked.Increment(ref _badInbound);
            return;
        }
        deliver(installed.Child, sourcePort, payload.ToArray());
    }

    /// <summary>The outer endpoints of the peers we hold transport-mode SAs with.</summary>
    public IReadOnlyList<IPEndPoint> TransportPeers()
    {
        lock (_children) return [.. _children.Values.Where(c => c.Child.Mode == ChildMode.Transport).Select(c => c.Child.RemoteEndpoint).Distinct()];
    }

    /// <summary>The UDP port of L2TP (RFC 2661), the one transport-mode SAs carry to the daemon.</summary>
    public const ushort L2tpPort = 1701;

    /// <summary>Called on a receive thread with the CHILD SA, the peer's UDP source port and the payload of a protected UDP segment.</summary>
    public Action<ChildSa, ushort, byte[]>? TransportReceived { get; set; }

    private readonly byte[] _transportSegment = new byte[TunDevice.MaxPacketSize];
    private readonly byte[] _transportOut = new byte[TunDevice.MaxPacketSize + 512];

    /// <summary>
    /// Sends a UDP payload of the daemon's own (L2TP) to a peer (its outer address and port, as the SAs know it)
    /// through whichever transport-mode CHILD SA with it currently carries outbound traffic (loop thread only).
    /// False when there is none: L2TP never leaves unprotected.
    /// </summary>
    public bool SendTransport(IPEndPoint peer, ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> payload)
    {
        InstalledChild? installed;
        lock (_children)
            installed = _children.Values.FirstOrDefault(c => c.Child.Mode == ChildMode.Transport && c.Child.RemoteEndpoint.Equals(peer) && c.Policy.OutboundSa == c.Outbound && c.Outbound is EspSa);
        if (installed is null || installed.Policy.Tag is not EspRoute route) return false;
        int n = UdpSegment.Write(_transportSegment, sourcePort, destinationPort, payload, route.Local.Address, route.Remote.Address);
        if (n == 0) return false;
        if (EspProcessor.Encapsulate((EspSa)installed.Outbound, _transportSegment.AsSpan(0, n), UdpSegment.Protocol, _transportOut, out int written) != EncapsulateResult.Ok) return false;
        bool ok = route.UdpEncapsulation ? route.Udp?.SendEsp(route.Remote, _transportOut.AsSpan(0, written), route.Local.Address).Ok == true
            : route.Raw!.Send(route.RawRemote, _transportOut.AsSpan(0, written));
        if (!ok) Interlocked.Increment(ref _sendErrors);
        return ok;
    }

    public void Dispose()
    {
        InstalledChild[] all;
        lock (_children) all = [.. _children.Values];
        foreach (InstalledChild c in all) Remove(c.Child);
        foreach (SecurityPolicy trap in _traps.Policies.ToArray())
        {
            _traps.Remove(trap);
            ReleaseTrap((Trap)trap.Tag!);
        }
    }
}
