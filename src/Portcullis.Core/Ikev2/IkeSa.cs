using System.Net;
using Microsoft.Extensions.Logging;
using Portcullis.Core.Config;
using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Kdf;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ikev2;

/// <summary>State of an IKE SA.</summary>
public enum IkeSaState
{
    /// <summary>IKE_SA_INIT in progress.</summary>
    Connecting,
    /// <summary>IKE_AUTH in progress.</summary>
    Authenticating,
    /// <summary>Authenticated.</summary>
    Established,
    /// <summary>A DELETE for it was sent.</summary>
    Deleting,
    /// <summary>Gone.</summary>
    Deleted,
}

/// <summary>
/// One IKE SA (RFC 7296): its keys, message IDs, the one outstanding request it initiated and the cached response to
/// the peer's last request. The exchanges live in partial files by phase (<c>IkeSa.Init.cs</c>, <c>IkeSa.Auth.cs</c>,
/// <c>IkeSa.Child.cs</c>, <c>IkeSa.Informational.cs</c>). Driven only by <see cref="IkeEngine"/>; never touches I/O.
/// </summary>
public sealed partial class IkeSa : IIkeSa, IDisposable
{
    private readonly IkeEngine _engine;
    private readonly List<ChildSa> _children = [];
    private readonly Queue<QueuedRequest> _queue = new();
    private OutstandingRequest? _outstanding;
    private uint _nextRequestId;
    private uint _expectedRequestId;
    private (uint MessageId, byte[][] Data, IPEndPoint Local, IPEndPoint Remote)? _lastResponse;
    private DateTimeOffset? _nextKeepalive;
    private DateTimeOffset? _halfOpenDeadline;
    private byte[] _lastReceived = [];

    /// <summary>What a request of ours is for: the collision rules of RFC 7296 §2.25 depend on it.</summary>
    private enum RequestKind { Other, ChildCreate, ChildRekey, ChildDelete, IkeRekey, IkeDelete, Liveness }

    private sealed record QueuedRequest(ExchangeType Exchange, Func<DateTimeOffset, List<Payload>?> Build, Action<DateTimeOffset, IkeMessage> OnResponse, RequestKind Kind);

    private sealed class OutstandingRequest
    {
        public required ExchangeType Exchange { get; init; }
        public required uint MessageId { get; init; }
        public required byte[][] Data { get; set; }
        public required Action<DateTimeOffset, IkeMessage> OnResponse { get; init; }
        public required RequestKind Kind { get; init; }
        public required DateTimeOffset FirstSent { get; init; }
        public int Tries { get; set; }
        public DateTimeOffset NextRetransmit { get; set; }
    }

    internal IkeSa(IkeEngine engine, uint uid, ConnectionConfig? connection, bool initiator, ulong spiI, ulong spiR,
        IPEndPoint local, IPEndPoint remote, DateTimeOffset now)
    {
        _engine = engine;
        Uid = uid;
        Connection = connection;
        IsInitiator = initiator;
        InitiatorSpi = spiI;
        ResponderSpi = spiR;
        LocalEndpoint = local;
        RemoteEndpoint = remote;
        CreatedAt = now;
        OriginalInitiator = initiator;
        // Only a responder needs the half-open timeout (strongSwan's half_open_timeout): an initiator's connecting SA
        // is bounded by its retransmissions, which would otherwise be cut short (30 s < the ~165 s of 5 retries).
        _halfOpenDeadline = initiator ? null : now + engine.Options.HalfOpenTimeout;
    }

    /// <summary>Unique ID within this daemon, as in every log line.</summary>
    public uint Uid { get; }

    /// <summary>The connection it belongs to (a responder learns it from the peer's identity in IKE_AUTH).</summary>
    public ConnectionConfig? Connection { get; private set; }

    /// <summary>The connection's name, or "-" before one is known.</summary>
    public string Name => Connection?.Name ?? "-";

    /// <inheritdoc />
    public int IkeVersion => 2;

