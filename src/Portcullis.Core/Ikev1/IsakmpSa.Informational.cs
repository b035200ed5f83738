using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using Portcullis.Core.Config;
using Portcullis.Core.Ikev1.Wire;
using Portcullis.Core.Ikev2;
using ParseError = Portcullis.Core.Ikev2.Wire.ParseError;

namespace Portcullis.Core.Ikev1;

/// <summary>
/// Informational exchanges (RFC 2409 §5.7): one protected message each, never answered except by DPD's ACK. DELETE
/// (RFC 2408 §3.15), error and status notifies, INITIAL-CONTACT (RFC 2407 §4.6.3.3), R-U-THERE (RFC 3706).
/// </summary>
public sealed partial class IsakmpSa
{
    /// <summary>Sends one protected Informational message: HASH(1) over the payloads, then the payloads.</summary>
    private void SendInformational(DateTimeOffset now, List<IsakmpPayload> payloads)
    {
        if (_keys is null || _encryption is null || State == IsakmpSaState.Deleted) return;
        uint mid = NewMessageId();
        byte[] hash = Ikev1Hashes.Hash1(_choice!.Prf, _keys.SkeyIdA.ReadOnlySpan, mid, IsakmpPayload.EncodeChain(payloads));
        List<IsakmpPayload> all = [new HashPayload(hash), .. payloads];
        // Before phase 1 completes the IV chain so far stands in for its last block (as strongSwan does).
        byte[] iv = Ikev1Hashes.Phase2Iv(Hash, State == IsakmpSaState.Established ? _lastPhase1Block : _iv, mid, _encryption.BlockSize);
        LogMessage("sending", IsakmpExchangeType.Informational, mid, all, LocalEndpoint, RemoteEndpoint);
        Transmit(IsakmpMessage.EncodeEncrypted(Header(IsakmpExchangeType.Informational, mid), all, _encryption, iv), LocalEndpoint, RemoteEndpoint);
    }

    private void HandleInformational(DateTimeOffset now, IsakmpHeader header, ReadOnlySpan<byte> datagram, IPEndPoint local, IPEndPoint remote)
    {
        if (!header.IsEncrypted)
        {
            HandleUnprotectedNotify(now, header, datagram, remote);
            return;
        }
        if (_encryption is null)
        {
            Dropped(header, remote, "protected Informational before keys were agreed");
            return;
        }
        bool established = State == IsakmpSaState.Established;
        byte[] iv = Ikev1Hashes.Phase2Iv(Hash, established ? _lastPhase1Block : _iv, header.MessageId, _encryption.BlockSize);
        bool decoded = IsakmpMessage.TryDecode(datagram, header, _encryption, iv, out IsakmpMessage? message, out _, out ParseError error);
        byte[] expected = decoded ? Ikev1Hashes.Hash1(_choice!.Prf, _keys!.SkeyIdA.ReadOnlySpan, header.MessageId, message!.AfterFirst) : [];
        bool authentic = decoded && message!.Payloads.Count > 0 && message.Payloads[0] is HashPayload hash && hash.Hash.Length == expected.Length
            && CryptographicOperations.FixedTimeEquals(hash.Hash, expected);
        if (!authentic)
        {
            if (!established)
            {
                // During phase 1 a peer with another PSK answers our message 5 with a notify under its own keys. It
                // cannot be authenticated, but neither can anything else in phase 1: giving up now beats retrying
                // for minutes against a key that will not change.
                string why = $"the peer answered {_exchangeName} message {_step} with a protected notify we cannot read (its keys differ from ours): pre-shared key mismatch?";
                IkeLog.SaWarning(Log, Name, Uid, why);
                if (IsInitiator && State == IsakmpSaState.Authenticating) Remove(now, "pre-shared key mismatch?");
                return;
            }
            Dropped(header, remote, decoded ? "Informational without a valid HASH(1)" : error.ToString());
            return;
        }
        LogMessage("received", IsakmpExchangeType.Informational, header.MessageId, message!.Payloads, local, remote);
        if (!established)
        {
            // Authenticated, but phase 1 is not done: only an error that ends it means anything here.
            if (message.Get<NotificationPayload>() is { } n && n.NotifyType.IsError()) PhaseOneRefused(now, n);
            return;
        }
        UpdateEndpoints(now, local, remote);
        _lastInbound = now;
        var closed = new List<ChildConfig>();
        foreach (IsakmpPayload p in message.Payloads.Skip(1))
        {
            if (State == IsakmpSaState.Deleted) return;
            switch (p)
            {
                case NotificationPayload n:
                    HandleNotify(now, n);
                    break;
                case DeletePayload d when d.Protocol == IsakmpProtocolId.Isakmp:
                    if (d.Spis.Any(spi => spi.Length == 16 && BinaryPrimitives.ReadUInt64BigEndian(spi) == InitiatorCookie
                        && BinaryPrimitives.ReadUInt64BigEndian(spi.AsSpan(8)) == ResponderCookie))
                    {
                        ChildConfig[] restart = _children.Where(c => !c.Superseded).Select(c => c.Config).Where(c => c.CloseAction == CloseAction.Start).Distinct().ToArray();
                        Remove(now, "deleted by peer", byPeer: true);
                        _v1.Main.RestartClosed(now, restart);
                        return;
                    }
                    break;
                case DeletePayload d when d.Protocol is IsakmpProtocolId.IpsecEsp or IsakmpProtocolId.IpsecAh:
                    foreach (uint spi in d.Spis32)
                    {
                        // ESP and AH SPIs are separate spaces: the protocol must be the SA's too.
                        if (_children.FirstOrDefault(c => c.OutboundSpi == spi && c.IsAh == (d.Protocol == IsakmpProtocolId.IpsecAh)) is not { } child) continue;
                        bool closing = !child.Superseded;
                        RemoveChild(child, closing ? "deleted by peer" : "rekeyed", byPeer: closing);
                        if (closing) closed.Add(child.Config);
                    }
                    break;
            }
        }
        _v1.Main.RestartClosed(now, closed.Where(c => c.CloseAction == CloseAction.Start).Distinct().ToArray());
    }

