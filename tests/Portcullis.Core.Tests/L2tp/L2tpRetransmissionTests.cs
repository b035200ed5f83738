using Portcullis.Core.L2tp;
using Portcullis.Core.L2tp.Wire;

namespace Portcullis.Core.Tests.L2tp;

/// <summary>
/// Issue 9's retransmission property for L2TP control (RFC 2661 §5.8): a retransmitted SCCRQ or ICRQ (same Ns)
/// creates no second tunnel or session and changes nothing, and the LNS acknowledges it at once (a ZLB whose Nr is
/// the next Ns it expects), so the LAC stops retransmitting.
/// </summary>
public class L2tpRetransmissionTests
{
    private static IEnumerable<WirePacket> ServerZlbs(L2tpNet net, int after) =>
        net.Sent.Skip(after).Where(p => p.From == "server" && p.Control is { IsZlb: true });

    [Theory]
    [InlineData("SCCRQ")]
    [InlineData("ICRQ")]
    public void A_request_arriving_twice_makes_one_tunnel_and_session_and_the_repeat_is_acknowledged(string kind)
    {
        var net = new L2tpNet();
        L2tpNet.Peer client = net.AddClient();
        bool repeated = false;
        int repeatAt = -1;
        net.Intercept = p =>
        {
            if (p.From != "server" && p.Kind == kind && !repeated)
            {
                repeated = true;
                repeatAt = net.Sent.Count;
                return [p, p];
            }
            return [p];
        };
        (L2tpTunnel tunnel, L2tpSession session) = net.Connect(client);

        Assert.True(repeated);
        Assert.Equal(L2tpSessionState.Established, session.State);
        L2tpTunnel serverTunnel = Assert.Single(net.ServerEngine.Tunnels);
        Assert.Single(serverTunnel.Sessions);
        Assert.Single(L2tpNet.Of<L2tpTunnelUp>(net.Server.Events));
        Assert.Single(L2tpNet.Of<L2tpSessionUp>(net.Server.Events));
        // The answer went once (SCCRP or ICRP); the repeat got a ZLB acknowledging it: Nr one past its Ns.
        string answer = kind == "SCCRQ" ? "SCCRP" : "ICRP";
        Assert.Single(net.Sent, p => p.Kind == answer);
        ushort ns = net.Sent.First(p => p.Kind == kind).Control!.Ns;
        Assert.Contains(ServerZlbs(net, repeatAt), z => z.Control!.Nr == (ushort)(ns + 1));
        Assert.Contains(net.ServerLog.Lines, l => l.Text.Contains("duplicate", StringComparison.OrdinalIgnoreCase));
        Assert.Empty(net.ServerLog.Warnings);
        Assert.Equal((tunnel.LocalTunnelId, tunnel.RemoteTunnelId), (serverTunnel.RemoteTunnelId, serverTunnel.LocalTunnelId));
    }

    /// <summary>
    /// A retransmission that arrives late, after the tunnel came up (it crossed the SCCRP, or the network held it):
    /// byte for byte the SCCRQ that opened the tunnel, from the same address. It is a duplicate, not a restarted peer:
    /// the established tunnel and its session stay, and the repeat is acknowledged.
    /// </summary>
    [Theory]
    [InlineData("SCCRQ")]
    [InlineData("ICRQ")]
    public void A_late_retransmission_after_the_tunnel_came_up_is_acknowledged_and_changes_nothing(string kind)
    {
        var net = new L2tpNet();
        L2tpNet.Peer client = net.AddClient();
        (L2tpTunnel tunnel, L2tpSession session) = net.Connect(client);
        L2tpTunnel serverTunnel = Assert.Single(net.ServerEngine.Tunnels);
        L2tpSession serverSession = Assert.Single(serverTunnel.Sessions);
        WirePacket request = net.Sent.First(p => p.From != "server" && p.Kind == kind);
        int before = net.Sent.Count, events = net.Server.Events.Count;

        net.Inject(request);
        net.Drive(TimeSpan.FromSeconds(1));

        Assert.Same(serverTunnel, Assert.Single(net.ServerEngine.Tunnels));
        Assert.Equal(L2tpTunnelState.Established, serverTunnel.State);
        Assert.Same(serverSession, Assert.Single(serverTunnel.Sessions));
        Assert.Equal(L2tpSessionState.Established, serverSession.State);
        Assert.Equal(L2tpSessionState.Established, session.State);
        Assert.Equal(L2tpTunnelState.Established, tunnel.State);
        Assert.Equal(events, net.Server.Events.Count);
        WirePacket[] answers = [.. net.Sent.Skip(before).Where(p => p.From == "server")];
        WirePacket zlb = Assert.Single(answers);
        Assert.True(zlb.Control!.IsZlb, $"answered with {zlb.Kind}, not a ZLB");
        Assert.Equal(serverTunnel.RemoteTunnelId, zlb.Control.TunnelId);
        Assert.Empty(net.ServerLog.Warnings);
    }

    /// <summary>The other side of the late-SCCRQ rule: a new SCCRQ (not a byte-for-byte repeat) with the same Tunnel ID is a restarted LAC, and gets a fresh tunnel.</summary>
    [Fact]
    public void A_new_sccrq_with_the_same_tunnel_id_replaces_the_tunnel_of_a_restarted_peer()
    {
        var net = new L2tpNet();
        L2tpNet.Peer client = net.AddClient();
        net.Connect(client);
        L2tpTunnel old = Assert.Single(net.ServerEngine.Tunnels);
        ControlMessage sccrq = net.Sent.First(p => p.Kind == "SCCRQ").Control!;
        sccrq.HostName = "lac1-restarted.example";
        net.Inject(new WirePacket("client1", client.Public, L2tpNet.ServerEndpoint, sccrq.ToBytes()));
        net.Drive(TimeSpan.FromSeconds(1));
        Assert.NotSame(old, Assert.Single(net.ServerEngine.Tunnels));
        Assert.Equal("lac1-restarted.example", net.ServerEngine.Tunnels.Single().PeerHostName);
    }
}
