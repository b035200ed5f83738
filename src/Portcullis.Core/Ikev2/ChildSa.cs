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
/// A negotiated CHILD SA (RFC 7296 §1.3): the pair of ESP SAs, their keys and traffic selectors. The key buffers are
/// wiped when the CHILD SA is removed; the data plane keys its transforms from them when it installs the SA.
/// </summary>
public sealed class ChildSa : IDisposable
{
    internal ChildSa(uint uid, IkeSa ikeSa, ChildConfig config, NegotiatedProposal proposal, uint inboundSpi, uint outboundSpi,
        IReadOnlyList<TrafficSelector> localTs, IReadOnlyList<TrafficSelector> remoteTs, SecretBuffer keymat, bool initiator, DateTimeOffset now)
    {
        Uid = uid;
        IkeSa = ikeSa;
        Config = config;
        Proposal = proposal;
        InboundSpi = inboundSpi;
        OutboundSpi = outboundSpi;
        LocalTs = localTs;
        RemoteTs = remoteTs;
        EstablishedAt = now;
        int enc = proposal.Encryption.KeyMaterialSize, integ = proposal.Integrity?.KeySize ?? 0;
        ReadOnlySpan<byte> k = keymat.ReadOnlySpan;
        var encIr = new SecretBuffer(k[..enc]);
        var integIr = new SecretBuffer(k.Slice(enc, integ));
        var encRi = new SecretBuffer(k.Slice(enc + integ, enc));
        var integRi = new SecretBuffer(k.Slice(2 * enc + integ, integ));
        (OutboundEncryptionKey, OutboundIntegrityKey, InboundEncryptionKey, InboundIntegrityKey) =
            initiator ? (encIr, integIr, encRi, integRi) : (encRi, integRi, encIr, integIr);
    }

    /// <summary>Unique ID (as strongSwan's reqid-like unique id, for logs and list-sas).</summary>
    public uint Uid { get; }

    /// <summary>The IKE SA it belongs to.</summary>
    public IkeSa IkeSa { get; }

    /// <summary>The configuration it was made from.</summary>
    public ChildConfig Config { get; }

    /// <summary>The child's name.</summary>
    public string Name => Config.Name;

    /// <summary>The negotiated ESP transforms.</summary>
    public NegotiatedProposal Proposal { get; }

    /// <summary>The SPI this side chose: ESP packets to us carry it.</summary>
    public uint InboundSpi { get; }

    /// <summary>The SPI the peer chose: ESP packets we send carry it.</summary>
    public uint OutboundSpi { get; }

    /// <summary>Local traffic selectors after narrowing.</summary>
    public IReadOnlyList<TrafficSelector> LocalTs { get; }

    /// <summary>Remote traffic selectors after narrowing.</summary>
    public IReadOnlyList<TrafficSelector> RemoteTs { get; }

    /// <summary>Tunnel or transport.</summary>
    public ChildMode Mode => Config.Mode;

    /// <summary>When it was installed.</summary>
    public DateTimeOffset EstablishedAt { get; }

    /// <summary>When it is due for rekeying (rekeying itself comes with issue 4).</summary>
    public DateTimeOffset RekeyAt => EstablishedAt + Config.RekeyTime;

    /// <summary>State.</summary>
    public ChildSaState State { get; internal set; }

    /// <summary>The peer deleted it (or its IKE SA): <c>close_action</c> applies.</summary>
    public bool ClosedByPeer { get; internal set; }

    /// <summary>ESP goes inside UDP (RFC 3948): NAT was detected, or encapsulation was forced.</summary>
    public bool UdpEncapsulation => IkeSa.UdpEncapsulation;

    /// <summary>Where ESP is sent from.</summary>
    public IPEndPoint LocalEndpoint => IkeSa.LocalEndpoint;

    /// <summary>Where ESP is sent to (with UDP encapsulation, the peer's NAT-T port).</summary>
    public IPEndPoint RemoteEndpoint => IkeSa.RemoteEndpoint;

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
