using System.Buffers.Binary;
using System.Net;
using Portcullis.Core.Ikev2.Wire;
using Portcullis.Core.Ppp;

namespace Portcullis.Core.Tests.Ppp;

/// <summary>
/// IPv6 over a PPP link: IPv6CP beside IPCP between a server with an IPv6 prefix and a client that asks for it, the
/// Router Advertisement the client forms its address from, Router Solicitations, and IPv6 through the data path.
/// </summary>
public class PppIpv6Tests
{
    private static readonly IPAddress Prefix = IPAddress.Parse("2001:db8:300::");

    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    private static PppPair Ipv6Pair(bool serverIpv6 = true, bool clientIpv6 = true) => new(
        server: o => serverIpv6 ? o with { Ipv6Prefix = Prefix } : o,
        client: o => o with { RequestIpv6 = clientIpv6 });

    private static void EstablishIpv6(PppPair pair)
    {
        pair.StartBoth();
        pair.Drive(TimeSpan.FromSeconds(20), () => pair.BothUp && pair.Server.IsIpv6Up && pair.Client.IsIpv6Up);
        Assert.True(pair.Server.IsIpv6Up && pair.Client.IsIpv6Up, pair.ToString());
    }

    // The ICMPv6 checksum computed the plain way, word by word over RFC 8200 §8.1's pseudo-header and the message:
    // nothing shared with the code under test.
    private static ushort IndependentChecksum(byte[] packet)
    {
        int icmpLength = packet.Length - 40;
        var pseudo = new List<byte>();
        pseudo.AddRange(packet[8..40]);
        pseudo.AddRange([(byte)(icmpLength >> 24), (byte)(icmpLength >> 16), (byte)(icmpLength >> 8), (byte)icmpLength, 0, 0, 0, 58]);
        byte[] icmp = packet[40..];
        icmp[2] = icmp[3] = 0;
        pseudo.AddRange(icmp);
        if (pseudo.Count % 2 == 1) pseudo.Add(0);
        uint sum = 0;
        for (int i = 0; i < pseudo.Count; i += 2) sum += (uint)(pseudo[i] << 8 | pseudo[i + 1]);
        while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }

    [Fact]
    public void RouterAdvertisementBytesAreRfc4861s()
    {
        var packet = new byte[RouterAdvertisement.Length];
        Assert.Equal(96, RouterAdvertisement.Write(0x0203040506070809, IPAddress.Parse("2001:db8:300::abcd"), 1400, packet));
        ushort checksum = BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(42));
        Assert.Equal(IndependentChecksum(packet), checksum);
        Assert.NotEqual(0, checksum);
        Assert.Equal(Hex(
            "60000000 0038 3a ff" +                                  // IPv6, 56 bytes of ICMPv6, hop limit 255
            "fe800000000000000203040506070809" +                     // from fe80::our identifier
            "ff020000000000000000000000000001" +                     // to all nodes
            $"86 00 {checksum:x4} 40 00 0708 00000000 00000000" +    // type 134, hop limit 64, lifetime 1800
            "03 04 40 c0 00015180 00003840 00000000" +               // /64, L and A, one day, four hours
            "20010db8030000000000000000000000" +                     // the /64 alone
            "05 01 0000 00000578"),                                   // MTU 1400
            packet);