    /// <summary>This side sent the first IKE_SA_INIT.</summary>
    public bool IsInitiator { get; }

    /// <summary>IKE SA Initiator's SPI.</summary>
    public ulong InitiatorSpi { get; }

    /// <summary>IKE SA Responder's SPI (0 until IKE_SA_INIT completes for an initiator).</summary>
    public ulong ResponderSpi { get; private set; }

    /// <summary>This side's SPI.</summary>
    public ulong LocalSpi => IsInitiator ? InitiatorSpi : ResponderSpi;

    /// <summary>State.</summary>
    public IkeSaState State
    {
        get => _state;
        private set
        {
            _state = value;
            _engine.Touch(this); // its timers depend on it, and other SAs set it (a rekey's successor)
        }
    }
    private IkeSaState _state;

    /// <summary>Something its timers depend on changed (a CHILD SA's lifetime or state, from whichever SA did it).</summary>
    internal void TimersChanged() => _engine.Touch(this);

    /// <summary>Waiting in the engine's touched list for its due time to be computed again.</summary>
    internal bool TimerTouched { get; set; }

    /// <summary>The due time the engine's timer queue holds for this SA; null when none.</summary>
    internal DateTimeOffset? TimerDue { get; set; }

    /// <summary>Local address and port in use.</summary>
    public IPEndPoint LocalEndpoint { get; private set; }

    /// <summary>Peer address and port in use.</summary>
    public IPEndPoint RemoteEndpoint { get; private set; }

    /// <summary>This side is behind a NAT (the peer saw another address or port than ours).</summary>
    public bool LocalBehindNat { get; private set; }

    /// <summary>The peer is behind a NAT (or fakes it, as strongSwan's userspace ESP does).</summary>
    public bool RemoteBehindNat { get; private set; }

    /// <summary>ESP inside UDP: NAT either side, or <c>encap = yes</c>.</summary>
    public bool UdpEncapsulation => LocalBehindNat || RemoteBehindNat || Connection?.Encap == true;

    /// <summary>The negotiated IKE proposal.</summary>
    public NegotiatedProposal? Proposal { get; private set; }

    /// <summary>This side's identity.</summary>
    public Identity? LocalId { get; private set; }

    /// <summary>The peer's authenticated identity.</summary>
    public Identity? RemoteId
    {
        get => _remoteId;
        private set
        {
            Identity? old = _remoteId;
            _remoteId = value;
            _engine.RemoteIdChanged(this, old, value);
        }
    }

    private Identity? _remoteId;

    /// <summary>When the SA was created.</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>When IKE_AUTH completed.</summary>
    public DateTimeOffset? EstablishedAt { get; private set; }

    /// <summary>When the IKE SA is due for rekeying (rekey_time less a random part of rand_time); null: not scheduled.</summary>
    public DateTimeOffset? RekeyAt => _ikeRekeyAt;

    /// <summary>When it is due for reauthentication; null: not scheduled.</summary>
    public DateTimeOffset? ReauthAt => _reauthAt;

    /// <summary>The IKE SA that took over after a rekey; this one only waits for its DELETE.</summary>
    public IkeSa? RekeyedTo => _rekeyedBy;

    /// <summary>The CHILD SAs.</summary>
    public IReadOnlyList<ChildSa> Children => _children;

    private ILogger Log => _engine.Logger;
    internal IkeSaKeys? Keys { get; private set; }
    internal EncryptedPayload? Protection { get; private set; }

    /// <summary>The earliest time this SA needs <see cref="HandleTimeout"/>.</summary>
    internal DateTimeOffset? NextTimeout
    {
        get
        {
            DateTimeOffset? t = _outstanding?.NextRetransmit;
            if (_nextKeepalive is { } k && (t is null || k < t)) t = k;
            if (_halfOpenDeadline is { } h && (t is null || h < t)) t = h;
            if (LifetimeTimeout is { } l && (t is null || l < t)) t = l;
            return t;
        }
    }

