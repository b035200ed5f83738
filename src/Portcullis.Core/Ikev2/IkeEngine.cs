using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Portcullis.Core.Config;
using Portcullis.Core.Ikev2.Wire;
using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Ikev2;

/// <summary>
/// The IKEv2 engine, sans-IO: datagrams and time go in (<see cref="HandleDatagram"/>, <see cref="HandleTimeout"/>),
/// datagrams to send and data-plane events come out (<see cref="TryDequeueTransmit"/>, <see cref="TryDequeueEvent"/>).
/// It owns the IKE SAs and finds the one a message belongs to. Single-threaded: the host calls it from one loop.
/// </summary>
public sealed partial class IkeEngine
{
    private readonly Dictionary<ulong, IkeSa> _byLocalSpi = [];
    // The registered IKE SAs by peer identity, so that INITIAL_CONTACT finds the stale ones without a scan of every
    // SA (with 100,000 SAs a scan per IKE_AUTH made setups slower the more SAs there were).
    private readonly Dictionary<Identity, List<IkeSa>> _byRemoteId = [];
    private readonly Dictionary<(ulong, IPEndPoint), IkeSa> _halfOpen = [];
    private readonly HashSet<uint> _espSpis = [];
    private readonly Queue<IkeTransmit> _transmits = new();
    private readonly Queue<IkeEvent> _events = new();
    private uint _uid;

    /// <summary>Creates an engine for a configuration.</summary>
    public IkeEngine(PortcullisConfig config, IkeEngineOptions options, ILogger logger)
    {
        Config = config;
        Options = options;
        Logger = logger;
        Pools = new Pools.AddressPoolManager(config.Pools);
        Ikev1 = new Ikev1.Ikev1Engine(this);
    }

    /// <summary>The IKEv1 side: datagrams with ISAKMP version 1.0 and <c>version = 1</c> connections go there.</summary>
    public Ikev1.Ikev1Engine Ikev1 { get; }

    /// <summary>The configuration in force. SAs keep the connection they were made with across reloads.</summary>
    public PortcullisConfig Config { get; private set; }

    /// <summary>Established IKE SAs whose peer stopped answering (DPD or retransmissions gave up), since start.</summary>
    public long DeadPeers { get; internal set; }

    /// <summary>Options.</summary>
    public IkeEngineOptions Options { get; }

    internal ILogger Logger { get; }

    /// <summary>Every IKE SA, half-open ones included.</summary>
    public IReadOnlyCollection<IkeSa> IkeSas => _byLocalSpi.Values;

    /// <summary>Replaces the configuration; running SAs are left alone, and pool leases stay where the pools still hold them.</summary>
    public void LoadConfig(PortcullisConfig config)
    {
        Config = config;
        Pools.Reload(config.Pools);
    }

    /// <summary>Certificates, private keys and CRLs (the swanctl folders beside the configuration).</summary>
    public Pki.CredentialStore Credentials { get; set; } = Pki.CredentialStore.Empty;

    /// <summary>The virtual IP pools and their leases.</summary>
    public Pools.AddressPoolManager Pools { get; private set; } = new([]);

    /// <summary>The next datagram to send, if any.</summary>
    public bool TryDequeueTransmit(out IkeTransmit? transmit) => _transmits.TryDequeue(out transmit);

    /// <summary>The next event for the data plane, if any.</summary>
    public bool TryDequeueEvent(out IkeEvent? e) => _events.TryDequeue(out e);

    /// <summary>When <see cref="HandleTimeout"/> must next be called; null when nothing is pending.</summary>
    public DateTimeOffset? NextTimeout
    {
        get
        {
            DateTimeOffset? next = EarliestTimer();
            if (VerifyTimerQueue) CheckTimerQueue(next);
            if (Ikev1.NextTimeout is { } v1 && (next is null || v1 < next)) next = v1;
            return next;
        }
    }

    /// <summary>Runs retransmissions, keepalives and expiries due at <paramref name="now"/>.</summary>
    public void HandleTimeout(DateTimeOffset now)
    {
        // Only the SAs with something due, from the timer queue: the host calls this on every turn of its loop.
        if (VerifyTimerQueue) CheckTimerQueue(EarliestTimer());
        List<IkeSa>? due = DueTimers(now);
        if (due is not null)
            foreach (IkeSa sa in due) sa.HandleTimeout(now);
        Ikev1.HandleTimeout(now);
        PeerLog.Flush(now);
    }

