using System.Buffers.Binary;
using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Tests.Selectors;

public class TcpSegmentationTests
{
    private static readonly byte[] V4Source = [198, 18, 1, 1], V4Destination = [198, 18, 2, 1];
    private static readonly byte[] V6Source = [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    private static readonly byte[] V6Destination = [0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

    /// <summary>The RFC 1071 definition, word by word, as the reference.</summary>
    private static ushort NaiveChecksum(params byte[][] parts)
    {
        uint sum = 0;
        foreach (byte[] data in parts)
        {
            for (int i = 0; i < data.Length; i += 2)
                sum += (uint)(data[i] << 8 | (i + 1 < data.Length ? data[i + 1] : 0));
        }
        while (sum >> 16 != 0) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }

    private static byte[] Pseudo(bool ipv6, int length) => ipv6
        ? [.. V6Source, .. V6Destination, 0, 0, (byte)(length >> 8), (byte)length, 0, 0, 0, 6]
        : [.. V4Source, .. V4Destination, 0, 6, (byte)(length >> 8), (byte)length];

    /// <summary>A TCP GSO packet as the TUN device hands it: one header (timestamps option) and a long payload.</summary>
    internal static byte[] SuperPacket(bool ipv6, byte flags, int payloadLength, int seed = 1)
    {
        int ip = ipv6 ? 40 : 20, tcp = 32;
        var packet = new byte[ip + tcp + payloadLength];
        new Random(seed).NextBytes(packet.AsSpan(ip + tcp));
        if (ipv6)
        {
            packet[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)(tcp + payloadLength));
            packet[6] = 6;
            packet[7] = 64;
            V6Source.CopyTo(packet, 8);
            V6Destination.CopyTo(packet, 24);
        }
        else
        {
            packet[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)Math.Min(65535, packet.Length));
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), 0xFFFE);
            packet[6] = 0x40; // DF
            packet[8] = 64;
            packet[9] = 6;
            V4Source.CopyTo(packet, 12);
            V4Destination.CopyTo(packet, 16);
        }
        Span<byte> t = packet.AsSpan(ip);
        BinaryPrimitives.WriteUInt16BigEndian(t, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(t[2..], 5201);
        BinaryPrimitives.WriteUInt32BigEndian(t[4..], 0xFFFFF000); // wraps within the packet
        BinaryPrimitives.WriteUInt32BigEndian(t[8..], 777);
        t[12] = 8 << 4;
        t[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(t[14..], 512);
        t[20] = 1; t[21] = 1; t[22] = 8; t[23] = 10; // NOP NOP timestamps
        BinaryPrimitives.WriteUInt32BigEndian(t[24..], 123456);
        BinaryPrimitives.WriteUInt32BigEndian(t[28..], 654321);
        return packet;
    }

    [Theory]
    [InlineData(false, 5000, 1360)]
    [InlineData(false, 65535 - 52, 1348)]
    [InlineData(true, 4000, 1000)]
    [InlineData(true, 2720, 1360)] // a whole number of segments
    [InlineData(false, 100, 1360)] // one segment
    public void Segments_carry_the_payload_in_order_with_valid_headers_and_checksums(bool ipv6, int payloadLength, int mss)
    {
        byte flags = 0x80 | 0x10 | 0x08 | 0x01; // CWR ACK PSH FIN
        byte[] packet = SuperPacket(ipv6, flags, payloadLength);
        Assert.True(TcpSegmentation.TryPrepare(packet, ipv6, mss, out TcpGsoLayout layout, out TcpSegmentationError error), error.ToString());
        int ip = ipv6 ? 40 : 20;
        Assert.Equal(ip + 32, layout.HeadersLength);
        Assert.Equal((payloadLength + mss - 1) / mss, layout.Count);
        var joined = new List<byte>();
        var buffer = new byte[layout.MaxSegmentLength];
        for (int i = 0; i < layout.Count; i++)
        {
            int n = TcpSegmentation.WriteSegment(packet, layout, i, buffer);
            int expectedPayload = Math.Min(mss, payloadLength - i * mss);
            Assert.Equal(ip + 32 + expectedPayload, n);
            byte[] segment = buffer[..n];
            if (ipv6)
            {
                Assert.Equal(n - 40, BinaryPrimitives.ReadUInt16BigEndian(segment.AsSpan(4)));
            }
            else
            {
                Assert.Equal(n, BinaryPrimitives.ReadUInt16BigEndian(segment.AsSpan(2)));
                Assert.Equal((ushort)(0xFFFE + i), BinaryPrimitives.ReadUInt16BigEndian(segment.AsSpan(4)));
                Assert.Equal(0, NaiveChecksum(segment[..20]));
            }
            byte[] tcp = segment[ip..];
            Assert.Equal(0, NaiveChecksum(Pseudo(ipv6, tcp.Length), tcp));
            Assert.Equal(unchecked(0xFFFFF000u + (uint)(i * mss)), BinaryPrimitives.ReadUInt32BigEndian(tcp.AsSpan(4)));
            bool first = i == 0, last = i == layout.Count - 1;
            Assert.Equal(first, (tcp[13] & 0x80) != 0);
            Assert.Equal(last, (tcp[13] & 0x01) != 0);
            Assert.Equal(last, (tcp[13] & 0x08) != 0);
            Assert.True((tcp[13] & 0x10) != 0);
            Assert.Equal(packet.AsSpan(ip + 12 + 2, 32 - 14).ToArray(), tcp[14..32].Select((b, k) => k is 2 or 3 ? packet[ip + 16 + k - 2] : b).ToArray());
            joined.AddRange(tcp[32..]);
        }
        Assert.Equal(packet[(ip + 32)..], joined.ToArray());
    }

    [Fact]
    public void A_destination_too_small_or_an_index_out_of_range_writes_nothing()
    {
        byte[] packet = SuperPacket(false, 0x10, 3000);
        Assert.True(TcpSegmentation.TryPrepare(packet, false, 1400, out TcpGsoLayout layout, out _));
        Assert.Equal(0, TcpSegmentation.WriteSegment(packet, layout, 0, new byte[layout.MaxSegmentLength - 1]));
        Assert.Equal(0, TcpSegmentation.WriteSegment(packet, layout, layout.Count, new byte[2000]));
        Assert.Equal(0, TcpSegmentation.WriteSegment(packet, layout, -1, new byte[2000]));
    }

    [Fact]
    public void Malformed_packets_are_refused_naming_the_field()
    {
        byte[] packet = SuperPacket(false, 0x10, 3000);
        Assert.False(TcpSegmentation.TryPrepare(packet, true, 1400, out _, out TcpSegmentationError e));
        Assert.Equal(TcpSegmentationError.Version, e);
        byte[] udp = (byte[])packet.Clone(); udp[9] = 17;
        Assert.False(TcpSegmentation.TryPrepare(udp, false, 1400, out _, out e));
        Assert.Equal(TcpSegmentationError.Protocol, e);
        byte[] fragment = (byte[])packet.Clone(); fragment[6] = 0x20;
        Assert.False(TcpSegmentation.TryPrepare(fragment, false, 1400, out _, out e));
        Assert.Equal(TcpSegmentationError.FragmentOffset, e);
        byte[] ihl = (byte[])packet.Clone(); ihl[0] = 0x44;
        Assert.False(TcpSegmentation.TryPrepare(ihl, false, 1400, out _, out e));
        Assert.Equal(TcpSegmentationError.InternetHeaderLength, e);
        byte[] offset = (byte[])packet.Clone(); offset[20 + 12] = 4 << 4;
        Assert.False(TcpSegmentation.TryPrepare(offset, false, 1400, out _, out e));
        Assert.Equal(TcpSegmentationError.DataOffset, e);
        Assert.False(TcpSegmentation.TryPrepare(packet.AsSpan(0, 30), false, 1400, out _, out e));
        Assert.Equal(TcpSegmentationError.DataOffset, e);
        byte[] v6 = SuperPacket(true, 0x10, 100); v6[6] = 0; // hop-by-hop options first
        Assert.False(TcpSegmentation.TryPrepare(v6, true, 1400, out _, out e));
        Assert.Equal(TcpSegmentationError.Protocol, e);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_partial_checksum_is_completed_as_the_full_checksum(bool ipv6)
    {
        byte[] packet = SuperPacket(ipv6, 0x18, 777, seed: 5);
        int ip = ipv6 ? 40 : 20, tcpLength = packet.Length - ip;
        // What the kernel leaves for NEEDS_CSUM: the pseudo-header's folded sum, not complemented.
        ushort pseudo = (ushort)~NaiveChecksum(Pseudo(ipv6, tcpLength));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(ip + 16), pseudo);
        TcpSegmentation.CompleteChecksum(packet, ip, 16);
        Assert.Equal(0, NaiveChecksum(Pseudo(ipv6, tcpLength), packet[ip..]));
    }

    [Fact]
    public void The_checksum_matches_rfc_1071_and_the_word_by_word_sum_for_every_length()
    {
        // RFC 1071 §3's example: the sum of 0001 f203 f4f5 f6f7 is ddf2.
        Assert.Equal((ushort)0x220d, InternetChecksum.Compute([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]));
        var random = new Random(7);
        for (int length = 0; length < 200; length++)
        {
            var data = new byte[length];
            random.NextBytes(data);
            if (length > 3) data[1] = data[2] = 0xFF; // carries
            Assert.Equal(NaiveChecksum(data), InternetChecksum.Compute(data));
            // Summing in two parts at an even split gives the same.
            int split = length / 2 & ~1;
            Assert.Equal(NaiveChecksum(data), InternetChecksum.Finish(InternetChecksum.Add(InternetChecksum.Add(0, data.AsSpan(0, split)), data.AsSpan(split))));
        }
        var ones = Enumerable.Repeat((byte)0xFF, 65536).ToArray();
        Assert.Equal(NaiveChecksum(ones), InternetChecksum.Compute(ones));
    }
}

