using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Portcullis.Core.Config;
using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Firewall;
using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Doctor;

/// <summary>A UDP port's holder, as the host found it (<c>/proc/net/udp</c> and <c>/proc/*/fd</c>).</summary>
public sealed record PortHolder(int Pid, string Command);

/// <summary>
/// The judgements of <c>portcullis doctor</c>, from facts the host gathered (file contents, command output,
/// sysctl values): no I/O here, so each can be tested on captured text.
/// </summary>
public static class DoctorChecks
{
    /// <summary>What the configuration needs to arrive from outside: the IKE, NAT-T, ESP and AH rules of its ruleset.</summary>
    public static IReadOnlyList<NeededPacket> NeededPackets(PortcullisConfig config)
    {
        FirewallPlan plan = FirewallPlanner.Plan(config, new FirewallOptions());
        return plan.Rules
            .Where(r => r.Chain == FirewallChain.Input && r.Verdict == FirewallVerdict.Accept && r.Special == FirewallSpecial.None
                && r.InInterface is null && r.Protocol is 17 or 50 or 51 && (r.Protocol != 17 || r.DestinationPort is { From: 500 or 4500 }))
            .Select(r => new NeededPacket(r.Protocol, r.DestinationPort?.From ?? 0, r.Source?.StartAddress, r.Destination?.StartAddress,
                r.Comment))
            .ToList();
    }

    /// <summary>One check per needed packet against an existing ruleset.</summary>
    public static IEnumerable<DoctorCheck> Firewall(FilterRuleset ruleset, IReadOnlyList<NeededPacket> needed)
    {
        if (!ruleset.FiltersInput)
        {
            yield return new DoctorCheck(DoctorStatus.Ok, $"firewall ({ruleset.Source})", "no chain filters input");
            yield break;
        }
        foreach (NeededPacket p in needed)
        {
            string what = p.Protocol == 17 ? $"udp/{p.Port}" : p.Protocol == 50 ? "esp" : p.Protocol == 51 ? "ah" : $"proto {p.Protocol}";
            string from = p.Source is null ? "" : $" from {p.Source}";
            (FilterFate fate, string? because) = ruleset.Evaluate(p);
            yield return fate switch
            {
                FilterFate.Accepted => new DoctorCheck(DoctorStatus.Ok, $"firewall ({ruleset.Source}) {what}{from}", "accepted"),
                FilterFate.Dropped => new DoctorCheck(DoctorStatus.Fail, $"firewall ({ruleset.Source}) {what}{from}", $"dropped by {because}",
                    "load the rules of: portcullis firewall (or add an accept for it)"),
                _ => new DoctorCheck(DoctorStatus.Warn, $"firewall ({ruleset.Source}) {what}{from}", $"may be dropped by {because} (a match doctor cannot evaluate)",
                    "compare with: portcullis firewall"),
            };
        }
    }

    /// <summary>UDP 500/4500: bound by the daemon, free, or held by someone else.</summary>
    public static DoctorCheck UdpPort(int port, IReadOnlyList<PortHolder> holders, bool bindable)
    {
        string name = $"udp/{port}";
        if (holders.Count == 0)
            return bindable
                ? new DoctorCheck(DoctorStatus.Warn, name, "free (the daemon is not running)", "systemctl start portcullis")
                : new DoctorCheck(DoctorStatus.Fail, name, "cannot be bound, and no process is seen holding it", "run doctor as root");
        PortHolder? other = holders.FirstOrDefault(h => !h.Command.Contains("portcullis", StringComparison.OrdinalIgnoreCase));
        if (other is null) return new DoctorCheck(DoctorStatus.Ok, name, $"bound by portcullis (pid {holders[0].Pid})");
        return new DoctorCheck(DoctorStatus.Fail, name, $"held by {other.Command} (pid {other.Pid})",
            other.Command.Contains("charon", StringComparison.Ordinal) || other.Command.Contains("pluto", StringComparison.Ordinal)
                ? "stop the other IKE daemon (systemctl stop strongswan / ipsec)" : $"stop {other.Command} or free the port");
    }

