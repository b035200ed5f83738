using System.Net;
using Microsoft.Extensions.Logging;
using Portcullis.Core.Config;
using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Kdf;
using Portcullis.Core.Ikev1.Wire;
using Portcullis.Core.Ikev2;
using ParseError = Portcullis.Core.Ikev2.Wire.ParseError;

namespace Portcullis.Core.Ikev1;

/// <summary>State of an ISAKMP SA.</summary>
public enum IsakmpSaState
{
    /// <summary>SA, KE and nonce exchange (Main Mode messages 1–4, Aggressive Mode 1–2).</summary>
    Connecting,
    /// <summary>Identities and hashes (Main Mode 5–6, Aggressive Mode 3).</summary>
    Authenticating,
    /// <summary>Phase 1 done: Quick Modes and Informational exchanges may run.</summary>
    Established,
    /// <summary>Gone.</summary>
    Deleted,
}

/// <summary>The phase 1 exchange of an ISAKMP SA.</summary>
public enum Phase1Mode
{
    /// <summary>Main Mode (Identity Protection exchange): six messages, identities encrypted.</summary>
    Main,
    /// <summary>Aggressive Mode: three messages, identities in the clear.</summary>
    Aggressive,
}

/// <summary>
/// One IKEv1 ISAKMP SA (RFC 2409): its phase 1 exchange (PSK or RSA signatures), keys and IV chain, its Quick Mode
/// exchanges and SAs, DPD and NAT-T state. IKEv1 has no request/response pairs: each side retransmits its last message of an exchange until
/// the next one arrives, and answers a repeated message with its last reply. Phase by phase in partial files
/// (<c>IsakmpSa.Phase1.cs</c>, <c>IsakmpSa.QuickMode.cs</c>, <c>IsakmpSa.Informational.cs</c>,
/// <c>IsakmpSa.Lifetime.cs</c>). Driven only by <see cref="Ikev1Engine"/>; never touches I/O.
/// </summary>
public sealed partial class IsakmpSa : IIkeSa, IDisposable
{
    private readonly Ikev1Engine _v1;
    private readonly List<ChildSa> _children = [];
    private readonly Queue<(ChildConfig Config, ChildSa? Replaces)> _pending = new();
    private DateTimeOffset? _halfOpenDeadline;
    private DateTimeOffset? _nextKeepalive;

    /// <summary>Retransmission state of one exchange (phase 1, or one Quick Mode).</summary>
    private class Exchange
    {
        public byte[]? LastSent;
        public IPEndPoint? SentFrom, SentTo;
        public byte[]? LastReceived;
        public bool AwaitingReply;
        public DateTimeOffset NextRetransmit;
        public int Tries;
        public required string Name;
    }

    private readonly Exchange _phase1 = new() { Name = "phase 1" };

    internal IsakmpSa(Ikev1Engine engine, uint uid, ConnectionConfig connection, bool initiator, ulong cookieI, ulong cookieR,
        IPEndPoint local, IPEndPoint remote, DateTimeOffset now, Phase1Mode mode)
    {
        _v1 = engine;
        Uid = uid;
        Connection = connection;
        IsInitiator = initiator;
        InitiatorCookie = cookieI;
        ResponderCookie = cookieR;
        LocalEndpoint = local;
        RemoteEndpoint = remote;
        CreatedAt = now;
        Mode = mode;
        _halfOpenDeadline = initiator ? null : now + engine.Options.HalfOpenTimeout;
        _exchangeName = mode == Phase1Mode.Main ? "Main Mode" : "Aggressive Mode";
    }

    /// <summary>Unique ID within this daemon, as in every log line.</summary>
    public uint Uid { get; }

    /// <inheritdoc />
    public int IkeVersion => 1;

    /// <summary>The connection it belongs to.</summary>
    public ConnectionConfig Connection { get; }

    /// <summary>The connection's name.</summary>
    public string Name => Connection.Name;

    /// <summary>Main or Aggressive Mode.</summary>
    public Phase1Mode Mode { get; }

    /// <summary>This side sent the first message of phase 1.</summary>
    public bool IsInitiator { get; }

    /// <summary>The initiator's cookie (CKY-I).</summary>
    public ulong InitiatorCookie { get; }

