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
            int n = Interlocked.Increment(ref seen);
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
        // Keep at most a few datagrams in flight so none is dropped from the socket's buffer; resend what was lost.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        int sent = 0;
        while (!done.IsSet && DateTime.UtcNow < deadline)
        {
            if (sent - Volatile.Read(ref seen) < 8 || sent % 64 == 0 && Volatile.Read(ref seen) < sent)
            {
                peer.SendTo(esp, natt.LocalEndPoint);
                sent++;
            }
            else
            {
                Thread.Sleep(1);
                if (sent - Volatile.Read(ref seen) >= 8) sent = Volatile.Read(ref seen); // lost ones: send again
            }
        }
        Assert.True(done.Wait(TimeSpan.FromSeconds(10)), $"only {seen} of {Warmup + Measured} datagrams arrived");
        Assert.Equal(0, end - start);
    }
}
