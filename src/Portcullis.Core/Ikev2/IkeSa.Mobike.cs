using System.Net;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ikev2;

/// <summary>
/// MOBIKE (RFC 4555): MOBIKE_SUPPORTED in IKE_AUTH; UPDATE_SA_ADDRESSES from a peer that moved, which moves this IKE SA
/// and its CHILD SAs to the message's addresses; and, as the original initiator, UPDATE_SA_ADDRESSES of our own when our
/// address went away. NAT detection is redone on every move, COOKIE2 is echoed and checked (§3.7), NO_NATS_ALLOWED is
/// honoured (§3.9) and the peer's additional addresses are remembered (§3.6). Only UPDATE_SA_ADDRESSES moves an SA
/// with MOBIKE: any other message from a new address is answered there and moves nothing (§3.5).
/// </summary>
public sealed partial class IkeSa
{
    /// <summary>Most ADDITIONAL_*_ADDRESS notifies we send or keep (strongSwan's limit too: some peers choke on more).</summary>
    private const int MaxAdditionalAddresses = 8;

    private readonly List<IPAddress> _peerAdditionalAddresses = [];

    /// <summary>The COOKIE2 of our UPDATE_SA_ADDRESSES in flight; its response must echo it.</summary>
    private byte[]? _cookie2;

    /// <summary>The endpoints our UPDATE_SA_ADDRESSES in flight was sent on.</summary>
    private (IPEndPoint Local, IPEndPoint Remote)? _updateSentOn;

    /// <summary>Where the SA was before our own move began, for the event once the peer confirms it.</summary>
    private (IPEndPoint Local, IPEndPoint Remote)? _moveFrom;

    /// <summary>Both sides announced MOBIKE_SUPPORTED in IKE_AUTH (and <c>mobike</c> is not <c>no</c> here).</summary>
    public bool MobikeEnabled { get; private set; }

    /// <summary>
    /// This side sent the IKE_SA_INIT that started the IKE SA this one descends from (through rekeys): with MOBIKE only
    /// the original initiator decides which addresses are used (RFC 4555 §3.1).
    /// </summary>
    public bool OriginalInitiator { get; private set; }

    /// <summary>The peer's other addresses, from ADDITIONAL_IP4/6_ADDRESS (emptied by NO_ADDITIONAL_ADDRESSES).</summary>
    public IReadOnlyList<IPAddress> PeerAdditionalAddresses => _peerAdditionalAddresses;

    private bool MobikeConfigured => Connection?.Mobike != false;

    /// <summary>"192.0.2.1[4500]", as strongSwan writes endpoints.</summary>
    private static string Format(IPEndPoint e) => $"{e.Address}[{e.Port}]";

    // --- IKE_AUTH (§3.3) ---

    /// <summary>
    /// MOBIKE_SUPPORTED for our IKE_AUTH message: the initiator offers it when configured, the responder answers an
    /// offer it accepted (<see cref="NoteMobikeSupport"/> runs on the request first).
    /// </summary>
    internal void AddMobikeSupported(List<Payload> payloads)
    {
        if (IsInitiator ? MobikeConfigured : MobikeEnabled) payloads.Add(NotifyPayload.Of(NotifyType.MobikeSupported));
    }

    /// <summary>
    /// The peer's IKE_AUTH message (the initiator's once its connection is known, the responder's once authenticated):
    /// MOBIKE is on when it announced support and our configuration allows it; its address list is kept.
    /// </summary>
    internal void NoteMobikeSupport(IkeMessage message)
    {
        if (message.Notify(NotifyType.MobikeSupported) is null) return;
        if (!MobikeConfigured)
        {
            IkeLog.MobikeState(Log, Name, Uid, "peer supports MOBIKE, but mobike = no here");
            return;
        }
        MobikeEnabled = true;
        NoteAdditionalAddresses(message);
        IkeLog.MobikeState(Log, Name, Uid, "MOBIKE enabled");
    }

    /// <summary>
    /// strongSwan's rule: an initiator that will offer MOBIKE moves IKE to the NAT-T port after IKE_SA_INIT even without
    /// a NAT, as long as the peer does NAT detection (so supports NAT-T): no later exchange could make that switch.
    /// </summary>
    private bool FloatsForMobike(IkeMessage initResponse) => MobikeConfigured
        && initResponse.Notify(NotifyType.NatDetectionSourceIp) is not null && initResponse.Notify(NotifyType.NatDetectionDestinationIp) is not null;

