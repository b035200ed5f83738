using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Portcullis.Core.Config;
using Portcullis.Core.Eap;
using Portcullis.Core.Ikev2.Wire;
using Portcullis.Core.Ipsec;
using Portcullis.Core.Pki;
using Portcullis.Core.Pools;

namespace Portcullis.Core.Ikev2;

/// <summary>
/// IKE_AUTH (RFC 7296 §1.2, §2.15, §2.16) carrying the first CHILD SA: each side proves itself with a pre-shared key,
/// a certificate's key, or (the initiator only) EAP, after which both send AUTH computed from the MSK. A configuration
/// payload (§3.15) asks for and hands out virtual IPs.
/// </summary>
public sealed partial class IkeSa
{
    private ChildConfig? _authChild;
    private uint _authChildSpi;
    private IReadOnlyList<TrafficSelector> _authTsI = [], _authTsR = [];
    private readonly List<ChildConfig> _pendingChildren = [];

    /// <summary>Where a multi-round IKE_AUTH stands.</summary>
    private enum AuthPhase { Start, Eap, EapAuthSent, Done }

    private AuthPhase _authPhase;
    private IReadOnlySet<ushort> _peerSignatureHashes = new HashSet<ushort>();
    private bool _peerSentCertReq;
    private EapServer? _eapServer;
    private EapClient? _eapClient;
    private IkeMessage? _firstAuthRequest;
    private byte[]? _msk;
    private byte[] _localIdBody = [], _peerIdBody = [];
    private readonly List<Lease> _leases = [];

    /// <summary>Virtual IPs the peer assigned to us (configuration payload reply).</summary>
    public IReadOnlyList<IPAddress> LocalVirtualIps { get; private set; } = [];

    /// <summary>Virtual IPs we assigned to the peer from a pool.</summary>
    public IReadOnlyList<IPAddress> RemoteVirtualIps { get; private set; } = [];

    /// <summary>DNS servers the peer handed us with our virtual IP.</summary>
    public IReadOnlyList<IPAddress> ReceivedDns { get; private set; } = [];

    /// <summary>The identity the peer proved with EAP, when it used EAP.</summary>
    public string? RemoteEapIdentity { get; private set; }

    /// <summary>The certificate the peer authenticated with, when it used one.</summary>
    public X509Certificate2? RemoteCertificate { get; private set; }

    /// <summary>Children to create with CREATE_CHILD_SA once the IKE SA is up.</summary>
    internal void QueueChild(DateTimeOffset now, ChildConfig child)
    {
        _engine.Touch(this);
        if (State == IkeSaState.Established) InitiateChild(now, child);
        else if (_authChild is null && State == IkeSaState.Connecting && IsInitiator) _authChild = child;
        else _pendingChildren.Add(child);
    }

    /// <summary>Remembers what IKE_SA_INIT said about authentication: the peer's signature hashes and CERTREQs.</summary>
    private void NoteInitAuthHints(IkeMessage message)
    {
        if (message.Notify(NotifyType.SignatureHashAlgorithms) is { } hashes)
            _peerSignatureHashes = SignatureAuthentication.ParseSignatureHashAlgorithms(hashes.Data);
        _peerSentCertReq |= message.Payloads.OfType<CertReqPayload>().Any();
    }

    // --- Building our side ---

    /// <summary>The signed octets of RFC 7296 §2.15 for one side of this SA.</summary>
    private byte[] SignedOctets(bool ofInitiator, ReadOnlySpan<byte> idBody) => ofInitiator
        ? SignatureAuthentication.SignedOctets(Proposal!.Prf!, _initRequest, _nonceR, Keys!.SkPi.ReadOnlySpan, idBody)
        : SignatureAuthentication.SignedOctets(Proposal!.Prf!, _initResponse, _nonceI, Keys!.SkPr.ReadOnlySpan, idBody);

    /// <summary>Our own certificate for a connection: <c>certs</c>, else one in x509/ naming our identity.</summary>
    private X509Certificate2? OwnCertificate(ConnectionConfig conn, Identity localId) =>
        conn.Local.Certs.Count > 0 ? _engine.Credentials.FindCertificate(conn.Local.Certs[0]) : _engine.Credentials.FindCertificateFor(localId);