    /// <summary>
    /// An IKE datagram (non-ESP marker already removed) that arrived at <paramref name="local"/> from
    /// <paramref name="remote"/>.
    /// </summary>
    public void HandleDatagram(DateTimeOffset now, IPEndPoint local, IPEndPoint remote, ReadOnlySpan<byte> datagram)
    {
        if (!IkeHeader.TryParse(datagram, out IkeHeader header, out ParseError error))
        {
            LogDropped(now, remote, error.ToString());
            return;
        }
        if (header.MajorVersion == 1)
        {
            Ikev1.HandleDatagram(now, local, remote, datagram);
            return;
        }
        if (header.MajorVersion != 2)
        {
            LogDropped(now, remote, $"IKE major version {header.MajorVersion}");
            if (header.MajorVersion > 2 && !header.IsResponse)
                SendStateless(local, remote, header, ExchangeType.Informational, NotifyPayload.Of(NotifyType.InvalidMajorVersion));
            return;
        }
        if (header.ExchangeType == ExchangeType.IkeSaInit && !header.IsResponse && header.ResponderSpi == 0 && header.FromInitiator)
        {
            HandleNewInitRequest(now, local, remote, header, datagram);
            return;
        }
        ulong ours = header.FromInitiator ? header.ResponderSpi : header.InitiatorSpi;
        if (!_byLocalSpi.TryGetValue(ours, out IkeSa? sa) || (sa.IsInitiator == header.FromInitiator))
        {
            LogDropped(now, remote, $"{header.ExchangeType} {(header.IsResponse ? "response" : "request")} for unknown IKE SA {header.InitiatorSpi:x16}_i {header.ResponderSpi:x16}_r");
            if (!header.IsResponse && header.ExchangeType != ExchangeType.IkeSaInit)
                SendStateless(local, remote, header, header.ExchangeType, NotifyPayload.Of(NotifyType.InvalidIkeSpi));
            return;
        }
        sa.HandleMessage(now, header, datagram, local, remote);
    }

    private void HandleNewInitRequest(DateTimeOffset now, IPEndPoint local, IPEndPoint remote, IkeHeader header, ReadOnlySpan<byte> datagram)
    {
        if (_halfOpen.TryGetValue((header.InitiatorSpi, remote), out IkeSa? existing))
        {
            existing.HandleMessage(now, header, datagram, local, remote);
            return;
        }
        MessageError result = IkeMessage.TryDecode(datagram, header, null, out IkeMessage? message, out ParseError error, out PayloadType? critical);
        if (result == MessageError.UnsupportedCriticalPayload)
        {
            LogDropped(now, remote, $"IKE_SA_INIT with unsupported critical payload {(byte)critical!.Value}");
            SendStateless(local, remote, header, ExchangeType.IkeSaInit, new NotifyPayload(NotifyType.UnsupportedCriticalPayload, [(byte)critical.Value]));
            return;
        }
        if (result != MessageError.None)
        {
            LogDropped(now, remote, $"IKE_SA_INIT: {error}");
            SendStateless(local, remote, header, ExchangeType.IkeSaInit, NotifyPayload.Of(NotifyType.InvalidSyntax));
            return;
        }
        if (!AdmitInitRequest(now, local, remote, header, message!)) return;
        ConnectionConfig? conn = Config.Connections.FirstOrDefault(c => c.Version is 0 or 2
            && AddressMatches(c.LocalAddrs, local.Address) && AddressMatches(c.RemoteAddrs, remote.Address));
        if (conn is null)
        {
            LogNoConnection(now, remote, local);
            SendStateless(local, remote, header, ExchangeType.IkeSaInit, NotifyPayload.Of(NotifyType.NoProposalChosen));
            return;
        }
        var sa = new IkeSa(this, NextUid(), conn, initiator: false, header.InitiatorSpi, AllocateIkeSpi(), local, remote, now);
        if (sa.HandleInitRequest(now, message!, datagram[..(int)header.Length].ToArray()))
        {
            Add(sa);
            _halfOpen[(header.InitiatorSpi, remote)] = sa;
            EnteredHalfOpen(sa, remote.Address);
        }
        else
        {
            sa.Dispose();
        }
    }

    private void SendStateless(IPEndPoint local, IPEndPoint remote, IkeHeader request, ExchangeType exchange, NotifyPayload notify)
    {
        var header = new IkeHeader(request.InitiatorSpi, request.ResponderSpi, PayloadType.None, IkeHeader.Ikev2Version, exchange,
            IkeHeaderFlags.Response | (request.FromInitiator ? IkeHeaderFlags.None : IkeHeaderFlags.Initiator), request.MessageId, 0);
        Transmit(new IkeTransmit(local, remote, new IkeMessage(header, [notify]).Encode(null), local.Port == Options.NatTraversalPort));
    }

