using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Esp;
using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Tests.Esp;

public class AhProcessorTests
{
    public static IEnumerable<IntegrityTransform> AhIntegrity => TransformRegistry.All.OfType<IntegrityTransform>().Where(t => t.ForAh);

    public static TheoryData<string> Integrity => [.. AhIntegrity.Select(t => t.Keyword)];

    private static readonly byte[] s_v4Left = IPAddress.Parse("192.0.2.1").GetAddressBytes(), s_v4Right = IPAddress.Parse("192.0.2.2").GetAddressBytes();
    private static readonly byte[] s_v6Left = IPAddress.Parse("2001:db8::1").GetAddressBytes(), s_v6Right = IPAddress.Parse("2001:db8::2").GetAddressBytes();

    internal static (AhSa Out, AhSa In) Pair(string integrity, bool esn = false, bool transport = false, uint spi = 0x0badcafe)
    {
        var t = TransformRegistry.Get<IntegrityTransform>(integrity);
        byte[] key = EspTestData.Key(t.KeySize, 42);
        var outbound = AhSa.CreateOutbound(spi, t, key, esn);
        var inbound = AhSa.CreateInbound(spi, t, key, extendedSequenceNumbers: esn);
        outbound.TransportMode = inbound.TransportMode = transport;
        return (outbound, inbound);
    }

    internal static byte[] Tunnel(AhSa sa, byte[] inner, bool ipv6Outer)
    {
        byte[] output = new byte[AhProcessor.GetTunnelLength(sa, inner.Length, ipv6Outer)];
        Assert.Equal(EncapsulateResult.Ok, AhProcessor.EncapsulateTunnel(sa, inner, ipv6Outer ? s_v6Left : s_v4Left, ipv6Outer ? s_v6Right : s_v4Right, output, out int written));
        Assert.Equal(output.Length, written);
        return output;
    }

    private static byte[] Transport(AhSa sa, byte[] packet)
    {
        bool ipv6 = packet[0] >> 4 == 6;
        byte[] output = new byte[AhProcessor.GetTransportLength(sa, packet.Length, ipv6)];
        Assert.Equal(EncapsulateResult.Ok, AhProcessor.EncapsulateTransport(sa, packet, output, out int written));
        Assert.Equal(output.Length, written);
        return output;
    }

    private static byte[] Inner(AhSa sa, byte[] packet, DecapsulateResult expected = DecapsulateResult.Ok)
    {
        Assert.Equal(expected, AhProcessor.Decapsulate(sa, packet, out int offset, out int length, out _));
        return packet.AsSpan(offset, length).ToArray();
    }

    [Fact]
    public void The_registry_offers_the_AH_integrity_algorithms()
    {
        string[] names = [.. AhIntegrity.Select(t => t.Name)];
        foreach (string name in (string[])["AUTH_HMAC_SHA1_96", "AUTH_HMAC_SHA2_256_128", "AUTH_HMAC_SHA2_384_192", "AUTH_HMAC_SHA2_512_256",
                     "AUTH_AES_XCBC_96", "AUTH_AES_128_GMAC", "AUTH_AES_192_GMAC", "AUTH_AES_256_GMAC"])
            Assert.Contains(name, names);
        // strongSwan's ah_proposals read aes128gmac (an ESP encryption keyword) as AUTH_AES_128_GMAC.
        Assert.Equal("AUTH_AES_256_GMAC", TransformRegistry.AhIntegrityFor(TransformRegistry.Get<EncryptionTransform>("aes256gmac"))!.Name);
        Assert.Null(TransformRegistry.AhIntegrityFor(TransformRegistry.Get<EncryptionTransform>("aes128gcm16")));
    }

