using System.Net;
using Microsoft.Extensions.Logging;

namespace Portcullis.Core.Ppp;

/// <summary>
/// PPP's log lines: one per event, each starting with the session's name (<see cref="PppOptions.Name"/>). A peer's
/// bad packet is a warning with the reason; negotiation details and state changes are debug lines.
/// </summary>
internal static partial class PppLog
{
    [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "{Session} LCP up: our MRU {LocalMru}, peer's MRU {PeerMru}, authentication {Authentication}")]
    public static partial void LcpUp(ILogger logger, string session, int localMru, int peerMru, string authentication);

    [LoggerMessage(EventId = 701, Level = LogLevel.Information, Message = "{Session} PPP user '{User}' authenticated with {Protocol}")]
    public static partial void Authenticated(ILogger logger, string session, string user, string protocol);

    [LoggerMessage(EventId = 702, Level = LogLevel.Warning, Message = "{Session} authentication failed: {Reason}")]
    public static partial void AuthenticationFailed(ILogger logger, string session, string reason);

    [LoggerMessage(EventId = 703, Level = LogLevel.Information, Message = "{Session} IPCP: peer {Peer}, local {Local}, DNS {Dns}, NBNS {Nbns}, MTU {Mtu}")]
    public static partial void NetworkUp(ILogger logger, string session, IPAddress peer, IPAddress local, string dns, string nbns, int mtu);

    [LoggerMessage(EventId = 704, Level = LogLevel.Warning, Message = "{Session} LCP echo: peer silent for {Intervals} intervals, link down")]
    public static partial void EchoFailed(ILogger logger, string session, int intervals);

    [LoggerMessage(EventId = 705, Level = LogLevel.Information, Message = "{Session} PPP link down: {Reason}")]
    public static partial void LinkDown(ILogger logger, string session, string reason);

    [LoggerMessage(EventId = 706, Level = LogLevel.Warning, Message = "{Session} dropped {Protocol} packet: {Reason}")]
    public static partial void BadPacket(ILogger logger, string session, string protocol, string reason);

    [LoggerMessage(EventId = 707, Level = LogLevel.Information, Message = "{Session} peer speaks {Protocol}, which Portcullis does not run: Protocol-Reject")]
    public static partial void ProtocolRejectSent(ILogger logger, string session, string protocol);

    [LoggerMessage(EventId = 708, Level = LogLevel.Information, Message = "{Session} LCP: peer refused {Refused} and suggests {Suggested}; asking for {Next}")]
    public static partial void AuthenticationFallback(ILogger logger, string session, string refused, string suggested, string next);

    [LoggerMessage(EventId = 709, Level = LogLevel.Warning, Message = "{Session} {Problem}")]
    public static partial void NegotiationProblem(ILogger logger, string session, string problem);

    [LoggerMessage(EventId = 710, Level = LogLevel.Debug, Message = "{Session} {Layer} {From} -> {To}")]
    public static partial void StateChange(ILogger logger, string session, string layer, PppState from, PppState to);

    [LoggerMessage(EventId = 711, Level = LogLevel.Debug, Message = "{Session} {Layer} sends {What}: {Why}")]
    public static partial void Negotiation(ILogger logger, string session, string layer, string what, string why);

    [LoggerMessage(EventId = 712, Level = LogLevel.Debug, Message = "{Session} {Layer} {What} discarded: {Why}")]
    public static partial void Discarded(ILogger logger, string session, string layer, string what, string why);

    [LoggerMessage(EventId = 713, Level = LogLevel.Debug, Message = "{Session} {Direction} {Protocol} {Packet}")]
    public static partial void Packet(ILogger logger, string session, string direction, string protocol, string packet);

    [LoggerMessage(EventId = 714, Level = LogLevel.Information, Message = "{Session} authenticated to the server as '{User}' with {Protocol}")]
    public static partial void AuthenticatedToServer(ILogger logger, string session, string user, string protocol);

    [LoggerMessage(EventId = 715, Level = LogLevel.Warning, Message = "{Session} no address for PPP user '{User}' (pool exhausted or none configured); closing the link")]
    public static partial void NoAddress(ILogger logger, string session, string user);

    [LoggerMessage(EventId = 716, Level = LogLevel.Information, Message = "{Session} IPv6CP: peer fe80::{PeerIdentifier}, local fe80::{LocalIdentifier}, peer address {PeerAddress}, MTU {Mtu}")]
    public static partial void Ipv6Up(ILogger logger, string session, string peerIdentifier, string localIdentifier, string peerAddress, int mtu);

    [LoggerMessage(EventId = 717, Level = LogLevel.Information, Message = "{Session} IPv6CP finished, IPv4 goes on alone: {Reason}")]
    public static partial void Ipv6Finished(ILogger logger, string session, string reason);

    [LoggerMessage(EventId = 718, Level = LogLevel.Debug, Message = "{Session} Router Advertisement sent: prefix {Prefix}/64, RDNSS {Dns}, {Why}")]
    public static partial void RouterAdvertisementSent(ILogger logger, string session, IPAddress prefix, string dns, string why);
}
