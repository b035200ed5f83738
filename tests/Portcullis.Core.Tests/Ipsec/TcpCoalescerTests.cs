using System.Buffers.Binary;
using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Tests.Selectors;

public class TcpCoalescerTests
{
    private const byte Ack = 0x10, Psh = 0x08;

    private static List<byte[]> Segments(bool ipv6, byte flags, int payload, int mss, int seed = 1)
    {
        byte[] super = TcpSegmentationTests.SuperPacket(ipv6, flags, payload, seed);
        Assert.True(TcpSegmentation.TryPrepare(super, ipv6, mss, out TcpGsoLayout layout, out _));
        var list = new List<byte[]>();
        var buffer = new byte[layout.MaxSegmentLength];
        for (int i = 0; i < layout.Count; i++) list.Add(buffer[..TcpSegmentation.WriteSegment(super, layout, i, buffer)]);
        return list;
    }

    [Theory]
    [InlineData(false, 20000, 1348)]
    [InlineData(true, 9000, 1328)]
    [InlineData(false, 65535 - 60, 1348)] // as much as one packet holds
    public void Segments_of_one_send_become_one_gso_packet_that_segments_back_into_the_same_segments(bool ipv6, int payload, int mss)
    {
        List<byte[]> segments = Segments(ipv6, Ack | Psh, payload, mss);
        var coalescer = new TcpCoalescer();
        foreach (byte[] s in segments) Assert.Equal(CoalesceResult.Held, coalescer.Offer(s));
        Assert.Equal(segments.Count, coalescer.Count);
        byte[] written = coalescer.Take().ToArray();
        Assert.Equal(0, coalescer.Count);
        Assert.True(VirtioNetHeader.TryParse(written, written.Length - VirtioNetHeader.Size, out VirtioNetHeader header, out _));
        Assert.Equal(ipv6 ? VirtioNetHeader.GsoTcpV6 : VirtioNetHeader.GsoTcpV4, header.GsoType);
        Assert.Equal(VirtioNetHeader.FlagNeedsCsum, header.Flags);
        Assert.Equal(mss, header.GsoSize);
        int ip = ipv6 ? 40 : 20;
        Assert.Equal(ip + 32, header.HeaderLength);
        Assert.Equal(ip, header.CsumStart);
        Assert.Equal(16, header.CsumOffset);
        byte[] packet = written[VirtioNetHeader.Size..];
        // What the kernel would send on: segmenting it again gives back exactly the segments that came in.
        Assert.True(TcpSegmentation.TryPrepare(packet, ipv6, header.GsoSize, out TcpGsoLayout layout, out _));
        Assert.Equal(segments.Count, layout.Count);
        var buffer = new byte[layout.MaxSegmentLength];
        for (int i = 0; i < layout.Count; i++)
            Assert.Equal(segments[i], buffer[..TcpSegmentation.WriteSegment(packet, layout, i, buffer)]);
    }

    [Fact]
    public void A_single_segment_goes_out_unchanged_without_gso()
    {
        List<byte[]> segments = Segments(false, Ack, 1000, 1348);
        var coalescer = new TcpCoalescer();
        Assert.Equal(CoalesceResult.Held, coalescer.Offer(segments[0]));
        byte[] written = coalescer.Take().ToArray();
        Assert.Equal(new byte[VirtioNetHeader.Size], written[..VirtioNetHeader.Size]);
        Assert.Equal(segments[0], written[VirtioNetHeader.Size..]);
        Assert.True(coalescer.Take().IsEmpty);
    }