    /// <summary>The responder's cookie (CKY-R; 0 until the initiator hears from the responder).</summary>
    public ulong ResponderCookie { get; private set; }

    /// <summary>This side's cookie, by which the engine finds the SA.</summary>
    public ulong LocalCookie => IsInitiator ? InitiatorCookie : ResponderCookie;

    /// <summary>State.</summary>
    public IsakmpSaState State { get; private set; }

    /// <inheritdoc />
    public IPEndPoint LocalEndpoint { get; private set; }

    /// <inheritdoc />
    public IPEndPoint RemoteEndpoint { get; private set; }

    /// <summary>This side is behind a NAT (NAT-D, RFC 3947 §3.2).</summary>
    public bool LocalBehindNat { get; private set; }

    /// <summary>The peer is behind a NAT (or fakes it, as strongSwan's userspace ESP does).</summary>
    public bool RemoteBehindNat { get; private set; }

    /// <summary>Both sides sent the RFC 3947 Vendor ID.</summary>
    public bool NatTraversal { get; private set; }

    /// <summary>The peer announced RFC 3706 DPD.</summary>
    public bool PeerSupportsDpd { get; private set; }

    /// <inheritdoc />
    public bool UdpEncapsulation => LocalBehindNat || RemoteBehindNat || Connection.Encap || _peerChoseUdpEncapsulation;

    private bool _peerChoseUdpEncapsulation;

    /// <summary>The negotiated ISAKMP SA transform, in strongSwan's notation.</summary>
    public NegotiatedProposal? Proposal => _choice?.ToNegotiated();

    /// <summary>The ISAKMP SA's lifetime as negotiated (the shorter of ours and the peer's).</summary>
    public TimeSpan Lifetime { get; private set; }

    /// <summary>This side's identity.</summary>
    public Identity? LocalId { get; private set; }

    /// <summary>The peer's authenticated identity.</summary>
    public Identity? RemoteId { get; private set; }

    /// <summary>When the SA was created.</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>When phase 1 completed.</summary>
    public DateTimeOffset? EstablishedAt { get; private set; }

    /// <summary>The Quick Mode SAs.</summary>
    public IReadOnlyList<ChildSa> Children => _children;

    /// <summary>The ISAKMP SA that replaced this one (a phase 1 rekey); its Quick Mode SAs moved there.</summary>
    public IsakmpSa? ReplacedBy { get; private set; }

    private ILogger Log => _v1.Logger;

    /// <summary>
    /// The Authentication Method attribute of phase 1 for a connection, as seen by the initiator (<paramref name="initiator"/>)
    /// or the responder of phase 1: a PSK or RSA signatures, and with XAUTH after it, whose XAUTH that is
    /// (draft-beaulieu-ike-xauth §7.2: XAUTHInit… when the phase 1 initiator is the XAUTH client).
    /// </summary>
    internal static AuthenticationMethod MethodFor(ConnectionConfig c, bool initiator)
    {
        bool psk = c.Remote.Class == AuthClass.Psk;
        bool? initiatorIsXauthClient = c.LocalXauth is not null ? initiator : c.RemoteXauth is not null ? !initiator : null;
        return initiatorIsXauthClient switch
        {
            null => psk ? AuthenticationMethod.PreSharedKey : AuthenticationMethod.RsaSignatures,
            true => psk ? AuthenticationMethod.XauthInitPreShared : AuthenticationMethod.XauthInitRsa,
            false => psk ? AuthenticationMethod.XauthRespPreShared : AuthenticationMethod.XauthRespRsa,
        };
    }

    /// <summary>The child is being negotiated or is up on this SA.</summary>
    internal bool Involves(string child) => _children.Any(c => c.Name == child) || _pending.Any(p => p.Config.Name == child)
        || _quickModes.Values.Any(q => !q.Done && q.Config?.Name == child);

