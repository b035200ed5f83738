using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Portcullis.Host.Net;
using Portcullis.Host.Tun;

namespace Portcullis.Host.Tests;

/// <summary>TUN, IpCommand and source-address selection, each inside a network namespace of its own.</summary>
public sealed class RootNetworkTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private static readonly IPAddress TunAddress = IPAddress.Parse("198.18.0.1");
    private static readonly IPAddress Remote = IPAddress.Parse("198.18.1.5");

    /// <summary>Takes packets until one is IPv4 from <paramref name="source"/> to <paramref name="destination"/> with the protocol.</summary>
    private static byte[] NextIpv4(BlockingCollection<byte[]> packets, IPAddress source, IPAddress destination, byte protocol)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < Wait)
        {
            if (!packets.TryTake(out var p, Wait - deadline.Elapsed)) break;
            if (p.Length >= 20 && p[0] >> 4 == 4 && p[9] == protocol
                && new IPAddress(p.AsSpan(12, 4)).Equals(source) && new IPAddress(p.AsSpan(16, 4)).Equals(destination))
                return p;
        }
        throw new Xunit.Sdk.XunitException($"no IPv4 packet {source} → {destination} proto {protocol} came out of the TUN device");
    }

    /// <summary>Takes packets until one is IPv6 from <paramref name="source"/> to <paramref name="destination"/> with the next header.</summary>
    private static byte[] NextIpv6(BlockingCollection<byte[]> packets, IPAddress source, IPAddress destination, byte nextHeader)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < Wait)
        {
            if (!packets.TryTake(out var p, Wait - deadline.Elapsed)) break;
            if (p.Length >= 40 && p[0] >> 4 == 6 && p[6] == nextHeader
                && new IPAddress(p.AsSpan(8, 16)).Equals(source) && new IPAddress(p.AsSpan(24, 16)).Equals(destination))
                return p;
        }
        throw new Xunit.Sdk.XunitException($"no IPv6 packet {source} → {destination} next header {nextHeader} came out of the TUN device");
    }

    private static ushort Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (int i = 0; i + 1 < data.Length; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if ((data.Length & 1) != 0) sum += (uint)data[^1] << 8;
        while (sum >> 16 != 0) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }

    /// <summary>An IPv4 packet with a correct header checksum around <paramref name="payload"/>.</summary>
    private static byte[] Ipv4(IPAddress source, IPAddress destination, byte protocol, ReadOnlySpan<byte> payload)
    {
        var p = new byte[20 + payload.Length];
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
        p[8] = 64;
        p[9] = protocol;
        source.TryWriteBytes(p.AsSpan(12), out _);
        destination.TryWriteBytes(p.AsSpan(16), out _);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(10), Checksum(p.AsSpan(0, 20)));
        payload.CopyTo(p.AsSpan(20));
        return p;
    }

    [RootFact]
    public void Tun_device_carries_packets_both_ways_and_is_configured_by_IpCommand()
    {
        RootEnvironment.Require();
        using var ns = new NetworkNamespace();
        var packets = new BlockingCollection<byte[]>();
        var errors = new ConcurrentQueue<Exception>();
        using var tun = ns.Run(() =>
        {
            var device = TunDevice.Open("pc0");
            Assert.True(IpCommand.ConfigureTun(device.Name, 1400, TunAddress, 24).Ok);
            var route = IpCommand.RouteReplace("198.18.1.0/24", device.Name, source: TunAddress);
            Assert.True(route.Ok, route.ToString());
            // IPv6 stays on (IPv6 selectors are routed into the device) but quiet: no link-local address.
            Assert.Equal("0\n", File.ReadAllText($"/proc/sys/net/ipv6/conf/{device.Name}/disable_ipv6"));
            Assert.Equal("1\n", File.ReadAllText($"/proc/sys/net/ipv6/conf/{device.Name}/addr_gen_mode"));
            var route6 = IpCommand.RouteReplace("2001:db8:1::/64", device.Name);
            Assert.True(route6.Ok, route6.ToString());
            return device;
        });
        Assert.Equal("pc0", tun.Name);
        ns.Ip("link", "show", "dev", "pc0"); // the device lives in the namespace (ip -n)
        Assert.False(IpCommand.Run(["link", "show", "dev", "pc0"]).Ok, "pc0 should not exist outside the namespace");
        tun.Start(p => packets.Add(p.ToArray()), errors.Enqueue);

        // Out: a UDP datagram the namespace routes to 198.18.1.0/24 comes out of the TUN device as an IPv4 packet.
        using var sender = ns.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
        sender.SendTo("hello"u8.ToArray(), new IPEndPoint(Remote, 9999));
        var udp = NextIpv4(packets, TunAddress, Remote, 17);
        Assert.Equal(9999, BinaryPrimitives.ReadUInt16BigEndian(udp.AsSpan(22)));
        Assert.Equal("hello"u8.ToArray(), udp[28..]);

        // Out over IPv6: a datagram to 2001:db8:1::5 comes out as an IPv6 packet (the device has no IPv6 address of
        // its own, so the source is unspecified unless bound; here bound to a documentation address on lo).
        ns.Ip("address", "add", "2001:db8:ff::1/128", "dev", "lo", "nodad");
        using var sender6 = ns.Run(() =>
        {
            var s6 = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
            s6.Bind(new IPEndPoint(IPAddress.Parse("2001:db8:ff::1"), 0));
            return s6;
        });
        sender6.SendTo("hello6"u8.ToArray(), new IPEndPoint(IPAddress.Parse("2001:db8:1::5"), 9999));
        byte[] udp6 = NextIpv6(packets, IPAddress.Parse("2001:db8:ff::1"), IPAddress.Parse("2001:db8:1::5"), 17);
        Assert.Equal("hello6"u8.ToArray(), udp6[48..]);

        // In: an ICMP echo request written into the TUN device is answered by the namespace's stack, and the reply is
        // routed back out through the device.
        byte[] icmp = [8, 0, 0, 0, 0x12, 0x34, 0, 1, .. "ping"u8];
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(2), Checksum(icmp));
        tun.Write(Ipv4(Remote, TunAddress, 1, icmp));
        var reply = NextIpv4(packets, TunAddress, Remote, 1);
        Assert.Equal(0, reply[20]); // echo reply
        Assert.Equal(icmp[4..], reply[24..]);

        // In: a UDP datagram written into the device reaches a socket bound in the namespace.
        using var receiver = ns.Run(() =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 5000 };
            s.Bind(new IPEndPoint(TunAddress, 7777));
            return s;
        });
        byte[] datagram = [0x15, 0xB3, 0x1E, 0x61, 0, 12, 0, 0, .. "data"u8]; // 5555 → 7777, no UDP checksum
        tun.Write(Ipv4(Remote, TunAddress, 17, datagram));
        var buffer = new byte[100];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        int n = receiver.ReceiveFrom(buffer, ref from);
        Assert.Equal("data"u8.ToArray(), buffer[..n]);
        Assert.Equal(new IPEndPoint(Remote, 5555), from);

        var deleted = ns.Run(() => IpCommand.RouteDelete("198.18.1.0/24", "pc0"));
        Assert.True(deleted.Ok, deleted.ToString());
        var again = ns.Run(() => IpCommand.RouteDelete("198.18.1.0/24", "pc0"));
        Assert.False(again.Ok);
        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains("route del", again.Error);
        Assert.Empty(errors);
        Assert.True(tun.PacketsRead >= 2);
    }

    [RootFact]
    public void Raw_esp_socket_over_ipv4_delivers_the_esp_packet_from_its_spi() => RawEspLoopback("127.0.0.1");

    [RootFact]
    public void Raw_esp_socket_over_ipv6_delivers_the_esp_packet_from_its_spi() => RawEspLoopback("::1");

    private static void RawEspLoopback(string loopback)
    {
        RootEnvironment.Require();
        using var ns = new NetworkNamespace();
        ns.Ip("link", "set", "lo", "up");
        IPAddress to = IPAddress.Parse(loopback);
        using RawEspSocket raw = ns.Run(() => RawEspSocket.Open(to.AddressFamily));
        Assert.Equal(to.AddressFamily, raw.Family);
        var received = new BlockingCollection<byte[]>();
        raw.Start(esp => received.Add(esp.ToArray()));
        // SPI, sequence number, then payload: what arrives must start at the SPI whatever the family (IPv4 reads carry
        // the IP header, IPv6 reads do not).
        byte[] esp = [0x12, 0x34, 0x56, 0x78, 0, 0, 0, 1, .. "payload"u8];
        Assert.True(raw.Send(RawEspSocket.AddressOf(to), esp));
        Assert.True(received.TryTake(out byte[]? got, Wait), "no ESP packet came back over loopback");
        Assert.Equal(esp, got);
    }

    [RootFact]
    public void Dispose_wakes_a_blocked_reader_and_removes_the_device()
    {
        RootEnvironment.Require();
        using var ns = new NetworkNamespace();
        var tun = ns.Run(() => TunDevice.Open("pc1"));
        var finished = new ManualResetEventSlim();
        int result = -1;
        var direct = new Thread(() => { result = tun.Read(new byte[TunDevice.MaxPacketSize]); finished.Set(); });
        direct.Start();
        tun.Start(_ => { });
        Thread.Sleep(200); // both readers are now blocked in poll()
        var clock = Stopwatch.StartNew();
        tun.Dispose();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"Dispose took {clock.Elapsed}");
        Assert.True(finished.Wait(Wait));
        Assert.Equal(0, result);
        Assert.False(IpCommand.Run(["-n", ns.Name, "link", "show", "dev", "pc1"]).Ok);
    }

    [RootFact]
    public void Name_pattern_and_bad_names()
    {
        RootEnvironment.Require();
        using var ns = new NetworkNamespace();
        using var tun = ns.Run(() => TunDevice.Open("pct%d"));
        Assert.Equal("pct0", tun.Name);
        Assert.Throws<ArgumentException>(() => TunDevice.Open("a-name-far-too-long"));
        var missing = IpCommand.LinkSet("pc-missing", up: true);
        Assert.False(missing.Ok);
        Assert.Contains("pc-missing", missing.Error);
    }

    [RootFact]
    public void Replies_leave_from_the_address_the_request_came_to()
    {
        RootEnvironment.Require();
        using var ns = new NetworkNamespace();
        ns.Ip("link", "set", "lo", "up");
        foreach (var a in new[] { "203.0.113.1/32", "203.0.113.2/32", "203.0.113.9/32" }) ns.Ip("address", "add", a, "dev", "lo");

        var received = new BlockingCollection<Received>();
        using var ike = ns.Run(() => UdpEndpoint.Bind(new IPEndPoint(IPAddress.Any, 500), natTraversal: false));
        using var natt = ns.Run(() => UdpEndpoint.Bind(new IPEndPoint(IPAddress.Any, 4500), natTraversal: true));
        ike.Start(UdpEndpointTests.Collect(received));
        natt.Start(UdpEndpointTests.Collect(received));
        using var peer = ns.Run(() =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 5000 };
            s.Bind(new IPEndPoint(IPAddress.Parse("203.0.113.9"), 0));
            return s;
        });

        foreach (var (address, port, framed) in new[] { ("203.0.113.1", 500, false), ("203.0.113.2", 500, false), ("203.0.113.2", 4500, true), ("203.0.113.1", 4500, true) })
        {
            var to = new IPEndPoint(IPAddress.Parse(address), port);
            byte[] message = framed ? [0, 0, 0, 0, 0xAB, 0xCD] : [0xAB, 0xCD];
            peer.SendTo(message, to);
            Assert.True(received.TryTake(out var d, Wait), $"nothing arrived at {to}");
            Assert.Equal(to, d.Local);
            Assert.Equal(UdpPayloadKind.Ike, d.Kind);
            Assert.Equal([0xAB, 0xCD], d.Payload);

            var endpoint = port == 500 ? ike : natt;
            var sent = endpoint.SendIke(d.Remote, [0x01, 0x02], withNonEspMarker: framed, from: d.Local.Address);
            Assert.True(sent.Ok, sent.ToString());
            var buffer = new byte[100];
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            int n = peer.ReceiveFrom(buffer, ref from);
            Assert.Equal(to, from); // the reply comes from the address the request was sent to
            Assert.Equal(framed ? [0, 0, 0, 0, 1, 2] : new byte[] { 1, 2 }, buffer[..n]);
        }

        // ESP from a chosen source, too.
        Assert.True(natt.SendEsp((IPEndPoint)peer.LocalEndPoint!, [0, 0, 0, 7, 0, 0, 0, 1, 0xEE], from: IPAddress.Parse("203.0.113.2")).Ok);
        EndPoint espFrom = new IPEndPoint(IPAddress.Any, 0);
        var espBuffer = new byte[100];
        Assert.Equal(9, peer.ReceiveFrom(espBuffer, ref espFrom));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("203.0.113.2"), 4500), espFrom);
    }
}
