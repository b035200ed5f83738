using System.Buffers.Binary;

namespace Portcullis.Core.Ipsec;

/// <summary>What <see cref="TcpCoalescer.Offer"/> did with a packet.</summary>
public enum CoalesceResult
{
    /// <summary>Held: it starts a new packet, or was appended to the one held.</summary>
    Held,

    /// <summary>It does not continue the held packet: write the held one (<see cref="TcpCoalescer.Take"/>), then offer it again.</summary>
    FlushFirst,

    /// <summary>Not coalescable (not plain TCP with payload, or too large): write the held packet, then this one alone.</summary>
    NotCoalescable,
}

/// <summary>
/// The receive side's counterpart of TSO, what Linux's GRO does for TCP: consecutive decrypted segments of one TCP
/// flow are joined into one packet of up to 64 KB, written to a TUN device opened with IFF_VNET_HDR as a GSO packet
/// (<see cref="VirtioNetHeader"/> TCPV4/TCPV6 with the segment size), so the kernel's stack handles one packet where
/// it would handle ~45, with one write. A segment joins only when it continues the held one exactly as tcp_gro_receive
/// requires: same addresses, ports, IP header fields other than length/ID/checksum, TCP header (acknowledgement,
/// window, options; flags ACK or ACK|PSH), next sequence number, and every segment but the last of the first
/// segment's payload size; a PSH segment ends the packet. The held packet keeps its first segment's headers; its
/// TCP checksum is left for the kernel (NEEDS_CSUM with the pseudo-header's sum), as a NIC's GRO packet would be.
/// Sans-IO: the caller writes what <see cref="Take"/> returns. Not thread-safe; no allocation after construction.
/// </summary>
public sealed class TcpCoalescer
{
    private const byte Tcp = 6;
    private const byte Ack = 0x10, Psh = 0x08;
    private const int MaxPacket = 65535;

    // virtio_net_hdr, then the packet.
    private readonly byte[] _buffer = new byte[VirtioNetHeader.Size + MaxPacket];
    private int _length, _count, _ipLength, _headers, _segmentSize;
    private bool _ipv6, _closed;

    /// <summary>Segments in the held packet (0: none held).</summary>
    public int Count => _count;

    /// <summary>Offers a decrypted inner packet; see <see cref="CoalesceResult"/>.</summary>
    public CoalesceResult Offer(ReadOnlySpan<byte> packet)
    {
        if (!TryHeaders(packet, out bool ipv6, out int ipLength, out int headers) || packet.Length - headers <= 0) return CoalesceResult.NotCoalescable;
        byte flags = packet[ipLength + 13];
        if ((flags & ~Psh) != Ack) return CoalesceResult.NotCoalescable;
        int payload = packet.Length - headers;
        if (_count == 0)
        {
            packet.CopyTo(_buffer.AsSpan(VirtioNetHeader.Size));
            _length = packet.Length;
            _count = 1;
            (_ipv6, _ipLength, _headers, _segmentSize) = (ipv6, ipLength, headers, payload);
            _closed = (flags & Psh) != 0;
            return CoalesceResult.Held;
        }
        if (_closed || !Continues(packet, ipv6, ipLength, headers, payload) || _length + payload > MaxPacket) return CoalesceResult.FlushFirst;
        packet[headers..].CopyTo(_buffer.AsSpan(VirtioNetHeader.Size + _length));
        _length += payload;
        _count++;
        // A shorter segment can only be the last (GSO cuts all others to gso_size); PSH ends the send.
        if (payload < _segmentSize || (flags & Psh) != 0)
        {
            _closed = true;
            _buffer[VirtioNetHeader.Size + _ipLength + 13] |= (byte)(flags & Psh);
        }
        return CoalesceResult.Held;
    }

