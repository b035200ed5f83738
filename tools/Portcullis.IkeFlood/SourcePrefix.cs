using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace Portcullis.IkeFlood;

/// <summary>An IPv4 prefix whose host addresses are used in turn as spoofed sources.</summary>
internal sealed class SourcePrefix
{
    private readonly uint _first;

    private SourcePrefix(uint first, uint count)
    {
        _first = first;
        Count = count;
    }

    /// <summary>Host addresses in the prefix (network and broadcast addresses left out when there are others).</summary>
    public uint Count { get; }

    /// <summary>The <paramref name="n"/>-th source, wrapping around.</summary>
    public IPAddress Address(int n)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, _first + (uint)(n % Count));
        return new IPAddress(bytes);
    }

    /// <summary>Parses <c>a.b.c.d/len</c>.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out SourcePrefix? prefix, [NotNullWhen(false)] out string? error)
    {
        prefix = null;
        error = null;
        string[] parts = text.Split('/');
        if (parts.Length != 2 || !IPAddress.TryParse(parts[0], out IPAddress? address) || address.AddressFamily != AddressFamily.InterNetwork
            || !int.TryParse(parts[1], out int length) || length is < 1 or > 32)
        {
            error = "not an IPv4 prefix a.b.c.d/len";
            return false;
        }
        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        uint mask = length == 32 ? uint.MaxValue : ~(uint.MaxValue >> length);
        uint network = BinaryPrimitives.ReadUInt32BigEndian(bytes) & mask;
        ulong size = 1UL << (32 - length);
        prefix = size > 2 ? new SourcePrefix(network + 1, (uint)(size - 2)) : new SourcePrefix(network, (uint)size);
        return true;
    }
}
