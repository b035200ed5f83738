using System.Net;
using System.Net.Sockets;
using Portcullis.Host.Net;

namespace Portcullis.Host.Tests;

/// <summary>
/// The receive path of ESP in UDP allocates nothing per datagram once the peer's endpoint is known: measured with the
/// receive thread's own allocation counter (a count of bytes, not a timing).
/// </summary>
public sealed class UdpEndpointAllocationTests
{
    [Fact]
    public void Receiving_esp_from_a_known_peer_allocates_nothing()
    {
        const int Warmup = 20, Measured = 500;
        long start = 0, end = 0;
        int seen = 0;
        using var done = new ManualResetEventSlim();
        using UdpEndpoint natt = UdpEndpoint.Bind(new IPEndPoint(IPAddress.Loopback, 0), natTraversal: true);
        natt.Start(d =>
        {
            // The handler itself must not allocate: counters and the allocation reading only.
            int n = ++seen;
            if (n == Warmup) start = GC.GetAllocatedBytesForCurrentThread();
            if (n == Warmup + Measured)
            {
                end = GC.GetAllocatedBytesForCurrentThread();
                done.Set();
            }
        });
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        byte[] esp = new byte[1400];
        esp[0] = 0xC1; // non-zero SPI: ESP, not IKE
        for (int i = 0; i < Warmup + Measured && !done.IsSet; i++)
        {
            peer.SendTo(esp, natt.LocalEndPoint);
            if (i % 50 == 49) Thread.Sleep(1); // stay within the socket's receive buffer
        }
        Assert.True(done.Wait(TimeSpan.FromSeconds(10)), $"only {seen} of {Warmup + Measured} datagrams arrived");
        Assert.Equal(0, end - start);
    }
}
