using System.Buffers.Binary;

namespace Portcullis.Core.Ipsec;

/// <summary>
/// Lowers the MSS option of TCP SYN segments (RFC 9293 §3.7.1) so that neither end sends a segment that would not fit
/// the tunnel's MTU once ESP, UDP and the outer IP header are added: tunnelled TCP then never depends on fragments or
/// on ICMP "packet too big" reaching the sender (often filtered). Works in place on an IPv4 or IPv6 packet, fixing
/// the TCP checksum incrementally (RFC 1624); anything that is not a well-formed SYN is left as it is.
/// </summary>
public static class TcpMssClamp
{
    private const byte Tcp = 6;
    private const byte SynFlag = 0x02;
    private const byte OptionEnd = 0, OptionNop = 1, OptionMss = 2;

    /// <summary>The largest MSS for a tunnel whose inner packets may be <paramref name="mtu"/> bytes.</summary>
    public static ushort MaxMss(int mtu, bool ipv6) => (ushort)Math.Max(0, mtu - (ipv6 ? 40 : 20) - 20);

    /// <summary>
    /// Clamps the MSS option of a TCP SYN in <paramref name="packet"/> to what an inner MTU of <paramref name="mtu"/>
    /// allows; true when it was lowered.
    /// </summary>
    public static bool Apply(Span<byte> packet, int mtu)
    {
        if (packet.Length < 20) return false;
        int version = packet[0] >> 4;
        int tcpOffset;
        bool ipv6;
        if (version == 4)
        {
            int ihl = (packet[0] & 0x0F) * 4;
            // A fragment other than the first holds no TCP header; the first carries the whole SYN (it is small).
            bool laterFragment = (BinaryPrimitives.ReadUInt16BigEndian(packet[6..]) & 0x1FFF) != 0;
            if (ihl < 20 || packet[9] != Tcp || laterFragment) return false;
            tcpOffset = ihl;
            ipv6 = false;
        }
        else if (version == 6)
        {
            // Only TCP directly after the fixed header: a SYN with extension headers is left alone.
            if (packet.Length < 40 || packet[6] != Tcp) return false;
            tcpOffset = 40;
            ipv6 = true;
        }
        else
        {
            return false;
        }
        Span<byte> tcp = packet[tcpOffset..];
        if (tcp.Length < 20 || (tcp[13] & SynFlag) == 0) return false;
        int dataOffset = (tcp[12] >> 4) * 4;
        if (dataOffset < 20 || dataOffset > tcp.Length) return false;
        ushort limit = MaxMss(mtu, ipv6);
        Span<byte> options = tcp[20..dataOffset];
        for (int i = 0; i < options.Length;)
        {
            byte kind = options[i];
            if (kind == OptionEnd) return false;
            if (kind == OptionNop) { i++; continue; }
            if (i + 1 >= options.Length) return false;
            int length = options[i + 1];
            if (length < 2 || i + length > options.Length) return false;
            if (kind == OptionMss && length == 4)
            {
                ushort mss = BinaryPrimitives.ReadUInt16BigEndian(options[(i + 2)..]);
                if (mss <= limit) return false;
                BinaryPrimitives.WriteUInt16BigEndian(options[(i + 2)..], limit);
                // The option starts at an even or odd offset within the header; the checksum sums 16-bit words.
                int at = 20 + i + 2;
                UpdateChecksum(tcp, at, mss, limit);
                return true;
            }
            i += length;
        }
        return false;
    }

    /// <summary>RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for a 16-bit field at <paramref name="offset"/> of the TCP header.</summary>
    private static void UpdateChecksum(Span<byte> tcp, int offset, ushort old, ushort fresh)
    {
        // A field at an odd offset straddles two checksum words: its bytes swap places in the sum.
        if ((offset & 1) == 1)
        {
            old = (ushort)((old >> 8) | (old << 8));
            fresh = (ushort)((fresh >> 8) | (fresh << 8));
        }
        uint sum = (uint)(ushort)~BinaryPrimitives.ReadUInt16BigEndian(tcp[16..]) + (ushort)~old + fresh;
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], (ushort)~sum);
    }
}
