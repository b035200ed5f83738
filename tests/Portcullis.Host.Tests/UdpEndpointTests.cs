using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Portcullis.Host.Net;

namespace Portcullis.Host.Tests;

/// <summary>A received datagram copied out of the endpoint's buffer.</summary>
public sealed record Received(UdpPayloadKind Kind, IPEndPoint Local, IPEndPoint Remote, byte[] Payload);

public sealed class UdpEndpointTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private readonly BlockingCollection<Received> _received = new();
    private readonly UdpEndpoint _natt;
    private readonly Socket _peer;

    public UdpEndpointTests()
    {
        _natt = UdpEndpoint.Bind(new IPEndPoint(IPAddress.Loopback, 0), natTraversal: true);
        _natt.Start(Collect(_received));
        _peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _peer.ReceiveTimeout = 5000;
    }

    public void Dispose()
    {
        _natt.Dispose();
        _peer.Dispose();
        _received.Dispose();
    }

    public static UdpDatagramHandler Collect(BlockingCollection<Received> into) =>
        d => into.Add(new Received(d.Kind, d.Local, d.Remote, d.Payload.ToArray()));

    private Received Next()
    {
        Assert.True(_received.TryTake(out var item, Wait), "no datagram delivered");
        return item;
    }

    private byte[] PeerReceive(out IPEndPoint from)
    {
        var buffer = new byte[2048];
        EndPoint sender = new IPEndPoint(IPAddress.Any, 0);
        int n = _peer.ReceiveFrom(buffer, ref sender);
        from = (IPEndPoint)sender;
        return buffer[..n];
    }

    private static readonly byte[] Esp = [0x01, 0x02, 0x03, 0x04, 0, 0, 0, 1, 0xAA, 0xBB];
    private static readonly byte[] Ike = [.. Enumerable.Range(1, 28).Select(i => (byte)i)];

    [Fact]
    public void Non_esp_marker_means_ike_and_is_stripped()
    {
        _peer.SendTo([0, 0, 0, 0, .. Ike], _natt.LocalEndPoint);
        var d = Next();
        Assert.Equal(UdpPayloadKind.Ike, d.Kind);
        Assert.Equal(Ike, d.Payload);
        Assert.Equal(_peer.LocalEndPoint, d.Remote);
        Assert.Equal(_natt.LocalEndPoint, d.Local);
    }

    [Fact]
    public void Esp_is_delivered_whole_starting_with_the_spi()
    {
        _peer.SendTo(Esp, _natt.LocalEndPoint);
        var d = Next();
        Assert.Equal(UdpPayloadKind.Esp, d.Kind);
        Assert.Equal(Esp, d.Payload);
    }

    [Fact]
    public void Keepalives_are_counted_and_dropped_and_runts_are_malformed()
    {
        _peer.SendTo([0xFF], _natt.LocalEndPoint);
        _peer.SendTo([0xFF], _natt.LocalEndPoint);
        _peer.SendTo([1, 2, 3], _natt.LocalEndPoint);       // too short for anything
        _peer.SendTo([0, 0, 0, 0], _natt.LocalEndPoint);    // a marker with nothing behind it
        _peer.SendTo([1, 2, 3, 4, 5], _natt.LocalEndPoint); // not zero, shorter than an ESP header
        _peer.SendTo(Esp, _natt.LocalEndPoint);             // in order on loopback: once this arrives, the rest has
        Assert.Equal(UdpPayloadKind.Esp, Next().Kind);
        Assert.Equal(2, _natt.KeepalivesReceived);
        Assert.Equal(3, _natt.MalformedReceived);
        Assert.Empty(_received);
    }

    [Fact]
    public void Sends_frame_ike_esp_and_keepalives_per_rfc_3948()
    {
        var peer = (IPEndPoint)_peer.LocalEndPoint!;
        Assert.True(_natt.SendIke(peer, Ike, withNonEspMarker: true).Ok);
        Assert.Equal([0, 0, 0, 0, .. Ike], PeerReceive(out var from));
        Assert.Equal(_natt.LocalEndPoint, from);

        Assert.True(_natt.SendEsp(peer, Esp).Ok);
        Assert.Equal(Esp, PeerReceive(out _));

        Assert.True(_natt.SendKeepalive(peer).Ok);
        Assert.Equal([0xFF], PeerReceive(out _));

        Assert.True(_natt.SendIke(peer, Ike, withNonEspMarker: false, from: IPAddress.Loopback).Ok);
        Assert.Equal(Ike, PeerReceive(out from));
        Assert.Equal(_natt.LocalEndPoint, from);

        Assert.Throws<ArgumentException>(() => _natt.SendEsp(peer, [0, 0, 0, 0, 0, 0, 0, 1]));
    }

    [Fact]
    public void Plain_endpoint_delivers_everything_as_ike()
    {
        var received = new BlockingCollection<Received>();
        using var plain = UdpEndpoint.Bind(new IPEndPoint(IPAddress.Loopback, 0), natTraversal: false);
        plain.Start(Collect(received));
        _peer.SendTo([0, 0, 0, 0, 9], plain.LocalEndPoint);
        _peer.SendTo([0xFF], plain.LocalEndPoint);
        Assert.True(received.TryTake(out var first, Wait));
        Assert.Equal(UdpPayloadKind.Ike, first.Kind);
        Assert.Equal([0, 0, 0, 0, 9], first.Payload);
        Assert.True(received.TryTake(out var second, Wait));
        Assert.Equal(UdpPayloadKind.Ike, second.Kind);
        Assert.Equal([0xFF], second.Payload);
        Assert.Equal(0, plain.KeepalivesReceived);
    }

    [Fact]
    public void Send_error_is_a_value_not_an_exception()
    {
        // 127.0.0.1 cannot send to a multicast group without a route… use an unroutable source instead:
        var result = _natt.SendIke((IPEndPoint)_peer.LocalEndPoint!, Ike, true, from: IPAddress.Parse("192.0.2.77"));
        Assert.False(result.Ok);
        Assert.NotEqual(0, result.Errno);
    }

    [Fact]
    public void Handler_exceptions_are_reported_and_reception_continues()
    {
        var errors = new BlockingCollection<Exception>();
        var received = new BlockingCollection<Received>();
        using var endpoint = UdpEndpoint.Bind(new IPEndPoint(IPAddress.Loopback, 0), natTraversal: true);
        endpoint.Start(d => { if (d.Kind == UdpPayloadKind.Esp) throw new InvalidOperationException("bad"); received.Add(new Received(d.Kind, d.Local, d.Remote, d.Payload.ToArray())); }, errors.Add);
        _peer.SendTo(Esp, endpoint.LocalEndPoint);
        _peer.SendTo([0, 0, 0, 0, 7], endpoint.LocalEndPoint);
        Assert.True(errors.TryTake(out var e, Wait));
        Assert.Equal("bad", e.Message);
        Assert.True(received.TryTake(out var ike, Wait));
        Assert.Equal([7], ike.Payload);
    }

    [Fact]
    public void Dispose_wakes_the_receive_thread_promptly()
    {
        var endpoint = UdpEndpoint.Bind(new IPEndPoint(IPAddress.Loopback, 0), natTraversal: true);
        endpoint.Start(_ => { });
        Thread.Sleep(100); // let it block in recvmsg
        var clock = Stopwatch.StartNew();
        endpoint.Dispose();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"Dispose took {clock.Elapsed}");
        Assert.Throws<ObjectDisposedException>(() => endpoint.SendKeepalive((IPEndPoint)_peer.LocalEndPoint!));
    }

    [Fact]
    public void Two_endpoints_can_share_a_port_on_different_addresses_and_port_is_reported()
    {
        Assert.NotEqual(0, _natt.LocalEndPoint.Port);
        Assert.True(_natt.NatTraversal);
    }
}
