using Microsoft.Extensions.Logging;

namespace Portcullis.Core.Ikev2;

/// <summary>Log lines of MOBIKE (RFC 4555): one per address change, with the SA's unique id.</summary>
internal static partial class IkeLog
{
    [LoggerMessage(EventId = 185, Level = LogLevel.Information, Message = "{Conn}[{Uid}] peer moved {OldRemote} -> {NewRemote} (MOBIKE){Detail}")]
    public static partial void PeerMoved(ILogger logger, string conn, uint uid, string oldRemote, string newRemote, string detail);

    [LoggerMessage(EventId = 186, Level = LogLevel.Information, Message = "{Conn}[{Uid}] local address {OldLocal} is gone; moving to {NewLocal}, sending UPDATE_SA_ADDRESSES to {Remote} (MOBIKE)")]
    public static partial void LocalAddressGone(ILogger logger, string conn, uint uid, string oldLocal, string newLocal, string remote);

    [LoggerMessage(EventId = 187, Level = LogLevel.Information, Message = "{Conn}[{Uid}] moved {OldLocal} -> {NewLocal} (MOBIKE), confirmed by the peer {Remote}{Detail}")]
    public static partial void WeMoved(ILogger logger, string conn, uint uid, string oldLocal, string newLocal, string remote, string detail);

    [LoggerMessage(EventId = 188, Level = LogLevel.Debug, Message = "{Conn}[{Uid}] {State}")]
    public static partial void MobikeState(ILogger logger, string conn, uint uid, string state);
}
