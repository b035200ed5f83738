using System.Buffers.Binary;
using System.Net;
using Portcullis.Core.Config;
using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Kdf;
using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Ikev2.Wire;
using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Ikev2;

/// <summary>IKE_SA_INIT (RFC 7296 §1.2): proposals, key exchange, nonces, NAT detection, cookies, INVALID_KE_PAYLOAD.</summary>
public sealed partial class IkeSa
{
    private IKeyExchange? _keyExchange;
    private KeyExchangeTransform? _keGroup;
    private byte[] _nonceI = [], _nonceR = [];
    private byte[] _initRequest = [], _initResponse = [];
    private byte[]? _cookie;
    private int _initRetries;

    /// <summary>SIGNATURE_HASH_ALGORITHMS data: SHA2-256, SHA2-384, SHA2-512 (RFC 7427 §4).</summary>
    private static readonly byte[] s_signatureHashes = [0, 2, 0, 3, 0, 4];

    // --- Initiator ---

    internal void StartInitiator(DateTimeOffset now)
    {
        _engine.Touch(this);
        ConnectionConfig conn = Connection!;
        _keGroup = conn.Proposals.SelectMany(p => p.KeyExchange).First();
        _nonceI = _engine.RandomBytes(32);
        IkeLog.Initiating(Log, Name, Uid, RemoteEndpoint, ProposalMatcher.Describe(conn.Proposals));
        SendInitRequest(now);
    }

    private void SendInitRequest(DateTimeOffset now)
    {
        _keyExchange?.Dispose();
        _keyExchange = _keGroup!.CreateInitiator();
        var payloads = new List<Payload>();
        if (_cookie is not null) payloads.Add(new NotifyPayload(NotifyType.Cookie, _cookie));
        payloads.Add(new SaPayload(ProposalMatcher.ToWire(Connection!.Proposals, ProtocolId.Ike, [])));
        payloads.Add(new KePayload(_keGroup.Id, _keyExchange.PublicValue));
        payloads.Add(new NoncePayload(_nonceI));
        payloads.AddRange(NatDetectionPayloads(InitiatorSpi, 0));
        payloads.Add(new NotifyPayload(NotifyType.SignatureHashAlgorithms, s_signatureHashes));
        if (AnnounceFragmentation()) payloads.Add(NotifyPayload.Of(NotifyType.Ikev2FragmentationSupported));
        // IKE_SA_INIT is always message 0; a retry after COOKIE or INVALID_KE_PAYLOAD starts it afresh.
        _nextRequestId = 0;
        _outstanding = null;
        _queue.Clear();
        Request(now, ExchangeType.IkeSaInit, _ => payloads, HandleInitResponse);
        _initRequest = _outstanding!.Data[0];
    }

    private List<Payload> NatDetectionPayloads(ulong spiI, ulong spiR, IPEndPoint? local = null, IPEndPoint? remote = null)
    {
        byte[] source = NatDetection.Hash(spiI, spiR, local ?? LocalEndpoint);
        // encap = yes: claim to be behind a NAT so the peer encapsulates ESP too (strongSwan's trick, a random hash).
        if (Connection?.Encap == true) source = _engine.RandomBytes(20);
        return
        [
            new NotifyPayload(NotifyType.NatDetectionSourceIp, source),
            new NotifyPayload(NotifyType.NatDetectionDestinationIp, NatDetection.Hash(spiI, spiR, remote ?? RemoteEndpoint)),
        ];
    }

