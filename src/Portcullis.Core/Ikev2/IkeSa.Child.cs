using System.Buffers.Binary;
using System.Net;
using Portcullis.Core.Config;
using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Kdf;
using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Ikev2.Wire;
using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Ikev2;

/// <summary>CHILD SAs: negotiation shared by IKE_AUTH and CREATE_CHILD_SA (RFC 7296 §1.3, §2.9, §2.17).</summary>
public sealed partial class IkeSa
{
    private static byte[] SpiBytes(uint spi)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, spi);
        return b;
    }

    /// <summary>The configured local selectors, or the IKE address for <c>dynamic</c>.</summary>
    private IReadOnlyList<TrafficSelector> LocalSelectors(ChildConfig child)
    {
        if (child.LocalTs.Count > 0) return child.LocalTs;
        // dynamic with virtual IPs: the assigned ones, or while asking for them, any address of the family (the
        // responder narrows to what it assigns).
        if (LocalVirtualIps.Count > 0) return LocalVirtualIps.Select(child.LocalDynamic.For).ToArray();
        if (Connection?.Vips.Count > 0)
            return Connection.Vips.Select(v => v.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? TrafficSelector.AnyV4 : TrafficSelector.AnyV6).Distinct().ToArray();
        return [child.LocalDynamic.For(LocalEndpoint.Address)];
    }

    /// <summary>The configured remote selectors, or the peer's IKE address for <c>dynamic</c>.</summary>
    private IReadOnlyList<TrafficSelector> RemoteSelectors(ChildConfig child) =>
        child.RemoteTs.Count > 0 ? child.RemoteTs
        : RemoteVirtualIps.Count > 0 ? RemoteVirtualIps.Select(child.RemoteDynamic.For).ToArray()
        : [child.RemoteDynamic.For(RemoteEndpoint.Address)];

    private static List<TrafficSelector> Narrow(IReadOnlyList<TrafficSelector> offered, IReadOnlyList<TrafficSelector> allowed)
    {
        var result = new List<TrafficSelector>();
        foreach (TrafficSelector o in offered)
            foreach (TrafficSelector a in allowed)
                if (o.Intersect(a) is { } n && !result.Contains(n)) result.Add(n);
        return result;
    }

    /// <summary>
    /// Transport mode through a NAT (RFC 7296 §2.23.1): the selectors name each host's own address, which the NAT
    /// changed, so both sides read them as the IKE SA's addresses (ours as we see it, the peer's as we see it) before
    /// matching, as strongSwan does ("changing received traffic selectors … due to NAT"); protocol and ports stay.
    /// </summary>
    private bool TransportThroughNat(ChildConfig child, IkeMessage message) =>
        child.Mode == ChildMode.Transport && (LocalBehindNat || RemoteBehindNat) && message.Notify(NotifyType.UseTransportMode) is not null;

    /// <summary>
    /// Transport mode protects the hosts' own packets, so every selector must be the host itself (after the NAT
    /// substitution above): with others strongSwan uses tunnel mode ("not using transport mode, not host-to-host").
    /// </summary>
    private bool HostToHost(IReadOnlyList<TrafficSelector> local, IReadOnlyList<TrafficSelector> remote)
    {
        static bool Is(IReadOnlyList<TrafficSelector> list, IPAddress host) =>
            list.Count > 0 && list.All(ts => ts.StartAddress.Equals(host) && ts.EndAddress.Equals(host));
        return Is(local, LocalEndpoint.Address) && Is(remote, RemoteEndpoint.Address);
    }

    /// <summary>Whether an initiator asks for transport mode: configured, and the selectors it proposes are the hosts.</summary>
    private bool AsksTransportMode(ChildConfig child, IReadOnlyList<TrafficSelector> tsI, IReadOnlyList<TrafficSelector> tsR)
    {
        if (child.Mode != ChildMode.Transport) return false;
        if (HostToHost(tsI, tsR)) return true;
        IkeLog.TransportModeNotUsed(Log, Name, Uid, child.Name, $"not host-to-host ({string.Join(",", tsI)} === {string.Join(",", tsR)})");
        return false;
    }

    private static bool Within(IReadOnlyList<TrafficSelector> returned, IReadOnlyList<TrafficSelector> proposed) =>
        returned.Count > 0 && returned.All(r => proposed.Any(p => p.Covers(r)));

    // --- Initiator of CREATE_CHILD_SA ---

    private void InitiateChild(DateTimeOffset now, ChildConfig child)
    {
        if (RefuseAhAcrossNat(child)) return;
        uint spi = 0;
        byte[] nonce = [];
        IKeyExchange? ke = null;
        IReadOnlyList<TrafficSelector> tsI = [], tsR = [];
        Request(now, ExchangeType.CreateChildSa, _ =>
        {
            spi = _engine.AllocateEspSpi();
            nonce = _engine.RandomBytes(32);
            tsI = LocalSelectors(child);
            tsR = RemoteSelectors(child);
            var payloads = new List<Payload>();
            if (AsksTransportMode(child, tsI, tsR)) payloads.Add(NotifyPayload.Of(NotifyType.UseTransportMode));
            payloads.Add(new SaPayload(ProposalMatcher.ToWire(child.ChildProposals, ChildProtocol(child), SpiBytes(spi))));
            payloads.Add(new NoncePayload(nonce));
            KeyExchangeTransform? group = child.ChildProposals.SelectMany(p => p.KeyExchange).FirstOrDefault();
            if (group is not null)
            {
                ke = group.CreateInitiator();
                payloads.Add(new KePayload(group.Id, ke.PublicValue));
            }
            payloads.Add(new TsPayload(PayloadType.TrafficSelectorInitiator, tsI));
            payloads.Add(new TsPayload(PayloadType.TrafficSelectorResponder, tsR));
            return payloads;
        },
        (t, response) =>
        {
            using IKeyExchange? exchange = ke;
            if (response.ErrorNotify is { } error)
            {
                ChildFailed(child.Name, $"peer answered {error.NotifyType.RfcName()}");
                return;
            }
            NoncePayload? nr = response.Get<NoncePayload>();
            if (nr is null)
            {
                ChildFailed(child.Name, "CREATE_CHILD_SA response without Nonce");
                return;
            }
            SecretBuffer? shared = null;
            try
            {
                if (exchange is not null)
                {
                    KePayload? ker = response.Get<KePayload>();
                    if (ker is null || exchange.Complete(ker.Data, out shared) != KeyExchangeError.None)
                    {
                        ChildFailed(child.Name, "missing or invalid KE payload in CREATE_CHILD_SA response");
                        return;
                    }
                }
                string? problem = CreateInitiatedChild(t, child, response, spi, tsI, tsR, shared is null ? ReadOnlySpan<byte>.Empty : shared.ReadOnlySpan,
                    nonce, nr.Nonce, ignoreKeyExchange: false, out ChildSa? created);
                if (problem is not null) ChildFailed(child.Name, problem);
                else Install(created!);
            }
            finally
            {
                shared?.Dispose();
            }
        }, RequestKind.ChildCreate);
    }

    /// <summary>Checks the responder's choice against what was offered and builds the CHILD SA (not yet installed); returns a problem or null.</summary>
    private string? CreateInitiatedChild(DateTimeOffset now, ChildConfig child, IkeMessage response, uint inboundSpi,
        IReadOnlyList<TrafficSelector> tsI, IReadOnlyList<TrafficSelector> tsR, ReadOnlySpan<byte> sharedSecret, ReadOnlySpan<byte> nonceI, ReadOnlySpan<byte> nonceR,
        bool ignoreKeyExchange, out ChildSa? created)
    {
        created = null;
        SaPayload? sa = response.Get<SaPayload>();
        TsPayload? rtsI = response.Get<TsPayload>(PayloadType.TrafficSelectorInitiator);
        TsPayload? rtsR = response.Get<TsPayload>(PayloadType.TrafficSelectorResponder);
        if (sa is null || rtsI is null || rtsR is null) return "response lacks SA, TSi or TSr";
        if (sa.Proposals.Count != 1) return $"response has {sa.Proposals.Count} proposals, must have exactly one";
        NegotiatedProposal? chosen = ProposalMatcher.Select(child.ChildProposals, sa.Proposals, ChildProtocol(child), ignoreKeyExchange, out string? mismatch);
        if (chosen is null) return $"peer selected {ProposalMatcher.Describe(sa.Proposals)}, which we did not offer ({mismatch})";
        if (chosen.Spi.Length != 4) return $"peer's {(child.UsesAh ? "AH" : "ESP")} SPI has {chosen.Spi.Length} bytes";
        IReadOnlyList<TrafficSelector> returnedI = rtsI.Selectors, returnedR = rtsR.Selectors;
        if (TransportThroughNat(child, response))
        {
            (returnedI, tsI) = (TransportModePacket.HostSelectors(returnedI, LocalEndpoint.Address), TransportModePacket.HostSelectors(tsI, LocalEndpoint.Address));
            (returnedR, tsR) = (TransportModePacket.HostSelectors(returnedR, RemoteEndpoint.Address), TransportModePacket.HostSelectors(tsR, RemoteEndpoint.Address));
        }
        if (!Within(returnedI, tsI) || !Within(returnedR, tsR))
            return $"peer narrowed the traffic selectors to {string.Join(",", rtsI.Selectors)} === {string.Join(",", rtsR.Selectors)}, outside what we proposed";
        created = CreateChild(now, child, chosen, inboundSpi, chosen.Spi32, returnedI, returnedR, sharedSecret, nonceI, nonceR, exchangeInitiator: true);
        // Without USE_TRANSPORT_MODE in the answer the SA is a tunnel (RFC 7296 §1.3.1), whatever we asked for.
        if (created.Mode == ChildMode.Transport && response.Notify(NotifyType.UseTransportMode) is null)
        {
            created.Mode = ChildMode.Tunnel;
            if (HostToHost(returnedI, returnedR)) IkeLog.TransportModeNotUsed(Log, Name, Uid, child.Name, "the peer did not accept it (no USE_TRANSPORT_MODE)");
        }
        return null;
    }

    // --- Responder (IKE_AUTH and CREATE_CHILD_SA) ---

    /// <summary>
    /// The PFS step of CREATE_CHILD_SA on the proposal RespondChild selected: the shared secret, or the notify that
    /// refuses the request.
    /// </summary>
    private delegate NotifyPayload? ChildKeyExchange(NegotiatedProposal chosen, out SecretBuffer? shared);

    /// <summary>
    /// Picks a child configuration by traffic selectors, an ESP proposal, narrows the selectors and builds the CHILD
    /// SA; returns it (not yet installed) with the payloads of the response, or null with an error notify.
    /// </summary>
    private (ChildSa? Child, List<Payload> Payloads) RespondChild(DateTimeOffset now, IkeMessage request,
        ReadOnlySpan<byte> nonceI, ReadOnlySpan<byte> nonceR, bool ignoreKeyExchange, ChildKeyExchange? keyExchange = null,
        IReadOnlyList<ChildConfig>? candidates = null)
    {
        SaPayload? sa = request.Get<SaPayload>();
        TsPayload? tsI = request.Get<TsPayload>(PayloadType.TrafficSelectorInitiator);
        TsPayload? tsR = request.Get<TsPayload>(PayloadType.TrafficSelectorResponder);
        if (sa is null || tsI is null || tsR is null)
            return (null, [NotifyPayload.Of(NotifyType.InvalidSyntax)]);

        // The child configured with exactly the proposed selectors wins, then one that takes them without narrowing,
        // then the first that overlaps at all (two children may overlap, e.g. a host pair inside a subnet pair).
        ChildConfig? matched = null;
        List<TrafficSelector> narrowedI = [], narrowedR = [];
        int best = -1;
        foreach (ChildConfig candidate in candidates ?? Connection!.Children)
        {
            bool nat = TransportThroughNat(candidate, request);
            IReadOnlyList<TrafficSelector> offeredI = nat ? TransportModePacket.HostSelectors(tsI.Selectors, RemoteEndpoint.Address) : tsI.Selectors;
            IReadOnlyList<TrafficSelector> offeredR = nat ? TransportModePacket.HostSelectors(tsR.Selectors, LocalEndpoint.Address) : tsR.Selectors;
            List<TrafficSelector> i = Narrow(offeredI, RemoteSelectors(candidate));
            List<TrafficSelector> r = Narrow(offeredR, LocalSelectors(candidate));
            if (i.Count == 0 || r.Count == 0) continue;
            int score = (i.SequenceEqual(offeredI) ? 1 : 0) + (r.SequenceEqual(offeredR) ? 1 : 0)
                + (RemoteSelectors(candidate).SequenceEqual(offeredI) && LocalSelectors(candidate).SequenceEqual(offeredR) ? 2 : 0);
            if (score <= best) continue;
            (matched, narrowedI, narrowedR, best) = (candidate, i, r, score);
        }
        if (matched is null)
        {
            IkeLog.ChildSaFailed(Log, Name, Uid, "-", $"traffic selectors {string.Join(",", tsI.Selectors)} === {string.Join(",", tsR.Selectors)} match no child of the connection; sending TS_UNACCEPTABLE");
            return (null, [NotifyPayload.Of(NotifyType.TsUnacceptable)]);
        }
        ProtocolId protocol = ChildProtocol(matched);
        if (matched.UsesAh && UdpEncapsulation)
        {
            // AH authenticates the IP addresses a NAT rewrites, and has no UDP encapsulation (RFC 3948 is ESP only).
            IkeLog.AhAcrossNatRefused(Log, Name, Uid, matched.Name, NatReason(), "sending NO_PROPOSAL_CHOSEN");
            return (null, [NotifyPayload.Of(NotifyType.NoProposalChosen)]);
        }
        NegotiatedProposal? chosen = ProposalMatcher.Select(matched.ChildProposals, sa.Proposals, protocol, ignoreKeyExchange, out string? mismatch);
        if (chosen is null || chosen.Spi.Length != 4)
        {
            IkeLog.NoProposalChosen(Log, Name, Uid, ProposalMatcher.Describe(sa.Proposals), ProposalMatcher.Describe(matched.ChildProposals), (matched.UsesAh ? "AH " : "ESP ") + (mismatch ?? "SPI"),
                ProposalMatcher.ExplainMismatch(Name, matched.ChildProposals, Connection!.Compat, sa.Proposals, protocol, ignoreKeyExchange));
            return (null, [NotifyPayload.Of(NotifyType.NoProposalChosen)]);
        }
        SecretBuffer? shared = null;
        if (keyExchange?.Invoke(chosen, out shared) is { } keError) return (null, [keError]);
        uint spi = _engine.AllocateEspSpi();
        ChildSa child;
        using (shared)
            child = CreateChild(now, matched, chosen, spi, chosen.Spi32, narrowedR, narrowedI, shared is null ? default : shared.ReadOnlySpan, nonceI, nonceR, exchangeInitiator: false);
        var payloads = new List<Payload>();
        // Transport mode only when both ask for it and the selectors are the hosts; otherwise a tunnel (RFC 7296 §1.3.1).
        if (child.Mode == ChildMode.Transport)
        {
            bool asked = request.Notify(NotifyType.UseTransportMode) is not null;
            if (asked && HostToHost(narrowedR, narrowedI)) payloads.Add(NotifyPayload.Of(NotifyType.UseTransportMode));
            else
            {
                child.Mode = ChildMode.Tunnel;
                IkeLog.TransportModeNotUsed(Log, Name, Uid, matched.Name, asked ? $"not host-to-host ({string.Join(",", narrowedR)} === {string.Join(",", narrowedI)})" : "the peer did not ask for it");
            }
        }
        payloads.Add(new SaPayload([chosen.ToWire(SpiBytes(spi))]));
        payloads.Add(new TsPayload(PayloadType.TrafficSelectorInitiator, narrowedI));
        payloads.Add(new TsPayload(PayloadType.TrafficSelectorResponder, narrowedR));
        return (child, payloads);
    }

    private ChildSa CreateChild(DateTimeOffset now, ChildConfig config, NegotiatedProposal proposal, uint inboundSpi, uint outboundSpi,
        IReadOnlyList<TrafficSelector> local, IReadOnlyList<TrafficSelector> remote, ReadOnlySpan<byte> sharedSecret,
        ReadOnlySpan<byte> nonceI, ReadOnlySpan<byte> nonceR, bool exchangeInitiator)
    {
        int length = 2 * ((proposal.Encryption?.KeyMaterialSize ?? 0) + (proposal.Integrity?.KeySize ?? 0));
        using SecretBuffer keymat = Ikev2KeyDerivation.ChildSaKeyMaterial(Proposal!.Prf!, Keys!.SkD.ReadOnlySpan, sharedSecret, nonceI, nonceR, length);
        // KEYMAT is taken i→r first, where i is the initiator of this exchange (RFC 7296 §2.17).
        var child = new ChildSa(_engine.NextUid(), this, config, proposal, inboundSpi, outboundSpi, local, remote, keymat, exchangeInitiator, now)
        {
            NonceI = nonceI.ToArray(),
            NonceR = nonceR.ToArray(),
            // The initiator of the exchange sends on the new SA at once; a responder waits (see ChildSa.OutboundActive).
            OutboundActive = exchangeInitiator,
        };
        ScheduleChildLifetimes(child, now);
        return child;
    }

    /// <summary>ESP or AH, as the child's configuration asks.</summary>
    private static ProtocolId ChildProtocol(ChildConfig child) => child.UsesAh ? ProtocolId.Ah : ProtocolId.Esp;

    /// <summary>Why this IKE SA's CHILD SAs go in UDP, for the line refusing AH.</summary>
    private string NatReason() =>
        LocalBehindNat && RemoteBehindNat ? "NAT detected on both sides" : LocalBehindNat ? "we are behind a NAT" : RemoteBehindNat ? "the peer is behind a NAT" : "encap = yes forces UDP encapsulation";

    /// <summary>
    /// An initiator never proposes AH across a NAT (or with forced UDP encapsulation): AH cannot pass one. Logs the
    /// error and reports the child failed; true when it must not be proposed.
    /// </summary>
    private bool RefuseAhAcrossNat(ChildConfig child)
    {
        if (!child.UsesAh || !UdpEncapsulation) return false;
        IkeLog.AhAcrossNatNotProposed(Log, Name, Uid, child.Name, NatReason());
        _engine.Emit(new ChildSaFailed(this, child.Name, $"AH cannot cross a NAT ({NatReason()})"));
        return true;
    }

    private void ChildFailed(string child, string reason)
    {
        IkeLog.ChildSaFailed(Log, Name, Uid, child, reason);
        _engine.Emit(new ChildSaFailed(this, child, reason));
    }

    private void Install(ChildSa child)
    {
        // Reauthentication: a CHILD SA of the new IKE SA takes over from its namesake on the old one, as a rekey would.
        if (child.Replaces is null && _reauthOf?.Children.FirstOrDefault(c => c.Name == child.Name && c.ReplacedBy is null && c.State == ChildSaState.Installed) is { } predecessor)
        {
            child.Replaces = predecessor;
            predecessor.ReplacedBy = child;
        }
        if (child.Replaces is null) child.OutboundActive = true;
        _children.Add(child);
        IkeLog.ChildSaEstablished(Log, Name, Uid, child.Name, child.Uid, child.InboundSpi, child.OutboundSpi,
            string.Join(",", child.LocalTs), string.Join(",", child.RemoteTs), child.Proposal.ToString(), child.IsAh ? "AH" : child.UdpEncapsulation ? "UDP-encapsulated" : "plain ESP");
        _engine.Emit(new ChildSaInstalled(child));
    }

    private void HandleCreateChildSaRequest(DateTimeOffset now, IkeMessage request, IPEndPoint local, IPEndPoint remote)
    {
        uint id = request.Header.MessageId;
        SaPayload? sa = request.Get<SaPayload>();
        if (sa?.Proposals.Any(p => p.Protocol == ProtocolId.Ike) == true)
        {
            HandleIkeRekeyRequest(now, request, sa, local, remote);
            return;
        }
        NotifyPayload? rekey = request.Notify(NotifyType.RekeySa);
        ChildSa? old = null;
        if (rekey is not null)
        {
            old = FindChildToRekey(rekey, id, local, remote);
            if (old is null) return;
        }
        else if (IkeRekeyInProgress)
        {
            // RFC 7296 §2.25.2: no new CHILD SAs while this IKE SA is being rekeyed; the peer retries on the new one.
            IkeLog.CollisionRefused(Log, Name, Uid, "TEMPORARY_FAILURE", "CREATE_CHILD_SA", "we are rekeying the IKE_SA");
            Respond(ExchangeType.CreateChildSa, id, [NotifyPayload.Of(NotifyType.TemporaryFailure)], local, remote);
            return;
        }
        NoncePayload? ni = request.Get<NoncePayload>();
        if (sa is null || ni is null)
        {
            Respond(ExchangeType.CreateChildSa, id, [NotifyPayload.Of(NotifyType.InvalidSyntax)], local, remote);
            return;
        }
        byte[] nr = _engine.RandomBytes(32);
        KePayload? kei = request.Get<KePayload>();
        IKeyExchange? ke = null;
        try
        {
            (ChildSa? child, List<Payload> payloads) = RespondChild(now, request, ni.Nonce, nr, ignoreKeyExchange: kei is null,
                (NegotiatedProposal chosen, out SecretBuffer? shared) =>
                {
                    shared = null;
                    if (chosen.KeyExchange is not { } group || kei is null) return null;
                    if (kei.Group != group.Id)
                    {
                        var data = new byte[2];
                        BinaryPrimitives.WriteUInt16BigEndian(data, group.Id);
                        return new NotifyPayload(NotifyType.InvalidKePayload, data);
                    }
                    ke = group.CreateResponder();
                    return ke.Respond(kei.Data, out shared) == KeyExchangeError.None ? null : NotifyPayload.Of(NotifyType.InvalidSyntax);
                }, old is null ? null : [old.Config]);
            if (child is null)
            {
                Respond(ExchangeType.CreateChildSa, id, payloads, local, remote);
                return;
            }
            // SA, Nr, [KEr], TSi, TSr (RFC 7296 §1.3.1).
            var response = new List<Payload>(payloads);
            int after = response.FindIndex(p => p is SaPayload) + 1;
            response.Insert(after, new NoncePayload(nr));
            if (ke is not null) response.Insert(after + 1, new KePayload(child.Proposal.KeyExchange!.Id, ke.PublicValue));
            if (old is not null) AcceptChildRekey(old, child);
            Respond(ExchangeType.CreateChildSa, id, response, local, remote);
            Install(child);
        }
        finally
        {
            ke?.Dispose();
        }
    }
}
