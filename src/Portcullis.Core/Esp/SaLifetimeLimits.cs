namespace Portcullis.Core.Esp;

/// <summary>Which of a CHILD SA's volume limits a packet just crossed.</summary>
public enum LimitCrossing
{
    /// <summary>None, or one already reported.</summary>
    None,
    /// <summary><c>rekey_bytes</c>/<c>rekey_packets</c>: time to rekey.</summary>
    Soft,
    /// <summary><c>life_bytes</c>/<c>life_packets</c>: the SA must go.</summary>
    Hard,
}

/// <summary>
/// The byte and packet limits of one CHILD SA (RFC 4301 §4.4.2.1 lifetimes), shared by its inbound and outbound
/// ESP SAs so that either direction triggers them, and the first-use flag of its inbound SA. Checked on the packet
/// threads without locks; each crossing is reported once. Zero means no limit.
/// </summary>
public sealed class SaLifetimeLimits(uint key, ulong softBytes, ulong hardBytes, ulong softPackets, ulong hardPackets)
{
    private int _reported;
    private int _inboundUsed;

    /// <summary>What the IKE engine knows the CHILD SA by: its inbound SPI.</summary>
    public uint Key { get; } = key;

    /// <summary>Soft byte limit.</summary>
    public ulong SoftBytes { get; } = softBytes;

    /// <summary>Hard byte limit.</summary>
    public ulong HardBytes { get; } = hardBytes;

    /// <summary>Soft packet limit.</summary>
    public ulong SoftPackets { get; } = softPackets;

    /// <summary>Hard packet limit.</summary>
    public ulong HardPackets { get; } = hardPackets;

    private bool HasLimits => (SoftBytes | HardBytes | SoftPackets | HardPackets) != 0;

    /// <summary>After a packet on <paramref name="sa"/>: the limit it crossed, if it is the first to cross it.</summary>
    public LimitCrossing Check(IpsecSa sa)
    {
        if (!HasLimits) return LimitCrossing.None;
        ulong bytes = (ulong)sa.Bytes, packets = (ulong)sa.Packets;
        int level = (HardBytes > 0 && bytes >= HardBytes) || (HardPackets > 0 && packets >= HardPackets) ? 2
            : (SoftBytes > 0 && bytes >= SoftBytes) || (SoftPackets > 0 && packets >= SoftPackets) ? 1 : 0;
        int previous = Volatile.Read(ref _reported);
        while (previous < level)
        {
            if (Interlocked.CompareExchange(ref _reported, level, previous) == previous) return (LimitCrossing)level;
            previous = Volatile.Read(ref _reported);
        }
        return LimitCrossing.None;
    }

    private long _lastInbound;

    /// <summary>
    /// <see cref="System.Diagnostics.Stopwatch"/> timestamp of the last packet that arrived on the inbound SA (0: none),
    /// written by the receive thread, read by DPD as a sign of life.
    /// </summary>
    public long LastInboundTimestamp
    {
        get => Volatile.Read(ref _lastInbound);
        set => Volatile.Write(ref _lastInbound, value);
    }

    /// <summary>True exactly once: for the first packet that arrived on the inbound SA.</summary>
    public bool FirstInboundUse() => Volatile.Read(ref _inboundUsed) == 0 && Interlocked.Exchange(ref _inboundUsed, 1) == 0;
}
