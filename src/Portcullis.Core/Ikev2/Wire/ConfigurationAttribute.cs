using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Portcullis.Core.Ikev2.Wire;

/// <summary>
/// One configuration attribute of a Configuration payload (RFC 7296 §3.15.1):
/// <code>
///  R (1 bit) + Attribute Type (15 bits) | Length (2, of the value) | Value
/// </code>
/// The R bit is reserved: written as zero, ignored when read. In a request an empty value asks for one ("give me an
/// address"); a value there is what the client would like (its old address, on reauthentication).
/// </summary>
public sealed class ConfigurationAttribute
{
    /// <summary>Size of the attribute header (type and length).</summary>
    public const int HeaderSize = 4;

    private readonly byte[] _value;

    /// <summary>An attribute with a raw value. Values longer than 65535 bytes cannot be encoded.</summary>
    public ConfigurationAttribute(ConfigurationAttributeType type, ReadOnlySpan<byte> value)
    {
        if ((ushort)type > 0x7fff) throw new ArgumentOutOfRangeException(nameof(type), "attribute types have 15 bits");
        if (value.Length > ushort.MaxValue) throw new ArgumentOutOfRangeException(nameof(value), "an attribute value has at most 65535 bytes");
        Type = type;
        _value = value.ToArray();
    }

    /// <summary>The attribute type.</summary>
    public ConfigurationAttributeType Type { get; }

    /// <summary>The value (empty in most requests).</summary>
    public ReadOnlySpan<byte> Value => _value;

    /// <summary>Header plus value.</summary>
    public int Length => HeaderSize + _value.Length;

    /// <summary>
    /// The address an address-valued attribute carries (INTERNAL_IP4_ADDRESS, _NETMASK, _DNS, _NBNS, _DHCP, and their
    /// IPv6 forms, the first 16 bytes of INTERNAL_IP6_ADDRESS); null when the value is empty or the type holds no address.
    /// </summary>
    public IPAddress? Address => Type switch
    {
        _ when _value.Length == 0 => null,
        ConfigurationAttributeType.InternalIp4Address or ConfigurationAttributeType.InternalIp4Netmask or ConfigurationAttributeType.InternalIp4Dns
            or ConfigurationAttributeType.InternalIp4Nbns or ConfigurationAttributeType.InternalIp4Dhcp
            or ConfigurationAttributeType.InternalIp4Subnet when _value.Length >= 4 => new IPAddress(_value.AsSpan(0, 4)),
        ConfigurationAttributeType.InternalIp6Address or ConfigurationAttributeType.InternalIp6Dns or ConfigurationAttributeType.InternalIp6Nbns
            or ConfigurationAttributeType.InternalIp6Dhcp or ConfigurationAttributeType.InternalIp6Subnet when _value.Length >= 16 => new IPAddress(_value.AsSpan(0, 16)),
        _ => null,
    };

    /// <summary>The prefix length of INTERNAL_IP6_ADDRESS and INTERNAL_IP6_SUBNET (their 17th byte); null otherwise.</summary>
    public int? PrefixLength =>
        Type is ConfigurationAttributeType.InternalIp6Address or ConfigurationAttributeType.InternalIp6Subnet && _value.Length == 17 ? _value[16] : null;

    /// <summary>An attribute with an empty value: in a request, "please send me one".</summary>
    public static ConfigurationAttribute Empty(ConfigurationAttributeType type) => new(type, []);

    /// <summary>
    /// An address-valued attribute. IPv4 addresses take 4 bytes, IPv6 16; for INTERNAL_IP6_ADDRESS use
    /// <see cref="Ip6Address"/>, which adds the prefix length.
    /// </summary>
    public static ConfigurationAttribute ForAddress(ConfigurationAttributeType type, IPAddress address)
    {
        byte[] bytes = address.GetAddressBytes();
        if (!type.IsValidLength(bytes.Length)) throw new ArgumentException($"{type.RfcName()} cannot hold an address of {bytes.Length} bytes", nameof(address));
        return new(type, bytes);
    }