    /// <summary>The earliest time this SA needs <see cref="HandleTimeout"/>.</summary>
    internal DateTimeOffset? NextTimeout
    {
        get
        {
            DateTimeOffset? t = null;
            void Min(DateTimeOffset? x) { if (x is { } v && (t is null || v < t)) t = v; }
            if (_phase1.AwaitingReply) Min(_phase1.NextRetransmit);
            foreach (QuickMode q in _quickModes.Values) Min(q.AwaitingReply ? q.NextRetransmit : q.LingerUntil);
            foreach (Transaction x in _transactions.Values) Min(x.AwaitingReply ? x.NextRetransmit : x.LingerUntil);
            Min(_transactionDeadline);
            Min(_halfOpenDeadline);
            Min(_quickModesAt);
            Min(_nextKeepalive);
            Min(LifetimeTimeout);
            return t;
        }
    }

    internal void HandleTimeout(DateTimeOffset now)
    {
        if (State == IsakmpSaState.Deleted) return;
        if (_halfOpenDeadline is { } deadline && now >= deadline && State is IsakmpSaState.Connecting or IsakmpSaState.Authenticating)
        {
            Remove(now, "half-open IKE_SA timed out");
            return;
        }
        if (_phase1.AwaitingReply && now >= _phase1.NextRetransmit && !Retransmit(now, _phase1, 0))
        {
            PeerDead(now, $"giving up after {_phase1.Tries} retransmits of {_exchangeName}: peer not responding");
            return;
        }
        foreach (QuickMode q in _quickModes.Values.ToArray())
        {
            if (q.AwaitingReply && now >= q.NextRetransmit && !Retransmit(now, q, q.MessageId))
            {
                _quickModes.Remove(q.MessageId);
                q.Dispose();
                if (q.Initiator) QuickModeFailed(now, q, $"no answer to Quick Mode after {q.Tries} retransmits");
                else IkeLog.SaWarning(Log, Name, Uid, $"Quick Mode {q.MessageId:x8}: no message 3 after {q.Tries} retransmits of message 2; its SA stays until DPD or the peer says otherwise");
            }
            else if (!q.AwaitingReply && now >= q.LingerUntil)
            {
                _quickModes.Remove(q.MessageId);
                q.Dispose();
            }
        }
        HandleTransactionTimeouts(now);
        if (State == IsakmpSaState.Deleted) return;
        if (_quickModesAt is { } start && now >= start) StartPendingQuickModes(now);
        if (_nextKeepalive is { } ka && now >= ka)
        {
            _v1.Main.Transmit(new IkeTransmit(LocalEndpoint, RemoteEndpoint, [0xFF], false));
            _nextKeepalive = now + _v1.Options.KeepaliveInterval;
        }
        HandleLifetimes(now);
    }

    /// <summary>Resends the exchange's last message; false when the retransmissions are used up.</summary>
    private bool Retransmit(DateTimeOffset now, Exchange x, uint messageId)
    {
        if (x.Tries >= _v1.Options.RetransmitTries) return false;
        x.Tries++;
        IkeLog.Retransmit(Log, Name, Uid, x.Name, messageId, x.Tries);
        Transmit(x.LastSent!, x.SentFrom!, x.SentTo!);
        x.NextRetransmit = now + _v1.Options.RetransmitDelay(x.Tries);
        return true;
    }

    /// <summary>Sends the next message of an exchange; with <paramref name="awaitReply"/> it is resent until the answer comes.</summary>
    private void Send(DateTimeOffset now, Exchange x, byte[] datagram, bool awaitReply)
    {
        x.LastSent = datagram;
        x.SentFrom = LocalEndpoint;
        x.SentTo = RemoteEndpoint;
        x.AwaitingReply = awaitReply;
        x.Tries = 0;
        x.NextRetransmit = now + _v1.Options.RetransmitDelay(0);
        Transmit(datagram, LocalEndpoint, RemoteEndpoint);
    }

    private void Transmit(byte[] datagram, IPEndPoint local, IPEndPoint remote) =>
        _v1.Main.Transmit(new IkeTransmit(local, remote, datagram, local.Port == _v1.Options.NatTraversalPort));

    private IsakmpHeader Header(IsakmpExchangeType exchange, uint messageId) =>
        new(InitiatorCookie, ResponderCookie, IsakmpPayloadType.None, IsakmpHeader.Version10, exchange, IsakmpFlags.None, messageId, 0);

