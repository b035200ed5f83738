using System.Buffers.Binary;
using System.Collections.Frozen;

namespace Portcullis.Core.Esp;

/// <summary>The inbound ESP SAs: SPI → <see cref="EspSa"/> (see <see cref="SecurityAssociationDatabase{TSa}"/>).</summary>
public sealed class SecurityAssociationDatabase : SecurityAssociationDatabase<EspSa>;

/// <summary>
/// The inbound half of the SAD (RFC 4301 §4.4.2) for one protocol (ESP and AH SPIs are separate spaces): SPI → SA.
/// Lookups read an immutable snapshot and take no lock, so any number of receive threads may call them; changes
/// (rare: SA setup, rekey, delete) build a new snapshot under a lock and swap it in.
/// </summary>
public class SecurityAssociationDatabase<TSa> where TSa : IpsecSa
{
    private readonly Lock _writeLock = new();
    private FrozenDictionary<uint, TSa> _bySpi = FrozenDictionary<uint, TSa>.Empty;
    private long _unknownSpi;

    /// <summary>How many SAs are installed.</summary>
    public int Count => Volatile.Read(ref _bySpi).Count;

    /// <summary>Packets whose SPI matched no SA (counted by <see cref="Lookup(ReadOnlySpan{byte})"/>).</summary>
    public long UnknownSpiDrops => Volatile.Read(ref _unknownSpi);

    /// <summary>Installs an inbound SA; false when its SPI is already taken.</summary>
    public bool TryAdd(TSa sa)
    {
        ArgumentNullException.ThrowIfNull(sa);
        if (!sa.IsInbound) throw new ArgumentException("the SAD holds inbound SAs", nameof(sa));
        lock (_writeLock)
        {
            if (_bySpi.ContainsKey(sa.Spi)) return false;
            var next = new Dictionary<uint, TSa>(_bySpi) { [sa.Spi] = sa };
            Volatile.Write(ref _bySpi, next.ToFrozenDictionary());
            return true;
        }
    }

    /// <summary>
    /// Removes the SA with this SPI and returns it (the caller disposes it once no receive thread can still hold
    /// it), or null when there is none.
    /// </summary>
    public TSa? Remove(uint spi)
    {
        lock (_writeLock)
        {
            if (!_bySpi.TryGetValue(spi, out TSa? sa)) return null;
            var next = new Dictionary<uint, TSa>(_bySpi);
            next.Remove(spi);
            Volatile.Write(ref _bySpi, next.ToFrozenDictionary());
            return sa;
        }
    }

    /// <summary>The SA with this SPI.</summary>
    public bool TryGet(uint spi, out TSa? sa) => Volatile.Read(ref _bySpi).TryGetValue(spi, out sa);

    /// <summary>
    /// The SA named by the SPI at the start of an ESP packet, or null (counted in <see cref="UnknownSpiDrops"/>)
    /// when the packet is shorter than an SPI or no SA has it.
    /// </summary>
    public TSa? Lookup(ReadOnlySpan<byte> espPacket)
    {
        if (espPacket.Length >= 4 && Volatile.Read(ref _bySpi).TryGetValue(BinaryPrimitives.ReadUInt32BigEndian(espPacket), out TSa? sa))
            return sa;
        Interlocked.Increment(ref _unknownSpi);
        return null;
    }
}
