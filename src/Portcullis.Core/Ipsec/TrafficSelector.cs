using System.Net;
using System.Net.Sockets;

namespace Portcullis.Core.Ipsec;

/// <summary>
/// One traffic selector (RFC 7296 §3.13.1): an address range, an IP protocol (0 = any) and a port range. Both
/// addresses are of the same family.
/// </summary>
public readonly record struct TrafficSelector(IPAddress StartAddress, IPAddress EndAddress, byte Protocol = 0, ushort StartPort = 0, ushort EndPort = 65535)
{
    /// <summary>IPv4 or IPv6.</summary>
    public AddressFamily Family => StartAddress.AddressFamily;

    /// <summary>TS_IPV4_ADDR_RANGE (7) or TS_IPV6_ADDR_RANGE (8).</summary>
    public byte TsType => Family == AddressFamily.InterNetwork ? (byte)7 : (byte)8;

    /// <summary>Every IPv4 address, any protocol and port.</summary>
    public static TrafficSelector AnyV4 { get; } = new(IPAddress.Any, IPAddress.Broadcast);

    /// <summary>Every IPv6 address, any protocol and port.</summary>
    public static TrafficSelector AnyV6 { get; } = new(IPAddress.IPv6Any, IPAddress.Parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));

    /// <summary>A selector for one host.</summary>
    public static TrafficSelector ForHost(IPAddress address) => new(address, address);

    /// <summary>A selector for a prefix (<c>198.18.1.0/24</c>).</summary>
    public static TrafficSelector ForPrefix(IPAddress network, int prefixLength)
    {
        byte[] start = network.GetAddressBytes();
        byte[] end = (byte[])start.Clone();
        for (int bit = prefixLength; bit < start.Length * 8; bit++)
        {
            start[bit / 8] &= (byte)~(0x80 >> (bit % 8));
            end[bit / 8] |= (byte)(0x80 >> (bit % 8));
        }
        return new TrafficSelector(new IPAddress(start), new IPAddress(end));
    }

    /// <summary>
    /// Parses strongSwan's selector syntax: <c>198.18.1.0/24</c>, <c>198.18.1.1</c>, <c>198.18.1.1-198.18.1.9</c>,
    /// optionally followed by <c>[proto/port]</c> (<c>[udp/1701]</c>, <c>[17]</c>, <c>[tcp/80-90]</c>).
    /// </summary>
    public static bool TryParse(string text, out TrafficSelector selector, out string? error)
    {
        selector = default;
        error = null;
        string addressPart = text.Trim();
        string? protoPart = null;
        int bracket = addressPart.IndexOf('[');
        if (bracket >= 0)
        {
            if (!addressPart.EndsWith(']')) { error = $"'{text}': missing ']'"; return false; }
            protoPart = addressPart[(bracket + 1)..^1];
            addressPart = addressPart[..bracket];
        }

        TrafficSelector ts;
        int slash = addressPart.IndexOf('/');
        int dash = addressPart.IndexOf('-');
        if (slash >= 0)
        {
            if (!IPAddress.TryParse(addressPart[..slash], out IPAddress? network) || !int.TryParse(addressPart[(slash + 1)..], out int prefix)
                || prefix < 0 || prefix > network.GetAddressBytes().Length * 8)
            { error = $"'{text}' is not an address prefix"; return false; }
            ts = ForPrefix(network, prefix);
        }
        else if (dash >= 0)
        {
            if (!IPAddress.TryParse(addressPart[..dash], out IPAddress? from) || !IPAddress.TryParse(addressPart[(dash + 1)..], out IPAddress? to)
                || from.AddressFamily != to.AddressFamily || Compare(from, to) > 0)
            { error = $"'{text}' is not an address range"; return false; }
            ts = new TrafficSelector(from, to);
        }
        else
        {
            if (!IPAddress.TryParse(addressPart, out IPAddress? host)) { error = $"'{text}' is not an address"; return false; }
            ts = ForHost(host);
        }

        if (protoPart is not null)
        {
            string proto = protoPart;
            string? port = null;
            int ps = protoPart.IndexOf('/');
            if (ps >= 0) { proto = protoPart[..ps]; port = protoPart[(ps + 1)..]; }
            byte protocol;
            switch (proto.ToLowerInvariant())
            {
                case "" or "any": protocol = 0; break;
                case "tcp": protocol = 6; break;
                case "udp": protocol = 17; break;
                case "icmp": protocol = 1; break;
                case "ipv6-icmp" or "icmpv6": protocol = 58; break;
                case "sctp": protocol = 132; break;
                default:
                    if (!byte.TryParse(proto, out protocol)) { error = $"'{text}': unknown protocol '{proto}'"; return false; }
                    break;
            }
            ushort from = 0, to = 65535;
            if (port is not null && port != "%any" && port != "")
            {
                int pd = port.IndexOf('-');
                if (pd >= 0)
                {
                    if (!ushort.TryParse(port[..pd], out from) || !ushort.TryParse(port[(pd + 1)..], out to) || from > to)
                    { error = $"'{text}': bad port range"; return false; }
                }
                else
                {
                    if (!ushort.TryParse(port, out from)) { error = $"'{text}': bad port"; return false; }
                    to = from;
                }
            }
            ts = ts with { Protocol = protocol, StartPort = from, EndPort = to };
        }
        selector = ts;
        return true;
    }

    /// <summary>The part both selectors cover, or null when they do not overlap (narrowing, RFC 7296 §2.9).</summary>
    public TrafficSelector? Intersect(TrafficSelector other)
    {
        if (Family != other.Family) return null;
        byte protocol;
        if (Protocol == 0) protocol = other.Protocol;
        else if (other.Protocol == 0 || other.Protocol == Protocol) protocol = Protocol;
        else return null;
        ushort startPort = Math.Max(StartPort, other.StartPort), endPort = Math.Min(EndPort, other.EndPort);
        if (startPort > endPort) return null;
        IPAddress start = Compare(StartAddress, other.StartAddress) >= 0 ? StartAddress : other.StartAddress;
        IPAddress end = Compare(EndAddress, other.EndAddress) <= 0 ? EndAddress : other.EndAddress;
        if (Compare(start, end) > 0) return null;
        return new TrafficSelector(start, end, protocol, startPort, endPort);
    }

    /// <summary>True when <paramref name="other"/> lies entirely inside this selector.</summary>
    public bool Covers(TrafficSelector other) => Intersect(other) == other;

    /// <summary>True when this selector covers the address (any protocol/port restriction ignored).</summary>
    public bool ContainsAddress(ReadOnlySpan<byte> address)
    {
        Span<byte> start = stackalloc byte[16], end = stackalloc byte[16];
        if (!StartAddress.TryWriteBytes(start, out int n) || n != address.Length) return false;
        EndAddress.TryWriteBytes(end, out _);
        return address.SequenceCompareTo(start[..n]) >= 0 && address.SequenceCompareTo(end[..n]) <= 0;
    }

    /// <summary>A prefix covering exactly this address range, if there is one (for routes).</summary>
    public bool TryGetPrefix(out IPAddress network, out int prefixLength)
    {
        int bits = StartAddress.GetAddressBytes().Length * 8;
        for (prefixLength = 0; prefixLength <= bits; prefixLength++)
        {
            if (ForPrefix(StartAddress, prefixLength) is var p && p.StartAddress.Equals(StartAddress) && p.EndAddress.Equals(EndAddress))
            {
                network = StartAddress;
                return true;
            }
        }
        network = StartAddress;
        prefixLength = bits;
        return false;
    }

    /// <summary>
    /// The fewest prefixes that together cover exactly this address range, for routes: a prefix gives itself, a range
    /// such as 198.18.1.10-198.18.1.20 gives 198.18.1.10/31, 198.18.1.12/30, 198.18.1.16/30 and 198.18.1.20/32.
    /// </summary>
    public IReadOnlyList<(IPAddress Network, int PrefixLength)> Prefixes()
    {
        int bits = Family == AddressFamily.InterNetwork ? 32 : 128;
        UInt128 start = ToNumber(StartAddress), end = ToNumber(EndAddress);
        var prefixes = new List<(IPAddress, int)>();
        while (true)
        {
            // The largest block aligned on start that ends at or before end.
            int size = Math.Min((int)UInt128.TrailingZeroCount(start), bits);
            UInt128 span = size == 128 ? UInt128.MaxValue : (UInt128.One << size) - 1;
            while (size > 0 && end - start < span)
            {
                size--;
                span >>= 1;
            }
            prefixes.Add((Pools.AddressRange.ToAddress(start, Family), bits - size));
            if (end - start == span) return prefixes;
            start += span + 1;
        }
    }

    private static UInt128 ToNumber(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out int n);
        return n == 4 ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes) : System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    /// <summary>Compares two addresses of one family as unsigned big-endian numbers.</summary>
    public static int Compare(IPAddress a, IPAddress b)
    {
        Span<byte> x = stackalloc byte[16], y = stackalloc byte[16];
        a.TryWriteBytes(x, out int n);
        b.TryWriteBytes(y, out int m);
        if (n != m) return n.CompareTo(m);
        return x[..n].SequenceCompareTo(y[..m]);
    }

    /// <summary>strongSwan's notation: <c>198.18.1.0/24</c>, or a range, with <c>[proto/port]</c> when restricted.</summary>
    public override string ToString()
    {
        string addr = TryGetPrefix(out IPAddress net, out int len)
            ? (len == StartAddress.GetAddressBytes().Length * 8 ? net.ToString() : $"{net}/{len}")
            : $"{StartAddress}-{EndAddress}";
        if (Protocol == 0 && StartPort == 0 && EndPort == 65535) return addr;
        string port = StartPort == 0 && EndPort == 65535 ? "" : StartPort == EndPort ? $"/{StartPort}" : $"/{StartPort}-{EndPort}";
        return $"{addr}[{Protocol}{port}]";
    }
}

/// <summary>
/// The protocol and ports of a <c>dynamic</c> traffic selector (strongSwan's <c>dynamic[udp/1701]</c>): the address is
/// the one in use when the CHILD SA is made (the IKE address, or a virtual IP), the rest comes from the configuration.
/// </summary>
public readonly record struct DynamicSelector(byte Protocol = 0, ushort StartPort = 0, ushort EndPort = 65535)
{
    /// <summary>Any protocol and port: plain <c>dynamic</c>.</summary>
    public static DynamicSelector Any { get; } = new(0, 0, 65535);

    /// <summary>The selector for <paramref name="address"/> with this protocol and ports.</summary>
    public TrafficSelector For(IPAddress address) => new(address, address, Protocol, StartPort, EndPort);

    /// <summary><c>dynamic</c>, or <c>dynamic[17/1701]</c>.</summary>
    public override string ToString() => this == Any ? "dynamic"
        : $"dynamic[{Protocol}{(StartPort == 0 && EndPort == 65535 ? "" : StartPort == EndPort ? $"/{StartPort}" : $"/{StartPort}-{EndPort}")}]";
}

