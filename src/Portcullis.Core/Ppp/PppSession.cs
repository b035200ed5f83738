using System.Net;
using Microsoft.Extensions.Logging;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ppp;

/// <summary>The phases of a PPP link (RFC 1661 §3.2).</summary>
public enum PppPhase
{
    /// <summary>Link Dead: not started, or over.</summary>
    Dead,
    /// <summary>Link Establishment: LCP negotiating.</summary>
    Establish,
    /// <summary>Authentication: PAP, CHAP-MD5 or MS-CHAPv2.</summary>
    Authenticate,
    /// <summary>Network-Layer Protocol: IPCP (and IPv6CP), then IPv4 (and IPv6).</summary>
    Network,
    /// <summary>Link Termination: LCP Terminate-Request/Ack under way.</summary>
    Terminate,
}

/// <summary>
/// One PPP link over an L2TP session, server (LNS) or client: LCP, then PAP/CHAP-MD5/MS-CHAPv2, then IPCP, then
/// IPv4; with an IPv6 prefix (server) or <see cref="PppOptions.RequestIpv6"/> (client) also IPv6CP, then IPv6.
/// Sans-IO: the caller feeds it the PPP frames of the L2TP session's data messages and the time, sends what
/// <see cref="TryDequeueFrame"/> gives in L2TP data messages, and reads events from <see cref="TryDequeueEvent"/>.
/// Not thread-safe; nothing here throws on peer input.
/// <para>
/// The data path: <see cref="TryGetIpPacket"/> takes a received frame and, when it is IPv4 and IPCP is open or IPv6
/// and IPv6CP is open, returns the packet as a slice of the frame (no copy); other frames go to
/// <see cref="HandleFrame"/>. A server answers a client's Router Solicitations itself, and sends a Router
/// Advertisement with the /64 of <see cref="PppOptions.Ipv6Prefix"/> when IPv6CP opens and every 10 minutes.
/// <see cref="WrapIpPacket"/> writes a packet's frame into a caller's buffer (no allocation).
/// </para>
/// <para>
/// Protocols other than LCP, PAP, CHAP, IPCP and IPv4 (CCP, …; IPv6CP and IPv6 when IPv6 is not configured) get a
/// Protocol-Reject once LCP is open, so a client asking for IPv6 or MPPE compression falls back to IPv4 alone. A
/// session lives once: when the link goes down (<see cref="PppDown"/>) LCP is closed for good, so an LCP renegotiation
/// from the peer ends the session too.
/// </para>
/// </summary>
public sealed class PppSession : IPppLayerEvents, IDisposable
{
    /// <summary>Bytes <see cref="WrapIpPacket"/> puts before an IP packet (FF 03 00 21).</summary>
    public const int IpFrameOverhead = PppFrame.HeaderSize;

    private readonly PppContext _context;
    private readonly ILogger _logger;
    private readonly Lcp _lcp;
    private readonly Ipcp _ipcp;
    private readonly Ipv6cp? _ipv6cp;
    private readonly Queue<byte[]> _frames = new();
    private readonly Queue<PppEvent> _events = new();
    private readonly HashSet<ushort> _rejectedProtocols = [];
    private PppAuthenticator? _authenticator;
    private PppAuthPeer? _authPeer;
    private bool _started;
    private bool _closeRequested;
    private string? _pendingClose;
    private bool _downReported;
    private bool _ipUp;
    private IPAddress? _assigned;
    private bool _ipv6Up;
    private IPAddress? _ipv6Prefix;
    private DateTimeOffset? _lastAdvertisement;
    private DateTimeOffset? _nextAdvertisement;

