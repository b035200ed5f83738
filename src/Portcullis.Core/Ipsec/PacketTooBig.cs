using System.Buffers.Binary;

namespace Portcullis.Core.Ipsec;

/// <summary>
/// The ICMP error for an inner packet that does not fit the tunnel: ICMPv6 Packet Too Big (RFC 4443 §3.2) or ICMPv4
/// Destination Unreachable, Fragmentation Needed and DF Set with the next-hop MTU (RFC 792, RFC 1191 §4). Written into
/// the caller's buffer, to be handed back to the host's stack through the TUN device, so the sender learns the
/// tunnel's path MTU instead of having its packets fragmented outside (or dropped). The error comes from the packet's
/// own destination: the data plane has no address on the TUN device, and the sender's stack reads only the quoted
/// packet and the MTU.
/// </summary>
public static class PacketTooBig
{
    /// <summary>The minimum IPv6 link MTU (RFC 8200 §5): no smaller MTU is ever reported, and no error ever exceeds it.</summary>
    public const int MinIpv6Mtu = 1280;

    /// <summary>The smallest IPv4 MTU (RFC 791); an ICMPv4 error quotes at most 576 bytes in all (RFC 1812 §4.3.2.3).</summary>
    private const int MinIpv4Mtu = 68, MaxIpv4Error = 576;

    private const byte Icmp = 1, Icmpv6 = 58;

    /// <summary>
    /// The largest inner packet an ESP SA carries in one outer packet of <paramref name="outerMtu"/> bytes: the outer IP
    /// header (20 or 40), UDP encapsulation (8, RFC 3948), SPI and sequence number (8), the IV, at least the Pad Length
    /// and Next Header bytes rounded up to the padding unit, and the ICV (RFC 4303 §2).
    /// </summary>
    public static int TunnelMtu(int outerMtu, bool ipv6Outer, bool udpEncapsulated, int ivSize, int icvSize, int paddingUnit)
    {
        int room = outerMtu - (ipv6Outer ? 40 : 20) - (udpEncapsulated ? 8 : 0) - 8 - ivSize - icvSize;
        int unit = Math.Max(paddingUnit, 4);
        return Math.Max(0, room / unit * unit - 2);
    }

    /// <summary>
    /// Writes the ICMP error telling the sender of <paramref name="packet"/> (an IPv4 or IPv6 packet bigger than
    /// <paramref name="mtu"/>) to send at most <paramref name="mtu"/> bytes; returns the error's length, or 0 when no
    /// error may be sent: the packet fits, is malformed, is itself an ICMP error, goes to a multicast or broadcast
    /// address, comes from an address that names no single node, is an IPv4 packet without DF (the network may
    /// fragment it) or a later fragment, or <paramref name="reply"/> is too small. Never reads or writes past either span.
    /// </summary>
    public static int Write(ReadOnlySpan<byte> packet, int mtu, Span<byte> reply)
    {
        if (packet.IsEmpty) return 0;
        return (packet[0] >> 4) switch
        {
            6 => WriteIpv6(packet, Math.Max(mtu, MinIpv6Mtu), reply),
            4 => WriteIpv4(packet, Math.Max(mtu, MinIpv4Mtu), reply),
            _ => 0,
        };
    }

    private static int WriteIpv6(ReadOnlySpan<byte> packet, int mtu, Span<byte> reply)
    {
        if (packet.Length < 40 || packet.Length <= mtu) return 0;
        ReadOnlySpan<byte> source = packet.Slice(8, 16), destination = packet.Slice(24, 16);
        // RFC 4443 §2.4 (e): no error to a multicast destination, nor to a source that names no single node.
        if (destination[0] == 0xFF || source[0] == 0xFF || source.IndexOfAnyExcept((byte)0) < 0) return 0;
        if (IsIcmpv6Error(packet)) return 0;
        // As much of the packet as fits in the minimum MTU (§3.2).
        int quote = Math.Min(packet.Length, MinIpv6Mtu - 40 - 8);
        int length = 40 + 8 + quote;
        if (reply.Length < length) return 0;
        Span<byte> r = reply[..length];
        r[..8].Clear();
        r[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(r[4..], (ushort)(8 + quote));
        r[6] = Icmpv6;
        r[7] = 64;
        destination.CopyTo(r[8..]);
        source.CopyTo(r[24..]);
        Span<byte> icmp = r[40..];
        icmp[0] = 2; // Packet Too Big
        icmp[1] = 0;
        icmp[2] = icmp[3] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(icmp[4..], (uint)mtu);
        packet[..quote].CopyTo(icmp[8..]);
        // The checksum covers the pseudo-header (RFC 8200 §8.1): both addresses, the upper-layer length, next header 58.
        uint sum = Sum(r.Slice(8, 32)) + (uint)icmp.Length + Icmpv6 + Sum(icmp);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Fold(sum));
        return length;
    }

