using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Portcullis.Core.Ikev2.Wire;
using Portcullis.Core.L2tp.Wire;
using Portcullis.Core.Logging;

namespace Portcullis.Core.L2tp;

/// <summary>
/// L2TP (RFC 2661) over UDP, sans-IO: datagrams and time go in, datagrams to send, events and PPP frames come out.
/// <see cref="L2tpServer"/> is the LNS, <see cref="L2tpClient"/> the LAC; both share this core: tunnels keyed by our
/// Tunnel ID (random, unique in the engine), sessions keyed by our Session ID (likewise), reliable delivery of
/// control messages per tunnel, HELLO keepalives, StopCCN and CDN either way, and the data path.
/// <para>
/// The host MUST only feed datagrams that arrived inside an ESP SA (L2TP/IPsec, RFC 3193): L2TP itself
/// authenticates nothing unless a tunnel secret is set. The <c>remote</c> endpoint the host passes is how the
/// engine tells peers apart, so it must identify the peer's SA: behind one NAT, several clients may all use
/// 192.168.1.2:1701 inside their SAs, so pass the outer (NAT-mapped) address and port, which differ, and map
/// <see cref="L2tpTransmit.Remote"/> back to the SA when sending. Any endpoint unique to the SA will do: the engine
/// only compares it and hands it back. One cached instance per SA keeps the data path free of allocations.
/// </para>
/// Not thread-safe: the host calls it from one loop.
/// </summary>
public abstract partial class L2tpEngine
{
    private readonly Queue<L2tpTransmit> _transmits = new();
    private readonly Queue<L2tpEvent> _events = new();
    private readonly Dictionary<ushort, L2tpTunnel> _tunnels = [];
    private readonly Dictionary<(IPEndPoint Remote, ushort PeerTunnelId), L2tpTunnel> _byPeer = [];
    private readonly Dictionary<ushort, L2tpSession> _sessions = [];
    private readonly RateLimitedLog _limited;
    private uint _nextCallSerial = 1;