    internal void HandleTimeout(DateTimeOffset now)
    {
        _engine.Touch(this);
        if (State == IkeSaState.Deleted) return;
        if (_halfOpenDeadline is { } deadline && now >= deadline && State is IkeSaState.Connecting or IkeSaState.Authenticating)
        {
            Remove(now, "half-open IKE_SA timed out");
            return;
        }
        if (_outstanding is { } o && now >= o.NextRetransmit)
        {
            if (o.Tries >= _engine.Options.RetransmitTries)
            {
                PeerDead(now, $"giving up after {o.Tries} retransmits of {o.Exchange} request {o.MessageId}: peer not responding");
                return;
            }
            o.Tries++;
            IkeLog.Retransmit(Log, Name, Uid, o.Exchange.ToString(), o.MessageId, o.Tries);
            Send(o.Data);
            o.NextRetransmit = now + _engine.Options.RetransmitDelay(o.Tries);
        }
        if (_nextKeepalive is { } ka && now >= ka)
        {
            _engine.Transmit(new IkeTransmit(LocalEndpoint, RemoteEndpoint, [0xFF], false));
            _nextKeepalive = now + _engine.Options.KeepaliveInterval;
        }
        HandleLifetimes(now);
    }

    // --- Requests this side initiates ---

    /// <summary>Queues a request; it goes out when no other request of ours is outstanding (window size 1).</summary>
    private void Request(DateTimeOffset now, ExchangeType exchange, Func<DateTimeOffset, List<Payload>?> build, Action<DateTimeOffset, IkeMessage> onResponse,
        RequestKind kind = RequestKind.Other)
    {
        _queue.Enqueue(new QueuedRequest(exchange, build, onResponse, kind));
        SendNextRequest(now);
    }

    private void SendNextRequest(DateTimeOffset now)
    {
        while (_outstanding is null && _queue.Count > 0 && State != IkeSaState.Deleted)
        {
            QueuedRequest q = _queue.Dequeue();
            List<Payload>? payloads = q.Build(now);
            if (payloads is null) continue;
            uint id = _nextRequestId++;
            byte[][] data = Encode(q.Exchange, id, response: false, payloads, LocalEndpoint);
            _outstanding = new OutstandingRequest
            {
                Exchange = q.Exchange, MessageId = id, Data = data, OnResponse = q.OnResponse, Kind = q.Kind, FirstSent = now,
                NextRetransmit = now + _engine.Options.RetransmitDelay(0),
            };
            LogMessage("sending", q.Exchange, "request", id, payloads);
            Send(data);
        }
    }

    /// <summary>The datagrams of one message: one, or its fragments (sent from <paramref name="local"/>).</summary>
    private byte[][] Encode(ExchangeType exchange, uint messageId, bool response, IReadOnlyList<Payload> payloads, IPEndPoint local)
    {
        var flags = (IsInitiator ? IkeHeaderFlags.Initiator : IkeHeaderFlags.None) | (response ? IkeHeaderFlags.Response : IkeHeaderFlags.None);
        var header = new IkeHeader(InitiatorSpi, ResponderSpi, PayloadType.None, IkeHeader.Ikev2Version, exchange, flags, messageId, 0);
        if (exchange == ExchangeType.IkeSaInit || Protection is null) return [new IkeMessage(header, payloads).Encode(null)];
        return EncodeProtected(header, payloads, local);
    }

    private void Send(byte[] data) => Send(data, LocalEndpoint, RemoteEndpoint);

    private void Send(byte[][] datagrams) => Send(datagrams, LocalEndpoint, RemoteEndpoint);

    private void Send(byte[][] datagrams, IPEndPoint local, IPEndPoint remote)
    {
        foreach (byte[] data in datagrams) Send(data, local, remote);
    }

    private void Send(byte[] data, IPEndPoint local, IPEndPoint remote) =>
        _engine.Transmit(new IkeTransmit(local, remote, data, local.Port == _engine.Options.NatTraversalPort));

