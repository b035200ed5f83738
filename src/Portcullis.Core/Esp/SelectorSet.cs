using System.Buffers.Binary;
using System.Net.Sockets;
using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Esp;

/// <summary>
/// An immutable list of traffic selectors compiled for per-packet matching: addresses become numbers once, here,
/// so a match compares integers and allocates nothing. An empty set matches nothing.
/// </summary>
public sealed class SelectorSet
{
    private readonly Entry[] _entries;

    /// <summary>Compiles <paramref name="selectors"/>.</summary>
    public SelectorSet(IEnumerable<TrafficSelector> selectors)
    {
        ArgumentNullException.ThrowIfNull(selectors);
        TrafficSelector[] list = [.. selectors];
        Selectors = list;
        _entries = new Entry[list.Length];
        for (int i = 0; i < list.Length; i++)
        {
            TrafficSelector ts = list[i];
            _entries[i] = new Entry(ts.Family == AddressFamily.InterNetwork ? (byte)4 : (byte)6, ToNumber(ts.StartAddress), ToNumber(ts.EndAddress),
                ts.Protocol, ts.StartPort, ts.EndPort, ts.StartPort == 0 && ts.EndPort == 65535);
        }
    }

    /// <summary>A set matching nothing.</summary>
    public static SelectorSet Empty { get; } = new([]);

    /// <summary>The selectors, as given.</summary>
    public IReadOnlyList<TrafficSelector> Selectors { get; }

    /// <summary>
    /// True when some selector covers a packet of this IP version whose address (source or destination,
    /// whichever side this set describes), protocol and port on that side are given.
    /// </summary>
    public bool Matches(byte version, UInt128 address, byte protocol, bool hasPorts, ushort port)
    {
        foreach (ref readonly Entry e in _entries.AsSpan())
        {
            if (e.Version != version || address < e.Start || address > e.End) continue;
            if (e.Protocol != 0 && e.Protocol != protocol) continue;
            if (!e.AnyPort && (!hasPorts || port < e.StartPort || port > e.EndPort)) continue;
            return true;
        }
        return false;
    }

    /// <summary>True when some selector covers the packet's source side.</summary>
    public bool MatchesSource(in PacketSelectors packet) =>
        Matches(packet.Version, packet.Source, packet.Protocol, packet.HasPorts, packet.SourcePort);

    /// <summary>True when some selector covers the packet's destination side.</summary>
    public bool MatchesDestination(in PacketSelectors packet) =>
        Matches(packet.Version, packet.Destination, packet.Protocol, packet.HasPorts, packet.DestinationPort);

    private static UInt128 ToNumber(System.Net.IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out int length);
        return length == 4 ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    private readonly record struct Entry(byte Version, UInt128 Start, UInt128 End, byte Protocol, ushort StartPort, ushort EndPort, bool AnyPort);
}
