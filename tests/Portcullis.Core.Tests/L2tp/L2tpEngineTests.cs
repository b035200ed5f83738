using System.Net;
using Portcullis.Core.L2tp;
using Portcullis.Core.L2tp.Wire;

namespace Portcullis.Core.Tests.L2tp;

/// <summary>LAC and LNS in-process with a fake clock: tunnels, sessions, data, HELLO, StopCCN, CDN, loss and NAT.</summary>
public class L2tpEngineTests
{
    private static readonly byte[] LcpConfReq = [0xFF, 0x03, 0xC0, 0x21, 0x01, 0x01, 0x00, 0x0A, 0x05, 0x06, 0x12, 0x34, 0x56, 0x78];

    private static void AssertUp(L2tpNet net, L2tpNet.Peer client, L2tpTunnel tunnel, L2tpSession session)
    {
        Assert.Equal(L2tpTunnelState.Established, tunnel.State);
        Assert.Equal(L2tpSessionState.Established, session.State);
        L2tpTunnel serverTunnel = Assert.Single(net.ServerEngine.Tunnels, t => t.RemoteEndpoint.Equals(client.Public));
        Assert.Equal(L2tpTunnelState.Established, serverTunnel.State);
        Assert.Equal((tunnel.LocalTunnelId, tunnel.RemoteTunnelId), (serverTunnel.RemoteTunnelId, serverTunnel.LocalTunnelId));
        L2tpSession serverSession = Assert.Single(serverTunnel.Sessions);
        Assert.Equal((session.LocalSessionId, session.RemoteSessionId), (serverSession.RemoteSessionId, serverSession.LocalSessionId));
        Assert.Equal(L2tpSessionState.Established, serverSession.State);
    }

    private static L2tpSession ServerSessionOf(L2tpNet net, L2tpNet.Peer client) =>
        net.ServerEngine.Tunnels.Single(t => t.RemoteEndpoint.Equals(client.Public) && t.State == L2tpTunnelState.Established).Sessions.Single();

    [Fact]
    public void TunnelAndSessionComeUpAndCarryPppBothWays()
    {
        var net = new L2tpNet();
        L2tpNet.Peer client = net.AddClient();
        (L2tpTunnel tunnel, L2tpSession session) = net.Connect(client);
        AssertUp(net, client, tunnel, session);

        Assert.Equal(["SCCRQ", "SCCRP", "SCCCN", "ICRQ", "ICRP", "ICCN", "ZLB"], net.Sent.Select(p => p.Kind));
        Assert.Single(L2tpNet.Of<L2tpTunnelUp>(client.Events));
        Assert.Single(L2tpNet.Of<L2tpSessionUp>(client.Events));
        Assert.Single(L2tpNet.Of<L2tpTunnelUp>(net.Server.Events));
        L2tpSession serverSession = Assert.Single(L2tpNet.Of<L2tpSessionUp>(net.Server.Events)).Session;
        Assert.Equal("lac1.example", serverSession.Tunnel.PeerHostName);
        Assert.Equal("Portcullis", serverSession.Tunnel.PeerVendorName);
        Assert.Equal("lns.example", tunnel.PeerHostName);
        Assert.Equal(8, tunnel.PeerReceiveWindowSize);
        Assert.Equal(L2tpFraming.Synchronous, serverSession.FramingType);
        Assert.False(serverSession.SendsSequenceNumbers);
        Assert.Contains(net.ServerLog.Lines, l => l.Text.Contains($"L2TP tunnel {serverSession.Tunnel.LocalTunnelId} established with 198.51.100.1:1701"));
        Assert.Contains(net.ServerLog.Lines, l => l.Text.Contains($"L2TP session {serverSession.Tunnel.LocalTunnelId}/{serverSession.LocalSessionId} established"));
        Assert.Empty(net.ServerLog.Warnings);
        Assert.Empty(client.Log.Warnings);

        Assert.True(net.SendFrame(client, session, LcpConfReq));
        Assert.True(net.SendFrame(net.Server, serverSession, [0xFF, 0x03, 0x80, 0x21, 0x02]));
        net.Drive(TimeSpan.FromSeconds(1));
        (L2tpSession s, byte[] frame) = Assert.Single(net.Server.Frames);
        Assert.Same(serverSession, s);
        Assert.Equal(LcpConfReq, frame);
        Assert.Equal([0xFF, 0x03, 0x80, 0x21, 0x02], Assert.Single(client.Frames).Frame);
        // Data messages: the shortest header, no sequence numbers (as xl2tpd and Windows send them).
        WirePacket data = net.Sent.First(p => p.Kind == "data");
        Assert.Equal(6 + LcpConfReq.Length, data.Data.Length);
        Assert.Equal((1L, 1L), (serverSession.FramesReceived, serverSession.FramesSent));
    }

