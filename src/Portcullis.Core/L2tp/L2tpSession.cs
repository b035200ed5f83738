using Portcullis.Core.L2tp.Wire;

namespace Portcullis.Core.L2tp;

/// <summary>Where a session (incoming call) stands (RFC 2661 §7.4).</summary>
public enum L2tpSessionState
{
    /// <summary>LAC: waits for its tunnel to be established before sending ICRQ.</summary>
    WaitTunnel,
    /// <summary>LAC: sent ICRQ, waits for ICRP.</summary>
    WaitReply,
    /// <summary>LNS: answered ICRQ with ICRP, waits for ICCN.</summary>
    WaitConnect,
    /// <summary>Established: data messages carry PPP.</summary>
    Established,
    /// <summary>Gone (CDN either way, or the tunnel went).</summary>
    Closed,
}

/// <summary>
/// One L2TP session (a call carrying one PPP link) inside a tunnel, as the host sees it. The engine owns and changes
/// it; the host only reads it and passes it back to send or close.
/// </summary>
public sealed class L2tpSession
{
    internal L2tpSession(L2tpTunnel tunnel, ushort localSessionId, DateTimeOffset now)
    {
        Tunnel = tunnel;
        LocalSessionId = localSessionId;
        CreatedAt = now;
    }

    /// <summary>The tunnel the session belongs to.</summary>
    public L2tpTunnel Tunnel { get; }

    /// <summary>Our Assigned Session ID: the Session ID in the headers the peer sends us.</summary>
    public ushort LocalSessionId { get; }

    /// <summary>The peer's Assigned Session ID: the Session ID in our headers (0 until known).</summary>
    public ushort RemoteSessionId { get; internal set; }

    /// <summary>Where the session stands.</summary>
    public L2tpSessionState State { get; internal set; }

    /// <summary>When the session was created.</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>The Call Serial Number of the ICRQ.</summary>
    public uint CallSerialNumber { get; internal set; }

    /// <summary>Bearer Type of the ICRQ.</summary>
    public L2tpBearer? BearerType { get; internal set; }

    /// <summary>Framing Type of the ICCN.</summary>
    public L2tpFraming? FramingType { get; internal set; }

    /// <summary>Calling Number of the ICRQ (L2TP/IPsec clients rarely send one).</summary>
    public string? CallingNumber { get; internal set; }

    /// <summary>Called Number of the ICRQ.</summary>
    public string? CalledNumber { get; internal set; }

    /// <summary>(Tx) Connect Speed of the ICCN.</summary>
    public uint? TxConnectSpeed { get; internal set; }

    /// <summary>Rx Connect Speed of the ICCN.</summary>
    public uint? RxConnectSpeed { get; internal set; }

    /// <summary>The ICCN carried Sequencing Required: data messages must always carry Ns and Nr.</summary>
    public bool SequencingRequired { get; internal set; }

    /// <summary>Our data messages carry Ns and Nr (RFC 2661 §5.4: as the LNS asks; the LAC follows what it receives).</summary>
    public bool SendsSequenceNumbers { get; internal set; }

    /// <summary>PPP frames delivered to the host.</summary>
    public long FramesReceived { get; internal set; }

    /// <summary>PPP frames encapsulated for the peer.</summary>
    public long FramesSent { get; internal set; }

    /// <summary>Data messages dropped as out of order (sequenced sessions only).</summary>
    public long FramesOutOfOrder { get; internal set; }

    internal bool Announced { get; set; }
    internal ushort NextDataNs { get; set; }
    internal ushort? ExpectedDataNs { get; set; }

    /// <inheritdoc />
    public override string ToString() => $"L2TP session {Tunnel.LocalTunnelId}/{LocalSessionId} (peer {Tunnel.RemoteTunnelId}/{RemoteSessionId}, {State})";
}