    /// <summary>INTERNAL_IP4_ADDRESS with an address, or empty for <see cref="IPAddress.Any"/> (what a client asks when it has none yet).</summary>
    public static ConfigurationAttribute Ip4Address(IPAddress address) =>
        address.Equals(IPAddress.Any) ? Empty(ConfigurationAttributeType.InternalIp4Address) : ForAddress(ConfigurationAttributeType.InternalIp4Address, RequireFamily(address, AddressFamily.InterNetwork));

    /// <summary>
    /// INTERNAL_IP6_ADDRESS: 16 address bytes and the prefix length (strongSwan sends 64), or empty for
    /// <see cref="IPAddress.IPv6Any"/>.
    /// </summary>
    public static ConfigurationAttribute Ip6Address(IPAddress address, int prefixLength = 64)
    {
        if (address.Equals(IPAddress.IPv6Any)) return Empty(ConfigurationAttributeType.InternalIp6Address);
        if (prefixLength is < 0 or > 128) throw new ArgumentOutOfRangeException(nameof(prefixLength));
        var value = new byte[17];
        RequireFamily(address, AddressFamily.InterNetworkV6).TryWriteBytes(value, out _);
        value[16] = (byte)prefixLength;
        return new(ConfigurationAttributeType.InternalIp6Address, value);
    }

    /// <summary>INTERNAL_IP4_DNS or INTERNAL_IP6_DNS, by the address's family.</summary>
    public static ConfigurationAttribute Dns(IPAddress server) => ForAddress(
        server.AddressFamily == AddressFamily.InterNetwork ? ConfigurationAttributeType.InternalIp4Dns : ConfigurationAttributeType.InternalIp6Dns, server);

    /// <summary>INTERNAL_IP4_NBNS or (for IPv6, RFC 4306's) INTERNAL_IP6_NBNS, by the address's family.</summary>
    public static ConfigurationAttribute Nbns(IPAddress server) => ForAddress(
        server.AddressFamily == AddressFamily.InterNetwork ? ConfigurationAttributeType.InternalIp4Nbns : ConfigurationAttributeType.InternalIp6Nbns, server);

    private static IPAddress RequireFamily(IPAddress address, AddressFamily family) =>
        address.AddressFamily == family ? address : throw new ArgumentException($"{address} is not {family}", nameof(address));

    /// <summary>Writes the attribute; returns bytes written.</summary>
    public int Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)Type);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)_value.Length);
        _value.CopyTo(destination[HeaderSize..]);
        return Length;
    }

    /// <summary>
    /// Reads one attribute from the start of <paramref name="data"/>; <paramref name="consumed"/> is its length. A value
    /// longer than the bytes left, or of a length the RFC does not allow for its type, is refused.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out ConfigurationAttribute? attribute, out int consumed, out ParseError error)
    {
        attribute = null;
        consumed = 0;
        error = default;
        if (data.Length < HeaderSize) { error = new("Attribute Type", $"attribute header truncated: {data.Length} bytes left, need {HeaderSize}"); return false; }
        // The R bit is reserved and ignored on receipt (RFC 7296 §3.15.1).
        var type = (ConfigurationAttributeType)(BinaryPrimitives.ReadUInt16BigEndian(data) & 0x7fff);
        int length = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
        if (HeaderSize + length > data.Length)
        {
            error = new("Length", $"{type.RfcName()} value of {length} bytes with {data.Length - HeaderSize} left");
            return false;
        }
        if (!type.IsValidLength(length)) { error = new("Length", $"{type.RfcName()} value of {length} bytes is not allowed"); return false; }
        attribute = new ConfigurationAttribute(type, data.Slice(HeaderSize, length));
        consumed = HeaderSize + length;
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => Address is { } a
        ? PrefixLength is { } p ? $"{Type.RfcName()} {a}/{p}" : $"{Type.RfcName()} {a}"
        : _value.Length == 0 ? Type.RfcName() : $"{Type.RfcName()} ({_value.Length} bytes)";
}
