using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ppp;

/// <summary>
/// How a Configure-Request is answered: options to Nak (with the values we want) and to Reject. No Nak and no Reject
/// means Configure-Ack. After Max-Failure Naks without an Ack, Naks become Rejects (RFC 1661 §4.6).
/// </summary>
internal sealed class ConfigureReply(bool nakAsReject)
{
    public List<PppOption> Naks { get; } = [];

    public List<PppOption> Rejects { get; } = [];

    /// <summary>What was wrong, for the debug log.</summary>
    public List<string> Notes { get; } = [];

    public void Nak(PppOption original, PppOption wanted, string why)
    {
        Notes.Add(why);
        if (nakAsReject) Rejects.Add(original);
        else Naks.Add(wanted);
    }

    /// <summary>Asks for an option the peer left out (RFC 1661 §5.3: a Nak may carry options not in the request).</summary>
    public void Suggest(PppOption wanted, string why)
    {
        if (nakAsReject) return;
        Notes.Add(why);
        Naks.Add(wanted);
    }

    public void Reject(PppOption original, string why)
    {
        Notes.Add(why);
        Rejects.Add(original);
    }
}

/// <summary>
/// RFC 1661's option negotiation automaton (§4), written once for LCP and IPCP: its ten states, the Restart timer,
/// Max-Configure, Max-Terminate and Max-Failure, and the actions of the state table. A subclass supplies the options
/// (what to request, how to judge the peer's, what to do on Nak and Reject) and the This-Layer-Up/Down/Started/Finished
/// actions; the subclass's actions must not raise events on this automaton (the session defers such reactions).
/// <para>
/// Refinements where the RFC leaves room: a Configure-Request keeps its Identifier when retransmitted unchanged and
/// takes a new one otherwise; only the first valid reply to it counts, so a duplicated Configure-Ack is not mistaken
/// for a crossed connection; and in Opened, a Configure-Request with exactly the options we last acknowledged is
/// acknowledged again without renegotiating, since it means our Ack was lost (or the packet duplicated), and RFC
/// 1661's tld,scr,sca would take the link down for it.
/// </para>
/// </summary>
internal abstract class PppAutomaton
{
    private byte _nextIdentifier = 1;
    private int _restartCount;
    private int _naksSent;
    private byte _requestId;
    private byte[]? _requestOptions;
    private bool _requestAnswered;
    private byte _terminateId;
    private bool _terminateSent;
    private bool _heardFromPeer;
    private byte[]? _lastAcked;
    private byte[]? _lastNaked;
    private string _reason = "";

    protected PppAutomaton(PppContext context, ushort protocol, string layer)
    {
        Context = context;
        Protocol = protocol;
        Layer = layer;
    }

    protected PppContext Context { get; }

    /// <summary>The protocol this automaton negotiates (LCP, IPCP).</summary>
    public ushort Protocol { get; }

    /// <summary>The layer's name in log lines.</summary>
    public string Layer { get; }

    /// <summary>The state.</summary>
    public PppState State { get; private set; } = PppState.Initial;

    /// <summary>When the Restart timer expires; null while it is not running.</summary>
    public DateTimeOffset? RestartDeadline { get; private set; }

    /// <summary>Why the layer last went down or finished.</summary>
    public string Reason => _reason;

    // ---- the subclass's part ----------------------------------------------------------------------------------

    /// <summary>The options of our next Configure-Request.</summary>
    protected abstract IReadOnlyList<PppOption> BuildConfigureRequest();

    /// <summary>Judges the peer's options; whatever is not Nak'ed or Rejected is acknowledged.</summary>
    protected abstract void EvaluateConfigureRequest(IReadOnlyList<PppOption> options, ConfigureReply reply);

    /// <summary>The peer acknowledged our options.</summary>
    protected virtual void ConfigureAcked(IReadOnlyList<PppOption> options) { }

    /// <summary>The peer Nak'ed options; adjust the next request. Returns a reason to give up, or null.</summary>
    protected abstract string? ConfigureNaked(IReadOnlyList<PppOption> options);