        Assert.True(RouterAdvertisement.TryParse(packet, out RouterAdvertisement ra, out _));
        Assert.Equal(new RouterAdvertisement(IPAddress.Parse("fe80::203:405:607:809"), 64, 1800, IPAddress.Parse("2001:db8:300::"), 64, true, true, 86400, 14400, 1400), ra);
    }

    [Fact]
    public void RouterAdvertisementCarriesTheIpv6DnsServersInAnRdnssOption()
    {
        IPAddress[] dns = [IPAddress.Parse("2001:db8:53::1")];
        var packet = new byte[RouterAdvertisement.LengthWith(1)];
        Assert.Equal(120, RouterAdvertisement.Write(0x0203040506070809, IPAddress.Parse("2001:db8:300::abcd"), 1400, dns, packet));
        ushort checksum = BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(42));
        Assert.Equal(IndependentChecksum(packet), checksum);
        Assert.Equal(Hex(
            "60000000 0050 3a ff" +                                  // IPv6, 80 bytes of ICMPv6, hop limit 255
            "fe800000000000000203040506070809" +
            "ff020000000000000000000000000001" +
            $"86 00 {checksum:x4} 40 00 0708 00000000 00000000" +
            "03 04 40 c0 00015180 00003840 00000000" +
            "20010db8030000000000000000000000" +
            "05 01 0000 00000578" +
            "19 03 0000 00000708" +                                  // RDNSS (RFC 8106): one server for 1800 s
            "20010db8005300000000000000000001"),
            packet);

        Assert.True(RouterAdvertisement.TryParse(packet, out RouterAdvertisement ra, out _));
        Assert.Equal(IPAddress.Parse("2001:db8:300::"), ra.Prefix);
        Assert.Equal(1400u, ra.Mtu);
        Assert.NotNull(ra.Dns);
        Assert.Equal(1800u, ra.Dns.Value.Lifetime);
        Assert.Equal(dns, ra.Dns.Value.Servers);

        // Without servers there is no option, as before.
        var plain = new byte[RouterAdvertisement.Length];
        RouterAdvertisement.Write(0x0203040506070809, Prefix, 1400, plain);
        Assert.True(RouterAdvertisement.TryParse(plain, out ra, out _));
        Assert.Null(ra.Dns);

        // A broken RDNSS option (even Length) is named, with the checksum fixed up so only the option is wrong.
        byte[] bad = [.. packet];
        bad[40 + 56 + 1] = 2;
        bad[42] = bad[43] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(bad.AsSpan(42), IndependentChecksum(bad));
        Assert.False(RouterAdvertisement.TryParse(bad, out _, out ParseError error));
        Assert.Equal("RDNSS Length", error.Field);
        for (int n = 0; n < packet.Length; n++) Assert.False(RouterAdvertisement.TryParse(packet.AsSpan(0, n), out _, out _));
    }

    [Fact]
    public void TheServersAdvertisementsNameThePoolsIpv6DnsServers()
    {
        IPAddress[] dns = [IPAddress.Parse("2001:db8:53::1"), IPAddress.Parse("2001:db8:53::2")];
        using var pair = new PppPair(server: o => o with { Ipv6Prefix = Prefix, Ipv6Dns = dns }, client: o => o with { RequestIpv6 = true });
        EstablishIpv6(pair);
        Assert.True(RouterAdvertisement.TryParse(Assert.Single(pair.ClientReceivedIp), out RouterAdvertisement ra, out _));
        Assert.Equal(dns, ra.Dns!.Value.Servers);
        Assert.Equal(RecursiveDnsServerOption.DefaultLifetime, ra.Dns.Value.Lifetime);
        Assert.True(pair.ServerLog.Has("RDNSS 2001:db8:53::1, 2001:db8:53::2"), pair.ToString());
    }

    [Fact]
    public void AnOwnPrefixReplacesTheSharedOneInTheAdvertisementsAndTheAddress()
    {
        IPAddress own = IPAddress.Parse("2001:db8:400:7::");
        var asked = new List<string>();
        using var pair = new PppPair(
            server: o => o with { Ipv6Prefix = Prefix, AssignIpv6Prefix = user => { asked.Add(user); return own; } },
            client: o => o with { RequestIpv6 = true });
        EstablishIpv6(pair);
        Assert.Equal(["alice"], asked);
        Assert.Equal(own, pair.Server.Ipv6AdvertisedPrefix);
        ulong id = pair.Single<PppIpv6Up>(PppSide.Client).LocalIdentifier;
        Assert.Equal(Ipv6cpOptions.Address(own, id), pair.Server.Ipv6PeerAddress);
        Assert.Equal(pair.Server.Ipv6PeerAddress, pair.Single<PppIpv6Up>(PppSide.Server).PeerAddress);
        Assert.True(RouterAdvertisement.TryParse(Assert.Single(pair.ClientReceivedIp), out RouterAdvertisement ra, out _));
        Assert.Equal(own, ra.Prefix);

        // The unsolicited repeats carry the same /64, and it is asked for only once.
        pair.Drive(TimeSpan.FromSeconds(700));
        Assert.Equal(2, pair.ClientReceivedIp.Count);
        Assert.True(RouterAdvertisement.TryParse(pair.ClientReceivedIp[^1], out ra, out _));
        Assert.Equal(own, ra.Prefix);
        Assert.Single(asked);
    }

    [Fact]
    public void WithoutAnOwnPrefixTheSharedOneIsAdvertised()
    {
        using var pair = new PppPair(server: o => o with { Ipv6Prefix = Prefix, AssignIpv6Prefix = _ => null }, client: o => o with { RequestIpv6 = true });
        EstablishIpv6(pair);
        Assert.Equal(Prefix, pair.Server.Ipv6AdvertisedPrefix);
        Assert.True(RouterAdvertisement.TryParse(Assert.Single(pair.ClientReceivedIp), out RouterAdvertisement ra, out _));
        Assert.Equal(Prefix, ra.Prefix);
    }

    [Fact]
    public void NeighborDiscoveryParsingNamesTheBadField()
    {
        var ra = new byte[RouterAdvertisement.Length];
        RouterAdvertisement.Write(0x0203040506070809, Prefix, 1400, ra);
        var rs = new byte[RouterSolicitation.Length];
        Assert.Equal(48, RouterSolicitation.Write(0x1122334455667788, rs));
        Assert.Equal(IndependentChecksum(rs), BinaryPrimitives.ReadUInt16BigEndian(rs.AsSpan(42)));
        Assert.True(RouterSolicitation.TryParse(rs, out RouterSolicitation solicitation, out _));
        Assert.Equal(IPAddress.Parse("fe80::1122:3344:5566:7788"), solicitation.Source);

        byte[] hop = [.. rs];
        hop[7] = 64;
        Assert.False(RouterSolicitation.TryParse(hop, out _, out ParseError error));
        Assert.Equal("Hop Limit", error.Field);
        byte[] sum = [.. rs];
        sum[43] ^= 1;
        Assert.False(RouterSolicitation.TryParse(sum, out _, out error));
        Assert.Equal("Checksum", error.Field);
        Assert.False(RouterSolicitation.TryParse(ra, out _, out error));
        Assert.Equal(new ParseError("Type", "134, expected 133"), error);
    }

    [Fact]
    public void TruncatedNeighborDiscoveryNeverThrows()
    {
        var ra = new byte[RouterAdvertisement.Length];
        RouterAdvertisement.Write(0x0203040506070809, Prefix, 1400, ra);
        var rs = new byte[RouterSolicitation.Length];
        RouterSolicitation.Write(0x1122334455667788, rs);
        for (int n = 0; n < ra.Length; n++) Assert.False(RouterAdvertisement.TryParse(ra.AsSpan(0, n), out _, out _));
        for (int n = 0; n < rs.Length; n++) Assert.False(RouterSolicitation.TryParse(rs.AsSpan(0, n), out _, out _));
        // A Payload Length that claims fewer bytes cuts the options off, so the checksum no longer matches.
        byte[] shorter = [.. ra];
        shorter[5] = 16;
        Assert.False(RouterAdvertisement.TryParse(shorter, out _, out ParseError error));
        Assert.Equal("Checksum", error.Field);
    }

    [Fact]
    public void Ipv6cpOpensBesideIpcpAndTheServerAdvertisesThePrefix()
    {
        using PppPair pair = Ipv6Pair();
        EstablishIpv6(pair);
        Assert.True(pair.BothUp);

        PppIpv6Up server = pair.Single<PppIpv6Up>(PppSide.Server);
        PppIpv6Up client = pair.Single<PppIpv6Up>(PppSide.Client);
        Assert.NotEqual(0UL, server.LocalIdentifier);
        Assert.NotEqual(0UL, server.PeerIdentifier);
        Assert.NotEqual(server.LocalIdentifier, server.PeerIdentifier);
        Assert.Equal(server.LocalIdentifier, client.PeerIdentifier);
        Assert.Equal(server.PeerIdentifier, client.LocalIdentifier);
        Assert.Equal(Ipv6cpOptions.Address(Prefix, client.LocalIdentifier), server.PeerAddress);
        Assert.Equal(server.PeerAddress, pair.Server.Ipv6PeerAddress);
        Assert.Null(client.PeerAddress);
        Assert.Equal(1400, server.Mtu);
        Assert.Equal(PppState.Opened, pair.Server.Ipv6cpState);
        Assert.Equal(PppState.Opened, pair.Client.Ipv6cpState);

        // The advertisement reaches the client's data path (its stack does SLAAC with it).
        byte[] advertisement = Assert.Single(pair.ClientReceivedIp);
        Assert.Equal(IndependentChecksum(advertisement), BinaryPrimitives.ReadUInt16BigEndian(advertisement.AsSpan(42)));
        Assert.True(RouterAdvertisement.TryParse(advertisement, out RouterAdvertisement ra, out _));
        Assert.Equal(Ipv6cpOptions.LinkLocal(server.LocalIdentifier), ra.Source);
        Assert.Equal(Prefix, ra.Prefix);
        Assert.Equal(64, ra.PrefixLength);
        Assert.True(ra.Autonomous);
        Assert.Equal(1400u, ra.Mtu);
        WireFrame frame = Assert.Single(pair.Wire, f => f.From == PppSide.Server && f.Data[2] == 0x00 && f.Data[3] == 0x57);
        Assert.Equal(advertisement, frame.Data[4..]);

        Assert.True(pair.ServerLog.Has($"srv IPv6CP: peer fe80::{Ipv6cpOptions.Format(server.PeerIdentifier)}, local fe80::{Ipv6cpOptions.Format(server.LocalIdentifier)}, peer address {server.PeerAddress}"), pair.ToString());
        Assert.Empty(pair.ServerLog.Warnings);
        Assert.Empty(pair.ClientLog.Warnings);
        Assert.Equal(pair.Start, pair.Now);
    }

    [Fact]
    public void ClientIdentifierOfZeroIsNakedAndTheClientTakesTheSuggestion()
    {
        using PppPair pair = Ipv6Pair();
        // The client's first Configure-Request asks for an identifier of zero on its way (the frame delivered is the
        // one the hook sees).
        bool zeroed = false;
        pair.Copies = f =>
        {
            if (!zeroed && f.From == PppSide.Client && f.Data[2] == 0x80 && f.Data[3] == 0x57 && f.Data[4] == 1 && f.Data.Length == 18)
            {
                f.Data.AsSpan(10, 8).Clear();
                zeroed = true;
            }
            return 1;
        };
        EstablishIpv6(pair);
        Assert.True(zeroed);
        WireFrame nak = Assert.Single(pair.Wire, f => f.From == PppSide.Server && f.Data[2] == 0x80 && f.Data[3] == 0x57 && f.Data[4] == (byte)PppCode.ConfigureNak);
        ulong suggested = BinaryPrimitives.ReadUInt64BigEndian(nak.Data.AsSpan(10));
        Assert.NotEqual(0UL, suggested);
        Assert.Equal(suggested, pair.Single<PppIpv6Up>(PppSide.Server).PeerIdentifier);
        Assert.Equal(suggested, pair.Single<PppIpv6Up>(PppSide.Client).LocalIdentifier);
    }

    [Fact]
    public void RouterSolicitationIsAnsweredNotForwarded()
    {
        using PppPair pair = Ipv6Pair();
        EstablishIpv6(pair);
        ulong clientId = pair.Single<PppIpv6Up>(PppSide.Client).LocalIdentifier;
        var rs = new byte[RouterSolicitation.Length];
        RouterSolicitation.Write(clientId, rs);

        // Within MIN_DELAY_BETWEEN_RAS of the first advertisement the answer waits until the 3 s have passed.
        pair.Now += TimeSpan.FromSeconds(1);
        pair.SendIp(PppSide.Client, rs);
        pair.Pump();
        Assert.Single(pair.ClientReceivedIp);
        pair.Drive(TimeSpan.FromSeconds(5), () => pair.ClientReceivedIp.Count == 2);
        Assert.Equal(2, pair.ClientReceivedIp.Count);
        Assert.Equal(pair.Start + TimeSpan.FromSeconds(3), pair.Now);

        pair.Now += TimeSpan.FromSeconds(10);
        pair.SendIp(PppSide.Client, rs);
        pair.Pump();
        Assert.Equal(3, pair.ClientReceivedIp.Count);
        Assert.True(RouterAdvertisement.TryParse(pair.ClientReceivedIp[^1], out _, out _));
        Assert.Empty(pair.ServerReceivedIp);

        // A solicitation from beyond the link (hop limit below 255) is a warning, not answered.
        byte[] forwarded = [.. rs];
        forwarded[7] = 254;
        pair.Now += TimeSpan.FromSeconds(10);
        pair.SendIp(PppSide.Client, forwarded);
        pair.Pump();
        Assert.Equal(3, pair.ClientReceivedIp.Count);
        Assert.Contains(pair.ServerLog.Warnings, w => w.Contains("Router Solicitation: Hop Limit: 254, must be 255", StringComparison.Ordinal));
        Assert.Empty(pair.ServerReceivedIp);
    }

    [Fact]
    public void AdvertisementsRepeatEveryTenMinutes()
    {
        using PppPair pair = Ipv6Pair();
        EstablishIpv6(pair);
        pair.Drive(TimeSpan.FromSeconds(1250));
        // At 0, 600 and 1200 s (LCP echoes keep the link up meanwhile).
        Assert.Equal(3, pair.ClientReceivedIp.Count);
        Assert.True(pair.BothUp && pair.Server.IsIpv6Up);
    }

    [Fact]
    public void Ipv6FlowsBothWaysThroughTheSession()
    {
        using PppPair pair = Ipv6Pair();
        EstablishIpv6(pair);
        IPAddress client = pair.Server.Ipv6PeerAddress!;
        byte[] up = Ipv6Packet(client, IPAddress.Parse("2001:db8::1"));
        byte[] down = Ipv6Packet(IPAddress.Parse("2001:db8::1"), client);
        pair.SendIp(PppSide.Client, up);
        pair.SendIp(PppSide.Server, down);
        Assert.Equal(up, Assert.Single(pair.ServerReceivedIp));
        Assert.Equal(down, pair.ClientReceivedIp[^1]);
        Assert.Equal(Hex("ff 03 00 57"), pair.Wire[^1].Data[..4]);

        // IPv4 still flows beside it.
        byte[] v4 = [0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 198, 18, 101, 5, 198, 18, 0, 1];
        pair.SendIp(PppSide.Client, v4);
        Assert.Equal(v4, pair.ServerReceivedIp[^1]);
        Assert.Equal(Hex("ff 03 00 21"), pair.Wire[^1].Data[..4]);

        // Once the link is closed, IPv6 no longer passes.
        pair.Server.Close(pair.Now, "test");
        pair.Drive(TimeSpan.FromSeconds(30), () => pair.BothFinished);
        Assert.False(pair.Server.IsIpv6Up);
        Assert.False(pair.Server.TryGetIpPacket([0xff, 0x03, 0x00, 0x57, .. up], out _));
    }

    private static byte[] Ipv6Packet(IPAddress source, IPAddress destination)
    {
        // An ICMPv6 Echo Request; the session does not look inside it.
        var p = new byte[48];
        p[0] = 0x60;
        p[5] = 8;
        p[6] = 58;
        p[7] = 64;
        source.TryWriteBytes(p.AsSpan(8), out _);
        destination.TryWriteBytes(p.AsSpan(24), out _);
        p[40] = 128;
        return p;
    }

    [Fact]
    public void WithoutAnIpv6PrefixTheServerRejectsIpv6cpAndIpv4GoesOn()
    {
        using PppPair pair = Ipv6Pair(serverIpv6: false);
        pair.Establish();
        pair.Drive(TimeSpan.FromSeconds(5));
        Assert.True(pair.BothUp, pair.ToString());
        Assert.Null(pair.Server.Ipv6cpState);
        Assert.Equal(PppState.Stopped, pair.Client.Ipv6cpState);
        Assert.False(pair.Client.IsIpv6Up);
        Assert.Empty(pair.ServerEvents.OfType<PppIpv6Up>());
        Assert.Empty(pair.ClientEvents.OfType<PppIpv6Up>());
        Assert.True(pair.ServerLog.Has("srv peer speaks IPv6CP, which Portcullis does not run: Protocol-Reject"));
        Assert.True(pair.ClientLog.Has("cli IPv6CP finished, IPv4 goes on alone: peer rejected IPv6CP (Protocol-Reject)"), pair.ToString());
        Assert.Empty(pair.ClientEvents.OfType<PppDown>());

        // An IPv6 packet does not reach the data path; it is Protocol-Rejected as well.
        int before = pair.Wire.Count;
        pair.SendIp(PppSide.Client, Ipv6Packet(IPAddress.Parse("2001:db8:300::5"), IPAddress.Parse("2001:db8::1")));
        pair.Drive(TimeSpan.FromSeconds(1));
        Assert.Empty(pair.ServerReceivedIp);
        Assert.Contains(pair.Wire.Skip(before), f => f.From == PppSide.Server && PppSessionTests.IsLcp(f, PppCode.ProtocolReject) && f.Data[8] == 0x00 && f.Data[9] == 0x57);
    }

    [Fact]
    public void ClientWithoutIpv6RejectsTheServersIpv6cpAndTheLinkStays()
    {
        using PppPair pair = Ipv6Pair(clientIpv6: false);
        pair.Establish();
        pair.Drive(TimeSpan.FromSeconds(5));
        Assert.True(pair.BothUp, pair.ToString());
        Assert.Equal(PppState.Stopped, pair.Server.Ipv6cpState);
        Assert.False(pair.Server.IsIpv6Up);
        Assert.Null(pair.Server.Ipv6PeerAddress);
        Assert.True(pair.ServerLog.Has("srv IPv6CP finished, IPv4 goes on alone: peer rejected IPv6CP (Protocol-Reject)"), pair.ToString());
        Assert.Empty(pair.ServerEvents.OfType<PppDown>());
        Assert.Empty(pair.ClientReceivedIp);
    }
}
