using System.Net.Sockets;
using System.Text;
using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Firewall;

/// <summary>
/// Writes a <see cref="FirewallPlan"/> as an <c>iptables-restore</c> (IPv4) or <c>ip6tables-restore</c> (IPv6) file.
/// iptables-restore replaces each table it names, so the file holds the whole <c>filter</c> table and, only when
/// there is something to translate, the whole <c>nat</c> table. Works with both iptables flavours (nft and legacy).
/// </summary>
public static class IptablesWriter
{
    /// <summary>The file's text for one family.</summary>
    public static string Write(FirewallPlan plan, FirewallOptions options, AddressFamily family)
    {
        bool v6 = family == AddressFamily.InterNetworkV6;
        string tool = v6 ? "ip6tables-restore" : "iptables-restore";
        var sb = new StringBuilder();
        sb.Append($"# portcullis firewall{(options.Front ? " --front" : "")}: {tool} ruleset for {options.ConfigPath}\n");
        foreach (string note in plan.Notes) sb.Append("# ").Append(note).Append('\n');
        List<FirewallRule> rules = plan.Rules.Where(r => FirewallPlanner.AppliesTo(r, family)).ToList();
        bool otherFamily = plan.Rules.Any(r => r.Special == FirewallSpecial.None && !FirewallPlanner.AppliesTo(r, family));
        if (otherFamily)
            sb.Append($"# Rules for {(v6 ? "IPv4" : "IPv6")} addresses are in: portcullis firewall --format {(v6 ? "iptables" : "ip6tables")}\n");

        string policy = plan.DropByDefault ? "DROP" : "ACCEPT";
        sb.Append("*filter\n");
        sb.Append($":INPUT {(options.Front ? "ACCEPT" : policy)} [0:0]\n");
        sb.Append($":FORWARD {policy} [0:0]\n");
        sb.Append(":OUTPUT ACCEPT [0:0]\n");
        foreach (FirewallRule r in rules.Where(r => r.Chain is FirewallChain.Input or FirewallChain.Forward))
            sb.Append(Rule(r, v6)).Append('\n');
        sb.Append("COMMIT\n");
        if (rules.Any(r => r.Chain is FirewallChain.Prerouting or FirewallChain.Postrouting))
        {
            sb.Append("*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n");
            foreach (FirewallRule r in rules.Where(r => r.Chain is FirewallChain.Prerouting or FirewallChain.Postrouting))
                sb.Append(Rule(r, v6)).Append('\n');
            sb.Append("COMMIT\n");
        }
        return sb.ToString();
    }

    /// <summary>One <c>-A CHAIN …</c> line.</summary>
    public static string Rule(FirewallRule rule, bool v6)
    {
        var parts = new List<string> { "-A", rule.Chain.ToString().ToUpperInvariant() };
        if (rule.Special == FirewallSpecial.Loopback) parts.Add("-i lo");
        if (rule.InInterface is { } iif) parts.Add($"-i {iif}");
        if (rule.OutInterface is { } oif) parts.Add(rule.OutInterfaceNot ? $"! -o {oif}" : $"-o {oif}");
        AddAddress(parts, rule.Source, "s", "src-range");
        AddAddress(parts, rule.Destination, "d", "dst-range");
        switch (rule.Special)
        {
            case FirewallSpecial.Established: parts.Add("-m conntrack --ctstate RELATED,ESTABLISHED"); break;
            case FirewallSpecial.Invalid: parts.Add("-m conntrack --ctstate INVALID"); break;
            case FirewallSpecial.Icmp or FirewallSpecial.Icmpv6: return IcmpLines(rule);
        }
        if (rule.Protocol != 0)
        {
            string name = FirewallPlanner.ProtocolName(rule.Protocol);
            parts.Add($"-p {name}");
            if (rule.Protocol is 6 or 17 or 132 && (rule.SourcePort is not null || rule.DestinationPort is not null))
            {
                parts.Add($"-m {name}");
                if (rule.SourcePort is { } sp) parts.Add($"--sport {Ports(sp)}");
                if (rule.DestinationPort is { } dp) parts.Add($"--dport {Ports(dp)}");
            }
        }
        parts.Add($"-m comment --comment \"{Escape(rule.Comment)}\"");
        parts.Add(rule.Verdict switch
        {
            FirewallVerdict.Accept => "-j ACCEPT",
            FirewallVerdict.Drop => "-j DROP",
            FirewallVerdict.Masquerade => "-j MASQUERADE",
            FirewallVerdict.Dnat => $"-j DNAT --to-destination {rule.DnatTo}",
            _ => throw new ArgumentOutOfRangeException(nameof(rule), rule.Verdict, "unknown verdict"),
        });
        return string.Join(' ', parts);
    }

    // The ICMP types IPsec and IPv6 need, one rule each (iptables matches one type per rule).
    private static string IcmpLines(FirewallRule rule)
    {
        (string proto, string option, string[] types) = rule.Special == FirewallSpecial.Icmp
            ? ("icmp", "--icmp-type", new[] { "destination-unreachable", "time-exceeded", "parameter-problem", "echo-request" })
            : ("ipv6-icmp", "--icmpv6-type", new[] { "destination-unreachable", "packet-too-big", "time-exceeded", "parameter-problem", "echo-request", "router-advertisement", "neighbour-solicitation", "neighbour-advertisement" });
        string match = rule.Special == FirewallSpecial.Icmp ? "icmp" : "icmp6";
        return string.Join('\n', types.Select(t => $"-A {rule.Chain.ToString().ToUpperInvariant()} -p {proto} -m {match} {option} {t} -m comment --comment \"{Escape(rule.Comment)}\" -j ACCEPT"));
    }

    private static void AddAddress(List<string> parts, TrafficSelector? ts, string flag, string rangeFlag)
    {
        if (ts is not { } t) return;
        if (t.TryGetPrefix(out var network, out int length)) parts.Add($"-{flag} {network}/{length}");
        else parts.Add($"-m iprange --{rangeFlag} {t.StartAddress}-{t.EndAddress}");
    }

    private static string Ports((ushort From, ushort To) p) => p.From == p.To ? $"{p.From}" : $"{p.From}:{p.To}";

    private static string Escape(string text) => text.Replace('"', '\'').Replace('\\', '/');
}