    /// <summary>
    /// Brings up the CHILD SA <paramref name="childName"/>: over an existing IKE SA of its connection with
    /// CREATE_CHILD_SA, otherwise with a new IKE SA. False with a reason when it cannot start.
    /// </summary>
    public bool Initiate(DateTimeOffset now, string childName, out string? error)
    {
        error = null;
        ConnectionConfig? conn = Config.Connections.FirstOrDefault(c => c.Children.Any(ch => ch.Name == childName));
        if (conn is null) { error = $"no CHILD_SA configuration named '{childName}'"; return false; }
        ChildConfig child = conn.Children.First(ch => ch.Name == childName);
        if (conn.Version == 1) return Ikev1.Initiate(now, conn, child, out error);
        IkeSa? existing = _byLocalSpi.Values.FirstOrDefault(s => s.Connection?.Name == conn.Name && s.State is IkeSaState.Connecting or IkeSaState.Authenticating or IkeSaState.Established && s.IsInitiator)
            ?? _byLocalSpi.Values.FirstOrDefault(s => s.Connection?.Name == conn.Name && s.State == IkeSaState.Established);
        if (existing is not null)
        {
            existing.QueueChild(now, child);
            return true;
        }
        IPAddress? remote = conn.RemoteAddress;
        if (remote is null) { error = $"connection '{conn.Name}' has no literal remote address to initiate to"; return false; }
        IPAddress? localAddress = conn.LocalAddress ?? Options.SourceAddressFor?.Invoke(remote);
        if (localAddress is null) { error = $"no local address to reach {remote} (set local_addrs)"; return false; }
        if (conn.Proposals.Count == 0 || !conn.Proposals.SelectMany(p => p.KeyExchange).Any()) { error = $"connection '{conn.Name}' has no IKE proposal with a key exchange"; return false; }
        var sa = new IkeSa(this, NextUid(), conn, initiator: true, AllocateIkeSpi(), 0,
            new IPEndPoint(localAddress, Options.IkePort), new IPEndPoint(remote, conn.RemotePort), now);
        Add(sa);
        sa.QueueChild(now, child);
        sa.StartInitiator(now);
        return true;
    }

    /// <summary>Deletes every IKE SA of a connection; returns how many.</summary>
    public int Terminate(DateTimeOffset now, string connectionName)
    {
        IkeSa[] sas = _byLocalSpi.Values.Where(s => s.Connection?.Name == connectionName).ToArray();
        foreach (IkeSa sa in sas) sa.Delete(now, "terminated by command");
        return sas.Length + Ikev1.Terminate(now, connectionName);
    }

    /// <summary>Deletes every IKE SA (on shutdown): DELETE requests go out, each SA is removed when answered.</summary>
    public void TerminateAll(DateTimeOffset now, string reason)
    {
        foreach (IkeSa sa in _byLocalSpi.Values.ToArray()) sa.Delete(now, reason);
        Ikev1.TerminateAll(now, reason);
    }

    /// <summary>
    /// Traffic hit the trap policy of <paramref name="childName"/> (<c>start_action = trap</c>): initiate it unless
    /// an IKE or CHILD SA for it is already on its way.
    /// </summary>
    public void Acquire(DateTimeOffset now, string childName)
    {
        bool pending = _byLocalSpi.Values.Any(s => s.State != IkeSaState.Deleted
            && (s.Children.Any(c => c.Name == childName) || s.State is IkeSaState.Connecting or IkeSaState.Authenticating && s.Connection?.Children.Any(c => c.Name == childName) == true));
        if (pending || Ikev1.Pending(childName)) return;
        IkeLog.Acquire(Logger, childName);
        if (!Initiate(now, childName, out string? error)) IkeLog.SaWarning(Logger, childName, 0, $"cannot initiate on traffic: {error}");
    }

    /// <summary>Starts every CHILD SA whose <c>start_action</c> is <c>start</c>.</summary>
    public void StartConfigured(DateTimeOffset now)
    {
        foreach (ConnectionConfig conn in Config.Connections)
            foreach (ChildConfig child in conn.Children.Where(c => c.StartAction == StartAction.Start))
                if (!Initiate(now, child.Name, out string? error))
                    IkeLog.SaWarning(Logger, conn.Name, 0, $"cannot start {child.Name}: {error}");
    }

    /// <summary>
    /// <c>close_action = start</c>: CHILD SAs the peer closed are brought up again (over the remaining IKE SA, or
    /// a new one when the peer deleted the IKE SA).
    /// </summary>
    internal void RestartClosed(DateTimeOffset now, IReadOnlyList<ChildConfig> children, string why = "close_action = start")
    {
        foreach (ChildConfig child in children)
        {
            IkeLog.Restarting(Logger, child.Name, why);
            if (!Initiate(now, child.Name, out string? error)) IkeLog.SaWarning(Logger, child.Name, 0, $"cannot restart: {error}");
        }
    }

