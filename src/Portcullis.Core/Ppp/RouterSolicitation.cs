using System.Net;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ppp;

/// <summary>
/// An ICMPv6 Router Solicitation (RFC 4861 §4.1) in its IPv6 packet, as a PPP client sends it to ff02::2 when its
/// link comes up:
/// <code>
///  IPv6 header (40, Hop Limit 255) | Type 133 | Code 0 | Checksum (2) | Reserved (4) | Options (8 × Length each)
/// </code>
/// </summary>
public readonly record struct RouterSolicitation(IPAddress Source)
{
    /// <summary>ICMPv6 Type.</summary>
    public const byte Type = 133;

    /// <summary>Bytes of the packet <see cref="Write"/> writes (no options: a PPP link has no link-layer address).</summary>
    public const int Length = NeighborDiscovery.Ipv6HeaderSize + 8;

    private static ReadOnlySpan<byte> AllRouters => [0xFF, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

    /// <summary>Writes a solicitation from fe80::<paramref name="identifier"/> to all routers; returns <see cref="Length"/>.</summary>
    /// <exception cref="ArgumentException">The destination is shorter than <see cref="Length"/>.</exception>
    public static int Write(ulong identifier, Span<byte> destination)
    {
        if (destination.Length < Length) throw new ArgumentException($"a Router Solicitation needs {Length} bytes", nameof(destination));
        Span<byte> packet = destination[..Length];
        Span<byte> source = stackalloc byte[16];
        Ipv6cpOptions.LinkLocal(identifier).TryWriteBytes(source, out _);
        NeighborDiscovery.WriteHeader(packet, source, AllRouters, 8);
        Span<byte> icmp = packet[NeighborDiscovery.Ipv6HeaderSize..];
        icmp.Clear();
        icmp[0] = Type;
        NeighborDiscovery.WriteChecksum(packet);
        return Length;
    }

    /// <summary>Parses and validates a solicitation (RFC 4861 §6.1.1); never reads past <paramref name="packet"/>.</summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, out RouterSolicitation solicitation, out ParseError error)
    {
        solicitation = default;
        if (!NeighborDiscovery.TryParse(packet, Type, 4, out ReadOnlySpan<byte> icmp, out error)) return false;
        var source = new IPAddress(packet.Slice(8, 16));
        ReadOnlySpan<byte> options = icmp[8..];
        while (!options.IsEmpty)
        {
            if (options.Length < 2 || options[1] == 0) { error = new("Option Length", "an option of length zero or cut short"); return false; }
            int length = options[1] * 8;
            if (length > options.Length) { error = new("Option Length", $"{length} bytes, but {options.Length} are left"); return false; }
            // §6.1.1: an unspecified source may not carry a Source Link-Layer Address option (type 1).
            if (options[0] == 1 && source.Equals(IPAddress.IPv6Any)) { error = new("Source Link-Layer Address", "present with the unspecified source address"); return false; }
            options = options[length..];
        }
        solicitation = new RouterSolicitation(source);
        return true;
    }
}
