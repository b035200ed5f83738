namespace Portcullis.Core.L2tp;

/// <summary>The L2TP engine's settings (RFC 2661 leaves these to the implementation); the defaults suit L2TP/IPsec clients.</summary>
public sealed record L2tpOptions
{
    /// <summary>Host Name we send in SCCRQ and SCCRP.</summary>
    public string HostName { get; init; } = "portcullis";

    /// <summary>Vendor Name we send in SCCRQ and SCCRP.</summary>
    public string VendorName { get; init; } = "Portcullis";

    /// <summary>Firmware Revision we send.</summary>
    public ushort FirmwareRevision { get; init; } = 0x0100;

    /// <summary>
    /// Receive Window Size we advertise: how many control messages the peer may have unacknowledged, and how many
    /// early messages we hold for reordering. 8, as Windows advertises (xl2tpd: 4).
    /// </summary>
    public int ReceiveWindowSize { get; init; } = 8;

    /// <summary>A HELLO goes out when nothing came from the peer for this long (RFC 2661 §6.5; xl2tpd: 60 s).</summary>
    public TimeSpan HelloInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The tunnel secret shared with the peers (RFC 2661 §5.1.1, §4.3), or null. With one, every tunnel is
    /// authenticated by Challenge and Challenge Response both ways, and hidden AVPs can be read. Most L2TP/IPsec
    /// clients use none (IPsec authenticates the peer).
    /// </summary>
    public byte[]? Secret { get; init; }

    /// <summary>Hide the AVPs that may be hidden in what we send (needs <see cref="Secret"/>). Off by default.</summary>
    public bool HideAvps { get; init; }

    /// <summary>Tunnels at once (the server refuses more with StopCCN, insufficient resources).</summary>
    public int MaxTunnels { get; init; } = 1000;

    /// <summary>
    /// Tunnels at once from one peer (its IPsec endpoint, address and port): a LAC opens one, a restarted one a second
    /// while the first times out. Before PPP authentication a peer is not yet a user: this keeps one from taking
    /// every tunnel of <see cref="MaxTunnels"/>.
    /// </summary>
    public int MaxTunnelsPerPeer { get; init; } = 8;

    /// <summary>Sessions at once in one tunnel (L2TP/IPsec clients open one).</summary>
    public int MaxSessionsPerTunnel { get; init; } = 16;

    /// <summary>First retransmission timeout of an unacknowledged control message (RFC 2661 §5.8 suggests 1 s).</summary>
    public TimeSpan RetransmitTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Cap on one retransmission delay (doubling from <see cref="RetransmitTimeout"/>; the RFC asks for at least 8 s).</summary>
    public TimeSpan RetransmitCap { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary>Retransmissions before the tunnel is given up for dead (about 31 s in all with the defaults).</summary>
    public int RetransmitTries { get; init; } = 5;

    /// <summary>How long an acknowledgement waits for a message to ride on before it goes alone as a ZLB.</summary>
    public TimeSpan AckDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// How long a tunnel's state outlives a StopCCN we received, to acknowledge its retransmissions (RFC 2661 §5.7:
    /// a full retransmission cycle).
    /// </summary>
    public TimeSpan StopCcnHold { get; init; } = TimeSpan.FromSeconds(31);

    /// <summary>The client asks for sequence numbers on data messages (Sequencing Required in ICCN). Off: PPP copes with loss.</summary>
    public bool RequestSequencing { get; init; }

    /// <summary>(Tx) and Rx Connect Speed the client reports in ICCN, in bits per second (a virtual line has none).</summary>
    public uint ConnectSpeed { get; init; } = 100_000_000;

    /// <summary>Random bytes for IDs, challenges and Random Vectors; tests pass a seeded source. Defaults to the system CSPRNG.</summary>
    public Action<Span<byte>>? Random { get; init; }

    /// <summary>Delay before the retransmission that follows <paramref name="tries"/> earlier ones: doubling, capped.</summary>
    public TimeSpan RetransmitDelay(int tries)
    {
        double seconds = RetransmitTimeout.TotalSeconds * Math.Pow(2, Math.Min(tries, 30));
        return TimeSpan.FromSeconds(Math.Min(seconds, Math.Max(RetransmitCap.TotalSeconds, RetransmitTimeout.TotalSeconds)));
    }
}