    /// <summary>Whether the configuration routes traffic for others (IPv4, IPv6): pools, L2TP, or a local network wider than one host.</summary>
    public static (bool V4, bool V6) ForwardingNeeded(PortcullisConfig config)
    {
        bool v4 = false, v6 = false;
        void Need(AddressFamily f) { if (f == AddressFamily.InterNetwork) v4 = true; else v6 = true; }
        foreach (PoolConfig pool in config.Pools.Where(p => config.Connections.Any(c => c.Pools.Contains(p.Name)) || config.L2tp?.Pools.Contains(p.Name) == true))
            Need(pool.Addrs.Family);
        foreach (ConnectionConfig c in config.Connections)
            foreach (ChildConfig child in c.Children.Where(ch => ch.Mode == ChildMode.Tunnel))
                foreach (TrafficSelector ts in child.LocalTs.Where(t => !t.StartAddress.Equals(t.EndAddress)))
                    Need(ts.Family);
        return (v4, v6);
    }

    /// <summary>IP forwarding against the need.</summary>
    public static DoctorCheck Forwarding(string family, bool needed, string? sysctlValue, string sysctlName)
    {
        string name = $"{family} forwarding";
        bool on = sysctlValue?.Trim() == "1";
        if (!needed) return new DoctorCheck(DoctorStatus.Ok, name, $"not needed (no pools or networks routed for others); {sysctlName} = {sysctlValue?.Trim() ?? "?"}");
        return on
            ? new DoctorCheck(DoctorStatus.Ok, name, $"{sysctlName} = 1")
            : new DoctorCheck(DoctorStatus.Fail, name, $"{sysctlName} = {sysctlValue?.Trim() ?? "unknown"}, but the configuration routes traffic for others (pools or local networks)",
                $"sysctl -w {sysctlName}=1 (and in /etc/sysctl.d/)");
    }

    /// <summary>
    /// The most ESP (with UDP encapsulation, as behind a NAT) adds to a packet for the child's proposals: outer IP
    /// header, UDP, SPI and sequence number, IV, padding to the block, pad length and next header, ICV.
    /// </summary>
    public static int EspOverhead(IReadOnlyList<Proposal> proposals, bool ipv6)
    {
        int worst = 0;
        foreach (Proposal p in proposals)
        {
            foreach (EncryptionTransform? e in p.Encryption.Cast<EncryptionTransform?>().DefaultIfEmpty())
            {
                int iv = e is null ? 16 : e.IsAead ? 8 : 16, block = e is null || e.IsAead ? 4 : 16;
                int icv = e is { IsAead: true } ? 16 : p.Integrity.Select(IcvLength).DefaultIfEmpty(16).Max();
                worst = Math.Max(worst, iv + (block - 1) + 2 + icv);
            }
        }
        return (ipv6 ? 40 : 20) + 8 + 8 + worst;
    }

    private static int IcvLength(IntegrityTransform t) => t.Keyword switch
    {
        "sha256" => 16, "sha384" => 24, "sha512" => 32, _ => 12,
    };

    /// <summary>The TUN MTU plus ESP's overhead against the outgoing interface's MTU.</summary>
    public static DoctorCheck Mtu(string device, int linkMtu, int tunMtu, int overhead, string towards)
    {
        string name = $"mtu {device}";
        int needed = tunMtu + overhead;
        return needed <= linkMtu
            ? new DoctorCheck(DoctorStatus.Ok, name, $"{linkMtu} towards {towards}; a full {tunMtu}-byte packet on the TUN device becomes at most {needed} bytes of ESP")
            : new DoctorCheck(DoctorStatus.Warn, name, $"{linkMtu} towards {towards}, but a {tunMtu}-byte packet on the TUN device becomes up to {needed} bytes of ESP: it will be fragmented",
                $"raise {device}'s MTU or lower the TUN device's to {linkMtu - overhead}");
    }

    /// <summary>Certificate validity against this host's clock: not yet valid (clock behind?), expired, expiring within 30 days.</summary>
    public static DoctorCheck Certificate(X509Certificate2 cert, DateTimeOffset now, string role)
    {
        string name = $"certificate {cert.GetNameInfo(X509NameType.SimpleName, false)} ({role})";
        DateTimeOffset from = new(cert.NotBefore.ToUniversalTime()), to = new(cert.NotAfter.ToUniversalTime());
        if (from > now)
            return new DoctorCheck(DoctorStatus.Fail, name, $"not valid before {from:u}, and this host's clock says {now:u}",
                "check the clock (timedatectl; NTP) or the certificate's dates");
        if (to < now)
            return new DoctorCheck(DoctorStatus.Fail, name, $"expired on {to:u}", "renew it");
        if (to < now.AddDays(30))
            return new DoctorCheck(DoctorStatus.Warn, name, $"expires on {to:u}, in {(to - now).TotalDays:0} days", "renew it soon");
        return new DoctorCheck(DoctorStatus.Ok, name, $"valid until {to:u}");
    }
}
