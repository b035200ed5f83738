using System.Net;

namespace Portcullis.Core.Firewall;

/// <summary>The ruleset syntax to write.</summary>
public enum FirewallFormat
{
    /// <summary>An <c>nft -f</c> file: one <c>inet</c> table for IPv4 and IPv6.</summary>
    Nftables,
    /// <summary>An <c>iptables-restore</c> file (IPv4 rules only).</summary>
    Iptables,
    /// <summary>An <c>ip6tables-restore</c> file (IPv6 rules only).</summary>
    Ip6tables,
}

/// <summary>What <c>portcullis firewall</c> was asked for, beside the configuration.</summary>
public sealed record FirewallOptions
{
    /// <summary>The swanctl.conf the rules come from (named in the header).</summary>
    public string ConfigPath { get; init; } = "swanctl.conf";

    /// <summary>The outgoing (Internet-facing) interface: pool traffic is masqueraded out of it; null: any but the TUN.</summary>
    public string? Interface { get; init; }

    /// <summary>
    /// The public address of a NAT device in front of this server (<c>--nat-front</c>): peers reach us through it, so
    /// both sides detect the NAT and ESP always travels in UDP 4500.
    /// </summary>
    public IPAddress? NatFront { get; init; }

    /// <summary>Write the NAT front's ruleset (DNAT of UDP 500 and 4500 to this server) instead of this server's.</summary>
    public bool Front { get; init; }

    /// <summary>This server's address behind the NAT front; null: the connections' literal local_addrs.</summary>
    public IPAddress? Server { get; init; }

    /// <summary>The TUN device the daemon's data plane writes decrypted packets to (<c>daemon --tun</c>, default pcl0).</summary>
    public string TunName { get; init; } = "pcl0";

    /// <summary>The IKE port the daemon binds.</summary>
    public int IkePort { get; init; } = 500;

    /// <summary>The NAT-T port the daemon binds.</summary>
    public int NatTraversalPort { get; init; } = 4500;

    /// <summary>
    /// Masquerade IPv6 pools too (NAT66, <c>--nat66</c>). Off: only IPv4 pools are masqueraded and IPv6 pools are
    /// expected to be routed to the gateway, which is how IPv6 is meant to reach clients.
    /// </summary>
    public bool Nat66 { get; init; }

    /// <summary>Other services to let in (<c>--allow tcp/22</c>): protocol and port.</summary>
    public IReadOnlyList<(byte Protocol, ushort Port)> Allow { get; init; } = [];
}
