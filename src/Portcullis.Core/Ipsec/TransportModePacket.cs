using System.Buffers.Binary;
using System.Net;

namespace Portcullis.Core.Ipsec;

/// <summary>Why <see cref="TransportModePacket.TrySplit"/> refused a host's packet.</summary>
public enum TransportSplitError
{
    /// <summary>Split: header and payload are known.</summary>
    None,

    /// <summary>Not IPv4 or IPv6, or shorter than its header or its own length fields.</summary>
    Malformed,

    /// <summary>
    /// An IPv4 fragment, or an IPv6 packet whose first header after the fixed one is Hop-by-Hop Options, Routing or
    /// Fragment: those belong in front of the security header (RFC 4303 §3.1.1), which the receiver's rebuilt header
    /// would not reproduce.
    /// </summary>
    Unsupported,
}

/// <summary>
/// The IP header side of transport mode (RFC 4303 §3.1.1, RFC 4302 §3.1.1, RFC 4301 §4.1), for ESP and AH alike and
/// sans-IO: outbound, a host's own IP packet is split into its IP header, which the security header replaces, and the
/// upper-layer payload it protects, whose protocol becomes the Next Header; inbound, an IP header is rebuilt in
/// front of the decapsulated payload from the SA's addresses, so the host stack gets a plain packet. Behind a NAT
/// (RFC 3948 §3.1.2) the peer's TCP, UDP and ICMPv6 checksums cover addresses that changed on the way; they are
/// recomputed over the rebuilt header, as Linux accepts them unchecked: the ICV already vouches for every byte.
/// </summary>
public static class TransportModePacket
{
    /// <summary>The IPv4 header <see cref="WriteHeader"/> writes (no options).</summary>
    public const int Ipv4HeaderSize = 20;

    /// <summary>The fixed IPv6 header.</summary>
    public const int Ipv6HeaderSize = 40;

    /// <summary>TTL or Hop Limit of a rebuilt header: the packet is delivered locally, the value only has to be sane.</summary>
    public const byte HopLimit = 64;

    /// <summary>The most bytes <see cref="WriteHeader"/> needs in front of a payload.</summary>
    public const int MaxHeaderSize = Ipv6HeaderSize;

    private const byte Tcp = 6, Udp = 17, IcmpV6 = 58;

    /// <summary>
    /// Outbound: reads a host's IP packet as header and payload. The payload is
    /// <c>packet.Slice(headerLength, payloadLength)</c> (bytes past the IP length field are left out) and its protocol
    /// <paramref name="nextHeader"/>. IPv4 options go with the header. Never reads past <paramref name="packet"/>.
    /// </summary>
    public static TransportSplitError TrySplit(ReadOnlySpan<byte> packet, out int headerLength, out byte nextHeader, out int payloadLength)
    {
        headerLength = payloadLength = 0;
        nextHeader = 0;
        if (packet.IsEmpty) return TransportSplitError.Malformed;
        switch (packet[0] >> 4)
        {
            case 4:
            {
                if (packet.Length < Ipv4HeaderSize) return TransportSplitError.Malformed;
                int ihl = (packet[0] & 0x0f) * 4;
                int total = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
                if (ihl < Ipv4HeaderSize || total < ihl || total > packet.Length) return TransportSplitError.Malformed;
                // More Fragments or a fragment offset: a piece of a packet, not a packet.
                if ((BinaryPrimitives.ReadUInt16BigEndian(packet[6..]) & 0x3fff) != 0) return TransportSplitError.Unsupported;
                headerLength = ihl;
                nextHeader = packet[9];
                payloadLength = total - ihl;
                return TransportSplitError.None;
            }
            case 6:
            {
                if (packet.Length < Ipv6HeaderSize) return TransportSplitError.Malformed;
                int length = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
                if (Ipv6HeaderSize + length > packet.Length) return TransportSplitError.Malformed;
                byte next = packet[6];
                if (next is 0 or 43 or 44) return TransportSplitError.Unsupported;
                headerLength = Ipv6HeaderSize;
                nextHeader = next;
                payloadLength = length;
                return TransportSplitError.None;
            }
            default:
                return TransportSplitError.Malformed;
        }
    }

