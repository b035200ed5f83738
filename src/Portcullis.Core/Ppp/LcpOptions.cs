using System.Buffers.Binary;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ppp;

/// <summary>LCP Configuration Option types (RFC 1661 §6 and the IANA registry).</summary>
public enum LcpOptionType : byte
{
    /// <summary>Vendor-Specific (RFC 2153).</summary>
    VendorSpecific = 0,
    /// <summary>Maximum-Receive-Unit.</summary>
    MaximumReceiveUnit = 1,
    /// <summary>Async-Control-Character-Map (RFC 1662 §7.1).</summary>
    AsyncControlCharacterMap = 2,
    /// <summary>Authentication-Protocol.</summary>
    AuthenticationProtocol = 3,
    /// <summary>Quality-Protocol.</summary>
    QualityProtocol = 4,
    /// <summary>Magic-Number.</summary>
    MagicNumber = 5,
    /// <summary>Protocol-Field-Compression.</summary>
    ProtocolFieldCompression = 7,
    /// <summary>Address-and-Control-Field-Compression.</summary>
    AddressAndControlFieldCompression = 8,
    /// <summary>Callback (RFC 1570; Windows asks for it).</summary>
    Callback = 13,
    /// <summary>Multilink Maximum-Received-Reconstructed-Unit (RFC 1990).</summary>
    MultilinkMrru = 17,
    /// <summary>Multilink Short Sequence Number Header Format (RFC 1990).</summary>
    MultilinkShortSequence = 18,
    /// <summary>Endpoint Discriminator (RFC 1990).</summary>
    EndpointDiscriminator = 19,
    /// <summary>Link Discriminator (RFC 2125).</summary>
    LinkDiscriminator = 23,
}

/// <summary>
/// The LCP options Portcullis negotiates, written and read with their lengths checked:
/// <code>
///  Maximum-Receive-Unit        1 | 4 | MRU (2)
///  Async-Control-Character-Map 2 | 6 | ACCM (4)
///  Authentication-Protocol     3 | 4+ | Authentication-Protocol (2) | Data (CHAP: Algorithm (1))
///  Magic-Number                5 | 6 | Magic-Number (4)
///  Protocol-Field-Compression  7 | 2
///  Address-and-Control-Field-Compression 8 | 2
/// </code>
/// </summary>
public static class LcpOptions
{
    /// <summary>The MRU both sides assume when none is negotiated (RFC 1661 §6.1).</summary>
    public const int DefaultMru = 1500;

    /// <summary>The option's name in RFC 1661's words, or its number.</summary>
    public static string Name(byte type) => (LcpOptionType)type switch
    {
        LcpOptionType.VendorSpecific => "Vendor-Specific",
        LcpOptionType.MaximumReceiveUnit => "Maximum-Receive-Unit",
        LcpOptionType.AsyncControlCharacterMap => "Async-Control-Character-Map",
        LcpOptionType.AuthenticationProtocol => "Authentication-Protocol",
        LcpOptionType.QualityProtocol => "Quality-Protocol",
        LcpOptionType.MagicNumber => "Magic-Number",
        LcpOptionType.ProtocolFieldCompression => "Protocol-Field-Compression",
        LcpOptionType.AddressAndControlFieldCompression => "Address-and-Control-Field-Compression",
        LcpOptionType.Callback => "Callback",
        LcpOptionType.MultilinkMrru => "Multilink-MRRU",
        LcpOptionType.MultilinkShortSequence => "Multilink-Short-Sequence",
        LcpOptionType.EndpointDiscriminator => "Endpoint-Discriminator",
        LcpOptionType.LinkDiscriminator => "Link-Discriminator",
        _ => $"option {type}",
    };

    /// <summary>Maximum-Receive-Unit.</summary>
    public static PppOption Mru(ushort mru)
    {
        Span<byte> data = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(data, mru);
        return new PppOption((byte)LcpOptionType.MaximumReceiveUnit, data);
    }

    /// <summary>Async-Control-Character-Map.</summary>
    public static PppOption Accm(uint map)
    {
        Span<byte> data = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(data, map);
        return new PppOption((byte)LcpOptionType.AsyncControlCharacterMap, data);
    }

