using System.Net;
using Portcullis.Core.L2tp.Wire;

namespace Portcullis.Core.L2tp;

/// <summary>Control messages: routing to tunnels, the tunnel and session state machines (RFC 2661 §7).</summary>
public abstract partial class L2tpEngine
{
    /// <summary>True for the LNS, which accepts SCCRQ and ICRQ.</summary>
    private protected abstract bool AcceptsTunnels { get; }

    private void HandleControl(DateTimeOffset now, IPEndPoint local, IPEndPoint remote, L2tpHeader header, ReadOnlySpan<byte> avps)
    {
        if (header.TunnelId == 0)
        {
            HandleUnassigned(now, local, remote, header, avps);
            return;
        }
        if (!_tunnels.TryGetValue(header.TunnelId, out L2tpTunnel? tunnel))
        {
            DropWarning(now, remote, $"control message for unknown Tunnel ID {header.TunnelId}");
            return;
        }
        if (!remote.Equals(tunnel.RemoteEndpoint))
        {
            // §8.1: the answer to an SCCRQ may come from another port of the peer; after that the ports stay.
            if (tunnel.IsInitiator && tunnel.State == L2tpTunnelState.WaitControlReply && remote.Address.Equals(tunnel.RemoteEndpoint.Address))
                tunnel.RemoteEndpoint = remote;
            else
            {
                DropWarning(now, remote, $"control message for tunnel {tunnel.LocalTunnelId}, which belongs to {tunnel.RemoteEndpoint}");
                return;
            }
        }
        if (!ControlMessage.TryParseBody(header, avps, Options.Secret, out ControlMessage? message, out var error))
        {
            if (tunnel.State is L2tpTunnelState.Closing or L2tpTunnelState.Closed)
            {
                IgnoreWarning(now, tunnel, "control message", error.ToString());
                return;
            }
            // §7.1: a malformed control message clears the control connection, to get back to a known state.
            Clear(now, tunnel, StopCcnResult.GeneralError, L2tpErrorCode.BadValue, $"malformed control message: {error}");
            return;
        }
        Receive(now, tunnel, message!);
    }

    private void HandleUnassigned(DateTimeOffset now, IPEndPoint local, IPEndPoint remote, L2tpHeader header, ReadOnlySpan<byte> avps)
    {
        if (!ControlMessage.TryParseBody(header, avps, Options.Secret, out ControlMessage? message, out var error))
        {
            DropWarning(now, remote, $"control message with Tunnel ID 0: {error}");
            return;
        }
        if (message!.MessageType != L2tpMessageType.Sccrq)
        {
            DropWarning(now, remote, $"{message.Name} with Tunnel ID 0 (only SCCRQ may come before a Tunnel ID is assigned)");
            return;
        }
        if (!AcceptsTunnels)
        {
            DropWarning(now, remote, "SCCRQ, but this LAC accepts no tunnels");
            return;
        }
        if (message.AssignedTunnelId is not { } peerTunnelId)
        {
            DropWarning(now, remote, "SCCRQ without Assigned Tunnel ID");
            return;
        }
        L2tpTunnel? existing = FindByPeer(remote, peerTunnelId);
        if (existing is not null)
        {
            // Our SCCRP or its acknowledgement was lost (no SCCCN yet), or a retransmission of the very SCCRQ that
            // opened the tunnel arrives after it came up, within a full retransmission cycle (§5.7's hold time): the
            // channel acknowledges the duplicate (§5.8) and nothing else changes.
            bool lateRepeat = message.Ns == 0 && existing.OpeningSccrq is { } opening && avps.SequenceEqual(opening)
                && now - existing.CreatedAt < Options.StopCcnHold;
            if (existing.State == L2tpTunnelState.WaitControlConnected || lateRepeat)
            {
                Receive(now, existing, message);
                return;
            }
            // The peer's tunnel ID again, after that tunnel came up or closed: the peer restarted and starts afresh.
            string reason = "the peer opened a new tunnel with the same Tunnel ID (it restarted)";
            if (existing.Announced) L2tpLog.TunnelDown(Logger, existing.LocalTunnelId, existing.RemoteEndpoint, reason);
            Disconnect(existing, reason);
            Remove(existing);
        }
        if (message.Ns != 0)
        {
            DropWarning(now, remote, $"SCCRQ with Ns {message.Ns}, not 0, for no tunnel we know");
            return;
        }
        string? full = !TunnelCapacityLeft ? $"{Options.MaxTunnels} tunnels already (max tunnels)"
            : TunnelsOf(remote) >= Options.MaxTunnelsPerPeer ? $"{Options.MaxTunnelsPerPeer} tunnels with this peer already (max tunnels per peer)" : null;
        if (full is not null)
        {
            // Refused without keeping state: one StopCCN, not retransmitted.
            var stop = new ControlMessage
            {
                MessageType = L2tpMessageType.StopCcn,
                TunnelId = peerTunnelId,
                Ns = 0,
                Nr = 1,
                AssignedTunnelId = AllocateId(_tunnels),
                ResultCode = new ResultCode((ushort)StopCcnResult.GeneralError, (ushort)L2tpErrorCode.InsufficientResources, "too many tunnels"),
            };
            RefusedWarning(now, remote, full);
            SendStateless(local, remote, stop.ToBytes());
            return;
        }
        L2tpTunnel tunnel = NewTunnel(now, local, remote, initiator: false);
        tunnel.RemoteTunnelId = peerTunnelId;
        tunnel.Channel.PeerTunnelId = peerTunnelId;
        tunnel.State = L2tpTunnelState.WaitControlConnected;
        tunnel.OpeningSccrq = avps.ToArray();
        RegisterPeer(tunnel);
        Receive(now, tunnel, message);
    }