    [Theory]
    [MemberData(nameof(Integrity))]
    public void Tunnel_mode_round_trips_both_IP_versions_inside_and_outside(string integrity)
    {
        (AhSa outbound, AhSa inbound) = Pair(integrity);
        using (outbound)
        using (inbound)
        {
            int n = 0;
            foreach (bool ipv6Outer in (bool[])[false, true])
                foreach (byte[] inner in (byte[][])[EspTestData.Ipv4Udp(28), EspTestData.Ipv4Udp(1400), EspTestData.Ipv6(48), EspTestData.Ipv6(1333)])
                {
                    byte[] packet = Tunnel(outbound, inner, ipv6Outer);
                    n++;
                    int ahOffset = ipv6Outer ? 40 : 20;
                    Assert.Equal(AhProcessor.ProtocolAh, packet[ipv6Outer ? 6 : 9]);
                    Assert.Equal(inner[0] >> 4 == 4 ? 4 : 41, packet[ahOffset]); // Next Header
                    int ahLength = (packet[ahOffset + 1] + 2) * 4;
                    Assert.Equal(0, ahLength % (ipv6Outer ? 8 : 4));
                    Assert.Equal(outbound.HeaderLength(ipv6Outer), ahLength);
                    Assert.Equal(0x0badcafeu, BinaryPrimitives.ReadUInt32BigEndian(packet.AsSpan(ahOffset + 4)));
                    Assert.Equal((uint)n, BinaryPrimitives.ReadUInt32BigEndian(packet.AsSpan(ahOffset + 8)));
                    if (!ipv6Outer) Assert.Equal(0xFFFF, InternetChecksum.Fold16(InternetChecksum.Add(0, packet.AsSpan(0, 20))));
                    Assert.Equal(inner, Inner(inbound, packet));
                }
            Assert.Equal(n, inbound.Packets);
            Assert.Equal(0, inbound.AuthenticationFailures);
        }
    }

