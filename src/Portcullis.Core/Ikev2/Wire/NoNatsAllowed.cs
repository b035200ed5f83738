using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Portcullis.Core.Ikev2.Wire;

/// <summary>
/// NO_NATS_ALLOWED notification data (RFC 4555 §4.2.6): the addresses and ports of the message as its sender put them
/// in the IP and UDP headers, so the receiver can tell whether a NAT changed them:
/// <code>
///  Source IP address (4 or 16) | Destination IP address (4 or 16) | Source port (2) | Destination port (2)
/// </code>
/// </summary>
public readonly record struct NoNatsAllowed(IPEndPoint Source, IPEndPoint Destination)
{
    /// <summary>The notify carrying these addresses.</summary>
    public NotifyPayload ToNotify()
    {
        byte[] source = Source.Address.GetAddressBytes(), destination = Destination.Address.GetAddressBytes();
        var data = new byte[source.Length + destination.Length + 4];
        source.CopyTo(data, 0);
        destination.CopyTo(data, source.Length);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(2 * source.Length), (ushort)Source.Port);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(2 * source.Length + 2), (ushort)Destination.Port);
        return new NotifyPayload(NotifyType.NoNatsAllowed, data);
    }

    /// <summary>Reads the notification data: 12 bytes for IPv4, 36 for IPv6.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out NoNatsAllowed value, out ParseError error)
    {
        value = default;
        error = default;
        int size = data.Length switch { 12 => 4, 36 => 16, _ => 0 };
        if (size == 0)
        {
            error = new("Notification Data", $"NO_NATS_ALLOWED of {data.Length} bytes, must be 12 (IPv4) or 36 (IPv6)");
            return false;
        }
        var source = new IPAddress(data[..size]);
        var destination = new IPAddress(data.Slice(size, size));
        int sourcePort = BinaryPrimitives.ReadUInt16BigEndian(data[(2 * size)..]);
        int destinationPort = BinaryPrimitives.ReadUInt16BigEndian(data[(2 * size + 2)..]);
        value = new NoNatsAllowed(new IPEndPoint(source, sourcePort), new IPEndPoint(destination, destinationPort));
        return true;
    }

    /// <summary>The data describes a message that went from <paramref name="source"/> to <paramref name="destination"/> unchanged.</summary>
    public bool Matches(IPEndPoint source, IPEndPoint destination) =>
        Source.Equals(Normalize(source)) && Destination.Equals(Normalize(destination));

    // A socket may report IPv4 peers as IPv4-mapped IPv6 addresses; the notify carries plain IPv4.
    private static IPEndPoint Normalize(IPEndPoint e) =>
        e.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(e.Address.MapToIPv4(), e.Port) : e;
}
