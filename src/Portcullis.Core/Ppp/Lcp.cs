namespace Portcullis.Core.Ppp;

/// <summary>What LCP and IPCP tell the session (which reacts once the automaton's event is over).</summary>
internal interface IPppLayerEvents
{
    void LayerUp(PppAutomaton layer, DateTimeOffset now);

    void LayerDown(PppAutomaton layer, DateTimeOffset now);

    void LayerFinished(PppAutomaton layer, DateTimeOffset now);

    /// <summary>The peer Protocol-Rejected one of ours (LCP itself excepted).</summary>
    void ProtocolRejected(DateTimeOffset now, ushort protocol);
}

/// <summary>
/// The Link Control Protocol (RFC 1661 §5-6) on the shared automaton: MRU, Magic-Number, Authentication-Protocol,
/// ACCM, PFC and ACFC; Echo-Request/Reply as keepalive, Protocol-Reject and Code-Reject.
/// <para>
/// Server: asks for <see cref="PppOptions.Mru"/>, a Magic-Number and the first authentication protocol; a Nak of the
/// protocol moves to the one the peer suggests if configured, else to the next configured; a Reject, or running out,
/// closes the link. The peer's MRU above <see cref="PppOptions.Mru"/> is Nak'ed down to it (room for IPsec). ACCM, PFC
/// and ACFC are acknowledged (meaningless over L2TP, and compressed frames are accepted anyway); Callback, Multilink,
/// Quality-Protocol and anything unknown are rejected, as is a request that we authenticate ourselves.
/// Client: acknowledges an authentication protocol it is configured for and Naks others with its first.
/// </para>
/// </summary>
internal sealed class Lcp : PppAutomaton
{
    /// <summary>The smallest MRU accepted (pppd's MINMRU); smaller ones are Nak'ed up to it.</summary>
    public const int MinimumMru = 128;

    private readonly IPppLayerEvents _events;
    private readonly bool _server;
    private ushort _mruToRequest;
    private uint _magic;
    private readonly List<PppAuthenticationProtocol> _refusedByPeer = [];
    private PppAuthenticationProtocol? _authToRequest;
    private byte _echoIdentifier;
    private int _echoUnanswered;
    private bool _echoRejected;

    public Lcp(PppContext context, IPppLayerEvents events) : base(context, (ushort)PppProtocol.Lcp, "LCP")
    {
        _events = events;
        _server = context.Options.Role == PppRole.Server;
        _mruToRequest = context.Options.Mru == LcpOptions.DefaultMru ? (ushort)0 : (ushort)context.Options.Mru;
        _magic = context.Options.UseMagicNumber ? NewMagic() : 0;
        if (_server) _authToRequest = context.Options.AuthenticationProtocols[0];
    }

    /// <summary>The MRU the peer acknowledged for us: what it may send us.</summary>
    public int LocalMru { get; private set; } = LcpOptions.DefaultMru;

    /// <summary>The peer's MRU as we acknowledged it: what we may send.</summary>
    public int PeerMru { get; private set; } = LcpOptions.DefaultMru;

    /// <summary>Our Magic-Number as acknowledged (0: none).</summary>
    public uint LocalMagic { get; private set; }

    /// <summary>Server: the protocol the peer agreed to authenticate with. Client: the one the server asked of us.</summary>
    public PppAuthenticationProtocol? Authentication { get; private set; }

    /// <summary>When the next Echo-Request is due (null: no keepalive running).</summary>
    public DateTimeOffset? EchoDeadline { get; private set; }

    protected override string OptionName(byte type) => LcpOptions.Name(type);

    protected override IReadOnlyList<PppOption> BuildConfigureRequest()
    {
        var options = new List<PppOption>();
        if (_mruToRequest != 0) options.Add(LcpOptions.Mru(_mruToRequest));
        if (_authToRequest is PppAuthenticationProtocol auth) options.Add(LcpOptions.AuthenticationProtocol(auth));
        if (_magic != 0) options.Add(LcpOptions.MagicNumber(_magic));
        return options;
    }

