using System.Buffers.Binary;
using Portcullis.Core.Config;
using Portcullis.Core.Ikev1.Wire;
using Portcullis.Core.Ikev2;

namespace Portcullis.Core.Ikev1;

/// <summary>
/// Lifetimes and liveness: Quick Mode SAs rekey before their negotiated lifetime runs out, the ISAKMP SA expires at
/// its own, and DPD (RFC 3706) checks a quiet peer with R-U-THERE.
/// </summary>
public sealed partial class IsakmpSa
{
    private DateTimeOffset _lastInbound;
    private DateTimeOffset? _expireAt;
    private DateTimeOffset? _reauthAt;
    private IsakmpSa? _reauthOf;

    /// <summary>When a new ISAKMP SA replaces this one (IKEv1 has no rekey in place: phase 1 runs again); null: not scheduled.</summary>
    public DateTimeOffset? ReauthAt => _reauthAt;
    private DateTimeOffset? _dpdSentAt;
    private uint? _dpdOutstanding;
    private uint _dpdSequence;

    /// <summary>strongSwan's dpd_timeout default for IKEv1, used when dpd_timeout is 0 (IKEv1 has no retransmission of R-U-THERE).</summary>
    private static readonly TimeSpan DefaultDpdTimeout = TimeSpan.FromSeconds(150);

    /// <summary>When the ISAKMP SA expires; null: never.</summary>
    public DateTimeOffset? ExpireAt => _expireAt;

    /// <summary>Last time an authenticated message arrived from the peer.</summary>
    public DateTimeOffset LastInbound => _lastInbound;

    private DateTimeOffset Jittered(DateTimeOffset now, TimeSpan interval, TimeSpan rand)
    {
        if (rand > interval) rand = interval;
        return now + interval - rand * _v1.Main.RandomFraction();
    }

    private void ScheduleLifetimes(DateTimeOffset now)
    {
        _lastInbound = now;
        _expireAt = Lifetime > TimeSpan.Zero ? now + Lifetime : null;
        // The sooner of rekey_time and reauth_time, less a random part of rand_time, and before the SA expires; only
        // a side that knows the peer's address can start phase 1 again (a road warrior gateway waits for its client).
        TimeSpan interval = new[] { Connection.RekeyTime, Connection.ReauthTime }.Where(t => t > TimeSpan.Zero).DefaultIfEmpty(TimeSpan.Zero).Min();
        if (_expireAt is { } expire && interval >= Lifetime) interval = Lifetime - (Lifetime / 10);
        _reauthAt = interval > TimeSpan.Zero && Connection.RemoteAddress is not null ? Jittered(now, interval, Connection.EffectiveRandTime < interval / 2 ? Connection.EffectiveRandTime : interval / 10) : null;
    }

    /// <summary>
    /// Phase 1 again (strongSwan's IKEv1 rekeying is this reauthentication): a new ISAKMP SA, Quick Modes on it for
    /// each CHILD SA (each taking over its predecessor's policy), then DELETE for this SA and its Quick Mode SAs.
    /// </summary>
    private void Reauthenticate(DateTimeOffset now)
    {
        ChildSa[] children = _children.Where(c => c.State == ChildSaState.Installed && c.ReplacedBy is null).ToArray();
        IsakmpSa? fresh = _v1.StartInitiator(now, Connection, [], out string? error);
        if (fresh is null)
        {
            IkeLog.SaWarning(Log, Name, Uid, $"cannot reauthenticate: {error}");
            return;
        }
        Ikev1Log.Info(Log, Name, Uid, $"reauthenticating: a new IKE_SA {Name}[{fresh.Uid}] (phase 1 again) replaces this one");
        ReplacedBy = fresh;
        fresh._reauthOf = this;
        foreach (ChildSa child in children) fresh._pending.Enqueue((child.Config, child));
    }