    /// <summary>
    /// CERT payloads (ours, then the intermediate CAs that are not self-signed) and AUTH for our side, or a reason
    /// why we cannot authenticate. PSK and public key only; EAP's AUTH comes from the MSK later.
    /// </summary>
    private string? OurAuthPayloads(ConnectionConfig conn, Identity localId, Identity? remoteId, List<Payload> into)
    {
        byte[] octets = SignedOctets(IsInitiator, _localIdBody);
        switch (conn.Local.Class)
        {
            case AuthClass.Psk:
                SharedSecret? secret = _engine.Config.FindSharedSecret(localId, remoteId ?? conn.Remote.Id ?? Identity.FromAddress(RemoteEndpoint.Address));
                if (secret is null) return $"no shared key found for '{localId}' - '{remoteId?.ToString() ?? conn.Remote.Id?.ToString() ?? "%any"}'";
                into.Add(new AuthPayload(AuthMethod.SharedKeyMessageIntegrityCode, PskAuthentication.ComputeFromOctets(Proposal!.Prf!, secret.Secret, octets)));
                return null;
            case AuthClass.PublicKey:
                X509Certificate2? cert = OwnCertificate(conn, localId);
                if (cert is null)
                    return conn.Local.Certs.Count > 0 ? $"certificate '{conn.Local.Certs[0]}' not loaded" : $"no certificate with a private key for '{localId}'";
                AsymmetricAlgorithm? key = _engine.Credentials.FindPrivateKey(cert);
                if (key is null) return $"no private key for certificate \"{cert.Subject}\"";
                if (conn.SendCert == SendCertPolicy.Always || (conn.SendCert == SendCertPolicy.IfAsked && _peerSentCertReq))
                {
                    into.Add(new CertPayload(CertEncoding.X509Signature, cert.RawData));
                    foreach (X509Certificate2 ca in _engine.Credentials.IntermediatesFor(cert))
                        into.Add(new CertPayload(CertEncoding.X509Signature, ca.RawData));
                }
                into.Add(SignatureAuthentication.Sign(key, octets, _peerSignatureHashes, out _));
                return null;
            default:
                return "EAP authenticates only the initiator; the responder needs auth = pubkey or psk";
        }
    }

    /// <summary>CERTREQ for the CAs we trust for this peer, when it authenticates with a certificate.</summary>
    private void AddCertReq(ConnectionConfig conn, List<Payload> into)
    {
        if (!conn.SendCertReq || conn.Remote.Class != AuthClass.PublicKey) return;
        IReadOnlyList<byte[]> hashes = _engine.Credentials.CertificateAuthorityHashes(TrustAnchors(conn));
        if (hashes.Count > 0) into.Add(new CertReqPayload(CertEncoding.X509Signature, [.. hashes.SelectMany(h => h)]));
    }

    /// <summary>The CA certificates the peer's chain must end in (<c>cacerts</c>); null: every CA loaded.</summary>
    private IReadOnlyList<X509Certificate2>? TrustAnchors(ConnectionConfig conn) =>
        conn.Remote.CaCerts.Count == 0 ? null
            : conn.Remote.CaCerts.Select(_engine.Credentials.FindCaCertificate).OfType<X509Certificate2>().ToArray();

    // --- Checking the peer ---