    /// <summary>The peer rejected options; leave them out of the next request. Returns a reason to give up, or null.</summary>
    protected abstract string? ConfigureRejected(IReadOnlyList<PppOption> options);

    /// <summary>This-Layer-Up (tlu).</summary>
    protected abstract void ThisLayerUp(DateTimeOffset now);

    /// <summary>This-Layer-Down (tld).</summary>
    protected abstract void ThisLayerDown(DateTimeOffset now);

    /// <summary>This-Layer-Started (tls).</summary>
    protected virtual void ThisLayerStarted(DateTimeOffset now) { }

    /// <summary>This-Layer-Finished (tlf).</summary>
    protected abstract void ThisLayerFinished(DateTimeOffset now);

    /// <summary>A code beyond 1-7 (LCP's echo family); false if unknown, which sends a Code-Reject.</summary>
    protected virtual bool ReceiveOtherCode(DateTimeOffset now, PppControlPacket packet) => false;

    /// <summary>The option's name for log lines.</summary>
    protected abstract string OptionName(byte type);

    // ---- events ------------------------------------------------------------------------------------------------

    /// <summary>Up: the lower layer can carry packets.</summary>
    public void Up(DateTimeOffset now)
    {
        switch (State)
        {
            case PppState.Initial: SetState(PppState.Closed); break;
            case PppState.Starting:
                InitializeRestartCount(configure: true);
                SetState(PppState.RequestSent);
                SendConfigureRequest(now, retransmit: false);
                break;
            default: Illegal("Up"); break;
        }
    }

    /// <summary>Down: the lower layer cannot carry packets any more.</summary>
    public void Down(DateTimeOffset now, string reason)
    {
        switch (State)
        {
            case PppState.Closed: SetState(PppState.Initial); break;
            case PppState.Stopped: SetState(PppState.Starting); ThisLayerStarted(now); break;
            case PppState.Closing: SetState(PppState.Initial); break;
            case PppState.Stopping or PppState.RequestSent or PppState.AckReceived or PppState.AckSent: SetState(PppState.Starting); break;
            case PppState.Opened:
                _reason = reason;
                SetState(PppState.Starting);
                ThisLayerDown(now);
                break;
            default: Illegal("Down"); break;
        }
    }

    /// <summary>Open: administratively allowed to negotiate.</summary>
    public void Open(DateTimeOffset now)
    {
        switch (State)
        {
            case PppState.Initial: SetState(PppState.Starting); ThisLayerStarted(now); break;
            case PppState.Closed:
                InitializeRestartCount(configure: true);
                SetState(PppState.RequestSent);
                SendConfigureRequest(now, retransmit: false);
                break;
            case PppState.Closing: SetState(PppState.Stopping); break;
        }
    }

    /// <summary>Close: administratively take the layer down (Terminate-Request when it is negotiating or up).</summary>
    public void Close(DateTimeOffset now, string reason)
    {
        switch (State)
        {
            case PppState.Starting:
                _reason = reason;
                SetState(PppState.Initial);
                ThisLayerFinished(now);
                break;
            case PppState.Stopped: SetState(PppState.Closed); break;
            case PppState.Stopping: SetState(PppState.Closing); break;
            case PppState.RequestSent or PppState.AckReceived or PppState.AckSent:
                _reason = reason;
                InitializeRestartCount(configure: false);
                SetState(PppState.Closing);
                SendTerminateRequest(now, retransmit: false);
                break;
            case PppState.Opened:
                _reason = reason;
                SetState(PppState.Closing);
                ThisLayerDown(now);
                InitializeRestartCount(configure: false);
                SendTerminateRequest(now, retransmit: false);
                break;
        }
    }

