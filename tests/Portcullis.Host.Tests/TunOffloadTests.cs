using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Portcullis.Core.Ipsec;
using Portcullis.Host.Tun;

namespace Portcullis.Host.Tests;

/// <summary>TUN devices with offloads (IFF_VNET_HDR, TSO): the kernel's TCP across two of them, joined in user space.</summary>
public sealed class TunOffloadTests
{
    private static readonly IPAddress Client = IPAddress.Parse("198.18.0.1"), Server = IPAddress.Parse("198.18.9.1");

    /// <summary>
    /// Two namespaces, each with an offload TUN device; what one device's reader delivers (TSO packets cut into
    /// segments by the reader) is joined again by a <see cref="TcpCoalescer"/> and written into the other device as
    /// GSO packets, as the data plane does. A TCP stream of 8 MB must arrive intact both ways, through packets the
    /// kernel really handed over as TSO and really accepted as GSO.
    /// </summary>
    [RootFact]
    public void Tcp_crosses_two_offload_devices_joined_by_segmentation_and_coalescing()
    {
        RootEnvironment.Require();
        using var a = new NetworkNamespace();
        using var b = new NetworkNamespace();
        using TunDevice tunA = a.Run(() => Configure(TunDevice.Open("pco0", offload: true), Client, Server));
        using TunDevice tunB = b.Run(() => Configure(TunDevice.Open("pco1", offload: true), Server, Client));
        Assert.True(tunA.VnetHeader && tunA.SegmentationOffload, "the kernel refused IFF_VNET_HDR or TSO");
        var errors = new ConcurrentQueue<Exception>();
        long coalesced = 0;
        void Join(TunDevice from, TunDevice to)
        {
            var coalescer = new TcpCoalescer();
            void Flush()
            {
                if (coalescer.Count > 1) Interlocked.Increment(ref coalesced);
                if (coalescer.Count > 0) to.WriteWithHeader(coalescer.Take());
            }
            from.Start(packet =>
            {
                CoalesceResult r = coalescer.Offer(packet);
                if (r == CoalesceResult.Held) return;
                Flush();
                if (r == CoalesceResult.FlushFirst && coalescer.Offer(packet) == CoalesceResult.Held) return;
                to.Write(packet);
            }, Flush, errors.Enqueue);
        }
        Join(tunA, tunB);
        Join(tunB, tunA);

        using Socket listener = b.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        listener.Bind(new IPEndPoint(Server, 5201));
        listener.Listen();
        using Socket client = a.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        client.ReceiveTimeout = client.SendTimeout = 10000;
        client.Connect(new IPEndPoint(Server, 5201));
        using Socket served = listener.Accept();
        served.ReceiveTimeout = served.SendTimeout = 10000;

        var data = new byte[8 << 20];
        new Random(42).NextBytes(data);
        byte[] expected = SHA256.HashData(data);
        Assert.Equal(expected, Transfer(client, served, data));
        Assert.Equal(expected, Transfer(served, client, data));
        Assert.Empty(errors);
        Assert.True(tunA.GsoPacketsRead > 0, "no TSO packet came out of the device");
        Assert.True(Interlocked.Read(ref coalesced) > 0, "no GSO packet was written");
        Assert.Equal(0, tunA.OffloadErrors + tunB.OffloadErrors);
    }

    private static TunDevice Configure(TunDevice tun, IPAddress local, IPAddress remote)
    {
        Assert.True(IpCommand.ConfigureTun(tun.Name, 1400, local, 32).Ok);
        var route = IpCommand.RouteReplace($"{remote}/32", tun.Name, source: local);
        Assert.True(route.Ok, route.ToString());
        return tun;
    }

    private static byte[] Transfer(Socket from, Socket to, byte[] data)
    {
        var sender = Task.Run(() =>
        {
            for (int offset = 0; offset < data.Length;) offset += from.Send(data, offset, Math.Min(256 << 10, data.Length - offset), SocketFlags.None);
        });
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[64 << 10];
        for (int received = 0; received < data.Length;)
        {
            int n = to.Receive(buffer, 0, Math.Min(buffer.Length, data.Length - received), SocketFlags.None);
            Assert.True(n > 0, "connection closed early");
            hash.AppendData(buffer, 0, n);
            received += n;
        }
        Assert.True(sender.Wait(TimeSpan.FromSeconds(10)));
        return hash.GetHashAndReset();
    }
}
