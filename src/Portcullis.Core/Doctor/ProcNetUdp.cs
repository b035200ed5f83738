using System.Globalization;
using System.Net;

namespace Portcullis.Core.Doctor;

/// <summary>One bound UDP socket from <c>/proc/net/udp</c> or <c>/proc/net/udp6</c>.</summary>
public readonly record struct UdpSocketEntry(IPAddress Address, int Port, ulong Inode);

/// <summary>
/// Reads <c>/proc/net/udp</c> and <c>/proc/net/udp6</c>: the local address (hex, in the kernel's byte order per
/// 32-bit word), port (hex) and the socket's inode, which <c>/proc/PID/fd</c> links name as <c>socket:[INODE]</c>.
/// </summary>
public static class ProcNetUdp
{
    /// <summary>The entries of one file's text; lines that do not parse are skipped.</summary>
    public static IReadOnlyList<UdpSocketEntry> Parse(string text)
    {
        var entries = new List<UdpSocketEntry>();
        foreach (string line in text.Split('\n').Skip(1))
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 10) continue;
            string[] local = f[1].Split(':');
            if (local.Length != 2 || !int.TryParse(local[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int port)) continue;
            if (!ulong.TryParse(f[9], NumberStyles.None, CultureInfo.InvariantCulture, out ulong inode)) continue;
            if (Address(local[0]) is not { } address) continue;
            entries.Add(new UdpSocketEntry(address, port, inode));
        }
        return entries;
    }

    // 8 hex digits (IPv4) or 32 (IPv6): each 32-bit word is printed as a host-order (little-endian) number.
    private static IPAddress? Address(string hex)
    {
        if (hex.Length is not (8 or 32)) return null;
        var bytes = new byte[hex.Length / 2];
        for (int word = 0; word < bytes.Length / 4; word++)
        {
            if (!uint.TryParse(hex.AsSpan(word * 8, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint v)) return null;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(word * 4), v);
        }
        return new IPAddress(bytes);
    }
}