    private void Receive(DateTimeOffset now, L2tpTunnel tunnel, ControlMessage message)
    {
        L2tpLog.Message(Logger, tunnel.LocalTunnelId, "received", message.Name, message.SessionId, message.Ns, message.Nr, tunnel.LocalEndpoint, tunnel.RemoteEndpoint);
        List<ControlMessage> deliver = tunnel.Channel.Receive(now, message, out bool duplicate);
        if (duplicate) L2tpLog.Duplicate(Logger, tunnel.LocalTunnelId, message.Name, message.Ns);
        foreach (ControlMessage m in deliver)
        {
            if (!_tunnels.ContainsKey(tunnel.LocalTunnelId)) return;
            Dispatch(now, tunnel, m);
        }
        tunnel.Channel.FlushAcknowledgement(now);
    }

    private void Dispatch(DateTimeOffset now, L2tpTunnel tunnel, ControlMessage m)
    {
        if (tunnel.State is L2tpTunnelState.Closing or L2tpTunnelState.Closed)
        {
            // Only acknowledged now; a StopCCN crossing ours ends the exchange.
            if (m.MessageType == L2tpMessageType.StopCcn)
            {
                tunnel.Channel.AbandonOutstanding();
                tunnel.Channel.AcknowledgeNow(now);
                tunnel.State = L2tpTunnelState.Closed;
            }
            return;
        }
        // A peer clearing the tunnel or a call is honoured whatever else its message carries.
        if (m.MessageType == L2tpMessageType.StopCcn) { OnStopCcn(now, tunnel, m); return; }
        if (m.MessageType == L2tpMessageType.Cdn) { OnCdn(tunnel, m); return; }

        if (m.UnknownMandatoryAvp is { } unknown)
        {
            string why = $"{m.Name} carries an unrecognized AVP with the M bit: {unknown}";
            if (L2tpMessageTypes.IsSessionMessage(m.MessageType)) RefuseInSession(now, tunnel, m, L2tpErrorCode.UnknownMandatoryAvp, why);
            else Clear(now, tunnel, StopCcnResult.GeneralError, L2tpErrorCode.UnknownMandatoryAvp, why);
            return;
        }
        if (!L2tpMessageTypes.IsDefined(m.MessageType))
        {
            // §4.4.1: an unknown message type with the M bit clears the tunnel; without it the message is ignored.
            if (m.MessageTypeMandatory) Clear(now, tunnel, StopCcnResult.GeneralError, L2tpErrorCode.UnknownMandatoryAvp, $"unknown {m.Name} with the M bit");
            else IgnoreWarning(now, tunnel, m.Name, "unknown message type");
            return;
        }
        if (m.MissingRequiredAvp() is { } missing)
        {
            string why = $"{m.Name} without the required {L2tpAttributes.NameOf(missing)} AVP";
            if (L2tpMessageTypes.IsSessionMessage(m.MessageType)) RefuseInSession(now, tunnel, m, L2tpErrorCode.VendorSpecific, why);
            else Clear(now, tunnel, StopCcnResult.GeneralError, L2tpErrorCode.VendorSpecific, why);
            return;
        }
        switch (m.MessageType)
        {
            case L2tpMessageType.Sccrq: OnSccrq(now, tunnel, m); break;
            case L2tpMessageType.Sccrp: OnSccrp(now, tunnel, m); break;
            case L2tpMessageType.Scccn: OnScccn(now, tunnel, m); break;
            case L2tpMessageType.Hello: break;
            case L2tpMessageType.Icrq: OnIcrq(now, tunnel, m); break;
            case L2tpMessageType.Icrp: OnIcrp(now, tunnel, m); break;
            case L2tpMessageType.Iccn: OnIccn(now, tunnel, m); break;
            case L2tpMessageType.Ocrq:
                RefuseWithCdn(now, tunnel, m.AssignedSessionId ?? 0, CdnResult.NoFacilitiesPermanent, L2tpErrorCode.None, "outgoing calls are not supported");
                break;
            case L2tpMessageType.Ocrp:
            case L2tpMessageType.Occn:
                IgnoreWarning(now, tunnel, m.Name, "we request no outgoing calls");
                break;
            default:
                // WEN and SLI report line errors and async control maps: nothing to do over IPsec.
                break;
        }
    }