    /// <summary>
    /// The data plane saw the first packet arrive on a CHILD SA's inbound SA: a rekey responder (in IKEv1, either side
    /// of a Quick Mode rekey) starts sending on the new SA (make-before-break).
    /// </summary>
    public void ChildSaInboundUsed(DateTimeOffset now, uint inboundSpi)
    {
        switch (FindChild(inboundSpi))
        {
            case { Owner: IkeSa } child: child.IkeSa.ActivateOutbound(child); break;
            case { Owner: Ikev1.IsakmpSa isakmp } child: isakmp.ActivateOutbound(now, child); break;
        }
    }

    /// <summary>
    /// A CHILD SA crossed its byte or packet limit (<c>rekey_bytes</c>/<c>rekey_packets</c>: rekey; <c>life_*</c>
    /// with <paramref name="hard"/>: delete).
    /// </summary>
    public void ChildSaLimitReached(DateTimeOffset now, uint inboundSpi, bool hard)
    {
        if (FindChild(inboundSpi) is not { State: ChildSaState.Installed } child) return;
        if (child.Owner is Ikev1.IsakmpSa isakmp)
        {
            if (hard) isakmp.ExpireChild(now, child, "life_bytes/life_packets reached");
            else isakmp.RekeyChild(now, child, "rekey_bytes/rekey_packets reached");
            return;
        }
        if (hard) child.IkeSa.ExpireChild(now, child, "life_bytes/life_packets reached");
        else child.IkeSa.RekeyChild(now, child, "rekey_bytes/rekey_packets reached");
    }

    private ChildSa? FindChild(uint inboundSpi)
    {
        foreach (IkeSa sa in _byLocalSpi.Values)
            foreach (ChildSa child in sa.Children)
                if (child.InboundSpi == inboundSpi) return child;
        return Ikev1.FindChild(inboundSpi);
    }

    // --- Services for IKE SAs ---

    internal void ReleaseEspSpi(uint spi) => _espSpis.Remove(spi);

    internal void Register(IkeSa sa) => Add(sa);

    private void Add(IkeSa sa)
    {
        _byLocalSpi[sa.LocalSpi] = sa;
        if (sa.RemoteId is { } id) Index(id, sa);
        Touch(sa);
    }

    /// <summary>An SA learnt (or changed) its peer's identity: re-indexed if registered (unregistered ones are indexed by <see cref="Add"/>).</summary>
    internal void RemoteIdChanged(IkeSa sa, Identity? old, Identity? current)
    {
        if (!_byLocalSpi.TryGetValue(sa.LocalSpi, out IkeSa? registered) || registered != sa) return;
        if (old is not null) Unindex(old, sa);
        if (current is not null) Index(current, sa);
    }

    /// <summary>The registered IKE SAs whose peer authenticated as <paramref name="id"/>.</summary>
    internal IReadOnlyList<IkeSa> IkeSasWithRemoteId(Identity id) => _byRemoteId.TryGetValue(id, out List<IkeSa>? list) ? list : [];

    private void Index(Identity id, IkeSa sa)
    {
        if (!_byRemoteId.TryGetValue(id, out List<IkeSa>? list)) _byRemoteId[id] = list = new List<IkeSa>(1);
        if (!list.Contains(sa)) list.Add(sa);
    }

    private void Unindex(Identity id, IkeSa sa)
    {
        if (!_byRemoteId.TryGetValue(id, out List<IkeSa>? list)) return;
        list.Remove(sa);
        if (list.Count == 0) _byRemoteId.Remove(id);
    }

    /// <summary>Another IKE SA of the same connection to the same peer address exists (so this is no first contact).</summary>
    internal bool HasOtherIkeSa(IkeSa sa) => _byLocalSpi.Values.Any(s => s != sa && s.State is IkeSaState.Established or IkeSaState.Deleting
        && s.Connection?.Name == sa.Connection?.Name && s.RemoteEndpoint.Address.Equals(sa.RemoteEndpoint.Address));