    private void HandleNotify(DateTimeOffset now, NotificationPayload n)
    {
        switch (n.NotifyType)
        {
            case NotifyMessageType.RUThere:
                // RFC 3706 §5.3: the ACK echoes the sequence number.
                SendInformational(now, [NotificationPayload.ForIsakmpSa(NotifyMessageType.RUThereAck, InitiatorCookie, ResponderCookie, n.Data)]);
                break;
            case NotifyMessageType.RUThereAck:
                if (n.Data.Length == 4 && _dpdOutstanding is { } seq && BinaryPrimitives.ReadUInt32BigEndian(n.Data) == seq) _dpdOutstanding = null;
                break;
            case NotifyMessageType.InitialContact:
                HandleInitialContact(now);
                break;
            case NotifyMessageType.ResponderLifetime or NotifyMessageType.Connected or NotifyMessageType.ReplayStatus:
                break;
            default:
                Ikev1Log.PeerError(Log, Name, Uid, n.NotifyType.RfcName(), "Informational");
                // The peer refused a Quick Mode of ours: fail it now rather than after the retransmissions.
                QuickMode? q = n.Spi.Length == 4 ? _quickModes.Values.FirstOrDefault(x => x.Initiator && !x.Done && x.LocalSpi == BinaryPrimitives.ReadUInt32BigEndian(n.Spi)) : null;
                q ??= _quickModes.Values.Where(x => x.Initiator && !x.Done).ToArray() is { Length: 1 } only ? only[0] : null;
                if (q is not null && n.NotifyType.IsError())
                {
                    _quickModes.Remove(q.MessageId);
                    q.Dispose();
                    QuickModeFailed(now, q, $"peer answered {n.NotifyType.RfcName()}");
                }
                break;
        }
    }

