using System.Buffers.Binary;
using System.Net;
using Portcullis.Core.Config;
using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Kdf;
using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ikev2;

/// <summary>
/// Rekeying (RFC 7296 §1.3.2, §1.3.3, §2.8) of CHILD SAs and of the IKE SA, by either side, with the collisions of
/// §2.8.1, §2.8.2 and §2.25 resolved as the RFC says, and reauthentication (a new IKE SA from scratch).
/// Make-before-break: the new CHILD SA is installed before the old one goes; the rekey responder keeps sending on the
/// old SA until the peer deletes it or sends on the new one, and the old inbound SA keeps accepting meanwhile.
/// </summary>
public sealed partial class IkeSa
{
    /// <summary>Our CREATE_CHILD_SA rekeying this IKE SA is queued or outstanding.</summary>
    private bool _ikeRekeying;

    /// <summary>The IKE SA that replaced this one (rekey or reauthentication); this one waits for its DELETE.</summary>
    private IkeSa? _rekeyedBy;

    /// <summary>A new IKE SA made as responder to the peer's rekey while our own IKE rekey was in flight (§2.8.2).</summary>
    private IkeSa? _collisionSuccessor;

    /// <summary>On a rekeyed IKE SA: the one it replaced (while that one still exists).</summary>
    private IkeSa? _rekeyOf;

    /// <summary>
    /// This IKE SA won a simultaneous rekey and waits for the peer to delete its redundant new SA before it is deleted
    /// itself (see <see cref="HandleIkeRekeyResponse"/>).
    /// </summary>
    private bool _deleteOnceRedundantGone;

    /// <summary>On a new IKE SA made by reauthentication: the IKE SA it replaces.</summary>
    private IkeSa? _reauthOf;

    private int _ikeRekeyRetries;

    /// <summary>
    /// Our IKE rekey exchange is on the wire (§2.25.2 refuses CHILD SA work then). One only queued behind another
    /// request is not: if the peer rekeys meanwhile, ours is dropped when its turn comes.
    /// </summary>
    private bool IkeRekeyInProgress => _outstanding?.Kind == RequestKind.IkeRekey;

    private static readonly TimeSpan s_retryAfterTemporaryFailure = TimeSpan.FromSeconds(2);

    /// <summary>
    /// An IKE rekey refused with TEMPORARY_FAILURE waits longer than a CHILD rekey: the peer is usually busy with a
    /// CHILD exchange it will retry itself (strongSwan after 5–15 s), and while our IKE rekey is on the wire we must
    /// refuse that retry (§2.25.2), so retrying sooner only makes both sides refuse each other again.
    /// </summary>
    private static readonly TimeSpan s_ikeRetryAfterTemporaryFailure = TimeSpan.FromSeconds(8);
    private static readonly TimeSpan s_retryAfterFailure = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The lowest of the four nonces of two colliding exchanges is in <paramref name="a"/>'s pair: the SA created by
    /// exchange a is the redundant one (RFC 7296 §2.8.1: octet-wise comparison).
    /// </summary>
    internal static bool LowestNonceIn((byte[] I, byte[] R) a, (byte[] I, byte[] R) b)
    {
        static int Compare(byte[] x, byte[] y) => x.AsSpan().SequenceCompareTo(y);
        byte[] lowA = Compare(a.I, a.R) <= 0 ? a.I : a.R;
        byte[] lowB = Compare(b.I, b.R) <= 0 ? b.I : b.R;
        return Compare(lowA, lowB) < 0;
    }

    /// <summary>
    /// Another installed CHILD SA of the same config and selectors that is nobody's loser: the successor the peer's
    /// rekey made, or the survivor of a simultaneous rekey.
    /// </summary>
    private ChildSa? LiveSibling(ChildSa old) =>
        _children.FirstOrDefault(c => c != old && c.Config == old.Config && c.State == ChildSaState.Installed && !c.Superseded && !c.IsRedundant
            && c.LocalTs.SequenceEqual(old.LocalTs) && c.RemoteTs.SequenceEqual(old.RemoteTs));

    private DateTimeOffset RetryTime(DateTimeOffset now, TimeSpan baseDelay) => now + baseDelay + baseDelay * _engine.RandomFraction();

    // ---------------------------------------------------------------------------------------------------------
    // CHILD SA rekey, initiator (§1.3.3)
    // ---------------------------------------------------------------------------------------------------------

