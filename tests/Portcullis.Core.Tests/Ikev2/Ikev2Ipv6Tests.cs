using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Ikev2.Wire;
using Portcullis.Core.Ipsec;
using static Portcullis.Core.Tests.Ikev2.EnginePair;
using static Portcullis.Core.Tests.Ikev2.Ikev2EstablishTests;

namespace Portcullis.Core.Tests.Ikev2;

/// <summary>IKEv2 between IPv6 endpoints: NAT detection over 16-byte addresses, IPv6 and mixed-family selectors.</summary>
public class Ikev2Ipv6Tests
{
    private static readonly IPAddress Left6 = IPAddress.Parse("2001:db8:1::1");
    private static readonly IPAddress Right6 = IPAddress.Parse("2001:db8:1::2");
    private static readonly IPAddress Nat6 = IPAddress.Parse("2001:db8:ffff::1");

    [Fact]
    public void Nat_detection_hash_covers_the_sixteen_bytes_of_an_ipv6_address()
    {
        const ulong spiI = 0x0123456789abcdef, spiR = 0xfedcba9876543210;
        var endpoint = new IPEndPoint(IPAddress.Parse("2001:db8:1::1"), 4500);
        // RFC 7296 §2.23: SHA-1(SPIi | SPIr | IP | port), the address in network order, 8 + 8 + 16 + 2 bytes.
        byte[] input = new byte[34];
        BinaryPrimitives.WriteUInt64BigEndian(input, spiI);
        BinaryPrimitives.WriteUInt64BigEndian(input.AsSpan(8), spiR);
        Convert.FromHexString("20010db8000100000000000000000001").CopyTo(input, 16);
        input[32] = 0x11; input[33] = 0x94;
        Assert.Equal(SHA1.HashData(input), NatDetection.Hash(spiI, spiR, endpoint));
        // The IPv4-mapped form of an IPv4 address is another input: a dual-mode socket's view must not leak in.
        Assert.NotEqual(NatDetection.Hash(spiI, spiR, new IPEndPoint(IPAddress.Parse("192.0.2.1"), 500)),
            NatDetection.Hash(spiI, spiR, new IPEndPoint(IPAddress.Parse("::ffff:192.0.2.1"), 500)));
    }

    private static EnginePair Pair6(IReadOnlyList<TrafficSelector> leftTs, IReadOnlyList<TrafficSelector> rightTs)
    {
        var left = MakeConfig(Connection(left: true, localTs: leftTs, remoteTs: rightTs, localAddr: Left6.ToString(), remoteAddr: Right6.ToString()));
        var right = MakeConfig(Connection(left: false, localTs: rightTs, remoteTs: leftTs, localAddr: Right6.ToString()));
        var pair = new EnginePair(left, right) { RightHost = Right6, NatInside = Left6, NatOutside = Nat6 };
        pair.LeftAddresses.Add(Left6);
        return pair;
    }

    [Fact]
    public void Establishes_over_ipv6_endpoints_with_ipv6_and_ipv4_selectors_and_no_nat()
    {
        TrafficSelector[] leftTs = [Ts("2001:db8:100::/64"), Ts("198.18.1.0/24")];
        TrafficSelector[] rightTs = [Ts("2001:db8:200::10-2001:db8:200::20"), Ts("198.18.2.0/24")];
        EnginePair pair = Pair6(leftTs, rightTs);
        pair.Establish();

        (IkeSa li, IkeSa ri) = AssertIkePair(pair);
        (ChildSa l, ChildSa r) = AssertChildPair(pair);
        Assert.Equal(Right6, li.RemoteEndpoint.Address);
        Assert.Equal(Left6, ri.RemoteEndpoint.Address);
        Assert.Equal(Left6, li.LocalEndpoint.Address);
        // The NAT_DETECTION hashes matched over IPv6 on both sides: no NAT, plain ESP.
        Assert.False(li.LocalBehindNat || li.RemoteBehindNat || ri.LocalBehindNat || ri.RemoteBehindNat, pair.Dump());
        Assert.False(l.UdpEncapsulation);
        Assert.Equal(leftTs, l.LocalTs);
        Assert.Equal(rightTs, l.RemoteTs);
        Assert.Equal(rightTs, r.LocalTs);
        Assert.Equal(leftTs, r.RemoteTs);
        Assert.All(pair.Sent, p => Assert.Equal(System.Net.Sockets.AddressFamily.InterNetworkV6, p.Destination.AddressFamily));
        Assert.Empty(pair.LeftLog.Warnings);
        Assert.Empty(pair.RightLog.Warnings);
        // Every IKE_SA_INIT carries NAT_DETECTION notifies of 20 bytes (SHA-1) computed over the IPv6 endpoints.
        Assert.True(IkeHeader.TryParse(pair.Sent[0].Data, out IkeHeader header, out _));
        Assert.Equal(MessageError.None, IkeMessage.TryDecode(pair.Sent[0].Data, header, null, out IkeMessage? init, out _, out _));
        Assert.Equal(NatDetection.Hash(header.InitiatorSpi, 0, new IPEndPoint(Right6, 500)), init!.Notify(NotifyType.NatDetectionDestinationIp)!.Data.ToArray());
        Assert.Equal(NatDetection.Hash(header.InitiatorSpi, 0, new IPEndPoint(Left6, 500)), init.Notify(NotifyType.NatDetectionSourceIp)!.Data.ToArray());
    }

    [Fact]
    public void Nat_between_ipv6_endpoints_is_detected_and_esp_goes_in_udp()
    {
        EnginePair pair = Pair6([Ts("2001:db8:100::/64")], [Ts("2001:db8:200::/64")]);
        pair.NatLeft = true;
        pair.Establish();

        (IkeSa li, IkeSa ri) = AssertIkePair(pair);
        (ChildSa l, ChildSa r) = AssertChildPair(pair);
        Assert.True(li.LocalBehindNat, pair.Dump());
        Assert.True(ri.RemoteBehindNat, pair.Dump());
        Assert.Equal(new IPEndPoint(Nat6, 30001), ri.RemoteEndpoint);
        Assert.True(l.UdpEncapsulation && r.UdpEncapsulation);
    }

    [Fact]
    public void Protocol_and_port_selectors_over_ipv6_are_narrowed_by_the_responder()
    {
        // Left asks for all of 2001:db8:200::/64; right offers only UDP port 53 on two addresses of it.
        TrafficSelector dns = Ts("2001:db8:200::53-2001:db8:200::54[udp/53]");
        var left = MakeConfig(Connection(left: true, localTs: [Ts("2001:db8:100::/64")], remoteTs: [Ts("2001:db8:200::/64")],
            localAddr: Left6.ToString(), remoteAddr: Right6.ToString()));
        var right = MakeConfig(Connection(left: false, localTs: [dns], remoteTs: [Ts("2001:db8:100::/64")], localAddr: Right6.ToString()));
        var pair = new EnginePair(left, right) { RightHost = Right6 };
        pair.LeftAddresses.Add(Left6);
        pair.Establish();

        (ChildSa l, _) = AssertChildPair(pair);
        TrafficSelector got = Assert.Single(l.RemoteTs);
        Assert.Equal(dns, got);
        Assert.Equal((byte)17, got.Protocol);
        Assert.Equal((ushort)53, got.StartPort);
    }
}