    protected override void EvaluateConfigureRequest(IReadOnlyList<PppOption> options, ConfigureReply reply)
    {
        int peerMru = LcpOptions.DefaultMru;
        PppAuthenticationProtocol? asked = null;
        int cap = Context.Options.Mru;
        foreach (PppOption o in options)
        {
            Ikev2.Wire.ParseError error;
            switch ((LcpOptionType)o.Type)
            {
                case LcpOptionType.MaximumReceiveUnit:
                    if (!LcpOptions.TryReadMru(o, out ushort mru, out error)) { reply.Reject(o, error.ToString()); break; }
                    if (mru > cap) reply.Nak(o, LcpOptions.Mru((ushort)cap), $"peer's MRU {mru} above {cap}");
                    else if (mru < MinimumMru) reply.Nak(o, LcpOptions.Mru(MinimumMru), $"peer's MRU {mru} below {MinimumMru}");
                    else peerMru = mru;
                    break;
                case LcpOptionType.AsyncControlCharacterMap:
                    // Over L2TP nothing is escaped, so any map is fine.
                    if (!LcpOptions.TryReadAccm(o, out _, out error)) reply.Reject(o, error.ToString());
                    break;
                case LcpOptionType.MagicNumber:
                    if (!LcpOptions.TryReadMagicNumber(o, out uint magic, out error)) { reply.Reject(o, error.ToString()); break; }
                    if (magic != 0 && magic == _magic)
                    {
                        // Our own number came back: maybe a looped link (RFC 1661 §6.4); Nak with another to find out.
                        uint other = NewMagicOtherThan(_magic);
                        reply.Nak(o, LcpOptions.MagicNumber(other), $"peer's Magic-Number 0x{magic:x8} is ours (looped link?)");
                    }
                    break;
                case LcpOptionType.ProtocolFieldCompression or LcpOptionType.AddressAndControlFieldCompression:
                    if (!LcpOptions.TryReadFlag(o, out error)) reply.Reject(o, error.ToString());
                    break;
                case LcpOptionType.AuthenticationProtocol:
                    if (!LcpOptions.TryReadAuthenticationProtocol(o, out ushort protocol, out byte? algorithm, out error)) { reply.Reject(o, error.ToString()); break; }
                    asked = EvaluateAuthenticationRequest(o, protocol, algorithm, reply);
                    break;
                default:
                    reply.Reject(o, $"{LcpOptions.Name(o.Type)} is not supported");
                    break;
            }
        }
        if (reply.Naks.Count == 0 && reply.Rejects.Count == 0)
        {
            PeerMru = peerMru;
            if (!_server) Authentication = asked;
        }
    }

    private PppAuthenticationProtocol? EvaluateAuthenticationRequest(PppOption o, ushort protocol, byte? algorithm, ConfigureReply reply)
    {
        string name = PppAuthenticationProtocols.Describe(protocol, algorithm);
        if (_server)
        {
            reply.Reject(o, $"peer asks us to authenticate with {name}; the gateway does not authenticate itself");
            return null;
        }
        IReadOnlyList<PppAuthenticationProtocol> ours = Context.Options.AuthenticationProtocols;
        if (ours.Count == 0 || Context.Options.UserName is null)
        {
            reply.Reject(o, $"server asks us to authenticate with {name}; no credentials configured");
            return null;
        }
        if (PppAuthenticationProtocols.FromOption(protocol, algorithm) is PppAuthenticationProtocol known && ours.Contains(known)) return known;
        reply.Nak(o, LcpOptions.AuthenticationProtocol(ours[0]), $"server asks for {name}; we do {ours[0].Name()}");
        return null;
    }

