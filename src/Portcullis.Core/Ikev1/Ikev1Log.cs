using System.Net;
using Microsoft.Extensions.Logging;

namespace Portcullis.Core.Ikev1;

/// <summary>
/// The IKEv1 lines of the log, in the IKEv2 engine's style: one per event, with the connection and the SA's unique
/// id. Lines IKEv1 shares with IKEv2 (CHILD_SA established or deleted, retransmits, drops) come from the IKEv2 log.
/// </summary>
internal static partial class Ikev1Log
{
    [LoggerMessage(EventId = 600, Level = LogLevel.Information, Message = "{Conn}[{Uid}] initiating {Mode} IKE_SA (IKEv1) to {Remote} with proposals {Proposals}")]
    public static partial void Initiating(ILogger logger, string conn, uint uid, string mode, IPEndPoint remote, string proposals);

    [LoggerMessage(EventId = 601, Level = LogLevel.Information, Message = "{Conn}[{Uid}] {Mode} (IKEv1) from {Remote}: selected {Proposal}")]
    public static partial void Responding(ILogger logger, string conn, uint uid, string mode, IPEndPoint remote, string proposal);

    [LoggerMessage(EventId = 602, Level = LogLevel.Warning, Message = "{Conn}[{Uid}] no proposal chosen: received {Received}, configured {Configured}; sending NO-PROPOSAL-CHOSEN")]
    public static partial void NoProposalChosen(ILogger logger, string conn, uint uid, string received, string configured);

    [LoggerMessage(EventId = 603, Level = LogLevel.Information, Message = "{Conn}[{Uid}] NAT detected: local {LocalBehindNat}, remote {RemoteBehindNat}; IKE moves to {Local} -> {Remote}")]
    public static partial void NatDetected(ILogger logger, string conn, uint uid, bool localBehindNat, bool remoteBehindNat, IPEndPoint local, IPEndPoint remote);

    [LoggerMessage(EventId = 604, Level = LogLevel.Information, Message = "{Conn}[{Uid}] IKE_SA (IKEv1 {Mode}) established between {Local}[{LocalId}]...{Remote}[{RemoteId}] with {Proposal}, lifetime {Lifetime}, cookies {CookieI:x16}_i {CookieR:x16}_r")]
    public static partial void Established(ILogger logger, string conn, uint uid, string mode, IPEndPoint local, string localId, IPEndPoint remote, string remoteId,
        string proposal, string lifetime, ulong cookieI, ulong cookieR);

    [LoggerMessage(EventId = 605, Level = LogLevel.Warning, Message = "{Conn}[{Uid}] authentication of '{PeerId}' failed: {Reason}")]
    public static partial void PeerAuthenticationFailed(ILogger logger, string conn, uint uid, string peerId, string reason);

    [LoggerMessage(EventId = 606, Level = LogLevel.Warning, Message = "{Conn}[{Uid}] Aggressive Mode from {Remote} refused: with a pre-shared key it sends a hash of the key that can be cracked offline, so it is refused unless the connection sets aggressive = yes")]
    public static partial void AggressiveRefused(ILogger logger, string conn, uint uid, IPEndPoint remote);

    [LoggerMessage(EventId = 607, Level = LogLevel.Warning, Message = "{Conn}[{Uid}] peer sent {Notify} ({Exchange})")]
    public static partial void PeerError(ILogger logger, string conn, uint uid, string notify, string exchange);

    [LoggerMessage(EventId = 608, Level = LogLevel.Information, Message = "{Conn}[{Uid}] peer supports {Features}")]
    public static partial void VendorIds(ILogger logger, string conn, uint uid, string features);

    [LoggerMessage(EventId = 609, Level = LogLevel.Information, Message = "{Conn}[{Uid}] RESPONDER-LIFETIME: the peer keeps CHILD_SA {Child} for {Lifetime} only")]
    public static partial void ResponderLifetime(ILogger logger, string conn, uint uid, string child, string lifetime);

    [LoggerMessage(EventId = 610, Level = LogLevel.Information, Message = "{Conn}[{Uid}] INITIAL-CONTACT from '{PeerId}': removing its stale IKE_SA {Conn}[{StaleUid}]")]
    public static partial void InitialContact(ILogger logger, string conn, uint uid, string peerId, uint staleUid);

    [LoggerMessage(EventId = 611, Level = LogLevel.Information, Message = "{Conn}[{Uid}] {What}")]
    public static partial void Info(ILogger logger, string conn, uint uid, string what);

    [LoggerMessage(EventId = 612, Level = LogLevel.Warning, Message = "{Conn}[{Uid}] {Problem}")]
    public static partial void Warning(ILogger logger, string conn, uint uid, string problem);

    [LoggerMessage(EventId = 614, Level = LogLevel.Information, Message = "{Conn}[{Uid}] XAUTH authentication of '{User}' from {Remote} successful")]
    public static partial void XauthSucceeded(ILogger logger, string conn, uint uid, string user, IPEndPoint remote);

    [LoggerMessage(EventId = 615, Level = LogLevel.Warning, Message = "{Conn}[{Uid}] XAUTH authentication of '{User}' from {Remote} failed: {Reason}; sending XAUTH_STATUS FAIL, the IKE_SA goes")]
    public static partial void XauthFailed(ILogger logger, string conn, uint uid, string user, IPEndPoint remote, string reason);

    [LoggerMessage(EventId = 613, Level = LogLevel.Warning, Message = "no IKEv1 connection matches {Mode} from {Remote} to {Local}; sending NO-PROPOSAL-CHOSEN")]
    public static partial void NoConnection(ILogger logger, string mode, IPEndPoint remote, IPEndPoint local);
}