    /// <summary>Verifies the peer's AUTH (PSK or signature); null when it proved the identity, else the reason.</summary>
    private string? VerifyPeerAuth(DateTimeOffset now, ConnectionConfig conn, Identity localId, Identity peerId, AuthPayload auth, IkeMessage message)
    {
        byte[] octets = SignedOctets(!IsInitiator, _peerIdBody);
        switch (conn.Remote.Class)
        {
            case AuthClass.Psk:
            {
                if (auth.Method != AuthMethod.SharedKeyMessageIntegrityCode) return $"peer used {auth.Method}, configured psk";
                SharedSecret? secret = _engine.Config.FindSharedSecret(localId, peerId);
                if (secret is null) return $"no shared key for '{localId}' - '{peerId}'";
                byte[] expected = PskAuthentication.ComputeFromOctets(Proposal!.Prf!, secret.Secret, octets);
                return PskAuthentication.Verify(expected, auth.Data) ? null : "pre-shared key mismatch";
            }
            case AuthClass.PublicKey:
            {
                if (auth.Method == AuthMethod.SharedKeyMessageIntegrityCode) return "peer used a pre-shared key, configured pubkey";
                var received = new List<X509Certificate2>();
                foreach (CertPayload c in message.Payloads.OfType<CertPayload>().Where(c => c.Encoding == CertEncoding.X509Signature))
                {
                    try { received.Add(X509CertificateLoader.LoadCertificate(c.Data)); }
                    catch (CryptographicException) { return "peer sent a CERT payload that is not an X.509 certificate"; }
                }
                X509Certificate2? end = received.FirstOrDefault()
                    ?? _engine.Credentials.Certificates.FirstOrDefault(c => CertificateIdentity.Matches(c, peerId));
                if (end is null) return $"peer '{peerId}' sent no certificate and none is loaded for it";
                CertificateValidation v = _engine.Credentials.Validate(end, received.Skip(1).ToArray(), TrustAnchors(conn), now);
                if (!v.Ok) return v.Message;
                if (!CertificateIdentity.Matches(end, peerId)) return $"'{peerId}' is not in certificate {CertificateIdentity.Describe(end)}";
                if (!SignatureAuthentication.Verify(end, auth, octets, out string detail)) return $"signature of '{peerId}' is wrong: {detail}";
                RemoteCertificate = end;
                return null;
            }
            default:
            {
                if (_msk is null || auth.Method != AuthMethod.SharedKeyMessageIntegrityCode) return "peer's AUTH after EAP is not MSK-based";
                byte[] expected = EapAuthentication.ComputeAuth(Proposal!.Prf!, _msk, octets);
                return CryptographicOperations.FixedTimeEquals(expected, auth.Data) ? null : "AUTH after EAP does not match the MSK";
            }
        }
    }

    // --- Initiator ---

    private void SendIkeAuthRequest(DateTimeOffset now)
    {
        ConnectionConfig conn = Connection!;
        LocalId = conn.Local.Id ?? Identity.FromAddress(LocalEndpoint.Address);
        var idi = new IdPayload(PayloadType.IdInitiator, LocalId);
        _localIdBody = idi.BodyBytes();
        var payloads = new List<Payload> { idi };
        var auth = new List<Payload>();
        if (conn.Local.Class == AuthClass.Eap)
        {
            string eapId = conn.Local.EapId ?? LocalId.ToString();
            EapSecret? user = _engine.Config.FindEapSecret(eapId);
            if (user is null)
            {
                Remove(now, $"no EAP secret for '{eapId}' (secrets {{ eap-… {{ id = {eapId} }} }})");
                return;
            }
            _eapClient = new EapClient(eapId, user.Secret, _engine.FillRandom);
        }
        else
        {
            string? problem = OurAuthPayloads(conn, LocalId, conn.Remote.Id, auth);
            if (problem is not null)
            {
                Remove(now, problem);
                return;
            }
        }
        payloads.AddRange(auth.Where(p => p is CertPayload));
        AddCertReq(conn, payloads);
        // First contact with this peer (and not a reauthentication): let it drop whatever it kept from before (§2.4).
        if (_reauthOf is null && !_engine.HasOtherIkeSa(this)) payloads.Add(NotifyPayload.Of(NotifyType.InitialContact));
        if (conn.Remote.Id is not null) payloads.Add(new IdPayload(PayloadType.IdResponder, conn.Remote.Id));
        payloads.AddRange(auth.Where(p => p is AuthPayload));
        if (VirtualIpRequest() is { } cp) payloads.Add(cp);
        AddMobikeSupported(payloads);
        if (_authChild is { } ahChild && RefuseAhAcrossNat(ahChild)) _authChild = null;
        if (_authChild is { } child)
        {
            _authChildSpi = _engine.AllocateEspSpi();
            _authTsI = LocalSelectors(child);
            _authTsR = RemoteSelectors(child);
            if (AsksTransportMode(child, _authTsI, _authTsR)) payloads.Add(NotifyPayload.Of(NotifyType.UseTransportMode));
            payloads.Add(new SaPayload(ProposalMatcher.ToWire(child.ChildProposals, ChildProtocol(child), SpiBytes(_authChildSpi), withKeyExchange: false)));
            payloads.Add(new TsPayload(PayloadType.TrafficSelectorInitiator, _authTsI));
            payloads.Add(new TsPayload(PayloadType.TrafficSelectorResponder, _authTsR));
        }
        Request(now, ExchangeType.IkeAuth, _ => payloads, HandleIkeAuthResponse);
    }

