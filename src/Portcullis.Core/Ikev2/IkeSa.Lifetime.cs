using Portcullis.Core.Config;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ikev2;

/// <summary>
/// Lifetimes and liveness (RFC 7296 §2.4, §2.8): when the IKE SA and its CHILD SAs rekey, reauthenticate or expire,
/// dead peer detection with <c>dpd_delay</c>/<c>dpd_timeout</c>, and what <c>dpd_action</c> does once the peer is dead.
/// </summary>
public sealed partial class IkeSa
{
    private DateTimeOffset? _ikeRekeyAt, _reauthAt, _ikeExpireAt;
    private string _expireReason = "IKE_SA lifetime expired";

    /// <summary>Superseded by a rekey and only waiting for the peer's DELETE: nothing of its own is started on it.</summary>
    private bool _awaitingPeerDelete;
    private DateTimeOffset _lastInbound;

    /// <summary>Last time an authenticated message arrived from the peer.</summary>
    public DateTimeOffset LastInbound => _lastInbound;

    /// <summary>rekey_time less a random part of rand_time, so that both ends rarely rekey at once (§2.8.1).</summary>
    private DateTimeOffset? Jittered(DateTimeOffset now, TimeSpan interval, TimeSpan rand)
    {
        if (interval <= TimeSpan.Zero) return null;
        if (rand > interval) rand = interval;
        return now + interval - rand * _engine.RandomFraction();
    }

    private ulong JitteredVolume(ulong limit, ulong rand)
    {
        if (limit == 0) return 0;
        if (rand > limit) rand = limit;
        return limit - (ulong)(rand * _engine.RandomFraction());
    }

    /// <summary>Schedules rekeying, reauthentication and the hard expiry of a freshly established IKE SA.</summary>
    private void ScheduleIkeLifetimes(DateTimeOffset now)
    {
        ConnectionConfig conn = Connection!;
        _lastInbound = now;
        _ikeRekeyAt = Jittered(now, conn.RekeyTime, conn.EffectiveRandTime);
        _reauthAt = Jittered(now, conn.ReauthTime, conn.EffectiveRandTime);
        TimeSpan longest = conn.RekeyTime > conn.ReauthTime ? conn.RekeyTime : conn.ReauthTime;
        _ikeExpireAt = longest > TimeSpan.Zero ? now + longest + conn.EffectiveOverTime : null;
    }

    /// <summary>Schedules the soft and hard limits of a new CHILD SA from its configuration.</summary>
    private void ScheduleChildLifetimes(ChildSa child, DateTimeOffset now)
    {
        ChildConfig c = child.Config;
        child.RekeyAt = Jittered(now, c.RekeyTime, c.EffectiveRandTime);
        child.ExpireAt = c.EffectiveLifeTime > TimeSpan.Zero ? now + c.EffectiveLifeTime : null;
        child.RekeyBytes = JitteredVolume(c.RekeyBytes, c.EffectiveRandBytes);
        child.LifeBytes = c.EffectiveLifeBytes;
        child.RekeyPackets = JitteredVolume(c.RekeyPackets, c.EffectiveRandPackets);
        child.LifePackets = c.EffectiveLifePackets;
    }

    /// <summary>When the outstanding request counts as unanswered for good (dpd_timeout); null: no such limit now.</summary>
    private DateTimeOffset? DpdDeadline =>
        _outstanding is { } o && Connection!.DpdTimeout > TimeSpan.Zero ? o.FirstSent + Connection.DpdTimeout : null;

    /// <summary>When a liveness check is due (dpd_delay after the last sign of life, with nothing else on the way).</summary>
    private DateTimeOffset? DpdDueAt =>
        Connection!.DpdDelay > TimeSpan.Zero && _outstanding is null && _queue.Count == 0 ? _lastInbound + Connection.DpdDelay : null;

    /// <summary>The earliest lifetime or liveness event; null when none is pending.</summary>
    private DateTimeOffset? LifetimeTimeout
    {
        get
        {
            if (State is not (IkeSaState.Established or IkeSaState.Deleting)) return null;
            DateTimeOffset? t = null;
            void Min(DateTimeOffset? x) { if (x is { } v && (t is null || v < t)) t = v; }
            Min(DpdDeadline);
            if (State != IkeSaState.Established) return t;
            Min(_ikeExpireAt);
            if (_rekeyedBy is not null || _awaitingPeerDelete) return t;
            Min(_ikeRekeyAt);
            Min(_reauthAt);
            Min(DpdDueAt);
            foreach (ChildSa child in _children)
            {
                if (child.State != ChildSaState.Installed) continue;
                Min(child.ExpireAt);
                if (!child.Rekeying && child.ReplacedBy is null && !child.IsRedundant) Min(child.RekeyAt);
            }
            return t;
        }
    }

