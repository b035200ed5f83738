using System.Globalization;

namespace Portcullis.Core.Ppp;

/// <summary>PPP Protocol field values (RFC 1661 §2 and the IANA PPP DLL protocol numbers) that Portcullis handles or names.</summary>
public enum PppProtocol : ushort
{
    /// <summary>Internet Protocol version 4.</summary>
    Ipv4 = 0x0021,
    /// <summary>Internet Protocol version 6.</summary>
    Ipv6 = 0x0057,
    /// <summary>Internet Protocol Control Protocol (RFC 1332).</summary>
    Ipcp = 0x8021,
    /// <summary>IPv6 Control Protocol (RFC 5072); run when IPv6 is configured, else refused with a Protocol-Reject.</summary>
    Ipv6cp = 0x8057,
    /// <summary>Compression Control Protocol (RFC 1962); refused with a Protocol-Reject.</summary>
    Ccp = 0x80FD,
    /// <summary>Link Control Protocol (RFC 1661).</summary>
    Lcp = 0xC021,
    /// <summary>Password Authentication Protocol (RFC 1334).</summary>
    Pap = 0xC023,
    /// <summary>Link Quality Report (RFC 1989).</summary>
    Lqr = 0xC025,
    /// <summary>Challenge Handshake Authentication Protocol (RFC 1994), also carrying MS-CHAPv2 (RFC 2759).</summary>
    Chap = 0xC223,
    /// <summary>Extensible Authentication Protocol (RFC 3748).</summary>
    Eap = 0xC227,
}

/// <summary>Names of Protocol field values for log lines.</summary>
public static class PppProtocolNames
{
    /// <summary>The protocol's usual name (<c>IPCP</c>), or its number in hex (<c>0x8281</c>).</summary>
    public static string Of(ushort protocol) => (PppProtocol)protocol switch
    {
        PppProtocol.Ipv4 => "IPv4",
        PppProtocol.Ipv6 => "IPv6",
        PppProtocol.Ipcp => "IPCP",
        PppProtocol.Ipv6cp => "IPv6CP",
        PppProtocol.Ccp => "CCP",
        PppProtocol.Lcp => "LCP",
        PppProtocol.Pap => "PAP",
        PppProtocol.Lqr => "LQR",
        PppProtocol.Chap => "CHAP",
        PppProtocol.Eap => "EAP",
        _ => "0x" + protocol.ToString("x4", CultureInfo.InvariantCulture),
    };
}
