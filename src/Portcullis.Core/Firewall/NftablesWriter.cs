using System.Net.Sockets;
using System.Text;
using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Firewall;

/// <summary>
/// Writes a <see cref="FirewallPlan"/> as an <c>nft -f</c> file: one <c>inet portcullis</c> table (IPv4 and IPv6),
/// replaced as a whole on each load (create, delete, define), so loading it twice gives the same ruleset. The NAT
/// front's rules go in an <c>ip portcullis_front</c> table.
/// </summary>
public static class NftablesWriter
{
    /// <summary>The file's text.</summary>
    public static string Write(FirewallPlan plan, FirewallOptions options)
    {
        string table = options.Front ? "ip portcullis_front" : "inet portcullis";
        var sb = new StringBuilder();
        sb.Append("#!/usr/sbin/nft -f\n");
        sb.Append($"# portcullis firewall{(options.Front ? " --front" : "")}: nftables ruleset for {options.ConfigPath}\n");
        foreach (string note in plan.Notes) sb.Append("# ").Append(note).Append('\n');
        sb.Append($"table {table}\n");
        sb.Append($"delete table {table}\n");
        sb.Append($"table {table} {{\n");
        string policy = plan.DropByDefault ? "drop" : "accept";
        bool first = true;
        void Chain(string name, string hook, string priority, string chainPolicy, FirewallChain chain, bool always)
        {
            List<FirewallRule> rules = plan.Rules.Where(r => r.Chain == chain).ToList();
            if (rules.Count == 0 && !always) return;
            if (!first) sb.Append('\n');
            first = false;
            sb.Append($"\tchain {name} {{\n");
            sb.Append($"\t\ttype {(chain is FirewallChain.Prerouting or FirewallChain.Postrouting ? "nat" : "filter")} hook {hook} priority {priority}; policy {chainPolicy};\n");
            foreach (FirewallRule rule in rules) sb.Append("\t\t").Append(Rule(rule)).Append('\n');
            sb.Append("\t}\n");
        }
        Chain("input", "input", "filter", policy, FirewallChain.Input, always: !options.Front);
        Chain("forward", "forward", "filter", policy, FirewallChain.Forward, always: true);
        Chain("prerouting", "prerouting", "dstnat", "accept", FirewallChain.Prerouting, always: false);
        Chain("postrouting", "postrouting", "srcnat", "accept", FirewallChain.Postrouting, always: false);
        sb.Append("}\n");
        return sb.ToString();
    }

    /// <summary>One rule: match, verdict, comment.</summary>
    public static string Rule(FirewallRule rule)
    {
        var parts = new List<string>();
        if (rule.InInterface is { } iif) parts.Add($"iifname \"{iif}\"");
        if (rule.OutInterface is { } oif) parts.Add($"oifname {(rule.OutInterfaceNot ? "!= " : "")}\"{oif}\"");
        switch (rule.Special)
        {
            case FirewallSpecial.Loopback: parts.Add("iifname \"lo\""); break;
            case FirewallSpecial.Established: parts.Add("ct state established,related"); break;
            case FirewallSpecial.Invalid: parts.Add("ct state invalid"); break;
            case FirewallSpecial.Icmp: parts.Add("meta l4proto icmp icmp type { destination-unreachable, time-exceeded, parameter-problem, echo-request }"); break;
            case FirewallSpecial.Icmpv6:
                parts.Add("meta l4proto ipv6-icmp icmpv6 type { destination-unreachable, packet-too-big, time-exceeded, parameter-problem, echo-request, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert }");
                break;
        }
        if (rule.Source is { } src) parts.Add($"{Family(src)} saddr {Address(src)}");
        if (rule.Destination is { } dst) parts.Add($"{Family(dst)} daddr {Address(dst)}");
        if (rule.Protocol != 0)
        {
            string name = FirewallPlanner.ProtocolName(rule.Protocol);
            if (rule.Protocol is 6 or 17 && (rule.SourcePort is not null || rule.DestinationPort is not null))
            {
                if (rule.SourcePort is { } sp) parts.Add($"{name} sport {Ports(sp)}");
                if (rule.DestinationPort is { } dp) parts.Add($"{name} dport {Ports(dp)}");
            }
            else
            {
                parts.Add($"meta l4proto {name}");
                if (rule.SourcePort is { } sp) parts.Add($"th sport {Ports(sp)}");
                if (rule.DestinationPort is { } dp) parts.Add($"th dport {Ports(dp)}");
            }
        }
        parts.Add(rule.Verdict switch
        {
            FirewallVerdict.Accept => "accept",
            FirewallVerdict.Drop => "counter drop",
            FirewallVerdict.Masquerade => "masquerade",
            FirewallVerdict.Dnat => $"dnat to {rule.DnatTo}",
            _ => throw new ArgumentOutOfRangeException(nameof(rule), rule.Verdict, "unknown verdict"),
        });
        parts.Add($"comment \"{Escape(rule.Comment)}\"");
        return string.Join(' ', parts);
    }

    private static string Family(TrafficSelector ts) => ts.Family == AddressFamily.InterNetwork ? "ip" : "ip6";

    /// <summary>A prefix (<c>198.18.1.0/24</c>), one address, or a range (<c>a-b</c>).</summary>
    internal static string Address(TrafficSelector ts)
    {
        if (ts.TryGetPrefix(out var network, out int length))
            return length == network.GetAddressBytes().Length * 8 ? network.ToString() : $"{network}/{length}";
        return $"{ts.StartAddress}-{ts.EndAddress}";
    }

    private static string Ports((ushort From, ushort To) p) => p.From == p.To ? $"{p.From}" : $"{p.From}-{p.To}";

    // A comment is a quoted string: no double quotes or backslashes inside.
    private static string Escape(string text) => text.Replace('"', '\'').Replace('\\', '/');
}