    /// <summary>A new IKE SA for the reauthentication of <paramref name="old"/>, bringing up <paramref name="children"/>.</summary>
    internal IkeSa? StartReauthentication(DateTimeOffset now, IkeSa old, IReadOnlyList<ChildConfig> children)
    {
        ConnectionConfig conn = old.Connection!;
        if (conn.RemoteAddress is null) return null;
        var sa = new IkeSa(this, NextUid(), conn, initiator: true, AllocateIkeSpi(), 0,
            new IPEndPoint(old.LocalEndpoint.Address, Options.IkePort), new IPEndPoint(old.RemoteEndpoint.Address, conn.RemotePort), now);
        Add(sa);
        foreach (ChildConfig child in children) sa.QueueChild(now, child);
        sa.StartInitiator(now);
        return sa;
    }

    internal void Transmit(IkeTransmit transmit) => _transmits.Enqueue(transmit);

    internal void Emit(IkeEvent e) => _events.Enqueue(e);

    internal uint NextUid() => ++_uid;

    internal void Forget(IkeSa sa)
    {
        LeftHalfOpen(sa);
        if (_byLocalSpi.TryGetValue(sa.LocalSpi, out IkeSa? registered) && registered == sa)
        {
            _byLocalSpi.Remove(sa.LocalSpi);
            if (sa.RemoteId is { } id) Unindex(id, sa);
        }
        if (!sa.IsInitiator) _halfOpen.Remove((sa.InitiatorSpi, sa.RemoteEndpoint));
        foreach (var key in _halfOpen.Where(kv => kv.Value == sa).Select(kv => kv.Key).ToArray()) _halfOpen.Remove(key);
        foreach (ChildSa child in sa.Children) _espSpis.Remove(child.InboundSpi);
    }

    /// <summary>A random number in [0, 1), from the engine's random source (jitter of rekey times).</summary>
    internal double RandomFraction()
    {
        Span<byte> b = stackalloc byte[8];
        Fill(b);
        return (BinaryPrimitives.ReadUInt64BigEndian(b) >> 11) * (1.0 / (1UL << 53));
    }

    internal byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        Fill(bytes);
        return bytes;
    }

    /// <summary>Fills with the engine's random source (EAP challenges; tests inject a seeded one).</summary>
    internal void FillRandom(Span<byte> bytes) => Fill(bytes);

    private void Fill(Span<byte> bytes)
    {
        if (Options.Random is { } random) random(bytes);
        else RandomNumberGenerator.Fill(bytes);
    }

    internal ulong AllocateIkeSpi()
    {
        Span<byte> b = stackalloc byte[8];
        ulong spi;
        do { Fill(b); spi = BinaryPrimitives.ReadUInt64BigEndian(b); } while (spi == 0 || _byLocalSpi.ContainsKey(spi));
        return spi;
    }

    internal uint AllocateEspSpi()
    {
        Span<byte> b = stackalloc byte[4];
        uint spi;
        // SPIs 1-255 are reserved by IANA (RFC 4303 §2.1).
        do { Fill(b); spi = BinaryPrimitives.ReadUInt32BigEndian(b) | 0xC0000000; } while (!_espSpis.Add(spi));
        return spi;
    }

    /// <summary>
    /// The connection for an IKE_AUTH request: addresses, then the peer's identity, the one it asked us to have, and
    /// the way it authenticates (an AUTH payload with a PSK or a signature, or none for EAP).
    /// </summary>
    internal ConnectionConfig? FindConnectionForAuth(IPAddress local, IPAddress remote, Identity peerId, Identity? wantedLocalId, AuthClass offered, ConnectionConfig initial)
    {
        IEnumerable<ConnectionConfig> candidates = new[] { initial }.Concat(Config.Connections.Where(c => c != initial && c.Version is 0 or 2
            && AddressMatches(c.LocalAddrs, local) && AddressMatches(c.RemoteAddrs, remote)));
        foreach (ConnectionConfig c in candidates)
        {
            if (c.Remote.Class != offered) continue;
            if (c.Remote.Id is not null && !Pki.CertificateIdentity.IdentityMatches(c.Remote.Id, peerId)) continue;
            Identity ourId = c.Local.Id ?? Identity.FromAddress(local);
            if (wantedLocalId is not null && !wantedLocalId.Equals(ourId)) continue;
            return c;
        }
        return null;
    }

    /// <summary>swanctl.conf address matching: empty or %any matches all; literal IPs, CIDR prefixes and ranges.</summary>
    internal static bool AddressMatches(IReadOnlyList<string> configured, IPAddress address)
    {
        if (configured.Count == 0) return true;
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out int n);
        foreach (string entry in configured)
        {
            if (entry is "%any" or "%any4" && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) return true;
            if (entry is "%any" or "%any6" && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6) return true;
            if (TrafficSelector.TryParse(entry, out TrafficSelector ts, out _) && ts.ContainsAddress(bytes[..n])) return true;
        }
        return false;
    }
}
