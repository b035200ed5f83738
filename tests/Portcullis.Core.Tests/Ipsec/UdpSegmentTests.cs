using System.Net;
using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Tests.Selectors;

public class UdpSegmentTests
{
    [Fact]
    public void A_written_segment_verifies_only_with_its_own_addresses()
    {
        byte[] payload = "\u0001\u0002hello L2TP"u8.ToArray();
        var buffer = new byte[64];
        IPAddress a = IPAddress.Parse("192.0.2.1"), b = IPAddress.Parse("192.0.2.2");
        int n = UdpSegment.Write(buffer, 1701, 1701, payload, a, b);
        Assert.Equal(8 + payload.Length, n);
        Assert.True(UdpSegment.ChecksumHolds(buffer.AsSpan(0, n), a, b));
        Assert.False(UdpSegment.ChecksumHolds(buffer.AsSpan(0, n), a, IPAddress.Parse("203.0.113.9")));
        Assert.True(UdpSegment.TryParse(buffer.AsSpan(0, n), out ushort sp, out ushort dp, out ReadOnlySpan<byte> p));
        Assert.Equal((1701, 1701), ((int)sp, (int)dp));
        Assert.Equal(payload, p.ToArray());
    }

    [Fact]
    public void Checksum_agrees_with_an_independent_computation()
    {
        // RFC 1071 §3 example data as a payload; the independent sum is computed here word by word.
        byte[] payload = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        var buffer = new byte[32];
        IPAddress a = IPAddress.Parse("198.51.100.1"), b = IPAddress.Parse("203.0.113.2");
        int n = UdpSegment.Write(buffer, 4500, 1701, payload, a, b);
        uint sum = 0xC633 + 0x6401 + 0xCB00 + 0x7102 + 17 + (uint)n; // addresses as 16-bit words, protocol, length
        for (int i = 0; i < n; i += 2) sum += i == 6 ? 0u : (uint)(buffer[i] << 8 | buffer[i + 1]);
        while (sum >> 16 != 0) sum = (sum & 0xFFFF) + (sum >> 16);
        Assert.Equal((ushort)~sum, (ushort)(buffer[6] << 8 | buffer[7]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    public void Short_segments_are_refused(int length) =>
        Assert.False(UdpSegment.TryParse(new byte[length], out _, out _, out _));

    [Fact]
    public void A_length_field_beyond_the_data_is_refused()
    {
        byte[] segment = [0x06, 0xa5, 0x06, 0xa5, 0x00, 0x20, 0, 0, 1, 2];
        Assert.False(UdpSegment.TryParse(segment, out _, out _, out _));
    }
}