    /// <summary>Rekeys a CHILD SA: CREATE_CHILD_SA with N(REKEY_SA), new SPI, nonce and (with PFS) a new key exchange.</summary>
    internal void RekeyChild(DateTimeOffset now, ChildSa old, string why = "on request", KeyExchangeTransform? group = null, int attempt = 0)
    {
        _engine.Touch(this);
        // A redundant SA (the loser of a simultaneous rekey) is its creator's to delete, never to renew.
        if (old.State != ChildSaState.Installed || old.Rekeying || old.ReplacedBy is not null || old.IsRedundant) return;
        old.Rekeying = true;
        uint spi = 0;
        byte[] nonce = [];
        IKeyExchange? ke = null;
        Request(now, ExchangeType.CreateChildSa, t =>
        {
            if (old.State != ChildSaState.Installed || old.ReplacedBy is not null || old.IsRedundant || old.IkeSa != this || State != IkeSaState.Established || _rekeyedBy is not null)
            {
                // Superseded while queued: the peer rekeyed it first, or the IKE SA moved on (its successor retries).
                old.Rekeying = false;
                if (old.State == ChildSaState.Installed && old.ReplacedBy is null) (old.RekeyAt, old.RekeyReason) = (t, "moved to the rekeyed IKE_SA");
                return null;
            }
            IkeLog.Rekeying(Log, Name, Uid, $"CHILD_SA {old.Name}{{{old.Uid}}}", why);
            spi = _engine.AllocateEspSpi();
            nonce = _engine.RandomBytes(32);
            var payloads = new List<Payload> { new NotifyPayload(NotifyType.RekeySa, [], old.Protocol, SpiBytes(old.InboundSpi)) };
            if (old.Mode == ChildMode.Transport) payloads.Add(NotifyPayload.Of(NotifyType.UseTransportMode));
            payloads.Add(new SaPayload(ProposalMatcher.ToWire(old.Config.ChildProposals, old.Protocol, SpiBytes(spi))));
            payloads.Add(new NoncePayload(nonce));
            // PFS: the group the old SA used, else the first configured one (RFC 7296 §1.3.3).
            KeyExchangeTransform? kex = group ?? old.Proposal.KeyExchange ?? old.Config.ChildProposals.SelectMany(p => p.KeyExchange).FirstOrDefault();
            if (kex is not null)
            {
                ke = kex.CreateInitiator();
                payloads.Add(new KePayload(kex.Id, ke.PublicValue));
            }
            payloads.Add(new TsPayload(PayloadType.TrafficSelectorInitiator, old.LocalTs));
            payloads.Add(new TsPayload(PayloadType.TrafficSelectorResponder, old.RemoteTs));
            return payloads;
        },
        (t, response) =>
        {
            using IKeyExchange? exchange = ke;
            old.Rekeying = false;
            HandleChildRekeyResponse(t, old, response, spi, nonce, exchange, attempt);
        }, RequestKind.ChildRekey);
    }

