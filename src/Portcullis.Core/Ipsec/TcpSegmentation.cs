using System.Buffers.Binary;

namespace Portcullis.Core.Ipsec;

/// <summary>Why a TCP GSO packet from the TUN device cannot be segmented; each value names the field at fault.</summary>
public enum TcpSegmentationError
{
    /// <summary>Segmentable.</summary>
    None,

    /// <summary>The IP version nibble is not the one the GSO type says.</summary>
    Version,

    /// <summary>The IPv4 header length (IHL) is below 5 or beyond the packet.</summary>
    InternetHeaderLength,

    /// <summary>The IPv4 protocol or IPv6 next header is not TCP (IPv6 extension headers are not offered).</summary>
    Protocol,

    /// <summary>The IPv4 packet is a fragment.</summary>
    FragmentOffset,

    /// <summary>The TCP data offset is below 5 or the header runs past the packet.</summary>
    DataOffset,
}

/// <summary>Where the parts of a TCP GSO packet lie, found once by <see cref="TcpSegmentation.TryPrepare"/>.</summary>
public readonly record struct TcpGsoLayout(bool Ipv6, int IpHeaderLength, int HeadersLength, int SegmentSize, int PayloadLength)
{
    /// <summary>How many segments the packet becomes (a packet without payload stays one).</summary>
    public int Count => PayloadLength == 0 ? 1 : (PayloadLength + SegmentSize - 1) / SegmentSize;

    /// <summary>The largest segment, headers included.</summary>
    public int MaxSegmentLength => HeadersLength + Math.Min(SegmentSize, PayloadLength);
}

/// <summary>
/// TCP segmentation in user space (what a NIC's TSO does, RFC 9293 §3.7): a TUN device with TSO offered hands over TCP
/// packets up to 64 KB with one IP and TCP header, to be cut into <c>gso_size</c> payloads. Each segment gets a copy
/// of the headers with its own IP length (IPv4: identification + i and a new header checksum), sequence number
/// (+ i × size), a full TCP checksum, FIN and PSH on the last segment only and CWR on the first only, as Linux's
/// tcp_gso_segment does. Also completes the partial checksums (NEEDS_CSUM) of packets that are not segmented.
/// </summary>
public static class TcpSegmentation
{
    private const byte Tcp = 6;
    private const byte Fin = 0x01, Psh = 0x08, Cwr = 0x80;

    /// <summary>Finds the headers of a TCP GSO <paramref name="packet"/> with segment size <paramref name="segmentSize"/>.</summary>
    public static bool TryPrepare(ReadOnlySpan<byte> packet, bool ipv6, int segmentSize, out TcpGsoLayout layout, out TcpSegmentationError error)
    {
        layout = default;
        int ipLength;
        if (packet.Length < 1 || packet[0] >> 4 != (ipv6 ? 6 : 4)) { error = TcpSegmentationError.Version; return false; }
        if (ipv6)
        {
            if (packet.Length < 40) { error = TcpSegmentationError.Version; return false; }
            if (packet[6] != Tcp) { error = TcpSegmentationError.Protocol; return false; }
            ipLength = 40;
        }
        else
        {
            ipLength = (packet[0] & 0x0F) * 4;
            if (ipLength < 20 || ipLength > packet.Length) { error = TcpSegmentationError.InternetHeaderLength; return false; }
            if (packet[9] != Tcp) { error = TcpSegmentationError.Protocol; return false; }
            if ((BinaryPrimitives.ReadUInt16BigEndian(packet[6..]) & 0x3FFF) != 0) { error = TcpSegmentationError.FragmentOffset; return false; }
        }
        if (packet.Length < ipLength + 20) { error = TcpSegmentationError.DataOffset; return false; }
        int tcpLength = (packet[ipLength + 12] >> 4) * 4;
        if (tcpLength < 20 || ipLength + tcpLength > packet.Length) { error = TcpSegmentationError.DataOffset; return false; }
        int headers = ipLength + tcpLength;
        layout = new TcpGsoLayout(ipv6, ipLength, headers, segmentSize, packet.Length - headers);
        error = TcpSegmentationError.None;
        return true;
    }

    /// <summary>
    /// Writes segment <paramref name="index"/> (0 ≤ index &lt; <see cref="TcpGsoLayout.Count"/>) of
    /// <paramref name="packet"/> into <paramref name="destination"/>; returns its length, or 0 when it does not fit.
    /// </summary>
    public static int WriteSegment(ReadOnlySpan<byte> packet, in TcpGsoLayout layout, int index, Span<byte> destination)
    {
        int h = layout.HeadersLength;
        int start = h + index * layout.SegmentSize;
        int payload = Math.Min(layout.SegmentSize, layout.PayloadLength - index * layout.SegmentSize);
        if (index < 0 || index >= layout.Count || payload < 0) return 0;
        int length = h + payload;
        if (destination.Length < length) return 0;
        packet[..h].CopyTo(destination);
        packet.Slice(start, payload).CopyTo(destination[h..]);
        Span<byte> ip = destination[..layout.IpHeaderLength];
        if (layout.Ipv6)
        {
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)(length - 40));
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)length);
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)(BinaryPrimitives.ReadUInt16BigEndian(ip[4..]) + index));
            ip[10] = ip[11] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], InternetChecksum.Compute(ip));
        }
        Span<byte> tcp = destination[layout.IpHeaderLength..length];
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]) + (uint)(index * layout.SegmentSize));
        if (index != layout.Count - 1) tcp[13] &= unchecked((byte)~(Fin | Psh));
        if (index != 0) tcp[13] &= unchecked((byte)~Cwr);
        tcp[16] = tcp[17] = 0;
        ulong sum = PseudoHeaderSum(ip, layout.Ipv6, tcp.Length);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], InternetChecksum.Finish(InternetChecksum.Add(sum, tcp)));
        return length;
    }

    /// <summary>
    /// Completes a partial checksum (NEEDS_CSUM): the field at <paramref name="start"/> + <paramref name="offset"/>
    /// holds the pseudo-header's sum; the one's complement of the sum from <paramref name="start"/> to the end goes there
    /// (0 is sent as 0xFFFF, as the kernel's skb_checksum_help does). The caller checked that both lie in the packet.
    /// </summary>
    public static void CompleteChecksum(Span<byte> packet, int start, int offset)
    {
        ushort checksum = InternetChecksum.Finish(InternetChecksum.Add(0, packet[start..]));
        BinaryPrimitives.WriteUInt16BigEndian(packet[(start + offset)..], checksum == 0 ? (ushort)0xFFFF : checksum);
    }

    private static ulong PseudoHeaderSum(ReadOnlySpan<byte> ip, bool ipv6, int tcpLength)
    {
        ulong sum = ipv6 ? InternetChecksum.Add(0, ip.Slice(8, 32)) : InternetChecksum.Add(0, ip.Slice(12, 8));
        return sum + Tcp + (uint)tcpLength;
    }
}
