using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Portcullis.Core.Pools;

/// <summary>
/// The addresses a pool hands out, from strongSwan's <c>addrs</c> syntax:
/// <list type="bullet">
/// <item><c>198.18.100.0/24</c>: a subnet without its network and broadcast addresses (.1 to .254). When the address
/// has host bits set (<c>198.18.100.10/24</c>) the pool starts there instead (.10 to .254), keeping the lower
/// addresses for the gateway and other hosts. A /31 serves both addresses, a /32 its one.</item>
/// <item><c>198.18.100.10-198.18.100.50</c>: every address from the first to the last, both included.</item>
/// <item><c>198.18.100.5</c>: that one address.</item>
/// </list>
/// As in strongSwan a subnet pool holds at most 2^31 addresses (an IPv6 /64 serves its first 2^31 − 2) and a range at
/// most 2^32.
/// <para>
/// An IPv6 subnet shorter than /64 (<c>2001:db8:1::/56</c>) also has /64 prefixes to delegate, one per PPP client
/// (<see cref="PrefixCount"/>): every /64 of the subnet except those its addresses are in (the first, usually). Those
/// addresses stay for IKEv2 clients and for PPP clients when no /64 is left. Ranges, single addresses and subnets of
/// /64 or longer delegate none.
/// </para>
/// </summary>
public sealed class AddressRange : IEquatable<AddressRange>
{
    /// <summary>strongSwan's cap on the host bits of a subnet pool.</summary>
    private const int MaxHostBits = 31;

    /// <summary>Prefix length of the /64s <see cref="PrefixAt"/> hands out.</summary>
    public const int DelegatedPrefixLength = 64;

    private readonly UInt128 _first;
    // Delegation: the subnet's first /64, how many /64s it has (capped at 2^31, like its addresses), and the /64s the
    // addresses occupy (skipped).
    private readonly UInt128 _network;
    private readonly ulong _prefixes64, _addressPrefixFirst, _addressPrefixCount;

    private AddressRange(string text, AddressFamily family, UInt128 first, ulong size, int? prefixLength = null)
    {
        Text = text;
        Family = family;
        _first = first;
        Size = size;
        if (family == AddressFamily.InterNetworkV6 && prefixLength is int p && p < DelegatedPrefixLength)
        {
            PrefixLength = p;
            _network = p == 0 ? UInt128.Zero : first & (UInt128.MaxValue << (128 - p));
            _prefixes64 = 1UL << Math.Min(DelegatedPrefixLength - p, MaxHostBits);
            _addressPrefixFirst = (ulong)((first - _network) >> 64);
            ulong last = (ulong)((first + size - 1 - _network) >> 64);
            _addressPrefixCount = last - _addressPrefixFirst + 1;
            PrefixCount = _addressPrefixFirst >= _prefixes64 ? 0 : _prefixes64 - Math.Min(_addressPrefixCount, _prefixes64 - _addressPrefixFirst);
        }
    }

    /// <summary>An IPv6 subnet's prefix length when it is shorter than /64 (it delegates /64s); else null.</summary>
    public int? PrefixLength { get; }

    /// <summary>How many /64s the pool delegates (0: none; see the class comment).</summary>
    public ulong PrefixCount { get; }

    /// <summary>The /64 at an offset (0 to <see cref="PrefixCount"/> − 1), its first 64 bits set and the rest zero.</summary>
    public IPAddress PrefixAt(ulong offset)
    {
        if (offset >= PrefixCount) throw new ArgumentOutOfRangeException(nameof(offset));
        ulong index = offset < _addressPrefixFirst ? offset : offset + _addressPrefixCount;
        return ToAddress(_network + ((UInt128)index << 64), Family);
    }

    /// <summary>The offset of the delegated /64 an address is in, or null when it is in none.</summary>
    public ulong? PrefixOffsetOf(IPAddress address)
    {
        if (PrefixCount == 0 || address.AddressFamily != Family) return null;
        UInt128 a = ToNumber(address);
        if (a < _network || (a - _network) >> 64 >= _prefixes64) return null;
        ulong index = (ulong)((a - _network) >> 64);
        if (index < _addressPrefixFirst) return index;
        if (index < _addressPrefixFirst + _addressPrefixCount) return null;
        return index - _addressPrefixCount;
    }

    // What the pool may hand out: its addresses, or with delegation every /64 of the subnet that it covers.
    private (UInt128 First, UInt128 Last) Covered =>
        PrefixCount > 0 ? (_network, _network + ((UInt128)_prefixes64 << 64) - 1) : (_first, _first + Size - 1);

    /// <summary>The value as written (<c>198.18.100.0/24</c>).</summary>
    public string Text { get; }

    /// <summary>IPv4 or IPv6.</summary>
    public AddressFamily Family { get; }

    /// <summary>How many addresses the pool hands out (at least 1).</summary>
    public ulong Size { get; }

    /// <summary>The first address handed out.</summary>
    public IPAddress First => ToAddress(_first, Family);

    /// <summary>The last address handed out.</summary>
    public IPAddress Last => ToAddress(_first + Size - 1, Family);

    /// <summary>The address at an offset from <see cref="First"/> (0 to <see cref="Size"/> − 1).</summary>
    public IPAddress AddressAt(ulong offset) =>
        offset < Size ? ToAddress(_first + offset, Family) : throw new ArgumentOutOfRangeException(nameof(offset));