    [Theory]
    [MemberData(nameof(Integrity))]
    public void Transport_mode_inserts_AH_after_the_IP_header_and_takes_it_out_again(string integrity)
    {
        (AhSa outbound, AhSa inbound) = Pair(integrity, transport: true);
        using (outbound)
        using (inbound)
        {
            foreach (byte[] host in (byte[][])[EspTestData.Ipv4Udp(100, "192.0.2.1", "192.0.2.2"), EspTestData.Ipv6(120, 6, "2001:db8::1", "2001:db8::2"), Ipv4WithOptions(), Ipv6WithHopByHop()])
            {
                bool ipv6 = host[0] >> 4 == 6;
                byte[] packet = Transport(outbound, host);
                int headerLength = ipv6 ? (host[6] == 0 ? 48 : 40) : (host[0] & 0xF) * 4;
                int protocolAt = ipv6 ? (host[6] == 0 ? 40 : 6) : 9;
                Assert.Equal(AhProcessor.ProtocolAh, packet[protocolAt]);
                Assert.Equal(host[protocolAt], packet[headerLength]); // AH's Next Header: the original protocol
                Assert.Equal(host.AsSpan(headerLength).ToArray(), packet.AsSpan(headerLength + outbound.HeaderLength(ipv6)).ToArray());
                if (ipv6) Assert.Equal(packet.Length - 40, BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(4)));
                else
                {
                    Assert.Equal(packet.Length, BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(2)));
                    Assert.Equal(0xFFFF, InternetChecksum.Fold16(InternetChecksum.Add(0, packet.AsSpan(0, headerLength))));
                }
                byte[] restored = Inner(inbound, packet);
                if (!ipv6) FixChecksum(host);
                Assert.Equal(Convert.ToHexString(host), Convert.ToHexString(restored));
            }
        }
    }

    [Theory]
    [InlineData("sha256", false)]
    [InlineData("sha256", true)]
    [InlineData("aes128gmacauth", false)]
    [InlineData("aesxcbc", true)]
    public void Mutable_fields_changed_in_transit_still_verify(string integrity, bool ipv6)
    {
        (AhSa outbound, AhSa inbound) = Pair(integrity);
        using (outbound)
        using (inbound)
        {
            byte[] inner = EspTestData.Ipv4Udp(80);
            var changes = ipv6
                ? new List<Action<byte[]>> { p => p[7] = 1, p => p[0] |= 0x0F, p => p[1] = 0xFF, p => p[2] = 0x12, p => p[3] = 0x34 } // hop limit, traffic class, flow label
                : [p => p[8] = 3, p => p[1] = 0xB8, p => p[6] ^= 0x40, p => p[10] ^= 0xFF]; // TTL, DSCP/ECN, DF, checksum
            foreach (Action<byte[]> change in changes)
            {
                byte[] packet = Tunnel(outbound, inner, ipv6);
                change(packet);
                Assert.Equal(inner, Inner(inbound, packet));
            }
            Assert.Equal(changes.Count, inbound.Packets);
        }
    }

    [Theory]
    [InlineData("sha1", false)]
    [InlineData("sha512", true)]
    [InlineData("aes256gmacauth", true)]
    public void Immutable_fields_changed_in_transit_fail(string integrity, bool ipv6)
    {
        (AhSa outbound, AhSa inbound) = Pair(integrity);
        using (outbound)
        using (inbound)
        {
            byte[] inner = EspTestData.Ipv6(90);
            int ah = ipv6 ? 40 : 20;
            var changes = new List<Action<byte[]>>
            {
                p => p[^1] ^= 1, // payload
                p => p[ah + 2] = 1, // AH Reserved
                p => p[ah] = 4, // AH Next Header
                p => p[ah + 12] ^= 0x80, // the ICV field (or GMAC's IV)
                ipv6 ? p => p[8] ^= 1 : p => p[12] ^= 1, // source address
                ipv6 ? p => p[39] ^= 1 : p => p[19] ^= 1, // destination address
            };
            if (!ipv6) changes.Add(p => p[5] ^= 1); // Identification
            int before = 0;
            foreach (Action<byte[]> change in changes)
            {
                byte[] packet = Tunnel(outbound, inner, ipv6);
                change(packet);
                Inner(inbound, packet, DecapsulateResult.AuthenticationFailed);
                Assert.Equal(++before, inbound.AuthenticationFailures);
            }
            Assert.Equal(0UL, inbound.ReplayWindow!.Highest); // forged packets never move the window
        }
    }

    [Fact]
    public void Replays_are_rejected_and_the_wrong_spi_is_counted()
    {
        (AhSa outbound, AhSa inbound) = Pair("sha256");
        using (outbound)
        using (inbound)
        {
            byte[] inner = EspTestData.Ipv4Udp(60);
            byte[] first = Tunnel(outbound, inner, false), second = Tunnel(outbound, inner, false);
            Inner(inbound, second.ToArray());
            Inner(inbound, first.ToArray());
            Inner(inbound, first.ToArray(), DecapsulateResult.Replayed);
            Inner(inbound, second.ToArray(), DecapsulateResult.Replayed);
            Assert.Equal(2, inbound.ReplayDrops);
            (AhSa other, AhSa otherIn) = Pair("sha256", spi: 0x1000);
            using (other)
            using (otherIn)
                Inner(inbound, Tunnel(other, inner, false), DecapsulateResult.SpiMismatch);
            Inner(inbound, second.AsSpan(0, 30).ToArray(), DecapsulateResult.Truncated);
        }
    }

    [Theory]
    [InlineData("sha256")]
    [InlineData("aes128gmacauth")]
    [InlineData("aesxcbc")]
    public void Esn_carries_AH_across_2_to_the_32_at_both_window_edges(string integrity)
    {
        (AhSa outbound, AhSa inbound) = Pair(integrity, esn: true);
        using (outbound)
        using (inbound)
        {
            byte[] inner = EspTestData.Ipv4Udp(50);
            outbound.SetLastSequenceNumber((1UL << 32) - 3);
            byte[][] packets = [.. Enumerable.Range(0, 6).Select(_ => Tunnel(outbound, inner, false))];
            Assert.Equal("00000000", Convert.ToHexString(packets[2], 28, 4)); // 2^32: low bits 0 on the wire
            foreach (int i in (int[])[1, 3, 0, 2, 5, 4]) Assert.Equal(inner, Inner(inbound, packets[i].ToArray()));
            Assert.Equal((1UL << 32) + 3, inbound.ReplayWindow!.Highest);
            Inner(inbound, packets[1].ToArray(), DecapsulateResult.Replayed);

            // Without ESN on the receiving side the missing high bits make the ICV fail.
            (AhSa _, AhSa plain) = Pair(integrity);
            using (plain)
                Inner(plain, Tunnel(outbound, inner, false), DecapsulateResult.AuthenticationFailed);

            outbound.SetLastSequenceNumber(ulong.MaxValue);
            Assert.True(outbound.IsSequenceExhausted);
            Assert.Equal(EncapsulateResult.SequenceNumberExhausted, AhProcessor.EncapsulateTunnel(outbound, inner, s_v4Left, s_v4Right, new byte[2000], out _));
        }
    }

    [Fact]
    public void Without_esn_the_counter_stops_at_2_to_the_32_minus_1()
    {
        (AhSa outbound, AhSa inbound) = Pair("sha1");
        using (outbound)
        using (inbound)
        {
            outbound.SetLastSequenceNumber(uint.MaxValue - 1);
            Tunnel(outbound, EspTestData.Ipv4Udp(40), false);
            Assert.True(outbound.IsSequenceExhausted);
            Assert.Equal(EncapsulateResult.SequenceNumberExhausted, AhProcessor.EncapsulateTunnel(outbound, EspTestData.Ipv4Udp(40), s_v4Left, s_v4Right, new byte[2000], out _));
            Assert.Equal(1, outbound.SequenceExhaustedDrops);
        }
    }

    /// <summary>
    /// A known answer built from RFC 4302's definition by hand: HMAC-SHA1-96 over the outer IPv4 header with TOS,
    /// flags/offset, TTL and checksum zeroed, AH with its ICV field zeroed, and the inner packet (BCL HMACSHA1).
    /// </summary>
    [Fact]
    public void Hmac_sha1_icv_matches_a_construction_by_hand()
    {
        byte[] key = Convert.FromHexString("0102030405060708090a0b0c0d0e0f1011121314");
        var t = TransformRegistry.Get<IntegrityTransform>("sha1");
        using var outbound = AhSa.CreateOutbound(0x00001234, t, key);
        byte[] inner = EspTestData.Ipv4Udp(32);
        inner[1] = 0x28;
        inner[6] = 0x40; // DF, copied to the outer header
        byte[] packet = Tunnel(outbound, inner, false);

        // Identification: the sequence number plus one, never 0 (which a raw socket would replace).
        byte[] zeroedHeader = [0x45, 0, 0, 20 + 24 + 32, 0, 2, 0, 0, 0, 51, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2];
        byte[] ah = [4, 4, 0, 0, 0, 0, 0x12, 0x34, 0, 0, 0, 1, .. new byte[12]];
        byte[] authenticated = [.. zeroedHeader, .. ah, .. inner];
        byte[] icv = HMACSHA1.HashData(key, authenticated)[..12];
        byte[] header = [0x45, 0x28, 0, 76, 0, 2, 0x40, 0, 64, 51, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2];
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(10), InternetChecksum.Compute(header));
        byte[] expected = [.. header, .. ah[..12], .. icv, .. inner];
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(packet));

        using var inbound = AhSa.CreateInbound(0x00001234, t, key);
        Assert.Equal(inner, Inner(inbound, expected));
    }

    /// <summary>
    /// AES-GMAC (RFC 4543 §4) as AES-GCM with an empty plaintext: the GCM specification's test case 1 (key and nonce
    /// zero, no data: tag 58e2fcce…) through the registry's primitive, and an AH packet against the BCL's AesGcm with
    /// the whole packet (ICV zeroed, IV in place) as associated data.
    /// </summary>
    [Fact]
    public void Aes_gmac_matches_the_gcm_test_vector_and_the_bcl()
    {
        var t = TransformRegistry.Get<IntegrityTransform>("aes128gmacauth");
        Assert.Equal((9, 20, 16, 8), (t.Id, t.KeySize, t.IcvSize, t.IvSize));
        using (var zero = t.CreateWithIv(new byte[20]))
        {
            byte[] tag = new byte[16];
            zero.Compute(new byte[8], [], [], tag);
            Assert.Equal("58E2FCCEFA7E3061367F1D57A4E7455A", Convert.ToHexString(tag));
            Assert.True(zero.Verify(new byte[8], [], [], tag));
            tag[0] ^= 1;
            Assert.False(zero.Verify(new byte[8], [], [], tag));
        }

        byte[] aesKey = Convert.FromHexString("feffe9928665731c6d6a8f9467308308"), salt = Convert.FromHexString("cafebabe");
        using var outbound = AhSa.CreateOutbound(0x4321, t, [.. aesKey, .. salt]);
        byte[] inner = EspTestData.Ipv4Udp(45);
        byte[] packet = Tunnel(outbound, inner, ipv6Outer: true);
        Assert.Equal(40 + 40 + inner.Length, packet.Length); // 12 + 8 IV + 16 ICV = 36, padded to 40 over IPv6
        byte[] aad = packet.ToArray();
        aad[1] = aad[2] = aad[3] = 0; // traffic class, flow label
        aad[0] &= 0xF0;
        aad[7] = 0; // hop limit
        Array.Clear(aad, 40 + 20, 16); // the ICV
        byte[] iv = packet.AsSpan(60 - 8, 8).ToArray();
        Assert.Equal("0000000000000001", Convert.ToHexString(iv));
        byte[] nonce = [.. salt, .. iv], expectedTag = new byte[16];
        using (var gcm = new AesGcm(aesKey, 16)) gcm.Encrypt(nonce, ReadOnlySpan<byte>.Empty, Span<byte>.Empty, expectedTag, aad);
        Assert.Equal(Convert.ToHexString(expectedTag), Convert.ToHexString(packet, 60, 16));
    }

    [Fact]
    public void Encapsulation_refuses_what_it_cannot_carry()
    {
        (AhSa outbound, AhSa inbound) = Pair("sha256", transport: true);
        using (outbound)
        using (inbound)
        {
            byte[] fragment = EspTestData.Ipv4Udp(60);
            fragment[6] = 0x20; // MF
            Assert.Equal(EncapsulateResult.InvalidInnerPacket, AhProcessor.EncapsulateTransport(outbound, fragment, new byte[200], out _));
            byte[] routed = EspTestData.Ipv6(80, protocol: 43);
            Assert.Equal(EncapsulateResult.InvalidInnerPacket, AhProcessor.EncapsulateTransport(outbound, routed, new byte[200], out _));
            Assert.Equal(EncapsulateResult.OutputTooSmall, AhProcessor.EncapsulateTransport(outbound, EspTestData.Ipv4Udp(60), new byte[70], out _));
            Assert.Equal(EncapsulateResult.UnusableSa, AhProcessor.EncapsulateTransport(inbound, EspTestData.Ipv4Udp(60), new byte[200], out _));
            Assert.Equal(0UL, outbound.LastSequenceNumber);
        }
    }

    [Fact]
    public void Tunnel_mode_refuses_a_next_header_it_does_not_carry_after_verifying()
    {
        (AhSa tOut, AhSa tIn) = Pair("sha256", transport: true);
        (AhSa _, AhSa tunnelIn) = Pair("sha256");
        using (tOut) using (tIn) using (tunnelIn)
        {
            byte[] packet = Transport(tOut, EspTestData.Ipv4Udp(60, "192.0.2.1", "192.0.2.2"));
            Inner(tunnelIn, packet, DecapsulateResult.UnsupportedNextHeader);
            Assert.Equal(1UL, tunnelIn.ReplayWindow!.Highest);
        }
    }

    /// <summary>An IPv4 UDP packet with options: a mutable timestamp, an immutable router alert, and a NOP.</summary>
    private static byte[] Ipv4WithOptions()
    {
        byte[] udp = EspTestData.Ipv4Udp(60, "192.0.2.1", "192.0.2.2");
        byte[] options = [68, 8, 5, 0, 1, 2, 3, 4, 148, 4, 0, 0, 1, 0, 0, 0]; // timestamp, router alert, NOP, EOL + pad
        byte[] p = [.. udp[..20], .. options, .. udp[20..]];
        p[0] = 0x49;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
        FixChecksum(p);
        return p;
    }

    /// <summary>An IPv6 TCP packet behind a hop-by-hop header with a mutable option (type 0x3e) and a PadN.</summary>
    private static byte[] Ipv6WithHopByHop()
    {
        byte[] tcp = EspTestData.Ipv6(100, 6, "2001:db8::1", "2001:db8::2");
        byte[] hopByHop = [6, 0, 0x3e, 2, 0xaa, 0xbb, 1, 0];
        byte[] p = [.. tcp[..40], .. hopByHop, .. tcp[40..]];
        p[6] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), (ushort)(p.Length - 40));
        return p;
    }

    private static void FixChecksum(byte[] p)
    {
        int ihl = (p[0] & 0xF) * 4;
        p[10] = p[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(10), InternetChecksum.Compute(p.AsSpan(0, ihl)));
    }
}