    /// <summary>
    /// A CFG_REQUEST for the connection's <c>vips</c>: an unspecified address asks for any; a reauthentication asks
    /// for the address it already has, so the pool gives it back and the tunnel keeps its inner address.
    /// </summary>
    private ConfigurationPayload? VirtualIpRequest()
    {
        if (Connection!.Vips.Count == 0) return null;
        return ConfigurationPayload.VirtualIpRequest(Connection.Vips.Select(vip =>
            _reauthOf?.LocalVirtualIps.FirstOrDefault(a => a.AddressFamily == vip.AddressFamily) ?? vip));
    }

    private void HandleIkeAuthResponse(DateTimeOffset now, IkeMessage response)
    {
        ConnectionConfig conn = Connection!;
        if (_authPhase == AuthPhase.Start)
        {
            IdPayload? idr = response.Get<IdPayload>(PayloadType.IdResponder);
            AuthPayload? auth = response.Get<AuthPayload>();
            if (idr is null || auth is null)
            {
                if (response.Notify(NotifyType.AuthenticationFailed) is not null)
                {
                    IkeLog.WeWereRefused(Log, Name, Uid, LocalId!.ToString());
                    Remove(now, "peer refused our authentication (AUTHENTICATION_FAILED)");
                    return;
                }
                string what = response.ErrorNotify?.NotifyType.RfcName() ?? "no IDr or AUTH payload";
                IkeLog.PeerError(Log, Name, Uid, "IKE_AUTH", what);
                Remove(now, $"IKE_AUTH failed: {what}");
                return;
            }
            if (conn.Remote.Id is not null && !CertificateIdentity.IdentityMatches(conn.Remote.Id, idr.Identity))
            {
                IkeLog.PeerAuthenticationFailed(Log, Name, Uid, idr.Identity.ToString(), $"identified as '{idr.Identity}', configured '{conn.Remote.Id}'");
                Remove(now, $"peer identified as '{idr.Identity}', configured '{conn.Remote.Id}'");
                return;
            }
            _peerIdBody = idr.BodyBytes();
            if (VerifyPeerAuth(now, conn, LocalId!, idr.Identity, auth, response) is { } problem)
            {
                IkeLog.PeerAuthenticationFailed(Log, Name, Uid, idr.Identity.ToString(), problem);
                Remove(now, problem);
                return;
            }
            RemoteId = idr.Identity;
            _authPhase = _eapClient is null ? AuthPhase.Done : AuthPhase.Eap;
        }

        if (_authPhase == AuthPhase.Eap)
        {
            ContinueEapAsClient(now, response);
            return;
        }
        if (_authPhase == AuthPhase.EapAuthSent)
        {
            // The responder's second AUTH, from the MSK (§2.16).
            if (response.Get<AuthPayload>() is not { } finalAuth)
            {
                string what = response.Notify(NotifyType.AuthenticationFailed) is not null ? "peer refused our EAP authentication (AUTHENTICATION_FAILED)" : "no AUTH after EAP";
                IkeLog.PeerError(Log, Name, Uid, "IKE_AUTH", what);
                Remove(now, what);
                return;
            }
            byte[] expected = EapAuthentication.ComputeAuth(Proposal!.Prf!, _msk!, SignedOctets(false, _peerIdBody));
            if (!CryptographicOperations.FixedTimeEquals(expected, finalAuth.Data))
            {
                IkeLog.PeerAuthenticationFailed(Log, Name, Uid, RemoteId!.ToString(), "AUTH after EAP does not match the MSK");
                Remove(now, "responder's AUTH after EAP does not match the MSK");
                return;
            }
            _authPhase = AuthPhase.Done;
        }

        NoteVirtualIps(response);
        NoteMobikeSupport(response);
        Established(now);
        HandleInitialContact(now, response);

        if (_authChild is { } child)
        {
            if (response.ErrorNotify is { } childError)
            {
                ChildFailed(child.Name, $"peer answered {childError.NotifyType.RfcName()}");
            }
            else
            {
                string? problem = CreateInitiatedChild(now, child, response, _authChildSpi, _authTsI, _authTsR, ReadOnlySpan<byte>.Empty, _nonceI, _nonceR,
                    ignoreKeyExchange: true, out ChildSa? created);
                if (problem is not null) ChildFailed(child.Name, problem);
                else Install(created!);
            }
        }
        foreach (ChildConfig pending in _pendingChildren) InitiateChild(now, pending);
        _pendingChildren.Clear();
        FinishReauthentication(now);
    }