    /// <summary>A reauthentication finished its Quick Modes (or failed): the old ISAKMP SA goes.</summary>
    private void FinishReauthentication(DateTimeOffset now)
    {
        if (_reauthOf is not { } old || _pending.Count > 0 || _quickModes.Values.Any(q => q.Initiator && !q.Done)) return;
        // The old ISAKMP SA's Quick Mode SAs carry the traffic until their successors have taken over.
        if (_children.Any(c => c.State == ChildSaState.Installed && c.OutboundActivateBy is not null)) return;
        _reauthOf = null;
        old.Delete(now, $"reauthenticated as {Name}[{Uid}]");
    }

    /// <summary>
    /// The soft and hard limits of a Quick Mode SA from its negotiated lifetime: hard at the lifetime, soft earlier
    /// by the configured margin (life_time − rekey_time), less a random part of rand_time.
    /// </summary>
    private void ScheduleChildLifetimes(ChildSa child, DateTimeOffset now, TimeSpan lifetime, ulong lifeKb)
    {
        ChildConfig c = child.Config;
        if (lifetime > TimeSpan.Zero)
        {
            child.ExpireAt = now + lifetime;
            TimeSpan margin = c.EffectiveLifeTime - c.RekeyTime;
            if (margin <= TimeSpan.Zero || margin >= lifetime) margin = lifetime / 10;
            TimeSpan soft = c.RekeyTime > TimeSpan.Zero && c.RekeyTime < lifetime - margin ? c.RekeyTime : lifetime - margin;
            child.RekeyAt = c.RekeyTime > TimeSpan.Zero ? Jittered(now, soft, c.EffectiveRandTime < soft / 2 ? c.EffectiveRandTime : soft / 10) : null;
        }
        ulong lifeBytes = lifeKb * 1024;
        child.LifeBytes = lifeBytes;
        child.RekeyBytes = c.RekeyBytes > 0 && (lifeBytes == 0 || c.RekeyBytes < lifeBytes) ? c.RekeyBytes : lifeBytes - lifeBytes / 10;
        child.RekeyPackets = c.RekeyPackets;
        child.LifePackets = c.EffectiveLifePackets;
    }

    private TimeSpan DpdTimeout => Connection.DpdTimeout > TimeSpan.Zero ? Connection.DpdTimeout : DefaultDpdTimeout;

    private bool DpdEnabled => Connection.DpdDelay > TimeSpan.Zero && PeerSupportsDpd;

    private DateTimeOffset? LifetimeTimeout
    {
        get
        {
            if (State != IsakmpSaState.Established) return null;
            DateTimeOffset? t = _expireAt;
            void Min(DateTimeOffset? x) { if (x is { } v && (t is null || v < t)) t = v; }
            if (ReplacedBy is null) Min(_reauthAt);
            if (DpdEnabled)
            {
                Min(_dpdOutstanding is null ? _lastInbound + Connection.DpdDelay : _dpdSentAt + Connection.DpdDelay);
                if (_dpdSentAt is { } sent && _dpdOutstanding is not null) Min(sent + DpdTimeout);
            }
            foreach (ChildSa child in _children)
            {
                if (child.State != ChildSaState.Installed) continue;
                Min(child.ExpireAt);
                if (!child.Rekeying && child.ReplacedBy is null) Min(child.RekeyAt);
                Min(child.OutboundActivateBy);
            }
            return t;
        }
    }

    private void HandleLifetimes(DateTimeOffset now)
    {
        if (State != IsakmpSaState.Established) return;
        if (_expireAt is { } expire && now >= expire)
        {
            _expireAt = null;
            Delete(now, "IKE_SA lifetime expired");
            return;
        }
        if (_reauthAt is { } reauth && now >= reauth && ReplacedBy is null)
        {
            _reauthAt = null;
            Reauthenticate(now);
        }
        foreach (ChildSa child in _children.ToArray())
        {
            if (child.State != ChildSaState.Installed) continue;
            if (child.OutboundActivateBy is { } handover && now >= handover) ActivateOutbound(now, child);
            if (child.ExpireAt is { } hard && now >= hard)
            {
                child.ExpireAt = null;
                ExpireChild(now, child, "lifetime expired");
            }
            else if (child.RekeyAt is { } soft && now >= soft && !child.Rekeying && child.ReplacedBy is null)
            {
                child.RekeyAt = null;
                RekeyChild(now, child, "rekey_time");
            }
        }
        if (DpdEnabled) HandleDpd(now);
    }

