using System.Buffers.Binary;
using System.Net;
using Portcullis.Core.Esp;
using Portcullis.Core.Ipsec;
using Portcullis.Core.Tests.Esp;

namespace Portcullis.Core.Tests.Selectors;

public class TransportModePacketTests
{
    private const byte Icmp = 1, Tcp = 6, Udp = 17, IcmpV6 = 58;

    /// <summary>An upper-layer segment of the protocol with a valid checksum over these addresses (ICMP: its own).</summary>
    private static byte[] Segment(byte protocol, string source, string destination, int payload = 37)
    {
        int headerSize = protocol switch { Tcp => 20, Udp => 8, _ => 8 };
        byte[] s = new byte[headerSize + payload];
        for (int i = headerSize; i < s.Length; i++) s[i] = (byte)(i * 13 + 5);
        switch (protocol)
        {
            case Tcp:
                BinaryPrimitives.WriteUInt16BigEndian(s, 40000);
                BinaryPrimitives.WriteUInt16BigEndian(s.AsSpan(2), 5201);
                BinaryPrimitives.WriteUInt32BigEndian(s.AsSpan(4), 0x01020304);
                s[12] = 5 << 4;
                s[13] = 0x18; // PSH, ACK
                BinaryPrimitives.WriteUInt16BigEndian(s.AsSpan(14), 64240);
                break;
            case Udp:
                BinaryPrimitives.WriteUInt16BigEndian(s, 40001);
                BinaryPrimitives.WriteUInt16BigEndian(s.AsSpan(2), 53);
                BinaryPrimitives.WriteUInt16BigEndian(s.AsSpan(4), (ushort)s.Length);
                break;
            default: // ICMP or ICMPv6 echo request
                s[0] = protocol == Icmp ? (byte)8 : (byte)128;
                BinaryPrimitives.WriteUInt32BigEndian(s.AsSpan(4), 0x4242_0001);
                break;
        }
        int at = protocol switch { Tcp => 16, Udp => 6, _ => 2 };
        ushort sum = protocol == Icmp ? InternetChecksum.Compute(s) : PseudoChecksum(s, protocol, source, destination);
        if (sum == 0 && protocol == Udp) sum = 0xFFFF;
        BinaryPrimitives.WriteUInt16BigEndian(s.AsSpan(at), sum);
        return s;
    }

    private static ushort PseudoChecksum(ReadOnlySpan<byte> segment, byte protocol, string source, string destination)
    {
        ulong sum = InternetChecksum.Add(0, IPAddress.Parse(source).GetAddressBytes());
        sum = InternetChecksum.Add(sum, IPAddress.Parse(destination).GetAddressBytes());
        sum += protocol;
        sum += (uint)segment.Length;
        return InternetChecksum.Finish(InternetChecksum.Add(sum, segment));
    }

    /// <summary>True when the packet's TCP/UDP/ICMPv6 checksum verifies over its own header's addresses.</summary>
    private static bool ChecksumHolds(byte[] packet)
    {
        bool v6 = packet[0] >> 4 == 6;
        int h = v6 ? 40 : (packet[0] & 0x0f) * 4;
        byte protocol = v6 ? packet[6] : packet[9];
        ReadOnlySpan<byte> segment = packet.AsSpan(h);
        if (protocol == Icmp) return InternetChecksum.Compute(segment) == 0;
        ulong sum = InternetChecksum.Add(0, v6 ? packet.AsSpan(8, 32) : packet.AsSpan(12, 8));
        sum += protocol;
        sum += (uint)segment.Length;
        return InternetChecksum.Fold16(InternetChecksum.Add(sum, segment)) == 0xFFFF;
    }

