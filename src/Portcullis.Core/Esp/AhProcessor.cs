using System.Buffers.Binary;
using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Esp;

/// <summary>
/// AH packet processing (RFC 4302 §3.3 and §3.4), sans-IO, in tunnel and transport mode. Unlike ESP, AH's ICV covers
/// the IP header in front of it, with the fields that change in transit zeroed (§3.3.3.1: IPv4 TOS, flags, fragment
/// offset, TTL, header checksum and mutable options; IPv6 traffic class, flow label, hop limit and the data of options
/// whose "may change" bit is set), so this works on whole IP packets: tunnel mode writes the outer header itself,
/// transport mode inserts AH after the host packet's IP header (and hop-by-hop options), and decapsulation takes the
/// packet from its IP header on. Nothing allocates per packet; nothing a peer sends makes it throw. Not supported:
/// IPv6 routing headers before AH (the ICV would need the final destination predicted) and fragments (AH protects
/// whole datagrams; the kernel reassembles before the raw socket delivers).
/// </summary>
public static class AhProcessor
{
    /// <summary>The IP protocol number of AH.</summary>
    public const byte ProtocolAh = 51;

    private const int Ipv4HeaderSize = 20;
    private const int Ipv6HeaderSize = 40;
    private const byte HopByHop = 0, Routing = 43, Fragment = 44, DestinationOptions = 60;
    // The IP header (with IPv4 options or IPv6 extension headers) in front of AH is copied here while its mutable
    // fields are zeroed for the ICV; a longer one is refused.
    private const int MaxHeaderRegion = 512;

    /// <summary>The size of the tunnel-mode packet (outer IP header, AH, inner packet) for an inner packet of <paramref name="innerLength"/> bytes.</summary>
    public static int GetTunnelLength(AhSa sa, int innerLength, bool ipv6Outer)
    {
        ArgumentNullException.ThrowIfNull(sa);
        return (ipv6Outer ? Ipv6HeaderSize : Ipv4HeaderSize) + sa.HeaderLength(ipv6Outer) + innerLength;
    }

    /// <summary>The size of the transport-mode packet for a host packet of <paramref name="packetLength"/> bytes.</summary>
    public static int GetTransportLength(AhSa sa, int packetLength, bool ipv6)
    {
        ArgumentNullException.ThrowIfNull(sa);
        return packetLength + sa.HeaderLength(ipv6);
    }