    /// <summary>The offset of an address in the range, or null when it is outside (or of the other family).</summary>
    public ulong? OffsetOf(IPAddress address)
    {
        if (address.AddressFamily != Family) return null;
        UInt128 a = ToNumber(address);
        return a >= _first && a - _first < Size ? (ulong)(a - _first) : null;
    }

    /// <summary>Whether the pool hands out this address.</summary>
    public bool Contains(IPAddress address) => OffsetOf(address) is not null;

    /// <summary>Whether the two ranges share an address or a delegated /64.</summary>
    public bool Overlaps(AddressRange other) =>
        Family == other.Family && Covered.First <= other.Covered.Last && other.Covered.First <= Covered.Last;

    /// <summary>The range from <paramref name="first"/> to <paramref name="last"/>, both included (same family, first ≤ last).</summary>
    public static AddressRange FromTo(IPAddress first, IPAddress last)
    {
        if (!TryMakeRange($"{first}-{last}", first, last, out AddressRange? range, out string? error)) throw new ArgumentException(error);
        return range!;
    }

    /// <summary>Parses strongSwan's <c>addrs</c> value: a subnet, a range or one address.</summary>
    public static bool TryParse(string text, out AddressRange? range, out string? error)
    {
        range = null;
        string value = text.Trim();
        int dash = value.IndexOf('-');
        if (dash >= 0)
        {
            if (!TryParseAddress(value[..dash].Trim(), out IPAddress? from) || !TryParseAddress(value[(dash + 1)..].Trim(), out IPAddress? to))
            {
                error = $"'{text}' is not an address range (first-last)";
                return false;
            }
            return TryMakeRange(value, from!, to!, out range, out error);
        }

        int slash = value.IndexOf('/');
        string addressText = slash >= 0 ? value[..slash] : value;
        if (!TryParseAddress(addressText, out IPAddress? baseAddress))
        {
            error = $"'{text}' is not an address, subnet (address/prefix) or range (first-last)";
            return false;
        }
        int width = baseAddress!.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        int prefix = width;
        if (slash >= 0 && (!int.TryParse(value.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > width))
        {
            error = $"'{text}': the prefix length must be 0 to {width}";
            return false;
        }
        // strongSwan's subnet pools: start at the given address, skip the network address (when given) and the broadcast address.
        int hostBits = Math.Min(width - prefix, MaxHostBits);
        ulong size = 1UL << hostBits;
        UInt128 first = ToNumber(baseAddress);
        ulong below = (ulong)(first & ((UInt128)size - 1));
        if (size > 2)
        {
            if (below == 0) { first++; size--; }
            else size -= below;
            size--;
        }
        else if (below != 0) size--;
        if (size == 0)
        {
            error = $"'{text}' leaves no address to hand out (it starts at the subnet's broadcast address)";
            return false;
        }
        range = new AddressRange(value, baseAddress.AddressFamily, first, size, slash >= 0 ? prefix : null);
        error = null;
        return true;
    }

    private static bool TryMakeRange(string text, IPAddress from, IPAddress to, out AddressRange? range, out string? error)
    {
        range = null;
        if (from.AddressFamily != to.AddressFamily) { error = $"'{text}' mixes IPv4 and IPv6"; return false; }
        UInt128 a = ToNumber(from), b = ToNumber(to);
        if (a > b) { error = $"'{text}': the first address is above the last"; return false; }
        if (b - a >= (UInt128)uint.MaxValue + 1) { error = $"'{text}' is too large (at most 2^32 addresses)"; return false; }
        range = new AddressRange(text, from.AddressFamily, a, (ulong)(b - a) + 1);
        error = null;
        return true;
    }

    /// <summary>A literal address only: IPv4 as four dotted decimals (not .NET's lenient <c>10.1</c>), IPv6 without a scope.</summary>
    internal static bool TryParseAddress(string text, out IPAddress? address)
    {
        address = null;
        if (text.Length == 0 || text.Contains('%')) return false;
        if (!text.Contains(':'))
        {
            string[] parts = text.Split('.');
            if (parts.Length != 4 || parts.Any(p => p.Length is 0 or > 3 || !p.All(char.IsAsciiDigit))) return false;
        }
        return IPAddress.TryParse(text, out address);
    }

    internal static UInt128 ToNumber(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out int n);
        UInt128 value = 0;
        for (int i = 0; i < n; i++) value = (value << 8) | bytes[i];
        return value;
    }

    internal static IPAddress ToAddress(UInt128 value, AddressFamily family)
    {
        int n = family == AddressFamily.InterNetwork ? 4 : 16;
        Span<byte> bytes = stackalloc byte[n];
        for (int i = n - 1; i >= 0; i--, value >>= 8) bytes[i] = (byte)value;
        return new IPAddress(bytes);
    }

    /// <inheritdoc />
    public bool Equals(AddressRange? other) => other is not null && Family == other.Family && _first == other._first && Size == other.Size && PrefixCount == other.PrefixCount;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as AddressRange);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Family, _first, Size, PrefixCount);

    /// <summary>The value as written.</summary>
    public override string ToString() => Text;
}
