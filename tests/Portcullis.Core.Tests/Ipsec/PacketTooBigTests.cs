using System.Buffers.Binary;
using System.Net;
using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Tests.Selectors;

public class PacketTooBigTests
{
    private static readonly IPAddress V6Source = IPAddress.Parse("2001:db8:100::1"), V6Destination = IPAddress.Parse("2001:db8:200::1");
    private static readonly IPAddress V4Source = IPAddress.Parse("198.18.1.1"), V4Destination = IPAddress.Parse("198.18.2.1");

    /// <summary>An IPv6 packet of <paramref name="length"/> bytes with the given next header and first upper-layer byte.</summary>
    private static byte[] Ipv6(int length, byte nextHeader = 17, byte firstByte = 0x12, IPAddress? destination = null, IPAddress? source = null)
    {
        var p = new byte[length];
        p[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), (ushort)(length - 40));
        p[6] = nextHeader;
        p[7] = 64;
        (source ?? V6Source).TryWriteBytes(p.AsSpan(8), out _);
        (destination ?? V6Destination).TryWriteBytes(p.AsSpan(24), out _);
        p[40] = firstByte;
        for (int i = 41; i < length; i++) p[i] = (byte)i;
        return p;
    }

    private static byte[] Ipv4(int length, bool dontFragment = true, byte protocol = 17, byte firstByte = 0x12, IPAddress? destination = null, ushort offset = 0)
    {
        var p = new byte[length];
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)length);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(6), (ushort)((dontFragment ? 0x4000 : 0) | offset));
        p[8] = 64;
        p[9] = protocol;
        V4Source.TryWriteBytes(p.AsSpan(12), out _);
        (destination ?? V4Destination).TryWriteBytes(p.AsSpan(16), out _);
        p[20] = firstByte;
        return p;
    }

    /// <summary>The Internet checksum over <paramref name="data"/> (0 when a checksum inside it is correct).</summary>
    private static ushort Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (int i = 0; i + 1 < data.Length; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if ((data.Length & 1) != 0) sum += (uint)data[^1] << 8;
        while (sum >> 16 != 0) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }

    [Fact]
    public void Ipv6_packet_too_big_quotes_up_to_the_minimum_mtu_with_a_pseudo_header_checksum()
    {
        byte[] packet = Ipv6(1400);
        var reply = new byte[2000];
        int n = PacketTooBig.Write(packet, 1300, reply);

        Assert.Equal(1280, n); // 40 + 8 + 1232 quoted bytes: no larger than the minimum IPv6 MTU (RFC 4443 §3.2)
        byte[] r = reply[..n];
        Assert.Equal(6, r[0] >> 4);
        Assert.Equal(n - 40, BinaryPrimitives.ReadUInt16BigEndian(r.AsSpan(4)));
        Assert.Equal(58, r[6]);
        Assert.Equal(V6Destination, new IPAddress(r.AsSpan(8, 16)));
        Assert.Equal(V6Source, new IPAddress(r.AsSpan(24, 16)));
        Assert.Equal(2, r[40]); // Packet Too Big
        Assert.Equal(0, r[41]);
        Assert.Equal(1300u, BinaryPrimitives.ReadUInt32BigEndian(r.AsSpan(44)));
        Assert.Equal(packet[..1232], r[48..]);
        // Pseudo-header (source, destination, upper-layer length, next header 58) plus the message sums to zero.
        byte[] pseudo = [.. r[8..40], 0, 0, (byte)((n - 40) >> 8), (byte)(n - 40), 0, 0, 0, 58, .. r[40..]];
        Assert.Equal(0, Checksum(pseudo));
    }

    [Fact]
    public void Ipv6_mtu_below_1280_is_reported_as_1280_and_packets_up_to_1280_get_no_error()
    {
        var reply = new byte[2000];
        Assert.Equal(0, PacketTooBig.Write(Ipv6(1280), 1000, reply));
        int n = PacketTooBig.Write(Ipv6(1281), 1000, reply);
        Assert.Equal(1280u, BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(44)));
        Assert.Equal(1280, n);
    }

    [Fact]
    public void No_error_for_packets_that_fit()
    {
        var reply = new byte[2000];
        Assert.Equal(0, PacketTooBig.Write(Ipv6(1400), 1400, reply));
        Assert.Equal(0, PacketTooBig.Write(Ipv4(1400), 1400, reply));
    }

    [Theory]
    [InlineData(1, false)]   // Destination Unreachable: an error
    [InlineData(2, false)]   // Packet Too Big: an error
    [InlineData(127, false)]
    [InlineData(137, false)] // Redirect
    [InlineData(128, true)]  // Echo Request: informational
    [InlineData(129, true)]
    public void Ipv6_icmpv6_errors_are_never_answered(byte type, bool answered)
    {
        var reply = new byte[2000];
        Assert.Equal(answered, PacketTooBig.Write(Ipv6(1400, nextHeader: 58, firstByte: type), 1300, reply) > 0);
    }

    [Fact]
    public void Ipv6_icmpv6_error_behind_an_extension_header_is_not_answered()
    {
        byte[] packet = Ipv6(1400, nextHeader: 60); // destination options, 8 bytes, then ICMPv6 type 1
        packet[40] = 58;
        packet[41] = 0;
        packet[48] = 1;
        Assert.Equal(0, PacketTooBig.Write(packet, 1300, new byte[2000]));
        packet[48] = 128;
        Assert.True(PacketTooBig.Write(packet, 1300, new byte[2000]) > 0);
    }

    [Theory]
    [InlineData("ff02::1", "2001:db8:100::1")] // multicast destination
    [InlineData("2001:db8:200::1", "::")]      // unspecified source
    [InlineData("2001:db8:200::1", "ff05::2")] // multicast source
    public void Ipv6_no_error_for_multicast_or_unspecified_addresses(string destination, string source)
    {
        byte[] packet = Ipv6(1400, destination: IPAddress.Parse(destination), source: IPAddress.Parse(source));
        Assert.Equal(0, PacketTooBig.Write(packet, 1300, new byte[2000]));
    }

    [Fact]
    public void Ipv4_fragmentation_needed_with_next_hop_mtu_and_valid_checksums()
    {
        byte[] packet = Ipv4(1400);
        var reply = new byte[2000];
        int n = PacketTooBig.Write(packet, 1350, reply);

        Assert.Equal(576, n); // 20 + 8 + 548 quoted bytes (RFC 1812 §4.3.2.3)
        byte[] r = reply[..n];
        Assert.Equal(0x45, r[0]);
        Assert.Equal(n, BinaryPrimitives.ReadUInt16BigEndian(r.AsSpan(2)));
        Assert.Equal(1, r[9]);
        Assert.Equal(0, Checksum(r.AsSpan(0, 20)));
        Assert.Equal(V4Destination, new IPAddress(r.AsSpan(12, 4)));
        Assert.Equal(V4Source, new IPAddress(r.AsSpan(16, 4)));
        Assert.Equal(3, r[20]);
        Assert.Equal(4, r[21]);
        Assert.Equal(1350, BinaryPrimitives.ReadUInt16BigEndian(r.AsSpan(26)));
        Assert.Equal(0, Checksum(r.AsSpan(20)));
        Assert.Equal(packet[..548], r[28..]);
    }

    [Fact]
    public void Ipv4_no_error_without_df_for_later_fragments_icmp_errors_or_broadcast()
    {
        var reply = new byte[2000];
        Assert.Equal(0, PacketTooBig.Write(Ipv4(1400, dontFragment: false), 1350, reply));
        Assert.Equal(0, PacketTooBig.Write(Ipv4(1400, offset: 185), 1350, reply));
        Assert.Equal(0, PacketTooBig.Write(Ipv4(1400, protocol: 1, firstByte: 3), 1350, reply));
        Assert.Equal(0, PacketTooBig.Write(Ipv4(1400, protocol: 1, firstByte: 11), 1350, reply));
        Assert.True(PacketTooBig.Write(Ipv4(1400, protocol: 1, firstByte: 8), 1350, reply) > 0); // echo request
        Assert.Equal(0, PacketTooBig.Write(Ipv4(1400, destination: IPAddress.Broadcast), 1350, reply));
        Assert.Equal(0, PacketTooBig.Write(Ipv4(1400, destination: IPAddress.Parse("224.0.0.5")), 1350, reply));
    }

    [Fact]
    public void Truncated_input_or_a_small_reply_buffer_gives_no_error_and_no_exception()
    {
        byte[] v6 = Ipv6(1400, nextHeader: 60), v4 = Ipv4(1400);
        v6[40] = 58;
        v6[41] = 200; // an extension header longer than the packet
        var reply = new byte[2000];
        for (int length = 0; length <= 64; length++)
        {
            PacketTooBig.Write(v6.AsSpan(0, length), 10, reply);
            PacketTooBig.Write(v4.AsSpan(0, length), 10, reply);
        }
        Assert.Equal(0, PacketTooBig.Write(v6, 1300, reply));
        Assert.Equal(0, PacketTooBig.Write(Ipv6(1400), 1300, new byte[1279]));
        Assert.Equal(0, PacketTooBig.Write(Ipv4(1400), 1300, new byte[575]));
    }

    [Theory]
    [InlineData(1500, false, true, 8, 16, 4, 1438)]   // IPv4, UDP, AES-GCM: 1500 - 20 - 8 - 8 - 8 - 16 = 1440, - 2
    [InlineData(1500, true, true, 8, 16, 4, 1418)]    // IPv6, UDP, AES-GCM
    [InlineData(1500, true, false, 8, 16, 4, 1426)]   // IPv6, plain ESP
    [InlineData(1500, true, true, 16, 32, 16, 1390)]  // IPv6, UDP, AES-CBC with HMAC-SHA-512: 1396 rounded down to 1392, - 2
    [InlineData(1280, true, true, 8, 16, 4, 1198)]
    public void Tunnel_mtu_subtracts_the_outer_headers_and_esp_overhead(int outer, bool v6, bool udp, int iv, int icv, int unit, int expected) =>
        Assert.Equal(expected, PacketTooBig.TunnelMtu(outer, v6, udp, iv, icv, unit));

    [Fact]
    public void Rate_limit_allows_a_burst_then_the_steady_rate()
    {
        var limit = new IcmpErrorRateLimit(burst: 3, perSecond: 10);
        const long second = 1000;
        long now = 5000;
        Assert.True(limit.TryTake(now, second));
        Assert.True(limit.TryTake(now, second));
        Assert.True(limit.TryTake(now, second));
        Assert.False(limit.TryTake(now, second));
        Assert.False(limit.TryTake(now + 50, second)); // half a token
        Assert.True(limit.TryTake(now + 100, second)); // one token after 100 ms at 10/s
        Assert.False(limit.TryTake(now + 100, second));
        Assert.Equal(3, limit.TakeRefused());
        Assert.Equal(0, limit.Refused);
        // A long pause refills only up to the burst.
        now += 60 * second;
        for (int i = 0; i < 3; i++) Assert.True(limit.TryTake(now, second));
        Assert.False(limit.TryTake(now, second));
    }
}