    /// <summary>One EAP round as the initiator: answer the request, or after EAP-Success send AUTH from the MSK.</summary>
    private void ContinueEapAsClient(DateTimeOffset now, IkeMessage response)
    {
        if (response.Get<EapPayload>() is not { } eap)
        {
            string what = response.ErrorNotify?.NotifyType.RfcName() ?? "no EAP payload";
            IkeLog.PeerError(Log, Name, Uid, "IKE_AUTH (EAP)", what);
            Remove(now, $"EAP failed: {what}");
            return;
        }
        EapClientStep step = _eapClient!.Process(eap.Message);
        switch (step.Kind)
        {
            case EapClientStepKind.Response:
                Request(now, ExchangeType.IkeAuth, _ => [new EapPayload(step.Message!)], HandleIkeAuthResponse);
                break;
            case EapClientStepKind.Success:
                _msk = step.Msk;
                _authPhase = AuthPhase.EapAuthSent;
                byte[] auth = EapAuthentication.ComputeAuth(Proposal!.Prf!, _msk!, SignedOctets(true, _localIdBody));
                Request(now, ExchangeType.IkeAuth, _ => [new AuthPayload(AuthMethod.SharedKeyMessageIntegrityCode, auth)], HandleIkeAuthResponse);
                break;
            default:
                IkeLog.WeWereRefused(Log, Name, Uid, LocalId!.ToString());
                Remove(now, $"EAP authentication failed: {step.Reason}");
                break;
        }
    }

    /// <summary>Takes the virtual IPs and DNS servers of a CFG_REPLY.</summary>
    private void NoteVirtualIps(IkeMessage response)
    {
        if (response.Get<ConfigurationPayload>() is not { ConfigType: ConfigType.Reply } reply) return;
        LocalVirtualIps = reply.Addresses;
        ReceivedDns = reply.Dns;
        if (LocalVirtualIps.Count > 0) IkeLog.VirtualIpReceived(Log, Name, Uid, string.Join(", ", LocalVirtualIps), ReceivedDns.Count > 0 ? string.Join(", ", ReceivedDns) : "none");
    }

    private void Established(DateTimeOffset now)
    {
        State = IkeSaState.Established;
        EstablishedAt = now;
        _halfOpenDeadline = null;
        _firstAuthRequest = null;
        ScheduleIkeLifetimes(now);
        _engine.LeftHalfOpen(this);
        IkeLog.IkeSaEstablished(Log, Name, Uid, LocalEndpoint, LocalId!.ToString(), RemoteEndpoint, RemoteId!.ToString(), Proposal!.ToString(), InitiatorSpi, ResponderSpi);
        _engine.Emit(new IkeSaEstablished(this));
    }

    // --- Responder ---

    private void HandleIkeAuthRequest(DateTimeOffset now, IkeMessage request, IPEndPoint local, IPEndPoint remote)
    {
        if (_eapServer is not null)
        {
            HandleEapRound(now, request, local, remote);
            return;
        }
        IdPayload? idi = request.Get<IdPayload>(PayloadType.IdInitiator);
        IdPayload? idr = request.Get<IdPayload>(PayloadType.IdResponder);
        AuthPayload? auth = request.Get<AuthPayload>();
        if (idi is null)
        {
            IkeLog.DroppedForSa(Log, Name, Uid, "IKE_AUTH", request.Header.MessageId, remote, "no IDi payload");
            Refuse(now, request, local, remote, "IKE_AUTH without IDi");
            return;
        }
        // No AUTH payload: the initiator wants EAP (§2.16).
        AuthClass offered = auth is null ? AuthClass.Eap : auth.Method == AuthMethod.SharedKeyMessageIntegrityCode ? AuthClass.Psk : AuthClass.PublicKey;
        ConnectionConfig? conn = _engine.FindConnectionForAuth(LocalEndpoint.Address, RemoteEndpoint.Address, idi.Identity, idr?.Identity, offered, Connection!);
        if (conn is null)
        {
            IkeLog.PeerAuthenticationFailed(Log, Name, Uid, idi.Identity.ToString(), $"no connection for '{idi.Identity}' authenticating with {offered}");
            Refuse(now, request, local, remote, $"no connection for peer identity '{idi.Identity}' with {offered}");
            return;
        }
        Connection = conn;
        Identity localId = conn.Local.Id ?? Identity.FromAddress(LocalEndpoint.Address);
        _peerIdBody = idi.BodyBytes();
        _peerSentCertReq |= request.Payloads.OfType<CertReqPayload>().Any();
        if (auth is not null && VerifyPeerAuth(now, conn, localId, idi.Identity, auth, request) is { } problem)
        {
            IkeLog.PeerAuthenticationFailed(Log, Name, Uid, idi.Identity.ToString(), problem);
            Refuse(now, request, local, remote, problem);
            return;
        }
        LocalId = localId;
        RemoteId = idi.Identity;
        NoteMobikeSupport(request);
        var ourId = new IdPayload(PayloadType.IdResponder, localId);
        _localIdBody = ourId.BodyBytes();
        var payloads = new List<Payload> { ourId };
        if (OurAuthPayloads(conn, localId, idi.Identity, payloads) is { } ours)
        {
            IkeLog.SaWarning(Log, Name, Uid, $"cannot authenticate ourselves: {ours}");
            Refuse(now, request, local, remote, ours);
            return;
        }
        if (auth is null)
        {
            StartEapAsServer(now, conn, idi.Identity, request, payloads, local, remote);
            return;
        }
        HandleInitialContact(now, request);
        CompleteAuthAsResponder(now, request, request, payloads, local, remote);
    }

