using System.Globalization;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Metrics;

namespace Portcullis.Host.Daemon;

/// <summary>
/// The Prometheus metrics of <c>--metrics ADDRESS:PORT</c>. Event counts are taken in <see cref="Flush"/> from the
/// engine's events; a scrape renders on the loop thread (like a control command), reading the data plane's counters,
/// which are updated lock-free by the packet threads.
/// </summary>
public sealed partial class PortcullisDaemon
{
    /// <summary>Handshake latency buckets in seconds: a LAN handshake takes milliseconds, a lossy path several retransmits (4 s, 7.2 s…).</summary>
    private static readonly double[] s_handshakeBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
    private readonly Histogram _handshakeSeconds = new(s_handshakeBuckets);
    private long _ikeEstablished, _ikeRekeys, _childRekeys, _childEstablished;

    /// <summary>Loop thread: counts what an event says.</summary>
    private void CountEvent(IkeEvent e)
    {
        switch (e)
        {
            case IkeSaEstablished up:
                _ikeEstablished++;
                if (up.IkeSa.EstablishedAt is { } at) _handshakeSeconds.Observe(Math.Max(0, (at - up.IkeSa.CreatedAt).TotalSeconds));
                break;
            case IkeSaRemoved gone when gone.IkeSa.RekeyedTo is not null:
                _ikeRekeys++;
                break;
            case ChildSaInstalled installed:
                if (installed.ChildSa.Replaces is null) _childEstablished++;
                else _childRekeys++;
                break;
        }
    }

    /// <summary>Any thread: renders the exposition on the loop thread.</summary>
    private async Task<string> RenderMetricsAsync(CancellationToken cancellationToken)
    {
        var result = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _work.Writer.TryWrite(() =>
        {
            try { result.SetResult(RenderMetrics(DateTimeOffset.UtcNow)); }
            catch (Exception e) { result.SetException(e); }
        });
        return await result.Task.WaitAsync(cancellationToken);
    }