    /// <summary>True when the packet's upper layer is an ICMPv6 error message (type below 128) or a Redirect (137).</summary>
    private static bool IsIcmpv6Error(ReadOnlySpan<byte> packet)
    {
        byte next = packet[6];
        int offset = 40;
        // Walk the extension headers before the upper layer (RFC 8200 §4); a later fragment has no ICMPv6 header.
        for (int hops = 0; hops < 8 && next is 0 or 43 or 44 or 60; hops++)
        {
            if (offset + 8 > packet.Length) return true; // truncated: treat as unsafe to answer
            if (next == 44)
            {
                if ((BinaryPrimitives.ReadUInt16BigEndian(packet[(offset + 2)..]) & 0xFFF8) != 0) return false;
                next = packet[offset];
                offset += 8;
            }
            else
            {
                next = packet[offset];
                offset += (packet[offset + 1] + 1) * 8;
            }
        }
        if (next != Icmpv6) return false;
        if (offset >= packet.Length) return true;
        return packet[offset] < 128 || packet[offset] == 137;
    }

    private static int WriteIpv4(ReadOnlySpan<byte> packet, int mtu, Span<byte> reply)
    {
        if (packet.Length < 20 || packet.Length <= mtu) return 0;
        int ihl = (packet[0] & 0x0F) * 4;
        if (ihl < 20 || ihl > packet.Length) return 0;
        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(packet[6..]);
        // Without DF the packet may be fragmented (the outer packet is); a later fragment is never answered (RFC 1122 §3.2.2).
        if ((flags & 0x4000) == 0 || (flags & 0x1FFF) != 0) return 0;
        uint source = BinaryPrimitives.ReadUInt32BigEndian(packet[12..]), destination = BinaryPrimitives.ReadUInt32BigEndian(packet[16..]);
        if (!SingleHost(source) || !SingleHost(destination)) return 0;
        // No ICMP error about an ICMP error (RFC 1122 §3.2.2): Destination Unreachable, Source Quench, Redirect, Time Exceeded, Parameter Problem.
        if (packet[9] == Icmp && (ihl >= packet.Length || packet[ihl] is 3 or 4 or 5 or 11 or 12)) return 0;
        int quote = Math.Min(packet.Length, MaxIpv4Error - 20 - 8);
        int length = 20 + 8 + quote;
        if (reply.Length < length) return 0;
        Span<byte> r = reply[..length];
        r[..20].Clear();
        r[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(r[2..], (ushort)length);
        r[8] = 64;
        r[9] = Icmp;
        BinaryPrimitives.WriteUInt32BigEndian(r[12..], destination);
        BinaryPrimitives.WriteUInt32BigEndian(r[16..], source);
        BinaryPrimitives.WriteUInt16BigEndian(r[10..], Fold(Sum(r[..20])));
        Span<byte> icmp = r[20..];
        icmp[0] = 3; // Destination Unreachable
        icmp[1] = 4; // Fragmentation Needed and DF Set
        icmp[2] = icmp[3] = icmp[4] = icmp[5] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[6..], (ushort)Math.Min(mtu, ushort.MaxValue));
        packet[..quote].CopyTo(icmp[8..]);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Fold(Sum(icmp)));
        return length;
    }

    /// <summary>Not 0.0.0.0/8, loopback, multicast, reserved (240.0.0.0/4) or the limited broadcast.</summary>
    private static bool SingleHost(uint address) => address >> 24 is not 0 and not 127 && address < 0xE0000000;

    private static uint Sum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        int i = 0;
        for (; i + 1 < data.Length; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if (i < data.Length) sum += (uint)data[i] << 8;
        return sum;
    }

    private static ushort Fold(uint sum)
    {
        while (sum >> 16 != 0) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }
}