    private void HandleChildRekeyResponse(DateTimeOffset now, ChildSa old, IkeMessage response, uint spi, byte[] nonce, IKeyExchange? exchange, int attempt)
    {
        string what = $"CHILD_SA {old.Name}{{{old.Uid}}}";
        if (response.ErrorNotify is { } error)
        {
            switch (error.NotifyType)
            {
                case NotifyType.ChildSaNotFound when LiveSibling(old) is { } sibling:
                    // The peer already replaced it (its rekey won, or ours of an SA it had found redundant crossed its
                    // DELETE): the sibling carries the traffic, and creating another would leave a duplicate for good.
                    IkeLog.RekeyCollision(Log, Name, Uid, what, $"the peer no longer has it and {{{sibling.Uid}}} replaces it; nothing to recreate");
                    ActivateOutbound(sibling);
                    RemoveChild(old, "rekeyed");
                    return;
                case NotifyType.ChildSaNotFound:
                    // §2.25: the peer no longer has it; drop ours silently and create the CHILD SA afresh.
                    IkeLog.SaWarning(Log, Name, Uid, $"peer does not know {what} (CHILD_SA_NOT_FOUND); creating it afresh");
                    RemoveChild(old, "peer no longer has it");
                    InitiateChild(now, old.Config);
                    return;
                case NotifyType.InvalidKePayload when error.Data.Length == 2 && attempt < 2:
                    ushort wanted = BinaryPrimitives.ReadUInt16BigEndian(error.Data);
                    if (old.Config.ChildProposals.SelectMany(p => p.KeyExchange).FirstOrDefault(g => g.Id == wanted) is { } g)
                    {
                        IkeLog.InvalidKeRetry(Log, Name, Uid, g.Keyword, exchange is null ? "none" : "ours");
                        RekeyChild(now, old, "with the group the peer asked for", g, attempt + 1);
                        return;
                    }
                    break;
                case NotifyType.TemporaryFailure:
                    // §2.25: wait for whatever the peer is doing to finish, then try again.
                    (old.RekeyAt, old.RekeyReason) = (RetryTime(now, s_retryAfterTemporaryFailure), "retry after TEMPORARY_FAILURE");
                    IkeLog.RekeyRetry(Log, Name, Uid, what, error.NotifyType.RfcName(), (old.RekeyAt.Value - now).TotalSeconds);
                    return;
            }
            (old.RekeyAt, old.RekeyReason) = (RetryTime(now, s_retryAfterFailure), "retry");
            IkeLog.RekeyRetry(Log, Name, Uid, what, error.NotifyType.RfcName(), (old.RekeyAt.Value - now).TotalSeconds);
            return;
        }
        NoncePayload? nr = response.Get<NoncePayload>();
        SecretBuffer? shared = null;
        try
        {
            string? problem = nr is null ? "CREATE_CHILD_SA response without Nonce" : null;
            if (problem is null && exchange is not null)
            {
                KePayload? ker = response.Get<KePayload>();
                if (ker is null || exchange.Complete(ker.Data, out shared) != KeyExchangeError.None)
                    problem = "missing or invalid KE payload in CREATE_CHILD_SA response";
            }
            ChildSa? created = null;
            if (problem is null)
                problem = CreateInitiatedChild(now, old.Config, response, spi, old.LocalTs, old.RemoteTs,
                    shared is null ? ReadOnlySpan<byte>.Empty : shared.ReadOnlySpan, nonce, nr!.Nonce, ignoreKeyExchange: false, out created);
            if (problem is not null)
            {
                (old.RekeyAt, old.RekeyReason) = (RetryTime(now, s_retryAfterFailure), "retry");
                IkeLog.ChildSaFailed(Log, Name, Uid, old.Name, $"rekey failed: {problem}");
                return;
            }
            ChildSa fresh = created!;
            fresh.Replaces = old;
            if (old.State == ChildSaState.Deleted)
            {
                // The peer deleted the old SA while our rekey was under way (§2.25.1): it wants it gone, so the new one goes too.
                fresh.Replaces = null;
                fresh.OutboundActive = false;
                Install(fresh);
                DeleteChild(now, fresh, "the peer deleted the CHILD_SA it replaces");
                return;
            }
            if (old.ReplacedBy is { } theirs && !theirs.CreatedByUs && theirs.State == ChildSaState.Installed)
            {
                // §2.8.1: both ends rekeyed at once. The SA of the exchange holding the lowest nonce is redundant and
                // its creator deletes it; the creator of the survivor deletes the old SA.
                if (LowestNonceIn((fresh.NonceI, fresh.NonceR), (theirs.NonceI, theirs.NonceR)))
                {
                    IkeLog.RekeyCollision(Log, Name, Uid, what, $"ours {{{fresh.Uid}}} is redundant and is deleted, the peer's {{{theirs.Uid}}} stays");
                    fresh.OutboundActive = false;
                    Install(fresh);
                    DeleteChild(now, fresh, "redundant after a simultaneous rekey");
                    return;
                }
                IkeLog.RekeyCollision(Log, Name, Uid, what, $"ours {{{fresh.Uid}}} stays, the peer deletes its {{{theirs.Uid}}}");
            }
            old.ReplacedBy = fresh;
            Install(fresh);
            IkeLog.ChildSaRekeyed(Log, Name, Uid, old.Name, old.Uid, fresh.Uid, fresh.InboundSpi, fresh.OutboundSpi, "by us");
            DeleteChild(now, old, "rekeyed");
        }
        finally
        {
            shared?.Dispose();
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // CHILD SA rekey, responder
    // ---------------------------------------------------------------------------------------------------------

    /// <summary>
    /// The CHILD SA a REKEY_SA notify names, or null after answering the collision notify §2.25 prescribes.
    /// </summary>
    private ChildSa? FindChildToRekey(NotifyPayload rekey, uint messageId, IPEndPoint local, IPEndPoint remote)
    {
        uint spi = rekey.Spi.Length == 4 ? BinaryPrimitives.ReadUInt32BigEndian(rekey.Spi) : 0;
        ChildSa? old = _children.FirstOrDefault(c => c.OutboundSpi == spi && c.Protocol == rekey.Protocol && c.State != ChildSaState.Deleted);
        string why;
        NotifyPayload refusal;
        if (old is null && _outstanding?.Kind is RequestKind.ChildRekey or RequestKind.ChildCreate)
        {
            // The SA may be the one our own exchange is creating: the peer answered it (and now rekeys what it made),
            // but the response has not reached us yet. CHILD_SA_NOT_FOUND would make strongSwan drop that SA and
            // create another, leaving us sending on one it no longer has; it retries after TEMPORARY_FAILURE.
            why = $"no CHILD_SA with SPI {spi:x8} yet: our own {_outstanding.Kind} exchange may be creating it";
            refusal = NotifyPayload.Of(NotifyType.TemporaryFailure);
        }
        else if (old is null)
        {
            why = $"no CHILD_SA with SPI {spi:x8}";
            refusal = new NotifyPayload(NotifyType.ChildSaNotFound, [], rekey.Protocol, rekey.Spi);
        }
        else if (old.State == ChildSaState.Deleting || old.ReplacedBy is { CreatedByUs: true })
        {
            why = $"CHILD_SA {old.Name}{{{old.Uid}}} is being deleted";
            refusal = NotifyPayload.Of(NotifyType.TemporaryFailure);
        }
        else if (IkeRekeyInProgress)
        {
            why = "we are rekeying the IKE_SA";
            refusal = NotifyPayload.Of(NotifyType.TemporaryFailure);
        }
        else
        {
            return old;
        }
        IkeLog.CollisionRefused(Log, Name, Uid, refusal.NotifyType.RfcName(), "CHILD_SA rekey", why);
        Respond(ExchangeType.CreateChildSa, messageId, [refusal], local, remote);
        return null;
    }

    /// <summary>We answered the peer's rekey of <paramref name="old"/> with <paramref name="fresh"/>.</summary>
    private void AcceptChildRekey(ChildSa old, ChildSa fresh)
    {
        fresh.Replaces = old;
        fresh.OutboundActive = false;
        // Our own rekey of it may be in flight (§2.8.1): its response decides which new SA survives.
        old.ReplacedBy = fresh;
        IkeLog.ChildSaRekeyed(Log, Name, Uid, old.Name, old.Uid, fresh.Uid, fresh.InboundSpi, fresh.OutboundSpi, "by the peer");
    }

    /// <summary>
    /// Make-before-break, responder side: the peer sends on the new SA (or deleted the old one), so we send on it too.
    /// Only the surviving successor of its predecessor is ever activated.
    /// </summary>
    internal void ActivateOutbound(ChildSa child)
    {
        _engine.Touch(this);
        if (child.OutboundActive || child.State != ChildSaState.Installed) return;
        if (child.Replaces is { } previous && previous.ReplacedBy != child) return;
        child.OutboundActive = true;
        _engine.Emit(new ChildSaOutboundActivated(child));
    }

    // ---------------------------------------------------------------------------------------------------------
    // IKE SA rekey (§1.3.2, §2.18), initiator
    // ---------------------------------------------------------------------------------------------------------

    /// <summary>Rekeys this IKE SA: CREATE_CHILD_SA with an IKE proposal, new SPI, nonce and key exchange.</summary>
    internal void RekeyIke(DateTimeOffset now, KeyExchangeTransform? group = null)
    {
        _engine.Touch(this);
        if (_ikeRekeying || State != IkeSaState.Established || _rekeyedBy is not null) return;
        _ikeRekeying = true;
        ulong spi = 0;
        byte[] nonce = [];
        IKeyExchange? ke = null;
        KeyExchangeTransform kex = group ?? Proposal!.KeyExchange!;
        Request(now, ExchangeType.CreateChildSa, t =>
        {
            if (State != IkeSaState.Established || _rekeyedBy is not null)
            {
                _ikeRekeying = false;
                return null;
            }
            IkeLog.Rekeying(Log, Name, Uid, "IKE_SA", group is null ? "rekey_time" : "with the group the peer asked for");
            spi = _engine.AllocateIkeSpi();
            nonce = _engine.RandomBytes(32);
            ke = kex.CreateInitiator();
            var spiBytes = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(spiBytes, spi);
            return
            [
                new SaPayload(ProposalMatcher.ToWire(Connection!.Proposals, ProtocolId.Ike, spiBytes)),
                new NoncePayload(nonce),
                new KePayload(kex.Id, ke.PublicValue),
            ];
        },
        (t, response) =>
        {
            using IKeyExchange? exchange = ke;
            _ikeRekeying = false;
            HandleIkeRekeyResponse(t, response, spi, nonce, exchange!, kex);
        }, RequestKind.IkeRekey);
    }

    private void HandleIkeRekeyResponse(DateTimeOffset now, IkeMessage response, ulong spi, byte[] nonce, IKeyExchange exchange, KeyExchangeTransform group)
    {
        if (State != IkeSaState.Established) return;
        if (response.ErrorNotify is { } error)
        {
            if (error.NotifyType == NotifyType.InvalidKePayload && error.Data.Length == 2 && _ikeRekeyRetries++ < 2
                && Connection!.Proposals.SelectMany(p => p.KeyExchange).FirstOrDefault(g => g.Id == BinaryPrimitives.ReadUInt16BigEndian(error.Data)) is { } wanted)
            {
                IkeLog.InvalidKeRetry(Log, Name, Uid, wanted.Keyword, group.Keyword);
                RekeyIke(now, wanted);
                return;
            }
            _ikeRekeyAt = RetryTime(now, error.NotifyType == NotifyType.TemporaryFailure ? s_ikeRetryAfterTemporaryFailure : s_retryAfterFailure);
            IkeLog.RekeyRetry(Log, Name, Uid, "IKE_SA", error.NotifyType.RfcName(), (_ikeRekeyAt.Value - now).TotalSeconds);
            return;
        }
        _ikeRekeyRetries = 0;
        SaPayload? sa = response.Get<SaPayload>();
        KePayload? ker = response.Get<KePayload>();
        NoncePayload? nr = response.Get<NoncePayload>();
        NegotiatedProposal? chosen = sa is { Proposals.Count: 1 } ? ProposalMatcher.Select(Connection!.Proposals, sa.Proposals, ProtocolId.Ike, false, out _) : null;
        string? problem = sa is null || ker is null || nr is null ? "IKE rekey response lacks SA, KE or Nonce"
            : chosen is null || chosen.Prf is null || chosen.KeyExchange?.Id != group.Id || ker.Group != group.Id ? $"peer selected {ProposalMatcher.Describe(sa.Proposals)}, not what we offered"
            : chosen.Spi.Length != 8 || BinaryPrimitives.ReadUInt64BigEndian(chosen.Spi) == 0 ? "peer's new IKE SPI is not 8 bytes"
            : null;
        SecretBuffer? shared = null;
        if (problem is null && exchange.Complete(ker!.Data, out shared) != KeyExchangeError.None) problem = "peer's KE data refused";
        if (problem is not null)
        {
            shared?.Dispose();
            _ikeRekeyAt = RetryTime(now, s_retryAfterFailure);
            IkeLog.SaWarning(Log, Name, Uid, $"IKE_SA rekey failed: {problem}; retrying in {(_ikeRekeyAt.Value - now).TotalSeconds:0} s");
            return;
        }
        IkeSa fresh;
        using (shared)
            fresh = CreateRekeyedIkeSa(now, initiator: true, spi, BinaryPrimitives.ReadUInt64BigEndian(chosen!.Spi), chosen, shared!, nonce, nr!.Nonce.ToArray());
        IkeLog.IkeSaRekeyed(Log, Name, Uid, fresh.Uid, fresh.InitiatorSpi, fresh.ResponderSpi, "by us");
        bool wonCollision = false;
        if (_collisionSuccessor is { State: IkeSaState.Established } theirs)
        {
            // §2.8.2: both ends rekeyed the IKE SA at once; the lowest-nonce rule picks the survivor.
            if (LowestNonceIn((fresh._nonceI, fresh._nonceR), (theirs._nonceI, theirs._nonceR)))
            {
                IkeLog.RekeyCollision(Log, Name, Uid, "the IKE_SA", $"ours [{fresh.Uid}] is redundant and is deleted, the peer's [{theirs.Uid}] stays");
                fresh.Delete(now, "redundant after a simultaneous IKE_SA rekey");
                // The peer, whose SA survives, deletes this one.
                ExpireIn(now, PeerRekeyPatience, "the peer never deleted the rekeyed IKE_SA");
                return;
            }
            IkeLog.RekeyCollision(Log, Name, Uid, "the IKE_SA", $"ours [{fresh.Uid}] stays, the peer deletes its [{theirs.Uid}]");
            theirs.MoveChildrenTo(now, fresh);
            // Should the peer never learn that it lost (our response to it lost for good), we delete its SA ourselves.
            theirs.ExpireIn(now, PeerRekeyPatience, "the peer never deleted its redundant IKE_SA");
            wonCollision = true;
        }
        MoveChildrenTo(now, fresh);
        _rekeyedBy = fresh;
        if (!wonCollision)
        {
            Delete(now, "rekeyed");
            return;
        }
        // The peer deletes its redundant SA once our response to its rekey reaches it; only then does this one go.
        // strongSwan takes a DELETE of this SA that overtakes that response (its threads may handle them in either
        // order) for a rekey of ours that never saw its own, and drops its new SA without a word, which would leave
        // us waiting for a DELETE that never comes. Should the peer not delete it, this SA goes anyway soon.
        _deleteOnceRedundantGone = true;
        ExpireIn(now, _engine.Options.RetransmitTimeout, "rekeyed");
    }

    /// <summary>The peer's redundant SA of a rekey collision is gone: the IKE SA both rekeyed goes now.</summary>
    private void RedundantSuccessorGone(DateTimeOffset now)
    {
        if (_rekeyOf is { _deleteOnceRedundantGone: true, State: IkeSaState.Established } previous && previous._rekeyedBy != this)
        {
            previous._deleteOnceRedundantGone = false;
            previous.Delete(now, "rekeyed");
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // IKE SA rekey, responder
    // ---------------------------------------------------------------------------------------------------------

    private void HandleIkeRekeyRequest(DateTimeOffset now, IkeMessage request, SaPayload sa, IPEndPoint local, IPEndPoint remote)
    {
        uint id = request.Header.MessageId;
        // §2.25.2: not while we are deleting it, nor while a CHILD SA of ours is being created, rekeyed or deleted.
        string? busy = State == IkeSaState.Deleting || _rekeyedBy is not null ? "the IKE_SA is being deleted"
            : _outstanding?.Kind is RequestKind.ChildCreate or RequestKind.ChildRekey or RequestKind.ChildDelete ? $"our {_outstanding.Kind} exchange is under way"
            : null;
        if (busy is not null)
        {
            IkeLog.CollisionRefused(Log, Name, Uid, "TEMPORARY_FAILURE", "IKE_SA rekey", busy);
            Respond(ExchangeType.CreateChildSa, id, [NotifyPayload.Of(NotifyType.TemporaryFailure)], local, remote);
            return;
        }
        KePayload? kei = request.Get<KePayload>();
        NoncePayload? ni = request.Get<NoncePayload>();
        if (kei is null || ni is null)
        {
            Respond(ExchangeType.CreateChildSa, id, [NotifyPayload.Of(NotifyType.InvalidSyntax)], local, remote);
            return;
        }
        NegotiatedProposal? chosen = ProposalMatcher.Select(Connection!.Proposals, sa.Proposals, ProtocolId.Ike, false, out string? mismatch);
        if (chosen is null || chosen.Prf is null || chosen.KeyExchange is null || chosen.Spi.Length != 8)
        {
            IkeLog.NoProposalChosen(Log, Name, Uid, ProposalMatcher.Describe(sa.Proposals), ProposalMatcher.Describe(Connection.Proposals), mismatch ?? "IKE SPI",
                ProposalMatcher.ExplainMismatch(Name, Connection.Proposals, Connection.Compat, sa.Proposals, ProtocolId.Ike, ignoreKeyExchange: false));
            Respond(ExchangeType.CreateChildSa, id, [NotifyPayload.Of(NotifyType.NoProposalChosen)], local, remote);
            return;
        }
        if (kei.Group != chosen.KeyExchange.Id)
        {
            var data = new byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(data, chosen.KeyExchange.Id);
            Respond(ExchangeType.CreateChildSa, id, [new NotifyPayload(NotifyType.InvalidKePayload, data)], local, remote);
            return;
        }
        using IKeyExchange ke = chosen.KeyExchange.CreateResponder();
        if (ke.Respond(kei.Data, out SecretBuffer? shared) != KeyExchangeError.None)
        {
            Respond(ExchangeType.CreateChildSa, id, [NotifyPayload.Of(NotifyType.InvalidSyntax)], local, remote);
            return;
        }
        byte[] nr = _engine.RandomBytes(32);
        ulong ourSpi = _engine.AllocateIkeSpi();
        IkeSa fresh;
        using (shared)
            fresh = CreateRekeyedIkeSa(now, initiator: false, BinaryPrimitives.ReadUInt64BigEndian(chosen.Spi), ourSpi, chosen, shared!, ni.Nonce.ToArray(), nr);
        var spiBytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(spiBytes, ourSpi);
        Respond(ExchangeType.CreateChildSa, id, [new SaPayload([chosen.ToWire(spiBytes)]), new NoncePayload(nr), new KePayload(chosen.KeyExchange.Id, ke.PublicValue)], local, remote);
        IkeLog.IkeSaRekeyed(Log, Name, Uid, fresh.Uid, fresh.InitiatorSpi, fresh.ResponderSpi, "by the peer");
        // From now on the new IKE SA carries the CHILD SAs; our own rekey, if in flight, may still take them (§2.8.2).
        if (_ikeRekeying) _collisionSuccessor = fresh;
        MoveChildrenTo(now, fresh);
        _rekeyedBy = fresh;
        // The peer deletes this one; should it never do so, we do after a while. Not while our own rekey of it is
        // still in flight: its response decides which new IKE SA survives, and who deletes this one.
        if (!_ikeRekeying) ExpireIn(now, PeerRekeyPatience, "the peer never deleted the rekeyed IKE_SA");
    }

    /// <summary>The successor IKE SA of a rekey: keys from SK_d of this one (§2.18), identities and endpoints inherited.</summary>
    private IkeSa CreateRekeyedIkeSa(DateTimeOffset now, bool initiator, ulong spiI, ulong spiR, NegotiatedProposal chosen, SecretBuffer shared, byte[] nonceI, byte[] nonceR)
    {
        var fresh = new IkeSa(_engine, _engine.NextUid(), Connection, initiator, spiI, spiR, LocalEndpoint, RemoteEndpoint, now)
        {
            Proposal = chosen,
            LocalId = LocalId,
            RemoteId = RemoteId,
            LocalBehindNat = LocalBehindNat,
            RemoteBehindNat = RemoteBehindNat,
            // Fragmentation was agreed in IKE_SA_INIT and carries over to the rekeyed SA (RFC 7383 §2.3).
            _announcedFragmentation = _announcedFragmentation,
            PeerSupportsFragmentation = PeerSupportsFragmentation,
            _rekeyOf = this,
            // Virtual IPs belong to the peer, not to one IKE SA: they move to the successor with its leases.
            LocalVirtualIps = LocalVirtualIps,
            RemoteVirtualIps = RemoteVirtualIps,
            ReceivedDns = ReceivedDns,
            RemoteEapIdentity = RemoteEapIdentity,
            RemoteCertificate = RemoteCertificate,
            // The nonces of the exchange that made it: its keys and the lowest-nonce rule of §2.8.2 use them.
            _nonceI = nonceI,
            _nonceR = nonceR,
        };
        fresh._leases.AddRange(_leases);
        _leases.Clear();
        // SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), with the old SA's PRF; prf+ then uses the new one.
        using (SecretBuffer skeyseed = Ikev2KeyDerivation.RekeySkeySeed(Proposal!.Prf!, Keys!.SkD.ReadOnlySpan, shared.ReadOnlySpan, nonceI, nonceR))
            fresh.InstallKeys(skeyseed);
        InheritMobike(fresh);
        fresh._halfOpenDeadline = null;
        fresh.State = IkeSaState.Established;
        fresh.EstablishedAt = now;
        fresh.ScheduleIkeLifetimes(now);
        fresh.StartKeepalives(now);
        _engine.Register(fresh);
        _engine.Emit(new IkeSaEstablished(fresh));
        return fresh;
    }

    /// <summary>
    /// How long we wait for the peer to delete an IKE SA it should delete after a rekey: as long as it may still be
    /// retransmitting a request of its own on it (its response lost), so that we never delete an SA under a rekey the
    /// peer has not finished, which would take the CHILD SAs waiting on it along.
    /// </summary>
    private TimeSpan PeerRekeyPatience => _engine.Options.RetransmitBudget + _engine.Options.RetransmitTimeout;

    private void ExpireIn(DateTimeOffset now, TimeSpan delay, string reason)
    {
        _ikeExpireAt = now + delay;
        _expireReason = reason;
        _awaitingPeerDelete = true;
    }

    /// <summary>
    /// The peer deletes an IKE SA we made as responder to its rekey while our own rekey of the same IKE SA is still
    /// waiting for its response (the peer found its SA redundant, §2.8.2): the CHILD SAs are not the peer's to take
    /// with it. They go back to the IKE SA being rekeyed, which hands them to our new SA when the response comes.
    /// </summary>
    private void ReturnChildrenIfRedundantSuccessor(DateTimeOffset now)
    {
        if (_rekeyOf is not { } previous || previous._collisionSuccessor != this || !previous._ikeRekeying || previous.State != IkeSaState.Established) return;
        IkeLog.RekeyCollision(Log, Name, Uid, "the IKE_SA", $"the peer deleted [{Uid}] as redundant; the CHILD SAs wait on [{previous.Uid}] for our own rekey to finish");
        MoveChildrenTo(now, previous);
        previous._rekeyedBy = null;
        previous._collisionSuccessor = null;
    }

    /// <summary>Hands every CHILD SA to <paramref name="successor"/>; control exchanges for them now run there.</summary>
    private void MoveChildrenTo(DateTimeOffset now, IkeSa successor)
    {
        _engine.Touch(successor); // its CHILD SAs' lifetimes are now its timers
        foreach (ChildSa child in _children)
        {
            child.IkeSa = successor;
            // A CHILD rekey queued on this IKE SA is dropped with it; the successor does it soon instead.
            if (child.Rekeying)
            {
                child.Rekeying = false;
                (child.RekeyAt, child.RekeyReason) = (now, "moved to the rekeyed IKE_SA");
            }
            successor._children.Add(child);
        }
        ChildSa[] deleting = [.. _children.Where(c => c.State == ChildSaState.Deleting)];
        _children.Clear();
        // A DELETE still queued here goes with this IKE SA: the successor sends it instead, or the CHILD SA it was
        // for would stay installed at both ends for good.
        foreach (ChildSa child in deleting)
        {
            child.State = ChildSaState.Installed;
            successor.DeleteChild(now, child, child.DeleteReason ?? "rekeyed");
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Reauthentication
    // ---------------------------------------------------------------------------------------------------------

    /// <summary>
    /// reauth_time: a new IKE SA from scratch (IKE_SA_INIT, IKE_AUTH) with the same CHILD SAs, made before the old one
    /// is deleted, so traffic moves over without a gap.
    /// </summary>
    private void Reauthenticate(DateTimeOffset now)
    {
        IkeSa? fresh = _engine.StartReauthentication(now, this, _children.Select(c => c.Config).Distinct().ToList());
        if (fresh is null)
        {
            // No address to initiate to (a responder-only connection): a rekey at least renews the keys.
            RekeyIke(now);
            return;
        }
        fresh._reauthOf = this;
        IkeLog.Reauthenticating(Log, Name, Uid, fresh.Uid);
    }

    /// <summary>After the new IKE SA's last CHILD SA: the old IKE SA is deleted (its SAs are replaced by now).</summary>
    private void FinishReauthentication(DateTimeOffset now)
    {
        if (_reauthOf is not { } old) return;
        Request(now, ExchangeType.Informational, t =>
        {
            old._rekeyedBy ??= this;
            old.Delete(t, "reauthenticated");
            _reauthOf = null;
            return null;
        }, (_, _) => { });
    }

    /// <summary>INITIAL_CONTACT (RFC 7296 §2.4): the peer has no other IKE SA with us, so any we still hold are stale.</summary>
    private void HandleInitialContact(DateTimeOffset now, IkeMessage message)
    {
        if (message.Notify(NotifyType.InitialContact) is null || RemoteId is null) return;
        foreach (IkeSa stale in _engine.IkeSasWithRemoteId(RemoteId).Where(s => s != this && s.State is IkeSaState.Established or IkeSaState.Deleting
            && Equals(s.RemoteId, RemoteId) && Equals(s.LocalId, LocalId)).ToArray())
        {
            IkeLog.InitialContact(Log, Name, Uid, RemoteId!.ToString(), stale.Uid);
            stale.Remove(now, $"stale: the peer restarted (INITIAL_CONTACT on {Name}[{Uid}])");
        }
    }
}
