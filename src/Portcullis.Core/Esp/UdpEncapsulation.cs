using System.Buffers.Binary;

namespace Portcullis.Core.Esp;

/// <summary>What a datagram received on the NAT-T port (UDP 4500) carries, by RFC 3948's framing.</summary>
public enum UdpEncapsulatedKind
{
    /// <summary>An IKE message behind the four-byte Non-ESP Marker (RFC 3948 §2.2).</summary>
    Ike,

    /// <summary>A UDP-Encapsulated ESP packet (RFC 3948 §2.1), starting with its non-zero SPI.</summary>
    Esp,

    /// <summary>A NAT-Keepalive: the single octet 0xFF (RFC 3948 §2.3).</summary>
    NatKeepalive,

    /// <summary>None of these: empty, a marker with nothing behind it, or too short for an ESP header.</summary>
    Malformed,
}

/// <summary>
/// RFC 3948 demultiplexing of the NAT-T port, over the datagram's bytes only (the Host's socket calls it; tests and
/// the fuzzer call it directly).
/// </summary>
public static class UdpEncapsulation
{
    /// <summary>Length of the Non-ESP Marker in front of an IKE message on port 4500.</summary>
    public const int NonEspMarkerLength = 4;

    /// <summary>An ESP header's fixed part: SPI and Sequence Number (RFC 4303 §2).</summary>
    public const int EspHeaderLength = 8;

    /// <summary>
    /// Classifies a datagram. <paramref name="payload"/> is what the next layer gets: the IKE message without its
    /// marker, or the whole ESP packet (SPI first); empty for keepalives and malformed datagrams.
    /// </summary>
    public static UdpEncapsulatedKind Classify(ReadOnlySpan<byte> datagram, out ReadOnlySpan<byte> payload)
    {
        payload = default;
        if (datagram.Length == 1 && datagram[0] == 0xFF) return UdpEncapsulatedKind.NatKeepalive;
        if (datagram.Length >= NonEspMarkerLength && BinaryPrimitives.ReadUInt32BigEndian(datagram) == 0)
        {
            // SPI 0 is reserved (RFC 4303 §2.1), so a zero first word can only be the marker; with nothing behind it
            // there is no IKE header to read.
            if (datagram.Length == NonEspMarkerLength) return UdpEncapsulatedKind.Malformed;
            payload = datagram[NonEspMarkerLength..];
            return UdpEncapsulatedKind.Ike;
        }
        if (datagram.Length < EspHeaderLength) return UdpEncapsulatedKind.Malformed;
        payload = datagram;
        return UdpEncapsulatedKind.Esp;
    }
}
