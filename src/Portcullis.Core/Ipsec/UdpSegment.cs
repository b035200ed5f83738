using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Portcullis.Core.Ipsec;

/// <summary>
/// A UDP header and payload (RFC 768) as carried by transport-mode ESP, where the daemon itself is the host whose
/// traffic is protected (L2TP on UDP 1701). Written with the checksum over the IPv4/IPv6 pseudo-header of the outer
/// addresses; read without checking it, because the ESP ICV already covers every byte and behind a NAT the peer's
/// checksum is over addresses we do not see (RFC 3948 §3.1.2 lets the receiver skip it for UDP).
/// </summary>
public static class UdpSegment
{
    /// <summary>Size of the UDP header.</summary>
    public const int HeaderSize = 8;

    /// <summary>IP protocol number of UDP, the Next Header of a transport-mode ESP packet that carries it.</summary>
    public const byte Protocol = 17;

    /// <summary>Writes header and payload into <paramref name="destination"/>; returns the segment's length, or 0 if it does not fit.</summary>
    public static int Write(Span<byte> destination, ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> payload, IPAddress source, IPAddress target)
    {
        int length = HeaderSize + payload.Length;
        if (destination.Length < length || length > ushort.MaxValue) return 0;
        BinaryPrimitives.WriteUInt16BigEndian(destination, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], (ushort)length);
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], 0);
        payload.CopyTo(destination[HeaderSize..]);
        ushort checksum = Checksum(destination[..length], source, target);
        // A computed 0 is sent as 0xFFFF: 0 means "no checksum" in IPv4 and is not allowed in IPv6 (RFC 768, RFC 8200).
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], checksum == 0 ? (ushort)0xFFFF : checksum);
        return length;
    }

    /// <summary>Reads a segment: ports and payload; false when the header or its length field does not fit.</summary>
    public static bool TryParse(ReadOnlySpan<byte> segment, out ushort sourcePort, out ushort destinationPort, out ReadOnlySpan<byte> payload)
    {
        sourcePort = destinationPort = 0;
        payload = default;
        if (segment.Length < HeaderSize) return false;
        int length = BinaryPrimitives.ReadUInt16BigEndian(segment[4..]);
        if (length < HeaderSize || length > segment.Length) return false;
        sourcePort = BinaryPrimitives.ReadUInt16BigEndian(segment);
        destinationPort = BinaryPrimitives.ReadUInt16BigEndian(segment[2..]);
        payload = segment[HeaderSize..length];
        return true;
    }

    /// <summary>The Internet checksum (RFC 1071) of the segment with its pseudo-header; the segment's checksum field must be 0.</summary>
    public static ushort Checksum(ReadOnlySpan<byte> segment, IPAddress source, IPAddress target)
    {
        Span<byte> addresses = stackalloc byte[32];
        source.TryWriteBytes(addresses, out int n);
        target.TryWriteBytes(addresses[n..], out int m);
        ulong sum = 0;
        sum = Add(sum, addresses[..(n + m)]);
        sum += Protocol;
        sum += (uint)segment.Length;
        sum = Add(sum, segment);
        while (sum >> 16 != 0) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }

    private static ulong Add(ulong sum, ReadOnlySpan<byte> data)
    {
        int i = 0;
        for (; i + 1 < data.Length; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if (i < data.Length) sum += (uint)(data[i] << 8);
        return sum;
    }

    /// <summary>Whether a received segment's checksum holds for these addresses (0 = none sent, IPv4 only).</summary>
    public static bool ChecksumHolds(ReadOnlySpan<byte> segment, IPAddress source, IPAddress target)
    {
        if (segment.Length < HeaderSize) return false;
        ushort sent = BinaryPrimitives.ReadUInt16BigEndian(segment[6..]);
        if (sent == 0) return source.AddressFamily == AddressFamily.InterNetwork;
        Span<byte> copy = segment.Length <= 2048 ? stackalloc byte[segment.Length] : new byte[segment.Length];
        segment.CopyTo(copy);
        copy[6] = copy[7] = 0;
        ushort computed = Checksum(copy, source, target);
        return (computed == 0 ? 0xFFFF : computed) == sent;
    }
}
