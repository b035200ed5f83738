using System.Buffers.Binary;

namespace Portcullis.Core.Esp;

/// <summary>
/// The selector fields of one IP packet (RFC 4301 §4.4.1.1): addresses, next layer protocol and, for protocols
/// that have them, ports. Addresses are held as big-endian numbers (IPv4 in the low 32 bits) so ranges compare
/// without allocation. ICMP type and code, mobility header type and the ports of non-initial fragments are
/// treated as absent (OPAQUE): such packets match only selectors that allow any port.
/// </summary>
public readonly struct PacketSelectors
{
    private PacketSelectors(byte version, UInt128 source, UInt128 destination, byte protocol, bool hasPorts, ushort sourcePort, ushort destinationPort)
    {
        Version = version;
        Source = source;
        Destination = destination;
        Protocol = protocol;
        HasPorts = hasPorts;
        SourcePort = sourcePort;
        DestinationPort = destinationPort;
    }

    /// <summary>4 or 6.</summary>
    public byte Version { get; }

    /// <summary>The source address as a big-endian number.</summary>
    public UInt128 Source { get; }

    /// <summary>The destination address as a big-endian number.</summary>
    public UInt128 Destination { get; }

    /// <summary>The next layer protocol (after any IPv6 extension headers).</summary>
    public byte Protocol { get; }

    /// <summary>True when <see cref="SourcePort"/> and <see cref="DestinationPort"/> were read from a TCP, UDP, SCTP, DCCP or UDP-Lite header.</summary>
    public bool HasPorts { get; }

    /// <summary>The source port, when <see cref="HasPorts"/>.</summary>
    public ushort SourcePort { get; }

    /// <summary>The destination port, when <see cref="HasPorts"/>.</summary>
    public ushort DestinationPort { get; }

    /// <summary>
    /// Reads the selectors of an IPv4 or IPv6 packet. False for anything too short or malformed to carry them;
    /// never reads past <paramref name="packet"/>.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, out PacketSelectors selectors)
    {
        selectors = default;
        if (packet.IsEmpty) return false;
        int version = packet[0] >> 4;
        byte protocol;
        UInt128 source, destination;
        int transport;
        bool firstFragment;
        if (version == 4)
        {
            if (packet.Length < 20) return false;
            int headerLength = (packet[0] & 0x0f) * 4;
            if (headerLength < 20 || headerLength > packet.Length) return false;
            protocol = packet[9];
            source = BinaryPrimitives.ReadUInt32BigEndian(packet[12..]);
            destination = BinaryPrimitives.ReadUInt32BigEndian(packet[16..]);
            firstFragment = (BinaryPrimitives.ReadUInt16BigEndian(packet[6..]) & 0x1fff) == 0;
            transport = headerLength;
        }
        else if (version == 6)
        {
            if (packet.Length < 40) return false;
            source = BinaryPrimitives.ReadUInt128BigEndian(packet[8..]);
            destination = BinaryPrimitives.ReadUInt128BigEndian(packet[24..]);
            protocol = packet[6];
            transport = 40;
            firstFragment = true;
            // Walk the extension headers that precede the upper layer (RFC 8200 §4); 8 at most.
            for (int hops = 0; hops < 8; hops++)
            {
                if (protocol is 0 or 43 or 60 or 135 or 139 or 140)
                {
                    if (transport + 2 > packet.Length) break;
                    protocol = packet[transport];
                    transport += (packet[transport + 1] + 1) * 8;
                }
                else if (protocol == 44)
                {
                    if (transport + 8 > packet.Length) break;
                    firstFragment = (BinaryPrimitives.ReadUInt16BigEndian(packet[(transport + 2)..]) & 0xfff8) == 0;
                    protocol = packet[transport];
                    transport += 8;
                }
                else if (protocol == 51)
                {
                    if (transport + 2 > packet.Length) break;
                    protocol = packet[transport];
                    transport += (packet[transport + 1] + 2) * 4;
                }
                else
                {
                    break;
                }
            }
        }
        else
        {
            return false;
        }

        bool hasPorts = false;
        ushort sourcePort = 0, destinationPort = 0;
        if (firstFragment && protocol is 6 or 17 or 33 or 132 or 136 && transport + 4 <= packet.Length)
        {
            hasPorts = true;
            sourcePort = BinaryPrimitives.ReadUInt16BigEndian(packet[transport..]);
            destinationPort = BinaryPrimitives.ReadUInt16BigEndian(packet[(transport + 2)..]);
        }
        selectors = new PacketSelectors((byte)version, source, destination, protocol, hasPorts, sourcePort, destinationPort);
        return true;
    }
}