    /// <summary>Magic-Number.</summary>
    public static PppOption MagicNumber(uint magic)
    {
        Span<byte> data = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(data, magic);
        return new PppOption((byte)LcpOptionType.MagicNumber, data);
    }

    /// <summary>Authentication-Protocol: C0 23 for PAP, C2 23 and the Algorithm for CHAP and MS-CHAPv2.</summary>
    public static PppOption AuthenticationProtocol(PppAuthenticationProtocol protocol) => protocol switch
    {
        PppAuthenticationProtocol.Pap => new PppOption((byte)LcpOptionType.AuthenticationProtocol, [0xC0, 0x23]),
        PppAuthenticationProtocol.ChapMd5 => new PppOption((byte)LcpOptionType.AuthenticationProtocol, [0xC2, 0x23, PppAuthenticationProtocols.ChapAlgorithmMd5]),
        PppAuthenticationProtocol.MsChapV2 => new PppOption((byte)LcpOptionType.AuthenticationProtocol, [0xC2, 0x23, PppAuthenticationProtocols.ChapAlgorithmMsChapV2]),
        _ => throw new ArgumentOutOfRangeException(nameof(protocol), protocol, "not an authentication protocol"),
    };

    /// <summary>Protocol-Field-Compression.</summary>
    public static PppOption ProtocolFieldCompression() => new((byte)LcpOptionType.ProtocolFieldCompression, []);

    /// <summary>Address-and-Control-Field-Compression.</summary>
    public static PppOption AddressAndControlFieldCompression() => new((byte)LcpOptionType.AddressAndControlFieldCompression, []);

    /// <summary>Reads a Maximum-Receive-Unit.</summary>
    public static bool TryReadMru(PppOption option, out ushort mru, out ParseError error)
    {
        mru = 0;
        if (!RequireLength(option, 4, out error)) return false;
        mru = BinaryPrimitives.ReadUInt16BigEndian(option.Data);
        return true;
    }

    /// <summary>Reads an Async-Control-Character-Map.</summary>
    public static bool TryReadAccm(PppOption option, out uint map, out ParseError error)
    {
        map = 0;
        if (!RequireLength(option, 6, out error)) return false;
        map = BinaryPrimitives.ReadUInt32BigEndian(option.Data);
        return true;
    }

    /// <summary>Reads a Magic-Number.</summary>
    public static bool TryReadMagicNumber(PppOption option, out uint magic, out ParseError error)
    {
        magic = 0;
        if (!RequireLength(option, 6, out error)) return false;
        magic = BinaryPrimitives.ReadUInt32BigEndian(option.Data);
        return true;
    }

    /// <summary>Reads an Authentication-Protocol: the protocol and, for CHAP, the Algorithm (null when absent).</summary>
    public static bool TryReadAuthenticationProtocol(PppOption option, out ushort protocol, out byte? algorithm, out ParseError error)
    {
        protocol = 0;
        algorithm = null;
        error = default;
        if (option.Length < 4) { error = new(Name(option.Type), $"Length {option.Length}, must be at least 4"); return false; }
        protocol = BinaryPrimitives.ReadUInt16BigEndian(option.Data);
        if (protocol == (ushort)PppProtocol.Chap)
        {
            if (option.Length != 5) { error = new(Name(option.Type), $"Length {option.Length} for CHAP, must be 5 (with the Algorithm)"); return false; }
            algorithm = option.Data[2];
        }
        else if (protocol == (ushort)PppProtocol.Pap && option.Length != 4)
        {
            error = new(Name(option.Type), $"Length {option.Length} for PAP, must be 4");
            return false;
        }
        return true;
    }

    /// <summary>Checks a Protocol-Field-Compression or Address-and-Control-Field-Compression (no data).</summary>
    public static bool TryReadFlag(PppOption option, out ParseError error) => RequireLength(option, 2, out error);

    private static bool RequireLength(PppOption option, int length, out ParseError error)
    {
        error = default;
        if (option.Length == length) return true;
        error = new(Name(option.Type), $"Length {option.Length}, must be {length}");
        return false;
    }
}