    [Fact]
    public void TryDecapsulateDataFindsTheFrameWithoutAllocating()
    {
        var net = new L2tpNet();
        L2tpNet.Peer client = net.AddClient();
        (_, L2tpSession session) = net.Connect(client);
        L2tpSession serverSession = ServerSessionOf(net, client);
        byte[] buffer = new byte[1500];
        Assert.True(client.Engine.TryEncapsulateData(session, LcpConfReq, buffer, out int written));
        byte[] datagram = buffer[..written];

        Assert.True(net.ServerEngine.TryDecapsulateData(client.Public, datagram, out L2tpSession? found, out int offset, out int length));
        Assert.Same(serverSession, found);
        Assert.Equal(LcpConfReq, datagram.AsSpan(offset, length).ToArray());
        // Not data of an established session from its peer: false, left to HandleDatagram.
        Assert.False(net.ServerEngine.TryDecapsulateData(new IPEndPoint(IPAddress.Parse("198.51.100.99"), 1701), datagram, out _, out _, out _));
        Assert.False(net.ServerEngine.TryDecapsulateData(client.Public, net.Sent[0].Data, out _, out _, out _));
        Assert.False(net.ServerEngine.TryDecapsulateData(client.Public, [0x00, 0x02, 0x00], out _, out _, out _));

        IPEndPoint remote = client.Public;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            client.Engine.TryEncapsulateData(session, LcpConfReq, buffer, out written);
            net.ServerEngine.TryDecapsulateData(remote, buffer.AsSpan(0, written), out _, out _, out _);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void HelloGoesOutWhenIdleAndIsAcknowledged()
    {
        var net = new L2tpNet();
        L2tpNet.Peer client = net.AddClient();
        net.Connect(client);
        int before = net.Sent.Count;
        net.Drive(TimeSpan.FromSeconds(125));
        List<WirePacket> later = net.Sent.Skip(before).ToList();
        Assert.Contains(later, p => p.Kind == "HELLO" && p.From == "server");
        Assert.Contains(later, p => p.Kind == "HELLO" && p.From == "client1");
        Assert.All(later.Where(p => p.Kind == "HELLO"), h => Assert.Contains(later, p => p.Kind == "ZLB" && p.From != h.From && p.Control!.Nr == h.Control!.Ns + 1));
        Assert.All(net.ServerEngine.Tunnels, t => Assert.Equal(L2tpTunnelState.Established, t.State));
        Assert.Empty(net.ServerLog.Warnings);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void CdnEitherWayClosesTheSessionNotTheTunnel(bool clientCloses)
    {
        var net = new L2tpNet();
        L2tpNet.Peer client = net.AddClient();
        (L2tpTunnel tunnel, L2tpSession session) = net.Connect(client);
        L2tpSession serverSession = ServerSessionOf(net, client);
        if (clientCloses) client.Engine.CloseSession(net.Now, session, "user hung up");
        else net.ServerEngine.CloseSession(net.Now, serverSession, "administrator");
        net.Drive(TimeSpan.FromSeconds(2));
        WirePacket cdn = Assert.Single(net.Sent, p => p.Kind == "CDN");
        Assert.Equal((ushort)CdnResult.Administrative, cdn.Control!.ResultCode!.Value.Result);
        Assert.Equal(clientCloses ? session.RemoteSessionId : serverSession.RemoteSessionId, cdn.Control.SessionId);
        Assert.Equal(L2tpSessionState.Closed, session.State);
        Assert.Equal(L2tpSessionState.Closed, serverSession.State);
        L2tpSessionDown down = Assert.Single(L2tpNet.Of<L2tpSessionDown>(clientCloses ? net.Server.Events : client.Events));
        Assert.Contains("peer sent CDN: result 3 (administrative reasons)", down.Reason);
        Assert.Contains(clientCloses ? "user hung up" : "administrator", down.Reason);
        Assert.Single(L2tpNet.Of<L2tpSessionDown>(clientCloses ? client.Events : net.Server.Events));
        Assert.Equal(L2tpTunnelState.Established, tunnel.State);
        Assert.Empty(L2tpNet.Of<L2tpTunnelDown>(client.Events));
        // The tunnel takes a new call.
        L2tpSession again = client.Client.OpenSession(net.Now, tunnel);
        net.Drive(TimeSpan.FromSeconds(2));
        Assert.Equal(L2tpSessionState.Established, again.State);
        Assert.False(net.SendFrame(client, session, LcpConfReq));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void StopCcnEitherWayClosesTheTunnelAndTheStateGoesAfterAFullCycle(bool clientCloses)
    {
        var net = new L2tpNet();
        L2tpNet.Peer client = net.AddClient();
        (L2tpTunnel tunnel, L2tpSession session) = net.Connect(client);
        L2tpTunnel serverTunnel = net.ServerEngine.Tunnels.Single();
        if (clientCloses) client.Engine.CloseTunnel(net.Now, tunnel, "disconnect");
        else net.ServerEngine.CloseAll(net.Now, "shutting down");
        net.Drive(TimeSpan.FromSeconds(2));
        WirePacket stop = Assert.Single(net.Sent, p => p.Kind == "StopCCN");
        Assert.Equal(clientCloses ? tunnel.LocalTunnelId : serverTunnel.LocalTunnelId, stop.Control!.AssignedTunnelId);
        Assert.Equal(clientCloses ? (ushort)StopCcnResult.GeneralRequest : (ushort)StopCcnResult.ShuttingDown, stop.Control.ResultCode!.Value.Result);
        // §5.7: the receiver acknowledges with a ZLB at once.
        WirePacket ack = net.Sent.Single(p => p.Kind == "ZLB" && p.At == stop.At && p.From != stop.From);
        Assert.Equal(stop.Control.Ns + 1, ack.Control!.Nr);

        L2tpNet.Peer receiver = clientCloses ? net.Server : client;
        Assert.Single(L2tpNet.Of<L2tpSessionDown>(receiver.Events));
        Assert.Contains("peer sent StopCCN", Assert.Single(L2tpNet.Of<L2tpTunnelDown>(receiver.Events)).Reason);
        Assert.Single(L2tpNet.Of<L2tpTunnelDown>(clientCloses ? client.Events : net.Server.Events));
        Assert.Equal(L2tpSessionState.Closed, session.State);

        // Both hold the state for a retransmission cycle, then drop it.
        Assert.Single(net.ServerEngine.Tunnels);
        net.Drive(TimeSpan.FromSeconds(40));
        Assert.Empty(net.ServerEngine.Tunnels);
        Assert.Empty(client.Engine.Tunnels);
        Assert.Empty(net.ServerLog.Warnings);
    }

    [Fact]
    public void ARetransmittedStopCcnIsAcknowledgedAgain()
    {
        var net = new L2tpNet();
        L2tpNet.Peer client = net.AddClient();
        (L2tpTunnel tunnel, _) = net.Connect(client);
        bool dropped = false;
        // The server's first ZLB for the StopCCN is lost: the client sends it again, the server acknowledges again.
        net.Intercept = p => p.Kind == "ZLB" && p.From == "server" && !dropped ? Drop(ref dropped) : [p];
        int before = net.Sent.Count;
        client.Engine.CloseTunnel(net.Now, tunnel, "bye");
        net.Drive(TimeSpan.FromSeconds(5));
        Assert.Equal(2, net.Sent.Count(p => p.Kind == "StopCCN"));
        Assert.Equal(2, net.Sent.Skip(before).Count(p => p.Kind == "ZLB" && p.From == "server"));
        Assert.Single(L2tpNet.Of<L2tpTunnelDown>(net.Server.Events));
    }

    private static IEnumerable<WirePacket> Drop(ref bool flag)
    {
        flag = true;
        return [];
    }

    /// <summary>Each control message of the set-up lost once, in turn: retransmission brings it through.</summary>
    [Theory]
    [InlineData("SCCRQ")]
    [InlineData("SCCRP")]
    [InlineData("SCCCN")]
    [InlineData("ICRQ")]
    [InlineData("ICRP")]
    [InlineData("ICCN")]
    [InlineData("ZLB")]
    public void LossOfAnyControlMessageStillConverges(string kind)
    {
        var net = new L2tpNet();
        L2tpNet.Peer client = net.AddClient();
        bool dropped = false;
        net.Intercept = p => p.Kind == kind && !dropped ? Drop(ref dropped) : [p];
        (L2tpTunnel tunnel, L2tpSession session) = net.Connect(client, TimeSpan.FromSeconds(20));
        Assert.True(dropped);
        AssertUp(net, client, tunnel, session);
        Assert.Single(L2tpNet.Of<L2tpTunnelUp>(net.Server.Events));
        Assert.Single(L2tpNet.Of<L2tpSessionUp>(net.Server.Events));
        Assert.Empty(net.ServerLog.Warnings);
        Assert.Empty(client.Log.Warnings);
    }

    [Fact]
    public void DuplicationOfEveryDatagramStillConvergesAndDuplicatesAreAcked()
    {
        var net = new L2tpNet();
        L2tpNet.Peer client = net.AddClient();
        net.Intercept = p => [p, p];
        (L2tpTunnel tunnel, L2tpSession session) = net.Connect(client);
        AssertUp(net, client, tunnel, session);
        Assert.Single(L2tpNet.Of<L2tpTunnelUp>(net.Server.Events));
        Assert.Single(L2tpNet.Of<L2tpSessionUp>(net.Server.Events));
        Assert.Single(net.ServerEngine.Tunnels);
        Assert.Contains(net.Sent, p => p.Kind == "ZLB" && p.From == "server");
        Assert.Contains(net.Sent, p => p.Kind == "ZLB" && p.From == "client1");
        Assert.Empty(net.ServerLog.Warnings);
    }

    [Fact]
    public void ReorderedControlMessagesAreDeliveredInOrder()
    {
        var net = new L2tpNet();
        L2tpNet.Peer client = net.AddClient();
        // The client's SCCCN is held back and goes after its ICRQ.
        WirePacket? held = null;
        net.Intercept = p =>
        {
            if (p.Kind == "SCCCN" && held is null) { held = p; return []; }
            if (p.Kind == "ICRQ" && held is not null) { WirePacket h = held; return [p, h]; }
            return [p];
        };
        (L2tpTunnel tunnel, L2tpSession session) = net.Connect(client);
        AssertUp(net, client, tunnel, session);
        Assert.Equal(["SCCRQ", "SCCRP", "ICRQ", "SCCCN", "ICRP", "ICCN"], net.Delivered.Select(p => p.Kind).Where(k => k != "ZLB").Take(6));
        Assert.Single(net.Sent, p => p.Kind == "ICRQ");
        Assert.Empty(net.ServerLog.Warnings);
    }

    [Fact]
    public void AnUnreachableServerMakesTheClientGiveUp()
    {
        var net = new L2tpNet();
        L2tpNet.Peer client = net.AddClient();
        net.Intercept = p => p.From == "server" ? [] : [p];
        L2tpTunnel tunnel = client.Client.Connect(net.Now, client.Local, L2tpNet.ServerEndpoint);
        L2tpSession session = client.Client.OpenSession(net.Now, tunnel);
        net.Drive(TimeSpan.FromSeconds(60));
        Assert.Equal(6, net.Sent.Count(p => p.Kind == "SCCRQ" && p.From == "client1"));
        L2tpTunnelDown down = Assert.Single(L2tpNet.Of<L2tpTunnelDown>(client.Events));
        Assert.Contains("no acknowledgement from the peer after 5 retransmissions", down.Reason);
        Assert.Single(L2tpNet.Of<L2tpSessionDown>(client.Events));
        Assert.Equal(L2tpSessionState.Closed, session.State);
        Assert.Empty(client.Engine.Tunnels);
        Assert.Equal(L2tpNet.T0 + TimeSpan.FromSeconds(31), net.Sent.Last(p => p.From == "client1").At + TimeSpan.FromSeconds(8));
    }

    [Fact]
    public void APeerThatVanishesIsFoundByHelloAndCleared()
    {
        var net = new L2tpNet();
        L2tpNet.Peer client = net.AddClient();
        net.Connect(client);
        DateTimeOffset lastHeard = net.Sent.Last(p => p.From == "client1").At;
        net.Intercept = p => p.From == "client1" ? [] : [p];
        net.Drive(TimeSpan.FromSeconds(100));
        L2tpTunnelDown down = Assert.Single(L2tpNet.Of<L2tpTunnelDown>(net.Server.Events));
        Assert.Contains("no acknowledgement", down.Reason);
        Assert.Single(L2tpNet.Of<L2tpSessionDown>(net.Server.Events));
        Assert.Empty(net.ServerEngine.Tunnels);
        Assert.Contains(net.ServerLog.Warnings, w => w.Contains("cleared by us: no acknowledgement"));
        // HELLO after 60 s idle, then 31 s of retransmissions.
        WirePacket hello = net.Sent.First(p => p.Kind == "HELLO" && p.From == "server");
        Assert.Equal(60, (hello.At - lastHeard).TotalSeconds);
    }

    [Fact]
    public void TwoClientsBehindOneNatWithTheSameTunnelIdStayApart()
    {
        var net = new L2tpNet();
        var lan = new IPEndPoint(IPAddress.Parse("192.168.1.2"), 1701);
        // Same seed: both clients pick the same Assigned Tunnel ID and Session ID, from the same private endpoint.
        L2tpNet.Peer a = net.AddClient(seed: 7, local: lan, publicEndpoint: new IPEndPoint(IPAddress.Parse("203.0.113.1"), 40001));
        L2tpNet.Peer b = net.AddClient(seed: 7, local: lan, publicEndpoint: new IPEndPoint(IPAddress.Parse("203.0.113.1"), 40002));
        L2tpTunnel ta = a.Client.Connect(net.Now, a.Local, L2tpNet.ServerEndpoint);
        L2tpSession sa = a.Client.OpenSession(net.Now, ta);
        L2tpTunnel tb = b.Client.Connect(net.Now, b.Local, L2tpNet.ServerEndpoint);
        L2tpSession sb = b.Client.OpenSession(net.Now, tb);
        Assert.Equal(ta.LocalTunnelId, tb.LocalTunnelId);
        Assert.Equal(sa.LocalSessionId, sb.LocalSessionId);
        net.Drive(TimeSpan.FromSeconds(5));
        AssertUp(net, a, ta, sa);
        AssertUp(net, b, tb, sb);
        Assert.Equal(2, net.ServerEngine.Tunnels.Count);
        Assert.NotEqual(ta.RemoteTunnelId, tb.RemoteTunnelId);

        net.SendFrame(a, sa, [0xFF, 0x03, 0xC0, 0x21, 0xAA]);
        net.SendFrame(b, sb, [0xFF, 0x03, 0xC0, 0x21, 0xBB]);
        net.SendFrame(net.Server, ServerSessionOf(net, a), [0xFF, 0x03, 0x00, 0x21, 0x0A]);
        net.SendFrame(net.Server, ServerSessionOf(net, b), [0xFF, 0x03, 0x00, 0x21, 0x0B]);
        net.Drive(TimeSpan.FromSeconds(1));
        Assert.Equal([0xAA, 0xBB], net.Server.Frames.Select(f => f.Frame[^1]));
        Assert.NotSame(net.Server.Frames[0].Session, net.Server.Frames[1].Session);
        Assert.Equal([0x0A], a.Frames.Select(f => f.Frame[^1]));
        Assert.Equal([0x0B], b.Frames.Select(f => f.Frame[^1]));

        // One hangs up; the other stays.
        a.Engine.CloseTunnel(net.Now, ta, "bye");
        net.Drive(TimeSpan.FromSeconds(2));
        Assert.Equal(L2tpTunnelState.Established, tb.State);
        Assert.Single(L2tpNet.Of<L2tpTunnelDown>(net.Server.Events));
        Assert.Equal(L2tpSessionState.Established, ServerSessionOf(net, b).State);
    }

    [Fact]
    public void DataFromTheWrongPeerOrForAnUnknownSessionIsDroppedWithAWarning()
    {
        var net = new L2tpNet();
        L2tpNet.Peer a = net.AddClient();
        L2tpNet.Peer b = net.AddClient();
        (_, L2tpSession sa) = net.Connect(a);
        net.Connect(b);
        byte[] buffer = new byte[100];
        a.Engine.TryEncapsulateData(sa, LcpConfReq, buffer, out int n);
        // b sends a's data message (right IDs, wrong peer).
        net.Inject(new WirePacket("client2", b.Public, L2tpNet.ServerEndpoint, buffer[..n]));
        net.Inject(new WirePacket("client2", b.Public, L2tpNet.ServerEndpoint, [0x00, 0x02, 0x12, 0x34, 0x56, 0x78, 0xFF]));
        net.Drive(TimeSpan.FromSeconds(1));
        Assert.Empty(net.Server.Frames);
        Assert.Contains(net.ServerLog.Warnings, w => w.Contains("dropped L2TP data message from 198.51.100.2:1701: session belongs to another peer"));
        Assert.Contains(net.ServerLog.Warnings, w => w.Contains("unknown Session ID"));
    }

    [Fact]
    public void SequencedDataWhenTheClientAsksForItAndLateFramesAreDropped()
    {
        var net = new L2tpNet();
        L2tpNet.Peer client = net.AddClient(new L2tpOptions { HostName = "lac", RequestSequencing = true });
        (_, L2tpSession session) = net.Connect(client);
        L2tpSession serverSession = ServerSessionOf(net, client);
        Assert.True(serverSession.SequencingRequired);
        Assert.True(serverSession.SendsSequenceNumbers);
        Assert.Equal(10, L2tpEngine.DataHeaderSize(session));

        byte[][] sent = new byte[3][];
        for (int i = 0; i < 3; i++)
        {
            byte[] buffer = new byte[100];
            client.Engine.TryEncapsulateData(session, [0xFF, 0x03, 0x00, 0x21, (byte)i], buffer, out int n);
            sent[i] = buffer[..n];
        }
        // 0, 2, then the late 1: dropped.
        foreach (int i in new[] { 0, 2, 1 }) net.Inject(new WirePacket("client1", client.Public, L2tpNet.ServerEndpoint, sent[i]));
        net.Drive(TimeSpan.FromSeconds(1));
        Assert.Equal([0, 2], net.Server.Frames.Select(f => (int)f.Frame[^1]));
        Assert.Equal(1, serverSession.FramesOutOfOrder);
        Assert.True(net.SendFrame(net.Server, serverSession, [0xFF, 0x03, 0x00, 0x21, 9]));
        Assert.Equal(10 + 5, net.Sent.Last().Data.Length);
    }

    [Fact]
    public void AClientFollowsTheServersSequencing()
    {
        var net = new L2tpNet();
        L2tpNet.Peer client = net.AddClient();
        (_, L2tpSession session) = net.Connect(client);
        Assert.False(session.SendsSequenceNumbers);
        // An LNS that sends Ns and Nr on data (§5.4): the LAC starts too.
        byte[] data = new byte[16];
        new L2tpHeader(L2tpHeaderFlags.Sequence, 0, session.LocalTunnelIdOfTunnel(), session.LocalSessionId, 0, 0, 0).Write(data);
        net.Inject(new WirePacket("server", L2tpNet.ServerEndpoint, client.Public, data));
        net.Drive(TimeSpan.FromSeconds(1));
        Assert.Single(client.Frames);
        Assert.True(session.SendsSequenceNumbers);
    }

    // ---- tunnel authentication and hidden AVPs ----------------------------------------------------------------

    [Fact]
    public void WithASharedSecretTheTunnelIsAuthenticatedBothWaysAndAvpsHidden()
    {
        var options = new L2tpOptions { HostName = "lns", Secret = L2tpNet.Secret, HideAvps = true };
        var net = new L2tpNet(options);
        L2tpNet.Peer client = net.AddClient(options with { HostName = "lac" });
        (L2tpTunnel tunnel, L2tpSession session) = net.Connect(client);
        AssertUp(net, client, tunnel, session);
        ControlMessage sccrq = net.Sent.First(p => p.Kind == "SCCRQ").Control!;
        ControlMessage sccrp = net.Sent.First(p => p.Kind == "SCCRP").Control!;
        ControlMessage scccn = net.Sent.First(p => p.Kind == "SCCCN").Control!;
        Assert.NotNull(sccrq.Challenge);
        Assert.NotNull(sccrp.Challenge);
        Assert.True(TunnelAuthentication.Verify(2, L2tpNet.Secret, sccrq.Challenge, sccrp.ChallengeResponse));
        Assert.True(TunnelAuthentication.Verify(3, L2tpNet.Secret, sccrp.Challenge, scccn.ChallengeResponse));
        Assert.Contains(L2tpAttributeType.AssignedTunnelId, sccrq.HiddenAttributes);
        Assert.Contains(L2tpAttributeType.AssignedSessionId, net.Sent.First(p => p.Kind == "ICRQ").Control!.HiddenAttributes);
        Assert.Contains(net.ServerLog.Lines, l => l.Text.Contains("authenticated by Challenge Response"));
    }

    [Fact]
    public void DifferentSecretsAreRefusedWithNotAuthorized()
    {
        var net = new L2tpNet(new L2tpOptions { HostName = "lns", Secret = "one"u8.ToArray() });
        L2tpNet.Peer client = net.AddClient(new L2tpOptions { HostName = "lac", Secret = "two"u8.ToArray() });
        (L2tpTunnel tunnel, _) = net.Connect(client);
        ControlMessage stop = net.Sent.Single(p => p.Kind == "StopCCN").Control!;
        Assert.Equal((ushort)StopCcnResult.NotAuthorized, stop.ResultCode!.Value.Result);
        Assert.Contains("wrong Challenge Response", Assert.Single(L2tpNet.Of<L2tpTunnelDown>(client.Events)).Reason);
        Assert.Empty(L2tpNet.Of<L2tpTunnelUp>(net.Server.Events));
        Assert.NotEqual(L2tpTunnelState.Established, tunnel.State);
    }

    [Fact]
    public void AServerWithASecretRefusesAClientThatCannotAnswerItsChallenge()
    {
        var net = new L2tpNet(new L2tpOptions { HostName = "lns", Secret = L2tpNet.Secret });
        L2tpNet.Peer client = net.AddClient();
        net.Connect(client);
        ControlMessage stop = net.Sent.Single(p => p.Kind == "StopCCN").Control!;
        Assert.Equal("client1", net.Sent.Single(p => p.Kind == "StopCCN").From);
        Assert.Contains("no tunnel secret is configured", stop.ResultCode!.Value.Message);
        Assert.Empty(L2tpNet.Of<L2tpTunnelUp>(net.Server.Events));
        Assert.Contains(client.Log.Warnings, w => w.Contains("cleared by us: the peer sent a Challenge, but no tunnel secret is configured"));
        Assert.Empty(L2tpNet.Of<L2tpTunnelDown>(net.Server.Events)); // never announced up, so never down
    }

    [Fact]
    public void HiddenAvpsWithoutASecretAreRefused()
    {
        var net = new L2tpNet();
        // A client that hides with a secret the server lacks, and sends no Challenge (so only the hiding fails).
        var random = new Random(9);
        var hiding = new AvpHiding(L2tpNet.Secret, s => random.NextBytes(s));
        byte[] sccrq = new ControlMessage
        {
            MessageType = L2tpMessageType.Sccrq, ProtocolVersion = ProtocolVersion.Rfc2661, HostName = "lac", FramingCapabilities = L2tpFraming.Synchronous,
            AssignedTunnelId = 55,
        }.ToBytes(hiding);
        var from = new IPEndPoint(IPAddress.Parse("198.51.100.7"), 1701);
        net.Inject(new WirePacket("raw", from, L2tpNet.ServerEndpoint, sccrq));
        net.Drive(TimeSpan.FromSeconds(1));
        // The Assigned Tunnel ID is hidden, so the server cannot even tell which tunnel: dropped with the reason.
        Assert.Contains(net.ServerLog.Warnings, w => w.Contains("SCCRQ without Assigned Tunnel ID"));
        Assert.Empty(net.ServerEngine.Tunnels);

        // In a tunnel that is up, a hidden mandatory AVP the server cannot read refuses the call (CDN, unknown AVP with M).
        L2tpNet.Peer client = net.AddClient();
        (L2tpTunnel tunnel, _) = net.Connect(client);
        byte[] icrq = new ControlMessage
        {
            TunnelId = tunnel.RemoteTunnelId, Ns = tunnel.Channel.NextNs, Nr = tunnel.Channel.ExpectedNs, MessageType = L2tpMessageType.Icrq, AssignedSessionId = 4321,
        }.ToBytes(hiding);
        net.Inject(new WirePacket("client1", client.Public, L2tpNet.ServerEndpoint, icrq));
        net.Drive(TimeSpan.FromSeconds(0.5));
        ControlMessage cdn = net.Sent.Single(p => p.Kind == "CDN").Control!;
        Assert.Equal((ushort)L2tpErrorCode.UnknownMandatoryAvp, cdn.ResultCode!.Value.Error);
        Assert.Contains("no tunnel secret", cdn.ResultCode.Value.Message);
        Assert.Equal(L2tpTunnelState.Established, net.ServerEngine.Tunnels.Single().State);
    }

    // ---- the RFC's refusals -----------------------------------------------------------------------------------

    private static byte[] WithExtraAvp(ControlMessage m, byte[] avp)
    {
        byte[] bytes = [.. m.ToBytes(), .. avp];
        bytes[2] = (byte)(bytes.Length >> 8);
        bytes[3] = (byte)bytes.Length;
        return bytes;
    }

    private static ControlMessage Sccrq(ushort tid) => new()
    {
        MessageType = L2tpMessageType.Sccrq, ProtocolVersion = ProtocolVersion.Rfc2661, HostName = "raw", FramingCapabilities = L2tpFraming.Synchronous, AssignedTunnelId = tid,
    };

    [Fact]
    public void AnUnknownMandatoryAvpInSccrqGetsStopCcnWithErrorEight()
    {
        var net = new L2tpNet();
        var from = new IPEndPoint(IPAddress.Parse("198.51.100.7"), 1701);
        net.Inject(new WirePacket("raw", from, L2tpNet.ServerEndpoint, WithExtraAvp(Sccrq(55), [0x80, 0x08, 0x00, 0x00, 0x00, 0xC8, 0x00, 0x00])));
        net.Drive(TimeSpan.FromSeconds(0.5));
        ControlMessage stop = net.Sent.Single(p => p.Kind == "StopCCN").Control!;
        Assert.Equal((55, 0, 1), (stop.TunnelId, stop.Ns, stop.Nr));
        Assert.Equal(new ResultCode(2, 8, stop.ResultCode!.Value.Message), stop.ResultCode);
        Assert.Contains("attribute 200", stop.ResultCode.Value.Message);
        Assert.Contains(net.ServerLog.Warnings, w => w.Contains("unrecognized AVP with the M bit"));
    }

    [Fact]
    public void AnUnknownOptionalAvpIsIgnored()
    {
        var net = new L2tpNet();
        var from = new IPEndPoint(IPAddress.Parse("198.51.100.7"), 1701);
        net.Inject(new WirePacket("raw", from, L2tpNet.ServerEndpoint, WithExtraAvp(Sccrq(55), [0x00, 0x08, 0x01, 0x37, 0x00, 0x05, 0x00, 0x00])));
        net.Drive(TimeSpan.FromSeconds(0.5));
        Assert.Equal("SCCRP", net.Sent.Single(p => p.From == "server").Kind);
    }

    [Fact]
    public void AnUnknownMandatoryAvpInIcrqGetsCdnAndTheTunnelStays()
    {
        var net = new L2tpNet();
        L2tpNet.Peer client = net.AddClient();
        (L2tpTunnel tunnel, _) = net.Connect(client);
        var icrq = new ControlMessage { TunnelId = tunnel.RemoteTunnelId, Ns = tunnel.Channel.NextNs, Nr = tunnel.Channel.ExpectedNs, MessageType = L2tpMessageType.Icrq, AssignedSessionId = 999, CallSerialNumber = 5 };
        net.Inject(new WirePacket("client1", client.Public, L2tpNet.ServerEndpoint, WithExtraAvp(icrq, [0x80, 0x08, 0x00, 0x00, 0x00, 0xC9, 0x00, 0x00])));
        net.Drive(TimeSpan.FromSeconds(2));
        ControlMessage cdn = net.Sent.Single(p => p.Kind == "CDN").Control!;
        Assert.Equal(999, cdn.SessionId);
        Assert.Equal((ushort)8, cdn.ResultCode!.Value.Error);
        Assert.Equal(L2tpTunnelState.Established, net.ServerEngine.Tunnels.Single().State);
        Assert.Single(net.ServerEngine.Tunnels.Single().Sessions);
    }

    [Fact]
    public void AMalformedControlMessageClearsTheTunnel()
    {
        var net = new L2tpNet();
        L2tpNet.Peer client = net.AddClient();
        (L2tpTunnel tunnel, _) = net.Connect(client);
        // A HELLO whose Message Type AVP is 3 bytes long.
        byte[] bad = [0xC8, 0x02, 0x00, 0x15, (byte)(tunnel.RemoteTunnelId >> 8), (byte)tunnel.RemoteTunnelId, 0, 0, 0, 3, 0, 2, 0x80, 0x09, 0, 0, 0, 0, 0, 6, 0];
        net.Inject(new WirePacket("client1", client.Public, L2tpNet.ServerEndpoint, bad));
        net.Drive(TimeSpan.FromSeconds(2));
        ControlMessage stop = net.Sent.Single(p => p.Kind == "StopCCN").Control!;
        Assert.Equal((ushort)StopCcnResult.GeneralError, stop.ResultCode!.Value.Result);
        Assert.Contains("Message Type: value of 3 bytes", stop.ResultCode.Value.Message);
        Assert.Contains(net.ServerLog.Warnings, w => w.Contains("malformed control message: Message Type"));
        Assert.Single(L2tpNet.Of<L2tpTunnelDown>(client.Events));
    }

    [Fact]
    public void GarbageAndStrangersAreDroppedWithRateLimitedWarnings()
    {
        var net = new L2tpNet();
        var from = new IPEndPoint(IPAddress.Parse("198.51.100.9"), 1701);
        for (int i = 0; i < 100; i++) net.Inject(new WirePacket("raw", from, L2tpNet.ServerEndpoint, [0xC8, 0x03, 0, 12]));
        net.Inject(new WirePacket("raw", from, L2tpNet.ServerEndpoint, new ControlMessage { TunnelId = 1234, MessageType = L2tpMessageType.Hello }.ToBytes()));
        net.Drive(TimeSpan.FromSeconds(1));
        Assert.Empty(net.Sent);
        Assert.InRange(net.ServerLog.Warnings.Count(w => w.Contains("Ver: version 3")), 1, 21);
    }

    [Fact]
    public void TheServerRefusesTunnelsBeyondItsMaximum()
    {
        var net = new L2tpNet(new L2tpOptions { HostName = "lns", MaxTunnels = 1 });
        L2tpNet.Peer a = net.AddClient();
        L2tpNet.Peer b = net.AddClient();
        net.Connect(a);
        net.Connect(b);
        ControlMessage stop = net.Sent.Single(p => p.Kind == "StopCCN").Control!;
        Assert.Equal(((ushort)2, (ushort?)4), (stop.ResultCode!.Value.Result, stop.ResultCode.Value.Error));
        Assert.Single(net.ServerEngine.Tunnels);
        Assert.Single(L2tpNet.Of<L2tpTunnelDown>(b.Events));
        Assert.Contains(net.ServerLog.Warnings, w => w.Contains("max tunnels"));
    }

    /// <summary>
    /// SCCRQs with ever new Tunnel IDs from one peer (before any PPP authentication) get at most MaxTunnelsPerPeer
    /// tunnels, each one past it a StopCCN and no state; another peer still gets its tunnel; the refusals are logged
    /// rate-limited, not one line each.
    /// </summary>
    [Fact]
    public void OnePeerGetsAtMostMaxTunnelsPerPeerAndOthersStillGetTheirs()
    {
        var net = new L2tpNet(new L2tpOptions { HostName = "lns", MaxTunnelsPerPeer = 3 });
        L2tpNet.Peer a = net.AddClient();
        net.Connect(a);
        ControlMessage sccrq = net.Sent.First(p => p.Kind == "SCCRQ").Control!;
        for (int i = 0; i < 40; i++)
        {
            sccrq.AssignedTunnelId = (ushort)(1000 + i);
            net.Inject(new WirePacket(a.Name, a.Public, L2tpNet.ServerEndpoint, sccrq.ToBytes()));
        }
        net.Drive(TimeSpan.FromMilliseconds(100));
        Assert.Equal(3, net.ServerEngine.Tunnels.Count(t => t.RemoteEndpoint.Equals(a.Public)));
        Assert.Equal(38, net.Sent.Count(p => p.From == "server" && p.Kind == "StopCCN"));
        Assert.InRange(net.ServerLog.Warnings.Count(w => w.Contains("max tunnels per peer")), 1, 20);

        L2tpNet.Peer b = net.AddClient();
        (L2tpTunnel tunnel, L2tpSession session) = net.Connect(b);
        Assert.Equal(L2tpSessionState.Established, session.State);
        Assert.Equal(L2tpTunnelState.Established, tunnel.State);
    }

    [Fact]
    public void ARestartedClientReusingItsTunnelIdGetsAFreshTunnel()
    {
        var net = new L2tpNet();
        L2tpNet.Peer a = net.AddClient(seed: 7);
        net.Connect(a);
        L2tpTunnel old = net.ServerEngine.Tunnels.Single();
        // The same machine, restarted: a new engine with the same seed picks the same Assigned Tunnel ID.
        L2tpNet.Peer again = net.AddClient(seed: 7, local: a.Local, publicEndpoint: a.Public);
        net.Clients.Remove(a);
        net.Connect(again);
        L2tpTunnel fresh = Assert.Single(net.ServerEngine.Tunnels);
        Assert.NotSame(old, fresh);
        Assert.Equal(L2tpTunnelState.Established, fresh.State);
        Assert.Contains("restarted", Assert.Single(L2tpNet.Of<L2tpTunnelDown>(net.Server.Events)).Reason);
    }
}

internal static class SessionTestExtensions
{
    public static ushort LocalTunnelIdOfTunnel(this L2tpSession session) => session.Tunnel.LocalTunnelId;
}