    /// <summary>Answers AUTHENTICATION_FAILED and drops the half-made SA.</summary>
    private void Refuse(DateTimeOffset now, IkeMessage request, IPEndPoint local, IPEndPoint remote, string reason)
    {
        Respond(ExchangeType.IkeAuth, request.Header.MessageId, [NotifyPayload.Of(NotifyType.AuthenticationFailed)], local, remote);
        Remove(now, reason);
    }

    /// <summary>Our IDr, CERT and AUTH go out with the first EAP request; the SA and TS wait for the end of EAP.</summary>
    private void StartEapAsServer(DateTimeOffset now, ConnectionConfig conn, Identity peerId, IkeMessage request, List<Payload> payloads, IPEndPoint local, IPEndPoint remote)
    {
        if (conn.Remote.Class != AuthClass.Eap)
        {
            IkeLog.PeerAuthenticationFailed(Log, Name, Uid, peerId.ToString(), $"peer asked for EAP, connection wants {conn.Remote.Auth}");
            Refuse(now, request, local, remote, $"peer asked for EAP, configured {conn.Remote.Auth}");
            return;
        }
        _eapServer = new EapServer(new EapServerOptions
        {
            AskIdentity = conn.Remote.AsksEapIdentity,
            InitialIdentity = conn.Remote.EapId ?? peerId.ToString(),
            FindPassword = id => _engine.Config.FindEapSecret(id)?.Secret,
            ServerName = LocalId!.ToString(),
            Random = _engine.FillRandom,
        });
        _firstAuthRequest = request;
        _authPhase = AuthPhase.Eap;
        payloads.Add(new EapPayload(_eapServer.Start()));
        Respond(ExchangeType.IkeAuth, request.Header.MessageId, payloads, local, remote);
    }

    /// <summary>One EAP round as the responder; after EAP-Success, the initiator's MSK-based AUTH completes IKE_AUTH.</summary>
    private void HandleEapRound(DateTimeOffset now, IkeMessage request, IPEndPoint local, IPEndPoint remote)
    {
        if (_authPhase == AuthPhase.Eap)
        {
            if (request.Get<EapPayload>() is not { } eap)
            {
                IkeLog.PeerAuthenticationFailed(Log, Name, Uid, RemoteId!.ToString(), "no EAP payload in an EAP round");
                Refuse(now, request, local, remote, "IKE_AUTH without EAP payload during EAP");
                return;
            }
            EapServerStep step = _eapServer!.Process(eap.Message);
            Respond(ExchangeType.IkeAuth, request.Header.MessageId, [new EapPayload(step.Message!)], local, remote);
            if (step.Kind == EapServerStepKind.Success)
            {
                _msk = step.Msk;
                RemoteEapIdentity = _eapServer.Identity;
                _authPhase = AuthPhase.EapAuthSent;
            }
            // A wrong password ends MS-CHAPv2 with a Failure request that many clients never acknowledge: the
            // method has failed already, so the SA goes now rather than at the half-open timeout.
            else if (step.Kind == EapServerStepKind.Failure || step.Reason is not null)
            {
                IkeLog.PeerAuthenticationFailed(Log, Name, Uid, _eapServer.Identity ?? RemoteId!.ToString(), step.Reason ?? "EAP failed");
                Remove(now, $"EAP authentication failed: {step.Reason}");
            }
            return;
        }
        AuthPayload? auth = request.Get<AuthPayload>();
        string? problem = auth is null ? "no AUTH after EAP-Success" : VerifyPeerAuth(now, Connection!, LocalId!, RemoteId!, auth, request);
        if (problem is not null)
        {
            IkeLog.PeerAuthenticationFailed(Log, Name, Uid, RemoteEapIdentity ?? RemoteId!.ToString(), problem);
            Refuse(now, request, local, remote, problem);
            return;
        }
        byte[] ours = EapAuthentication.ComputeAuth(Proposal!.Prf!, _msk!, SignedOctets(false, _localIdBody));
        HandleInitialContact(now, _firstAuthRequest!);
        CompleteAuthAsResponder(now, request, _firstAuthRequest!, [new AuthPayload(AuthMethod.SharedKeyMessageIntegrityCode, ours)], local, remote);
    }