    /// <summary>A host's packet with exactly the header fields <see cref="TransportModePacket.WriteHeader"/> writes.</summary>
    private static byte[] Packet(string source, string destination, byte protocol, byte[] segment)
    {
        IPAddress s = IPAddress.Parse(source), d = IPAddress.Parse(destination);
        bool v6 = s.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        byte[] p = new byte[(v6 ? 40 : 20) + segment.Length];
        if (v6)
        {
            p[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), (ushort)segment.Length);
            p[6] = protocol;
            p[7] = 64;
            s.GetAddressBytes().CopyTo(p, 8);
            d.GetAddressBytes().CopyTo(p, 24);
            segment.CopyTo(p, 40);
            return p;
        }
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
        p[8] = 64;
        p[9] = protocol;
        s.GetAddressBytes().CopyTo(p, 12);
        d.GetAddressBytes().CopyTo(p, 16);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(10), InternetChecksum.Compute(p.AsSpan(0, 20)));
        segment.CopyTo(p, 20);
        return p;
    }

    public static TheoryData<string, string, byte> Flows => new()
    {
        { "192.0.2.1", "192.0.2.2", Icmp },
        { "192.0.2.1", "192.0.2.2", Tcp },
        { "192.0.2.1", "192.0.2.2", Udp },
        { "2001:db8::1", "2001:db8::2", IcmpV6 },
        { "2001:db8::1", "2001:db8::2", Tcp },
        { "2001:db8::1", "2001:db8::2", Udp },
    };

    [Theory]
    [MemberData(nameof(Flows))]
    public void A_host_packet_survives_transport_mode_ESP_byte_for_byte(string source, string destination, byte protocol)
    {
        byte[] original = Packet(source, destination, protocol, Segment(protocol, source, destination));
        Assert.Equal(TransportSplitError.None, TransportModePacket.TrySplit(original, out int headerLength, out byte nextHeader, out int payloadLength));
        Assert.Equal(original[0] >> 4 == 6 ? 40 : 20, headerLength);
        Assert.Equal(protocol, nextHeader);
        Assert.Equal(original.Length - headerLength, payloadLength);

        (EspSa outbound, EspSa inbound) = EspTestData.Pair("aes128-sha256");
        using (outbound)
        using (inbound)
        {
            outbound.TransportMode = inbound.TransportMode = true;
            byte[] esp = new byte[EspProcessor.GetEncapsulatedLength(outbound, payloadLength)];
            Assert.Equal(EncapsulateResult.Ok, EspProcessor.Encapsulate(outbound, original.AsSpan(headerLength, payloadLength), nextHeader, esp, out int written));
            Assert.Equal(esp.Length, written);

            // The receiver decrypts in place with room in front for the header it rebuilds.
            byte[] buffer = new byte[TransportModePacket.MaxHeaderSize + esp.Length];
            esp.CopyTo(buffer, TransportModePacket.MaxHeaderSize);
            Span<byte> received = buffer.AsSpan(TransportModePacket.MaxHeaderSize);
            Assert.Equal(DecapsulateResult.Ok, EspProcessor.Decapsulate(inbound, received, out int offset, out int length, out byte next));
            Assert.Equal(protocol, next);
            int start = TransportModePacket.WriteHeader(buffer, TransportModePacket.MaxHeaderSize + offset, length, next,
                IPAddress.Parse(source).GetAddressBytes(), IPAddress.Parse(destination).GetAddressBytes());
            Assert.True(start >= 0);
            byte[] rebuilt = buffer.AsSpan(start, TransportModePacket.MaxHeaderSize + offset + length - start).ToArray();
            Assert.Equal(original, rebuilt);

            // The inbound policy check of a host-to-host SA: the peer's address as source, ours as destination.
            inbound.RemoteSelectors = new SelectorSet([TrafficSelector.ForHost(IPAddress.Parse(source))]);
            inbound.LocalSelectors = new SelectorSet([TrafficSelector.ForHost(IPAddress.Parse(destination))]);
            Assert.True(inbound.MatchesInbound(rebuilt));
            inbound.RemoteSelectors = new SelectorSet([new TrafficSelector(IPAddress.Parse(source), IPAddress.Parse(source), protocol == Udp ? Tcp : Udp)]);
            Assert.False(inbound.MatchesInbound(rebuilt));
        }
    }

    [Fact]
    public void A_tunnel_mode_SA_still_refuses_an_upper_layer_next_header()
    {
        (EspSa outbound, EspSa inbound) = EspTestData.Pair("aes256gcm16");
        using (outbound)
        using (inbound)
        {
            byte[] segment = Segment(Tcp, "192.0.2.1", "192.0.2.2");
            byte[] esp = new byte[EspProcessor.GetEncapsulatedLength(outbound, segment.Length)];
            Assert.Equal(EncapsulateResult.Ok, EspProcessor.Encapsulate(outbound, segment, Tcp, esp, out _));
            Assert.Equal(DecapsulateResult.UnsupportedNextHeader, EspProcessor.Decapsulate(inbound, esp, out _, out _, out _));
            Assert.Equal(1, inbound.MalformedPackets);
        }
    }

    [Fact]
    public void IPv4_options_go_with_the_header_and_trailing_bytes_are_left_out()
    {
        byte[] segment = Segment(Udp, "192.0.2.1", "192.0.2.2", payload: 10);
        byte[] packet = new byte[24 + segment.Length + 6]; // one option word, six bytes of link padding after
        packet[0] = 0x46;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)(24 + segment.Length));
        packet[9] = Udp;
        packet[20] = 1; packet[21] = 1; packet[22] = 1; packet[23] = 0; // NOP NOP NOP EOL
        segment.CopyTo(packet, 24);
        Assert.Equal(TransportSplitError.None, TransportModePacket.TrySplit(packet, out int headerLength, out byte next, out int payloadLength));
        Assert.Equal((24, Udp, segment.Length), (headerLength, next, payloadLength));
    }

    [Fact]
    public void Fragments_and_headers_that_precede_the_security_header_are_refused()
    {
        byte[] packet = Packet("192.0.2.1", "192.0.2.2", Udp, Segment(Udp, "192.0.2.1", "192.0.2.2"));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), 0x2000); // More Fragments
        Assert.Equal(TransportSplitError.Unsupported, TransportModePacket.TrySplit(packet, out _, out _, out _));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), 0x0010); // a later fragment
        Assert.Equal(TransportSplitError.Unsupported, TransportModePacket.TrySplit(packet, out _, out _, out _));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), 0x4000); // Don't Fragment alone is a whole packet
        Assert.Equal(TransportSplitError.None, TransportModePacket.TrySplit(packet, out _, out _, out _));

        byte[] v6 = Packet("2001:db8::1", "2001:db8::2", Udp, new byte[16]);
        foreach (byte before in new byte[] { 0, 43, 44 })
        {
            v6[6] = before;
            Assert.Equal(TransportSplitError.Unsupported, TransportModePacket.TrySplit(v6, out _, out _, out _));
        }
        v6[6] = 60; // Destination Options may follow ESP: carried inside, as the Next Header
        Assert.Equal(TransportSplitError.None, TransportModePacket.TrySplit(v6, out _, out byte next, out int length));
        Assert.Equal((60, 16), (next, length));
    }

    [Fact]
    public void Malformed_packets_are_refused_without_reading_past_them()
    {
        byte[] good = Packet("192.0.2.1", "192.0.2.2", Tcp, Segment(Tcp, "192.0.2.1", "192.0.2.2"));
        for (int n = 0; n < 20; n++) Assert.Equal(TransportSplitError.Malformed, TransportModePacket.TrySplit(good.AsSpan(0, n), out _, out _, out _));
        Assert.Equal(TransportSplitError.Malformed, TransportModePacket.TrySplit(good.AsSpan(0, good.Length - 1), out _, out _, out _));
        byte[] bad = [.. good];
        bad[0] = 0x44; // IHL below 5
        Assert.Equal(TransportSplitError.Malformed, TransportModePacket.TrySplit(bad, out _, out _, out _));
        bad[0] = 0x5f; // version 5
        Assert.Equal(TransportSplitError.Malformed, TransportModePacket.TrySplit(bad, out _, out _, out _));
        byte[] v6 = Packet("2001:db8::1", "2001:db8::2", Udp, new byte[16]);
        Assert.Equal(TransportSplitError.Malformed, TransportModePacket.TrySplit(v6.AsSpan(0, 39), out _, out _, out _));
        Assert.Equal(TransportSplitError.Malformed, TransportModePacket.TrySplit(v6.AsSpan(0, v6.Length - 1), out _, out _, out _));
    }

    [Fact]
    public void WriteHeader_needs_room_in_front_and_one_family()
    {
        byte[] v4 = IPAddress.Parse("192.0.2.1").GetAddressBytes(), v6 = IPAddress.Parse("2001:db8::1").GetAddressBytes();
        byte[] buffer = new byte[100];
        Assert.Equal(-1, TransportModePacket.WriteHeader(buffer, 19, 10, Udp, v4, v4));
        Assert.Equal(0, TransportModePacket.WriteHeader(buffer, 20, 10, Udp, v4, v4));
        Assert.Equal(-1, TransportModePacket.WriteHeader(buffer, 39, 10, Udp, v6, v6));
        Assert.Equal(0, TransportModePacket.WriteHeader(buffer, 40, 10, Udp, v6, v6));
        Assert.Equal(-1, TransportModePacket.WriteHeader(buffer, 40, 10, Udp, v4, v6));
        Assert.Equal(-1, TransportModePacket.WriteHeader(buffer, 40, 61, Udp, v6, v6)); // past the buffer
        Assert.Equal(-1, TransportModePacket.WriteHeader(new byte[70000], 40, 65516, Udp, v4, v4)); // IPv4 total length overflows
    }

    public static TheoryData<string, string, string, byte> NatFlows => new()
    {
        // The peer behind a NAT computed its checksum over its private address; we see the NAT's public one.
        { "10.1.0.2", "198.51.100.2", "203.0.113.2", Tcp },
        { "10.1.0.2", "198.51.100.2", "203.0.113.2", Udp },
        { "2001:db8:a::2", "2001:db8:b::2", "2001:db8:c::2", Tcp },
        { "2001:db8:a::2", "2001:db8:b::2", "2001:db8:c::2", Udp },
        { "2001:db8:a::2", "2001:db8:b::2", "2001:db8:c::2", IcmpV6 },
    };

    [Theory]
    [MemberData(nameof(NatFlows))]
    public void Behind_a_NAT_checksums_are_recomputed_over_the_rebuilt_header(string original, string destination, string translated, byte protocol)
    {
        byte[] segment = Segment(protocol, original, destination);
        byte[] rebuilt = Packet(translated, destination, protocol, segment);
        Assert.False(ChecksumHolds(rebuilt));
        Assert.True(TransportModePacket.RecomputeChecksum(rebuilt));
        Assert.True(ChecksumHolds(rebuilt));
        // Only the checksum field changed.
        byte[] after = rebuilt.AsSpan(rebuilt.Length - segment.Length).ToArray();
        int at = protocol switch { Tcp => 16, Udp => 6, _ => 2 };
        for (int i = 0; i < segment.Length; i++)
            if (i != at && i != at + 1) Assert.Equal(segment[i], after[i]);
    }

    [Fact]
    public void Behind_a_NAT_ICMP_and_an_absent_IPv4_UDP_checksum_are_left_alone()
    {
        byte[] icmp = Packet("203.0.113.2", "198.51.100.2", Icmp, Segment(Icmp, "10.1.0.2", "198.51.100.2"));
        byte[] copy = [.. icmp];
        Assert.True(TransportModePacket.RecomputeChecksum(icmp));
        Assert.Equal(copy, icmp);
        Assert.True(ChecksumHolds(icmp));

        byte[] udp = Packet("203.0.113.2", "198.51.100.2", Udp, Segment(Udp, "10.1.0.2", "198.51.100.2"));
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(26), 0);
        copy = [.. udp];
        Assert.True(TransportModePacket.RecomputeChecksum(udp));
        Assert.Equal(copy, udp);

        // A TCP segment too short for its checksum field cannot be fixed.
        byte[] stub = Packet("203.0.113.2", "198.51.100.2", Tcp, new byte[10]);
        Assert.False(TransportModePacket.RecomputeChecksum(stub));
    }

    [Fact]
    public void Behind_a_NAT_the_selectors_name_the_IKE_addresses_with_protocol_and_ports_kept()
    {
        IPAddress nat = IPAddress.Parse("203.0.113.2");
        TrafficSelector[] negotiated =
        [
            new(IPAddress.Parse("10.1.0.2"), IPAddress.Parse("10.1.0.2"), Udp, 1701, 1701),
            new(IPAddress.Parse("10.1.0.2"), IPAddress.Parse("10.1.0.2")),
            TrafficSelector.ForHost(IPAddress.Parse("2001:db8:a::2")),
        ];
        Assert.Equal(
            [new TrafficSelector(nat, nat, Udp, 1701, 1701), TrafficSelector.ForHost(nat)],
            TransportModePacket.HostSelectors(negotiated, nat));
    }
}