    private void HandleInitResponse(DateTimeOffset now, IkeMessage response)
    {
        if (response.Notify(NotifyType.Cookie) is { } cookie && _initRetries++ < 3)
        {
            _cookie = cookie.Data.ToArray();
            IkeLog.CookieRetry(Log, Name, Uid);
            SendInitRequest(now);
            return;
        }
        if (response.Notify(NotifyType.InvalidKePayload) is { } invalidKe)
        {
            ushort wanted = invalidKe.Data.Length == 2 ? BinaryPrimitives.ReadUInt16BigEndian(invalidKe.Data) : (ushort)0;
            KeyExchangeTransform? group = Connection!.Proposals.SelectMany(p => p.KeyExchange).FirstOrDefault(g => g.Id == wanted);
            if (group is null || group == _keGroup || _initRetries++ >= 3)
            {
                Remove(now, $"peer wants key exchange method {wanted}, which is not in our proposals");
                return;
            }
            IkeLog.InvalidKeRetry(Log, Name, Uid, group.Keyword, _keGroup!.Keyword);
            _keGroup = group;
            SendInitRequest(now);
            return;
        }
        if (response.ErrorNotify is { } error)
        {
            if (error.NotifyType == NotifyType.NoProposalChosen)
                IkeLog.PeerChoseNoProposal(Log, Name, Uid, ProposalMatcher.Describe(Connection!.Proposals));
            else
                IkeLog.PeerError(Log, Name, Uid, "IKE_SA_INIT", error.NotifyType.RfcName());
            Remove(now, $"IKE_SA_INIT failed: {error.NotifyType.RfcName()}");
            return;
        }

        SaPayload? sa = response.Get<SaPayload>();
        KePayload? ke = response.Get<KePayload>();
        NoncePayload? nonce = response.Get<NoncePayload>();
        if (sa is null || ke is null || nonce is null || response.Header.ResponderSpi == 0)
        {
            Remove(now, "IKE_SA_INIT response lacks SA, KE or Nonce payload");
            return;
        }
        if (sa.Proposals.Count != 1)
        {
            Remove(now, $"IKE_SA_INIT response has {sa.Proposals.Count} proposals, must have exactly one");
            return;
        }
        NegotiatedProposal? chosen = ProposalMatcher.Select(Connection!.Proposals, sa.Proposals, ProtocolId.Ike, false, out string? mismatch);
        if (chosen is null || chosen.KeyExchange != _keGroup || chosen.Prf is null)
        {
            Remove(now, $"peer selected a proposal we did not offer ({ProposalMatcher.Describe(sa.Proposals)}; {mismatch ?? "different key exchange"})");
            return;
        }
        if (ke.Group != _keGroup!.Id)
        {
            Remove(now, $"KE payload of group {ke.Group} does not match the selected {_keGroup.Keyword}");
            return;
        }
        KeyExchangeError keError = _keyExchange!.Complete(ke.Data, out SecretBuffer? shared);
        if (keError != KeyExchangeError.None)
        {
            Remove(now, $"peer's KE data refused: {keError}");
            return;
        }
        ResponderSpi = response.Header.ResponderSpi;
        _nonceR = nonce.Nonce.ToArray();
        _initResponse = _lastReceived;
        PeerSupportsFragmentation = response.Notify(NotifyType.Ikev2FragmentationSupported) is not null;
        NoteInitAuthHints(response);
        Proposal = chosen;
        using (shared) DeriveKeys(shared!);
        DetectNat(response, response.Header);
        State = IkeSaState.Authenticating;
        if ((UdpEncapsulation || FloatsForMobike(response)) && LocalEndpoint.Port != _engine.Options.NatTraversalPort)
        {
            // RFC 7296 §2.23: after detecting a NAT the initiator moves IKE to port 4500 (with MOBIKE, always).
            LocalEndpoint = new IPEndPoint(LocalEndpoint.Address, _engine.Options.NatTraversalPort);
            RemoteEndpoint = new IPEndPoint(RemoteEndpoint.Address, _engine.Options.RemoteNatTraversalPort);
        }
        if (LocalBehindNat || RemoteBehindNat) IkeLog.NatDetected(Log, Name, Uid, LocalBehindNat, RemoteBehindNat, LocalEndpoint, RemoteEndpoint);
        StartKeepalives(now);
        SendIkeAuthRequest(now);
    }

    private void DetectNat(IkeMessage message, IkeHeader header)
    {
        var sources = message.Payloads.OfType<NotifyPayload>().Where(n => n.NotifyType == NotifyType.NatDetectionSourceIp).ToList();
        NotifyPayload? destination = message.Notify(NotifyType.NatDetectionDestinationIp);
        if (sources.Count == 0 || destination is null) return;
        byte[] remoteHash = NatDetection.Hash(header.InitiatorSpi, header.ResponderSpi, RemoteEndpoint);
        byte[] localHash = NatDetection.Hash(header.InitiatorSpi, header.ResponderSpi, LocalEndpoint);
        RemoteBehindNat = !sources.Any(s => s.Data.SequenceEqual(remoteHash));
        LocalBehindNat = !destination.Data.SequenceEqual(localHash);
    }

