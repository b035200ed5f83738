using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using Portcullis.Core.Config;
using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Kdf;
using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Ikev1.Wire;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Ipsec;
using ParseError = Portcullis.Core.Ikev2.Wire.ParseError;

namespace Portcullis.Core.Ikev1;

/// <summary>
/// Quick Mode (RFC 2409 §5.5): HASH(1), SA, Ni [, KE] [, IDci, IDcr] [, NAT-OA]; the answer with HASH(2) and Nr; the
/// initiator's HASH(3). Each Quick Mode has its own message ID and IV chain. The initiator installs its SAs on
/// message 2, the responder on message 3, through the same events as IKEv2's CHILD SAs.
/// </summary>
public sealed partial class IsakmpSa
{
    private readonly Dictionary<uint, QuickMode> _quickModes = [];
    private readonly HashSet<uint> _usedMessageIds = [];

    /// <summary>How long a finished Quick Mode is kept to answer a repeat of the peer's last message.</summary>
    private static readonly TimeSpan QuickModeLinger = TimeSpan.FromSeconds(60);

    /// <summary>The RFC 2407 §4.5 default lifetime of an IPsec SA when the initiator proposes none: 8 hours.</summary>
    private static readonly TimeSpan DefaultIpsecLifetime = TimeSpan.FromHours(8);

    /// <summary>
    /// An exchange of phase 2 (Quick Mode) or after phase 1 (Transaction): its own message ID, and its own IV chain
    /// that starts from the last phase 1 block and the message ID (RFC 2409 Appendix B).
    /// </summary>
    private abstract class Phase2Exchange : Exchange
    {
        public required uint MessageId;
        public required bool Initiator;
        public byte[] Iv = [];
        public bool Done;
        public DateTimeOffset LingerUntil;
    }

    private sealed class QuickMode : Phase2Exchange, IDisposable
    {
        public ChildConfig? Config;
        public ChildSa? Replaces;
        public byte[] Ni = [], Nr = [];
        public uint LocalSpi;
        public IKeyExchange? Ke;
        public List<List<Phase2Choice>> Offered = [];
        public TrafficSelector LocalTs, RemoteTs;
        public ChildSa? Pending;

        public void Dispose()
        {
            Ke?.Dispose();
            Ke = null;
        }
    }

    /// <summary>Queues a Quick Mode for <paramref name="child"/>: at once when phase 1 is up, otherwise when it is.</summary>
    internal void QueueChild(DateTimeOffset now, ChildConfig child)
    {
        if (State == IsakmpSaState.Established && _quickModesAt is null && !TransactionsPending) StartQuickMode(now, child, null);
        else _pending.Enqueue((child, null));
    }

