using System.Collections.Concurrent;
using System.Net;
using Portcullis.Host.Net;

namespace Portcullis.Host.Tests;

/// <summary>UDP GSO sends and UDP GRO receives of ESP between two endpoints on the loopback interface.</summary>
public sealed class UdpEndpointOffloadTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    private static byte[] Esp(int index, int length)
    {
        var packet = new byte[length];
        new Random(index).NextBytes(packet);
        packet[0] = 0x11; // a non-zero SPI
        packet[7] = (byte)index;
        return packet;
    }

    [Fact]
    public void Esp_batches_sent_with_gso_arrive_as_the_same_datagrams_in_order()
    {
        using var receiver = UdpEndpoint.Bind(new IPEndPoint(IPAddress.Loopback, 0), natTraversal: true);
        receiver.TuneForEsp(1 << 20, gro: true);
        Assert.True(receiver.GroEnabled);
        var received = new BlockingCollection<Received>();
        int batches = 0;
        receiver.BatchEnd = () => Interlocked.Increment(ref batches);
        receiver.Start(UdpEndpointTests.Collect(received));
        using var sender = UdpEndpoint.Bind(new IPEndPoint(IPAddress.Loopback, 0), natTraversal: true);

        // 40 datagrams of 1,000 bytes and a shorter last one, back to back in one buffer.
        List<byte[]> packets = [.. Enumerable.Range(0, 40).Select(i => Esp(i, 1000)), Esp(40, 321)];
        byte[] batch = [.. packets.SelectMany(p => p)];
        UdpSendResult sent = sender.SendEspSegments(receiver.LocalEndPoint, batch, 1000);
        Assert.True(sent.Ok, sent.ToString());
        Assert.True(sender.GsoAvailable, "the kernel refused UDP GSO on loopback");

        foreach (byte[] expected in packets)
        {
            Assert.True(received.TryTake(out Received? d, Wait), "a datagram of the batch did not arrive");
            Assert.Equal(UdpPayloadKind.Esp, d.Kind);
            Assert.Equal(expected, d.Payload);
            Assert.Equal(sender.LocalEndPoint, d.Remote);
        }
        // GRO handed the batch over in fewer receive calls than datagrams (one, when nothing split it). BatchEnd runs on
        // the receive thread after the batch's last datagram was delivered, so it may come a moment after the take.
        SpinWait.SpinUntil(() => Volatile.Read(ref batches) > 0, Wait);
        Assert.InRange(Volatile.Read(ref batches), 1, packets.Count - 1);
        Assert.Equal(0, receiver.MalformedReceived);
    }

    [Fact]
    public void A_batch_of_one_or_a_single_short_packet_is_an_ordinary_send()
    {
        using var receiver = UdpEndpoint.Bind(new IPEndPoint(IPAddress.Loopback, 0), natTraversal: true);
        var received = new BlockingCollection<Received>();
        receiver.Start(UdpEndpointTests.Collect(received));
        using var sender = UdpEndpoint.Bind(new IPEndPoint(IPAddress.Loopback, 0), natTraversal: true);
        byte[] one = Esp(1, 700);
        Assert.True(sender.SendEspSegments(receiver.LocalEndPoint, one, 1000).Ok);
        Assert.True(received.TryTake(out Received? d, Wait));
        Assert.Equal(one, d.Payload);
    }
}