    private static string ExchangeName(IsakmpExchangeType t) => t switch
    {
        IsakmpExchangeType.IdentityProtection => "ID_PROT",
        IsakmpExchangeType.Aggressive => "AGGRESSIVE",
        IsakmpExchangeType.QuickMode => "QUICK_MODE",
        IsakmpExchangeType.Informational => "INFORMATIONAL_V1",
        IsakmpExchangeType.Transaction => "TRANSACTION",
        _ => t.ToString(),
    };

    /// <summary>
    /// One debug line per message. A message is a request when the initiator of its exchange sent it (the Quick Mode
    /// initiator may be the phase 1 responder); Informational messages are all requests, as strongSwan logs them.
    /// </summary>
    private void LogMessage(string direction, IsakmpExchangeType exchange, uint messageId, IEnumerable<IsakmpPayload> payloads, IPEndPoint local, IPEndPoint remote,
        bool? exchangeInitiator = null)
    {
        if (!Log.IsEnabled(LogLevel.Debug)) return;
        bool initiator = exchangeInitiator ?? IsInitiator;
        string kind = exchange == IsakmpExchangeType.Informational || initiator == (direction == "sending") ? "request" : "response";
        IkeLog.Message(Log, Name, Uid, direction, ExchangeName(exchange), kind, messageId, IsakmpMessage.Describe(payloads), local, remote);
    }

    private void Dropped(IsakmpHeader header, IPEndPoint remote, string reason) =>
        IkeLog.DroppedForSa(Log, Name, Uid, ExchangeName(header.ExchangeType), header.MessageId, remote, reason);

    // --- Messages from the peer ---

    /// <summary>A message for this SA (its cookies matched).</summary>
    internal void HandleMessage(DateTimeOffset now, IsakmpHeader header, ReadOnlySpan<byte> datagram, IPEndPoint local, IPEndPoint remote)
    {
        if (State == IsakmpSaState.Deleted) return;
        if (header.MajorVersion != 1) { Dropped(header, remote, $"ISAKMP version {header.Version >> 4}.{header.Version & 15}"); return; }
        switch (header.ExchangeType)
        {
            case IsakmpExchangeType.IdentityProtection or IsakmpExchangeType.Aggressive:
                if ((header.ExchangeType == IsakmpExchangeType.Aggressive) != (Mode == Phase1Mode.Aggressive)) { Dropped(header, remote, $"{header.ExchangeType} on a {_exchangeName} IKE_SA"); return; }
                if (header.MessageId != 0) { Dropped(header, remote, "phase 1 message with a non-zero message ID"); return; }
                if (IsRepeat(_phase1, datagram, local, remote)) return;
                if (State == IsakmpSaState.Established) { Dropped(header, remote, "phase 1 message after phase 1 completed"); return; }
                HandlePhase1(now, header, datagram, local, remote);
                break;
            case IsakmpExchangeType.QuickMode:
                if (State != IsakmpSaState.Established) { Dropped(header, remote, "Quick Mode before phase 1 completed"); return; }
                // No CHILD SA for a peer that has not proved its user (the point of XAUTH).
                if (Connection.RemoteXauth is not null && XauthUser is null) { Dropped(header, remote, "Quick Mode before XAUTH completed"); return; }
                HandleQuickMode(now, header, datagram, local, remote);
                break;
            case IsakmpExchangeType.Informational:
                HandleInformational(now, header, datagram, local, remote);
                break;
            case IsakmpExchangeType.Transaction:
                if (State != IsakmpSaState.Established) { Dropped(header, remote, "Transaction (XAUTH, Mode Config) before phase 1 completed"); return; }
                HandleTransaction(now, header, datagram, local, remote);
                break;
            default:
                Dropped(header, remote, $"exchange type {(byte)header.ExchangeType} not supported");
                break;
        }
    }

    /// <summary>
    /// The peer's message ended the exchange without an answer from us: nothing to retransmit, and a repeat of it
    /// must not make us resend our earlier message (the peer would answer that with its repeat again, for ever).
    /// </summary>
    private static void EndOfExchange(Exchange x)
    {
        x.AwaitingReply = false;
        x.LastSent = null;
    }