public class VirtioNetHeaderTests
{
    [Fact]
    public void Round_trips_in_little_endian()
    {
        var header = new VirtioNetHeader(VirtioNetHeader.FlagNeedsCsum, VirtioNetHeader.GsoTcpV4 | VirtioNetHeader.GsoEcn, 52, 1360, 20, 16);
        var bytes = new byte[VirtioNetHeader.Size];
        Assert.True(header.TryWrite(bytes));
        Assert.Equal(new byte[] { 1, 0x81, 52, 0, 0x50, 0x05, 20, 0, 16, 0 }, bytes);
        Assert.True(VirtioNetHeader.TryParse(bytes, 3000, out VirtioNetHeader parsed, out VirtioNetHeaderError error));
        Assert.Equal(VirtioNetHeaderError.None, error);
        Assert.Equal(header, parsed);
        Assert.True(parsed.IsTcpGso);
        Assert.False(header.TryWrite(new byte[9]));
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 100, VirtioNetHeaderError.Truncated)]
    [InlineData(new byte[] { 4, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 100, VirtioNetHeaderError.Flags)]
    [InlineData(new byte[] { 0, 3, 0, 0, 0, 5, 0, 0, 0, 0 }, 100, VirtioNetHeaderError.GsoType)] // UDP (USO not offered)
    [InlineData(new byte[] { 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 }, 100, VirtioNetHeaderError.GsoSize)]
    [InlineData(new byte[] { 1, 0, 0, 0, 0, 0, 100, 0, 6, 0 }, 100, VirtioNetHeaderError.CsumStart)]
    [InlineData(new byte[] { 1, 0, 0, 0, 0, 0, 20, 0, 79, 0 }, 100, VirtioNetHeaderError.CsumOffset)]
    public void Refuses_a_header_naming_the_field(byte[] bytes, int packetLength, VirtioNetHeaderError expected)
    {
        Assert.False(VirtioNetHeader.TryParse(bytes, packetLength, out _, out VirtioNetHeaderError error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void A_checksum_field_ending_at_the_packet_end_is_accepted()
    {
        Assert.True(VirtioNetHeader.TryParse(new byte[] { 1, 0, 0, 0, 0, 0, 20, 0, 78, 0 }, 100, out _, out _));
    }
}