    /// <summary>
    /// RFC 3706: after dpd_delay without a sign of life (IKE or ESP) an R-U-THERE goes out, and again every dpd_delay
    /// while unanswered; no ACK within dpd_timeout of the first makes the peer dead.
    /// </summary>
    private void HandleDpd(DateTimeOffset now)
    {
        if (LastInboundEsp() is { } esp && esp > _lastInbound) _lastInbound = esp;
        if (_dpdOutstanding is not null && _dpdSentAt is { } first && _lastInbound > first) _dpdOutstanding = null;
        if (_dpdOutstanding is not null)
        {
            if (now >= _dpdFirstSentAt + DpdTimeout)
            {
                PeerDead(now, $"no R-U-THERE-ACK within dpd_timeout ({DpdTimeout.TotalSeconds:0} s)");
                return;
            }
            if (now < _dpdSentAt + Connection.DpdDelay) return;
        }
        else if (now < _lastInbound + Connection.DpdDelay) return;
        else _dpdFirstSentAt = now;
        if (_dpdSequence == 0)
        {
            Span<byte> b = stackalloc byte[4];
            _v1.Main.FillRandom(b);
            _dpdSequence = BinaryPrimitives.ReadUInt32BigEndian(b) & 0x7FFFFFFF;
        }
        _dpdSequence++;
        _dpdOutstanding = _dpdSequence;
        _dpdSentAt = now;
        IkeLog.DpdCheck(Log, Name, Uid, (now - _lastInbound).TotalSeconds);
        var seq = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(seq, _dpdSequence);
        SendInformational(now, [NotificationPayload.ForIsakmpSa(NotifyMessageType.RUThere, InitiatorCookie, ResponderCookie, seq)]);
    }

    private DateTimeOffset _dpdFirstSentAt;

    private DateTimeOffset? LastInboundEsp()
    {
        if (_v1.Options.LastInboundEsp is not { } lastUse) return null;
        DateTimeOffset? latest = null;
        foreach (ChildSa child in _children)
            if (lastUse(child.InboundSpi) is { } t && (latest is null || t > latest)) latest = t;
        return latest;
    }

    /// <summary>The peer stopped answering: the SA goes without a DELETE and each child's dpd_action follows.</summary>
    private void PeerDead(DateTimeOffset now, string reason)
    {
        if (State != IsakmpSaState.Established)
        {
            Remove(now, reason);
            return;
        }
        IkeLog.PeerDead(Log, Name, Uid, reason);
        ChildConfig[] restart = _children.Select(c => c.Config).Where(c => c.DpdAction == CloseAction.Start).Distinct().ToArray();
        foreach (ChildSa child in _children) child.AfterRemoval = child.Config.DpdAction;
        Remove(now, reason);
        _v1.Main.RestartClosed(now, restart, "dpd_action = restart");
    }

    /// <summary>A new Quick Mode for the child's selectors; the old SA is deleted once the new one carries the traffic.</summary>
    internal void RekeyChild(DateTimeOffset now, ChildSa child, string why)
    {
        if (State != IsakmpSaState.Established || child.Rekeying || child.ReplacedBy is not null) return;
        IkeLog.Rekeying(Log, Name, Uid, $"CHILD_SA {child.Name}{{{child.Uid}}}", why);
        StartQuickMode(now, child.Config, child);
    }

    /// <summary>A hard limit ran out: the SA goes at once, and a DELETE tells the peer.</summary>
    internal void ExpireChild(DateTimeOffset now, ChildSa child, string reason)
    {
        if (child.State == ChildSaState.Deleted) return;
        DeleteChild(now, child, reason);
    }
}
