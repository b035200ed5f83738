using System.Buffers.Binary;
using System.Net;
using Portcullis.Core.L2tp;
using Portcullis.Core.L2tp.Wire;
using Portcullis.Core.Tests.Ikev2;

namespace Portcullis.Core.Tests.L2tp;

/// <summary>
/// The LNS against scripted LACs that send what Windows and xl2tpd send (hand-written bytes where they differ from
/// what our own writer would produce): vendor AVPs, Random Vectors with nothing hidden, the L bit on data.
/// </summary>
public class L2tpPeerShapeTests
{
    private static readonly IPEndPoint Lns = L2tpNet.ServerEndpoint;
    private static readonly IPEndPoint Lac = new(IPAddress.Parse("198.51.100.20"), 1701);
    private static byte[] Hex(string hex) => Convert.FromHexString(string.Concat(hex.Where(c => !char.IsWhiteSpace(c))));

    private sealed class Script
    {
        public DateTimeOffset Now = L2tpNet.T0;
        public readonly CapturingLogger Log = new("lns");
        public readonly L2tpServer Server;
        public readonly List<L2tpEvent> Events = [];
        public readonly List<byte[]> Frames = [];

        public Script() => Server = new L2tpServer(L2tpNet.WithRandom(new L2tpOptions { HostName = "lns" }, 3), Log) { FrameReceived = null };

        /// <summary>Sends raw bytes to the LNS, lets due timers run for <paramref name="wait"/>, returns what it sent back.</summary>
        public List<ControlMessage> Send(byte[] datagram, double wait = 0.5)
        {
            Server.FrameReceived = (_, f) => Frames.Add(f.ToArray());
            Server.HandleDatagram(Now, Lns, Lac, datagram);
            var replies = new List<ControlMessage>();
            DateTimeOffset until = Now + TimeSpan.FromSeconds(wait);
            while (true)
            {
                while (Server.TryDequeueTransmit(out L2tpTransmit? t))
                {
                    Assert.Equal(Lac, t.Remote);
                    Assert.True(ControlMessage.TryParse(t.Data, [], out ControlMessage? m, out var error), error.ToString());
                    replies.Add(m!);
                }
                while (Server.TryDequeueEvent(out L2tpEvent? e)) Events.Add(e);
                if (Server.NextTimeout is not { } next || next > until) break;
                Now = next;
                Server.HandleTimeout(Now);
            }
            return replies;
        }
    }

