using System.Buffers.Binary;
using System.Net;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ppp;

/// <summary>IPv6CP Configuration Option types (RFC 5072 §4).</summary>
public enum Ipv6cpOptionType : byte
{
    /// <summary>Interface-Identifier: the low 64 bits of the sender's link-local address.</summary>
    InterfaceIdentifier = 1,
    /// <summary>IPv6-Compression-Protocol (RFC 5172).</summary>
    Ipv6CompressionProtocol = 2,
}

/// <summary>
/// The IPv6CP options Portcullis negotiates:
/// <code>
///  Interface-Identifier   1 | 10 | Interface-Identifier (8)
/// </code>
/// An identifier is handled as a 64-bit number, most significant byte first on the wire.
/// </summary>
public static class Ipv6cpOptions
{
    /// <summary>The Length of an Interface-Identifier option.</summary>
    public const int InterfaceIdentifierLength = PppOption.HeaderSize + 8;

    /// <summary>The option's name in RFC 5072's words, or its number.</summary>
    public static string Name(byte type) => (Ipv6cpOptionType)type switch
    {
        Ipv6cpOptionType.InterfaceIdentifier => "Interface-Identifier",
        Ipv6cpOptionType.Ipv6CompressionProtocol => "IPv6-Compression-Protocol",
        _ => $"option {type}",
    };

    /// <summary>An Interface-Identifier option.</summary>
    public static PppOption InterfaceIdentifier(ulong identifier)
    {
        Span<byte> data = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(data, identifier);
        return new PppOption((byte)Ipv6cpOptionType.InterfaceIdentifier, data);
    }

    /// <summary>Reads an Interface-Identifier option.</summary>
    public static bool TryReadInterfaceIdentifier(PppOption option, out ulong identifier, out ParseError error)
    {
        identifier = 0;
        error = default;
        if (option.Length != InterfaceIdentifierLength)
        {
            error = new(Name(option.Type), $"Length {option.Length}, must be {InterfaceIdentifierLength}");
            return false;
        }
        identifier = BinaryPrimitives.ReadUInt64BigEndian(option.Data);
        return true;
    }

    /// <summary>An identifier as the low half of an IPv6 address is written (<c>1122:3344:5566:7788</c>).</summary>
    public static string Format(ulong identifier) =>
        $"{identifier >> 48:x}:{(identifier >> 32) & 0xFFFF:x}:{(identifier >> 16) & 0xFFFF:x}:{identifier & 0xFFFF:x}";

    /// <summary>The address of <paramref name="prefix"/>'s first 64 bits with <paramref name="identifier"/> as its last 64 (RFC 4291 §2.5.1).</summary>
    /// <exception cref="ArgumentException">The prefix is not an IPv6 address.</exception>
    public static IPAddress Address(IPAddress prefix, ulong identifier)
    {
        if (prefix.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6) throw new ArgumentException("an IPv6 prefix is needed", nameof(prefix));
        Span<byte> bytes = stackalloc byte[16];
        prefix.TryWriteBytes(bytes, out _);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], identifier);
        return new IPAddress(bytes);
    }

    /// <summary>The link-local address fe80::<paramref name="identifier"/> (RFC 5072 §5).</summary>
    public static IPAddress LinkLocal(ulong identifier)
    {
        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        bytes[0] = 0xFE;
        bytes[1] = 0x80;
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], identifier);
        return new IPAddress(bytes);
    }
}