    private void Respond(ExchangeType exchange, uint messageId, List<Payload> payloads, IPEndPoint local, IPEndPoint remote)
    {
        byte[][] data = Encode(exchange, messageId, response: true, payloads, local);
        _lastResponse = (messageId, data, local, remote);
        LogMessage("sending", exchange, "response", messageId, payloads, local, remote);
        Send(data, local, remote);
    }

    /// <summary>One debug line per message, with the addresses it actually used (with MOBIKE not always the SA's).</summary>
    private void LogMessage(string direction, ExchangeType exchange, string kind, uint messageId, IEnumerable<Payload> payloads,
        IPEndPoint? local = null, IPEndPoint? remote = null)
    {
        if (!Log.IsEnabled(LogLevel.Debug)) return;
        string list = string.Join(' ', payloads.Select(p => p is NotifyPayload n ? $"N({n.NotifyType.RfcName()})" : p.Type.ToString()));
        IkeLog.Message(Log, Name, Uid, direction, exchange.ToString(), kind, messageId, list, local ?? LocalEndpoint, remote ?? RemoteEndpoint);
    }

    // --- Messages from the peer ---

    /// <summary>A message for this SA whose header was read and whose SPI matched.</summary>
    internal void HandleMessage(DateTimeOffset now, IkeHeader header, ReadOnlySpan<byte> datagram, IPEndPoint local, IPEndPoint remote)
    {
        _engine.Touch(this);
        if (State == IkeSaState.Deleted) return;
        if (header.IsResponse)
        {
            if (_outstanding is null || header.MessageId != _outstanding.MessageId || header.ExchangeType != _outstanding.Exchange)
            {
                IkeLog.DroppedForSa(Log, Name, Uid, header.ExchangeType.ToString(), header.MessageId, remote, "response to no outstanding request");
                return;
            }
        }
        else
        {
            if (_lastResponse is { } last && header.MessageId == last.MessageId)
            {
                // A retransmitted request: resend the response as it was (RFC 7296 §2.1), once per retransmission.
                (IPEndPoint from, IPEndPoint to) = RetransmissionPath(last.Local, last.Remote, local, remote);
                if (IsFirstOrOnlyFragment(header, datagram)) Send(last.Data, from, to);
                return;
            }
            if (header.ExchangeType == ExchangeType.IkeSaInit)
            {
                // Only the first message is IKE_SA_INIT, and its retransmissions were answered above; this one is unauthenticated.
                IkeLog.DroppedForSa(Log, Name, Uid, header.ExchangeType.ToString(), header.MessageId, remote, "IKE_SA_INIT request for an existing IKE SA");
                return;
            }
            if (header.MessageId != _expectedRequestId)
            {
                IkeLog.DroppedForSa(Log, Name, Uid, header.ExchangeType.ToString(), header.MessageId, remote, $"message ID outside the window (expected {_expectedRequestId})");
                return;
            }
        }

        if (header.ExchangeType == ExchangeType.IkeSaInit) _lastReceived = datagram[..(int)header.Length].ToArray();
        EncryptedPayload? protection = header.ExchangeType == ExchangeType.IkeSaInit ? null : Protection;
        if (header.ExchangeType != ExchangeType.IkeSaInit && protection is null)
        {
            IkeLog.DroppedForSa(Log, Name, Uid, header.ExchangeType.ToString(), header.MessageId, remote, "encrypted exchange before keys were agreed");
            return;
        }
        IkeMessage? message;
        ParseError error;
        PayloadType? critical;
        MessageError result = header.NextPayload == PayloadType.EncryptedFragment && protection is not null
            ? Reassemble(header, datagram, protection, remote, out message, out error, out critical)
            : IkeMessage.TryDecode(datagram, header, protection, out message, out error, out critical);
        switch (result)
        {
            case MessageError.None:
                break;
            case MessageError.Incomplete:
                return;
            case MessageError.IntegrityCheckFailed:
                IkeLog.DroppedForSa(Log, Name, Uid, header.ExchangeType.ToString(), header.MessageId, remote, "integrity check failed");
                return;
            case MessageError.UnexpectedProtection when header.IsResponse && (_outstanding?.Kind == RequestKind.IkeDelete || _awaitingPeerDelete)
                && IsInvalidIkeSpi(datagram, header):
                // §2.21.4: the peer no longer knows this IKE SA (its own DELETE crossed ours, our answer to it was lost,
                // or it never saw our answer to its rekey). Unauthenticated, but it can only end an SA we are deleting
                // or that a rekey superseded, which carries no CHILD SA: no need to retransmit on.
                Remove(now, $"{_outstanding!.Exchange} request {_outstanding.MessageId} answered with INVALID_IKE_SPI: the peer no longer has it");
                return;
            case MessageError.UnsupportedCriticalPayload when !header.IsResponse:
                IkeLog.DroppedForSa(Log, Name, Uid, header.ExchangeType.ToString(), header.MessageId, remote, $"unsupported critical payload {(byte)critical!.Value}");
                _expectedRequestId++;
                Respond(header.ExchangeType, header.MessageId, [new NotifyPayload(NotifyType.UnsupportedCriticalPayload, [(byte)critical.Value])], local, remote);
                return;
            default:
                IkeLog.DroppedForSa(Log, Name, Uid, header.ExchangeType.ToString(), header.MessageId, remote, $"{result}: {error}");
                if (!header.IsResponse && protection is not null)
                {
                    _expectedRequestId++;
                    Respond(header.ExchangeType, header.MessageId, [NotifyPayload.Of(NotifyType.InvalidSyntax)], local, remote);
                }
                return;
        }

        LogMessage("received", header.ExchangeType, header.IsResponse ? "response" : "request", header.MessageId, message!.Payloads, local, remote);
        if (protection is not null)
        {
            UpdateEndpoints(now, local, remote);
            _lastInbound = now;
        }

        if (header.IsResponse)
        {
            OutstandingRequest o = _outstanding!;
            _outstanding = null;
            o.OnResponse(now, message);
            SendNextRequest(now);
            return;
        }

        if (IsInitiator && State == IkeSaState.Authenticating && header.ExchangeType is ExchangeType.CreateChildSa or ExchangeType.Informational)
        {
            // The peer finished IKE_AUTH but its response to us was lost, and it already started another exchange
            // (a rekey, a liveness check). We cannot answer before we have checked its AUTH: leave the message ID
            // unused and say nothing, so its retransmission is handled once our own retransmitted IKE_AUTH completes.
            IkeLog.EarlyRequest(Log, Name, Uid, header.ExchangeType.ToString(), header.MessageId);
            return;
        }

        _expectedRequestId++;
        switch (header.ExchangeType)
        {
            case ExchangeType.IkeAuth when !IsInitiator && State == IkeSaState.Authenticating:
                HandleIkeAuthRequest(now, message, local, remote);
                break;
            case ExchangeType.CreateChildSa when State == IkeSaState.Established:
                HandleCreateChildSaRequest(now, message, local, remote);
                break;
            case ExchangeType.Informational when State is IkeSaState.Established or IkeSaState.Deleting:
                HandleInformationalRequest(now, message, local, remote);
                break;
            case ExchangeType.CreateChildSa when State == IkeSaState.Deleting:
                // §2.25.1/§2.25.2: a CHILD SA or IKE SA rekey (or creation) for an IKE SA we are closing gets
                // TEMPORARY_FAILURE. The usual case is a rekey collision whose other half we already completed: the
                // peer then learns of the new IKE SA from its own response. INVALID_SYNTAX here made strongSwan
                // destroy the IKE SA and, with it, the new one.
                IkeLog.CollisionRefused(Log, Name, Uid, "TEMPORARY_FAILURE", "CREATE_CHILD_SA", "the IKE_SA is being deleted");
                Respond(header.ExchangeType, header.MessageId, [NotifyPayload.Of(NotifyType.TemporaryFailure)], local, remote);
                break;
            default:
                IkeLog.DroppedForSa(Log, Name, Uid, header.ExchangeType.ToString(), header.MessageId, remote, $"unexpected request in state {State}");
                Respond(header.ExchangeType, header.MessageId, [NotifyPayload.Of(NotifyType.InvalidSyntax)], local, remote);
                break;
        }
    }