    private void DeriveKeys(SecretBuffer shared)
    {
        using SecretBuffer skeyseed = Ikev2KeyDerivation.SkeySeed(Proposal!.Prf!, _nonceI, _nonceR, shared.ReadOnlySpan);
        InstallKeys(skeyseed);
    }

    /// <summary>The seven keys from SKEYSEED (RFC 7296 §2.14) and the SK payload protection in our direction.</summary>
    private void InstallKeys(SecretBuffer skeyseed)
    {
        NegotiatedProposal p = Proposal!;
        Keys = Ikev2KeyDerivation.IkeSaKeys(p.Prf!, p.Encryption!, p.Integrity, skeyseed.ReadOnlySpan, _nonceI, _nonceR, InitiatorSpi, ResponderSpi);
        _engine.Options.KeyLog?.Invoke(this, Keys);
        Protection = IsInitiator
            ? new EncryptedPayload(p.Encryption!, p.Integrity, Keys.SkEi.ReadOnlySpan, Keys.SkAi.ReadOnlySpan, Keys.SkEr.ReadOnlySpan, Keys.SkAr.ReadOnlySpan)
            : new EncryptedPayload(p.Encryption!, p.Integrity, Keys.SkEr.ReadOnlySpan, Keys.SkAr.ReadOnlySpan, Keys.SkEi.ReadOnlySpan, Keys.SkAi.ReadOnlySpan);
        _keyExchange?.Dispose();
        _keyExchange = null;
    }

    // --- Responder ---

