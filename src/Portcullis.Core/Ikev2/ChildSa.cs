using System.Net;
using Portcullis.Core.Config;
using Portcullis.Core.Crypto;
using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Ikev2;

/// <summary>State of a CHILD SA.</summary>
public enum ChildSaState
{
    /// <summary>Keys agreed and handed to the data plane.</summary>
    Installed,
    /// <summary>A DELETE was sent for it.</summary>
    Deleting,
    /// <summary>Removed.</summary>
    Deleted,
}

/// <summary>
/// A negotiated CHILD SA (RFC 7296 §1.3): the pair of ESP (or AH) SAs, their keys and traffic selectors. The key buffers are
/// wiped when the CHILD SA is removed; the data plane keys its transforms from them when it installs the SA.
/// </summary>
public sealed class ChildSa : IDisposable
{
    internal ChildSa(uint uid, IkeSa ikeSa, ChildConfig config, NegotiatedProposal proposal, uint inboundSpi, uint outboundSpi,
        IReadOnlyList<TrafficSelector> localTs, IReadOnlyList<TrafficSelector> remoteTs, SecretBuffer keymat, bool initiator, DateTimeOffset now)
    {
        Uid = uid;
        Owner = ikeSa;
        Config = config;
        Mode = config.Mode;
        Proposal = proposal;
        InboundSpi = inboundSpi;
        OutboundSpi = outboundSpi;
        LocalTs = localTs;
        RemoteTs = remoteTs;
        EstablishedAt = now;
        CreatedByUs = initiator;
        int enc = proposal.Encryption?.KeyMaterialSize ?? 0, integ = proposal.Integrity?.KeySize ?? 0;
        ReadOnlySpan<byte> k = keymat.ReadOnlySpan;
        var encIr = new SecretBuffer(k[..enc]);
        var integIr = new SecretBuffer(k.Slice(enc, integ));
        var encRi = new SecretBuffer(k.Slice(enc + integ, enc));
        var integRi = new SecretBuffer(k.Slice(2 * enc + integ, integ));
        (OutboundEncryptionKey, OutboundIntegrityKey, InboundEncryptionKey, InboundIntegrityKey) =
            initiator ? (encIr, integIr, encRi, integRi) : (encRi, integRi, encIr, integIr);
    }

    /// <summary>
    /// An IKEv1 Quick Mode SA (RFC 2409 §5.5): KEYMAT is derived per direction, each from its own SPI, so the keys
    /// come ready for each direction (encryption key first, then the integrity key, RFC 2409 §5.5).
    /// </summary>
    internal ChildSa(uint uid, IIkeSa owner, ChildConfig config, NegotiatedProposal proposal, uint inboundSpi, uint outboundSpi,
        IReadOnlyList<TrafficSelector> localTs, IReadOnlyList<TrafficSelector> remoteTs, SecretBuffer inboundKeymat, SecretBuffer outboundKeymat,
        bool initiator, DateTimeOffset now)
    {
        Uid = uid;
        Owner = owner;
        Config = config;
        Mode = config.Mode;
        Proposal = proposal;
        InboundSpi = inboundSpi;
        OutboundSpi = outboundSpi;
        LocalTs = localTs;
        RemoteTs = remoteTs;
        EstablishedAt = now;
        CreatedByUs = initiator;
        int enc = proposal.Encryption?.KeyMaterialSize ?? 0, integ = proposal.Integrity?.KeySize ?? 0;
        InboundEncryptionKey = new SecretBuffer(inboundKeymat.ReadOnlySpan[..enc]);
        InboundIntegrityKey = new SecretBuffer(inboundKeymat.ReadOnlySpan.Slice(enc, integ));
        OutboundEncryptionKey = new SecretBuffer(outboundKeymat.ReadOnlySpan[..enc]);
        OutboundIntegrityKey = new SecretBuffer(outboundKeymat.ReadOnlySpan.Slice(enc, integ));
    }

    /// <summary>Unique ID (as strongSwan's reqid-like unique id, for logs and list-sas).</summary>
    public uint Uid { get; }

    /// <summary>The IKE SA (IKEv2) or ISAKMP SA (IKEv1) it belongs to (the successor, once that SA was rekeyed).</summary>
    public IIkeSa Owner
    {
        get => _owner;
        internal set
        {
            TimersChanged();
            _owner = value;
            TimersChanged();
        }
    }
    private IIkeSa _owner = null!;