    /// <summary>
    /// After an authenticated message: behind a NAT the peer's mapping may change, so follow it (RFC 7296 §2.23);
    /// the move of an initiator from 500 to the NAT-T port is seen here by the responder.
    /// </summary>
    private void UpdateEndpoints(DateTimeOffset now, IPEndPoint local, IPEndPoint remote)
    {
        // With MOBIKE only UPDATE_SA_ADDRESSES moves the SA (RFC 4555 §3.5): a probe from a new path must not.
        if (MobikeEnabled || (local.Equals(LocalEndpoint) && remote.Equals(RemoteEndpoint))) return;
        bool natT = local.Port == _engine.Options.NatTraversalPort;
        if (!natT && !UdpEncapsulation) return;
        LocalEndpoint = local;
        RemoteEndpoint = remote;
        foreach (ChildSa child in _children) _engine.Emit(new ChildSaEndpointsChanged(child));
        StartKeepalives(now);
    }

    private void StartKeepalives(DateTimeOffset now)
    {
        if (LocalBehindNat && _nextKeepalive is null) _nextKeepalive = now + _engine.Options.KeepaliveInterval;
    }

    /// <summary>An unprotected response carrying only N(INVALID_IKE_SPI), as a peer sends for an IKE SA it does not know.</summary>
    private static bool IsInvalidIkeSpi(ReadOnlySpan<byte> datagram, IkeHeader header) =>
        IkeMessage.TryDecode(datagram, header, null, out IkeMessage? message, out _, out _) == MessageError.None
        && message!.Payloads is [NotifyPayload { NotifyType: NotifyType.InvalidIkeSpi }];

