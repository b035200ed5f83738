using System.Net;
using Microsoft.Extensions.Logging;

namespace Portcullis.Core.L2tp;

/// <summary>
/// The L2TP engine's log lines: one per event, each naming the tunnel by our Tunnel ID and the session by
/// "tunnel/session" (our IDs), so that <c>journalctl | grep 'tunnel 4711'</c> follows one tunnel. A peer's bad
/// message is a warning with the reason.
/// </summary>
internal static partial class L2tpLog
{
    [LoggerMessage(EventId = 600, Level = LogLevel.Information, Message = "L2TP tunnel {Tunnel} requested by {Remote}: host '{PeerHost}', vendor '{PeerVendor}', peer tunnel {PeerTunnel}, window {Window}")]
    public static partial void TunnelRequested(ILogger logger, ushort tunnel, IPEndPoint remote, string peerHost, string peerVendor, ushort peerTunnel, int window);

    [LoggerMessage(EventId = 601, Level = LogLevel.Information, Message = "L2TP tunnel {Tunnel} connecting to {Remote}")]
    public static partial void TunnelConnecting(ILogger logger, ushort tunnel, IPEndPoint remote);

    [LoggerMessage(EventId = 602, Level = LogLevel.Information, Message = "L2TP tunnel {Tunnel} established with {Remote} (peer tunnel {PeerTunnel}, host '{PeerHost}'{Authenticated})")]
    public static partial void TunnelUp(ILogger logger, ushort tunnel, IPEndPoint remote, ushort peerTunnel, string peerHost, string authenticated);

    [LoggerMessage(EventId = 603, Level = LogLevel.Information, Message = "L2TP tunnel {Tunnel} with {Remote} closed: {Reason}")]
    public static partial void TunnelDown(ILogger logger, ushort tunnel, IPEndPoint remote, string reason);

    [LoggerMessage(EventId = 604, Level = LogLevel.Warning, Message = "L2TP tunnel {Tunnel} with {Remote} cleared by us: {Reason}")]
    public static partial void TunnelCleared(ILogger logger, ushort tunnel, IPEndPoint remote, string reason);

    [LoggerMessage(EventId = 605, Level = LogLevel.Information, Message = "L2TP session {Tunnel}/{Session} established (peer session {PeerSession}, serial {Serial}, sequencing {Sequencing})")]
    public static partial void SessionUp(ILogger logger, ushort tunnel, ushort session, ushort peerSession, uint serial, bool sequencing);

    [LoggerMessage(EventId = 606, Level = LogLevel.Information, Message = "L2TP session {Tunnel}/{Session} closed: {Reason}")]
    public static partial void SessionDown(ILogger logger, ushort tunnel, ushort session, string reason);

    [LoggerMessage(EventId = 607, Level = LogLevel.Warning, Message = "L2TP session {Tunnel}/{Session} cleared by us: {Reason}")]
    public static partial void SessionCleared(ILogger logger, ushort tunnel, ushort session, string reason);

    [LoggerMessage(EventId = 608, Level = LogLevel.Warning, Message = "dropped L2TP message from {Remote}: {Reason}")]
    public static partial void Dropped(ILogger logger, IPEndPoint remote, string reason);

    [LoggerMessage(EventId = 609, Level = LogLevel.Warning, Message = "L2TP tunnel {Tunnel} ignored {Message} from {Remote}: {Reason}")]
    public static partial void Ignored(ILogger logger, ushort tunnel, string message, IPEndPoint remote, string reason);

    [LoggerMessage(EventId = 610, Level = LogLevel.Warning, Message = "L2TP tunnel {Tunnel} refused to {Remote}: {Reason}")]
    public static partial void TunnelRefused(ILogger logger, ushort tunnel, IPEndPoint remote, string reason);

    [LoggerMessage(EventId = 611, Level = LogLevel.Debug, Message = "L2TP tunnel {Tunnel} retransmitting {Count} message(s) (try {Try})")]
    public static partial void Retransmit(ILogger logger, ushort tunnel, int count, int @try);

    [LoggerMessage(EventId = 612, Level = LogLevel.Debug, Message = "L2TP tunnel {Tunnel} {Direction} {Message} session {Session} Ns {Ns} Nr {Nr} {Local} <-> {Remote}")]
    public static partial void Message(ILogger logger, ushort tunnel, string direction, string message, ushort session, ushort ns, ushort nr, IPEndPoint local, IPEndPoint remote);

    [LoggerMessage(EventId = 613, Level = LogLevel.Debug, Message = "L2TP tunnel {Tunnel} acknowledged duplicate {Message} Ns {Ns}")]
    public static partial void Duplicate(ILogger logger, ushort tunnel, string message, ushort ns);

    [LoggerMessage(EventId = 614, Level = LogLevel.Warning, Message = "dropped L2TP data message from {Remote}: {Reason}")]
    public static partial void DataDropped(ILogger logger, IPEndPoint remote, string reason);

    [LoggerMessage(EventId = 615, Level = LogLevel.Debug, Message = "L2TP tunnel {Tunnel} sending HELLO after {Seconds:0} s without a message from the peer")]
    public static partial void Hello(ILogger logger, ushort tunnel, double seconds);
}