    /// <summary>
    /// Answers an IKE_SA_INIT request for a new SA. Returns false when the request was answered with an error and no
    /// state should be kept (INVALID_KE_PAYLOAD, NO_PROPOSAL_CHOSEN).
    /// </summary>
    internal bool HandleInitRequest(DateTimeOffset now, IkeMessage request, byte[] datagram)
    {
        _engine.Touch(this);
        ConnectionConfig conn = Connection!;
        SaPayload? sa = request.Get<SaPayload>();
        KePayload? ke = request.Get<KePayload>();
        NoncePayload? nonce = request.Get<NoncePayload>();
        if (sa is null || ke is null || nonce is null)
        {
            if (PeerMayLog(now)) IkeLog.Dropped(Log, RemoteEndpoint, "IKE_SA_INIT request lacks SA, KE or Nonce payload");
            RespondInitError(request, NotifyPayload.Of(NotifyType.InvalidSyntax));
            return false;
        }
        NegotiatedProposal? chosen = ProposalMatcher.Select(conn.Proposals, sa.Proposals, ProtocolId.Ike, false, out string? mismatch);
        if (chosen is null || chosen.Prf is null || chosen.KeyExchange is null)
        {
            if (PeerMayLog(now))
                IkeLog.NoProposalChosen(Log, Name, Uid, ProposalMatcher.Describe(sa.Proposals), ProposalMatcher.Describe(conn.Proposals), mismatch ?? "PSEUDO_RANDOM_FUNCTION",
                    ProposalMatcher.ExplainMismatch(conn.Name, conn.Proposals, conn.Compat, sa.Proposals, ProtocolId.Ike, ignoreKeyExchange: false));
            RespondInitError(request, NotifyPayload.Of(NotifyType.NoProposalChosen));
            return false;
        }
        if (ke.Group != chosen.KeyExchange.Id)
        {
            // Accept the initiator's group when one of our proposals that names it matches their offer with it
            // (never a group taken from another of our proposals than the one that matched); otherwise ask for ours.
            IReadOnlyList<Proposal> withTheirGroup = conn.Proposals.Where(p => p.KeyExchange.Any(g => g.Id == ke.Group))
                .Select(p => new Proposal(p.Transforms.Where(t => t is not KeyExchangeTransform g || g.Id == ke.Group))).ToArray();
            NegotiatedProposal? withGroup = withTheirGroup.Count == 0 ? null
                : ProposalMatcher.Select(withTheirGroup, sa.Proposals, ProtocolId.Ike, false, out _);
            KeyExchangeTransform? alternative = withGroup is { Prf: not null } ? withGroup.KeyExchange : null;
            if (alternative is null)
            {
                if (PeerMayLog(now)) IkeLog.SaWarning(Log, Name, Uid, $"initiator sent KE of group {ke.Group}, asking for {chosen.KeyExchange.Keyword} with INVALID_KE_PAYLOAD");
                var data = new byte[2];
                BinaryPrimitives.WriteUInt16BigEndian(data, chosen.KeyExchange.Id);
                RespondInitError(request, new NotifyPayload(NotifyType.InvalidKePayload, data));
                return false;
            }
            chosen = withGroup!;
        }
        _keyExchange = chosen.KeyExchange!.CreateResponder();
        KeyExchangeError keError = _keyExchange.Respond(ke.Data, out SecretBuffer? shared);
        if (keError != KeyExchangeError.None)
        {
            if (PeerMayLog(now)) IkeLog.SaWarning(Log, Name, Uid, $"initiator's KE data refused: {keError}");
            RespondInitError(request, NotifyPayload.Of(NotifyType.InvalidSyntax));
            return false;
        }
        Proposal = chosen;
        _nonceI = nonce.Nonce.ToArray();
        _nonceR = _engine.RandomBytes(32);
        _initRequest = datagram;
        _expectedRequestId = 1;
        PeerSupportsFragmentation = request.Notify(NotifyType.Ikev2FragmentationSupported) is not null;
        NoteInitAuthHints(request);
        DetectNat(request, request.Header);
        using (shared)
        {
            var payloads = new List<Payload>
            {
                new SaPayload([chosen.ToWire([])]),
                new KePayload(chosen.KeyExchange!.Id, _keyExchange.PublicValue),
                new NoncePayload(_nonceR),
            };
            payloads.AddRange(NatDetectionPayloads(InitiatorSpi, ResponderSpi));
            payloads.Add(new NotifyPayload(NotifyType.SignatureHashAlgorithms, s_signatureHashes));
            // The answer to the initiator's announcement (RFC 7383 §2.3).
            if (PeerSupportsFragmentation && AnnounceFragmentation()) payloads.Add(NotifyPayload.Of(NotifyType.Ikev2FragmentationSupported));
            // Asking for the initiator's certificate here lets it send one with send_cert = ifasked (RFC 7296 §1.2);
            // which connection applies is only known in IKE_AUTH, so every trusted CA is named.
            if (Connection?.SendCertReq != false && _engine.Credentials.CertificateAuthorityHashes(null) is { Count: > 0 } cas)
                payloads.Add(new CertReqPayload(CertEncoding.X509Signature, [.. cas.SelectMany(h => h)]));
            Respond(ExchangeType.IkeSaInit, 0, payloads, LocalEndpoint, RemoteEndpoint);
            _initResponse = _lastResponse!.Value.Data[0];
            DeriveKeys(shared!);
        }
        State = IkeSaState.Authenticating;
        IkeLog.InitResponded(Log, Name, Uid, RemoteEndpoint, chosen.ToString());
        if (LocalBehindNat || RemoteBehindNat) IkeLog.NatDetected(Log, Name, Uid, LocalBehindNat, RemoteBehindNat, LocalEndpoint, RemoteEndpoint);
        StartKeepalives(now);
        return true;
    }

    /// <summary>
    /// Refusals of an unauthenticated IKE_SA_INIT are rate-limited like the engine's other lines a peer can cause
    /// before authentication, so that a flood of bad requests below the cookie threshold cannot fill the disk.
    /// </summary>
    private bool PeerMayLog(DateTimeOffset now) => _engine.PeerLog.Allow("IKE_SA_INIT refused", Microsoft.Extensions.Logging.LogLevel.Warning, now);

    private void RespondInitError(IkeMessage request, NotifyPayload notify)
    {
        // Stateless answer: the responder's SPI stays zero (RFC 7296 §2.6, §1.2).
        var header = new IkeHeader(request.Header.InitiatorSpi, 0, PayloadType.None, IkeHeader.Ikev2Version, ExchangeType.IkeSaInit,
            IkeHeaderFlags.Response, request.Header.MessageId, 0);
        Send(new IkeMessage(header, [notify]).Encode(null));
    }
}
