using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Registry;

namespace Portcullis.Core.Esp;

/// <summary>
/// One direction of one ESP CHILD SA (RFC 4303, RFC 4301 §4.4.2): the SPI, the keyed transforms, the sequence
/// number counter (outbound) or the anti-replay window (inbound), the traffic selectors, and counters. Key material
/// comes from the IKE layer; the keyed primitives wipe their keys on <see cref="Dispose"/>. Packet processing
/// (<see cref="EspProcessor"/>) on one SA is not thread-safe: one SA, one pipeline. The counters may be read from
/// other threads (each read is atomic, the set is not a snapshot). Sequence numbers are 32-bit (no ESN).
/// </summary>
public sealed class EspSa : IDisposable
{
    private IAead? _aead;
    private ICipher? _cipher;
    private IIntegrity? _integrity;
    private ulong _sequence;
    private bool _disposed;

    internal long PacketCount, ByteCount, ReplayCount, AuthenticationFailureCount, PaddingErrorCount, MalformedCount,
        PolicyViolationCount, ExhaustedCount, DummyCount;

    private EspSa(uint spi, bool inbound, EncryptionTransform encryption, IntegrityTransform? integrity, int replayWindow)
    {
        Spi = spi;
        IsInbound = inbound;
        Encryption = encryption;
        Integrity = integrity;
        if (inbound) ReplayWindow = new ReplayWindow(replayWindow);
    }

    /// <summary>Keys an outbound SA. <paramref name="integrity"/> must be null for an AEAD and set otherwise.</summary>
    public static EspSa CreateOutbound(uint spi, EncryptionTransform encryption, IntegrityTransform? integrity,
        ReadOnlySpan<byte> encryptionKeyMaterial, ReadOnlySpan<byte> integrityKey) =>
        Create(spi, inbound: false, encryption, integrity, encryptionKeyMaterial, integrityKey, ReplayWindow.DefaultSize);

    /// <summary>Keys an inbound SA with a replay window of <paramref name="replayWindow"/> packets.</summary>
    public static EspSa CreateInbound(uint spi, EncryptionTransform encryption, IntegrityTransform? integrity,
        ReadOnlySpan<byte> encryptionKeyMaterial, ReadOnlySpan<byte> integrityKey, int replayWindow = ReplayWindow.DefaultSize) =>
        Create(spi, inbound: true, encryption, integrity, encryptionKeyMaterial, integrityKey, replayWindow);

    private static EspSa Create(uint spi, bool inbound, EncryptionTransform encryption, IntegrityTransform? integrity,
        ReadOnlySpan<byte> encryptionKeyMaterial, ReadOnlySpan<byte> integrityKey, int replayWindow)
    {
        ArgumentNullException.ThrowIfNull(encryption);
        if (!encryption.ForEsp) throw new ArgumentException($"{encryption.Keyword} is not an ESP transform", nameof(encryption));
        if (encryption.IsAead && integrity is not null)
            throw new ArgumentException($"{encryption.Keyword} is an AEAD: no integrity transform goes with it", nameof(integrity));
        if (!encryption.IsAead && integrity is null)
            throw new ArgumentException($"{encryption.Keyword} needs an integrity transform", nameof(integrity));
        if (spi < 256) throw new ArgumentOutOfRangeException(nameof(spi), "SPIs 0–255 are reserved (RFC 4303 §2.1)");

        var sa = new EspSa(spi, inbound, encryption, integrity, replayWindow);
        try
        {
            if (encryption.IsAead)
            {
                sa._aead = encryption.CreateAead(encryptionKeyMaterial);
                sa.IvSize = sa._aead.IvSize;
                sa.IcvSize = sa._aead.IcvSize;
                sa.PaddingUnit = 4;
            }
            else
            {
                sa._cipher = encryption.CreateCipher(encryptionKeyMaterial);
                sa._integrity = integrity!.Create(integrityKey);
                sa.IvSize = sa._cipher.IvSize;
                sa.IcvSize = sa._integrity.IcvSize;
                sa.PaddingUnit = Math.Max(4, sa._cipher.BlockSize);
                sa.UsesRandomIv = sa._cipher.BlockSize > 1;
            }
        }
        catch
        {
            sa.Dispose();
            throw;
        }
        return sa;
    }

