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
        foreach (ChildSa child in _children.ToArray())
        {
            if (child.State != ChildSaState.Installed) continue;
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

    /// <summary>A new Quick Mode for the child's selectors; the old SA is deleted once the new one is in.</summary>
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