    /// <summary>
    /// An unprotected notify is believed only during phase 1, when the peer may have no keys to protect it with: it
    /// ends a phase 1 we initiated. Afterwards anyone could have sent it.
    /// </summary>
    private void HandleUnprotectedNotify(DateTimeOffset now, IsakmpHeader header, ReadOnlySpan<byte> datagram, IPEndPoint remote)
    {
        if (!IsakmpMessage.TryDecode(datagram, header, null, default, out IsakmpMessage? message, out _, out ParseError error))
        {
            Dropped(header, remote, error.ToString());
            return;
        }
        NotificationPayload? n = message!.Get<NotificationPayload>();
        if (n is null || !n.NotifyType.IsError() || State == IsakmpSaState.Established)
        {
            Dropped(header, remote, "unprotected Informational" + (State == IsakmpSaState.Established ? " after phase 1 completed" : ""));
            return;
        }
        PhaseOneRefused(now, n);
    }

    /// <summary>The peer ended phase 1 with an error notify: one line saying what it means, and the SA goes.</summary>
    private void PhaseOneRefused(DateTimeOffset now, NotificationPayload n)
    {
        if (n.NotifyType == NotifyMessageType.AuthenticationFailed)
            IkeLog.WeWereRefused(Log, Name, Uid, LocalId?.ToString() ?? "-");
        else if (n.NotifyType == NotifyMessageType.NoProposalChosen)
            IkeLog.PeerChoseNoProposal(Log, Name, Uid, Ikev1Proposals.Describe(_choices.Count > 0 ? _choices : Ikev1Proposals.Phase1(Connection.Proposals)));
        else
            Ikev1Log.PeerError(Log, Name, Uid, n.NotifyType.RfcName(), _exchangeName);
        if (IsInitiator || State == IsakmpSaState.Connecting) Remove(now, $"peer sent {n.NotifyType.RfcName()}");
    }

    /// <summary>INITIAL-CONTACT: the peer restarted, so our other ISAKMP SAs with it (and their Quick Mode SAs) are stale.</summary>
    private void HandleInitialContact(DateTimeOffset now)
    {
        // Behind XAUTH the stale SAs are those of the same user, known only once XAUTH passed.
        if (State != IsakmpSaState.Established || Connection.RemoteXauth is not null && XauthUser is null) { _initialContactReceived = true; return; }
        foreach (IsakmpSa stale in _v1.OthersWithPeer(this).ToArray())
        {
            Ikev1Log.InitialContact(Log, Name, Uid, RemoteId?.ToString() ?? "-", stale.Uid);
            stale.Remove(now, "stale after the peer's INITIAL-CONTACT");
        }
    }

    /// <summary>Sends DELETE for every Quick Mode SA and the ISAKMP SA, then removes it (DELETE is not acknowledged in IKEv1).</summary>
    internal void Delete(DateTimeOffset now, string reason)
    {
        if (State == IsakmpSaState.Deleted) return;
        if (State == IsakmpSaState.Established)
        {
            // One DELETE per protocol: its SPIs share the Protocol-Id (RFC 2408 §3.15).
            foreach (IGrouping<bool, ChildSa> byProtocol in _children.GroupBy(c => c.IsAh))
                SendInformational(now, [DeletePayload.ForIpsec(ProtocolOf(byProtocol.First()), byProtocol.Select(c => c.InboundSpi))]);
            SendInformational(now, [DeletePayload.ForIsakmpSa(InitiatorCookie, ResponderCookie)]);
        }
        Remove(now, reason);
    }

    /// <summary>Sends DELETE for one Quick Mode SA and removes it.</summary>
    internal void DeleteChild(DateTimeOffset now, ChildSa child, string reason)
    {
        if (child.State == ChildSaState.Deleted) return;
        SendInformational(now, [DeletePayload.ForIpsec(ProtocolOf(child), [child.InboundSpi])]);
        RemoveChild(child, reason);
    }

    /// <summary>The Protocol-Id of a Quick Mode SA: PROTO_IPSEC_AH or PROTO_IPSEC_ESP.</summary>
    private static IsakmpProtocolId ProtocolOf(ChildSa child) => child.IsAh ? IsakmpProtocolId.IpsecAh : IsakmpProtocolId.IpsecEsp;
}
