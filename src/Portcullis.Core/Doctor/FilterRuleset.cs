using System.Net;
using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Doctor;

/// <summary>A packet the configuration needs to arrive (UDP 500 from a peer, ESP, …).</summary>
public sealed record NeededPacket(byte Protocol, ushort Port, IPAddress? Source, IPAddress? Destination, string Description);

/// <summary>What a rule's match says about a packet: yes, no, or cannot tell (a match this analyser does not model).</summary>
internal delegate bool? PacketMatch(NeededPacket packet);

/// <summary>One rule, reduced to what matters for incoming IKE and ESP.</summary>
internal sealed record FilterRule(string Text, IReadOnlyList<PacketMatch> Matches, string Verdict, string? Target = null);

/// <summary>One chain; base chains hooked on input have a policy.</summary>
internal sealed record FilterChain(string Where, bool InputHook, string? Policy, int Priority, IReadOnlyList<FilterRule> Rules);

/// <summary>A packet's fate in a ruleset.</summary>
public enum FilterFate
{
    /// <summary>Every input chain accepts it (or nothing filters input).</summary>
    Accepted,
    /// <summary>A rule or a chain policy drops or rejects it.</summary>
    Dropped,
    /// <summary>A rule this analyser cannot evaluate fully may drop it.</summary>
    MaybeDropped,
}

/// <summary>
/// An existing ruleset (from <c>nft -j list ruleset</c> or <c>iptables-save</c>) evaluated for the packets a
/// configuration needs, as netfilter would: every base chain on the input hook in priority order, rules in order,
/// jumps and gotos followed, the policy at the end. Matches it does not model count as "cannot tell": an accept
/// behind one is not relied on, a drop behind one is reported as a possible block.
/// </summary>
public sealed class FilterRuleset
{
    private readonly IReadOnlyList<FilterChain> _chains;

    internal FilterRuleset(string source, IReadOnlyList<FilterChain> chains)
    {
        Source = source;
        _chains = chains;
    }

    /// <summary>Where the rules came from (<c>nftables</c>, <c>iptables-legacy</c>).</summary>
    public string Source { get; }

    /// <summary>Whether any chain filters input at all.</summary>
    public bool FiltersInput => _chains.Any(c => c.InputHook);

    /// <summary>The packet's fate and the rule or policy that decides it.</summary>
    public (FilterFate Fate, string? Because) Evaluate(NeededPacket packet)
    {
        string? maybe = null;
        foreach (FilterChain chain in _chains.Where(c => c.InputHook && FamilyFits(c.Where, packet)).OrderBy(c => c.Priority))
        {
            (string verdict, string? because, string? chainMaybe) = Walk(chain, packet, 0);
            maybe ??= chainMaybe;
            if (verdict is "drop" or "reject") return (FilterFate.Dropped, because);
            if (verdict == "none" && chain.Policy == "drop") return (maybe is null ? FilterFate.Dropped : FilterFate.MaybeDropped, $"{chain.Where} policy drop");
        }
        return maybe is null ? (FilterFate.Accepted, null) : (FilterFate.MaybeDropped, maybe);
    }

    // ip tables see IPv4 only, ip6 tables IPv6 only; inet both.
    private static bool FamilyFits(string where, NeededPacket packet)
    {
        bool v6 = (packet.Source ?? packet.Destination)?.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        if (where.StartsWith("ip6 ", StringComparison.Ordinal)) return v6;
        if (where.StartsWith("ip ", StringComparison.Ordinal)) return !v6;
        return !where.StartsWith("arp ", StringComparison.Ordinal) && !where.StartsWith("bridge ", StringComparison.Ordinal) && !where.StartsWith("netdev ", StringComparison.Ordinal);
    }

    // "accept", "drop", "reject" or "none" (fell off the end or returned), the rule that decided, and the first drop
    // passed on the way whose match could not be evaluated (it might have hit the packet).
    private (string Verdict, string? Because, string? Maybe) Walk(FilterChain chain, NeededPacket packet, int depth)
    {
        string? maybe = null;
        if (depth > 16) return ("none", null, $"{chain.Where}: jumps nested too deep to follow");
        foreach (FilterRule rule in chain.Rules)
        {
            bool? matches = true;
            foreach (PacketMatch m in rule.Matches)
            {
                bool? r = m(packet);
                if (r == false) { matches = false; break; }
                if (r is null) matches = null;
            }
            if (matches == false) continue;
            if (matches is null)
            {
                // Cannot tell: a drop here might hit the packet; an accept cannot be relied on.
                if (rule.Verdict is "drop" or "reject") maybe ??= $"{chain.Where}: {rule.Text}";
                continue;
            }
            switch (rule.Verdict)
            {
                case "accept": return ("accept", null, maybe);
                case "drop" or "reject": return (rule.Verdict, $"{chain.Where}: {rule.Text}", maybe);
                case "return": return ("none", null, maybe);
                case "jump" or "goto":
                    FilterChain? target = _chains.FirstOrDefault(c => c.Where == rule.Target);
                    if (target is null) continue;
                    (string v, string? because, string? m2) = Walk(target, packet, depth + 1);
                    maybe ??= m2;
                    if (v != "none") return (v, because, maybe);
                    if (rule.Verdict == "goto") return ("none", null, maybe);
                    break;
            }
        }
        return ("none", null, maybe);
    }

    /// <summary>Address match helper: the packet's address inside a prefix or range; unknown address: cannot tell.</summary>
    internal static bool? AddressIn(IPAddress? address, TrafficSelector range)
    {
        if (address is null) return null;
        if (address.AddressFamily != range.Family) return false;
        return range.ContainsAddress(address.GetAddressBytes());
    }
}
