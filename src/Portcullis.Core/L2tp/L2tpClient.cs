using System.Net;
using Microsoft.Extensions.Logging;

namespace Portcullis.Core.L2tp;

/// <summary>
/// The LAC (L2TP Access Concentrator, RFC 2661) on the incoming-call side, as L2TP/IPsec clients are: opens a tunnel
/// with SCCRQ and places calls with ICRQ, each carrying one PPP link to the LNS. It accepts no tunnels.
/// <para>The host must only feed datagrams that arrived inside an ESP SA (see <see cref="L2tpEngine"/>).</para>
/// </summary>
public sealed class L2tpClient(L2tpOptions options, ILogger logger) : L2tpEngine(options, logger)
{
    private protected override bool AcceptsTunnels => false;

    /// <summary>
    /// Opens a tunnel to the LNS at <paramref name="remote"/> (UDP 1701) from <paramref name="local"/>: sends SCCRQ.
    /// <see cref="L2tpTunnelUp"/> or <see cref="L2tpTunnelDown"/> follows.
    /// </summary>
    public L2tpTunnel Connect(DateTimeOffset now, IPEndPoint local, IPEndPoint remote)
    {
        if (!TunnelCapacityLeft) throw new InvalidOperationException($"already {Options.MaxTunnels} tunnels (max tunnels)");
        L2tpTunnel tunnel = NewTunnel(now, local, remote, initiator: true);
        tunnel.State = L2tpTunnelState.WaitControlReply;
        // The host asked for it, so it hears how it ends even if it never comes up.
        tunnel.Announced = true;
        L2tpLog.TunnelConnecting(Logger, tunnel.LocalTunnelId, remote);
        Send(now, tunnel, NewSccrq(tunnel));
        return tunnel;
    }

    /// <summary>
    /// Places an incoming call in <paramref name="tunnel"/>: ICRQ now if the tunnel is established, else once it is.
    /// <see cref="L2tpSessionUp"/> or <see cref="L2tpSessionDown"/> follows.
    /// </summary>
    public L2tpSession OpenSession(DateTimeOffset now, L2tpTunnel tunnel)
    {
        if (!tunnel.IsInitiator || !Tunnels.Contains(tunnel) || tunnel.State is L2tpTunnelState.Closing or L2tpTunnelState.Closed)
            throw new InvalidOperationException($"{tunnel} takes no new calls");
        if (!SessionCapacityLeft(tunnel)) throw new InvalidOperationException($"{tunnel} has {tunnel.Sessions.Count} sessions already");
        L2tpSession session = NewSession(now, tunnel);
        session.Announced = true;
        session.CallSerialNumber = NextCallSerial();
        if (tunnel.State == L2tpTunnelState.Established) SendIcrq(now, session);
        else session.State = L2tpSessionState.WaitTunnel;
        return session;
    }
}