    /// <summary>The Restart timer, if it is due.</summary>
    public void Timeout(DateTimeOffset now)
    {
        if (RestartDeadline is not DateTimeOffset due || now < due) return;
        RestartDeadline = null;
        if (_restartCount > 0)
        {
            switch (State)
            {
                case PppState.Closing or PppState.Stopping: SendTerminateRequest(now, retransmit: true); break;
                case PppState.RequestSent or PppState.AckSent: SendConfigureRequest(now, retransmit: true); break;
                case PppState.AckReceived:
                    SetState(PppState.RequestSent);
                    SendConfigureRequest(now, retransmit: true);
                    break;
            }
            return;
        }
        switch (State)
        {
            case PppState.Closing:
                SetState(PppState.Closed);
                ThisLayerFinished(now);
                break;
            case PppState.Stopping:
                SetState(PppState.Stopped);
                ThisLayerFinished(now);
                break;
            case PppState.RequestSent or PppState.AckReceived or PppState.AckSent:
                _reason = _heardFromPeer
                    ? $"{Layer}: no agreement after {Context.Options.MaxConfigure} Configure-Requests"
                    : $"{Layer}: peer did not answer {Context.Options.MaxConfigure} Configure-Requests";
                PppLog.NegotiationProblem(Context.Logger, Context.Name, _reason);
                SetState(PppState.Stopped);
                ThisLayerFinished(now);
                break;
        }
    }

    /// <summary>
    /// A Protocol-Reject of this protocol arrived through LCP: RXJ-, the peer will never speak it (RFC 1661 §5.7).
    /// </summary>
    public void ProtocolRejected(DateTimeOffset now) => ReceiveCatastrophicReject(now, $"peer rejected {Layer} (Protocol-Reject)");

    /// <summary>A packet of this protocol.</summary>
    public void Receive(DateTimeOffset now, ReadOnlySpan<byte> information)
    {
        if (!PppControlPacket.TryParse(information, out PppControlPacket packet, out ParseError error))
        {
            PppLog.BadPacket(Context.Logger, Context.Name, Layer, error.ToString());
            return;
        }
        if (State is PppState.Initial or PppState.Starting)
        {
            PppLog.Discarded(Context.Logger, Context.Name, Layer, PppControlPacket.CodeName(packet.Code), $"{Layer} is not up");
            return;
        }
        _heardFromPeer = true;
        switch ((PppCode)packet.Code)
        {
            case PppCode.ConfigureRequest: ReceiveConfigureRequest(now, packet); break;
            case PppCode.ConfigureAck: ReceiveConfigureAck(now, packet); break;
            case PppCode.ConfigureNak or PppCode.ConfigureReject: ReceiveConfigureNakOrReject(now, packet); break;
            case PppCode.TerminateRequest: ReceiveTerminateRequest(now, packet); break;
            case PppCode.TerminateAck: ReceiveTerminateAck(now); break;
            case PppCode.CodeReject: ReceiveCodeReject(now, packet); break;
            default:
                if (!ReceiveOtherCode(now, packet)) SendCodeReject(information);
                break;
        }
    }

    // ---- receiving -----------------------------------------------------------------------------------------------

