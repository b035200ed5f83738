using System.Net;
using Portcullis.Core.Config;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ikev2;

/// <summary>INFORMATIONAL (RFC 7296 §1.4): DELETE of CHILD SAs and the IKE SA, liveness checks, error notifies.</summary>
public sealed partial class IkeSa
{
    private void HandleInformationalRequest(DateTimeOffset now, IkeMessage request, IPEndPoint local, IPEndPoint remote)
    {
        var response = new List<Payload>();
        var closed = new List<ChildConfig>();
        bool deleteIke = false;
        foreach (DeletePayload delete in request.Payloads.OfType<DeletePayload>())
        {
            if (delete.Protocol == ProtocolId.Ike) { deleteIke = true; continue; }
            var ours = new List<uint>();
            foreach (uint spi in delete.Spis)
            {
                // The CHILD SA may have moved to the IKE SA that replaced this one (RFC 7296 §1.4), or, after a
                // simultaneous IKE SA rekey the peer has not resolved yet, to the other new IKE SA with the same peer.
                ChildSa? child = _children.FirstOrDefault(c => c.OutboundSpi == spi)
                    ?? _rekeyedBy?.Children.FirstOrDefault(c => c.OutboundSpi == spi)
                    ?? SamePeerChild(spi);
                // ESP and AH SPIs are separate spaces (RFC 7296 §3.11): a DELETE names the protocol too.
                if (child is null || child.Protocol != delete.Protocol) continue;
                // A simultaneous delete (our DELETE crossed theirs) lists nothing in return (RFC 7296 §1.4.1).
                if (child.State != ChildSaState.Deleting) ours.Add(child.InboundSpi);
                IkeSa owner = child.IkeSa;
                // The peer finished rekeying it: its successor now carries our outbound traffic too (make-before-break).
                if (child.ReplacedBy is { } successor) owner.ActivateOutbound(successor);
                bool closing = !child.Superseded && !child.IsRedundant;
                owner.RemoveChild(child, closing ? "deleted by peer" : child.Superseded ? "rekeyed" : "redundant after a simultaneous rekey", byPeer: closing);
                if (closing) closed.Add(child.Config);
            }
            if (ours.Count > 0) response.Add(new DeletePayload(delete.Protocol, ours));
        }
        foreach (NotifyPayload n in request.Payloads.OfType<NotifyPayload>().Where(n => n.NotifyType.IsError()))
            IkeLog.PeerError(Log, Name, Uid, "INFORMATIONAL", n.NotifyType.RfcName());

        if (deleteIke)
        {
            Respond(ExchangeType.Informational, request.Header.MessageId, [], local, remote);
            ReturnChildrenIfRedundantSuccessor(now);
            ChildConfig[] restart = _children.Select(c => c.Config).Where(c => c.CloseAction == CloseAction.Start).Distinct().ToArray();
            Remove(now, "deleted by peer", byPeer: true);
            _engine.RestartClosed(now, restart);
            return;
        }
        HandleMobikeRequest(now, request, local, remote, response);
        // An empty request is a liveness check: the empty response is the answer.
        Respond(ExchangeType.Informational, request.Header.MessageId, response, local, remote);
        _engine.RestartClosed(now, closed.Where(c => c.CloseAction == CloseAction.Start).Distinct().ToArray());
    }

    /// <summary>
    /// A CHILD SA with this outbound SPI on another IKE SA of the same connection and peer: SPIs are the peer's and
    /// unique at its end, so the pair names one SA whichever of the peer's IKE SAs the DELETE came on.
    /// </summary>
    private ChildSa? SamePeerChild(uint spi) =>
        _engine.IkeSas.Where(s => s != this && s.Connection == Connection && s.RemoteEndpoint.Equals(RemoteEndpoint) && s.State != IkeSaState.Deleted)
            .SelectMany(s => s.Children).FirstOrDefault(c => c.OutboundSpi == spi);

    /// <summary>Sends DELETE for the IKE SA (and so every CHILD SA); removes it when answered or given up on.</summary>
    internal void Delete(DateTimeOffset now, string reason)
    {
        _engine.Touch(this);
        if (State is IkeSaState.Deleted or IkeSaState.Deleting) return;
        if (State != IkeSaState.Established)
        {
            Remove(now, reason);
            return;
        }
        State = IkeSaState.Deleting;
        _queue.Clear();
        // A request already on the wire keeps its message ID: the DELETE goes out after its response (or the SA goes
        // when its retransmissions give up). Sending the DELETE with the next ID at once would leave a hole when that
        // request was lost, and the peer (window size 1) would drop the DELETE and everything after it.
        Request(now, ExchangeType.Informational, _ => [new DeletePayload(ProtocolId.Ike, [])], (t, _) => Remove(t, reason), RequestKind.IkeDelete);
    }

    /// <summary>Sends DELETE for one CHILD SA.</summary>
    internal void DeleteChild(DateTimeOffset now, ChildSa child, string reason)
    {
        _engine.Touch(this);
        if (child.State != ChildSaState.Installed) return;
        // An IKE SA rekey may have moved it on (a late CREATE_CHILD_SA response): its current IKE SA sends the DELETE.
        if (child.Owner is IkeSa owner && owner != this)
        {
            owner.DeleteChild(now, child, reason);
            return;
        }
        child.State = ChildSaState.Deleting;
        child.DeleteReason = reason;
        Request(now, ExchangeType.Informational, _ => [new DeletePayload(child.Protocol, [child.InboundSpi])],
            (_, _) => child.IkeSa.RemoveChild(child, reason), RequestKind.ChildDelete);
    }
}