    /// <summary>A session that does nothing until <see cref="Start"/>.</summary>
    /// <exception cref="ArgumentException">The options are inconsistent (a server without users or protocols, an MRU out of range).</exception>
    public PppSession(PppOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        if (options.Role == PppRole.Server)
        {
            if (options.AuthenticationProtocols.Count == 0) throw new ArgumentException("a PPP server needs at least one authentication protocol", nameof(options));
            if (options.FindPassword is null) throw new ArgumentException("a PPP server needs FindPassword to look users up", nameof(options));
        }
        if (options.Mru is < Lcp.MinimumMru or > ushort.MaxValue) throw new ArgumentException($"MRU {options.Mru} is out of range ({Lcp.MinimumMru} to {ushort.MaxValue})", nameof(options));
        if (options.MaxConfigure < 1 || options.MaxTerminate < 1 || options.MaxFailure < 1 || options.EchoFailure < 1)
            throw new ArgumentException("Max-Configure, Max-Terminate, Max-Failure and the echo failure count must be at least 1", nameof(options));
        if (options.RestartInterval <= TimeSpan.Zero) throw new ArgumentException("the Restart interval must be positive", nameof(options));
        if (options.Ipv6Prefix is { AddressFamily: not System.Net.Sockets.AddressFamily.InterNetworkV6 }) throw new ArgumentException("the IPv6 prefix must be an IPv6 address", nameof(options));
        _logger = logger;
        _context = new PppContext(options, logger, Enqueue);
        _lcp = new Lcp(_context, this);
        _ipcp = new Ipcp(_context, this);
        if (options.Role == PppRole.Server ? options.Ipv6Prefix is not null : options.RequestIpv6) _ipv6cp = new Ipv6cp(_context, this);
    }

    /// <summary>Server or client.</summary>
    public PppRole Role => _context.Options.Role;

    /// <summary>The phase of the link.</summary>
    public PppPhase Phase { get; private set; } = PppPhase.Dead;

    /// <summary>LCP's automaton state.</summary>
    public PppState LcpState => _lcp.State;

    /// <summary>IPCP's automaton state.</summary>
    public PppState IpcpState => _ipcp.State;

    /// <summary>IPv6CP's automaton state; null when IPv6CP is not run (and gets a Protocol-Reject).</summary>
    public PppState? Ipv6cpState => _ipv6cp?.State;

    /// <summary>Whether IPv6CP is open and IPv6 flows.</summary>
    public bool IsIpv6Up => _ipv6Up;

    /// <summary>Server: the peer's global IPv6 address (our /64 and its Interface-Identifier) once IPv6CP is open.</summary>
    public IPAddress? Ipv6PeerAddress => _ipv6Up && Role == PppRole.Server ? Ipv6cpOptions.Address(Ipv6AdvertisedPrefix!, _ipv6cp!.PeerIdentifier) : null;

    /// <summary>
    /// Server: the /64 the advertisements carry once IPv6CP has opened: the peer's own from
    /// <see cref="PppOptions.AssignIpv6Prefix"/>, else <see cref="PppOptions.Ipv6Prefix"/>'s.
    /// </summary>
    public IPAddress? Ipv6AdvertisedPrefix => _ipv6Prefix is null ? null : Ipv6cpOptions.Address(_ipv6Prefix, 0);

    /// <summary>The authenticated user (server: the peer's name; client: ours), once authentication succeeded.</summary>
    public string? AuthenticatedUser { get; private set; }

    /// <summary>The authentication protocol LCP agreed on, once it is open.</summary>
    public PppAuthenticationProtocol? AuthenticationProtocol => _lcp.State == PppState.Opened ? _lcp.Authentication : null;

    /// <summary>The peer's MRU as negotiated (1500 when it named none).</summary>
    public int PeerMru => _lcp.PeerMru;

    /// <summary>
    /// The largest IP packet to send: the peer's MRU, capped at <see cref="PppOptions.Mru"/> (the room IPsec leaves),
    /// so a peer that names no MRU does not get 1500-byte packets. For the TUN device's MTU.
    /// </summary>
    public int Mtu => Math.Min(_lcp.PeerMru, _context.Options.Mru);

    /// <summary>Whether IPCP is open and IPv4 flows.</summary>
    public bool IsNetworkUp => _ipUp;

    /// <summary>Our IPv4 address once IPCP is open.</summary>
    public IPAddress? LocalAddress => _ipUp ? _ipcp.LocalAddress : null;

    /// <summary>The peer's IPv4 address once IPCP is open.</summary>
    public IPAddress? PeerAddress => _ipUp ? _ipcp.PeerAddress : null;

