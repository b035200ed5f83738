namespace Portcullis.Core.Esp;

/// <summary>
/// What one direction of an ESP or AH SA has whatever the protocol (RFC 4301 §4.4.2): the SPI, the sequence number
/// counter (outbound) or the anti-replay window (inbound), extended sequence numbers, the traffic selectors, the
/// volume limits and the counters. <c>EspSa</c> and <c>AhSa</c> add their keyed transforms. Packet
/// processing on one SA is not thread-safe: one SA, one pipeline. The counters may be read from other threads (each
/// read is atomic, the set is not a snapshot).
/// </summary>
public abstract class IpsecSa : IDisposable
{
    private ulong _sequence;
    private bool _disposed;

    internal long PacketCount, ByteCount, ReplayCount, AuthenticationFailureCount, MalformedCount, PolicyViolationCount, ExhaustedCount,
        PaddingErrorCount, DummyCount;

    private protected IpsecSa(uint spi, bool inbound, bool extendedSequenceNumbers, int replayWindow)
    {
        if (spi < 256) throw new ArgumentOutOfRangeException(nameof(spi), "SPIs 0–255 are reserved (RFC 4303 §2.1, RFC 4302 §2.4)");
        Spi = spi;
        IsInbound = inbound;
        ExtendedSequenceNumbers = extendedSequenceNumbers;
        if (inbound) ReplayWindow = new ReplayWindow(replayWindow);
    }

    /// <summary>The Security Parameters Index carried in every packet.</summary>
    public uint Spi { get; }

    /// <summary>True for the receiving direction.</summary>
    public bool IsInbound { get; }

    /// <summary>
    /// Extended (64-bit) sequence numbers were negotiated (RFC 4303 §2.2.1, RFC 4302 §2.5.1): only the low 32 bits go
    /// on the wire, the high 32 bits enter the ICV, and the counter runs to 2^64 − 1.
    /// </summary>
    public bool ExtendedSequenceNumbers { get; }

    /// <summary>
    /// A transport-mode SA (RFC 4303 §3.1.1, RFC 4302 §3.1.1): what follows the ESP or AH header is the upper-layer
    /// payload of a host's packet (TCP, UDP, ICMP … whose protocol is the Next Header; see
    /// <see cref="Ipsec.TransportModePacket"/>), not an inner IP packet, so any Next Header is valid on it; on a
    /// tunnel-mode SA only IPv4 (4) and IPv6 (41) are.
    /// </summary>
    public bool TransportMode { get; set; }

    /// <summary>The inbound anti-replay window; null for an outbound SA.</summary>
    public ReplayWindow? ReplayWindow { get; }

    /// <summary>The last sequence number sent (outbound; 0 before the first packet), all 64 bits with ESN.</summary>
    public ulong LastSequenceNumber => Volatile.Read(ref _sequence);

    /// <summary>The highest sequence number this SA may send: 2^32 − 1, or 2^64 − 1 with ESN (RFC 4303 §3.3.3).</summary>
    public ulong MaxSequenceNumber => ExtendedSequenceNumbers ? ulong.MaxValue : uint.MaxValue;

    /// <summary>The local side's selectors (destinations of inbound traffic). Empty until set: nothing matches.</summary>
    public SelectorSet LocalSelectors { get; set; } = SelectorSet.Empty;

    /// <summary>The remote side's selectors (sources of inbound traffic). Empty until set: nothing matches.</summary>
    public SelectorSet RemoteSelectors { get; set; } = SelectorSet.Empty;

    /// <summary>The CHILD SA's byte and packet limits (shared by both directions); null: none.</summary>
    public SaLifetimeLimits? Limits { get; set; }

    /// <summary>Packets sent, or received and verified.</summary>
    public long Packets => Volatile.Read(ref PacketCount);

    /// <summary>Inner-packet bytes sent, or received and verified.</summary>
    public long Bytes => Volatile.Read(ref ByteCount);

    /// <summary>Inbound packets dropped by the replay window.</summary>
    public long ReplayDrops => Volatile.Read(ref ReplayCount);

    /// <summary>Inbound packets whose ICV did not verify.</summary>
    public long AuthenticationFailures => Volatile.Read(ref AuthenticationFailureCount);

    /// <summary>Inbound packets too short or misaligned to process, or with the wrong SPI or next header.</summary>
    public long MalformedPackets => Volatile.Read(ref MalformedCount);

    /// <summary>Decapsulated packets rejected by <see cref="MatchesInbound"/> (RFC 4301 §5.2).</summary>
    public long PolicyViolations => Volatile.Read(ref PolicyViolationCount);

    /// <summary>Authentic inbound ESP packets with bad padding (AH has no padding: always 0).</summary>
    public long PaddingErrors => Volatile.Read(ref PaddingErrorCount);

    /// <summary>Authentic ESP dummy packets (Next Header 59) received and discarded (AH has none: always 0).</summary>
    public long DummyPackets => Volatile.Read(ref DummyCount);

    /// <summary>Outbound packets refused because the sequence number would cycle.</summary>
    public long SequenceExhaustedDrops => Volatile.Read(ref ExhaustedCount);

    /// <summary>True once the SA has sent its last sequence number and must be replaced.</summary>
    public bool IsSequenceExhausted => LastSequenceNumber >= MaxSequenceNumber;

    /// <summary>True after <see cref="Dispose"/>.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed);

    /// <summary>Takes the next outbound sequence number; false, taking none, when it would pass <see cref="MaxSequenceNumber"/>.</summary>
    internal bool TryNextSequence(out ulong sequence)
    {
        if (_sequence >= MaxSequenceNumber)
        {
            sequence = 0;
            return false;
        }
        sequence = ++_sequence;
        return true;
    }

    /// <summary>Moves the outbound counter, so tests reach exhaustion (and the 2^32 boundary) without 2^32 packets.</summary>
    internal void SetLastSequenceNumber(ulong sequence) => _sequence = sequence;

    /// <summary>
    /// The full sequence number of a received packet whose low 32 bits are <paramref name="low"/>: itself without
    /// ESN, the high bits inferred from the replay window with it (RFC 4303 Appendix A2).
    /// </summary>
    internal ulong InboundSequence(uint low) => ExtendedSequenceNumbers ? ReplayWindow!.InferExtended(low) : low;

    /// <summary>
    /// The inbound policy check (RFC 4301 §5.2 step 4): true when a decapsulated inner packet's source is covered by
    /// <see cref="RemoteSelectors"/> and its destination by <see cref="LocalSelectors"/>. A false is counted in
    /// <see cref="PolicyViolations"/>; the packet must be dropped.
    /// </summary>
    public bool MatchesInbound(ReadOnlySpan<byte> innerPacket)
    {
        if (PacketSelectors.TryParse(innerPacket, out PacketSelectors p) && RemoteSelectors.MatchesSource(p) && LocalSelectors.MatchesDestination(p))
            return true;
        Interlocked.Increment(ref PolicyViolationCount);
        return false;
    }

    /// <summary>Disposes the keyed primitives, which wipe their keys. Must not race with packet processing on this SA.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        Volatile.Write(ref _disposed, true);
        DisposePrimitives();
        GC.SuppressFinalize(this);
    }

    /// <summary>Disposes the protocol's keyed primitives (once).</summary>
    private protected abstract void DisposePrimitives();
}
