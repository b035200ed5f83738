using System.Buffers.Binary;
using Portcullis.Core.Ikev2.Wire;
using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Ppp;

/// <summary>
/// What Router Solicitation and Router Advertisement share (RFC 4861 §4, §6.1): an IPv6 header with Next Header 58
/// and no extension headers, Hop Limit 255 (so the packet cannot have come from beyond the link), and the ICMPv6
/// checksum over the pseudo-header (RFC 8200 §8.1, RFC 4443 §2.3).
/// <code>
///  IPv6: 6 | TC | Flow (4) | Payload Length (2) | Next Header 58 | Hop Limit 255 | Source (16) | Destination (16)
///  ICMPv6: Type | Code 0 | Checksum (2) | message body
/// </code>
/// </summary>
public static class NeighborDiscovery
{
    /// <summary>Bytes of the IPv6 header.</summary>
    public const int Ipv6HeaderSize = 40;

    /// <summary>ICMPv6's Next Header value.</summary>
    public const byte Icmpv6 = 58;

    /// <summary>The only Hop Limit Neighbor Discovery accepts or sends.</summary>
    public const byte HopLimit = 255;

    /// <summary>Whether an IPv6 packet is ICMPv6 of <paramref name="type"/> right after the header (cheap, no checks).</summary>
    public static bool IsIcmpv6Type(ReadOnlySpan<byte> packet, byte type) =>
        packet.Length > Ipv6HeaderSize && packet[0] >> 4 == 6 && packet[6] == Icmpv6 && packet[Ipv6HeaderSize] == type;

    /// <summary>Writes the IPv6 header of an ICMPv6 message of <paramref name="icmpLength"/> bytes.</summary>
    internal static void WriteHeader(Span<byte> packet, ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, int icmpLength)
    {
        packet[..8].Clear();
        packet[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(packet[4..], (ushort)icmpLength);
        packet[6] = Icmpv6;
        packet[7] = HopLimit;
        source.CopyTo(packet[8..]);
        destination.CopyTo(packet[24..]);
    }

    /// <summary>Fills in the ICMPv6 checksum of a packet whose header and message are written.</summary>
    internal static void WriteChecksum(Span<byte> packet)
    {
        Span<byte> icmp = packet[Ipv6HeaderSize..];
        icmp[2] = icmp[3] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], InternetChecksum.Finish(PseudoHeaderSum(packet)));
    }

    // Source, destination, upper-layer length and next header, then the message with its checksum field as it is.
    private static ulong PseudoHeaderSum(ReadOnlySpan<byte> packet)
    {
        ReadOnlySpan<byte> icmp = packet[Ipv6HeaderSize..];
        ulong sum = InternetChecksum.Add(0, packet.Slice(8, 32));
        sum += (uint)icmp.Length + Icmpv6;
        return InternetChecksum.Add(sum, icmp);
    }

    /// <summary>
    /// Checks the IPv6 header and the ICMPv6 header of a Neighbor Discovery message of <paramref name="type"/> with at
    /// least <paramref name="minimumBody"/> bytes after Type, Code and Checksum; returns the ICMPv6 message (trailing
    /// bytes beyond Payload Length cut off).
    /// </summary>
    internal static bool TryParse(ReadOnlySpan<byte> packet, byte type, int minimumBody, out ReadOnlySpan<byte> icmp, out ParseError error)
    {
        icmp = default;
        error = default;
        if (packet.Length < Ipv6HeaderSize) { error = new("IPv6 header", $"{packet.Length} bytes, less than {Ipv6HeaderSize}"); return false; }
        if (packet[0] >> 4 != 6) { error = new("Version", $"{packet[0] >> 4}, must be 6"); return false; }
        if (packet[6] != Icmpv6) { error = new("Next Header", $"{packet[6]}, must be 58 (ICMPv6, no extension headers)"); return false; }
        if (packet[7] != HopLimit) { error = new("Hop Limit", $"{packet[7]}, must be 255 (RFC 4861 §6.1)"); return false; }
        int length = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
        if (Ipv6HeaderSize + length > packet.Length) { error = new("Payload Length", $"{length}, but {packet.Length - Ipv6HeaderSize} bytes follow the header"); return false; }
        if (length < 4 + minimumBody) { error = new("Payload Length", $"{length}, too short for ICMPv6 type {type} ({4 + minimumBody} at least)"); return false; }
        packet = packet[..(Ipv6HeaderSize + length)];
        if (packet[Ipv6HeaderSize] != type) { error = new("Type", $"{packet[Ipv6HeaderSize]}, expected {type}"); return false; }
        if (packet[Ipv6HeaderSize + 1] != 0) { error = new("Code", $"{packet[Ipv6HeaderSize + 1]}, must be 0"); return false; }
        if (InternetChecksum.Fold16(PseudoHeaderSum(packet)) != 0xFFFF) { error = new("Checksum", "does not match the pseudo-header and message"); return false; }
        icmp = packet[Ipv6HeaderSize..];
        return true;
    }
}