    /// <summary>The link went down and LCP has nothing more to send or wait for: the L2TP session can go.</summary>
    public bool IsFinished => _started && _downReported && _lcp.State is PppState.Initial or PppState.Starting or PppState.Closed or PppState.Stopped;

    /// <summary>When <see cref="HandleTimeout"/> should next run; null when nothing waits.</summary>
    public DateTimeOffset? NextTimeout
    {
        get
        {
            if (!_started || IsFinished) return null;
            DateTimeOffset? next = null;
            Consider(ref next, _lcp.RestartDeadline);
            Consider(ref next, _ipcp.RestartDeadline);
            Consider(ref next, _ipv6cp?.RestartDeadline);
            if (_ipv6Up) Consider(ref next, _nextAdvertisement);
            Consider(ref next, _lcp.EchoDeadline);
            Consider(ref next, _authenticator?.Deadline);
            Consider(ref next, _authPeer?.Deadline);
            return next;
        }
    }

    private static void Consider(ref DateTimeOffset? next, DateTimeOffset? candidate)
    {
        if (candidate is DateTimeOffset c && (next is null || c < next)) next = c;
    }

    /// <summary>Starts LCP: the L2TP session is up, so the lower layer is (RFC 1661's Open and Up).</summary>
    public void Start(DateTimeOffset now)
    {
        if (_started) return;
        _started = true;
        Phase = PppPhase.Establish;
        _lcp.Open(now);
        _lcp.Up(now);
        AfterEvent(now);
    }

    /// <summary>Closes the link: LCP Terminate-Request, then <see cref="PppDown"/> with <paramref name="reason"/>.</summary>
    public void Close(DateTimeOffset now, string reason)
    {
        if (!_started) return;
        RequestClose(reason);
        AfterEvent(now);
    }

    /// <summary>The L2TP session is gone: the link is down at once, with nothing more sent.</summary>
    public void LowerDown(DateTimeOffset now, string reason)
    {
        if (!_started) return;
        _closeRequested = true;
        _lcp.Down(now, reason);
        _lcp.Close(now, reason);
        ReportDown(reason);
        Phase = PppPhase.Dead;
    }

    /// <summary>A PPP frame from the peer (what <see cref="TryGetIpPacket"/> did not take).</summary>
    public void HandleFrame(DateTimeOffset now, ReadOnlySpan<byte> frame)
    {
        if (!_started || IsFinished) return;
        if (!PppFrame.TryParse(frame, out PppFrame parsed, out ParseError error))
        {
            PppLog.BadPacket(_logger, _context.Name, "PPP", error.ToString());
            return;
        }
        ushort protocol = parsed.Protocol;
        if (_logger.IsEnabled(LogLevel.Debug)) PppLog.Packet(_logger, _context.Name, "received", PppProtocolNames.Of(protocol), Describe(protocol, parsed.Information));
        switch ((PppProtocol)protocol)
        {
            case PppProtocol.Lcp:
                _lcp.Receive(now, parsed.Information);
                break;
            case PppProtocol.Pap or PppProtocol.Chap:
                ReceiveAuthentication(now, protocol, parsed.Information);
                break;
            case PppProtocol.Ipcp:
                if (Phase == PppPhase.Network) _ipcp.Receive(now, parsed.Information);
                else PppLog.Discarded(_logger, _context.Name, "IPCP", "packet", $"link is in the {Phase} phase");
                break;
            case PppProtocol.Ipv4:
                PppLog.Discarded(_logger, _context.Name, "IPv4", "packet", "IPCP is not open");
                break;
            case PppProtocol.Ipv6cp when _ipv6cp is not null:
                if (Phase == PppPhase.Network) _ipv6cp.Receive(now, parsed.Information);
                else PppLog.Discarded(_logger, _context.Name, "IPv6CP", "packet", $"link is in the {Phase} phase");
                break;
            case PppProtocol.Ipv6 when _ipv6cp is not null:
                ReceiveIpv6(now, parsed.Information);
                break;
            default:
                if (_lcp.State != PppState.Opened)
                {
                    PppLog.Discarded(_logger, _context.Name, PppProtocolNames.Of(protocol), "packet", "LCP is not open");
                    break;
                }
                if (_rejectedProtocols.Add(protocol)) PppLog.ProtocolRejectSent(_logger, _context.Name, PppProtocolNames.Of(protocol));
                _lcp.SendProtocolReject(protocol, parsed.Information);
                break;
        }
        AfterEvent(now);
    }