    // ---- tunnel messages ----------------------------------------------------------------------------------

    private void OnSccrq(DateTimeOffset now, L2tpTunnel tunnel, ControlMessage m)
    {
        // The SCCRQ opens the connection: it is the first message (Ns 0), which makes the Nr we expect 1.
        if (tunnel.IsInitiator || tunnel.State != L2tpTunnelState.WaitControlConnected || tunnel.Channel.ExpectedNs != 1)
        {
            Clear(now, tunnel, StopCcnResult.StateMachineError, L2tpErrorCode.None, $"SCCRQ in state {tunnel.State}");
            return;
        }
        LearnPeer(tunnel, m);
        L2tpLog.TunnelRequested(Logger, tunnel.LocalTunnelId, tunnel.RemoteEndpoint, tunnel.PeerHostName ?? "", tunnel.PeerVendorName ?? "", tunnel.RemoteTunnelId, tunnel.PeerReceiveWindowSize);
        if (m.ProtocolVersion != ProtocolVersion.Rfc2661)
        {
            Clear(now, tunnel, StopCcnResult.UnsupportedVersion, L2tpErrorCode.None, $"protocol version {m.ProtocolVersion} (this is 1.0)");
            return;
        }
        byte[]? response = null;
        if (m.Challenge is { } challenge)
        {
            if (Options.Secret is not { Length: > 0 } secret)
            {
                Clear(now, tunnel, StopCcnResult.GeneralError, L2tpErrorCode.VendorSpecific, "the peer sent a Challenge, but no tunnel secret is configured");
                return;
            }
            response = TunnelAuthentication.Response((byte)L2tpMessageType.Sccrp, secret, challenge);
        }
        var reply = new ControlMessage
        {
            MessageType = L2tpMessageType.Sccrp,
            ProtocolVersion = ProtocolVersion.Rfc2661,
            FramingCapabilities = L2tpFraming.Synchronous | L2tpFraming.Asynchronous,
            BearerCapabilities = L2tpBearer.None,
            FirmwareRevision = Options.FirmwareRevision,
            HostName = Options.HostName,
            VendorName = Options.VendorName,
            AssignedTunnelId = tunnel.LocalTunnelId,
            ReceiveWindowSize = (ushort)Options.ReceiveWindowSize,
            ChallengeResponse = response,
            Challenge = NewChallenge(tunnel),
        };
        Send(now, tunnel, reply);
    }

