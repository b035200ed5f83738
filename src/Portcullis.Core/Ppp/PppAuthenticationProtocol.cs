using System.Globalization;

namespace Portcullis.Core.Ppp;

/// <summary>The authentication protocols Portcullis speaks in PPP's Authentication phase.</summary>
public enum PppAuthenticationProtocol
{
    /// <summary>PAP (RFC 1334): the password in the clear, inside IPsec.</summary>
    Pap,
    /// <summary>CHAP with MD5 (RFC 1994, algorithm 5).</summary>
    ChapMd5,
    /// <summary>MS-CHAPv2 (RFC 2759: CHAP algorithm 0x81), what the built-in clients use by default.</summary>
    MsChapV2,
}

/// <summary>The LCP encoding and names of <see cref="PppAuthenticationProtocol"/>.</summary>
public static class PppAuthenticationProtocols
{
    /// <summary>CHAP's Algorithm for MD5 (RFC 1994 §3).</summary>
    public const byte ChapAlgorithmMd5 = 5;

    /// <summary>CHAP's Algorithm for MS-CHAP version 1 (RFC 2433), which Portcullis does not speak.</summary>
    public const byte ChapAlgorithmMsChap = 0x80;

    /// <summary>CHAP's Algorithm for MS-CHAPv2 (RFC 2759 §2).</summary>
    public const byte ChapAlgorithmMsChapV2 = 0x81;

    /// <summary>The name in log lines: PAP, CHAP-MD5 or MS-CHAPv2.</summary>
    public static string Name(this PppAuthenticationProtocol protocol) => protocol switch
    {
        PppAuthenticationProtocol.Pap => "PAP",
        PppAuthenticationProtocol.ChapMd5 => "CHAP-MD5",
        PppAuthenticationProtocol.MsChapV2 => "MS-CHAPv2",
        _ => protocol.ToString(),
    };

    /// <summary>The PPP protocol that carries the exchange (PAP or CHAP).</summary>
    public static ushort CarriedBy(this PppAuthenticationProtocol protocol) =>
        protocol == PppAuthenticationProtocol.Pap ? (ushort)PppProtocol.Pap : (ushort)PppProtocol.Chap;

    /// <summary>The protocol an Authentication-Protocol option names, or null when Portcullis does not speak it.</summary>
    public static PppAuthenticationProtocol? FromOption(ushort protocol, byte? algorithm) => (protocol, algorithm) switch
    {
        ((ushort)PppProtocol.Pap, _) => PppAuthenticationProtocol.Pap,
        ((ushort)PppProtocol.Chap, ChapAlgorithmMd5) => PppAuthenticationProtocol.ChapMd5,
        ((ushort)PppProtocol.Chap, ChapAlgorithmMsChapV2) => PppAuthenticationProtocol.MsChapV2,
        _ => null,
    };

    /// <summary>A name for any Authentication-Protocol value, for log lines (<c>EAP</c>, <c>MS-CHAP (v1)</c>).</summary>
    public static string Describe(ushort protocol, byte? algorithm)
    {
        if (FromOption(protocol, algorithm) is PppAuthenticationProtocol known) return known.Name();
        if (protocol == (ushort)PppProtocol.Chap)
            return algorithm == ChapAlgorithmMsChap ? "MS-CHAP (v1)" : $"CHAP algorithm {algorithm?.ToString(CultureInfo.InvariantCulture) ?? "missing"}";
        return PppProtocolNames.Of(protocol);
    }
}