    /// <summary>Runs the timers that are due: retransmissions, give-ups, echo keepalive.</summary>
    public void HandleTimeout(DateTimeOffset now)
    {
        if (!_started || IsFinished) return;
        _lcp.Timeout(now);
        _ipcp.Timeout(now);
        _ipv6cp?.Timeout(now);
        if (_ipv6Up && _nextAdvertisement is DateTimeOffset due && now >= due) SendAdvertisement(now, "unsolicited");
        if (_authenticator is not null) HandleAuthStep(now, _authenticator.Timeout(now));
        if (_authPeer is not null) HandleAuthStep(now, _authPeer.Timeout(now));
        if (!_lcp.EchoTimeout(now))
        {
            PppLog.EchoFailed(_logger, _context.Name, _context.Options.EchoFailure);
            RequestClose($"LCP echo: peer silent for {_context.Options.EchoFailure} intervals");
        }
        AfterEvent(now);
    }

    /// <summary>The next control frame to send in an L2TP data message.</summary>
    public bool TryDequeueFrame(out byte[] frame) => _frames.TryDequeue(out frame!);

    /// <summary>The next event.</summary>
    public bool TryDequeueEvent(out PppEvent pppEvent) => _events.TryDequeue(out pppEvent!);

    /// <summary>
    /// The IP packet in <paramref name="frame"/>, as a slice of it, when the frame is IPv4 and IPCP is open or IPv6 and
    /// IPv6CP is open (with or without FF 03, with a one- or two-byte Protocol); false otherwise (give the frame to
    /// <see cref="HandleFrame"/>), a Router Solicitation to a server among them.
    /// </summary>
    public bool TryGetIpPacket(ReadOnlySpan<byte> frame, out ReadOnlySpan<byte> ip)
    {
        ip = default;
        if (!_ipUp && !_ipv6Up) return false;
        int at = frame.Length >= 2 && frame[0] == PppFrame.Address && frame[1] == PppFrame.Control ? 2 : 0;
        byte protocol;
        if (frame.Length > at && frame[at] is (byte)PppProtocol.Ipv4 or (byte)PppProtocol.Ipv6) protocol = frame[at++];
        else if (frame.Length > at + 1 && frame[at] == 0 && frame[at + 1] is (byte)PppProtocol.Ipv4 or (byte)PppProtocol.Ipv6) { protocol = frame[at + 1]; at += 2; }
        else return false;
        if (frame.Length == at || !(protocol == (byte)PppProtocol.Ipv4 ? _ipUp : _ipv6Up)) return false;
        ReadOnlySpan<byte> packet = frame[at..];
        // A Router Solicitation is the server's to answer, not the TUN device's.
        if (protocol == (byte)PppProtocol.Ipv6 && Role == PppRole.Server && NeighborDiscovery.IsIcmpv6Type(packet, RouterSolicitation.Type)) return false;
        ip = packet;
        return true;
    }

    /// <summary>
    /// Writes FF 03, the Protocol (00 57 for an IPv6 packet by its version, else 00 21) and <paramref name="ip"/> into
    /// <paramref name="destination"/>; returns the frame's length. Callers keep packets within <see cref="PeerMru"/>
    /// and send IPv6 only while <see cref="IsIpv6Up"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The destination is shorter than <see cref="IpFrameOverhead"/> plus the packet.</exception>
    public static int WrapIpPacket(ReadOnlySpan<byte> ip, Span<byte> destination) =>
        PppFrame.Write(ip.Length > 0 && ip[0] >> 4 == 6 ? (ushort)PppProtocol.Ipv6 : (ushort)PppProtocol.Ipv4, ip, destination);

    // ---- IPv6: Router Solicitations and Advertisements -----------------------------------------------------------