    private void ReceiveConfigureRequest(DateTimeOffset now, PppControlPacket packet)
    {
        switch (State)
        {
            case PppState.Closed: SendTerminateAck(packet.Identifier); return;
            case PppState.Closing or PppState.Stopping: return;
        }
        if (!PppOption.TryParseList(packet.Data, out List<PppOption> options, out ParseError error))
        {
            PppLog.BadPacket(Context.Logger, Context.Name, Layer, $"Configure-Request: {error}");
            return;
        }
        PppState before = State;
        if (before == PppState.Opened && _lastAcked is not null && packet.Data.SequenceEqual(_lastAcked))
        {
            // The same options we acknowledged: the peer did not get our Ack (a peer may give its retransmission a
            // new Identifier, so only the options tell). Renegotiating would take the link down for one lost packet.
            PppLog.Discarded(Context.Logger, Context.Name, Layer, "Configure-Request", "repeats the one we acknowledged (our Ack was lost?); acknowledging again");
            Send(PppCode.ConfigureAck, packet.Identifier, packet.Data);
            return;
        }
        if (before == PppState.Opened)
        {
            _reason = $"peer renegotiates {Layer}";
            SetState(PppState.RequestSent);
            ThisLayerDown(now);
        }
        var reply = new ConfigureReply(_naksSent >= Context.Options.MaxFailure);
        EvaluateConfigureRequest(options, reply);
        bool good = reply.Naks.Count == 0 && reply.Rejects.Count == 0;
        if (before is PppState.Stopped or PppState.Opened)
        {
            InitializeRestartCount(configure: true);
            SendConfigureRequest(now, retransmit: false);
        }
        if (good)
        {
            _naksSent = 0;
            _lastNaked = null;
            _lastAcked = packet.Data.ToArray();
            Send(PppCode.ConfigureAck, packet.Identifier, packet.Data);
        }
        else
        {
            bool reject = reply.Rejects.Count > 0;
            // A retransmission of the request we just Nak'ed (our Nak was lost) is not a new failure to converge.
            byte[] request = [packet.Identifier, .. packet.Data];
            if (!reject && !(_lastNaked is not null && request.AsSpan().SequenceEqual(_lastNaked))) _naksSent++;
            _lastNaked = reject ? null : request;
            PppLog.Negotiation(Context.Logger, Context.Name, Layer, reject ? "Configure-Reject" : "Configure-Nak", string.Join("; ", reply.Notes));
            Send(reject ? PppCode.ConfigureReject : PppCode.ConfigureNak, packet.Identifier, PppOption.WriteList(reject ? reply.Rejects : reply.Naks));
        }
        switch (before)
        {
            case PppState.Stopped or PppState.RequestSent or PppState.AckSent or PppState.Opened:
                SetState(good ? PppState.AckSent : PppState.RequestSent);
                break;
            case PppState.AckReceived when good:
                SetState(PppState.Opened);
                ThisLayerUp(now);
                break;
        }
    }

    private void ReceiveConfigureAck(DateTimeOffset now, PppControlPacket packet)
    {
        switch (State)
        {
            case PppState.Closed or PppState.Stopped: SendTerminateAck(packet.Identifier); return;
            case PppState.Closing or PppState.Stopping: return;
        }
        if (!IsReplyToRequest(packet, "Configure-Ack")) return;
        if (!packet.Data.SequenceEqual(_requestOptions))
        {
            PppLog.BadPacket(Context.Logger, Context.Name, Layer, "Configure-Ack whose options differ from our Configure-Request");
            return;
        }
        _requestAnswered = true;
        PppOption.TryParseList(_requestOptions, out List<PppOption> acked, out _);
        ConfigureAcked(acked);
        switch (State)
        {
            case PppState.RequestSent:
                InitializeRestartCount(configure: true);
                SetState(PppState.AckReceived);
                break;
            case PppState.AckReceived:
                // A second valid Ack cannot happen (only the first reply counts), so this is RFC 1661's crossed connection.
                SetState(PppState.RequestSent);
                SendConfigureRequest(now, retransmit: false);
                break;
            case PppState.AckSent:
                InitializeRestartCount(configure: true);
                SetState(PppState.Opened);
                ThisLayerUp(now);
                break;
            case PppState.Opened:
                _reason = $"{Layer} renegotiation (Configure-Ack while open)";
                SetState(PppState.RequestSent);
                ThisLayerDown(now);
                SendConfigureRequest(now, retransmit: false);
                break;
        }
    }