    protected override void ConfigureAcked(IReadOnlyList<PppOption> options)
    {
        LocalMru = _mruToRequest == 0 ? LcpOptions.DefaultMru : _mruToRequest;
        LocalMagic = _magic;
        if (_server) Authentication = _authToRequest;
    }

    protected override string? ConfigureNaked(IReadOnlyList<PppOption> options)
    {
        foreach (PppOption o in options)
        {
            switch ((LcpOptionType)o.Type)
            {
                case LcpOptionType.MaximumReceiveUnit when LcpOptions.TryReadMru(o, out ushort mru, out _):
                    // Receiving larger or smaller frames costs us nothing; take the peer's value within reason.
                    if (mru >= MinimumMru) _mruToRequest = mru == LcpOptions.DefaultMru ? (ushort)0 : mru;
                    break;
                case LcpOptionType.MagicNumber when _magic != 0:
                    _magic = NewMagicOtherThan(_magic);
                    break;
                case LcpOptionType.AuthenticationProtocol when _server && _authToRequest is PppAuthenticationProtocol current:
                {
                    LcpOptions.TryReadAuthenticationProtocol(o, out ushort protocol, out byte? algorithm, out _);
                    PppAuthenticationProtocol? suggested = PppAuthenticationProtocols.FromOption(protocol, algorithm);
                    _refusedByPeer.Add(current);
                    IReadOnlyList<PppAuthenticationProtocol> configured = Context.Options.AuthenticationProtocols;
                    PppAuthenticationProtocol? next = suggested is PppAuthenticationProtocol s && configured.Contains(s) && !_refusedByPeer.Contains(s)
                        ? s
                        : configured.Where(c => !_refusedByPeer.Contains(c)).Select(c => (PppAuthenticationProtocol?)c).FirstOrDefault();
                    string wants = PppAuthenticationProtocols.Describe(protocol, algorithm);
                    if (next is null)
                    {
                        _authToRequest = null;
                        return $"LCP: peer refuses every configured authentication protocol ({string.Join(", ", configured.Select(c => c.Name()))}); it wants {wants}";
                    }
                    PppLog.AuthenticationFallback(Context.Logger, Context.Name, current.Name(), wants, next.Value.Name());
                    _authToRequest = next;
                    break;
                }
            }
        }
        return null;
    }

    protected override string? ConfigureRejected(IReadOnlyList<PppOption> options)
    {
        foreach (PppOption o in options)
        {
            switch ((LcpOptionType)o.Type)
            {
                case LcpOptionType.MaximumReceiveUnit: _mruToRequest = 0; break;
                case LcpOptionType.MagicNumber: _magic = 0; break;
                case LcpOptionType.AuthenticationProtocol when _server:
                    return "LCP: peer will not authenticate (it rejected Authentication-Protocol)";
            }
        }
        return null;
    }

    protected override void ThisLayerUp(DateTimeOffset now)
    {
        Context.PeerMru = PeerMru;
        _echoUnanswered = 0;
        EchoDeadline = Context.Options.EchoInterval > TimeSpan.Zero && !_echoRejected ? now + Context.Options.EchoInterval : null;
        _events.LayerUp(this, now);
    }

    protected override void ThisLayerDown(DateTimeOffset now)
    {
        EchoDeadline = null;
        _events.LayerDown(this, now);
    }

    protected override void ThisLayerFinished(DateTimeOffset now)
    {
        EchoDeadline = null;
        _events.LayerFinished(this, now);
    }

    /// <summary>
    /// The keepalive: sends an Echo-Request each interval; returns false once <see cref="PppOptions.EchoFailure"/>
    /// of them went unanswered (pppd's rule: the check comes before the next request).
    /// </summary>
    public bool EchoTimeout(DateTimeOffset now)
    {
        if (EchoDeadline is not DateTimeOffset due || now < due) return true;
        if (_echoUnanswered >= Context.Options.EchoFailure)
        {
            EchoDeadline = null;
            return false;
        }
        _echoUnanswered++;
        Send(PppCode.EchoRequest, ++_echoIdentifier, LcpEchoPacket.Build(LocalMagic, []));
        EchoDeadline = now + Context.Options.EchoInterval;
        return true;
    }

