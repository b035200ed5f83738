using System.Buffers.Binary;
using System.Net;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ppp;

/// <summary>
/// An ICMPv6 Router Advertisement (RFC 4861 §4.2) in its IPv6 packet, as the PPP server sends it so the client forms
/// its global address by SLAAC (RFC 4862) from a /64 prefix and its IPv6CP Interface-Identifier:
/// <code>
///  IPv6 header (40, Hop Limit 255, from fe80::our identifier to ff02::1)
///  Type 134 | Code 0 | Checksum (2) | Cur Hop Limit | M O reserved | Router Lifetime (2) | Reachable Time (4) | Retrans Timer (4)
///  Prefix Information (§4.6.2): 3 | 4 | Prefix Length | L A reserved | Valid Lifetime (4) | Preferred Lifetime (4) | Reserved2 (4) | Prefix (16)
///  MTU (§4.6.4):                5 | 1 | Reserved (2) | MTU (4)
///  RDNSS (RFC 8106 §5.1), when there are IPv6 DNS servers: see <see cref="RecursiveDnsServerOption"/>
/// </code>
/// Parsing takes any option order, skips options it does not know and reads the first Prefix Information, MTU and
/// RDNSS option (<see cref="Dns"/> is null when there was none).
/// </summary>
public readonly record struct RouterAdvertisement(IPAddress Source, byte CurHopLimit, ushort RouterLifetime, IPAddress? Prefix, int PrefixLength,
    bool OnLink, bool Autonomous, uint ValidLifetime, uint PreferredLifetime, uint? Mtu, RecursiveDnsServerOption? Dns = null)
{
    /// <summary>ICMPv6 Type.</summary>
    public const byte Type = 134;

    /// <summary>Bytes of the packet <see cref="Write(ulong, IPAddress, int, Span{byte})"/> writes (no DNS servers).</summary>
    public const int Length = NeighborDiscovery.Ipv6HeaderSize + 16 + 32 + 8;

    /// <summary>Bytes of an advertisement with <paramref name="dnsServers"/> in its RDNSS option (none: no option).</summary>
    public static int LengthWith(int dnsServers) => Length + RecursiveDnsServerOption.LengthFor(dnsServers);

    /// <summary>Router Lifetime: 30 minutes, three times <see cref="Interval"/> (RFC 4861 §6.2.1's default).</summary>
    public const ushort DefaultRouterLifetime = 1800;

    /// <summary>Prefix lifetimes: radvd's defaults (one day valid, four hours preferred).</summary>
    public const uint DefaultValidLifetime = 86400, DefaultPreferredLifetime = 14400;

    /// <summary>Unsolicited advertisements are repeated this often (MaxRtrAdvInterval's default, RFC 4861 §6.2.1).</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(600);

    /// <summary>No two advertisements closer than this (MIN_DELAY_BETWEEN_RAS, RFC 4861 §10).</summary>
    public static readonly TimeSpan MinimumDelay = TimeSpan.FromSeconds(3);

    private const byte PrefixInformation = 3, MtuOption = 5;

    private static ReadOnlySpan<byte> AllNodes => [0xFF, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

    /// <summary>
    /// Writes an advertisement from fe80::<paramref name="identifier"/> to all nodes, with <paramref name="prefix"/>'s
    /// first 64 bits as an on-link, autonomous /64 and <paramref name="mtu"/> as the link's MTU; returns <see cref="Length"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The destination is too short or the prefix is not IPv6.</exception>
    public static int Write(ulong identifier, IPAddress prefix, int mtu, Span<byte> destination) => Write(identifier, prefix, mtu, [], destination);

    /// <summary>
    /// As <see cref="Write(ulong, IPAddress, int, Span{byte})"/>, with an RDNSS option (RFC 8106) after the MTU option
    /// that names <paramref name="dns"/> for <see cref="RecursiveDnsServerOption.DefaultLifetime"/> seconds (none when
    /// <paramref name="dns"/> is empty); returns <see cref="LengthWith"/>'s bytes.
    /// </summary>
    /// <exception cref="ArgumentException">The destination is too short, the prefix or a server is not IPv6, or there are more than 127 servers.</exception>
    public static int Write(ulong identifier, IPAddress prefix, int mtu, IReadOnlyList<IPAddress> dns, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(dns);
        int length = LengthWith(dns.Count);
        if (destination.Length < length) throw new ArgumentException($"a Router Advertisement needs {length} bytes", nameof(destination));
        if (prefix.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6) throw new ArgumentException("the prefix must be IPv6", nameof(prefix));
        Span<byte> packet = destination[..length];
        Span<byte> source = stackalloc byte[16];
        Ipv6cpOptions.LinkLocal(identifier).TryWriteBytes(source, out _);
        NeighborDiscovery.WriteHeader(packet, source, AllNodes, length - NeighborDiscovery.Ipv6HeaderSize);
        Span<byte> icmp = packet[NeighborDiscovery.Ipv6HeaderSize..];
        icmp.Clear();
        icmp[0] = Type;
        icmp[4] = 64; // Cur Hop Limit
        BinaryPrimitives.WriteUInt16BigEndian(icmp[6..], DefaultRouterLifetime);
        Span<byte> pio = icmp[16..];
        pio[0] = PrefixInformation;
        pio[1] = 4;
        pio[2] = 64;
        pio[3] = 0xC0; // L and A
        BinaryPrimitives.WriteUInt32BigEndian(pio[4..], DefaultValidLifetime);
        BinaryPrimitives.WriteUInt32BigEndian(pio[8..], DefaultPreferredLifetime);
        prefix.TryWriteBytes(pio[16..], out _);
        pio[24..32].Clear(); // only the /64 goes out
        Span<byte> mtuOption = icmp[48..];
        mtuOption[0] = MtuOption;
        mtuOption[1] = 1;
        BinaryPrimitives.WriteUInt32BigEndian(mtuOption[4..], (uint)mtu);
        if (dns.Count > 0) RecursiveDnsServerOption.Write(RecursiveDnsServerOption.DefaultLifetime, dns, icmp[56..]);
        NeighborDiscovery.WriteChecksum(packet);
        return length;
    }

    /// <summary>Parses and validates an advertisement (RFC 4861 §6.1.2); never reads past <paramref name="packet"/>.</summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, out RouterAdvertisement advertisement, out ParseError error)
    {
        advertisement = default;
        if (!NeighborDiscovery.TryParse(packet, Type, 12, out ReadOnlySpan<byte> icmp, out error)) return false;
        var source = new IPAddress(packet.Slice(8, 16));
        if (packet[8] != 0xFE || (packet[9] & 0xC0) != 0x80) { error = new("Source Address", $"{source} is not link-local (RFC 4861 §6.1.2)"); return false; }
        IPAddress? prefix = null;
        int prefixLength = 0;
        bool onLink = false, autonomous = false;
        uint valid = 0, preferred = 0;
        uint? mtu = null;
        RecursiveDnsServerOption? dns = null;
        ReadOnlySpan<byte> options = icmp[16..];
        while (!options.IsEmpty)
        {
            if (options.Length < 2 || options[1] == 0) { error = new("Option Length", "an option of length zero or cut short"); return false; }
            int length = options[1] * 8;
            if (length > options.Length) { error = new("Option Length", $"{length} bytes, but {options.Length} are left"); return false; }
            if (options[0] == PrefixInformation && prefix is null)
            {
                if (length != 32) { error = new("Prefix Information", $"Length {options[1]}, must be 4"); return false; }
                prefixLength = options[2];
                if (prefixLength > 128) { error = new("Prefix Length", $"{prefixLength}, more than 128"); return false; }
                onLink = (options[3] & 0x80) != 0;
                autonomous = (options[3] & 0x40) != 0;
                valid = BinaryPrimitives.ReadUInt32BigEndian(options[4..]);
                preferred = BinaryPrimitives.ReadUInt32BigEndian(options[8..]);
                prefix = new IPAddress(options.Slice(16, 16));
            }
            else if (options[0] == MtuOption && mtu is null)
            {
                if (length != 8) { error = new("MTU", $"Length {options[1]}, must be 1"); return false; }
                mtu = BinaryPrimitives.ReadUInt32BigEndian(options[4..]);
            }
            else if (options[0] == RecursiveDnsServerOption.Type && dns is null)
            {
                if (!RecursiveDnsServerOption.TryParse(options[..length], out RecursiveDnsServerOption rdnss, out error)) { error = error with { Field = $"RDNSS {error.Field}" }; return false; }
                dns = rdnss;
            }
            options = options[length..];
        }
        advertisement = new RouterAdvertisement(source, icmp[4], BinaryPrimitives.ReadUInt16BigEndian(icmp[6..]), prefix, prefixLength, onLink, autonomous, valid, preferred, mtu, dns);
        return true;
    }
}
