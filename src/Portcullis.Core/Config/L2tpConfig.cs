using System.Net;

namespace Portcullis.Core.Config;

/// <summary>A PPP authentication method the L2TP server asks for, in the order of <c>l2tp.auth</c>.</summary>
public enum PppAuthMethod
{
    /// <summary>MS-CHAPv2 (RFC 2759), what Windows, macOS, iOS and Android use by default.</summary>
    MsChapV2,
    /// <summary>CHAP with MD5 (RFC 1994).</summary>
    ChapMd5,
    /// <summary>PAP (RFC 1334): the password in the clear inside ESP.</summary>
    Pap,
}

/// <summary>
/// The <c>l2tp</c> section, a Portcullis extension of swanctl.conf (strongSwan leaves L2TP to xl2tpd and pppd): its
/// presence turns on the L2TP network server on UDP 1701, reachable only through transport-mode IPsec SAs. PPP users
/// are the <c>secrets.eap-*</c> entries, as strongSwan's EAP users.
/// </summary>
public sealed class L2tpConfig
{
    /// <summary>Where the section starts.</summary>
    public required SourceLocation Location { get; init; }

    /// <summary>The pools IPCP takes the clients' addresses (and DNS/NBNS servers) from (<c>pools</c>).</summary>
    public required IReadOnlyList<string> Pools { get; init; }

    /// <summary>PPP authentication methods in order of preference (<c>auth</c>, default mschapv2).</summary>
    public IReadOnlyList<PppAuthMethod> Auth { get; init; } = [PppAuthMethod.MsChapV2];

    /// <summary>The server's own address on the PPP links (<c>local_ip</c>).</summary>
    public required IPAddress LocalIp { get; init; }

    /// <summary>The largest PPP frame we accept (<c>mru</c>, default 1400: ESP, UDP and L2TP headers fit in 1500).</summary>
    public int Mru { get; init; } = 1400;
}