    // IPv6 the data path did not take: a Router Solicitation (server), or a packet while IPv6CP is not open.
    private void ReceiveIpv6(DateTimeOffset now, ReadOnlySpan<byte> packet)
    {
        if (!_ipv6Up)
        {
            PppLog.Discarded(_logger, _context.Name, "IPv6", "packet", "IPv6CP is not open");
            return;
        }
        if (Role != PppRole.Server || !NeighborDiscovery.IsIcmpv6Type(packet, RouterSolicitation.Type))
        {
            PppLog.Discarded(_logger, _context.Name, "IPv6", "packet", "empty, or not for this end's data path");
            return;
        }
        if (!RouterSolicitation.TryParse(packet, out _, out ParseError error))
        {
            PppLog.BadPacket(_logger, _context.Name, "IPv6", $"Router Solicitation: {error}");
            return;
        }
        if (_lastAdvertisement is DateTimeOffset last && now - last < RouterAdvertisement.MinimumDelay)
        {
            // RFC 4861 §6.2.6: no closer than MIN_DELAY_BETWEEN_RAS; the answer goes out when that has passed.
            DateTimeOffset due = last + RouterAdvertisement.MinimumDelay;
            if (_nextAdvertisement is not DateTimeOffset next || due < next) _nextAdvertisement = due;
            PppLog.Discarded(_logger, _context.Name, "IPv6", "Router Solicitation", $"an advertisement went out less than {RouterAdvertisement.MinimumDelay.TotalSeconds} s ago; answering when that has passed");
            return;
        }
        SendAdvertisement(now, "answering a Router Solicitation");
    }

    private void SendAdvertisement(DateTimeOffset now, string why)
    {
        IPAddress prefix = Ipv6AdvertisedPrefix!;
        IReadOnlyList<IPAddress> dns = _context.Options.Ipv6Dns;
        var packet = new byte[RouterAdvertisement.LengthWith(dns.Count)];
        RouterAdvertisement.Write(_ipv6cp!.LocalIdentifier, prefix, Mtu, dns, packet);
        _lastAdvertisement = now;
        _nextAdvertisement = now + RouterAdvertisement.Interval;
        PppLog.RouterAdvertisementSent(_logger, _context.Name, prefix, dns.Count > 0 ? string.Join(", ", dns) : "none", why);
        _context.Send((ushort)PppProtocol.Ipv6, packet);
    }

    // ---- authentication ------------------------------------------------------------------------------------------

    private void ReceiveAuthentication(DateTimeOffset now, ushort protocol, ReadOnlySpan<byte> information)
    {
        if (_authenticator is not null) HandleAuthStep(now, _authenticator.Receive(now, protocol, information));
        else if (_authPeer is not null) HandleAuthStep(now, _authPeer.Receive(now, protocol, information));
        else PppLog.Discarded(_logger, _context.Name, PppProtocolNames.Of(protocol), "packet", "no authentication was negotiated or it is not time yet");
    }

    private void HandleAuthStep(DateTimeOffset now, AuthStep step)
    {
        if (step == AuthStep.Pending || Phase != PppPhase.Authenticate) return;
        PppAuthenticationProtocol protocol = _authenticator?.Protocol ?? _authPeer!.Protocol;
        if (step == AuthStep.Failed)
        {
            string reason = _authenticator?.FailureReason ?? _authPeer!.FailureReason;
            string? user = _authenticator is not null ? _authenticator.User : _authPeer!.User;
            PppLog.AuthenticationFailed(_logger, _context.Name, reason);
            _events.Enqueue(new PppAuthenticationFailed(user, protocol, reason));
            RequestClose($"authentication failed: {reason}");
            return;
        }
        if (_authenticator is not null)
        {
            AuthenticatedUser = _authenticator.User!;
            PppLog.Authenticated(_logger, _context.Name, PppAuthenticator.Printable(AuthenticatedUser), protocol.Name());
        }
        else
        {
            AuthenticatedUser = _authPeer!.User;
            PppLog.AuthenticatedToServer(_logger, _context.Name, PppAuthenticator.Printable(AuthenticatedUser), protocol.Name());
        }
        _events.Enqueue(new PppAuthenticated(AuthenticatedUser, protocol));
        EnterNetworkPhase(now);
    }