    private void OnSccrp(DateTimeOffset now, L2tpTunnel tunnel, ControlMessage m)
    {
        if (!tunnel.IsInitiator || tunnel.State != L2tpTunnelState.WaitControlReply)
        {
            IgnoreWarning(now, tunnel, m.Name, $"unexpected in state {tunnel.State}");
            return;
        }
        tunnel.RemoteTunnelId = m.AssignedTunnelId!.Value;
        tunnel.Channel.PeerTunnelId = tunnel.RemoteTunnelId;
        LearnPeer(tunnel, m);
        if (m.ProtocolVersion != ProtocolVersion.Rfc2661)
        {
            Clear(now, tunnel, StopCcnResult.UnsupportedVersion, L2tpErrorCode.None, $"protocol version {m.ProtocolVersion} (this is 1.0)");
            return;
        }
        if (tunnel.ChallengeSent is { } ours && !TunnelAuthentication.Verify((byte)L2tpMessageType.Sccrp, Options.Secret, ours, m.ChallengeResponse))
        {
            Clear(now, tunnel, StopCcnResult.NotAuthorized, L2tpErrorCode.None, m.ChallengeResponse is null ? "SCCRP without a Challenge Response" : "wrong Challenge Response (tunnel secrets differ)");
            return;
        }
        byte[]? response = null;
        if (m.Challenge is { } challenge)
        {
            if (Options.Secret is not { Length: > 0 } secret)
            {
                Clear(now, tunnel, StopCcnResult.GeneralError, L2tpErrorCode.VendorSpecific, "the peer sent a Challenge, but no tunnel secret is configured");
                return;
            }
            response = TunnelAuthentication.Response((byte)L2tpMessageType.Scccn, secret, challenge);
        }
        Send(now, tunnel, new ControlMessage { MessageType = L2tpMessageType.Scccn, ChallengeResponse = response });
        Established(now, tunnel);
        foreach (L2tpSession session in tunnel.SessionsById.Values.ToList())
            if (session.State == L2tpSessionState.WaitTunnel) SendIcrq(now, session);
    }

    private void OnScccn(DateTimeOffset now, L2tpTunnel tunnel, ControlMessage m)
    {
        if (tunnel.IsInitiator || tunnel.State != L2tpTunnelState.WaitControlConnected)
        {
            IgnoreWarning(now, tunnel, m.Name, $"unexpected in state {tunnel.State}");
            return;
        }
        if (tunnel.ChallengeSent is { } ours && !TunnelAuthentication.Verify((byte)L2tpMessageType.Scccn, Options.Secret, ours, m.ChallengeResponse))
        {
            Clear(now, tunnel, StopCcnResult.NotAuthorized, L2tpErrorCode.None, m.ChallengeResponse is null ? "SCCCN without a Challenge Response" : "wrong Challenge Response (tunnel secrets differ)");
            return;
        }
        Established(now, tunnel);
    }

    private void Established(DateTimeOffset now, L2tpTunnel tunnel)
    {
        tunnel.State = L2tpTunnelState.Established;
        tunnel.EstablishedAt = now;
        tunnel.Announced = true;
        L2tpLog.TunnelUp(Logger, tunnel.LocalTunnelId, tunnel.RemoteEndpoint, tunnel.RemoteTunnelId, tunnel.PeerHostName ?? "",
            tunnel.ChallengeSent is null ? "" : ", authenticated by Challenge Response");
        Announce(new L2tpTunnelUp(tunnel));
    }