    /// <summary>The IKEv2 SA it belongs to; throws for an IKEv1 Quick Mode SA (use <see cref="Owner"/> where either will do).</summary>
    public IkeSa IkeSa
    {
        get => Owner as IkeSa ?? throw new InvalidOperationException($"CHILD_SA {Name} belongs to an IKEv{Owner.IkeVersion} SA");
        internal set => Owner = value;
    }

    /// <summary>
    /// The peer's address as the peer itself sees it, from IKEv1's NAT-OA (RFC 3947 §5.2) in UDP-encapsulated
    /// transport mode: what TCP and UDP checksums of its packets were computed over; null when not sent.
    /// </summary>
    public IPAddress? RemoteOriginalAddress { get; internal set; }

    /// <summary>Our address as we see it, as sent in NAT-OA (the peer fixes its checksums with it); null when not sent.</summary>
    public IPAddress? LocalOriginalAddress { get; internal set; }

    /// <summary>The configuration it was made from.</summary>
    public ChildConfig Config { get; }

    /// <summary>The child's name.</summary>
    public string Name => Config.Name;

    /// <summary>The negotiated ESP (or AH) transforms.</summary>
    public NegotiatedProposal Proposal { get; }

    /// <summary>ESP or AH (RFC 7296 §3.3.1 Protocol ID), as negotiated.</summary>
    public Wire.ProtocolId Protocol => Proposal.Protocol;

    /// <summary>The CHILD SA is an AH SA (RFC 4302).</summary>
    public bool IsAh => Proposal.Protocol == Wire.ProtocolId.Ah;

    /// <summary>The SPI this side chose: ESP packets to us carry it.</summary>
    public uint InboundSpi { get; }

    /// <summary>The SPI the peer chose: ESP packets we send carry it.</summary>
    public uint OutboundSpi { get; }

    /// <summary>Local traffic selectors after narrowing.</summary>
    public IReadOnlyList<TrafficSelector> LocalTs { get; }

    /// <summary>Remote traffic selectors after narrowing.</summary>
    public IReadOnlyList<TrafficSelector> RemoteTs { get; }

    /// <summary>Tunnel or transport.</summary>
    public ChildMode Mode { get; internal set; }

    /// <summary>When it was installed.</summary>
    public DateTimeOffset EstablishedAt { get; }

    /// <summary>When it is due for rekeying (rekey_time less a random part of rand_time); null: never.</summary>
    public DateTimeOffset? RekeyAt
    {
        get => _rekeyAt;
        internal set { _rekeyAt = value; TimersChanged(); }
    }
    private DateTimeOffset? _rekeyAt;

    /// <summary>When it expires for good (life_time); null: never.</summary>
    public DateTimeOffset? ExpireAt
    {
        get => _expireAt;
        internal set { _expireAt = value; TimersChanged(); }
    }
    private DateTimeOffset? _expireAt;

    /// <summary>Soft byte limit (rekey_bytes less a random part of rand_bytes) in either direction; 0: none.</summary>
    public ulong RekeyBytes { get; internal set; }

    /// <summary>Hard byte limit (life_bytes); 0: none.</summary>
    public ulong LifeBytes { get; internal set; }

    /// <summary>Soft packet limit; 0: none.</summary>
    public ulong RekeyPackets { get; internal set; }

    /// <summary>Hard packet limit; 0: none.</summary>
    public ulong LifePackets { get; internal set; }

    /// <summary>The CHILD SA this one rekeyed (or replaced on reauthentication): it shares its policy in the data plane.</summary>
    public ChildSa? Replaces
    {
        get => _replaces;
        internal set { _replaces = value; TimersChanged(); }
    }
    private ChildSa? _replaces;

    /// <summary>The CHILD SA that took this one's place after a rekey.</summary>
    public ChildSa? ReplacedBy
    {
        get => _replacedBy;
        internal set
        {
            // Whether a successor is redundant depends on this: the old one and the new one may change.
            _replacedBy?.TimersChanged();
            _replacedBy = value;
            value?.TimersChanged();
            TimersChanged();
        }
    }
    private ChildSa? _replacedBy;

    /// <summary>
    /// Outbound traffic uses this SA. A rekey responder holds the new outbound SA back until the peer deletes the old
    /// one or sends on the new one (make-before-break); the loser of a rekey collision never activates its redundant SA.
    /// </summary>
    public bool OutboundActive { get; internal set; }