    private void ReceiveConfigureNakOrReject(DateTimeOffset now, PppControlPacket packet)
    {
        bool isReject = packet.Code == (byte)PppCode.ConfigureReject;
        string what = isReject ? "Configure-Reject" : "Configure-Nak";
        switch (State)
        {
            case PppState.Closed or PppState.Stopped: SendTerminateAck(packet.Identifier); return;
            case PppState.Closing or PppState.Stopping: return;
        }
        if (!IsReplyToRequest(packet, what)) return;
        if (!PppOption.TryParseList(packet.Data, out List<PppOption> options, out ParseError error))
        {
            PppLog.BadPacket(Context.Logger, Context.Name, Layer, $"{what}: {error}");
            return;
        }
        if (isReject)
        {
            PppOption.TryParseList(_requestOptions, out List<PppOption> sent, out _);
            foreach (PppOption o in options)
            {
                if (!sent.Any(s => s.SameAs(o)))
                {
                    PppLog.BadPacket(Context.Logger, Context.Name, Layer, $"Configure-Reject of {OptionName(o.Type)}, which our Configure-Request did not hold as rejected");
                    return;
                }
            }
        }
        _requestAnswered = true;
        string? giveUp = isReject ? ConfigureRejected(options) : ConfigureNaked(options);
        if (giveUp is not null)
        {
            PppLog.NegotiationProblem(Context.Logger, Context.Name, giveUp);
            Close(now, giveUp);
            return;
        }
        switch (State)
        {
            case PppState.RequestSent or PppState.AckSent:
                InitializeRestartCount(configure: true);
                SendConfigureRequest(now, retransmit: false);
                break;
            case PppState.AckReceived:
                SetState(PppState.RequestSent);
                SendConfigureRequest(now, retransmit: false);
                break;
            case PppState.Opened:
                _reason = $"{Layer} renegotiation ({what} while open)";
                SetState(PppState.RequestSent);
                ThisLayerDown(now);
                SendConfigureRequest(now, retransmit: false);
                break;
        }
    }

    private void ReceiveTerminateRequest(DateTimeOffset now, PppControlPacket packet)
    {
        switch (State)
        {
            case PppState.Closed or PppState.Stopped or PppState.Closing or PppState.Stopping:
                SendTerminateAck(packet.Identifier);
                break;
            case PppState.RequestSent or PppState.AckReceived or PppState.AckSent:
                SendTerminateAck(packet.Identifier);
                SetState(PppState.RequestSent);
                break;
            case PppState.Opened:
                _reason = $"peer sent {Layer} Terminate-Request";
                SetState(PppState.Stopping);
                ThisLayerDown(now);
                // zrc: wait one Restart period for the Ack to arrive before finishing (RFC 1661 §4.6).
                _restartCount = 0;
                RestartDeadline = now + Context.Options.RestartInterval;
                SendTerminateAck(packet.Identifier);
                break;
        }
    }

    private void ReceiveTerminateAck(DateTimeOffset now)
    {
        switch (State)
        {
            case PppState.Closing:
                SetState(PppState.Closed);
                ThisLayerFinished(now);
                break;
            case PppState.Stopping:
                SetState(PppState.Stopped);
                ThisLayerFinished(now);
                break;
            case PppState.AckReceived: SetState(PppState.RequestSent); break;
            case PppState.Opened:
                _reason = $"{Layer} renegotiation (Terminate-Ack while open)";
                SetState(PppState.RequestSent);
                ThisLayerDown(now);
                SendConfigureRequest(now, retransmit: false);
                break;
        }
    }

    private void ReceiveCodeReject(DateTimeOffset now, PppControlPacket packet)
    {
        if (packet.Data.Length < PppControlPacket.HeaderSize)
        {
            PppLog.BadPacket(Context.Logger, Context.Name, Layer, $"Code-Reject of {packet.Data.Length} bytes, too short to hold the rejected packet's header");
            return;
        }
        byte rejected = packet.Data[0];
        // Codes 1 to 7 are the automaton itself: without them the layer cannot work (RFC 1661 §5.6).
        if (rejected is >= 1 and <= 7) ReceiveCatastrophicReject(now, $"peer rejected {Layer} {PppControlPacket.CodeName(rejected)} (Code-Reject)");
        else
        {
            PppLog.Negotiation(Context.Logger, Context.Name, Layer, "Code-Reject", $"peer does not know {PppControlPacket.CodeName(rejected)}");
            CodeRejected(rejected);
            if (State == PppState.AckReceived) SetState(PppState.RequestSent);
        }
    }

    /// <summary>The peer Code-Rejected one of our optional codes (an echo packet, say).</summary>
    protected virtual void CodeRejected(byte code) { }

    /// <summary>RXJ+ (a permitted Protocol-Reject, say): only Ack-Rcvd moves (RFC 1661 §4.1).</summary>
    protected void ReceivePermittedReject()
    {
        if (State == PppState.AckReceived) SetState(PppState.RequestSent);
    }