    private void OnStopCcn(DateTimeOffset now, L2tpTunnel tunnel, ControlMessage m)
    {
        string reason = $"peer sent StopCCN: {m.ResultCode?.Describe(L2tpMessageType.StopCcn) ?? "no Result Code"}";
        // §5.7: acknowledge at once, and keep the state a full retransmission cycle in case the ZLB is lost.
        tunnel.Channel.AbandonOutstanding();
        tunnel.Channel.AcknowledgeNow(now);
        L2tpLog.TunnelDown(Logger, tunnel.LocalTunnelId, tunnel.RemoteEndpoint, reason);
        Disconnect(tunnel, reason);
        tunnel.State = L2tpTunnelState.Closed;
        tunnel.HoldUntil = now + Options.StopCcnHold;
    }

    private static void LearnPeer(L2tpTunnel tunnel, ControlMessage m)
    {
        tunnel.PeerHostName = m.HostName;
        tunnel.PeerVendorName = m.VendorName;
        tunnel.PeerFirmwareRevision = m.FirmwareRevision;
        tunnel.PeerFramingCapabilities = m.FramingCapabilities ?? L2tpFraming.None;
        tunnel.PeerBearerCapabilities = m.BearerCapabilities ?? L2tpBearer.None;
        // §5.8: 4 when the peer says nothing; a window of 0 would stall us, so at least 1.
        tunnel.Channel.PeerWindow = Math.Max(1, (int)(m.ReceiveWindowSize ?? 4));
    }

    private byte[]? NewChallenge(L2tpTunnel tunnel)
    {
        if (Options.Secret is not { Length: > 0 }) return null;
        byte[] challenge = new byte[TunnelAuthentication.ChallengeSize];
        FillRandom(challenge);
        tunnel.ChallengeSent = challenge;
        return challenge;
    }

    private protected ControlMessage NewSccrq(L2tpTunnel tunnel) => new()
    {
        MessageType = L2tpMessageType.Sccrq,
        ProtocolVersion = ProtocolVersion.Rfc2661,
        FramingCapabilities = L2tpFraming.Synchronous | L2tpFraming.Asynchronous,
        BearerCapabilities = L2tpBearer.None,
        FirmwareRevision = Options.FirmwareRevision,
        HostName = Options.HostName,
        VendorName = Options.VendorName,
        AssignedTunnelId = tunnel.LocalTunnelId,
        ReceiveWindowSize = (ushort)Options.ReceiveWindowSize,
        Challenge = NewChallenge(tunnel),
    };

    /// <summary>Clears the tunnel because of something we cannot accept: a warning, StopCCN, events.</summary>
    private protected void Clear(DateTimeOffset now, L2tpTunnel tunnel, StopCcnResult result, L2tpErrorCode error, string why)
    {
        L2tpLog.TunnelCleared(Logger, tunnel.LocalTunnelId, tunnel.RemoteEndpoint, why);
        StopTunnel(now, tunnel, result, error, why, why);
    }

    private protected void StopTunnel(DateTimeOffset now, L2tpTunnel tunnel, StopCcnResult result, L2tpErrorCode error, string message, string reason)
    {
        Disconnect(tunnel, reason);
        // §4.4.3: the StopCCN names the tunnel by the ID we assigned, so the peer finds it even without our ID.
        Send(now, tunnel, new ControlMessage
        {
            MessageType = L2tpMessageType.StopCcn,
            AssignedTunnelId = tunnel.LocalTunnelId,
            ResultCode = new ResultCode((ushort)result, (ushort)error, message),
        });
        tunnel.State = L2tpTunnelState.Closing;
        tunnel.HoldUntil = now + Options.StopCcnHold;
    }

    // ---- session messages ---------------------------------------------------------------------------------