    // --- The peer's INFORMATIONAL (responder of the exchange, §3.5-§3.9) ---

    /// <summary>
    /// The MOBIKE part of the peer's INFORMATIONAL request, authenticated and decrypted: its address list is kept,
    /// UPDATE_SA_ADDRESSES moves the SA to the message's addresses, and <paramref name="response"/> gets our NAT
    /// detection payloads (when the request had NAT detection) and the COOKIE2 back.
    /// </summary>
    private void HandleMobikeRequest(DateTimeOffset now, IkeMessage request, IPEndPoint local, IPEndPoint remote, List<Payload> response)
    {
        bool update = request.Notify(NotifyType.UpdateSaAddresses) is not null;
        if (!MobikeEnabled)
        {
            if (update) IkeLog.SaWarning(Log, Name, Uid, $"UPDATE_SA_ADDRESSES from {Format(remote)} ignored: MOBIKE was not negotiated on this IKE_SA");
            return;
        }
        NoteAdditionalAddresses(request);
        byte[]? cookie2 = null;
        if (request.Notify(NotifyType.Cookie2) is { } c && !Wire.Cookie2.TryParse(c, out cookie2, out ParseError cookieError))
            IkeLog.SaWarning(Log, Name, Uid, $"COOKIE2 from {Format(remote)} not echoed: {cookieError}");
        if (update && State == IkeSaState.Established)
        {
            if (NoNatsRefusal(request, local, remote) is { } refusal) response.Insert(0, refusal);
            else MoveTo(now, local, remote, request);
        }
        if (request.Notify(NotifyType.NatDetectionSourceIp) is not null && request.Notify(NotifyType.NatDetectionDestinationIp) is not null)
            response.AddRange(NatDetectionPayloads(InitiatorSpi, ResponderSpi, local, remote));
        if (cookie2 is not null) response.Add(new NotifyPayload(NotifyType.Cookie2, cookie2));
    }

    /// <summary>
    /// NO_NATS_ALLOWED (§3.9): the addresses the peer put in the headers must be the ones we see; otherwise the answer
    /// is UNEXPECTED_NAT_DETECTED and nothing moves. Null when there is no such notify or it matches.
    /// </summary>
    private NotifyPayload? NoNatsRefusal(IkeMessage request, IPEndPoint local, IPEndPoint remote)
    {
        if (request.Notify(NotifyType.NoNatsAllowed) is not { } notify) return null;
        if (!NoNatsAllowed.TryParse(notify.Data, out NoNatsAllowed sent, out ParseError error))
        {
            IkeLog.SaWarning(Log, Name, Uid, $"UPDATE_SA_ADDRESSES from {Format(remote)} refused: {error}");
            return NotifyPayload.Of(NotifyType.InvalidSyntax);
        }
        if (sent.Matches(remote, local)) return null;
        IkeLog.SaWarning(Log, Name, Uid, $"UPDATE_SA_ADDRESSES from {Format(remote)} to {Format(local)} refused: NO_NATS_ALLOWED says it left "
            + $"{Format(sent.Source)} for {Format(sent.Destination)}, so a NAT is in between; answering UNEXPECTED_NAT_DETECTED");
        return NotifyPayload.Of(NotifyType.UnexpectedNatDetected);
    }

    /// <summary>
    /// Moves the IKE SA (and so every CHILD SA, whose endpoints are the IKE SA's) to the addresses of the peer's
    /// UPDATE_SA_ADDRESSES, and redoes NAT detection with its NAT_DETECTION_*_IP payloads for those addresses.
    /// </summary>
    private void MoveTo(DateTimeOffset now, IPEndPoint local, IPEndPoint remote, IkeMessage request)
    {
        IPEndPoint oldLocal = LocalEndpoint, oldRemote = RemoteEndpoint;
        bool wasEncapsulated = UdpEncapsulation;
        LocalEndpoint = local;
        RemoteEndpoint = remote;
        DetectNat(request, request.Header);
        FollowNatState(now);
        if (oldLocal.Equals(local) && oldRemote.Equals(remote) && wasEncapsulated == UdpEncapsulation) return;
        IkeLog.PeerMoved(Log, Name, Uid, Format(oldRemote), Format(remote), MoveDetail(oldLocal, wasEncapsulated));
        _engine.Emit(new IkeSaAddressesUpdated(this, oldLocal, oldRemote, local, remote));
    }