    /// <summary>
    /// The peer repeated its last message of the exchange (ours was lost): send our answer again, once per repeat,
    /// to where it came from.
    /// </summary>
    private bool IsRepeat(Exchange x, ReadOnlySpan<byte> datagram, IPEndPoint local, IPEndPoint remote)
    {
        if (x.LastReceived is null || !datagram.SequenceEqual(x.LastReceived)) return false;
        if (x.LastSent is not null) Transmit(x.LastSent, x.SentFrom!.Port == local.Port ? x.SentFrom : local, remote);
        return true;
    }

    /// <summary>After an authenticated message: behind a NAT the peer's mapping may change, and a responder sees the initiator float to 4500.</summary>
    private void UpdateEndpoints(DateTimeOffset now, IPEndPoint local, IPEndPoint remote)
    {
        if (local.Equals(LocalEndpoint) && remote.Equals(RemoteEndpoint)) return;
        if (local.Port != _v1.Options.NatTraversalPort && !UdpEncapsulation) return;
        LocalEndpoint = local;
        RemoteEndpoint = remote;
        foreach (ChildSa child in _children) _v1.Main.Emit(new ChildSaEndpointsChanged(child));
        StartKeepalives(now);
    }

    private void StartKeepalives(DateTimeOffset now)
    {
        if (LocalBehindNat && _nextKeepalive is null) _nextKeepalive = now + _v1.Options.KeepaliveInterval;
    }

    // --- Removal ---

    /// <summary>Removes the SA and its Quick Mode SAs at once, without telling the peer.</summary>
    internal void Remove(DateTimeOffset now, string reason, bool byPeer = false)
    {
        if (State == IsakmpSaState.Deleted) return;
        foreach (ChildSa child in _children.ToArray()) RemoveChild(child, reason, byPeer);
        foreach (QuickMode q in _quickModes.Values)
        {
            if (!q.Done && q.Initiator)
            {
                _v1.Main.ReleaseEspSpi(q.LocalSpi);
                if (q.Replaces is null && q.Config is not null) ChildFailed(q.Config.Name, reason);
            }
            q.Dispose();
        }
        _quickModes.Clear();
        EndTransactions();
        while (_pending.TryDequeue(out var p))
        {
            if (p.Replaces is not null) p.Replaces.Rekeying = false;
            else ChildFailed(p.Config.Name, reason);
        }
        State = IsakmpSaState.Deleted;
        _phase1.AwaitingReply = false;
        // A reauthentication that failed: the old SA stays and tries again a little later.
        if (_reauthOf is { State: IsakmpSaState.Established } old)
        {
            old.ReplacedBy = null;
            old._reauthAt = now + TimeSpan.FromSeconds(30);
            _reauthOf = null;
        }
        IkeLog.IkeSaDeleted(Log, Name, Uid, reason);
        _v1.Forget(this);
        Dispose();
    }

    internal void RemoveChild(ChildSa child, string reason, bool byPeer = false)
    {
        if (!_children.Remove(child)) return;
        child.State = ChildSaState.Deleted;
        // Its successor, still held back, takes over now (the data plane hands the policy to it as well).
        if (child.ReplacedBy is { Owner: IsakmpSa successorOwner } successor) successorOwner.MarkOutboundActive(successor);
        child.ClosedByPeer = byPeer;
        if (byPeer && !child.Superseded) child.AfterRemoval = child.Config.CloseAction;
        IkeLog.ChildSaDeleted(Log, Name, Uid, child.Name, child.Uid, child.InboundSpi, child.OutboundSpi, reason);
        _v1.Main.ReleaseEspSpi(child.InboundSpi);
        _v1.Main.Emit(new ChildSaRemoved(child));
    }

    private void ChildFailed(string child, string reason)
    {
        IkeLog.ChildSaFailed(Log, Name, Uid, child, reason);
        _v1.Main.Emit(new ChildSaFailed(this, child, reason));
    }

    /// <summary>Wipes the ISAKMP SA's keys (Quick Mode SA keys are wiped by whoever consumes <see cref="ChildSaRemoved"/>).</summary>
    public void Dispose()
    {
        _encryption?.Dispose();
        _encryption = null;
        _keys?.Dispose();
        _keys = null;
        _keyExchange?.Dispose();
        _keyExchange = null;
        _sharedSecret?.Dispose();
        _sharedSecret = null;
    }
}