    private static byte[] SpiBytes(uint spi)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, spi);
        return b;
    }

    private uint NewMessageId()
    {
        uint id;
        do id = _v1.RandomMessageId(); while (!_usedMessageIds.Add(id));
        return id;
    }

    /// <summary>
    /// The local selector of a child (IKEv1 carries one per side): the first configured; for <c>dynamic</c> our
    /// virtual IP (from Mode Config) or our address, with the configured protocol and port.
    /// </summary>
    private TrafficSelector LocalSelector(ChildConfig child) => LocalSelectors(child)[0];

    private TrafficSelector RemoteSelector(ChildConfig child) => RemoteSelectors(child)[0];

    private IReadOnlyList<TrafficSelector> LocalSelectors(ChildConfig c) => c.LocalTs.Count > 0 ? c.LocalTs
        : LocalVirtualIps.Count > 0 ? LocalVirtualIps.Select(c.LocalDynamic.For).ToArray()
        : [c.LocalDynamic.For(LocalEndpoint.Address)];

    /// <summary>The remote selectors of a child: <c>dynamic</c> is the virtual IP we assigned the peer, else its address.</summary>
    private IReadOnlyList<TrafficSelector> RemoteSelectors(ChildConfig c) => c.RemoteTs.Count > 0 ? c.RemoteTs
        : RemoteVirtualIps.Count > 0 ? RemoteVirtualIps.Select(c.RemoteDynamic.For).ToArray()
        : [c.RemoteDynamic.For(RemoteEndpoint.Address)];

    /// <summary>NAT-OA payloads for UDP-encapsulated transport mode (RFC 3947 §5.2): the initiator's address, then the responder's.</summary>
    private IsakmpPayload[] NatOaPayloads(bool initiator) => initiator
        ? [new NatOaPayload(LocalEndpoint.Address), new NatOaPayload(RemoteEndpoint.Address)]
        : [new NatOaPayload(RemoteEndpoint.Address), new NatOaPayload(LocalEndpoint.Address)];

    /// <summary>A message of a Quick Mode or Transaction exchange, encrypted with (and advancing) the exchange's IV.</summary>
    private byte[] EncodePhase2(Phase2Exchange x, IsakmpExchangeType exchange, List<IsakmpPayload> payloads)
    {
        LogMessage("sending", exchange, x.MessageId, payloads, LocalEndpoint, RemoteEndpoint, x.Initiator);
        return IsakmpMessage.EncodeEncrypted(Header(exchange, x.MessageId), payloads, _encryption!, x.Iv);
    }

    // --- Initiator ---

    /// <summary>Starts a Quick Mode now, whatever waits (internal so that a test can play a peer that does not wait for XAUTH).</summary>
    internal void StartQuickMode(DateTimeOffset now, ChildConfig config, ChildSa? replaces)
    {
        List<List<Phase2Choice>> offered = Ikev1Proposals.Phase2(config);
        if (offered.Count == 0)
        {
            ChildFailed(config.Name, $"no {(config.UsesAh ? "AH" : "ESP")} proposal usable with IKEv1");
            return;
        }
        if (config.UsesAh && UdpEncapsulation)
        {
            // AH authenticates the IP addresses a NAT rewrites, and has no UDP encapsulation (RFC 3948 is ESP only).
            IkeLog.AhAcrossNatNotProposed(Log, Name, Uid, config.Name, NatReason());
            if (replaces is not null) replaces.RekeyAt = null;
            _v1.Main.Emit(new ChildSaFailed(this, config.Name, $"AH cannot cross a NAT ({NatReason()})"));
            return;
        }
        uint mid = NewMessageId();
        var q = new QuickMode
        {
            Name = "QUICK_MODE",
            MessageId = mid,
            Initiator = true,
            Config = config,
            Replaces = replaces,
            Offered = offered,
            Iv = Ikev1Hashes.Phase2Iv(Hash, _lastPhase1Block, mid, _encryption!.BlockSize),
            Ni = _v1.Main.RandomBytes(NonceSize),
            LocalSpi = _v1.Main.AllocateEspSpi(),
            LocalTs = LocalSelector(config),
            RemoteTs = RemoteSelector(config),
        };
        IdPayload? idci = IdPayload.FromTrafficSelector(q.LocalTs), idcr = IdPayload.FromTrafficSelector(q.RemoteTs);
        if (idci is null || idcr is null)
        {
            _v1.Main.ReleaseEspSpi(q.LocalSpi);
            ChildFailed(config.Name, $"traffic selectors {q.LocalTs} === {q.RemoteTs} have port ranges, which IKEv1 cannot carry");
            return;
        }
        _quickModes[mid] = q;
        KeyExchangeTransform? group = offered[0][0].Group;
        EncapsulationMode mode = Ikev1Proposals.EncapsulationFor(config.Mode, UdpEncapsulation);
        var rest = new List<IsakmpPayload>
        {
            Ikev1Proposals.Phase2Sa(offered, SpiBytes(q.LocalSpi), mode, config.EffectiveLifeTime, config.EffectiveLifeBytes),
            new NoncePayload(q.Ni),
        };
        if (group is not null)
        {
            q.Ke = group.CreateInitiator();
            rest.Add(new KePayload(q.Ke.PublicValue));
        }
        rest.Add(idci);
        rest.Add(idcr);
        if (mode == EncapsulationMode.UdpEncapsulatedTransport) rest.AddRange(NatOaPayloads(initiator: true));
        byte[] hash = Ikev1Hashes.Hash1(_choice!.Prf, _keys!.SkeyIdA.ReadOnlySpan, mid, IsakmpPayload.EncodeChain(rest));
        List<IsakmpPayload> payloads = [new HashPayload(hash), .. rest];
        if (replaces is not null) replaces.Rekeying = true;
        Send(now, q, EncodePhase2(q, IsakmpExchangeType.QuickMode, payloads), awaitReply: true);
    }

    private void HandleQuickMode(DateTimeOffset now, IsakmpHeader header, ReadOnlySpan<byte> datagram, IPEndPoint local, IPEndPoint remote)
    {
        if (!header.IsEncrypted) { Dropped(header, remote, "Quick Mode message not encrypted"); return; }
        if (_quickModes.TryGetValue(header.MessageId, out QuickMode? q))
        {
            if (IsRepeat(q, datagram, local, remote)) return;
            if (q.Done) { Dropped(header, remote, "Quick Mode already complete"); return; }
            if (!DecodePhase2(header, datagram, remote, q.Iv, out IsakmpMessage? m, out byte[] nextIv)) return;
            if (q.Initiator) QuickMode2(now, q, m!, nextIv, datagram, local, remote);
            else QuickMode3(now, q, m!, nextIv, datagram, local, remote);
            return;
        }
        if (!_usedMessageIds.Add(header.MessageId)) { Dropped(header, remote, "message ID of an earlier exchange"); return; }
        byte[] iv = Ikev1Hashes.Phase2Iv(Hash, _lastPhase1Block, header.MessageId, _encryption!.BlockSize);
        if (!DecodePhase2(header, datagram, remote, iv, out IsakmpMessage? message, out byte[] next))
        {
            _usedMessageIds.Remove(header.MessageId);
            return;
        }
        QuickMode1(now, header, message!, next, datagram, local, remote);
    }

    /// <summary>Decrypts a Quick Mode or Transaction message, which must start with its HASH payload.</summary>
    private bool DecodePhase2(IsakmpHeader header, ReadOnlySpan<byte> datagram, IPEndPoint remote, byte[] iv, out IsakmpMessage? message, out byte[] nextIv)
    {
        if (!IsakmpMessage.TryDecode(datagram, header, _encryption, iv, out message, out nextIv, out ParseError error))
        {
            Dropped(header, remote, error.ToString());
            return false;
        }
        if (message!.Payloads.Count == 0 || message.Payloads[0] is not HashPayload)
        {
            Dropped(header, remote, $"{(header.ExchangeType == IsakmpExchangeType.QuickMode ? "Quick Mode" : "Transaction")} message does not start with a HASH payload");
            return false;
        }
        return true;
    }

    private bool HashIs(IsakmpMessage message, byte[] expected)
    {
        var hash = (HashPayload)message.Payloads[0];
        return hash.Hash.Length == expected.Length && CryptographicOperations.FixedTimeEquals(hash.Hash, expected);
    }

    private void QuickMode2(DateTimeOffset now, QuickMode q, IsakmpMessage message, byte[] nextIv, ReadOnlySpan<byte> datagram, IPEndPoint local, IPEndPoint remote)
    {
        LogMessage("received", IsakmpExchangeType.QuickMode, q.MessageId, message.Payloads, local, remote, q.Initiator);
        NoncePayload? nr = message.Get<NoncePayload>();
        if (nr is null || !HashIs(message, Ikev1Hashes.Hash2(_choice!.Prf, _keys!.SkeyIdA.ReadOnlySpan, q.MessageId, q.Ni, message.AfterFirst)))
        {
            Dropped(message.Header, remote, "invalid HASH(2) or no nonce in Quick Mode message 2");
            return;
        }
        q.Iv = nextIv;
        q.LastReceived = datagram.ToArray();
        q.AwaitingReply = false;
        SaPayload? sa = message.Get<SaPayload>();
        string? problem = null;
        Phase2Offer? offer = null;
        Phase2Choice? choice = null;
        IsakmpProtocolId protocol = q.Offered[0][0].Protocol;
        string kind = protocol == IsakmpProtocolId.IpsecAh ? "AH" : "ESP";
        if (sa is null || sa.Proposals.Count != 1 || sa.Proposals[0].Transforms.Count != 1 || sa.Proposals[0].Spi.Length != 4 || sa.Proposals[0].Protocol != protocol)
            problem = $"the responder's SA must hold one {kind} proposal with one transform and a 4-byte SPI";
        else if (!Ikev1Proposals.TryDecodePhase2(sa.Proposals[0].Transforms[0], out offer, out string why, protocol))
            problem = $"the responder selected a transform we cannot use ({why})";
        else if ((choice = q.Offered.SelectMany(x => x).FirstOrDefault(c => offer!.Is(c))) is null)
            problem = $"the responder selected {Ikev1Proposals.DescribePhase2(sa)}, which we did not offer";
        else if (Ikev1Proposals.ModeOf(offer!.Mode) != q.Config!.Mode)
            problem = $"the responder chose {offer.Mode} for a {q.Config.Mode.ToString().ToLowerInvariant()} mode child";
        SecretBuffer? shared = null;
        if (problem is null && q.Ke is not null)
        {
            KePayload? ke = message.Get<KePayload>();
            if (ke is null || q.Ke.Complete(ke.Data, out shared) != KeyExchangeError.None) problem = "missing or invalid KE payload (PFS)";
        }
        if (problem is not null)
        {
            shared?.Dispose();
            _quickModes.Remove(q.MessageId);
            q.Dispose();
            QuickModeFailed(now, q, problem);
            return;
        }
        using (shared)
        {
            q.Nr = nr.Nonce.ToArray();
            (TimeSpan lifetime, ulong lifeKb) = PeerLifetimes(message, offer!, q.Config!);
            if (offer!.Mode is EncapsulationMode.UdpEncapsulatedTunnel or EncapsulationMode.UdpEncapsulatedTransport) _peerChoseUdpEncapsulation = true;
            ChildSa child = CreateChild(now, q.Config!, choice!, sa!.Proposals[0].Number, q.LocalSpi, sa.Proposals[0].Spi32, [q.LocalTs], [q.RemoteTs],
                shared is null ? default : shared.ReadOnlySpan, q.Ni, q.Nr, initiator: true, lifetime, lifeKb);
            NatOaPayload[] oa = message.All<NatOaPayload>().ToArray();
            if (oa.Length == 2)
            {
                child.RemoteOriginalAddress = oa[1].Address;
                child.LocalOriginalAddress = LocalEndpoint.Address;
            }
            byte[] hash3 = Ikev1Hashes.Hash3(_choice.Prf, _keys.SkeyIdA.ReadOnlySpan, q.MessageId, q.Ni, q.Nr);
            Send(now, q, EncodePhase2(q, IsakmpExchangeType.QuickMode, [new HashPayload(hash3)]), awaitReply: false);
            q.Done = true;
            q.LingerUntil = now + QuickModeLinger;
            q.Ke?.Dispose();
            q.Ke = null;
            if (q.Replaces is { } old)
            {
                child.Replaces = old;
                old.ReplacedBy = child;
                old.Rekeying = false;
                // Make-before-break: the peer installs the new SA when message 3 reaches it, and our packets on it could
                // get there first; the old SA carries on until the peer sends on the new one (or a moment passed).
                HoldOutbound(now, child);
            }
            Install(child);
            if (q.Replaces is { } replaced)
                IkeLog.ChildSaRekeyed(Log, Name, Uid, child.Name, replaced.Uid, child.Uid, child.InboundSpi, child.OutboundSpi, "by us");
            FinishReauthentication(now);
        }
    }

    /// <summary>
    /// The lifetimes a responder's transform and RESPONDER-LIFETIME notify leave us (RFC 2407 §4.6.3.1): the shorter
    /// of ours and the peer's.
    /// </summary>
    private (TimeSpan Lifetime, ulong LifeKilobytes) PeerLifetimes(IsakmpMessage message, Phase2Offer offer, ChildConfig config)
    {
        ulong? seconds = offer.LifeSeconds, kb = offer.LifeKilobytes;
        foreach (NotificationPayload n in message.All<NotificationPayload>().Where(n => n.NotifyType == NotifyMessageType.ResponderLifetime))
        {
            var attributes = new List<DataAttribute>();
            if (!DataAttribute.TryParseAll(n.Data, attributes, out _)) continue;
            LifeType? type = null;
            foreach (DataAttribute a in attributes)
            {
                if (a.Type == (ushort)IpsecAttributeType.SaLifeType && a.IsBasic) type = (LifeType)a.BasicValue;
                else if (a.Type == (ushort)IpsecAttributeType.SaLifeDuration && a.NumericValue is { } v)
                {
                    if (type == LifeType.Seconds) seconds = seconds is { } s ? Math.Min(s, v) : v;
                    else if (type == LifeType.Kilobytes) kb = kb is { } k ? Math.Min(k, v) : v;
                }
            }
            Ikev1Log.ResponderLifetime(Log, Name, Uid, config.Name, $"{seconds?.ToString() ?? "-"} s, {kb?.ToString() ?? "-"} KB");
        }
        return (Shorter(seconds, config.EffectiveLifeTime), ShorterKb(kb, config.EffectiveLifeBytes));
    }

    private static ulong ShorterKb(ulong? peerKb, ulong ownBytes)
    {
        ulong own = ownBytes / 1024;
        if (peerKb is not { } p || p == 0) return own;
        return own == 0 || p < own ? p : own;
    }

    private void QuickModeFailed(DateTimeOffset now, QuickMode q, string reason)
    {
        QuickModeFailedOnly(q, reason);
        FinishReauthentication(now);
    }

    private void QuickModeFailedOnly(QuickMode q, string reason)
    {
        if (q.Replaces is { } old)
        {
            old.Rekeying = false;
            old.RekeyAt = null;
        }
        _v1.Main.ReleaseEspSpi(q.LocalSpi);
        ChildFailed(q.Config?.Name ?? "-", reason);
    }

    // --- Responder ---

    private void QuickMode1(DateTimeOffset now, IsakmpHeader header, IsakmpMessage message, byte[] nextIv, ReadOnlySpan<byte> datagram, IPEndPoint local, IPEndPoint remote)
    {
        uint mid = header.MessageId;
        if (!HashIs(message, Ikev1Hashes.Hash1(_choice!.Prf, _keys!.SkeyIdA.ReadOnlySpan, mid, message.AfterFirst)))
        {
            Dropped(header, remote, "invalid HASH(1) in Quick Mode message 1");
            return;
        }
        LogMessage("received", IsakmpExchangeType.QuickMode, mid, message.Payloads, local, remote, false);
        UpdateEndpoints(now, local, remote);
        _lastInbound = now;
        SaPayload? sa = message.Get<SaPayload>();
        NoncePayload? ni = message.Get<NoncePayload>();
        IdPayload[] ids = message.All<IdPayload>().ToArray();
        if (sa is null || ni is null || ids.Length is not (0 or 2))
        {
            QuickModeRefused(now, "Quick Mode message 1 lacks SA or nonce, or has not two ID payloads", NotifyMessageType.PayloadMalformed);
            return;
        }
        TrafficSelector tsI = TrafficSelector.ForHost(RemoteEndpoint.Address), tsR = TrafficSelector.ForHost(LocalEndpoint.Address);
        if (ids.Length == 2 && (!ids[0].TryGetTrafficSelector(out tsI, out string? why) || !ids[1].TryGetTrafficSelector(out tsR, out why)))
        {
            QuickModeRefused(now, $"Quick Mode IDs: {why}", NotifyMessageType.InvalidIdInformation);
            return;
        }
        ChildConfig? config = FindChildConfig(tsI, tsR);
        // Behind a NAT the peer names its own private address; transport mode then means its address as we see it.
        if (config is null && RemoteBehindNat && tsI.StartAddress.Equals(tsI.EndAddress))
        {
            TrafficSelector mapped = tsI with { StartAddress = RemoteEndpoint.Address, EndAddress = RemoteEndpoint.Address };
            if ((config = FindChildConfig(mapped, tsR)) is not null) tsI = mapped;
        }
        if (config is null && LocalBehindNat && tsR.StartAddress.Equals(tsR.EndAddress))
        {
            TrafficSelector mapped = tsR with { StartAddress = LocalEndpoint.Address, EndAddress = LocalEndpoint.Address };
            if ((config = FindChildConfig(tsI, mapped)) is not null) tsR = mapped;
        }
        if (config is null)
        {
            QuickModeRefused(now, $"traffic selectors {tsI} === {tsR} match no child of the connection", NotifyMessageType.InvalidIdInformation);
            return;
        }
        if (config.UsesAh && UdpEncapsulation)
        {
            // AH authenticates the IP addresses a NAT rewrites, and has no UDP encapsulation (RFC 3948 is ESP only).
            IkeLog.AhAcrossNatRefused(Log, Name, Uid, config.Name, NatReason(), "sending NO_PROPOSAL_CHOSEN");
            SendInformational(now, [new NotificationPayload(IsakmpProtocolId.IpsecAh, NotifyMessageType.NoProposalChosen, [], [])]);
            return;
        }
        List<List<Phase2Choice>> ours = Ikev1Proposals.Phase2(config);
        Phase2Match? match = Ikev1Proposals.SelectPhase2(ours, sa, config.Mode);
        if (match is null)
        {
            Ikev1Log.NoProposalChosen(Log, Name, Uid, Ikev1Proposals.DescribePhase2(sa),
                $"{Ikev1Proposals.Describe(ours.SelectMany(x => x))} ({config.Mode.ToString().ToLowerInvariant()} mode) for CHILD_SA {config.Name}");
            SendInformational(now, [new NotificationPayload(config.UsesAh ? IsakmpProtocolId.IpsecAh : IsakmpProtocolId.IpsecEsp, NotifyMessageType.NoProposalChosen, [], [])]);
            return;
        }
        IKeyExchange? ke = null;
        SecretBuffer? shared = null;
        if (match.Choice.Group is { } group)
        {
            KePayload? kei = message.Get<KePayload>();
            ke = group.CreateResponder();
            if (kei is null || ke.Respond(kei.Data, out shared) != KeyExchangeError.None)
            {
                ke.Dispose();
                QuickModeRefused(now, "missing or invalid KE payload (PFS)", NotifyMessageType.InvalidKeyInformation);
                return;
            }
        }
        var q = new QuickMode
        {
            Name = "QUICK_MODE",
            MessageId = mid,
            Initiator = false,
            Config = config,
            Iv = nextIv,
            Ni = ni.Nonce.ToArray(),
            Nr = _v1.Main.RandomBytes(NonceSize),
            LocalSpi = _v1.Main.AllocateEspSpi(),
            LocalTs = tsR,
            RemoteTs = tsI,
            LastReceived = datagram.ToArray(),
            Ke = ke,
        };
        _quickModes[mid] = q;
        if (match.Offer.Mode is EncapsulationMode.UdpEncapsulatedTunnel or EncapsulationMode.UdpEncapsulatedTransport) _peerChoseUdpEncapsulation = true;

        TimeSpan theirs = match.Offer.LifeSeconds is { } s ? TimeSpan.FromSeconds(s) : DefaultIpsecLifetime;
        TimeSpan lifetime = Shorter((ulong)theirs.TotalSeconds, config.EffectiveLifeTime);
        ulong lifeKb = ShorterKb(match.Offer.LifeKilobytes, config.EffectiveLifeBytes);
        var rest = new List<IsakmpPayload>
        {
            new SaPayload([new ProposalPayload(match.Proposal.Number, match.Choice.Protocol, SpiBytes(q.LocalSpi), [match.Transform])]),
            new NoncePayload(q.Nr),
        };
        if (ke is not null) rest.Add(new KePayload(ke.PublicValue));
        rest.AddRange(ids);
        var lifetimeAttributes = new List<DataAttribute>();
        if (lifetime < theirs)
        {
            lifetimeAttributes.Add(DataAttribute.Basic((ushort)IpsecAttributeType.SaLifeType, (ushort)LifeType.Seconds));
            lifetimeAttributes.Add(DataAttribute.Number((ushort)IpsecAttributeType.SaLifeDuration, (ulong)lifetime.TotalSeconds));
        }
        if (lifeKb > 0 && (match.Offer.LifeKilobytes is null || lifeKb < match.Offer.LifeKilobytes))
        {
            lifetimeAttributes.Add(DataAttribute.Basic((ushort)IpsecAttributeType.SaLifeType, (ushort)LifeType.Kilobytes));
            lifetimeAttributes.Add(DataAttribute.Number((ushort)IpsecAttributeType.SaLifeDuration, lifeKb));
        }
        if (lifetimeAttributes.Count > 0)
        {
            byte[] data = new byte[lifetimeAttributes.Sum(a => a.Length)];
            int offset = 0;
            foreach (DataAttribute a in lifetimeAttributes) offset += a.Write(data.AsSpan(offset));
            rest.Add(new NotificationPayload(match.Choice.Protocol, NotifyMessageType.ResponderLifetime, SpiBytes(q.LocalSpi), data));
        }
        if (match.Offer.Mode == EncapsulationMode.UdpEncapsulatedTransport) rest.AddRange(NatOaPayloads(initiator: false));
        q.Pending = CreateChild(now, config, match.Choice, match.Proposal.Number, q.LocalSpi, match.Proposal.Spi32, [tsR], [tsI],
            shared is null ? default : shared.ReadOnlySpan, q.Ni, q.Nr, initiator: false, lifetime, lifeKb);
        shared?.Dispose();
        NatOaPayload[] oa = message.All<NatOaPayload>().ToArray();
        if (oa.Length == 2)
        {
            q.Pending.RemoteOriginalAddress = oa[0].Address;
            q.Pending.LocalOriginalAddress = LocalEndpoint.Address;
        }
        byte[] hash = Ikev1Hashes.Hash2(_choice.Prf, _keys.SkeyIdA.ReadOnlySpan, mid, q.Ni, IsakmpPayload.EncodeChain(rest));
        // Installed before message 2 leaves (the host applies events before it sends): the initiator sends on the
        // SA as soon as it has message 2, and message 3 only confirms (RFC 2409 §5.5), so waiting for it would lose
        // the first packets, as strongSwan's responder does too.
        InstallResponderChild(now, q.Pending);
        Send(now, q, EncodePhase2(q, IsakmpExchangeType.QuickMode, [new HashPayload(hash), .. rest]), awaitReply: true);
    }

    private void InstallResponderChild(DateTimeOffset now, ChildSa child)
    {
        // A Quick Mode for the selectors of an SA we already have is the peer's rekey of it: the new SA takes over its
        // policy, and the old one goes when the peer deletes it.
        // The peer's reauthentication (a new ISAKMP SA) counts too: the old one's SAs go when the peer deletes it.
        if (_children.Concat(_v1.OthersWithPeer(this).SelectMany(s => s.Children)).FirstOrDefault(c => c.Name == child.Name && c.ReplacedBy is null
            && c.State == ChildSaState.Installed && c.LocalTs.SequenceEqual(child.LocalTs) && c.RemoteTs.SequenceEqual(child.RemoteTs)) is { } old)
        {
            child.Replaces = old;
            old.ReplacedBy = child;
            // The initiator installs the new SA once message 2 reaches it: we send on it after message 3 (or its first packet).
            HoldOutbound(now, child);
            IkeLog.ChildSaRekeyed(Log, Name, Uid, child.Name, old.Uid, child.Uid, child.InboundSpi, child.OutboundSpi, "by the peer");
        }
        Install(child);
    }

    /// <summary>How long a rekeyed Quick Mode SA waits at most for a sign that the peer has installed its successor.</summary>
    internal static readonly TimeSpan OutboundHandover = TimeSpan.FromSeconds(3);

    private static void HoldOutbound(DateTimeOffset now, ChildSa child)
    {
        child.OutboundActive = false;
        child.OutboundActivateBy = now + OutboundHandover;
    }

    /// <summary>
    /// The new SA of a Quick Mode rekey takes over outbound traffic: the peer sent on it, confirmed it (message 3), deleted
    /// its predecessor, or the handover time passed. A rekey we started deletes the old SA now.
    /// </summary>
    internal void ActivateOutbound(DateTimeOffset now, ChildSa child)
    {
        if (!MarkOutboundActive(child)) return;
        if (child.CreatedByUs && child.Replaces is { State: ChildSaState.Installed } old && old.Owner == this) DeleteChild(now, old, "rekeyed");
        FinishReauthentication(now);
    }

    internal bool MarkOutboundActive(ChildSa child)
    {
        if (child.OutboundActive || child.State != ChildSaState.Installed) return false;
        child.OutboundActive = true;
        child.OutboundActivateBy = null;
        _v1.Main.Emit(new ChildSaOutboundActivated(child));
        return true;
    }

    private void QuickMode3(DateTimeOffset now, QuickMode q, IsakmpMessage message, byte[] nextIv, ReadOnlySpan<byte> datagram, IPEndPoint local, IPEndPoint remote)
    {
        if (!HashIs(message, Ikev1Hashes.Hash3(_choice!.Prf, _keys!.SkeyIdA.ReadOnlySpan, q.MessageId, q.Ni, q.Nr)))
        {
            Dropped(message.Header, remote, "invalid HASH(3) in Quick Mode message 3");
            return;
        }
        LogMessage("received", IsakmpExchangeType.QuickMode, q.MessageId, message.Payloads, local, remote, q.Initiator);
        q.Iv = nextIv;
        q.LastReceived = datagram.ToArray();
        EndOfExchange(q);
        q.Done = true;
        q.LingerUntil = now + QuickModeLinger;
        q.Ke?.Dispose();
        q.Ke = null;
        if (q.Pending is { } child) ActivateOutbound(now, child);
    }

    /// <summary>The child whose selectors cover the proposed ones; exact matches first.</summary>
    private ChildConfig? FindChildConfig(TrafficSelector tsI, TrafficSelector tsR)
    {
        ChildConfig? best = null;
        int bestScore = -1;
        foreach (ChildConfig c in Connection.Children)
        {
            IReadOnlyList<TrafficSelector> remote = RemoteSelectors(c), local = LocalSelectors(c);
            if (!remote.Any(r => r.Covers(tsI)) || !local.Any(l => l.Covers(tsR))) continue;
            int score = (remote.Contains(tsI) ? 1 : 0) + (local.Contains(tsR) ? 1 : 0);
            if (score > bestScore) (best, bestScore) = (c, score);
        }
        return best;
    }

    /// <summary>Why this ISAKMP SA's Quick Mode SAs go in UDP, for the line refusing AH.</summary>
    private string NatReason() =>
        LocalBehindNat && RemoteBehindNat ? "NAT detected on both sides" : LocalBehindNat ? "we are behind a NAT" : RemoteBehindNat ? "the peer is behind a NAT"
        : Connection.Encap ? "encap = yes forces UDP encapsulation" : "the peer chose UDP encapsulation";

    private void QuickModeRefused(DateTimeOffset now, string reason, NotifyMessageType notify)
    {
        IkeLog.ChildSaFailed(Log, Name, Uid, "-", $"{reason}; sending {notify.RfcName()}");
        SendInformational(now, [new NotificationPayload(IsakmpProtocolId.IpsecEsp, notify, [], [])]);
    }

    private ChildSa CreateChild(DateTimeOffset now, ChildConfig config, Phase2Choice choice, byte number, uint inboundSpi, uint outboundSpi,
        IReadOnlyList<TrafficSelector> local, IReadOnlyList<TrafficSelector> remote, ReadOnlySpan<byte> pfs, byte[] ni, byte[] nr, bool initiator,
        TimeSpan lifetime, ulong lifeKb)
    {
        // KEYMAT per SA, from its protocol and SPI (RFC 2409 §5.5): the cipher's key then the integrity key for ESP,
        // the integrity key alone for AH.
        int length = (choice.Encryption?.KeyMaterialSize ?? 0) + (choice.Integrity?.KeySize ?? 0);
        var protocol = (byte)choice.Protocol;
        using SecretBuffer inbound = Ikev1KeyDerivation.QuickModeKeyMaterial(_choice!.Prf, _keys!.SkeyIdD.ReadOnlySpan, pfs, protocol, inboundSpi, ni, nr, length);
        using SecretBuffer outbound = Ikev1KeyDerivation.QuickModeKeyMaterial(_choice.Prf, _keys.SkeyIdD.ReadOnlySpan, pfs, protocol, outboundSpi, ni, nr, length);
        var child = new ChildSa(_v1.Main.NextUid(), this, config, choice.ToNegotiated(number, SpiBytes(outboundSpi)), inboundSpi, outboundSpi,
            local, remote, inbound, outbound, initiator, now)
        {
            NonceI = ni,
            NonceR = nr,
            OutboundActive = true,
        };
        ScheduleChildLifetimes(child, now, lifetime, lifeKb);
        return child;
    }

    private void Install(ChildSa child)
    {
        _children.Add(child);
        IkeLog.ChildSaEstablished(Log, Name, Uid, child.Name, child.Uid, child.InboundSpi, child.OutboundSpi,
            string.Join(",", child.LocalTs), string.Join(",", child.RemoteTs), child.Proposal.ToString(),
            (child.IsAh ? "AH " : child.UdpEncapsulation ? "UDP-encapsulated " : "plain ESP ") + child.Mode.ToString().ToLowerInvariant() + " mode");
        _v1.Main.Emit(new ChildSaInstalled(child));
    }
}