    /// <summary>What else changed with a move, for its log line.</summary>
    private string MoveDetail(IPEndPoint oldLocal, bool wasEncapsulated)
    {
        string detail = oldLocal.Equals(LocalEndpoint) ? "" : $", local {Format(oldLocal)} -> {Format(LocalEndpoint)}";
        if (wasEncapsulated != UdpEncapsulation) detail += UdpEncapsulation ? ", NAT detected: ESP in UDP" : ", no NAT any more: plain ESP";
        return detail;
    }

    /// <summary>Keepalives run only while this side is behind a NAT, which a move can change either way.</summary>
    private void FollowNatState(DateTimeOffset now)
    {
        if (LocalBehindNat) StartKeepalives(now);
        else _nextKeepalive = null;
    }

    /// <summary>ADDITIONAL_IP4/6_ADDRESS replace the peer's address list; NO_ADDITIONAL_ADDRESSES empties it (§3.6).</summary>
    private void NoteAdditionalAddresses(IkeMessage message)
    {
        var notifies = message.Payloads.OfType<NotifyPayload>()
            .Where(n => n.NotifyType is NotifyType.AdditionalIp4Address or NotifyType.AdditionalIp6Address).ToList();
        if (notifies.Count == 0 && message.Notify(NotifyType.NoAdditionalAddresses) is null) return;
        _peerAdditionalAddresses.Clear();
        foreach (NotifyPayload n in notifies)
        {
            if (!AdditionalAddress.TryParse(n, out IPAddress? address, out ParseError error))
                IkeLog.SaWarning(Log, Name, Uid, $"peer's additional address ignored: {error}");
            else if (_peerAdditionalAddresses.Count < MaxAdditionalAddresses && !_peerAdditionalAddresses.Contains(address!))
                _peerAdditionalAddresses.Add(address!);
        }
    }

    /// <summary>
    /// A retransmitted request is answered the way it came: with MOBIKE the peer may be trying a new path (§3.7), and
    /// its answer must not go to the address it left. Without MOBIKE, the way the first copy came.
    /// </summary>
    private (IPEndPoint Local, IPEndPoint Remote) RetransmissionPath(IPEndPoint cachedLocal, IPEndPoint cachedRemote, IPEndPoint local, IPEndPoint remote) =>
        MobikeEnabled ? (local, remote) : (cachedLocal, cachedRemote);

    // --- Our own move, as the original initiator (§3.5) ---

    /// <summary>
    /// The host's usable addresses changed. When this IKE SA has MOBIKE, was initiated by us and its local address is
    /// gone, a new one is picked (the host's source address towards the peer if it is in the list, else the first of
    /// the same family) and UPDATE_SA_ADDRESSES goes out from it. Without MOBIKE nothing happens (DPD finds out).
    /// </summary>
    internal void LocalAddressesChanged(DateTimeOffset now, IReadOnlyList<IPAddress> addresses)
    {
        _engine.Touch(this);
        if (!MobikeEnabled || !OriginalInitiator || State != IkeSaState.Established || _rekeyedBy is not null) return;
        if (addresses.Contains(LocalEndpoint.Address)) return;
        IPAddress? routed = _engine.Options.SourceAddressFor?.Invoke(RemoteEndpoint.Address);
        IPAddress? chosen = routed is not null && addresses.Contains(routed) ? routed
            : addresses.FirstOrDefault(a => a.AddressFamily == RemoteEndpoint.AddressFamily && !IPAddress.IsLoopback(a) && !a.IsIPv6LinkLocal);
        if (chosen is null)
        {
            IkeLog.SaWarning(Log, Name, Uid, $"local address {LocalEndpoint.Address} is gone and no other address can reach {RemoteEndpoint.Address}; waiting for one");
            return;
        }
        RequestAddressUpdate(now, chosen);
    }

