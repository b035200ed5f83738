using System.Net;
using Microsoft.Extensions.Logging;

namespace Portcullis.Core.Ikev2;

/// <summary>
/// The IKE engine's log lines: one per event, each with the connection name and the SA's unique id, so that
/// <c>journalctl | grep '\[3\]'</c> follows one SA. A peer's bad input is a warning with the reason, never a trace.
/// </summary>
internal static partial class IkeLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "{Conn}[{Uid}] initiating IKE_SA to {Remote} with proposals {Proposals}")]
    public static partial void Initiating(ILogger logger, string conn, uint uid, IPEndPoint remote, string proposals);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "{Conn}[{Uid}] IKE_SA_INIT from {Remote}: selected {Proposal}")]
    public static partial void InitResponded(ILogger logger, string conn, uint uid, IPEndPoint remote, string proposal);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "{Conn}[{Uid}] no proposal chosen: received {Received}, configured {Configured}; no match for {TransformType}; {Lacking}")]
    public static partial void NoProposalChosen(ILogger logger, string conn, uint uid, string received, string configured, string transformType, string lacking);

    [LoggerMessage(EventId = 120, Level = LogLevel.Warning, Message = "{Conn}[{Uid}] peer accepted none of our proposals (NO_PROPOSAL_CHOSEN): configured {Configured}; the peer's log names its own list")]
    public static partial void PeerChoseNoProposal(ILogger logger, string conn, uint uid, string configured);

    [LoggerMessage(EventId = 121, Level = LogLevel.Information, Message = "CHILD_SA {Child} is gone; {Why} brings it up again")]
    public static partial void Restarting(ILogger logger, string child, string why);

    [LoggerMessage(EventId = 122, Level = LogLevel.Information, Message = "CHILD_SA {Child}: traffic matched its trap policy; initiating")]
    public static partial void Acquire(ILogger logger, string child);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "{Conn}[{Uid}] peer wants key exchange {Group} instead of {Sent}; retrying")]
    public static partial void InvalidKeRetry(ILogger logger, string conn, uint uid, string group, string sent);

    [LoggerMessage(EventId = 104, Level = LogLevel.Information, Message = "{Conn}[{Uid}] peer asked for a COOKIE; retrying with it")]
    public static partial void CookieRetry(ILogger logger, string conn, uint uid);

    [LoggerMessage(EventId = 105, Level = LogLevel.Information, Message = "{Conn}[{Uid}] NAT detected: local {LocalBehindNat}, remote {RemoteBehindNat}; IKE moves to {Local} -> {Remote}")]
    public static partial void NatDetected(ILogger logger, string conn, uint uid, bool localBehindNat, bool remoteBehindNat, IPEndPoint local, IPEndPoint remote);

    [LoggerMessage(EventId = 106, Level = LogLevel.Information, Message = "{Conn}[{Uid}] IKE_SA established between {Local}[{LocalId}]...{Remote}[{RemoteId}] with {Proposal}, SPIs {SpiI:x16}_i {SpiR:x16}_r")]
    public static partial void IkeSaEstablished(ILogger logger, string conn, uint uid, IPEndPoint local, string localId, IPEndPoint remote, string remoteId, string proposal, ulong spiI, ulong spiR);

    [LoggerMessage(EventId = 107, Level = LogLevel.Warning, Message = "{Conn}[{Uid}] authentication of '{PeerId}' failed: {Reason} (AUTHENTICATION_FAILED)")]
    public static partial void PeerAuthenticationFailed(ILogger logger, string conn, uint uid, string peerId, string reason);

    [LoggerMessage(EventId = 108, Level = LogLevel.Warning, Message = "{Conn}[{Uid}] peer refused our authentication as '{LocalId}': AUTHENTICATION_FAILED (check the pre-shared key and identities)")]
    public static partial void WeWereRefused(ILogger logger, string conn, uint uid, string localId);

    [LoggerMessage(EventId = 109, Level = LogLevel.Information, Message = "{Conn}[{Uid}] CHILD_SA {Child}{{{ChildUid}}} established with SPIs {SpiIn:x8}_i {SpiOut:x8}_o and TS {LocalTs} === {RemoteTs}, {Proposal}, {Encap}")]
    public static partial void ChildSaEstablished(ILogger logger, string conn, uint uid, string child, uint childUid, uint spiIn, uint spiOut, string localTs, string remoteTs, string proposal, string encap);

    [LoggerMessage(EventId = 110, Level = LogLevel.Warning, Message = "{Conn}[{Uid}] CHILD_SA {Child} not established: {Reason}")]
    public static partial void ChildSaFailed(ILogger logger, string conn, uint uid, string child, string reason);

    [LoggerMessage(EventId = 111, Level = LogLevel.Information, Message = "{Conn}[{Uid}] CHILD_SA {Child}{{{ChildUid}}} deleted (SPIs {SpiIn:x8}_i {SpiOut:x8}_o): {Reason}")]
    public static partial void ChildSaDeleted(ILogger logger, string conn, uint uid, string child, uint childUid, uint spiIn, uint spiOut, string reason);

    [LoggerMessage(EventId = 112, Level = LogLevel.Information, Message = "{Conn}[{Uid}] IKE_SA deleted: {Reason}")]
    public static partial void IkeSaDeleted(ILogger logger, string conn, uint uid, string reason);

    [LoggerMessage(EventId = 113, Level = LogLevel.Warning, Message = "dropped IKE message from {Remote}: {Reason}")]
    public static partial void Dropped(ILogger logger, IPEndPoint remote, string reason);

    [LoggerMessage(EventId = 114, Level = LogLevel.Warning, Message = "{Conn}[{Uid}] dropped {Exchange} message {MessageId} from {Remote}: {Reason}")]
    public static partial void DroppedForSa(ILogger logger, string conn, uint uid, string exchange, uint messageId, IPEndPoint remote, string reason);

    [LoggerMessage(EventId = 115, Level = LogLevel.Information, Message = "{Conn}[{Uid}] retransmitting {Exchange} request {MessageId} (try {Try})")]
    public static partial void Retransmit(ILogger logger, string conn, uint uid, string exchange, uint messageId, int @try);

    [LoggerMessage(EventId = 116, Level = LogLevel.Warning, Message = "{Conn}[{Uid}] peer answered {Exchange} with {Notify}")]
    public static partial void PeerError(ILogger logger, string conn, uint uid, string exchange, string notify);

    [LoggerMessage(EventId = 117, Level = LogLevel.Warning, Message = "no connection matches IKE_SA_INIT from {Remote} to {Local}; sending NO_PROPOSAL_CHOSEN")]
    public static partial void NoConnection(ILogger logger, IPEndPoint remote, IPEndPoint local);

    [LoggerMessage(EventId = 118, Level = LogLevel.Warning, Message = "{Conn}[{Uid}] {Problem}")]
    public static partial void SaWarning(ILogger logger, string conn, uint uid, string problem);

    [LoggerMessage(EventId = 119, Level = LogLevel.Debug, Message = "{Conn}[{Uid}] {Direction} {Exchange} {Kind} {MessageId} [{Payloads}] {Local} <-> {Remote}")]
    public static partial void Message(ILogger logger, string conn, uint uid, string direction, string exchange, string kind, uint messageId, string payloads, IPEndPoint local, IPEndPoint remote);

    [LoggerMessage(EventId = 130, Level = LogLevel.Information, Message = "{Conn}[{Uid}] CHILD_SA {Child}{{{OldUid}}} rekeyed to {{{NewUid}}} with SPIs {SpiIn:x8}_i {SpiOut:x8}_o, initiated {By}")]
    public static partial void ChildSaRekeyed(ILogger logger, string conn, uint uid, string child, uint oldUid, uint newUid, uint spiIn, uint spiOut, string by);

    [LoggerMessage(EventId = 131, Level = LogLevel.Information, Message = "{Conn}[{Uid}] IKE_SA rekeyed to {Conn}[{NewUid}] with SPIs {SpiI:x16}_i {SpiR:x16}_r, initiated {By}")]
    public static partial void IkeSaRekeyed(ILogger logger, string conn, uint uid, uint newUid, ulong spiI, ulong spiR, string by);

    [LoggerMessage(EventId = 132, Level = LogLevel.Information, Message = "{Conn}[{Uid}] simultaneous rekey of {What}: {Outcome} (lowest nonce rule, RFC 7296 §2.8.1)")]
    public static partial void RekeyCollision(ILogger logger, string conn, uint uid, string what, string outcome);

    [LoggerMessage(EventId = 133, Level = LogLevel.Information, Message = "{Conn}[{Uid}] {What} rekey refused by the peer ({Notify}); retrying in {Seconds:0} s")]
    public static partial void RekeyRetry(ILogger logger, string conn, uint uid, string what, string notify, double seconds);

    [LoggerMessage(EventId = 134, Level = LogLevel.Information, Message = "{Conn}[{Uid}] nothing from the peer for {Seconds:0} s; sending a DPD liveness check")]
    public static partial void DpdCheck(ILogger logger, string conn, uint uid, double seconds);

    [LoggerMessage(EventId = 135, Level = LogLevel.Warning, Message = "{Conn}[{Uid}] peer is dead: {Reason}")]
    public static partial void PeerDead(ILogger logger, string conn, uint uid, string reason);

    [LoggerMessage(EventId = 136, Level = LogLevel.Information, Message = "{Conn}[{Uid}] INITIAL_CONTACT from '{PeerId}': removing its stale IKE_SA {Conn}[{StaleUid}]")]
    public static partial void InitialContact(ILogger logger, string conn, uint uid, string peerId, uint staleUid);

    [LoggerMessage(EventId = 137, Level = LogLevel.Information, Message = "{Conn}[{Uid}] reauthenticating: a new IKE_SA {Conn}[{NewUid}] replaces this one")]
    public static partial void Reauthenticating(ILogger logger, string conn, uint uid, uint newUid);

    [LoggerMessage(EventId = 138, Level = LogLevel.Information, Message = "{Conn}[{Uid}] answering {Notify} to the peer's {What}: {Why}")]
    public static partial void CollisionRefused(ILogger logger, string conn, uint uid, string notify, string what, string why);

    [LoggerMessage(EventId = 139, Level = LogLevel.Information, Message = "{Conn}[{Uid}] rekeying {What} ({Why})")]
    public static partial void Rekeying(ILogger logger, string conn, uint uid, string what, string why);

    [LoggerMessage(EventId = 129, Level = LogLevel.Information, Message = "{Conn}[{Uid}] {Exchange} request {MessageId} arrived before the IKE_AUTH response (lost?); ignored until the peer retransmits it")]
    public static partial void EarlyRequest(ILogger logger, string conn, uint uid, string exchange, uint messageId);

    [LoggerMessage(EventId = 160, Level = LogLevel.Information, Message = "{Conn}[{Uid}] virtual IP {Addresses} received, DNS {Dns}")]
    public static partial void VirtualIpReceived(ILogger logger, string conn, uint uid, string addresses, string dns);

    [LoggerMessage(EventId = 161, Level = LogLevel.Information, Message = "{Conn}[{Uid}] assigning virtual IP {Addresses} to '{PeerId}'")]
    public static partial void VirtualIpAssigned(ILogger logger, string conn, uint uid, string addresses, string peerId);

    [LoggerMessage(EventId = 162, Level = LogLevel.Warning, Message = "{Conn}[{Uid}] CHILD_SA {Child}: not using transport mode, {Reason}; tunnel mode instead")]
    public static partial void TransportModeNotUsed(ILogger logger, string conn, uint uid, string child, string reason);

    [LoggerMessage(EventId = 164, Level = LogLevel.Warning, Message = "{Conn}[{Uid}] CHILD_SA {Child} asks for AH, which cannot cross a NAT ({Why}); {Action}")]
    public static partial void AhAcrossNatRefused(ILogger logger, string conn, uint uid, string child, string why, string action);

    [LoggerMessage(EventId = 165, Level = LogLevel.Error, Message = "{Conn}[{Uid}] not proposing CHILD_SA {Child}: its ah_proposals ask for AH, which cannot cross a NAT ({Why}); use esp_proposals")]
    public static partial void AhAcrossNatNotProposed(ILogger logger, string conn, uint uid, string child, string why);
}