    private void HandleLifetimes(DateTimeOffset now)
    {
        if (State is not (IkeSaState.Established or IkeSaState.Deleting)) return;
        if (DpdDeadline is { } deadline && now >= deadline && _outstanding is { } o)
        {
            PeerDead(now, $"no answer to {o.Exchange} request {o.MessageId} within dpd_timeout ({Connection!.DpdTimeout.TotalSeconds:0} s)");
            return;
        }
        if (State != IkeSaState.Established) return;
        if (_ikeExpireAt is { } expire && now >= expire)
        {
            _ikeExpireAt = null;
            Delete(now, _expireReason);
            return;
        }
        if (_rekeyedBy is not null || _awaitingPeerDelete) return;
        if (_reauthAt is { } reauth && now >= reauth)
        {
            _reauthAt = null;
            Reauthenticate(now);
        }
        if (_ikeRekeyAt is { } rekey && now >= rekey)
        {
            _ikeRekeyAt = null;
            RekeyIke(now);
        }
        foreach (ChildSa child in _children.ToArray())
        {
            if (child.State != ChildSaState.Installed) continue;
            if (child.ExpireAt is { } hard && now >= hard)
            {
                child.ExpireAt = null;
                ExpireChild(now, child, "life_time expired");
            }
            else if (child.RekeyAt is { } soft && now >= soft && !child.Rekeying && child.ReplacedBy is null && !child.IsRedundant)
            {
                if (child.AwaitsPeerRekeyCompletion)
                {
                    // We answered the peer's rekey, but it has not deleted the old SA yet: its
                    // exchange may still be retransmitting. Renewing now would meet CHILD_SA_NOT_FOUND; wait for it.
                    (child.RekeyAt, child.RekeyReason) = (RetryTime(now, s_retryAfterTemporaryFailure), "after the peer finished its rekey");
                    continue;
                }
                child.RekeyAt = null;
                RekeyChild(now, child, child.RekeyReason);
            }
        }
        if (DpdDueAt is { } due && now >= due)
        {
            // ESP from the peer is as good a sign of life as an IKE message (strongSwan checks its SAs' use too).
            if (LastInboundEsp() is { } esp && esp > _lastInbound)
            {
                _lastInbound = esp;
                if (now < DpdDueAt) return;
            }
            // Nothing heard for dpd_delay: an empty INFORMATIONAL must be answered (RFC 7296 §1.4).
            IkeLog.DpdCheck(Log, Name, Uid, (now - _lastInbound).TotalSeconds);
            Request(now, ExchangeType.Informational, _ => [], (_, _) => { }, RequestKind.Liveness);
        }
    }

    /// <summary>When the last ESP packet arrived on any of the CHILD SAs (the host's data plane knows), if it says.</summary>
    private DateTimeOffset? LastInboundEsp()
    {
        if (_engine.Options.LastInboundEsp is not { } lastUse) return null;
        DateTimeOffset? latest = null;
        foreach (ChildSa child in _children)
            if (lastUse(child.InboundSpi) is { } t && (latest is null || t > latest)) latest = t;
        return latest;
    }

    /// <summary>
    /// The peer stopped answering: the SA goes without a DELETE, and each CHILD SA's <c>dpd_action</c> follows
    /// (clear, trap, or restart). An SA that was being deleted or superseded anyway just goes.
    /// </summary>
    private void PeerDead(DateTimeOffset now, string reason)
    {
        // A superseded SA (rekeyed, or the redundant one of a rekey collision) carries no CHILD SA any more: the
        // peer's silence on it says nothing about the peer, whose surviving SA is alive.
        if (State != IkeSaState.Established || _rekeyedBy is not null || _awaitingPeerDelete)
        {
            Remove(now, reason);
            return;
        }
        IkeLog.PeerDead(Log, Name, Uid, reason);
        _engine.DeadPeers++;
        ChildConfig[] restart = _children.Select(c => c.Config).Where(c => c.DpdAction == CloseAction.Start).Distinct().ToArray();
        foreach (ChildSa child in _children) child.AfterRemoval = child.Config.DpdAction;
        Remove(now, reason);
        _engine.RestartClosed(now, restart, "dpd_action = restart");
    }

    /// <summary>
    /// A hard lifetime ran out: the SA must not carry another packet, so it goes at once, whatever exchange is under
    /// way; the DELETE that tells the peer follows in turn.
    /// </summary>
    internal void ExpireChild(DateTimeOffset now, ChildSa child, string reason)
    {
        _engine.Touch(this);
        if (child.State == ChildSaState.Deleted) return;
        uint spi = child.InboundSpi;
        ProtocolId protocol = child.Protocol;
        RemoveChild(child, reason);
        if (State == IkeSaState.Established) Request(now, ExchangeType.Informational, _ => [new DeletePayload(protocol, [spi])], (_, _) => { }, RequestKind.ChildDelete);
    }

    /// <summary>A liveness check on demand (also what <c>dpd_delay</c> sends).</summary>
    internal void CheckLiveness(DateTimeOffset now)
    {
        _engine.Touch(this);
        Request(now, ExchangeType.Informational, _ => [], (_, _) => { }, RequestKind.Liveness);
    }
}