    /// <summary>
    /// The last IKE_AUTH response: our authentication payloads, then virtual IPs and the first CHILD SA, both as the
    /// first IKE_AUTH request asked (with EAP that request came several rounds earlier).
    /// </summary>
    private void CompleteAuthAsResponder(DateTimeOffset now, IkeMessage request, IkeMessage first, List<Payload> payloads, IPEndPoint local, IPEndPoint remote)
    {
        _authPhase = AuthPhase.Done;
        bool addressFailure = false;
        if (first.Get<ConfigurationPayload>() is { ConfigType: ConfigType.Request } cp && Connection!.Pools.Count > 0)
        {
            ConfigurationPayload? reply = AssignVirtualIps(cp);
            if (reply is null) addressFailure = true;
            else payloads.Add(reply);
        }
        ChildSa? child = null;
        if (addressFailure)
        {
            // §3.15.4: no address, no CHILD SA; the IKE SA itself stands.
            payloads.Add(NotifyPayload.Of(NotifyType.InternalAddressFailure));
        }
        else if (first.Get<SaPayload>() is not null)
        {
            (child, List<Payload> childPayloads) = RespondChild(now, first, _nonceI, _nonceR, ignoreKeyExchange: true);
            payloads.AddRange(childPayloads);
        }
        AddMobikeSupported(payloads);
        Respond(ExchangeType.IkeAuth, request.Header.MessageId, payloads, local, remote);
        Established(now);
        if (child is not null) Install(child);
    }

    /// <summary>
    /// Leases an address of each requested family from the connection's pools, for the identity the peer proved
    /// (its EAP identity when it used EAP). Null when a requested family has no free address.
    /// </summary>
    private ConfigurationPayload? AssignVirtualIps(ConfigurationPayload request)
    {
        string identity = RemoteEapIdentity ?? RemoteId!.ToString();
        foreach (IPAddress asked in request.Addresses)
        {
            AddressFamily family = asked.AddressFamily;
            IPAddress? wanted = asked.Equals(IPAddress.Any) || asked.Equals(IPAddress.IPv6Any) ? null : asked;
            Lease? lease = _engine.Pools.Acquire(Connection!.Pools, identity, family, wanted, RemoteEndpoint);
            if (lease is null)
            {
                IkeLog.SaWarning(Log, Name, Uid, $"no {(family == AddressFamily.InterNetwork ? "IPv4" : "IPv6")} address left in pools {string.Join(", ", Connection.Pools)} for '{identity}'; sending INTERNAL_ADDRESS_FAILURE");
                ReleaseLeases();
                return null;
            }
            _leases.Add(lease);
        }
        if (_leases.Count == 0) return null;
        RemoteVirtualIps = _leases.Select(l => l.Address).ToArray();
        IkeLog.VirtualIpAssigned(Log, Name, Uid, string.Join(", ", RemoteVirtualIps), identity);
        return _engine.Pools.ReplyFor(_leases);
    }

    /// <summary>Returns the pool leases this IKE SA holds (when it dies without a successor).</summary>
    private void ReleaseLeases()
    {
        foreach (Lease lease in _leases) _engine.Pools.Release(lease);
        _leases.Clear();
    }

}
