using System.Buffers.Binary;
using System.Net;
using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Tests.Selectors;

public class TcpMssClampTests
{
    private static readonly IPAddress V4Source = IPAddress.Parse("198.18.1.1"), V4Destination = IPAddress.Parse("198.18.2.1");
    private static readonly IPAddress V6Source = IPAddress.Parse("2001:db8:1::1"), V6Destination = IPAddress.Parse("2001:db8:2::1");

    /// <summary>A TCP segment in an IP packet, with a correct checksum; options as given (padded to 4 bytes by the caller).</summary>
    private static byte[] Segment(bool ipv6, byte flags, byte[] options, int payload = 0)
    {
        int ipHeader = ipv6 ? 40 : 20, tcpLength = 20 + options.Length + payload;
        var packet = new byte[ipHeader + tcpLength];
        IPAddress source = ipv6 ? V6Source : V4Source, destination = ipv6 ? V6Destination : V4Destination;
        if (ipv6)
        {
            packet[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)tcpLength);
            packet[6] = 6;
            packet[7] = 64;
            source.GetAddressBytes().CopyTo(packet, 8);
            destination.GetAddressBytes().CopyTo(packet, 24);
        }
        else
        {
            packet[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
            packet[8] = 64;
            packet[9] = 6;
            source.GetAddressBytes().CopyTo(packet, 12);
            destination.GetAddressBytes().CopyTo(packet, 16);
        }
        Span<byte> tcp = packet.AsSpan(ipHeader);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], 443);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], 0x01020304);
        tcp[12] = (byte)((20 + options.Length) / 4 << 4);
        tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 64240);
        options.CopyTo(tcp[20..]);
        for (int i = 0; i < payload; i++) tcp[20 + options.Length + i] = (byte)i;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], Checksum(packet, ipv6));
        return packet;
    }

    /// <summary>The TCP checksum computed from scratch over the pseudo-header and the segment (0 when the field is right).</summary>
    private static ushort Checksum(byte[] packet, bool ipv6)
    {
        int ipHeader = ipv6 ? 40 : 20;
        byte[] tcp = packet[ipHeader..];
        var pseudo = new List<byte>();
        if (ipv6)
        {
            pseudo.AddRange(packet[8..40]);
            pseudo.AddRange([0, 0, (byte)(tcp.Length >> 8), (byte)tcp.Length, 0, 0, 0, 6]);
        }
        else
        {
            pseudo.AddRange(packet[12..20]);
            pseudo.AddRange([0, 6, (byte)(tcp.Length >> 8), (byte)tcp.Length]);
        }
        byte[] all = [.. pseudo, .. tcp];
        uint sum = 0;
        for (int i = 0; i < all.Length; i += 2) sum += (uint)(all[i] << 8 | (i + 1 < all.Length ? all[i + 1] : 0));
        while (sum >> 16 != 0) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }

    private static ushort Mss(byte[] packet, bool ipv6, int optionOffset) =>
        BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan((ipv6 ? 40 : 20) + 20 + optionOffset + 2));

    private static byte[] MssOption(ushort mss) => [2, 4, (byte)(mss >> 8), (byte)mss];

    [Theory]
    [InlineData(false, 1460, 1360)]
    [InlineData(true, 1440, 1340)]
    public void A_syn_with_a_larger_mss_is_clamped_to_the_tunnel_mtu_and_keeps_a_valid_checksum(bool ipv6, int offered, int expected)
    {
        // MSS, SACK permitted, timestamps, NOP, window scale: what Linux sends.
        byte[] options = [.. MssOption((ushort)offered), 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7];
        byte[] packet = Segment(ipv6, 0x02, options);
        Assert.Equal(0, Checksum(packet, ipv6));

        Assert.True(TcpMssClamp.Apply(packet, 1400));

        Assert.Equal(expected, Mss(packet, ipv6, 0));
        Assert.Equal(0, Checksum(packet, ipv6));
    }

    [Fact]
    public void A_syn_ack_is_clamped_too_and_an_option_at_an_odd_offset_keeps_the_checksum_right()
    {
        // One NOP first puts the MSS value at an odd offset of the header, across two checksum words.
        byte[] options = [1, .. MssOption(1460), 1, 1, 1];
        byte[] packet = Segment(false, 0x12, options);

        Assert.True(TcpMssClamp.Apply(packet, 1400));

        Assert.Equal(1360, Mss(packet, false, 1));
        Assert.Equal(0, Checksum(packet, false));
    }

    [Fact]
    public void A_checksum_near_the_wrap_around_is_updated_right_for_many_values()
    {
        // Every value of the sequence number's low byte moves the checksum: the incremental update must agree with a
        // full computation whatever the starting checksum.
        for (int seq = 0; seq < 256; seq++)
        {
            byte[] packet = Segment(false, 0x02, [.. MssOption((ushort)(1400 + seq))]);
            packet[20 + 7] = (byte)seq;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(20 + 16), 0);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(20 + 16), Checksum(packet, false));
            Assert.True(TcpMssClamp.Apply(packet, 1400));
            Assert.Equal(0, Checksum(packet, false));
        }
    }

    [Theory]
    [InlineData(0x10)] // ACK
    [InlineData(0x18)] // PSH ACK
    public void A_segment_that_is_not_a_syn_is_left_alone(byte flags)
    {
        byte[] packet = Segment(false, flags, [.. MssOption(1460)], payload: 100);
        byte[] before = [.. packet];
        Assert.False(TcpMssClamp.Apply(packet, 1400));
        Assert.Equal(before, packet);
    }

    [Fact]
    public void A_smaller_mss_and_a_syn_without_mss_are_left_alone()
    {
        byte[] small = Segment(false, 0x02, [.. MssOption(1200)]);
        byte[] before = [.. small];
        Assert.False(TcpMssClamp.Apply(small, 1400));
        Assert.Equal(before, small);

        byte[] none = Segment(false, 0x02, [1, 1, 1, 0]);
        Assert.False(TcpMssClamp.Apply(none, 1400));
    }

    [Fact]
    public void Malformed_options_truncated_packets_udp_and_later_fragments_are_left_alone()
    {
        // An option whose length runs past the header.
        byte[] runaway = Segment(false, 0x02, [2, 40, 5, 180]);
        Assert.False(TcpMssClamp.Apply(runaway, 1400));
        // A zero option length would loop forever if trusted.
        byte[] zero = Segment(false, 0x02, [3, 0, 0, 0]);
        Assert.False(TcpMssClamp.Apply(zero, 1400));
        // Every truncation of a real SYN.
        byte[] syn = Segment(false, 0x02, [.. MssOption(1460)]);
        for (int n = 0; n < syn.Length; n++) Assert.False(TcpMssClamp.Apply(syn.AsSpan(0, n).ToArray(), 1400));
        // UDP.
        byte[] udp = Segment(false, 0x02, [.. MssOption(1460)]);
        udp[9] = 17;
        Assert.False(TcpMssClamp.Apply(udp, 1400));
        // A later fragment (offset 8): its bytes are no TCP header.
        byte[] fragment = Segment(false, 0x02, [.. MssOption(1460)]);
        BinaryPrimitives.WriteUInt16BigEndian(fragment.AsSpan(6), 1);
        Assert.False(TcpMssClamp.Apply(fragment, 1400));
    }

    [Fact]
    public void The_largest_mss_is_the_mtu_less_the_ip_and_tcp_headers()
    {
        Assert.Equal(1360, TcpMssClamp.MaxMss(1400, ipv6: false));
        Assert.Equal(1340, TcpMssClamp.MaxMss(1400, ipv6: true));
    }
}