    /// <summary>
    /// The held packet with its virtio_net_hdr in front, ready for a TUN device with IFF_VNET_HDR; valid until the next
    /// <see cref="Offer"/>. Empty when nothing is held. A single segment goes as it came (no GSO, checksum as sent).
    /// </summary>
    public ReadOnlySpan<byte> Take()
    {
        if (_count == 0) return default;
        Span<byte> packet = _buffer.AsSpan(VirtioNetHeader.Size, _length);
        VirtioNetHeader header = default;
        if (_count > 1)
        {
            Span<byte> ip = packet[.._ipLength];
            if (_ipv6)
            {
                BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)(_length - 40));
            }
            else
            {
                BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)_length);
                ip[10] = ip[11] = 0;
                BinaryPrimitives.WriteUInt16BigEndian(ip[10..], InternetChecksum.Compute(ip));
            }
            // NEEDS_CSUM: the field holds the pseudo-header's sum, the rest is the kernel's (or nobody's: a local
            // socket trusts CHECKSUM_PARTIAL); each segment's own checksum was already part of the authenticated packet.
            int tcpLength = _length - _ipLength;
            ulong sum = (_ipv6 ? InternetChecksum.Add(0, ip.Slice(8, 32)) : InternetChecksum.Add(0, ip.Slice(12, 8))) + Tcp + (uint)tcpLength;
            BinaryPrimitives.WriteUInt16BigEndian(packet[(_ipLength + 16)..], InternetChecksum.Fold16(sum));
            header = new VirtioNetHeader(VirtioNetHeader.FlagNeedsCsum, _ipv6 ? VirtioNetHeader.GsoTcpV6 : VirtioNetHeader.GsoTcpV4,
                (ushort)_headers, (ushort)_segmentSize, (ushort)_ipLength, 16);
        }
        header.TryWrite(_buffer);
        _count = 0;
        return _buffer.AsSpan(0, VirtioNetHeader.Size + _length);
    }

    /// <summary>Plain TCP: IPv4 without options and not fragmented, or IPv6 with TCP right after the fixed header.</summary>
    private static bool TryHeaders(ReadOnlySpan<byte> packet, out bool ipv6, out int ipLength, out int headers)
    {
        ipv6 = false;
        ipLength = headers = 0;
        if (packet.Length < 40) return false;
        int version = packet[0] >> 4;
        if (version == 4)
        {
            if (packet[0] != 0x45 || packet[9] != Tcp || (BinaryPrimitives.ReadUInt16BigEndian(packet[6..]) & 0x3FFF) != 0) return false;
            if (BinaryPrimitives.ReadUInt16BigEndian(packet[2..]) != packet.Length) return false;
            ipLength = 20;
        }
        else if (version == 6)
        {
            if (packet.Length < 60 || packet[6] != Tcp || BinaryPrimitives.ReadUInt16BigEndian(packet[4..]) != packet.Length - 40) return false;
            ipv6 = true;
            ipLength = 40;
        }
        else
        {
            return false;
        }
        int tcpLength = (packet[ipLength + 12] >> 4) * 4;
        if (tcpLength < 20 || ipLength + tcpLength > packet.Length) return false;
        headers = ipLength + tcpLength;
        return true;
    }

    private bool Continues(ReadOnlySpan<byte> packet, bool ipv6, int ipLength, int headers, int payload)
    {
        if (ipv6 != _ipv6 || headers != _headers || payload > _segmentSize) return false;
        ReadOnlySpan<byte> held = _buffer.AsSpan(VirtioNetHeader.Size, _headers);
        if (ipv6)
        {
            // Version, traffic class, flow label; next header and hop limit; both addresses.
            if (!packet[..4].SequenceEqual(held[..4]) || !packet.Slice(6, 34).SequenceEqual(held.Slice(6, 34))) return false;
        }
        else
        {
            // TOS; flags and fragment offset; TTL and protocol; both addresses (length, ID and checksum differ).
            if (packet[1] != held[1] || !packet.Slice(6, 4).SequenceEqual(held.Slice(6, 4)) || !packet.Slice(12, 8).SequenceEqual(held.Slice(12, 8))) return false;
        }
        ReadOnlySpan<byte> tcp = packet[ipLength..headers], first = held[ipLength..headers];
        // Ports; then acknowledgement, data offset, window and options alike; flags checked by the caller.
        if (!tcp[..4].SequenceEqual(first[..4]) || !tcp.Slice(8, 5).SequenceEqual(first.Slice(8, 5))
            || !tcp.Slice(14, 2).SequenceEqual(first.Slice(14, 2)) || !tcp[18..].SequenceEqual(first[18..]))
            return false;
        uint expected = BinaryPrimitives.ReadUInt32BigEndian(first[4..]) + (uint)(_length - _headers);
        return BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]) == expected;
    }
}
