using System.Net;

namespace Portcullis.Core.Ppp;

/// <summary>Which end of the link a <see cref="PppSession"/> is.</summary>
public enum PppRole
{
    /// <summary>The gateway (LNS): asks the peer to authenticate and assigns its address.</summary>
    Server,
    /// <summary>The client (<c>portcullis l2tp-client</c>): authenticates itself and takes the address it is given.</summary>
    Client,
}

/// <summary>
/// How a <see cref="PppSession"/> negotiates. Defaults: RFC 1661's timers and counters, and the keepalive of the usual
/// xl2tpd/pppd L2TP/IPsec setups (lcp-echo-interval 30, lcp-echo-failure 4).
/// </summary>
public sealed record PppOptions
{
    /// <summary>Server or client.</summary>
    public PppRole Role { get; init; } = PppRole.Server;

    /// <summary>The session's name at the start of each log line (the lead passes the L2TP tunnel and session).</summary>
    public string Name { get; init; } = "ppp";

    /// <summary>
    /// Server: the protocols to ask the peer to authenticate with, in order of preference; when the peer Naks one,
    /// the one it suggests is taken if listed, else the next (MS-CHAPv2 alone by default, as Windows uses it).
    /// Client: the protocols it agrees to; the first is suggested when the server asks for another.
    /// </summary>
    public IReadOnlyList<PppAuthenticationProtocol> AuthenticationProtocols { get; init; } = [PppAuthenticationProtocol.MsChapV2];

    /// <summary>
    /// Server: the secret of a user (the bytes of <c>secrets.eap-*.secret</c>), or null for an unknown user. The array
    /// is read and never changed (it may be the configuration's own).
    /// </summary>
    public Func<string, byte[]?>? FindPassword { get; init; }

    /// <summary>Client: the user name to authenticate as.</summary>
    public string? UserName { get; init; }

    /// <summary>Client: the password (UTF-8). Read, never changed.</summary>
    public byte[]? Password { get; init; }

    /// <summary>The Name in our CHAP and MS-CHAPv2 Challenges.</summary>
    public string ServerName { get; init; } = "Portcullis";

    /// <summary>The text of a successful authentication (CHAP and PAP messages, MS-CHAPv2's <c>M=</c>).</summary>
    public string SuccessText { get; init; } = "Welcome to Portcullis";

    /// <summary>
    /// The MRU we ask for and the largest MRU of the peer we accept; a larger one is Nak'ed down to this. 1400 leaves
    /// room for IPsec, UDP and L2TP around a full frame on a 1500-byte path.
    /// </summary>
    public int Mru { get; init; } = 1400;

    /// <summary>Ask for a Magic-Number (loop detection, RFC 1661 §6.4).</summary>
    public bool UseMagicNumber { get; init; } = true;

    /// <summary>The Restart timer (RFC 1661 §4.6: 3 s).</summary>
    public TimeSpan RestartInterval { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Max-Configure: Configure-Requests without an answer before giving up (10).</summary>
    public int MaxConfigure { get; init; } = 10;

    /// <summary>Max-Terminate: Terminate-Requests without an Ack before finishing anyway (2).</summary>
    public int MaxTerminate { get; init; } = 2;

    /// <summary>Max-Failure: Configure-Naks sent without an Ack before Naks become Rejects (5).</summary>
    public int MaxFailure { get; init; } = 5;

    /// <summary>Time between LCP Echo-Requests while the link is up (pppd's lcp-echo-interval); zero: none.</summary>
    public TimeSpan EchoInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Unanswered Echo-Requests after which the link is down (pppd's lcp-echo-failure).</summary>
    public int EchoFailure { get; init; } = 4;

    /// <summary>How long the Authentication phase may last before the link is closed.</summary>
    public TimeSpan AuthenticationTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Server: our own address, sent in IPCP's IP-Address (none if null).</summary>
    public IPAddress? LocalAddress { get; init; }

    /// <summary>
    /// Server: the address for the authenticated user, called once when the Network phase starts (the lead plugs
    /// <see cref="Pools.AddressPoolManager"/> in and releases the lease on <see cref="PppDown"/>). Null: the link closes.
    /// </summary>
    public Func<string, IPAddress?>? AssignPeerAddress { get; init; }

    /// <summary>Server: Primary- and Secondary-DNS-Address (RFC 1877), offered when the peer asks.</summary>
    public IReadOnlyList<IPAddress> Dns { get; init; } = [];

    /// <summary>Server: Primary- and Secondary-NBNS-Address (RFC 1877), offered when the peer asks.</summary>
    public IReadOnlyList<IPAddress> Nbns { get; init; } = [];

    /// <summary>Client: the address to ask for (0.0.0.0, any, when null).</summary>
    public IPAddress? RequestedAddress { get; init; }

    /// <summary>Client: ask for Primary- and Secondary-DNS-Address.</summary>
    public bool RequestDns { get; init; } = true;

    /// <summary>
    /// Server: the prefix whose first 64 bits make the peer's global IPv6 address with its IPv6CP Interface-Identifier
    /// (SLAAC from our Router Advertisement, RFC 4862). Set: IPv6CP runs beside IPCP and IPv6 flows. Null: IPv6CP gets
    /// a Protocol-Reject, so the peer runs IPv4 alone.
    /// </summary>
    public IPAddress? Ipv6Prefix { get; init; }

    /// <summary>
    /// Server: the peer's own /64, asked for once with the authenticated user when IPv6CP first opens (the daemon
    /// plugs <see cref="Pools.AddressPoolManager.AcquirePrefix"/> in and releases it on <see cref="PppDown"/>). Its
    /// first 64 bits go into the Router Advertisements instead of <see cref="Ipv6Prefix"/>'s, so every address the peer
    /// forms (SLAAC with its identifier, RFC 4941 temporary ones) is in a prefix of its own. Null, or a null answer:
    /// <see cref="Ipv6Prefix"/>, shared by all peers, each routed by its one address.
    /// </summary>
    public Func<string, IPAddress?>? AssignIpv6Prefix { get; init; }

    /// <summary>Server: IPv6 DNS servers, sent in the Router Advertisements' RDNSS option (RFC 8106); none: no option.</summary>
    public IReadOnlyList<IPAddress> Ipv6Dns { get; init; } = [];

    /// <summary>Client: negotiate IPv6CP beside IPCP (a server that Protocol-Rejects it leaves IPv4 alone).</summary>
    public bool RequestIpv6 { get; init; }

    /// <summary>
    /// Server: whether a peer's Interface-Identifier must be refused (Nak'ed with another) because the address it makes
    /// belongs to another link or to a pool; null: only zero and our own are refused.
    /// </summary>
    public Func<ulong, bool>? Ipv6IdentifierTaken { get; init; }

    /// <summary>Fills a span with random bytes (magic numbers, challenges); null: the system's CSPRNG.</summary>
    public Action<Span<byte>>? Random { get; init; }
}