    private static byte[] WithTunnel(byte[] message, ushort tunnelId, ushort sessionId, ushort ns, ushort nr)
    {
        byte[] copy = (byte[])message.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(4), tunnelId);
        BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(6), sessionId);
        BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(8), ns);
        BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(10), nr);
        return copy;
    }

    [Fact]
    public void WindowsShapedCallComesUpCarriesPppAndHangsUp()
    {
        var s = new Script();
        // SCCRQ: Windows' AVPs, Assigned Tunnel ID 4, window 8.
        byte[] sccrq = Hex("""
            C802 0061 0000 0000 0000 0000
            8008 0000 0000 0001  8008 0000 0002 0100  800A 0000 0003 0000 0001  800A 0000 0004 0000 0000
            0008 0000 0006 0500  800A 0000 0007 4E4F4E45  000F 0000 0008 4D6963726F736F6674
            8008 0000 0009 0004  8008 0000 000A 0008
            """);
        ControlMessage sccrp = Assert.Single(s.Send(sccrq, wait: 0));
        Assert.Equal((L2tpMessageType.Sccrp, (ushort)4, (ushort)0, (ushort)1), (sccrp.MessageType, sccrp.TunnelId, sccrp.Ns, sccrp.Nr));
        Assert.Null(sccrp.MissingRequiredAvp());
        Assert.Null(sccrp.Challenge);
        ushort lnsTunnel = sccrp.AssignedTunnelId!.Value;

        // SCCCN, then at once ICRQ with Microsoft's correlation ID AVP.
        Assert.Empty(s.Send(WithTunnel(Hex("C802 0014 0000 0000 0000 0000 8008 0000 0000 0003"), lnsTunnel, 0, 1, 1), wait: 0));
        byte[] icrq = Hex("""
            C802 0050 0000 0000 0000 0000
            8008 0000 0000 000A  8008 0000 000E 0001  800A 0000 000F 0000 0001  800A 0000 0012 0000 0000
            000A 0000 0019 0000 0000  0016 0137 0001 6B2F1A0C9E4D4A8B8E3A0F1E2D3C4B5A
            """);
        ControlMessage icrp = Assert.Single(s.Send(WithTunnel(icrq, lnsTunnel, 0, 2, 1), wait: 0));
        Assert.Equal((L2tpMessageType.Icrp, (ushort)4, (ushort)1, (ushort)1, (ushort)3), (icrp.MessageType, icrp.TunnelId, icrp.SessionId, icrp.Ns, icrp.Nr));
        ushort lnsSession = icrp.AssignedSessionId!.Value;

        // ICCN: (Tx) Connect Speed and Framing Type (synchronous).
        byte[] iccn = Hex("C802 0028 0000 0000 0000 0000 8008 0000 0000 000C 800A 0000 0018 05F5 E100 800A 0000 0013 0000 0001");
        ControlMessage zlb = Assert.Single(s.Send(WithTunnel(iccn, lnsTunnel, lnsSession, 3, 2)));
        Assert.True(zlb.IsZlb);
        Assert.Equal((4, 2, 4), (zlb.TunnelId, zlb.Ns, zlb.Nr));
        L2tpSession session = Assert.Single(L2tpNet.Of<L2tpSessionUp>(s.Events)).Session;
        Assert.Equal(100_000_000u, session.TxConnectSpeed);
        Assert.Equal("Microsoft", session.Tunnel.PeerVendorName);

        // Data with the L bit (flags 4002, Length, Tunnel ID, Session ID), a PPP LCP Configure-Request.
        byte[] data = [0x40, 0x02, 0x00, 16, (byte)(lnsTunnel >> 8), (byte)lnsTunnel, (byte)(lnsSession >> 8), (byte)lnsSession, 0xFF, 0x03, 0xC0, 0x21, 0x01, 0x01, 0x00, 0x04];
        s.Send(data, wait: 0);
        Assert.Equal(Hex("FF03 C021 0101 0004"), Assert.Single(s.Frames));

        // Hang-up: CDN then StopCCN, each acknowledged.
        byte[] cdn = Hex("C802 0026 0000 0000 0000 0000 8008 0000 0000 000E 800A 0000 0001 0003 0000 8008 0000 000E 0001");
        Assert.True(Assert.Single(s.Send(WithTunnel(cdn, lnsTunnel, lnsSession, 4, 2))).IsZlb);
        Assert.Contains("peer sent CDN: result 3", Assert.Single(L2tpNet.Of<L2tpSessionDown>(s.Events)).Reason);
        byte[] stop = Hex("C802 0026 0000 0000 0000 0000 8008 0000 0000 0004 8008 0000 0009 0004 800A 0000 0001 0001 0000");
        ControlMessage ack = Assert.Single(s.Send(WithTunnel(stop, lnsTunnel, 0, 5, 2), wait: 0));
        Assert.True(ack.IsZlb);
        Assert.Equal(6, ack.Nr);
        Assert.Contains("result 1 (general request to clear control connection)", Assert.Single(L2tpNet.Of<L2tpTunnelDown>(s.Events)).Reason);
        Assert.Empty(s.Log.Warnings);
    }

    [Fact]
    public void Xl2tpdShapedCallWithRandomVectorsAndHello()
    {
        var s = new Script();
        // xl2tpd with "hidden bit = yes" but no secret: a Random Vector in every message, nothing hidden.
        static byte[] Rv() => Hex("8016 0000 0024 00112233445566778899AABBCCDDEEFF");
        static byte[] Msg(ushort type, params byte[][] avps)
        {
            byte[] body = [.. Hex($"8008 0000 0000 {type:X4}"), .. Rv(), .. avps.SelectMany(a => a)];
            byte[] m = new byte[12 + body.Length];
            L2tpHeader.Control((ushort)m.Length, 0, 0, 0, 0).Write(m);
            body.CopyTo(m, 12);
            return m;
        }
        byte[] sccrq = Msg(1,
            Hex("8008 0000 0002 0100"), Hex("800A 0000 0003 0000 0003"), Hex("800A 0000 0004 0000 0003"), Hex("0008 0000 0006 0690"),
            Hex("8010 0000 0007 786C32747064 2D6C6163"), Hex("0013 0000 0008 78656C6572616E63652E636F6D"), Hex("8008 0000 0009 1F40"), Hex("8008 0000 000A 0004"));
        ControlMessage sccrp = Assert.Single(s.Send(sccrq, wait: 0));
        ushort lnsTunnel = sccrp.AssignedTunnelId!.Value;
        L2tpTunnel tunnel = s.Server.Tunnels.Single();
        Assert.Equal(("xl2tpd-lac", "xelerance.com", 4), (tunnel.PeerHostName, tunnel.PeerVendorName, tunnel.PeerReceiveWindowSize));

        Assert.Empty(s.Send(WithTunnel(Msg(3), lnsTunnel, 0, 1, 1), wait: 0));
        ControlMessage icrp = Assert.Single(s.Send(WithTunnel(Msg(10, Hex("8008 0000 000E 0009"), Hex("800A 0000 000F 0000 0001"), Hex("800A 0000 0012 0000 0000")), lnsTunnel, 0, 2, 1), wait: 0));
        ushort lnsSession = icrp.AssignedSessionId!.Value;
        ControlMessage ack = Assert.Single(s.Send(WithTunnel(Msg(12, Hex("800A 0000 0018 0098 9680"), Hex("800A 0000 0013 0000 0001"), Hex("000A 0000 0026 0098 9680")), lnsTunnel, lnsSession, 3, 2)));
        Assert.True(ack.IsZlb);
        L2tpSession session = Assert.Single(L2tpNet.Of<L2tpSessionUp>(s.Events)).Session;
        Assert.Equal((10_000_000u, 10_000_000u), (session.TxConnectSpeed, session.RxConnectSpeed));

        // HELLO from xl2tpd: acknowledged by a ZLB.
        ControlMessage helloAck = Assert.Single(s.Send(WithTunnel(Msg(6), lnsTunnel, 0, 4, 2)));
        Assert.Equal((true, 5), (helloAck.IsZlb, (int)helloAck.Nr));

        // Our data to xl2tpd: six bytes of header, then the frame.
        byte[] buffer = new byte[64];
        Assert.True(s.Server.TryEncapsulateData(session, [0xFF, 0x03, 0xC0, 0x21], buffer, out int n));
        Assert.Equal(Hex($"0002 1F40 0009 FF03 C021"), buffer[..n]);
        Assert.Empty(s.Log.Warnings);
    }
}