    private void OnIcrq(DateTimeOffset now, L2tpTunnel tunnel, ControlMessage m)
    {
        ushort peerSession = m.AssignedSessionId!.Value;
        if (tunnel.IsInitiator)
        {
            RefuseWithCdn(now, tunnel, peerSession, CdnResult.NoFacilitiesPermanent, L2tpErrorCode.None, "this LAC takes no incoming calls");
            return;
        }
        if (tunnel.State != L2tpTunnelState.Established)
        {
            RefuseWithCdn(now, tunnel, peerSession, CdnResult.GeneralError, L2tpErrorCode.NoControlConnection, $"ICRQ before the tunnel is established ({tunnel.State})");
            return;
        }
        if (tunnel.SessionsById.Values.FirstOrDefault(s => s.RemoteSessionId == peerSession) is { } stale)
        {
            string reason = "the peer opened a new session with the same Session ID";
            L2tpLog.SessionDown(Logger, tunnel.LocalTunnelId, stale.LocalSessionId, reason);
            EndSession(stale, reason);
        }
        if (!SessionCapacityLeft(tunnel))
        {
            RefuseWithCdn(now, tunnel, peerSession, CdnResult.GeneralError, L2tpErrorCode.InsufficientResources, $"{tunnel.SessionsById.Count} sessions already in this tunnel");
            return;
        }
        L2tpSession session = NewSession(now, tunnel);
        session.RemoteSessionId = peerSession;
        session.CallSerialNumber = m.CallSerialNumber ?? 0;
        session.BearerType = m.BearerType;
        session.CallingNumber = m.CallingNumber;
        session.CalledNumber = m.CalledNumber;
        session.State = L2tpSessionState.WaitConnect;
        Send(now, tunnel, new ControlMessage { MessageType = L2tpMessageType.Icrp, SessionId = peerSession, AssignedSessionId = session.LocalSessionId });
    }

    private protected void SendIcrq(DateTimeOffset now, L2tpSession session)
    {
        session.State = L2tpSessionState.WaitReply;
        Send(now, session.Tunnel, new ControlMessage
        {
            MessageType = L2tpMessageType.Icrq,
            AssignedSessionId = session.LocalSessionId,
            CallSerialNumber = session.CallSerialNumber,
            BearerType = L2tpBearer.None,
        });
    }

    private void OnIcrp(DateTimeOffset now, L2tpTunnel tunnel, ControlMessage m)
    {
        if (!tunnel.SessionsById.TryGetValue(m.SessionId, out L2tpSession? session) || session.State != L2tpSessionState.WaitReply)
        {
            IgnoreWarning(now, tunnel, m.Name, $"for Session ID {m.SessionId}, which waits for no ICRP");
            return;
        }
        session.RemoteSessionId = m.AssignedSessionId!.Value;
        // Synchronous framing when the LNS can take it, as Windows and xl2tpd ask; PPP over L2TP has no HDLC framing anyway.
        L2tpFraming framing = (tunnel.PeerFramingCapabilities & L2tpFraming.Synchronous) != 0 || tunnel.PeerFramingCapabilities == L2tpFraming.None
            ? L2tpFraming.Synchronous : L2tpFraming.Asynchronous;
        session.FramingType = framing;
        session.TxConnectSpeed = Options.ConnectSpeed;
        session.RxConnectSpeed = Options.ConnectSpeed;
        session.SequencingRequired = Options.RequestSequencing;
        session.SendsSequenceNumbers = Options.RequestSequencing;
        Send(now, tunnel, new ControlMessage
        {
            MessageType = L2tpMessageType.Iccn,
            SessionId = session.RemoteSessionId,
            TxConnectSpeed = Options.ConnectSpeed,
            FramingType = framing,
            RxConnectSpeed = Options.ConnectSpeed,
            SequencingRequired = Options.RequestSequencing,
        });
        SessionEstablished(session);
    }