    [Fact]
    public void Only_the_exact_continuation_of_the_flow_joins()
    {
        List<byte[]> a = Segments(false, Ack, 5000, 1000);
        var coalescer = new TcpCoalescer();
        Assert.Equal(CoalesceResult.Held, coalescer.Offer(a[0]));
        Assert.Equal(CoalesceResult.FlushFirst, coalescer.Offer(a[2])); // a gap
        Assert.Equal(CoalesceResult.FlushFirst, coalescer.Offer(a[0])); // a repeat
        byte[] otherPort = (byte[])a[1].Clone(); otherPort[21] ^= 1;
        Assert.Equal(CoalesceResult.FlushFirst, coalescer.Offer(otherPort));
        byte[] otherAck = (byte[])a[1].Clone(); otherAck[20 + 11] ^= 1;
        Assert.Equal(CoalesceResult.FlushFirst, coalescer.Offer(otherAck));
        byte[] otherWindow = (byte[])a[1].Clone(); otherWindow[20 + 15] ^= 1;
        Assert.Equal(CoalesceResult.FlushFirst, coalescer.Offer(otherWindow));
        byte[] otherTimestamp = (byte[])a[1].Clone(); otherTimestamp[20 + 27] ^= 1;
        Assert.Equal(CoalesceResult.FlushFirst, coalescer.Offer(otherTimestamp));
        byte[] otherTtl = (byte[])a[1].Clone(); otherTtl[8] ^= 1;
        Assert.Equal(CoalesceResult.FlushFirst, coalescer.Offer(otherTtl));
        Assert.Equal(1, coalescer.Count);
        Assert.Equal(CoalesceResult.Held, coalescer.Offer(a[1]));
        Assert.Equal(2, coalescer.Count);
    }

    [Fact]
    public void A_shorter_or_pushed_segment_ends_the_packet()
    {
        List<byte[]> a = Segments(false, Ack | Psh, 2500, 1000); // 1000, 1000, 500 (PSH on the last)
        var coalescer = new TcpCoalescer();
        foreach (byte[] s in a) Assert.Equal(CoalesceResult.Held, coalescer.Offer(s));
        List<byte[]> next = Segments(false, Ack, 2000, 1000, seed: 2);
        BinaryPrimitives.WriteUInt32BigEndian(next[0].AsSpan(24), 0xFFFFF000u + 2500);
        Assert.Equal(CoalesceResult.FlushFirst, coalescer.Offer(next[0]));
        coalescer.Take();

        List<byte[]> b = Segments(false, Ack, 2500, 1000);
        Assert.Equal(CoalesceResult.Held, coalescer.Offer(b[0]));
        Assert.Equal(CoalesceResult.Held, coalescer.Offer(b[1]));
        Assert.Equal(CoalesceResult.Held, coalescer.Offer(b[2]));
        Assert.Equal(3, coalescer.Count);
        Assert.Equal(CoalesceResult.FlushFirst, coalescer.Offer(next[0]));
        coalescer.Take();

        List<byte[]> c = Segments(false, Ack, 3000, 1000);
        c[1][33] |= Psh; // full-sized but pushed
        Assert.Equal(CoalesceResult.Held, coalescer.Offer(c[0]));
        Assert.Equal(CoalesceResult.Held, coalescer.Offer(c[1]));
        Assert.Equal(CoalesceResult.FlushFirst, coalescer.Offer(c[2]));
        byte[] written = coalescer.Take().ToArray();
        Assert.Equal(Ack | Psh, written[VirtioNetHeader.Size + 33]);
    }

    [Fact]
    public void Anything_but_plain_tcp_data_is_not_coalescable()
    {
        var coalescer = new TcpCoalescer();
        byte[] data = Segments(false, Ack, 1000, 1348)[0];
        byte[] syn = (byte[])data.Clone(); syn[33] = 0x12;
        byte[] fin = (byte[])data.Clone(); fin[33] = 0x11;
        byte[] udp = (byte[])data.Clone(); udp[9] = 17;
        byte[] options = (byte[])data.Clone(); options[0] = 0x46;
        byte[] fragment = (byte[])data.Clone(); fragment[6] = 0x20;
        byte[] ackOnly = TcpSegmentationTests.SuperPacket(false, Ack, 0);
        byte[] badLength = (byte[])data.Clone(); badLength[3] ^= 1;
        foreach (byte[] p in new[] { syn, fin, udp, options, fragment, ackOnly, badLength, data[..30] })
            Assert.Equal(CoalesceResult.NotCoalescable, coalescer.Offer(p));
        Assert.Equal(0, coalescer.Count);
    }
}