    // --- Removal ---

    /// <summary>Removes the SA and its children at once, without telling the peer.</summary>
    internal void Remove(DateTimeOffset now, string reason, bool byPeer = false)
    {
        _engine.Touch(this);
        if (State == IkeSaState.Deleted) return;
        foreach (ChildSa child in _children.ToArray()) RemoveChild(child, reason, byPeer);
        State = IkeSaState.Deleted;
        RedundantSuccessorGone(now);
        _outstanding = null;
        _queue.Clear();
        ReleaseLeases();
        IkeLog.IkeSaDeleted(Log, Name, Uid, reason);
        _engine.Forget(this);
        _engine.Emit(new IkeSaRemoved(this, reason));
        Dispose();
    }

    internal void RemoveChild(ChildSa child, string reason, bool byPeer = false)
    {
        _engine.Touch(this);
        if (!_children.Remove(child)) return;
        child.State = ChildSaState.Deleted;
        child.ClosedByPeer = byPeer;
        // close_action applies to a CHILD SA the peer closed, never to one a rekey replaced.
        if (byPeer && !child.Superseded) child.AfterRemoval = child.Config.CloseAction;
        IkeLog.ChildSaDeleted(Log, Name, Uid, child.Name, child.Uid, child.InboundSpi, child.OutboundSpi, reason);
        _engine.ReleaseEspSpi(child.InboundSpi);
        _engine.Emit(new ChildSaRemoved(child));
    }

    /// <summary>Wipes the IKE SA's keys (CHILD SA keys are wiped by whoever consumes <see cref="ChildSaRemoved"/>).</summary>
    public void Dispose()
    {
        Protection?.Dispose();
        Keys?.Dispose();
        _keyExchange?.Dispose();
        _keyExchange = null;
    }
}
