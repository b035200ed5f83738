using System.Net;
using Portcullis.Core.Pools;

namespace Portcullis.Core.Config;

/// <summary>One <c>pools.NAME</c> section: the virtual IP addresses a gateway hands out and the servers it announces with them.</summary>
public sealed class PoolConfig
{
    /// <summary>The section's name, which connections name in their <c>pools</c> key.</summary>
    public required string Name { get; init; }

    /// <summary>Where the section starts.</summary>
    public SourceLocation Location { get; init; }

    /// <summary>The addresses handed out (<c>addrs</c>: one subnet, range or address, as in strongSwan).</summary>
    public required AddressRange Addrs { get; init; }

    /// <summary>DNS servers sent as INTERNAL_IP4_DNS / INTERNAL_IP6_DNS with an address from this pool (<c>dns</c>).</summary>
    public IReadOnlyList<IPAddress> Dns { get; init; } = [];

    /// <summary>NetBIOS name servers sent as INTERNAL_IP4_NBNS / INTERNAL_IP6_NBNS (<c>nbns</c>).</summary>
    public IReadOnlyList<IPAddress> Nbns { get; init; } = [];
}
