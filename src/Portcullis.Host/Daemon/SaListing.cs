using System.Text;
using Portcullis.Core.Config;
using Portcullis.Core.Ikev2;

namespace Portcullis.Host.Daemon;

/// <summary>The text of <c>portcullis list-sas</c> and <c>list-conns</c>, modelled on <c>swanctl --list-sas</c>.</summary>
internal static class SaListing
{
    public static string ListSas(IEnumerable<IkeSa> sas, EspDataPlane? dataPlane, DateTimeOffset now, IkeEngine? engine = null)
    {
        var text = new StringBuilder();
        foreach (IkeSa sa in sas.OrderBy(s => s.Uid))
        {
            text.Append($"{sa.Name}: #{sa.Uid}, {sa.State.ToString().ToUpperInvariant()}, IKEv2, {sa.InitiatorSpi:x16}_i{(sa.IsInitiator ? "*" : "")} {sa.ResponderSpi:x16}_r{(sa.IsInitiator ? "" : "*")}\n");
            text.Append($"  local  '{sa.LocalId?.ToString() ?? "-"}' @ {sa.LocalEndpoint.Address}[{sa.LocalEndpoint.Port}]{(sa.LocalBehindNat ? " (behind NAT)" : "")}\n");
            text.Append($"  remote '{sa.RemoteId?.ToString() ?? "-"}' @ {sa.RemoteEndpoint.Address}[{sa.RemoteEndpoint.Port}]{(sa.RemoteBehindNat ? " (behind NAT)" : "")}\n");
            if (sa.RemoteEapIdentity is { } eapId) text.Append($"  remote EAP identity: {eapId}\n");
            if (sa.RemoteCertificate is { } cert) text.Append($"  remote certificate: \"{cert.Subject}\" issued by \"{cert.Issuer}\", valid until {cert.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm:ss}Z\n");
            if (sa.LocalVirtualIps.Count > 0) text.Append($"  local  virtual IP {string.Join(", ", sa.LocalVirtualIps)}{(sa.ReceivedDns.Count > 0 ? $", DNS {string.Join(", ", sa.ReceivedDns)}" : "")}\n");
            if (sa.RemoteVirtualIps.Count > 0) text.Append($"  remote virtual IP {string.Join(", ", sa.RemoteVirtualIps)}\n");
            if (sa.Proposal is not null) text.Append($"  {sa.Proposal}\n");
            string nat = sa.LocalBehindNat || sa.RemoteBehindNat ? $"NAT: local {(sa.LocalBehindNat ? "yes" : "no")}, remote {(sa.RemoteBehindNat ? "yes" : "no")}" : "NAT: none";
            text.Append($"  {nat}, UDP encapsulation {(sa.UdpEncapsulation ? "yes" : "no")}, MOBIKE {(sa.MobikeEnabled ? "yes" : "no")}\n");
            if (sa.EstablishedAt is { } est)
                text.Append($"  established {Age(now - est)} ago{Due(", rekeying in ", sa.RekeyAt, now)}{Due(", reauthenticating in ", sa.ReauthAt, now)}{(sa.RekeyedTo is { } next ? $", rekeyed to #{next.Uid}" : "")}\n");
            foreach (ChildSa child in sa.Children) AppendChild(text, child, dataPlane, now);
        }
        foreach (Portcullis.Core.Ikev1.IsakmpSa sa in (engine?.Ikev1.Sas ?? []).OrderBy(s => s.Uid)) AppendIkev1(text, sa, dataPlane, now);
        if (dataPlane is not null)
            text.Append($"data plane: dropped {dataPlane.OutboundNoPolicyDrops} outbound packets matching no policy, {dataPlane.InboundUnknownSpiDrops} inbound with an unknown SPI, {dataPlane.InboundPolicyDrops} inbound outside their selectors, {dataPlane.TooBigDrops} outbound too big for their tunnel (ICMP error returned), {dataPlane.TransportRefusedDrops} that transport mode cannot carry (fragments); {dataPlane.SendErrors} send errors\n");
        if (dataPlane is not null)
            text.Append($"data plane offloads: {dataPlane.TsoReads} TSO packets from the TUN device cut into segments; ESP sent in {dataPlane.Batches.Sends} batches of {dataPlane.Batches.Packets} packets in all (UDP GSO); {dataPlane.Coalesced.Writes} GSO writes to the TUN device joining {dataPlane.Coalesced.Segments} segments\n");
        if (engine is not null) text.Append(DosSummary(engine)).Append('\n');
        return text.ToString();
    }

    /// <summary>One CHILD SA (or IKEv1 Quick Mode SA): mode, SPIs, algorithms, counters, selectors.</summary>
    private static void AppendChild(StringBuilder text, ChildSa child, EspDataPlane? dataPlane, DateTimeOffset now)
    {
        text.Append($"  {child.Name}: #{child.Uid}, {child.State.ToString().ToUpperInvariant()}, {(child.Mode == ChildMode.Tunnel ? "TUNNEL" : "TRANSPORT")}{(child.UdpEncapsulation ? "-in-UDP" : "")}, {(child.IsAh ? "AH" : "ESP")} SPIs: {child.InboundSpi:x8}_i {child.OutboundSpi:x8}_o\n");
        text.Append($"    {child.Proposal}\n");
        InstalledChild? installed = dataPlane?.Find(child.Uid);
        long inBytes = installed?.Inbound.Bytes ?? 0, inPackets = installed?.Inbound.Packets ?? 0;
        long outBytes = installed?.Outbound.Bytes ?? 0, outPackets = installed?.Outbound.Packets ?? 0;
        text.Append($"    installed {Age(now - child.EstablishedAt)} ago{Due(", rekeying in ", child.RekeyAt, now)}{Due(", expires in ", child.ExpireAt, now)}{(child.OutboundActive ? "" : ", outbound on hold")}\n");
        text.Append($"    in  {child.InboundSpi:x8}, {inBytes} bytes, {inPackets} packets");
        if (installed is { } i && i.Inbound.ReplayDrops + i.Inbound.AuthenticationFailures + i.Inbound.PaddingErrors + i.Inbound.MalformedPackets > 0)
            text.Append($", dropped: {i.Inbound.ReplayDrops} replayed, {i.Inbound.AuthenticationFailures} failed integrity, {i.Inbound.PaddingErrors} bad padding, {i.Inbound.MalformedPackets} malformed");
        text.Append('\n');
        text.Append($"    out {child.OutboundSpi:x8}, {outBytes} bytes, {outPackets} packets\n");
        text.Append($"    local  {string.Join(", ", child.LocalTs)}\n");
        text.Append($"    remote {string.Join(", ", child.RemoteTs)}\n");
        if (child.RemoteOriginalAddress is { } oa) text.Append($"    peer's original address (NAT-OA) {oa}\n");
    }

    /// <summary>
    /// An IKEv1 ISAKMP SA in the same layout as an IKEv2 SA: cookies for SPIs, Main or Aggressive Mode, its Quick
    /// Mode SAs as CHILD SAs.
    /// </summary>
    private static void AppendIkev1(StringBuilder text, Portcullis.Core.Ikev1.IsakmpSa sa, EspDataPlane? dataPlane, DateTimeOffset now)
    {
        string mode = sa.Mode == Portcullis.Core.Ikev1.Phase1Mode.Main ? "Main Mode" : "Aggressive Mode";
        text.Append($"{sa.Name}: #{sa.Uid}, {sa.State.ToString().ToUpperInvariant()}, IKEv1 {mode}, {sa.InitiatorCookie:x16}_i{(sa.IsInitiator ? "*" : "")} {sa.ResponderCookie:x16}_r{(sa.IsInitiator ? "" : "*")}\n");
        text.Append($"  local  '{sa.LocalId?.ToString() ?? "-"}' @ {sa.LocalEndpoint.Address}[{sa.LocalEndpoint.Port}]{(sa.LocalBehindNat ? " (behind NAT)" : "")}\n");
        text.Append($"  remote '{sa.RemoteId?.ToString() ?? "-"}' @ {sa.RemoteEndpoint.Address}[{sa.RemoteEndpoint.Port}]{(sa.RemoteBehindNat ? " (behind NAT)" : "")}\n");
        if (sa.RemoteCertificate is { } cert) text.Append($"  remote certificate: \"{cert.Subject}\" issued by \"{cert.Issuer}\", valid until {cert.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm:ss}Z\n");
        if (sa.XauthUser is { } user) text.Append($"  {(sa.Connection.RemoteXauth is not null ? "remote" : "local")} XAUTH user: {user}\n");
        if (sa.LocalVirtualIps.Count > 0) text.Append($"  local  virtual IP {string.Join(", ", sa.LocalVirtualIps)}{(sa.ReceivedDns.Count > 0 ? $", DNS {string.Join(", ", sa.ReceivedDns)}" : "")}\n");
        if (sa.RemoteVirtualIps.Count > 0) text.Append($"  remote virtual IP {string.Join(", ", sa.RemoteVirtualIps)}\n");
        if (sa.Proposal is not null) text.Append($"  {sa.Proposal}\n");
        string nat = sa.LocalBehindNat || sa.RemoteBehindNat ? $"NAT: local {(sa.LocalBehindNat ? "yes" : "no")}, remote {(sa.RemoteBehindNat ? "yes" : "no")}" : "NAT: none";
        text.Append($"  {nat}, UDP encapsulation {(sa.UdpEncapsulation ? "yes" : "no")}, NAT-T {(sa.NatTraversal ? "yes" : "no")}, DPD {(sa.PeerSupportsDpd ? "yes" : "no")}\n");
        if (sa.EstablishedAt is { } est)
            text.Append($"  established {Age(now - est)} ago{Due(", reauthenticating in ", sa.ReauthAt, now)}{Due(", expires in ", sa.ExpireAt, now)}{(sa.ReplacedBy is { } next ? $", replaced by #{next.Uid}" : "")}\n");
        foreach (ChildSa child in sa.Children) AppendChild(text, child, dataPlane, now);
    }

    /// <summary>The responder's DoS state (RFC 7296 §2.6): half-open IKE SAs, whether cookies are required, counters.</summary>
    public static string DosSummary(IkeEngine engine)
    {
        IkeEngineOptions o = engine.Options;
        string mode = !o.DosProtection ? "dos_protection off"
            : $"cookies {(engine.CookiesRequired ? "required" : "not required")} (cookie_threshold {o.CookieThreshold}, block_threshold {o.BlockThreshold})";
        string limit = o.InitLimitHalfOpen > 0 ? $", init_limit_half_open {o.InitLimitHalfOpen}" : "";
        return $"half-open IKE_SAs: {engine.HalfOpenCount}, {mode}{limit}; {engine.CookiesSent} IKE_SA_INIT answered with a COOKIE, {engine.InitRequestsDropped} dropped";
    }

    /// <summary>Pools as <c>swanctl --list-pools [--leases]</c> prints them: name, range, online/size, then each lease.</summary>
    public static string ListPools(Portcullis.Core.Pools.AddressPoolManager pools, bool leases)
    {
        var text = new StringBuilder();
        foreach (Portcullis.Core.Pools.PoolStatus p in pools.StatusAll())
        {
            text.Append($"{p.Name,-20} {p.Addrs,-33} {p.Online} / {p.Offline} / {p.Size}\n");
            // An IPv6 pool shorter than /64 also delegates /64s to PPP clients.
            if (p.Prefixes > 0) text.Append($"{"",-20} {"delegated /64s",-33} {p.PrefixesOnline} / {p.PrefixesOffline} / {p.Prefixes}\n");
            if (!leases) continue;
            foreach (Portcullis.Core.Pools.LeaseInfo l in pools.Leases(p.Name))
                text.Append($"  {LeaseText(l),-39} {(l.Online ? "online" : "offline"),-7} '{l.Identity}'\n");
        }
        return text.ToString();
    }

    /// <summary>A lease's address, or a delegated prefix with its length (2001:db8:300:1::/64).</summary>
    public static string LeaseText(Portcullis.Core.Pools.LeaseInfo lease) =>
        lease.PrefixLength is int length ? $"{lease.Address}/{length}" : lease.Address.ToString();

    public static string ListConns(PortcullisConfig config)
    {
        var text = new StringBuilder();
        foreach (ConnectionConfig c in config.Connections)
        {
            text.Append($"{c.Name}: IKEv{(c.Version == 0 ? "1/2" : c.Version.ToString())}, {Addrs(c.LocalAddrs)}...{Addrs(c.RemoteAddrs)}, rekey {Age(c.RekeyTime)}\n");
            text.Append($"  proposals: {string.Join(", ", c.Proposals)}\n");
            if (NativeClientProfiles.DescribeCompat(c) is { } compat) text.Append($"  {compat}\n");
            text.Append($"  local:  {c.Local.Auth} '{c.Local.Id?.ToString() ?? "%local"}'\n");
            text.Append($"  remote: {c.Remote.Auth} '{c.Remote.Id?.ToString() ?? "%any"}'\n");
            foreach (ChildConfig ch in c.Children)
            {
                text.Append($"  {ch.Name}: {ch.Mode.ToString().ToUpperInvariant()}, start {ch.StartAction.ToString().ToLowerInvariant()}, close {ch.CloseAction.ToString().ToLowerInvariant()}, rekey {Age(ch.RekeyTime)}\n");
                text.Append(ch.UsesAh ? $"    ah proposals: {string.Join(", ", ch.AhProposals)}\n" : $"    esp proposals: {string.Join(", ", ch.EspProposals)}\n");
                text.Append($"    local:  {(ch.LocalTs.Count == 0 ? ch.LocalDynamic.ToString() : string.Join(", ", ch.LocalTs))}\n");
                text.Append($"    remote: {(ch.RemoteTs.Count == 0 ? ch.RemoteDynamic.ToString() : string.Join(", ", ch.RemoteTs))}\n");
            }
        }
        return text.ToString();
    }

    private static string Addrs(IReadOnlyList<string> a) => a.Count == 0 ? "%any" : string.Join(",", a);

    private static string Due(string label, DateTimeOffset? at, DateTimeOffset now) => at is { } t ? label + Age(t - now) : "";

    private static string Age(TimeSpan t)
    {
        if (t < TimeSpan.Zero) t = TimeSpan.Zero;
        if (t.TotalSeconds < 60) return $"{(int)t.TotalSeconds}s";
        if (t.TotalMinutes < 60) return $"{(int)t.TotalMinutes}m{t.Seconds:00}s";
        if (t.TotalHours < 24) return $"{(int)t.TotalHours}h{t.Minutes:00}m";
        return $"{(int)t.TotalDays}d{t.Hours:00}h";
    }
}
