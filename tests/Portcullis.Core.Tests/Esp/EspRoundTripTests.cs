using Portcullis.Core.Esp;

namespace Portcullis.Core.Tests.Esp;

public class EspRoundTripTests
{
    public static TheoryData<string> Suites => EspTestData.AllSuiteData;

    [Fact]
    public void The_registry_offers_the_expected_ESP_suites()
    {
        string[] suites = [.. EspTestData.AllSuites];
        Assert.Contains("aes128gcm16", suites);
        Assert.Contains("chacha20poly1305", suites);
        Assert.Contains("aes256gmac", suites);
        Assert.Contains("aes128ccm8", suites);
        Assert.Contains("aes256-sha256", suites);
        Assert.Contains("3des-sha1", suites);
        Assert.Contains("blowfish128-aesxcbc", suites);
        Assert.Contains("null-sha256", suites);
        Assert.Contains("aes192ctr-aescmac", suites);
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Every_suite_round_trips_IPv4_and_IPv6_of_many_lengths(string suite)
    {
        (EspSa outbound, EspSa inbound) = EspTestData.Pair(suite);
        using (outbound)
        using (inbound)
        {
            int packets = 0;
            long bytes = 0;
            foreach (int length in (int[])[28, 29, 30, 31, 32, 33, 47, 48, 49, 63, 64, 65, 100, 255, 256, 1400, 1500])
            {
                foreach (byte[] inner in (byte[][])[EspTestData.Ipv4Udp(length), EspTestData.Ipv6(length + 20)])
                {
                    byte[] esp = EspTestData.Encapsulate(outbound, inner);
                    packets++;
                    bytes += inner.Length;
                    Assert.Equal((ulong)packets, outbound.LastSequenceNumber);
                    Assert.Equal(0x1234_5678u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(esp));
                    Assert.Equal((uint)packets, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(esp.AsSpan(4)));
                    int encrypted = esp.Length - 8 - outbound.IvSize - outbound.IcvSize;
                    Assert.Equal(0, encrypted % outbound.PaddingUnit);
                    Assert.Equal(0, encrypted % 4);

                    DecapsulateResult result = EspProcessor.Decapsulate(inbound, esp, out int offset, out int innerLength, out byte nextHeader);
                    Assert.Equal(DecapsulateResult.Ok, result);
                    Assert.Equal(inner, esp.AsSpan(offset, innerLength).ToArray());
                    Assert.Equal(inner[0] >> 4 == 4 ? 4 : 41, nextHeader);
                    Assert.True(inbound.MatchesInbound(esp.AsSpan(offset, innerLength)));
                }
            }
            Assert.Equal(packets, outbound.Packets);
            Assert.Equal(packets, inbound.Packets);
            Assert.Equal(bytes, outbound.Bytes);
            Assert.Equal(bytes, inbound.Bytes);
            Assert.Equal(0, inbound.AuthenticationFailures + inbound.ReplayDrops + inbound.PaddingErrors + inbound.MalformedPackets);
        }
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Tampering_with_any_byte_fails_authentication(string suite)
    {
        (EspSa outbound, EspSa inbound) = EspTestData.Pair(suite);
        using (outbound)
        using (inbound)
        {
            byte[] esp = EspTestData.Encapsulate(outbound, EspTestData.Ipv4Udp(61));
            for (int i = 0; i < esp.Length; i++)
            {
                byte[] forged = (byte[])esp.Clone();
                forged[i] ^= 0x20;
                DecapsulateResult result = EspProcessor.Decapsulate(inbound, forged, out _, out int length, out _);
                DecapsulateResult expected = i < 4 ? DecapsulateResult.SpiMismatch : DecapsulateResult.AuthenticationFailed;
                Assert.Equal(expected, result);
                Assert.Equal(0, length);
            }
            // Nothing forged moved the window: the genuine packet still goes through, once.
            Assert.Equal(0UL, inbound.ReplayWindow!.Highest);
            Assert.Equal(DecapsulateResult.Ok, EspProcessor.Decapsulate(inbound, (byte[])esp.Clone(), out _, out _, out _));
            Assert.Equal(DecapsulateResult.Replayed, EspProcessor.Decapsulate(inbound, (byte[])esp.Clone(), out _, out _, out _));
            // Every byte but the SPI failed the ICV check (flipping a sequence-number bit of 1 yields another nonzero value).
            Assert.Equal(esp.Length - 4, inbound.AuthenticationFailures);
        }
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Every_truncation_is_a_result_code_not_an_exception(string suite)
    {
        (EspSa outbound, EspSa inbound) = EspTestData.Pair(suite);
        using (outbound)
        using (inbound)
        {
            byte[] esp = EspTestData.Encapsulate(outbound, EspTestData.Ipv6(57));
            for (int length = 0; length < esp.Length; length++)
            {
                byte[] cut = esp.AsSpan(0, length).ToArray();
                DecapsulateResult result = EspProcessor.Decapsulate(inbound, cut, out int offset, out int innerLength, out _);
                Assert.NotEqual(DecapsulateResult.Ok, result);
                Assert.Equal((0, 0), (offset, innerLength));
            }
            // And garbage of every length up to the real one.
            var random = new Random(4303);
            for (int length = 0; length <= esp.Length + 40; length++)
            {
                byte[] garbage = new byte[length];
                random.NextBytes(garbage);
                if (length >= 4) esp.AsSpan(0, 4).CopyTo(garbage);
                Assert.NotEqual(DecapsulateResult.Ok, EspProcessor.Decapsulate(inbound, garbage, out _, out _, out _));
            }
            Assert.Equal(0UL, inbound.ReplayWindow!.Highest);
        }
    }
}