    private protected L2tpEngine(L2tpOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ReceiveWindowSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.ReceiveWindowSize, 1024);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxTunnels, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.MaxTunnels, 60000);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxSessionsPerTunnel, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxTunnelsPerPeer, 1);
        if (string.IsNullOrEmpty(options.HostName)) throw new ArgumentException("Host Name must be at least one byte", nameof(options));
        // Each fits in one AVP (1023 bytes, the header's 6 included).
        if (System.Text.Encoding.UTF8.GetByteCount(options.HostName) > 1000 || System.Text.Encoding.UTF8.GetByteCount(options.VendorName) > 1000)
            throw new ArgumentException("Host Name and Vendor Name are at most 1000 bytes", nameof(options));
        if (options.HideAvps && options.Secret is not { Length: > 0 }) throw new ArgumentException("hiding AVPs needs a tunnel secret", nameof(options));
        Options = options;
        Logger = logger;
        _limited = new RateLimitedLog(logger);
    }

    /// <summary>The settings.</summary>
    public L2tpOptions Options { get; }

    private protected ILogger Logger { get; }

    /// <summary>Every tunnel the engine holds, including those closing.</summary>
    public IReadOnlyCollection<L2tpTunnel> Tunnels => _tunnels.Values;

    /// <summary>Receives the PPP frames of data messages that <see cref="HandleDatagram"/> takes.</summary>
    public L2tpFrameHandler? FrameReceived { get; set; }

    /// <summary>The next datagram to send, if any.</summary>
    public bool TryDequeueTransmit([NotNullWhen(true)] out L2tpTransmit? transmit) => _transmits.TryDequeue(out transmit);

    /// <summary>The next event for the host, if any.</summary>
    public bool TryDequeueEvent([NotNullWhen(true)] out L2tpEvent? e) => _events.TryDequeue(out e);

    /// <summary>When <see cref="HandleTimeout"/> has something to do next (retransmission, ZLB, HELLO, clean-up), if ever.</summary>
    public DateTimeOffset? NextTimeout
    {
        get
        {
            DateTimeOffset? next = null;
            foreach (L2tpTunnel tunnel in _tunnels.Values) next = Min(next, NextTimeoutOf(tunnel));
            return next;
        }
    }

    /// <summary>Does what is due at <paramref name="now"/>.</summary>
    public void HandleTimeout(DateTimeOffset now)
    {
        foreach (L2tpTunnel tunnel in _tunnels.Values.ToList())
        {
            int unacked = tunnel.Channel.Unacknowledged;
            int triesBefore = tunnel.Channel.Tries;
            if (!tunnel.Channel.HandleTimeout(now))
            {
                string reason = $"no acknowledgement from the peer after {Options.RetransmitTries} retransmissions";
                if (tunnel.State is L2tpTunnelState.Closing or L2tpTunnelState.Closed) Remove(tunnel);
                else
                {
                    L2tpLog.TunnelCleared(Logger, tunnel.LocalTunnelId, tunnel.RemoteEndpoint, reason);
                    Disconnect(tunnel, reason);
                    Remove(tunnel);
                }
                continue;
            }
            if (tunnel.Channel.Tries > triesBefore) L2tpLog.Retransmit(Logger, tunnel.LocalTunnelId, unacked, tunnel.Channel.Tries);
            if (tunnel.State is L2tpTunnelState.Closing or L2tpTunnelState.Closed)
            {
                if (tunnel.HoldUntil <= now) Remove(tunnel);
                continue;
            }
            DateTimeOffset heard = Max(tunnel.CreatedAt, tunnel.Channel.LastReceived);
            if (now - heard >= Options.HelloInterval && tunnel.Channel.IsIdle)
            {
                if (tunnel.State == L2tpTunnelState.Established)
                {
                    L2tpLog.Hello(Logger, tunnel.LocalTunnelId, (now - heard).TotalSeconds);
                    Send(now, tunnel, new ControlMessage { MessageType = L2tpMessageType.Hello });
                }
                else
                {
                    // The peer acknowledged our SCCRQ or SCCRP and never went on.
                    Clear(now, tunnel, StopCcnResult.GeneralError, L2tpErrorCode.None,
                        tunnel.IsInitiator ? "no SCCRP after our SCCRQ was acknowledged" : "no SCCCN after our SCCRP was acknowledged");
                    continue;
                }
            }
            foreach (L2tpSession session in tunnel.SessionsById.Values.ToList())
            {
                if (session.State is L2tpSessionState.WaitConnect or L2tpSessionState.WaitReply && now - session.CreatedAt >= Options.HelloInterval && tunnel.Channel.IsIdle)
                    ClearSession(now, session, CdnResult.GeneralError, L2tpErrorCode.None, session.State == L2tpSessionState.WaitConnect
                        ? "no ICCN after our ICRP was acknowledged" : "no ICRP after our ICRQ was acknowledged");
            }
        }
        _limited.Flush(now);
    }

    private DateTimeOffset? NextTimeoutOf(L2tpTunnel tunnel)
    {
        DateTimeOffset? next = tunnel.Channel.NextTimeout;
        if (tunnel.State is L2tpTunnelState.Closing or L2tpTunnelState.Closed) return Min(next, tunnel.HoldUntil);
        if (tunnel.Channel.IsIdle)
        {
            next = Min(next, Max(tunnel.CreatedAt, tunnel.Channel.LastReceived) + Options.HelloInterval);
            foreach (L2tpSession session in tunnel.SessionsById.Values)
                if (session.State is L2tpSessionState.WaitConnect or L2tpSessionState.WaitReply) next = Min(next, session.CreatedAt + Options.HelloInterval);
        }
        return next;
    }

    /// <summary>
    /// Takes a UDP datagram that arrived on <paramref name="local"/> from <paramref name="remote"/>: a control message
    /// (answered through <see cref="TryDequeueTransmit"/>, reported through <see cref="TryDequeueEvent"/>) or a data
    /// message (its PPP frame goes to <see cref="FrameReceived"/>). Bad input is logged and dropped, never thrown.
    /// </summary>
    public void HandleDatagram(DateTimeOffset now, IPEndPoint local, IPEndPoint remote, ReadOnlySpan<byte> datagram)
    {
        if (!L2tpHeader.TryParse(datagram, out L2tpHeader header, out int length, out ParseError error))
        {
            DropWarning(now, remote, error.ToString());
            return;
        }
        if (!header.IsControl)
        {
            string? reason = Decapsulate(remote, header, out L2tpSession? session);
            if (reason is not null)
            {
                if (_limited.Allow("l2tp-data", LogLevel.Warning, now)) L2tpLog.DataDropped(Logger, remote, reason);
                return;
            }
            FrameReceived?.Invoke(session!, datagram[header.PayloadOffset..length]);
            return;
        }
        HandleControl(now, local, remote, header, datagram[header.PayloadOffset..length]);
    }

    /// <summary>
    /// The data path without allocation: when <paramref name="datagram"/> is a data message of an established session
    /// from its peer, returns true with the session and where its PPP frame lies in the datagram. False for anything
    /// else (a control message, or a data message to drop): give it to <see cref="HandleDatagram"/>, which handles
    /// or logs it.
    /// </summary>
    public bool TryDecapsulateData(IPEndPoint remote, ReadOnlySpan<byte> datagram, [NotNullWhen(true)] out L2tpSession? session, out int payloadOffset, out int payloadLength)
    {
        session = null;
        payloadOffset = 0;
        payloadLength = 0;
        if (!L2tpHeader.TryParse(datagram, out L2tpHeader header, out int length, out _) || header.IsControl) return false;
        // A drop is left to HandleDatagram, which logs it; the state it changed (sequence) is only changed on success.
        if (Decapsulate(remote, header, out session) is not null || session is null) { session = null; return false; }
        payloadOffset = header.PayloadOffset;
        payloadLength = length - header.PayloadOffset;
        return true;
    }

    private string? Decapsulate(IPEndPoint remote, L2tpHeader header, out L2tpSession? session)
    {
        if (!_sessions.TryGetValue(header.SessionId, out session)) return "unknown Session ID";
        if (session.Tunnel.LocalTunnelId != header.TunnelId) return "Session ID of another tunnel";
        if (!remote.Equals(session.Tunnel.RemoteEndpoint)) return "session belongs to another peer";
        if (session.State != L2tpSessionState.Established) return "session not established";
        if (header.HasSequence)
        {
            // Data Ns is per session; anything not after the last one is late or repeated (§5.4). Nr is reserved.
            if (session.ExpectedDataNs is { } expected && (ushort)(header.Ns - expected) >= 0x8000)
            {
                session.FramesOutOfOrder++;
                return "data message out of order";
            }
            session.ExpectedDataNs = (ushort)(header.Ns + 1);
        }
        // §5.4: a LAC sends sequence numbers exactly when the LNS does, unless it asked for them.
        if (session.Tunnel.IsInitiator && !Options.RequestSequencing) session.SendsSequenceNumbers = header.HasSequence;
        session.FramesReceived++;
        return null;
    }

    /// <summary>Bytes of the header <see cref="TryEncapsulateData"/> puts before a PPP frame of this session (6, or 10 with Ns and Nr).</summary>
    public static int DataHeaderSize(L2tpSession session) => L2tpHeader.SizeOf(session.SendsSequenceNumbers ? L2tpHeaderFlags.Sequence : L2tpHeaderFlags.None);

    /// <summary>The largest data header: with Ns and Nr.</summary>
    public const int MaxDataHeaderSize = 10;

    /// <summary>
    /// Writes a data message carrying <paramref name="pppFrame"/> (address and control field included, as the peer
    /// expects) for <paramref name="session"/> into <paramref name="destination"/>, without allocating. False when
    /// the session is not established or the destination is too small. The host sends it from
    /// <see cref="L2tpTunnel.LocalEndpoint"/> to <see cref="L2tpTunnel.RemoteEndpoint"/>.
    /// </summary>
    public bool TryEncapsulateData(L2tpSession session, ReadOnlySpan<byte> pppFrame, Span<byte> destination, out int written)
    {
        written = 0;
        if (session.State != L2tpSessionState.Established) return false;
        L2tpHeaderFlags flags = session.SendsSequenceNumbers ? L2tpHeaderFlags.Sequence : L2tpHeaderFlags.None;
        int size = L2tpHeader.SizeOf(flags);
        if (destination.Length < size + pppFrame.Length) return false;
        ushort ns = session.SendsSequenceNumbers ? session.NextDataNs++ : (ushort)0;
        new L2tpHeader(flags, 0, session.Tunnel.RemoteTunnelId, session.RemoteSessionId, ns, 0, 0).Write(destination);
        pppFrame.CopyTo(destination[size..]);
        written = size + pppFrame.Length;
        session.FramesSent++;
        return true;
    }

    /// <summary>Disconnects a session: CDN to the peer (administrative reasons), <see cref="L2tpSessionDown"/> to the host.</summary>
    public void CloseSession(DateTimeOffset now, L2tpSession session, string reason)
    {
        if (session.State == L2tpSessionState.Closed) return;
        // A call not yet requested (its tunnel is still coming up) ends here; the peer never heard of it.
        if (session.State != L2tpSessionState.WaitTunnel)
            SendCdn(now, session.Tunnel, session.RemoteSessionId, session.LocalSessionId, CdnResult.Administrative, L2tpErrorCode.None, reason);
        L2tpLog.SessionDown(Logger, session.Tunnel.LocalTunnelId, session.LocalSessionId, reason);
        EndSession(session, reason);
    }

    /// <summary>Closes a tunnel and its sessions: StopCCN to the peer (general request), events to the host.</summary>
    public void CloseTunnel(DateTimeOffset now, L2tpTunnel tunnel, string reason)
    {
        if (tunnel.State is L2tpTunnelState.Closing or L2tpTunnelState.Closed) return;
        L2tpLog.TunnelDown(Logger, tunnel.LocalTunnelId, tunnel.RemoteEndpoint, reason);
        StopTunnel(now, tunnel, StopCcnResult.GeneralRequest, L2tpErrorCode.None, reason, reason);
    }

    /// <summary>Closes every tunnel (daemon shutdown): StopCCN with "requester is being shut down".</summary>
    public void CloseAll(DateTimeOffset now, string reason)
    {
        foreach (L2tpTunnel tunnel in _tunnels.Values.ToList())
        {
            if (tunnel.State is L2tpTunnelState.Closing or L2tpTunnelState.Closed) continue;
            L2tpLog.TunnelDown(Logger, tunnel.LocalTunnelId, tunnel.RemoteEndpoint, reason);
            StopTunnel(now, tunnel, StopCcnResult.ShuttingDown, L2tpErrorCode.None, reason, reason);
        }
    }

    // ---- plumbing shared by the handlers ----------------------------------------------------------------------

    private protected L2tpTunnel NewTunnel(DateTimeOffset now, IPEndPoint local, IPEndPoint remote, bool initiator)
    {
        ushort id = AllocateId(_tunnels);
        L2tpTunnel? tunnel = null;
        var channel = new ControlChannel(Options, bytes => _transmits.Enqueue(new L2tpTransmit(tunnel!.LocalEndpoint, tunnel.RemoteEndpoint, bytes)));
        tunnel = new L2tpTunnel(id, local, remote, initiator, now, channel);
        _tunnels[id] = tunnel;
        return tunnel;
    }

    private protected L2tpSession NewSession(DateTimeOffset now, L2tpTunnel tunnel)
    {
        var session = new L2tpSession(tunnel, AllocateId(_sessions), now);
        _sessions[session.LocalSessionId] = session;
        tunnel.SessionsById[session.LocalSessionId] = session;
        return session;
    }

    private protected uint NextCallSerial() => _nextCallSerial++;

    private protected bool SessionCapacityLeft(L2tpTunnel tunnel) =>
        tunnel.SessionsById.Count < Options.MaxSessionsPerTunnel && _sessions.Count < 60000;

    private protected void Announce(L2tpEvent e) => _events.Enqueue(e);

    private protected void Send(DateTimeOffset now, L2tpTunnel tunnel, ControlMessage message)
    {
        message.TunnelId = tunnel.RemoteTunnelId;
        L2tpLog.Message(Logger, tunnel.LocalTunnelId, "sending", message.Name, message.SessionId, tunnel.Channel.NextNs, tunnel.Channel.ExpectedNs, tunnel.LocalEndpoint, tunnel.RemoteEndpoint);
        tunnel.Channel.Send(now, message.ToBytes(Hiding));
    }

    private AvpHiding? Hiding => Options.HideAvps && Options.Secret is { Length: > 0 } secret ? new AvpHiding(secret, FillRandom) : null;

    private protected void FillRandom(Span<byte> bytes)
    {
        if (Options.Random is { } random) random(bytes);
        else RandomNumberGenerator.Fill(bytes);
    }

    private ushort AllocateId<T>(Dictionary<ushort, T> used)
    {
        Span<byte> b = stackalloc byte[2];
        for (int i = 0; i < 64; i++)
        {
            FillRandom(b);
            ushort id = BinaryPrimitives.ReadUInt16BigEndian(b);
            if (id != 0 && !used.ContainsKey(id)) return id;
        }
        // Nearly full: take the first free one after a random start.
        FillRandom(b);
        int start = BinaryPrimitives.ReadUInt16BigEndian(b);
        for (int i = 0; i < 65536; i++)
        {
            ushort id = (ushort)(start + i);
            if (id != 0 && !used.ContainsKey(id)) return id;
        }
        throw new InvalidOperationException("no free L2TP ID");
    }

    private protected void RegisterPeer(L2tpTunnel tunnel) => _byPeer[(tunnel.RemoteEndpoint, tunnel.RemoteTunnelId)] = tunnel;

    private protected L2tpTunnel? FindByPeer(IPEndPoint remote, ushort peerTunnelId) => _byPeer.GetValueOrDefault((remote, peerTunnelId));

    private protected bool TunnelCapacityLeft => _tunnels.Count < Options.MaxTunnels;

    /// <summary>Tunnels with this peer endpoint (at most <see cref="L2tpOptions.MaxTunnels"/> to look at, and only for an SCCRQ).</summary>
    private protected int TunnelsOf(IPEndPoint remote) => _tunnels.Values.Count(t => t.RemoteEndpoint.Equals(remote));

    /// <summary>A refused tunnel, rate-limited: a peer repeating SCCRQ past a limit does not flood the log.</summary>
    private protected void RefusedWarning(DateTimeOffset now, IPEndPoint remote, string reason)
    {
        if (_limited.Allow("l2tp-refused", LogLevel.Warning, now)) L2tpLog.TunnelRefused(Logger, 0, remote, reason);
    }

    /// <summary>Ends every session of the tunnel and reports the tunnel down (once), without sending anything.</summary>
    private protected void Disconnect(L2tpTunnel tunnel, string reason)
    {
        foreach (L2tpSession session in tunnel.SessionsById.Values.ToList())
        {
            if (session.Announced || session.State == L2tpSessionState.Established)
                L2tpLog.SessionDown(Logger, tunnel.LocalTunnelId, session.LocalSessionId, reason);
            EndSession(session, reason);
        }
        if (tunnel.Announced) _events.Enqueue(new L2tpTunnelDown(tunnel, reason));
        tunnel.Announced = false;
    }

    private protected void EndSession(L2tpSession session, string reason)
    {
        if (session.State == L2tpSessionState.Closed) return;
        bool announced = session.Announced;
        session.State = L2tpSessionState.Closed;
        session.Announced = false;
        _sessions.Remove(session.LocalSessionId);
        session.Tunnel.SessionsById.Remove(session.LocalSessionId);
        if (announced) _events.Enqueue(new L2tpSessionDown(session, reason));
    }

    private protected void Remove(L2tpTunnel tunnel)
    {
        Disconnect(tunnel, "tunnel removed");
        tunnel.Channel.Stop();
        _tunnels.Remove(tunnel.LocalTunnelId);
        if (_byPeer.TryGetValue((tunnel.RemoteEndpoint, tunnel.RemoteTunnelId), out L2tpTunnel? t) && t == tunnel)
            _byPeer.Remove((tunnel.RemoteEndpoint, tunnel.RemoteTunnelId));
        if (tunnel.State is not L2tpTunnelState.Closing and not L2tpTunnelState.Closed) tunnel.State = L2tpTunnelState.Closed;
    }

    private protected void DropWarning(DateTimeOffset now, IPEndPoint remote, string reason)
    {
        if (_limited.Allow("l2tp-drop", LogLevel.Warning, now)) L2tpLog.Dropped(Logger, remote, reason);
    }

    private protected void IgnoreWarning(DateTimeOffset now, L2tpTunnel tunnel, string message, string reason)
    {
        if (_limited.Allow("l2tp-ignore", LogLevel.Warning, now)) L2tpLog.Ignored(Logger, tunnel.LocalTunnelId, message, tunnel.RemoteEndpoint, reason);
    }

    /// <summary>Sends a datagram outside any tunnel state (a refusal that is not retransmitted).</summary>
    private protected void SendStateless(IPEndPoint local, IPEndPoint remote, byte[] bytes) => _transmits.Enqueue(new L2tpTransmit(local, remote, bytes));

    private static DateTimeOffset? Min(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a < b ? a : b;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
