using Portcullis.Core.Config;
using Portcullis.Core.Ikev2.Wire;
using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Ikev2;

/// <summary>IKE_AUTH (RFC 7296 §1.2, §2.15) with a pre-shared key, carrying the first CHILD SA.</summary>
public sealed partial class IkeSa
{
    private ChildConfig? _authChild;
    private uint _authChildSpi;
    private IReadOnlyList<TrafficSelector> _authTsI = [], _authTsR = [];
    private readonly List<ChildConfig> _pendingChildren = [];

    /// <summary>Children to create with CREATE_CHILD_SA once the IKE SA is up.</summary>
    internal void QueueChild(DateTimeOffset now, ChildConfig child)
    {
        if (State == IkeSaState.Established) InitiateChild(now, child);
        else if (_authChild is null && State == IkeSaState.Connecting && IsInitiator) _authChild = child;
        else _pendingChildren.Add(child);
    }

    // --- Initiator ---

    private void SendIkeAuthRequest(DateTimeOffset now)
    {
        ConnectionConfig conn = Connection!;
        LocalId = conn.Local.Id ?? Identity.FromAddress(LocalEndpoint.Address);
        Identity expectedRemote = conn.Remote.Id ?? Identity.FromAddress(RemoteEndpoint.Address);
        SharedSecret? secret = _engine.Config.FindSharedSecret(LocalId, expectedRemote);
        if (secret is null)
        {
            Remove(now, $"no shared key found for '{LocalId}' - '{expectedRemote}'");
            return;
        }
        var idi = new IdPayload(PayloadType.IdInitiator, LocalId);
        byte[] auth = PskAuthentication.Compute(Proposal!.Prf!, secret.Secret, _initRequest, _nonceR, Keys!.SkPi.ReadOnlySpan, idi.BodyBytes());
        var payloads = new List<Payload> { idi };
        // First contact with this peer (and not a reauthentication): let it drop whatever it kept from before (§2.4).
        if (_reauthOf is null && !_engine.HasOtherIkeSa(this)) payloads.Add(NotifyPayload.Of(NotifyType.InitialContact));
        if (conn.Remote.Id is not null) payloads.Add(new IdPayload(PayloadType.IdResponder, conn.Remote.Id));
        payloads.Add(new AuthPayload(AuthMethod.SharedKeyMessageIntegrityCode, auth));
        AddMobikeSupported(payloads);
        if (_authChild is { } child)
        {
            _authChildSpi = _engine.AllocateEspSpi();
            _authTsI = LocalSelectors(child);
            _authTsR = RemoteSelectors(child);
            if (child.Mode == ChildMode.Transport) payloads.Add(NotifyPayload.Of(NotifyType.UseTransportMode));
            payloads.Add(new SaPayload(ProposalMatcher.ToWire(child.EspProposals, ProtocolId.Esp, SpiBytes(_authChildSpi), withKeyExchange: false)));
            payloads.Add(new TsPayload(PayloadType.TrafficSelectorInitiator, _authTsI));
            payloads.Add(new TsPayload(PayloadType.TrafficSelectorResponder, _authTsR));
        }
        Request(now, ExchangeType.IkeAuth, _ => payloads, HandleIkeAuthResponse);
    }