    /// <summary>
    /// Tunnel mode (RFC 4302 §3.1.2): writes outer IP header ‖ AH ‖ <paramref name="innerIpPacket"/> into
    /// <paramref name="output"/>. The outer addresses are 4 bytes each (IPv4) or 16 (IPv6); TTL or hop limit is 64,
    /// the DSCP and ECN are copied from the inner packet (RFC 4301 §5.1.2.1) and IPv4's DF bit too.
    /// </summary>
    public static EncapsulateResult EncapsulateTunnel(AhSa sa, ReadOnlySpan<byte> innerIpPacket, ReadOnlySpan<byte> outerSource,
        ReadOnlySpan<byte> outerDestination, Span<byte> output, out int written)
    {
        ArgumentNullException.ThrowIfNull(sa);
        if (outerSource.Length is not (4 or 16) || outerDestination.Length != outerSource.Length)
            throw new ArgumentException("outer addresses must both be IPv4 (4 bytes) or both IPv6 (16 bytes)", nameof(outerSource));
        written = 0;
        if (sa.IsInbound || sa.IsDisposed) return EncapsulateResult.UnusableSa;
        if (innerIpPacket.IsEmpty) return EncapsulateResult.InvalidInnerPacket;
        int version = innerIpPacket[0] >> 4;
        if (version is not (4 or 6) || innerIpPacket.Length < (version == 4 ? Ipv4HeaderSize : Ipv6HeaderSize))
            return EncapsulateResult.InvalidInnerPacket;
        byte nextHeader = version == 4 ? EspProcessor.NextHeaderIPv4 : EspProcessor.NextHeaderIPv6;
        byte tos = version == 4 ? innerIpPacket[1] : (byte)((innerIpPacket[0] << 4) | (innerIpPacket[1] >> 4));

        bool ipv6 = outerSource.Length == 16;
        int ipLength = ipv6 ? Ipv6HeaderSize : Ipv4HeaderSize, ahLength = sa.HeaderLength(ipv6);
        int total = ipLength + ahLength + innerIpPacket.Length;
        if (total - (ipv6 ? Ipv6HeaderSize : 0) > ushort.MaxValue) return EncapsulateResult.InvalidInnerPacket;
        if (output.Length < total) return EncapsulateResult.OutputTooSmall;
        if (!sa.TryNextSequence(out ulong sequence))
        {
            Interlocked.Increment(ref sa.ExhaustedCount);
            return EncapsulateResult.SequenceNumberExhausted;
        }

        Span<byte> packet = output[..total];
        packet[..(ipLength + ahLength)].Clear();
        if (ipv6)
        {
            BinaryPrimitives.WriteUInt32BigEndian(packet, 0x6000_0000u | ((uint)tos << 20));
            BinaryPrimitives.WriteUInt16BigEndian(packet[4..], (ushort)(total - Ipv6HeaderSize));
            packet[6] = ProtocolAh;
            packet[7] = 64;
            outerSource.CopyTo(packet[8..]);
            outerDestination.CopyTo(packet[24..]);
        }
        else
        {
            packet[0] = 0x45;
            packet[1] = tos;
            BinaryPrimitives.WriteUInt16BigEndian(packet[2..], (ushort)total);
            // Identification: unique per SA for as long as a datagram may live, as the sequence number is, and never 0,
            // which a raw socket with IP_HDRINCL would replace (the ICV covers it).
            BinaryPrimitives.WriteUInt16BigEndian(packet[4..], (ushort)(sequence % ushort.MaxValue + 1));
            if (version == 4) packet[6] = (byte)(innerIpPacket[6] & 0x40);
            packet[8] = 64;
            packet[9] = ProtocolAh;
            outerSource.CopyTo(packet[12..]);
            outerDestination.CopyTo(packet[16..]);
        }
        innerIpPacket.CopyTo(packet[(ipLength + ahLength)..]);
        Seal(sa, packet, ipLength, ipv6, nextHeader, sequence);
        if (!ipv6) BinaryPrimitives.WriteUInt16BigEndian(packet[10..], InternetChecksum.Compute(packet[..Ipv4HeaderSize]));

        sa.PacketCount++;
        sa.ByteCount += innerIpPacket.Length;
        written = total;
        return EncapsulateResult.Ok;
    }

    /// <summary>
    /// Transport mode (RFC 4302 §3.1.1): inserts AH into the host's own <paramref name="ipPacket"/> after its IP header
    /// (IPv4, options included) or after its hop-by-hop options (IPv6), writing the result into
    /// <paramref name="output"/>. The protocol (next header) field becomes 51 and AH's Next Header carries the original;
    /// IPv4's total length and checksum, or IPv6's payload length, follow. Fragments and IPv6 routing headers are
    /// refused (<see cref="EncapsulateResult.InvalidInnerPacket"/>).
    /// </summary>
    public static EncapsulateResult EncapsulateTransport(AhSa sa, ReadOnlySpan<byte> ipPacket, Span<byte> output, out int written)
    {
        ArgumentNullException.ThrowIfNull(sa);
        written = 0;
        if (sa.IsInbound || sa.IsDisposed) return EncapsulateResult.UnusableSa;
        if (!TryParseHeader(ipPacket, out bool ipv6, out int ahOffset, out int nextHeaderPosition, out byte nextHeader, out int length) ||
            length != ipPacket.Length || nextHeader is Routing or Fragment or ProtocolAh)
            return EncapsulateResult.InvalidInnerPacket;
        int ahLength = sa.HeaderLength(ipv6);
        int total = ipPacket.Length + ahLength;
        if (total - (ipv6 ? Ipv6HeaderSize : 0) > ushort.MaxValue) return EncapsulateResult.InvalidInnerPacket;
        if (output.Length < total) return EncapsulateResult.OutputTooSmall;
        if (!sa.TryNextSequence(out ulong sequence))
        {
            Interlocked.Increment(ref sa.ExhaustedCount);
            return EncapsulateResult.SequenceNumberExhausted;
        }

        Span<byte> packet = output[..total];
        ipPacket[..ahOffset].CopyTo(packet);
        packet.Slice(ahOffset, ahLength).Clear();
        ipPacket[ahOffset..].CopyTo(packet[(ahOffset + ahLength)..]);
        packet[nextHeaderPosition] = ProtocolAh;
        if (ipv6) BinaryPrimitives.WriteUInt16BigEndian(packet[4..], (ushort)(total - Ipv6HeaderSize));
        else BinaryPrimitives.WriteUInt16BigEndian(packet[2..], (ushort)total);
        Seal(sa, packet, ahOffset, ipv6, nextHeader, sequence);
        if (!ipv6) WriteIpv4Checksum(packet[..ahOffset]);

        sa.PacketCount++;
        sa.ByteCount += ipPacket.Length;
        written = total;
        return EncapsulateResult.Ok;
    }