    protected override bool ReceiveOtherCode(DateTimeOffset now, PppControlPacket packet)
    {
        switch ((PppCode)packet.Code)
        {
            case PppCode.ProtocolReject:
                ReceiveProtocolReject(now, packet);
                return true;
            case PppCode.EchoRequest:
                if (State != PppState.Opened) return true;
                if (!CheckEcho(packet, out LcpEchoPacket request)) return true;
                Send(PppCode.EchoReply, packet.Identifier, LcpEchoPacket.Build(LocalMagic, request.Data));
                return true;
            case PppCode.EchoReply:
                if (State == PppState.Opened && CheckEcho(packet, out _)) _echoUnanswered = 0;
                return true;
            case PppCode.DiscardRequest or PppCode.Identification or PppCode.TimeRemaining:
                // Windows sends Identification; nothing to do with any of these (RFC 1570 asks for no answer).
                PppLog.Discarded(Context.Logger, Context.Name, Layer, PppControlPacket.CodeName(packet.Code), "needs no answer");
                return true;
            default:
                return false;
        }
    }

    private bool CheckEcho(PppControlPacket packet, out LcpEchoPacket echo)
    {
        if (!LcpEchoPacket.TryParse(packet.Data, out echo, out Ikev2.Wire.ParseError error))
        {
            PppLog.BadPacket(Context.Logger, Context.Name, Layer, $"{PppControlPacket.CodeName(packet.Code)}: {error}");
            return false;
        }
        if (LocalMagic != 0 && echo.MagicNumber == LocalMagic)
        {
            PppLog.BadPacket(Context.Logger, Context.Name, Layer, $"{PppControlPacket.CodeName(packet.Code)} carries our own Magic-Number (looped link?)");
            return false;
        }
        return true;
    }

    private void ReceiveProtocolReject(DateTimeOffset now, PppControlPacket packet)
    {
        // Only meaningful while open (RFC 1661 §5.7).
        if (State != PppState.Opened) return;
        if (!LcpProtocolRejectPacket.TryParse(packet.Data, out LcpProtocolRejectPacket reject, out Ikev2.Wire.ParseError error))
        {
            PppLog.BadPacket(Context.Logger, Context.Name, Layer, $"Protocol-Reject: {error}");
            return;
        }
        if (reject.RejectedProtocol == (ushort)PppProtocol.Lcp)
        {
            ReceiveCatastrophicReject(now, "peer rejected LCP itself (Protocol-Reject)");
            return;
        }
        ReceivePermittedReject();
        _events.ProtocolRejected(now, reject.RejectedProtocol);
    }

    protected override void CodeRejected(byte code)
    {
        if (code == (byte)PppCode.EchoRequest)
        {
            // A peer without echo cannot be watched this way; stop asking rather than declare it dead.
            _echoRejected = true;
            EchoDeadline = null;
        }
    }

    /// <summary>Sends a Protocol-Reject for a frame of a protocol we do not run (only while LCP is open).</summary>
    public void SendProtocolReject(ushort protocol, ReadOnlySpan<byte> information) =>
        SendWithNewIdentifier(PppCode.ProtocolReject,
            LcpProtocolRejectPacket.Build(protocol, information, PeerMru - PppControlPacket.HeaderSize));

    // Zero means "no Magic-Number" in an echo packet, so it is never chosen.
    private uint NewMagic()
    {
        uint magic = Context.RandomUInt32();
        return magic == 0 ? 1 : magic;
    }

    private uint NewMagicOtherThan(uint previous)
    {
        uint magic = NewMagic();
        return magic != previous ? magic : magic == uint.MaxValue ? 1 : magic + 1;
    }
}
