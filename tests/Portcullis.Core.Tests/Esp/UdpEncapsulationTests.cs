using Portcullis.Core.Esp;

namespace Portcullis.Core.Tests.Esp;

/// <summary>RFC 3948 demultiplexing of UDP 4500: the Non-ESP Marker, NAT-Keepalive and ESP.</summary>
public class UdpEncapsulationTests
{
    [Fact]
    public void Behind_the_non_esp_marker_is_ike_without_the_marker()
    {
        byte[] d = [0, 0, 0, 0, 0x11, 0x22, 0x33];
        Assert.Equal(UdpEncapsulatedKind.Ike, UdpEncapsulation.Classify(d, out ReadOnlySpan<byte> payload));
        Assert.Equal([0x11, 0x22, 0x33], payload.ToArray());
    }

    [Fact]
    public void A_non_zero_spi_is_esp_delivered_whole()
    {
        byte[] d = [0, 0, 0, 1, 0, 0, 0, 9];
        Assert.Equal(UdpEncapsulatedKind.Esp, UdpEncapsulation.Classify(d, out ReadOnlySpan<byte> payload));
        Assert.Equal(d, payload.ToArray());
    }

    [Fact]
    public void One_ff_octet_is_a_keepalive_and_anything_else_that_short_is_malformed()
    {
        Assert.Equal(UdpEncapsulatedKind.NatKeepalive, UdpEncapsulation.Classify([0xFF], out ReadOnlySpan<byte> payload));
        Assert.True(payload.IsEmpty);
        Assert.Equal(UdpEncapsulatedKind.Malformed, UdpEncapsulation.Classify([], out _));
        Assert.Equal(UdpEncapsulatedKind.Malformed, UdpEncapsulation.Classify([0xFE], out _));
        Assert.Equal(UdpEncapsulatedKind.Malformed, UdpEncapsulation.Classify([0xFF, 0xFF], out _));
        Assert.Equal(UdpEncapsulatedKind.Malformed, UdpEncapsulation.Classify([0, 0, 0, 0], out payload)); // a marker with no IKE header
        Assert.True(payload.IsEmpty);
        Assert.Equal(UdpEncapsulatedKind.Malformed, UdpEncapsulation.Classify([1, 2, 3, 4, 5, 6, 7], out _)); // shorter than SPI + sequence
    }

    /// <summary>Every datagram of up to 9 bytes over a small alphabet: the kind follows from the rules, and the payload lies inside the datagram.</summary>
    [Fact]
    public void Every_short_datagram_is_classified_by_the_rules_and_the_payload_stays_inside_it()
    {
        byte[] alphabet = [0x00, 0x01, 0xFF];
        for (int length = 0; length <= 9; length++)
        {
            int combinations = (int)Math.Pow(alphabet.Length, length);
            byte[] d = new byte[length];
            for (int n = 0; n < combinations; n++)
            {
                for (int i = 0, v = n; i < length; i++, v /= alphabet.Length) d[i] = alphabet[v % alphabet.Length];
                UdpEncapsulatedKind kind = UdpEncapsulation.Classify(d, out ReadOnlySpan<byte> payload);
                bool marker = length >= 4 && d[0] == 0 && d[1] == 0 && d[2] == 0 && d[3] == 0;
                UdpEncapsulatedKind expected = length == 1 && d[0] == 0xFF ? UdpEncapsulatedKind.NatKeepalive
                    : marker ? (length > 4 ? UdpEncapsulatedKind.Ike : UdpEncapsulatedKind.Malformed)
                    : length >= 8 ? UdpEncapsulatedKind.Esp : UdpEncapsulatedKind.Malformed;
                Assert.Equal(expected, kind);
                int expectedLength = kind switch { UdpEncapsulatedKind.Ike => length - 4, UdpEncapsulatedKind.Esp => length, _ => 0 };
                Assert.Equal(expectedLength, payload.Length);
                if (payload.Length > 0) Assert.True(payload.SequenceEqual(d.AsSpan(length - payload.Length)));
            }
        }
    }
}