    /// <summary>
    /// Moves our end of the IKE SA to <paramref name="address"/> (same port) and tells the peer with UPDATE_SA_ADDRESSES,
    /// NAT detection, COOKIE2 and our other addresses. The old address is gone, so everything leaves from the new one at
    /// once; the CHILD SAs follow when the peer has answered (and the NAT state is known).
    /// </summary>
    internal void RequestAddressUpdate(DateTimeOffset now, IPAddress address)
    {
        _engine.Touch(this);
        _moveFrom ??= (LocalEndpoint, RemoteEndpoint);
        IPEndPoint oldLocal = LocalEndpoint;
        LocalEndpoint = new IPEndPoint(address, LocalEndpoint.Port);
        IkeLog.LocalAddressGone(Log, Name, Uid, Format(oldLocal), Format(LocalEndpoint), Format(RemoteEndpoint));
        // A request of ours already on the wire left from the old address: its answer could only go there. Send it
        // again now (not counted as a retransmission), so the queued update is not held up until its timer fires.
        if (_outstanding is { } o) Send(o.Data);
        Request(now, ExchangeType.Informational, BuildAddressUpdate, HandleAddressUpdateResponse);
    }

    private List<Payload>? BuildAddressUpdate(DateTimeOffset now)
    {
        if (State != IkeSaState.Established || _rekeyedBy is not null) return null;
        _cookie2 = _engine.RandomBytes(Wire.Cookie2.Size);
        _updateSentOn = (LocalEndpoint, RemoteEndpoint);
        var payloads = new List<Payload> { NotifyPayload.Of(NotifyType.UpdateSaAddresses), new NotifyPayload(NotifyType.Cookie2, _cookie2) };
        List<IPAddress> others = _engine.LocalAddresses.Where(a => !a.Equals(LocalEndpoint.Address) && !IPAddress.IsLoopback(a) && !a.IsIPv6LinkLocal)
            .Take(MaxAdditionalAddresses).ToList();
        if (others.Count == 0) payloads.Add(NotifyPayload.Of(NotifyType.NoAdditionalAddresses));
        else payloads.AddRange(others.Select(AdditionalAddress.ToNotify));
        payloads.AddRange(NatDetectionPayloads(InitiatorSpi, ResponderSpi));
        return payloads;
    }

    private void HandleAddressUpdateResponse(DateTimeOffset now, IkeMessage response)
    {
        byte[]? sent = _cookie2;
        _cookie2 = null;
        if (sent is not null && !Wire.Cookie2.Echoes(response.Notify(NotifyType.Cookie2), sent))
        {
            // §3.7: the answer did not come back the way we asked; whoever sent it is not the peer on that path.
            IkeLog.SaWarning(Log, Name, Uid, "the answer to our UPDATE_SA_ADDRESSES does not echo our COOKIE2; closing the IKE_SA");
            Remove(now, "COOKIE2 mismatch in the answer to UPDATE_SA_ADDRESSES (RFC 4555 §3.7)");
            return;
        }
        if (response.ErrorNotify is { } error)
        {
            IkeLog.PeerError(Log, Name, Uid, "UPDATE_SA_ADDRESSES", error.NotifyType.RfcName());
            return;
        }
        // A later move is queued: its answer settles the NAT state and reports the whole move.
        if (_updateSentOn is not { } path || !path.Local.Equals(LocalEndpoint) || !path.Remote.Equals(RemoteEndpoint)) return;
        (IPEndPoint oldLocal, IPEndPoint oldRemote) = _moveFrom ?? path;
        _moveFrom = null;
        bool wasEncapsulated = UdpEncapsulation;
        DetectNat(response, response.Header);
        FollowNatState(now);
        IkeLog.WeMoved(Log, Name, Uid, Format(oldLocal), Format(LocalEndpoint), Format(RemoteEndpoint), MoveDetail(LocalEndpoint, wasEncapsulated));
        _engine.Emit(new IkeSaAddressesUpdated(this, oldLocal, oldRemote, LocalEndpoint, RemoteEndpoint));
    }

    /// <summary>What an IKE SA made by rekeying this one keeps: MOBIKE was agreed for the IKE SA, not for its keys.</summary>
    private void InheritMobike(IkeSa fresh)
    {
        fresh.MobikeEnabled = MobikeEnabled;
        fresh.OriginalInitiator = OriginalInitiator;
        fresh._peerAdditionalAddresses.AddRange(_peerAdditionalAddresses);
    }
}