    private string RenderMetrics(DateTimeOffset now)
    {
        IkeEngine engine = _engine!;
        EspDataPlane? dp = _dataPlane;
        var w = new PrometheusTextWriter();
        string I(long n) => n.ToString(CultureInfo.InvariantCulture);

        w.Family("portcullis_ike_sas", MetricType.Gauge, "IKE SAs held now, by IKE version (any state).");
        w.Sample(engine.IkeSas.Count, ("version", "2")).Sample(engine.Ikev1.Sas.Count, ("version", "1"));
        w.Family("portcullis_ike_half_open", MetricType.Gauge, "Half-open IKE SAs as responder (IKE_SA_INIT answered, IKE_AUTH not done).");
        w.Sample(engine.HalfOpenCount);
        w.Family("portcullis_ike_cookies_required", MetricType.Gauge, "1 while IKE_SA_INIT without a valid COOKIE is answered with a COOKIE (RFC 7296 section 2.6).");
        w.Sample(engine.CookiesRequired ? 1 : 0);
        w.Family("portcullis_ike_cookies_sent_total", MetricType.Counter, "IKE_SA_INIT requests answered with a COOKIE.");
        w.Sample(engine.CookiesSent);
        w.Family("portcullis_ike_init_dropped_total", MetricType.Counter, "IKE_SA_INIT requests dropped by block_threshold or init_limit_half_open.");
        w.Sample(engine.InitRequestsDropped);
        w.Family("portcullis_ike_established_total", MetricType.Counter, "IKEv2 SAs established (IKE_AUTH completed).");
        w.Sample(_ikeEstablished);
        w.Family("portcullis_ike_rekeys_total", MetricType.Counter, "IKEv2 SAs replaced by a rekey.");
        w.Sample(_ikeRekeys);
        w.Family("portcullis_child_established_total", MetricType.Counter, "CHILD SAs created (not counting rekeys).");
        w.Sample(_childEstablished);
        w.Family("portcullis_child_rekeys_total", MetricType.Counter, "CHILD SAs created by rekeying another.");
        w.Sample(_childRekeys);
        w.Family("portcullis_dpd_failures_total", MetricType.Counter, "Established IKE SAs removed because the peer stopped answering (DPD or retransmissions gave up).");
        w.Sample(engine.DeadPeers);
        w.Family("portcullis_ike_handshake_seconds", MetricType.Histogram, "Time from the first IKE_SA_INIT to the completed IKE_AUTH.");
        w.Histogram(_handshakeSeconds.Snapshot());

        var children = new List<(IIkeSa Ike, ChildSa Child, InstalledChild? Installed)>();
        foreach (IkeSa sa in engine.IkeSas) foreach (ChildSa c in sa.Children) children.Add((sa, c, dp?.Find(c.Uid)));
        foreach (Portcullis.Core.Ikev1.IsakmpSa sa in engine.Ikev1.Sas) foreach (ChildSa c in sa.Children) children.Add((sa, c, dp?.Find(c.Uid)));
        w.Family("portcullis_child_sas", MetricType.Gauge, "CHILD SAs (IKEv2) and Quick Mode SAs (IKEv1) held now.");
        w.Sample(children.Count);

        (string, string)[] IkeLabels(IIkeSa s, string direction) => [("conn", s.Name), ("ike_uid", I(s.Uid)), ("direction", direction)];
        var perIke = children.GroupBy(c => c.Ike).ToList();
        w.Family("portcullis_ike_sa_bytes_total", MetricType.Counter, "ESP payload bytes of all CHILD SAs of an IKE SA, by direction.");
        foreach (var g in perIke)
        {
            w.Sample(g.Sum(c => c.Installed?.Inbound.Bytes ?? 0), IkeLabels(g.Key, "in"));
            w.Sample(g.Sum(c => c.Installed?.Outbound.Bytes ?? 0), IkeLabels(g.Key, "out"));
        }
        w.Family("portcullis_ike_sa_packets_total", MetricType.Counter, "ESP packets of all CHILD SAs of an IKE SA, by direction.");
        foreach (var g in perIke)
        {
            w.Sample(g.Sum(c => c.Installed?.Inbound.Packets ?? 0), IkeLabels(g.Key, "in"));
            w.Sample(g.Sum(c => c.Installed?.Outbound.Packets ?? 0), IkeLabels(g.Key, "out"));
        }

        (string, string)[] ChildLabels(IIkeSa s, ChildSa c, params (string, string)[] extra) =>
            [("conn", s.Name), ("child", c.Name), ("ike_uid", I(s.Uid)), ("child_uid", I(c.Uid)), .. extra];
        w.Family("portcullis_child_sa_bytes_total", MetricType.Counter, "ESP payload bytes of a CHILD SA, by direction.");
        foreach ((IIkeSa s, ChildSa c, InstalledChild? x) in children)
        {
            w.Sample(x?.Inbound.Bytes ?? 0, ChildLabels(s, c, ("direction", "in")));
            w.Sample(x?.Outbound.Bytes ?? 0, ChildLabels(s, c, ("direction", "out")));
        }
        w.Family("portcullis_child_sa_packets_total", MetricType.Counter, "ESP packets of a CHILD SA, by direction.");
        foreach ((IIkeSa s, ChildSa c, InstalledChild? x) in children)
        {
            w.Sample(x?.Inbound.Packets ?? 0, ChildLabels(s, c, ("direction", "in")));
            w.Sample(x?.Outbound.Packets ?? 0, ChildLabels(s, c, ("direction", "out")));
        }
        w.Family("portcullis_child_sa_drops_total", MetricType.Counter, "Inbound ESP packets of a CHILD SA dropped, by reason: replay (RFC 4303 window), icv (integrity check failed), padding, malformed, policy (outside the selectors).");
        foreach ((IIkeSa s, ChildSa c, InstalledChild? x) in children)
        {
            w.Sample(x?.Inbound.ReplayDrops ?? 0, ChildLabels(s, c, ("reason", "replay")));
            w.Sample(x?.Inbound.AuthenticationFailures ?? 0, ChildLabels(s, c, ("reason", "icv")));
            w.Sample(x?.Inbound.PaddingErrors ?? 0, ChildLabels(s, c, ("reason", "padding")));
            w.Sample(x?.Inbound.MalformedPackets ?? 0, ChildLabels(s, c, ("reason", "malformed")));
            w.Sample(x?.Inbound.PolicyViolations ?? 0, ChildLabels(s, c, ("reason", "policy")));
        }
        w.Family("portcullis_esp_drops_total", MetricType.Counter, "Packets the data plane dropped outside any CHILD SA, by reason: no_policy (outbound, no selector matched), unknown_spi (inbound), too_big (outbound, bigger than the tunnel's MTU: answered with ICMP Packet Too Big), transport_refused (outbound host packets transport mode cannot carry: fragments, IPv6 Hop-by-Hop, Routing or Fragment headers).");
        w.Sample(dp?.OutboundNoPolicyDrops ?? 0, ("reason", "no_policy"));
        w.Sample(dp?.InboundUnknownSpiDrops ?? 0, ("reason", "unknown_spi"));
        w.Sample(dp?.TooBigDrops ?? 0, ("reason", "too_big"));
        w.Sample(dp?.TransportRefusedDrops ?? 0, ("reason", "transport_refused"));
        w.Family("portcullis_esp_send_errors_total", MetricType.Counter, "ESP packets the socket refused to send.");
        w.Sample(dp?.SendErrors ?? 0);
        return w.ToString();
    }
}
