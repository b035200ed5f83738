using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ppp;

/// <summary>
/// The Recursive DNS Server option of a Router Advertisement (RFC 8106 §5.1), which gives a SLAAC client its IPv6 DNS
/// servers (IPv6CP has no DNS option, unlike IPCP's RFC 1877 ones):
/// <code>
///  Type 25 | Length (8-octet units: 1 + 2 × servers) | Reserved (2) | Lifetime (4) | Addresses of IPv6 Recursive DNS Servers (16 × servers)
/// </code>
/// </summary>
/// <param name="Lifetime">Seconds the servers may be used; 0: no longer, 0xFFFFFFFF: for ever (§5.1).</param>
/// <param name="Servers">The servers' addresses, in order of preference.</param>
public readonly record struct RecursiveDnsServerOption(uint Lifetime, IReadOnlyList<IPAddress> Servers)
{
    /// <summary>The option's Type.</summary>
    public const byte Type = 25;

    /// <summary>
    /// The Lifetime we send: three times <see cref="RouterAdvertisement.Interval"/> (MaxRtrAdvInterval, 600 s), as
    /// §5.1 asks for at least MaxRtrAdvInterval and suggests 3 × MaxRtrAdvInterval, so one lost advertisement does not
    /// expire the servers before the next.
    /// </summary>
    public const uint DefaultLifetime = 1800;

    /// <summary>Bytes of the option with <paramref name="servers"/> addresses (0 when there are none: no option is sent).</summary>
    public static int LengthFor(int servers) => servers == 0 ? 0 : 8 + 16 * servers;

    /// <summary>Writes the option for <paramref name="servers"/>; returns <see cref="LengthFor"/>'s bytes.</summary>
    /// <exception cref="ArgumentException">No servers, more than 127 (the Length field's limit), one not IPv6, or the destination too short.</exception>
    public static int Write(uint lifetime, IReadOnlyList<IPAddress> servers, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(servers);
        if (servers.Count is 0 or > 127) throw new ArgumentException($"an RDNSS option carries 1 to 127 servers, not {servers.Count}", nameof(servers));
        int length = LengthFor(servers.Count);
        if (destination.Length < length) throw new ArgumentException($"an RDNSS option with {servers.Count} servers needs {length} bytes", nameof(destination));
        Span<byte> option = destination[..length];
        option[0] = Type;
        option[1] = (byte)(length / 8);
        option[2] = option[3] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(option[4..], lifetime);
        for (int i = 0; i < servers.Count; i++)
        {
            if (servers[i].AddressFamily != AddressFamily.InterNetworkV6) throw new ArgumentException($"{servers[i]} is not an IPv6 address", nameof(servers));
            servers[i].TryWriteBytes(option.Slice(8 + 16 * i, 16), out _);
        }
        return length;
    }

    /// <summary>
    /// Parses one option that starts at <paramref name="option"/>[0] (the rest of the options may follow); never reads
    /// past it. The error names the field: Type, Length (under 3, even, or beyond the bytes given).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> option, out RecursiveDnsServerOption parsed, out ParseError error)
    {
        parsed = default;
        error = default;
        if (option.Length < 8) { error = new("RDNSS", $"{option.Length} bytes, less than the 8 of Type, Length, Reserved and Lifetime"); return false; }
        if (option[0] != Type) { error = new("Type", $"{option[0]}, expected {Type} (RDNSS)"); return false; }
        int units = option[1];
        // §5.1: "The minimum value is 3 if one IPv6 address is contained"; each address is two units more, so it is odd.
        if (units < 3 || units % 2 == 0) { error = new("Length", $"{units}, must be odd and at least 3 (1 + 2 per address, RFC 8106 §5.1)"); return false; }
        if (units * 8 > option.Length) { error = new("Length", $"{units * 8} bytes, but {option.Length} are left"); return false; }
        uint lifetime = BinaryPrimitives.ReadUInt32BigEndian(option[4..]);
        var servers = new IPAddress[(units - 1) / 2];
        for (int i = 0; i < servers.Length; i++) servers[i] = new IPAddress(option.Slice(8 + 16 * i, 16));
        parsed = new RecursiveDnsServerOption(lifetime, servers);
        return true;
    }
}