    /// <summary>The Security Parameters Index carried in every packet.</summary>
    public uint Spi { get; }

    /// <summary>
    /// A transport-mode SA (RFC 4303 §3.1.1): what follows the ESP header is the upper-layer payload of a host's packet
    /// (TCP, UDP, ICMP … whose protocol is the Next Header; see <see cref="Ipsec.TransportModePacket"/>), not an inner
    /// IP packet, so any Next Header is valid on it; on a tunnel-mode SA only IPv4 (4) and IPv6 (41) are.
    /// </summary>
    public bool TransportMode { get; set; }

    /// <summary>True for the receiving direction.</summary>
    public bool IsInbound { get; }

    /// <summary>The encryption (or AEAD) transform.</summary>
    public EncryptionTransform Encryption { get; }

    /// <summary>The integrity transform; null with an AEAD.</summary>
    public IntegrityTransform? Integrity { get; }

    /// <summary>Bytes of explicit IV after the sequence number.</summary>
    public int IvSize { get; private set; }

    /// <summary>Bytes of ICV at the end of the packet.</summary>
    public int IcvSize { get; private set; }

    /// <summary>The payload, padding, Pad Length and Next Header together are a multiple of this (RFC 4303 §2.4).</summary>
    public int PaddingUnit { get; private set; }

    /// <summary>CBC: a random IV per packet. Counter modes and AEADs use the sequence number instead.</summary>
    internal bool UsesRandomIv { get; private set; }

    /// <summary>The inbound anti-replay window; null for an outbound SA.</summary>
    public ReplayWindow? ReplayWindow { get; }

    /// <summary>The last sequence number sent (outbound; 0 before the first packet).</summary>
    public ulong LastSequenceNumber => Volatile.Read(ref _sequence);

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

    /// <summary>Authentic inbound packets with bad padding.</summary>
    public long PaddingErrors => Volatile.Read(ref PaddingErrorCount);

    /// <summary>Inbound packets too short or misaligned to process, or with the wrong SPI or next header.</summary>
    public long MalformedPackets => Volatile.Read(ref MalformedCount);

    /// <summary>Decapsulated packets rejected by <see cref="MatchesInbound"/> (RFC 4301 §5.2).</summary>
    public long PolicyViolations => Volatile.Read(ref PolicyViolationCount);

    /// <summary>Outbound packets refused because the sequence number would cycle.</summary>
    public long SequenceExhaustedDrops => Volatile.Read(ref ExhaustedCount);

    /// <summary>Authentic dummy packets (Next Header 59) received and discarded.</summary>
    public long DummyPackets => Volatile.Read(ref DummyCount);

    /// <summary>True once the SA has sent its last sequence number and must be replaced.</summary>
    public bool IsSequenceExhausted => LastSequenceNumber >= uint.MaxValue;

    /// <summary>True after <see cref="Dispose"/>.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed);

    internal IAead? Aead => _aead;
    internal ICipher? Cipher => _cipher;
    internal IIntegrity? IntegrityPrimitive => _integrity;

    /// <summary>Takes the next outbound sequence number; false, taking none, when it would pass 2^32 − 1.</summary>
    internal bool TryNextSequence(out ulong sequence)
    {
        if (_sequence >= uint.MaxValue)
        {
            sequence = 0;
            return false;
        }
        sequence = ++_sequence;
        return true;
    }

    /// <summary>Moves the outbound counter, so tests reach exhaustion without 2^32 packets.</summary>
    internal void SetLastSequenceNumber(ulong sequence) => _sequence = sequence;

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
        _aead?.Dispose();
        _cipher?.Dispose();
        _integrity?.Dispose();
        _aead = null;
        _cipher = null;
        _integrity = null;
    }
}