    private void HandleIkeAuthResponse(DateTimeOffset now, IkeMessage response)
    {
        ConnectionConfig conn = Connection!;
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
        if (conn.Remote.Id is not null && !conn.Remote.Id.Equals(idr.Identity))
        {
            IkeLog.PeerAuthenticationFailed(Log, Name, Uid, idr.Identity.ToString());
            Remove(now, $"peer identified as '{idr.Identity}', configured '{conn.Remote.Id}'");
            return;
        }
        SharedSecret? secret = _engine.Config.FindSharedSecret(LocalId!, idr.Identity);
        byte[]? expected = secret is null ? null
            : PskAuthentication.Compute(Proposal!.Prf!, secret.Secret, _initResponse, _nonceI, Keys!.SkPr.ReadOnlySpan, idr.BodyBytes());
        if (auth.Method != AuthMethod.SharedKeyMessageIntegrityCode || expected is null || !PskAuthentication.Verify(expected, auth.Data))
        {
            IkeLog.PeerAuthenticationFailed(Log, Name, Uid, idr.Identity.ToString());
            Remove(now, $"authentication of '{idr.Identity}' failed");
            return;
        }
        RemoteId = idr.Identity;
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

    private void Established(DateTimeOffset now)
    {
        State = IkeSaState.Established;
        EstablishedAt = now;
        _halfOpenDeadline = null;
        ScheduleIkeLifetimes(now);
        _engine.LeftHalfOpen(this);
        IkeLog.IkeSaEstablished(Log, Name, Uid, LocalEndpoint, LocalId!.ToString(), RemoteEndpoint, RemoteId!.ToString(), Proposal!.ToString(), InitiatorSpi, ResponderSpi);
        _engine.Emit(new IkeSaEstablished(this));
    }

    // --- Responder ---

    private void HandleIkeAuthRequest(DateTimeOffset now, IkeMessage request, System.Net.IPEndPoint local, System.Net.IPEndPoint remote)
    {
        IdPayload? idi = request.Get<IdPayload>(PayloadType.IdInitiator);
        IdPayload? idr = request.Get<IdPayload>(PayloadType.IdResponder);
        AuthPayload? auth = request.Get<AuthPayload>();
        if (idi is null || auth is null)
        {
            IkeLog.DroppedForSa(Log, Name, Uid, "IKE_AUTH", request.Header.MessageId, remote, "no IDi or AUTH payload (EAP is not supported yet)");
            Respond(ExchangeType.IkeAuth, request.Header.MessageId, [NotifyPayload.Of(NotifyType.AuthenticationFailed)], local, remote);
            Remove(now, "IKE_AUTH without IDi or AUTH");
            return;
        }
        ConnectionConfig? conn = _engine.FindConnectionForAuth(LocalEndpoint.Address, RemoteEndpoint.Address, idi.Identity, idr?.Identity, Connection!);
        Identity localId = conn?.Local.Id ?? Identity.FromAddress(LocalEndpoint.Address);
        SharedSecret? secret = conn is null ? null : _engine.Config.FindSharedSecret(localId, idi.Identity);
        byte[]? expected = secret is null ? null
            : PskAuthentication.Compute(Proposal!.Prf!, secret.Secret, _initRequest, _nonceR, Keys!.SkPi.ReadOnlySpan, idi.BodyBytes());
        if (conn is null || auth.Method != AuthMethod.SharedKeyMessageIntegrityCode || expected is null || !PskAuthentication.Verify(expected, auth.Data))
        {
            if (conn is not null) Connection = conn;
            IkeLog.PeerAuthenticationFailed(Log, Name, Uid, idi.Identity.ToString());
            Respond(ExchangeType.IkeAuth, request.Header.MessageId, [NotifyPayload.Of(NotifyType.AuthenticationFailed)], local, remote);
            Remove(now, conn is null ? $"no connection for peer identity '{idi.Identity}'"
                : secret is null ? $"no shared key for '{localId}' - '{idi.Identity}'" : $"authentication of '{idi.Identity}' failed");
            return;
        }
        Connection = conn;
        LocalId = localId;
        RemoteId = idi.Identity;
        NoteMobikeSupport(request);
        HandleInitialContact(now, request);
        var ourId = new IdPayload(PayloadType.IdResponder, localId);
        byte[] ourAuth = PskAuthentication.Compute(Proposal!.Prf!, secret!.Secret, _initResponse, _nonceI, Keys!.SkPr.ReadOnlySpan, ourId.BodyBytes());
        var payloads = new List<Payload> { ourId, new AuthPayload(AuthMethod.SharedKeyMessageIntegrityCode, ourAuth) };
        AddMobikeSupported(payloads);
        ChildSa? child = null;
        if (request.Get<SaPayload>() is not null)
        {
            (child, List<Payload> childPayloads) = RespondChild(now, request, _nonceI, _nonceR, ignoreKeyExchange: true);
            payloads.AddRange(childPayloads);
        }
        Respond(ExchangeType.IkeAuth, request.Header.MessageId, payloads, local, remote);
        Established(now);
        if (child is not null) Install(child);
    }
}