    private void OnIccn(DateTimeOffset now, L2tpTunnel tunnel, ControlMessage m)
    {
        if (!tunnel.SessionsById.TryGetValue(m.SessionId, out L2tpSession? session) || session.State != L2tpSessionState.WaitConnect)
        {
            IgnoreWarning(now, tunnel, m.Name, $"for Session ID {m.SessionId}, which waits for no ICCN");
            return;
        }
        session.TxConnectSpeed = m.TxConnectSpeed;
        session.RxConnectSpeed = m.RxConnectSpeed;
        session.FramingType = m.FramingType;
        session.SequencingRequired = m.SequencingRequired;
        // §5.4: with Sequencing Required, Ns and Nr are present on every data message, ours too.
        session.SendsSequenceNumbers = m.SequencingRequired;
        SessionEstablished(session);
    }

    private void SessionEstablished(L2tpSession session)
    {
        session.State = L2tpSessionState.Established;
        session.Announced = true;
        L2tpLog.SessionUp(Logger, session.Tunnel.LocalTunnelId, session.LocalSessionId, session.RemoteSessionId, session.CallSerialNumber, session.SequencingRequired);
        Announce(new L2tpSessionUp(session));
    }

    private void OnCdn(L2tpTunnel tunnel, ControlMessage m)
    {
        L2tpSession? session = SessionOf(tunnel, m);
        // A CDN for a session already gone (ours crossed it) needs nothing but the acknowledgement.
        if (session is null) return;
        string reason = $"peer sent CDN: {m.ResultCode?.Describe(L2tpMessageType.Cdn) ?? "no Result Code"}";
        L2tpLog.SessionDown(Logger, tunnel.LocalTunnelId, session.LocalSessionId, reason);
        EndSession(session, reason);
    }

    /// <summary>The session a session message is about: by our Session ID in the header, else by the peer's Assigned Session ID.</summary>
    private static L2tpSession? SessionOf(L2tpTunnel tunnel, ControlMessage m)
    {
        if (m.SessionId != 0) return tunnel.SessionsById.GetValueOrDefault(m.SessionId);
        if (m.AssignedSessionId is { } peer) return tunnel.SessionsById.Values.FirstOrDefault(s => s.RemoteSessionId == peer);
        return null;
    }

    /// <summary>Clears the session a bad session message is about, or refuses the call it asks for.</summary>
    private void RefuseInSession(DateTimeOffset now, L2tpTunnel tunnel, ControlMessage m, L2tpErrorCode error, string why)
    {
        L2tpSession? session = m.MessageType is L2tpMessageType.Icrq or L2tpMessageType.Ocrq ? null : SessionOf(tunnel, m);
        if (session is not null) ClearSession(now, session, CdnResult.GeneralError, error, why);
        else RefuseWithCdn(now, tunnel, m.MessageType is L2tpMessageType.Icrq or L2tpMessageType.Ocrq ? m.AssignedSessionId ?? 0 : m.SessionId,
            CdnResult.GeneralError, error, why);
    }

    /// <summary>Clears a session: a warning, CDN, event.</summary>
    private protected void ClearSession(DateTimeOffset now, L2tpSession session, CdnResult result, L2tpErrorCode error, string why)
    {
        L2tpLog.SessionCleared(Logger, session.Tunnel.LocalTunnelId, session.LocalSessionId, why);
        SendCdn(now, session.Tunnel, session.RemoteSessionId, session.LocalSessionId, result, error, why);
        EndSession(session, why);
    }

    /// <summary>Refuses a call no session was made for: CDN to the peer's session, naming an ID we do not keep.</summary>
    private void RefuseWithCdn(DateTimeOffset now, L2tpTunnel tunnel, ushort peerSession, CdnResult result, L2tpErrorCode error, string why)
    {
        IgnoreWarning(now, tunnel, "call", why);
        SendCdn(now, tunnel, peerSession, AllocateId(_sessions), result, error, why);
    }

    private void SendCdn(DateTimeOffset now, L2tpTunnel tunnel, ushort peerSession, ushort ourSession, CdnResult result, L2tpErrorCode error, string message) =>
        Send(now, tunnel, new ControlMessage
        {
            MessageType = L2tpMessageType.Cdn,
            SessionId = peerSession,
            AssignedSessionId = ourSession,
            ResultCode = new ResultCode((ushort)result, (ushort)error, message),
        });
}