/// <summary>Peer input never throws: every captured datagram of a conversation, mutated and cut, fed to both sides.</summary>
public class L2tpFuzzTests
{
    [Fact]
    public void MutatedDatagramsNeverThrow()
    {
        var options = new L2tpOptions { HostName = "lns", Secret = L2tpNet.Secret, HideAvps = true };
        var net = new L2tpNet(options);
        L2tpNet.Peer client = net.AddClient(options with { HostName = "lac" });
        (_, L2tpSession session) = net.Connect(client);
        net.SendFrame(client, session, [0xFF, 0x03, 0xC0, 0x21, 1, 1, 0, 4]);
        net.Drive(TimeSpan.FromSeconds(1));
        List<WirePacket> corpus = [.. net.Sent];
        var random = new Random(42);
        for (int i = 0; i < 5000; i++)
        {
            WirePacket p = corpus[random.Next(corpus.Count)];
            byte[] data = (byte[])p.Data.Clone();
            int edits = random.Next(1, 4);
            for (int e = 0; e < edits; e++) data[random.Next(data.Length)] = (byte)random.Next(256);
            if (random.Next(4) == 0) data = data[..random.Next(data.Length + 1)];
            net.Inject(p with { Data = data });
            if (i % 50 == 0) net.Drive(TimeSpan.FromSeconds(random.Next(0, 3)));
        }
        net.Drive(TimeSpan.FromMinutes(2));
        Assert.NotEmpty(net.ServerLog.Warnings);
    }
}