    private void EnterNetworkPhase(DateTimeOffset now)
    {
        Phase = PppPhase.Network;
        if (Role == PppRole.Server)
        {
            string user = AuthenticatedUser ?? "";
            _assigned = _context.Options.AssignPeerAddress?.Invoke(user);
            if (_assigned is null || _assigned.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
            {
                _assigned = null;
                PppLog.NoAddress(_logger, _context.Name, PppAuthenticator.Printable(user));
                RequestClose($"no address for PPP user '{PppAuthenticator.Printable(user)}'");
                return;
            }
            _ipcp.AssignedPeerAddress = _assigned;
        }
        _ipcp.Open(now);
        _ipcp.Up(now);
        _ipv6cp?.Open(now);
        _ipv6cp?.Up(now);
    }

    // ---- the layers' events --------------------------------------------------------------------------------------

    void IPppLayerEvents.LayerUp(PppAutomaton layer, DateTimeOffset now)
    {
        if (layer == _lcp)
        {
            PppAuthenticationProtocol? auth = _lcp.Authentication;
            PppLog.LcpUp(_logger, _context.Name, _lcp.LocalMru, _lcp.PeerMru, auth?.Name() ?? "none");
            if (Role == PppRole.Server)
            {
                if (auth is null) { RequestClose("LCP: peer would not agree to authenticate"); return; }
                Phase = PppPhase.Authenticate;
                _authenticator = new PppAuthenticator(_context, auth.Value);
                _authenticator.Start(now);
            }
            else if (auth is PppAuthenticationProtocol asked)
            {
                Phase = PppPhase.Authenticate;
                _authPeer = new PppAuthPeer(_context, asked);
                _authPeer.Start(now);
            }
            else EnterNetworkPhase(now);
            return;
        }
        if (layer == _ipv6cp)
        {
            Ipv6LayerUp(now);
            return;
        }
        if (Role == PppRole.Client && _ipcp.LocalAddress.Equals(IPAddress.Any))
        {
            RequestClose("IPCP: the server acknowledged 0.0.0.0, so we have no address");
            return;
        }
        _ipUp = true;
        var up = new PppNetworkUp(_ipcp.LocalAddress, _ipcp.PeerAddress, _ipcp.Dns, _ipcp.Nbns, Mtu);
        PppLog.NetworkUp(_logger, _context.Name, up.PeerAddress, up.LocalAddress, List(up.Dns), List(up.Nbns), up.Mtu);
        _events.Enqueue(up);
    }

    private void Ipv6LayerUp(DateTimeOffset now)
    {
        // The peer's own /64 is asked for once; a renegotiation of IPv6CP keeps it.
        if (Role == PppRole.Server && _ipv6Prefix is null)
        {
            IPAddress? own = _context.Options.AssignIpv6Prefix?.Invoke(AuthenticatedUser ?? "");
            _ipv6Prefix = own is { AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6 } ? own : _context.Options.Ipv6Prefix;
        }
        _ipv6Up = true;
        var up = new PppIpv6Up(_ipv6cp!.LocalIdentifier, _ipv6cp.PeerIdentifier, Ipv6PeerAddress, Mtu);
        PppLog.Ipv6Up(_logger, _context.Name, Ipv6cpOptions.Format(up.PeerIdentifier), Ipv6cpOptions.Format(up.LocalIdentifier),
            up.PeerAddress?.ToString() ?? "from the Router Advertisement", up.Mtu);
        _events.Enqueue(up);
        // RFC 4861 §6.2.4: advertise at once on a new link instead of waiting for a solicitation.
        if (Role == PppRole.Server) SendAdvertisement(now, "IPv6CP opened");
    }

    void IPppLayerEvents.LayerDown(PppAutomaton layer, DateTimeOffset now)
    {
        if (layer == _ipcp)
        {
            _ipUp = false;
            return;
        }
        if (layer == _ipv6cp)
        {
            _ipv6Up = false;
            return;
        }
        Phase = PppPhase.Terminate;
        if (_ipcp.State != PppState.Initial) _ipcp.Down(now, _lcp.Reason);
        if (_ipv6cp is not null && _ipv6cp.State != PppState.Initial) _ipv6cp.Down(now, _lcp.Reason);
        _ipUp = false;
        _ipv6Up = false;
        // Authentication belongs to this LCP session: no more Challenges or retransmissions once it is down.
        _authenticator?.Dispose();
        _authenticator = null;
        _authPeer?.Dispose();
        _authPeer = null;
        ReportDown(_lcp.Reason);
        RequestClose(_lcp.Reason);
    }

    void IPppLayerEvents.LayerFinished(PppAutomaton layer, DateTimeOffset now)
    {
        if (layer == _ipv6cp)
        {
            // IPv6 is an extra: IPCP gives the link its purpose (and its address), so the link stays.
            _ipv6Up = false;
            PppLog.Ipv6Finished(_logger, _context.Name, _ipv6cp.Reason);
            return;
        }
        if (layer == _ipcp)
        {
            // pppd's rule: with no network protocol left, the link has no purpose.
            RequestClose($"no network protocols running ({_ipcp.Reason})");
            return;
        }
        Phase = PppPhase.Dead;
        ReportDown(_lcp.Reason);
        RequestClose(_lcp.Reason);
    }

    void IPppLayerEvents.ProtocolRejected(DateTimeOffset now, ushort protocol)
    {
        switch ((PppProtocol)protocol)
        {
            case PppProtocol.Ipcp: _ipcp.ProtocolRejected(now); break;
            case PppProtocol.Ipv6cp when _ipv6cp is not null: _ipv6cp.ProtocolRejected(now); break;
            case PppProtocol.Pap or PppProtocol.Chap: RequestClose($"peer rejected {PppProtocolNames.Of(protocol)} (Protocol-Reject)"); break;
            default: PppLog.Discarded(_logger, _context.Name, "LCP", "Protocol-Reject", $"we do not send {PppProtocolNames.Of(protocol)}"); break;
        }
    }

    // ---- plumbing --------------------------------------------------------------------------------------------------

    private void RequestClose(string reason)
    {
        if (_closeRequested) return;
        _closeRequested = true;
        _pendingClose = reason;
    }

    // Reactions that act on LCP run here, after the event that caused them, never inside the automaton.
    private void AfterEvent(DateTimeOffset now)
    {
        if (_pendingClose is string reason)
        {
            _pendingClose = null;
            if (_lcp.State == PppState.Opened) Phase = PppPhase.Terminate;
            _lcp.Close(now, reason);
            ReportDown(reason);
        }
    }

    private void ReportDown(string reason)
    {
        if (_downReported) return;
        _downReported = true;
        _ipUp = false;
        _ipv6Up = false;
        PppLog.LinkDown(_logger, _context.Name, reason);
        _events.Enqueue(new PppDown(reason, AuthenticatedUser, _assigned));
    }

    private void Enqueue(ushort protocol, byte[] packet)
    {
        if (_logger.IsEnabled(LogLevel.Debug)) PppLog.Packet(_logger, _context.Name, "sending", PppProtocolNames.Of(protocol), Describe(protocol, packet));
        _frames.Enqueue(PppFrame.Build(protocol, packet));
    }

    // A packet for the debug log: code and Identifier, never the contents (a PAP request holds a password).
    private static string Describe(ushort protocol, ReadOnlySpan<byte> information)
    {
        if (information.Length < 2) return $"{information.Length} bytes";
        return (PppProtocol)protocol switch
        {
            PppProtocol.Lcp or PppProtocol.Ipcp or PppProtocol.Ipv6cp or PppProtocol.Ccp => $"{PppControlPacket.CodeName(information[0])} id {information[1]}, {information.Length} bytes",
            PppProtocol.Pap => $"{(PapCode)information[0]} id {information[1]}",
            PppProtocol.Chap => $"{(ChapCode)information[0]} id {information[1]}",
            _ => $"{information.Length} bytes",
        };
    }

    private static string List(IReadOnlyList<IPAddress> addresses) => addresses.Count == 0 ? "none" : string.Join(" ", addresses);

    /// <summary>Wipes the challenges and passwords the authentication parts still hold.</summary>
    public void Dispose()
    {
        _authenticator?.Dispose();
        _authPeer?.Dispose();
    }
}
