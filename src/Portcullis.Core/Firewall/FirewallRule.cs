using System.Net;
using System.Net.Sockets;
using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Firewall;

/// <summary>The netfilter hook a rule sits on.</summary>
public enum FirewallChain
{
    /// <summary>Packets to this host (filter, input).</summary>
    Input,
    /// <summary>Packets routed through this host (filter, forward).</summary>
    Forward,
    /// <summary>Destination NAT before routing (nat, prerouting).</summary>
    Prerouting,
    /// <summary>Source NAT after routing (nat, postrouting).</summary>
    Postrouting,
}

/// <summary>What a rule does with a matching packet.</summary>
public enum FirewallVerdict
{
    /// <summary>Let it through.</summary>
    Accept,
    /// <summary>Drop it silently.</summary>
    Drop,
    /// <summary>Rewrite the source to the outgoing interface's address.</summary>
    Masquerade,
    /// <summary>Rewrite the destination to <see cref="FirewallRule.DnatTo"/>.</summary>
    Dnat,
}

/// <summary>Rules that are not a plain address/protocol/port match, written by each renderer in its own syntax.</summary>
public enum FirewallSpecial
{
    /// <summary>An ordinary match.</summary>
    None,
    /// <summary>Conntrack state established or related (answers to what this host or a client started).</summary>
    Established,
    /// <summary>Conntrack state invalid.</summary>
    Invalid,
    /// <summary>The loopback interface.</summary>
    Loopback,
    /// <summary>The ICMP messages IPsec needs (fragmentation needed for path MTU, unreachable, time exceeded) and echo.</summary>
    Icmp,
    /// <summary>The ICMPv6 messages IPv6 needs (neighbour discovery, packet too big, …) and echo.</summary>
    Icmpv6,
}

/// <summary>IP families a rule applies to.</summary>
[Flags]
public enum FirewallFamily
{
    /// <summary>IPv4.</summary>
    V4 = 1,
    /// <summary>IPv6.</summary>
    V6 = 2,
    /// <summary>Both.</summary>
    Both = V4 | V6,
}

/// <summary>
/// One rule of the generated ruleset: a match, a verdict and why (the comment written beside it). Addresses are
/// ranges (<see cref="TrafficSelector"/> without its protocol and ports), so a rule can say "from this peer" or "from
/// this traffic selector"; a rule with addresses applies to their family only.
/// </summary>
public sealed record FirewallRule
{
    /// <summary>The hook.</summary>
    public required FirewallChain Chain { get; init; }

    /// <summary>The verdict.</summary>
    public required FirewallVerdict Verdict { get; init; }

    /// <summary>Why the rule is there: short enough for nftables' 128-byte comments.</summary>
    public required string Comment { get; init; }

    /// <summary>A rule that is not a plain match.</summary>
    public FirewallSpecial Special { get; init; }

    /// <summary>IP protocol (17 UDP, 50 ESP, 51 AH, …); 0: any.</summary>
    public byte Protocol { get; init; }

    /// <summary>Source address range; null: any.</summary>
    public TrafficSelector? Source { get; init; }

    /// <summary>Destination address range; null: any.</summary>
    public TrafficSelector? Destination { get; init; }

    /// <summary>Source port range (with <see cref="Protocol"/> TCP, UDP or SCTP); null: any.</summary>
    public (ushort From, ushort To)? SourcePort { get; init; }

    /// <summary>Destination port range; null: any.</summary>
    public (ushort From, ushort To)? DestinationPort { get; init; }

    /// <summary>Incoming interface; null: any.</summary>
    public string? InInterface { get; init; }

    /// <summary>Outgoing interface; null: any.</summary>
    public string? OutInterface { get; init; }

    /// <summary>The outgoing interface must not be <see cref="OutInterface"/>.</summary>
    public bool OutInterfaceNot { get; init; }

    /// <summary>The new destination of a <see cref="FirewallVerdict.Dnat"/> rule.</summary>
    public IPAddress? DnatTo { get; init; }

    /// <summary>The families this rule applies to: those of its addresses, or both.</summary>
    public FirewallFamily Family
    {
        get
        {
            AddressFamily? f = Source?.Family ?? Destination?.Family ?? DnatTo?.AddressFamily;
            if (Special == FirewallSpecial.Icmp) return FirewallFamily.V4;
            if (Special == FirewallSpecial.Icmpv6) return FirewallFamily.V6;
            return f switch
            {
                AddressFamily.InterNetwork => FirewallFamily.V4,
                AddressFamily.InterNetworkV6 => FirewallFamily.V6,
                _ => FirewallFamily.Both,
            };
        }
    }

    /// <summary>The same match and verdict (the comment aside), so one rule can serve several connections.</summary>
    public bool SameMatch(FirewallRule other) => this with { Comment = "" } == other with { Comment = "" };
}
