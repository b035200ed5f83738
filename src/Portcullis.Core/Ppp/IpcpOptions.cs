using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ppp;

/// <summary>IPCP Configuration Option types (RFC 1332 §3, RFC 1877 §1).</summary>
public enum IpcpOptionType : byte
{
    /// <summary>IP-Addresses (deprecated, RFC 1172).</summary>
    IpAddresses = 1,
    /// <summary>IP-Compression-Protocol (Van Jacobson TCP/IP header compression, 0x002d).</summary>
    IpCompressionProtocol = 2,
    /// <summary>IP-Address.</summary>
    IpAddress = 3,
    /// <summary>Mobile-IPv4 (RFC 2290).</summary>
    MobileIpv4 = 4,
    /// <summary>Primary-DNS-Address (RFC 1877).</summary>
    PrimaryDnsAddress = 129,
    /// <summary>Primary-NBNS-Address (RFC 1877).</summary>
    PrimaryNbnsAddress = 130,
    /// <summary>Secondary-DNS-Address (RFC 1877).</summary>
    SecondaryDnsAddress = 131,
    /// <summary>Secondary-NBNS-Address (RFC 1877).</summary>
    SecondaryNbnsAddress = 132,
}

/// <summary>
/// The IPCP options Portcullis negotiates:
/// <code>
///  IP-Address, Primary/Secondary-DNS-Address, Primary/Secondary-NBNS-Address   Type | 6 | IPv4 address (4)
///  IP-Compression-Protocol                                                     2 | 4+ | protocol (2) | data
/// </code>
/// </summary>
public static class IpcpOptions
{
    /// <summary>The option's name in RFC 1332's and RFC 1877's words, or its number.</summary>
    public static string Name(byte type) => (IpcpOptionType)type switch
    {
        IpcpOptionType.IpAddresses => "IP-Addresses",
        IpcpOptionType.IpCompressionProtocol => "IP-Compression-Protocol",
        IpcpOptionType.IpAddress => "IP-Address",
        IpcpOptionType.MobileIpv4 => "Mobile-IPv4",
        IpcpOptionType.PrimaryDnsAddress => "Primary-DNS-Address",
        IpcpOptionType.PrimaryNbnsAddress => "Primary-NBNS-Address",
        IpcpOptionType.SecondaryDnsAddress => "Secondary-DNS-Address",
        IpcpOptionType.SecondaryNbnsAddress => "Secondary-NBNS-Address",
        _ => $"option {type}",
    };

    /// <summary>Whether the option carries one IPv4 address.</summary>
    public static bool IsAddress(byte type) => (IpcpOptionType)type is IpcpOptionType.IpAddress or IpcpOptionType.PrimaryDnsAddress
        or IpcpOptionType.PrimaryNbnsAddress or IpcpOptionType.SecondaryDnsAddress or IpcpOptionType.SecondaryNbnsAddress;

    /// <summary>An address option (IP-Address, a DNS or an NBNS address).</summary>
    /// <exception cref="ArgumentException">The address is not IPv4 or the type carries no address.</exception>
    public static PppOption Address(IpcpOptionType type, IPAddress address)
    {
        if (!IsAddress((byte)type)) throw new ArgumentException($"{Name((byte)type)} carries no address", nameof(type));
        if (address.AddressFamily != AddressFamily.InterNetwork) throw new ArgumentException("IPCP carries IPv4 addresses", nameof(address));
        Span<byte> data = stackalloc byte[4];
        address.TryWriteBytes(data, out _);
        return new PppOption((byte)type, data);
    }

    /// <summary>Reads an address option.</summary>
    public static bool TryReadAddress(PppOption option, out IPAddress address, out ParseError error)
    {
        address = IPAddress.Any;
        error = default;
        if (option.Length != 6) { error = new(Name(option.Type), $"Length {option.Length}, must be 6"); return false; }
        address = new IPAddress(option.Data);
        return true;
    }

    /// <summary>Reads the protocol of an IP-Compression-Protocol (0x002d for Van Jacobson).</summary>
    public static bool TryReadCompressionProtocol(PppOption option, out ushort protocol, out ParseError error)
    {
        protocol = 0;
        error = default;
        if (option.Length < 4) { error = new(Name(option.Type), $"Length {option.Length}, must be at least 4"); return false; }
        protocol = BinaryPrimitives.ReadUInt16BigEndian(option.Data);
        return true;
    }
}