    /// <summary>
    /// IKEv1: when a Quick Mode rekey's new SA takes over outbound traffic even if nothing arrived on it yet (the peer
    /// installs it on message 2 or 3, which our first packets on it could overtake); null once it does (or never held).
    /// </summary>
    internal DateTimeOffset? OutboundActivateBy { get; set; }

    /// <summary>Why <see cref="RekeyAt"/> is set: the rekey_time, or a retry after a refused or moved rekey (for the log).</summary>
    internal string RekeyReason { get; set; } = "rekey_time";

    /// <summary>Why our DELETE of it was sent (State Deleting), for the log line when it is answered.</summary>
    internal string? DeleteReason { get; set; }

    /// <summary>A CREATE_CHILD_SA rekeying this SA is under way from our side.</summary>
    internal bool Rekeying
    {
        get => _rekeying;
        set { _rekeying = value; TimersChanged(); }
    }
    private bool _rekeying;

    /// <summary>Nonces of the exchange that created this SA (for the lowest-nonce rule of RFC 7296 §2.8.1).</summary>
    internal byte[] NonceI { get; set; } = [];

    /// <summary>The responder's nonce of that exchange.</summary>
    internal byte[] NonceR { get; set; } = [];

    /// <summary>
    /// Its IKE SA's timers depend on it (lifetimes, rekeying, state); other IKE SAs change it too (a rekey moves CHILD
    /// SAs to the successor), so each setter tells the owner's engine.
    /// </summary>
    private void TimersChanged()
    {
        if (_owner is IkeSa sa) sa.TimersChanged();
    }

    /// <summary>This side initiated the exchange that created the SA.</summary>
    public bool CreatedByUs { get; }

    /// <summary>What follows its removal: set from close_action when the peer closed it, from dpd_action when the peer died.</summary>
    public CloseAction AfterRemoval { get; internal set; }

    /// <summary>State.</summary>
    public ChildSaState State
    {
        get => _state;
        internal set { _state = value; TimersChanged(); }
    }
    private ChildSaState _state;

    /// <summary>The peer deleted it (or its IKE SA): <c>close_action</c> applies.</summary>
    public bool ClosedByPeer { get; internal set; }

    /// <summary>It was removed because a successor took over (rekeyed), not closed.</summary>
    public bool Superseded => ReplacedBy is not null;

    /// <summary>The losing new SA of a simultaneous rekey: another successor took its predecessor's place (RFC 7296 §2.8.1).</summary>
    public bool IsRedundant => Replaces is { } previous && previous.ReplacedBy != this;

    /// <summary>
    /// Made by the peer's rekey, which it has not finished yet: the SA it replaces is still there (the peer deletes it
    /// once our response arrives). Whether we already send on this one does not tell: that follows the traffic.
    /// </summary>
    public bool AwaitsPeerRekeyCompletion => !CreatedByUs && Replaces is { State: ChildSaState.Installed or ChildSaState.Deleting } previous && previous.ReplacedBy == this;

    /// <summary>ESP goes inside UDP (RFC 3948): NAT was detected, or encapsulation was forced.</summary>
    public bool UdpEncapsulation => Owner.UdpEncapsulation;

    /// <summary>Where ESP is sent from.</summary>
    public IPEndPoint LocalEndpoint => Owner.LocalEndpoint;

    /// <summary>Where ESP is sent to (with UDP encapsulation, the peer's NAT-T port).</summary>
    public IPEndPoint RemoteEndpoint => Owner.RemoteEndpoint;

    /// <summary>Encryption key material (key ‖ salt) for packets we receive.</summary>
    public SecretBuffer InboundEncryptionKey { get; }

    /// <summary>Integrity key for packets we receive (empty with an AEAD).</summary>
    public SecretBuffer InboundIntegrityKey { get; }

    /// <summary>Encryption key material for packets we send.</summary>
    public SecretBuffer OutboundEncryptionKey { get; }

    /// <summary>Integrity key for packets we send.</summary>
    public SecretBuffer OutboundIntegrityKey { get; }

    /// <summary>Wipes the keys.</summary>
    public void Dispose()
    {
        InboundEncryptionKey.Dispose();
        InboundIntegrityKey.Dispose();
        OutboundEncryptionKey.Dispose();
        OutboundIntegrityKey.Dispose();
    }
}