    /// <summary>
    /// Inbound: writes an IP header for the payload at <c>buffer.Slice(payloadOffset, payloadLength)</c> directly in
    /// front of it, IPv4 when the addresses have 4 bytes and IPv6 when they have 16, with protocol (Next Header)
    /// <paramref name="nextHeader"/>. Returns where the packet starts in <paramref name="buffer"/> (it is
    /// <c>payloadOffset - start + payloadLength</c> bytes long), or -1 when there is no room in front, the payload does
    /// not fit the length field, or the addresses are not a pair of one family.
    /// </summary>
    public static int WriteHeader(Span<byte> buffer, int payloadOffset, int payloadLength, byte nextHeader, ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination)
    {
        if (payloadOffset < 0 || payloadLength < 0 || payloadOffset + payloadLength > buffer.Length || source.Length != destination.Length) return -1;
        if (source.Length == 4)
        {
            int start = payloadOffset - Ipv4HeaderSize;
            if (start < 0 || Ipv4HeaderSize + payloadLength > ushort.MaxValue) return -1;
            Span<byte> h = buffer.Slice(start, Ipv4HeaderSize);
            h[0] = 0x45;
            h[1] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(h[2..], (ushort)(Ipv4HeaderSize + payloadLength));
            BinaryPrimitives.WriteUInt32BigEndian(h[4..], 0); // Identification, flags, offset: one whole packet
            h[8] = HopLimit;
            h[9] = nextHeader;
            BinaryPrimitives.WriteUInt16BigEndian(h[10..], 0);
            source.CopyTo(h[12..]);
            destination.CopyTo(h[16..]);
            BinaryPrimitives.WriteUInt16BigEndian(h[10..], InternetChecksum.Compute(h));
            return start;
        }
        if (source.Length == 16)
        {
            int start = payloadOffset - Ipv6HeaderSize;
            if (start < 0 || payloadLength > ushort.MaxValue) return -1;
            Span<byte> h = buffer.Slice(start, Ipv6HeaderSize);
            BinaryPrimitives.WriteUInt32BigEndian(h, 0x6000_0000);
            BinaryPrimitives.WriteUInt16BigEndian(h[4..], (ushort)payloadLength);
            h[6] = nextHeader;
            h[7] = HopLimit;
            source.CopyTo(h[8..]);
            destination.CopyTo(h[24..]);
            return start;
        }
        return -1;
    }

    /// <summary>
    /// Behind a NAT: recomputes the TCP, UDP or ICMPv6 checksum of a rebuilt packet (IPv4 without options or IPv6
    /// without extension headers, as <see cref="WriteHeader"/> makes them) over its pseudo-header. An IPv4 UDP
    /// checksum of 0 (none sent) stays 0; other protocols carry no pseudo-header and are left alone. False when the
    /// segment is too short to hold its checksum field (the packet is then to be dropped).
    /// </summary>
    public static bool RecomputeChecksum(Span<byte> packet)
    {
        if (packet.IsEmpty) return false;
        bool v6 = packet[0] >> 4 == 6;
        int headerSize = v6 ? Ipv6HeaderSize : Ipv4HeaderSize;
        if (packet.Length < headerSize) return false;
        byte protocol = v6 ? packet[6] : packet[9];
        int checksumAt = protocol switch
        {
            Tcp => 16,
            Udp => 6,
            IcmpV6 when v6 => 2,
            _ => -1,
        };
        if (checksumAt < 0) return true;
        Span<byte> segment = packet[headerSize..];
        if (segment.Length < checksumAt + 2) return false;
        if (protocol == Udp && !v6 && BinaryPrimitives.ReadUInt16BigEndian(segment[checksumAt..]) == 0) return true;
        BinaryPrimitives.WriteUInt16BigEndian(segment[checksumAt..], 0);
        ulong sum = InternetChecksum.Add(0, v6 ? packet.Slice(8, 32) : packet.Slice(12, 8));
        sum += protocol;
        sum += (uint)segment.Length;
        sum = InternetChecksum.Add(sum, segment);
        ushort checksum = InternetChecksum.Finish(sum);
        // UDP sends a computed 0 as 0xFFFF: 0 means "none" (RFC 768, RFC 8200 §8.1).
        if (checksum == 0 && protocol == Udp) checksum = 0xFFFF;
        BinaryPrimitives.WriteUInt16BigEndian(segment[checksumAt..], checksum);
        return true;
    }

    /// <summary>
    /// The selectors a transport-mode SA behind a NAT applies to packets: the negotiated ones with their addresses
    /// replaced by the host's address as the IKE SA sees it (<paramref name="host"/>), protocol and ports kept, as
    /// strongSwan does ("changing received traffic selectors … due to NAT"), because the addresses the peer proposed
    /// are its own private ones and never appear in the rebuilt headers. Selectors of the other family are dropped.
    /// </summary>
    public static IReadOnlyList<TrafficSelector> HostSelectors(IReadOnlyList<TrafficSelector> negotiated, IPAddress host)
    {
        ArgumentNullException.ThrowIfNull(negotiated);
        ArgumentNullException.ThrowIfNull(host);
        var result = new List<TrafficSelector>();
        foreach (TrafficSelector ts in negotiated)
        {
            if (ts.Family != host.AddressFamily) continue;
            TrafficSelector replaced = ts with { StartAddress = host, EndAddress = host };
            if (!result.Contains(replaced)) result.Add(replaced);
        }
        return result;
    }
}
