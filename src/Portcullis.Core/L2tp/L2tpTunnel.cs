using System.Net;
using Portcullis.Core.L2tp.Wire;

namespace Portcullis.Core.L2tp;

/// <summary>Where a tunnel's control connection stands (RFC 2661 §7.2).</summary>
public enum L2tpTunnelState
{
    /// <summary>We sent SCCRQ and wait for SCCRP (LAC).</summary>
    WaitControlReply,
    /// <summary>We answered SCCRQ with SCCRP and wait for SCCCN (LNS).</summary>
    WaitControlConnected,
    /// <summary>Established: sessions may be set up.</summary>
    Established,
    /// <summary>We sent StopCCN; the state stays a while to see it acknowledged.</summary>
    Closing,
    /// <summary>The peer sent StopCCN; the state stays a while to acknowledge its retransmissions.</summary>
    Closed,
}

/// <summary>
/// One L2TP tunnel (control connection) with one peer, as the host sees it: the IDs each side assigned, the
/// endpoints and what the peer told about itself. The engine owns and changes it; the host only reads.
/// </summary>
public sealed class L2tpTunnel
{
    internal L2tpTunnel(ushort localTunnelId, IPEndPoint local, IPEndPoint remote, bool initiator, DateTimeOffset now, ControlChannel channel)
    {
        LocalTunnelId = localTunnelId;
        LocalEndpoint = local;
        RemoteEndpoint = remote;
        IsInitiator = initiator;
        CreatedAt = now;
        Channel = channel;
    }

    /// <summary>Our Assigned Tunnel ID: the Tunnel ID in the headers the peer sends us.</summary>
    public ushort LocalTunnelId { get; }

    /// <summary>The peer's Assigned Tunnel ID: the Tunnel ID in our headers (0 until known).</summary>
    public ushort RemoteTunnelId { get; internal set; }

    /// <summary>Our address and port for this tunnel.</summary>
    public IPEndPoint LocalEndpoint { get; }

    /// <summary>The peer's address and port, as the host reported them.</summary>
    public IPEndPoint RemoteEndpoint { get; internal set; }

    /// <summary>True when we sent the SCCRQ (LAC).</summary>
    public bool IsInitiator { get; }

    /// <summary>Where the control connection stands.</summary>
    public L2tpTunnelState State { get; internal set; }

    /// <summary>When the tunnel was created.</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>When it was established, if it was.</summary>
    public DateTimeOffset? EstablishedAt { get; internal set; }

    /// <summary>The peer's Host Name.</summary>
    public string? PeerHostName { get; internal set; }

    /// <summary>The peer's Vendor Name.</summary>
    public string? PeerVendorName { get; internal set; }

    /// <summary>The peer's Firmware Revision.</summary>
    public ushort? PeerFirmwareRevision { get; internal set; }

    /// <summary>The peer's Framing Capabilities.</summary>
    public L2tpFraming PeerFramingCapabilities { get; internal set; }

    /// <summary>The peer's Bearer Capabilities.</summary>
    public L2tpBearer PeerBearerCapabilities { get; internal set; }

    /// <summary>The peer's Receive Window Size (4 when it sent none).</summary>
    public int PeerReceiveWindowSize => Channel.PeerWindow;

    /// <summary>The tunnel's sessions.</summary>
    public IReadOnlyCollection<L2tpSession> Sessions => SessionsById.Values;

    internal ControlChannel Channel { get; }
    internal Dictionary<ushort, L2tpSession> SessionsById { get; } = [];
    internal bool Announced { get; set; }
    internal byte[]? ChallengeSent { get; set; }

    /// <summary>The AVPs of the SCCRQ that opened this tunnel (LNS): a byte-for-byte repeat is a retransmission, not a restarted peer.</summary>
    internal byte[]? OpeningSccrq { get; set; }
    internal DateTimeOffset? HoldUntil { get; set; }

    /// <inheritdoc />
    public override string ToString() => $"L2TP tunnel {LocalTunnelId}/{RemoteTunnelId} with {RemoteEndpoint} ({State})";
}