    /// <summary>RXJ-: the peer cannot speak what this layer needs.</summary>
    protected void ReceiveCatastrophicReject(DateTimeOffset now, string reason)
    {
        switch (State)
        {
            case PppState.Closed or PppState.Closing:
                _reason = reason;
                SetState(PppState.Closed);
                ThisLayerFinished(now);
                break;
            case PppState.Stopped or PppState.Stopping or PppState.RequestSent or PppState.AckReceived or PppState.AckSent:
                _reason = reason;
                SetState(PppState.Stopped);
                ThisLayerFinished(now);
                break;
            case PppState.Opened:
                _reason = reason;
                SetState(PppState.Stopping);
                ThisLayerDown(now);
                InitializeRestartCount(configure: false);
                SendTerminateRequest(now, retransmit: false);
                break;
        }
    }

    private bool IsReplyToRequest(PppControlPacket packet, string what)
    {
        if (_requestOptions is null || packet.Identifier != _requestId)
        {
            PppLog.Discarded(Context.Logger, Context.Name, Layer, what, $"Identifier {packet.Identifier} is not our Configure-Request's ({_requestId})");
            return false;
        }
        if (_requestAnswered)
        {
            PppLog.Discarded(Context.Logger, Context.Name, Layer, what, $"Configure-Request {_requestId} was answered already (duplicate)");
            return false;
        }
        return true;
    }

    // ---- actions -------------------------------------------------------------------------------------------------

    private void InitializeRestartCount(bool configure) =>
        _restartCount = configure ? Context.Options.MaxConfigure : Context.Options.MaxTerminate;

    private void SendConfigureRequest(DateTimeOffset now, bool retransmit)
    {
        if (!retransmit || _requestOptions is null || _requestAnswered)
        {
            _requestId = _nextIdentifier++;
            _requestOptions = PppOption.WriteList(BuildConfigureRequest());
            _requestAnswered = false;
        }
        Send(PppCode.ConfigureRequest, _requestId, _requestOptions);
        _restartCount--;
        RestartDeadline = now + Context.Options.RestartInterval;
    }

    private void SendTerminateRequest(DateTimeOffset now, bool retransmit)
    {
        if (!retransmit || !_terminateSent) _terminateId = _nextIdentifier++;
        _terminateSent = true;
        Send(PppCode.TerminateRequest, _terminateId, []);
        _restartCount--;
        RestartDeadline = now + Context.Options.RestartInterval;
    }

    private void SendTerminateAck(byte identifier) => Send(PppCode.TerminateAck, identifier, []);

    private void SendCodeReject(ReadOnlySpan<byte> rejectedPacket)
    {
        int max = Math.Max(PppControlPacket.HeaderSize, Context.PeerMru - PppControlPacket.HeaderSize);
        ReadOnlySpan<byte> rejected = rejectedPacket.Length > max ? rejectedPacket[..max] : rejectedPacket;
        PppLog.Negotiation(Context.Logger, Context.Name, Layer, "Code-Reject", $"unknown code {rejectedPacket[0]}");
        Send(PppCode.CodeReject, _nextIdentifier++, rejected);
    }

    /// <summary>Sends a packet of this protocol with a fresh Identifier.</summary>
    protected void SendWithNewIdentifier(PppCode code, ReadOnlySpan<byte> data) => Send(code, _nextIdentifier++, data);

    /// <summary>Sends a packet of this protocol.</summary>
    protected void Send(PppCode code, byte identifier, ReadOnlySpan<byte> data) =>
        Context.Send(Protocol, PppControlPacket.Build(code, identifier, data));

    private void SetState(PppState state)
    {
        if (state != State) PppLog.StateChange(Context.Logger, Context.Name, Layer, State, state);
        State = state;
        if (state is not (PppState.Closing or PppState.Stopping or PppState.RequestSent or PppState.AckReceived or PppState.AckSent))
            RestartDeadline = null;
    }

    private void Illegal(string evt) => PppLog.Discarded(Context.Logger, Context.Name, Layer, evt, $"not expected in state {State}");
}