    /// <summary>
    /// Verifies, in place, an AH packet received for <paramref name="sa"/> (inbound), starting at its IP header. On
    /// <see cref="DecapsulateResult.Ok"/> <c>packet.Slice(innerOffset, innerLength)</c> is, in tunnel mode, the inner
    /// IP packet, and in transport mode the host packet with AH taken out (its IP header moved up to AH's place, the
    /// protocol and lengths restored); <paramref name="nextHeader"/> is what AH's Next Header said. The replay window
    /// is checked before the ICV and moved only after it verifies.
    /// </summary>
    public static DecapsulateResult Decapsulate(AhSa sa, Span<byte> packet, out int innerOffset, out int innerLength, out byte nextHeader)
    {
        ArgumentNullException.ThrowIfNull(sa);
        innerOffset = innerLength = 0;
        nextHeader = 0;
        if (!sa.IsInbound || sa.IsDisposed) return DecapsulateResult.UnusableSa;
        if (!TryParseHeader(packet, out bool ipv6, out int ahOffset, out int nextHeaderPosition, out byte protocol, out int length) || length > packet.Length)
            return Count(ref sa.MalformedCount, DecapsulateResult.Truncated);
        if (protocol != ProtocolAh) return Count(ref sa.MalformedCount, DecapsulateResult.UnsupportedNextHeader);
        packet = packet[..length];
        if (packet.Length < ahOffset + AhSa.FixedHeaderSize) return Count(ref sa.MalformedCount, DecapsulateResult.Truncated);
        Span<byte> ah = packet[ahOffset..];
        int ahLength = (ah[1] + 2) * 4;
        // The ICV field holds IV ‖ ICV and padding to the IP version's alignment; the peer may pad to 8 over IPv4 too.
        int minimum = AhSa.FixedHeaderSize + sa.IvSize + sa.IcvSize;
        if (ahLength < minimum || ahLength > (minimum + 7) / 8 * 8 || (ipv6 && ahLength % 8 != 0) || ahLength > ah.Length)
            return Count(ref sa.MalformedCount, DecapsulateResult.Truncated);
        if (BinaryPrimitives.ReadUInt32BigEndian(ah[4..]) != sa.Spi) return Count(ref sa.MalformedCount, DecapsulateResult.SpiMismatch);

        // With ESN the high-order bits are inferred from the window (RFC 4302 §3.4.3); the ICV covers them.
        ulong sequence = sa.InboundSequence(BinaryPrimitives.ReadUInt32BigEndian(ah[8..]));
        ReplayWindow window = sa.ReplayWindow!;
        if (!window.Check(sequence)) return Count(ref sa.ReplayCount, DecapsulateResult.Replayed);

        Span<byte> icvField = ah.Slice(AhSa.FixedHeaderSize + sa.IvSize, sa.IcvSize);
        Span<byte> received = stackalloc byte[sa.IcvSize];
        icvField.CopyTo(received);
        icvField.Clear();
        bool authentic = Icv(sa, packet, ahOffset, ipv6, sequence, received, verify: true);
        received.CopyTo(icvField);
        if (!authentic) return Count(ref sa.AuthenticationFailureCount, DecapsulateResult.AuthenticationFailed);

        // Authentic: now, and only now, the window moves (RFC 4302 §3.4.3).
        window.Commit(sequence);
        byte next = ah[0];
        if (sa.TransportMode)
        {
            // Take AH out: the IP header moves up against the payload, and says again what it carries.
            packet[..ahOffset].CopyTo(packet[ahLength..]);
            Span<byte> ip = packet[ahLength..];
            ip[nextHeaderPosition] = next;
            if (ipv6) BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)(ip.Length - Ipv6HeaderSize));
            else
            {
                BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)ip.Length);
                WriteIpv4Checksum(ip[..ahOffset]);
            }
            innerOffset = ahLength;
            innerLength = ip.Length;
        }
        else
        {
            if (next is not (EspProcessor.NextHeaderIPv4 or EspProcessor.NextHeaderIPv6))
                return Count(ref sa.MalformedCount, DecapsulateResult.UnsupportedNextHeader);
            innerOffset = ahOffset + ahLength;
            innerLength = packet.Length - innerOffset;
        }
        sa.PacketCount++;
        sa.ByteCount += innerLength;
        nextHeader = next;
        return DecapsulateResult.Ok;
    }

    /// <summary>
    /// Reads an IP header: the version, where AH goes or is (after IPv4's header and options, or after IPv6's
    /// hop-by-hop and destination options), the position of the protocol field that names what follows, that
    /// protocol, and the datagram length the header states. False when the header is malformed or a fragment.
    /// </summary>
    private static bool TryParseHeader(ReadOnlySpan<byte> packet, out bool ipv6, out int ahOffset, out int nextHeaderPosition, out byte protocol, out int length)
    {
        ipv6 = false;
        ahOffset = nextHeaderPosition = length = 0;
        protocol = 0;
        if (packet.IsEmpty) return false;
        switch (packet[0] >> 4)
        {
            case 4:
            {
                if (packet.Length < Ipv4HeaderSize) return false;
                int ihl = (packet[0] & 0x0F) * 4;
                length = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
                if (ihl < Ipv4HeaderSize || length < ihl || packet.Length < ihl) return false;
                if ((BinaryPrimitives.ReadUInt16BigEndian(packet[6..]) & 0x3FFF) != 0) return false; // MF or an offset: a fragment
                ahOffset = ihl;
                nextHeaderPosition = 9;
                protocol = packet[9];
                return true;
            }
            case 6:
            {
                if (packet.Length < Ipv6HeaderSize) return false;
                ipv6 = true;
                length = Ipv6HeaderSize + BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
                int offset = Ipv6HeaderSize, position = 6;
                byte next = packet[6];
                // Hop-by-hop options come first; destination options may stand before AH too (RFC 4302 §3.1.1).
                while (next is HopByHop or DestinationOptions && (next == DestinationOptions || offset == Ipv6HeaderSize))
                {
                    if (packet.Length < offset + 8) return false;
                    position = offset;
                    next = packet[offset];
                    offset += (packet[offset + 1] + 1) * 8;
                    if (offset > packet.Length || offset > length) return false;
                }
                ahOffset = offset;
                nextHeaderPosition = position;
                protocol = next;
                return true;
            }
            default:
                return false;
        }
    }

    /// <summary>Writes AH's fields at <paramref name="ahOffset"/> (the ICV field left zero by the caller) and then its ICV.</summary>
    private static void Seal(AhSa sa, Span<byte> packet, int ahOffset, bool ipv6, byte nextHeader, ulong sequence)
    {
        Span<byte> ah = packet[ahOffset..];
        ah[0] = nextHeader;
        ah[1] = (byte)(sa.HeaderLength(ipv6) / 4 - 2); // Payload Length: in 32-bit words, minus 2 (RFC 4302 §2.2)
        BinaryPrimitives.WriteUInt32BigEndian(ah[4..], sa.Spi);
        BinaryPrimitives.WriteUInt32BigEndian(ah[8..], (uint)sequence);
        // AES-GMAC's IV need only be unique per key (RFC 4543 §3.1): the 64-bit sequence number is.
        if (sa.IvSize > 0) BinaryPrimitives.WriteUInt64BigEndian(ah[AhSa.FixedHeaderSize..], sequence);
        Span<byte> icv = stackalloc byte[sa.IcvSize];
        Icv(sa, packet, ahOffset, ipv6, sequence, icv, verify: false);
        icv.CopyTo(ah[(AhSa.FixedHeaderSize + sa.IvSize)..]);
    }

    /// <summary>
    /// Computes (or, with <paramref name="verify"/>, checks in constant time) the ICV over the whole packet with the
    /// header's mutable fields zeroed and AH's ICV field zero, followed by an ESN's high-order bits (RFC 4302
    /// §3.3.3). The header is zeroed in place and restored afterwards; a malformed header or option list never verifies.
    /// </summary>
    private static bool Icv(AhSa sa, Span<byte> packet, int ahOffset, bool ipv6, ulong sequence, Span<byte> icv, bool verify)
    {
        if (ahOffset > MaxHeaderRegion) return false;
        Span<byte> saved = stackalloc byte[MaxHeaderRegion];
        Span<byte> header = packet[..ahOffset];
        header.CopyTo(saved);
        bool ok = ipv6 ? ZeroMutableIpv6(header) : ZeroMutableIpv4(header);
        if (ok)
        {
            Span<byte> high = stackalloc byte[4];
            ReadOnlySpan<byte> trailer = EspProcessor.SequenceHigh(sa, sequence, high);
            if (sa.IvMac is { } gmac)
            {
                ReadOnlySpan<byte> iv = packet.Slice(ahOffset + AhSa.FixedHeaderSize, sa.IvSize);
                if (verify) ok = gmac.Verify(iv, packet, trailer, icv);
                else gmac.Compute(iv, packet, trailer, icv);
            }
            else if (verify) ok = sa.Mac!.Verify(packet, trailer, icv);
            else sa.Mac!.Compute(packet, trailer, icv);
        }
        saved[..ahOffset].CopyTo(header);
        return ok;
    }

    /// <summary>
    /// RFC 4302 §3.3.3.1.1: zeroes TOS, flags and fragment offset, TTL and the header checksum, and every option but
    /// the immutable ones (security, extended security, commercial security, router alert, sender-directed delivery).
    /// A loose or strict source route's last address is the final destination, which the receiver sees.
    /// </summary>
    private static bool ZeroMutableIpv4(Span<byte> header)
    {
        header[1] = 0;
        header[6] = header[7] = 0;
        header[8] = 0;
        header[10] = header[11] = 0;
        Span<byte> options = header[Ipv4HeaderSize..];
        int i = 0;
        while (i < options.Length)
        {
            byte type = options[i];
            if (type == 0) break; // End of Option List: the rest is padding, zero as sent
            if (type == 1) { i++; continue; } // No Operation
            if (i + 1 >= options.Length) return false;
            int optionLength = options[i + 1];
            if (optionLength < 2 || i + optionLength > options.Length) return false;
            switch (type)
            {
                case 130 or 133 or 134 or 148 or 149:
                    break;
                case 131 or 137: // loose and strict source route
                    if (optionLength < 7) return false;
                    options.Slice(i + optionLength - 4, 4).CopyTo(header[16..]);
                    options.Slice(i, optionLength).Clear();
                    break;
                default:
                    options.Slice(i, optionLength).Clear();
                    break;
            }
            i += optionLength;
        }
        return true;
    }

    /// <summary>
    /// RFC 4302 §3.3.3.1.2: zeroes traffic class, flow label and hop limit, and the data of each hop-by-hop or
    /// destination option whose type says it may change en route (RFC 8200 §4.2, the third-highest bit).
    /// </summary>
    private static bool ZeroMutableIpv6(Span<byte> header)
    {
        header[0] &= 0xF0;
        header[1] = header[2] = header[3] = 0;
        header[7] = 0;
        int offset = Ipv6HeaderSize;
        while (offset < header.Length)
        {
            int extensionLength = (header[offset + 1] + 1) * 8;
            Span<byte> options = header.Slice(offset + 2, extensionLength - 2);
            int i = 0;
            while (i < options.Length)
            {
                byte type = options[i];
                if (type == 0) { i++; continue; } // Pad1
                if (i + 1 >= options.Length) return false;
                int dataLength = options[i + 1];
                if (i + 2 + dataLength > options.Length) return false;
                if ((type & 0x20) != 0) options.Slice(i + 2, dataLength).Clear();
                i += 2 + dataLength;
            }
            offset += extensionLength;
        }
        return true;
    }

    private static void WriteIpv4Checksum(Span<byte> header)
    {
        header[10] = header[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(header[10..], InternetChecksum.Compute(header));
    }

    private static DecapsulateResult Count(ref long counter, DecapsulateResult result)
    {
        Interlocked.Increment(ref counter);
        return result;
    }
}
