using System.Buffers.Binary;
using System.Security.Cryptography;
using Portcullis.Core.Crypto;

namespace Portcullis.Core.Esp;

/// <summary>
/// ESP packet processing in tunnel mode (RFC 4303 §3.3 and §3.4), sans-IO: the host hands in the inner IP packet
/// and gets back SPI ‖ Sequence Number ‖ IV ‖ encrypted (payload ‖ padding ‖ Pad Length ‖ Next Header) ‖ ICV,
/// without the outer IP or UDP header, and the reverse. Nothing here allocates per packet, and nothing a peer
/// sends makes it throw: every defect in a received packet is a <see cref="DecapsulateResult"/>.
/// </summary>
public static class EspProcessor
{
    private const int HeaderSize = 8; // SPI and Sequence Number
    private const int TrailerSize = 2; // Pad Length and Next Header

    /// <summary>Next Header for an IPv4 inner packet (IP-in-IP).</summary>
    public const byte NextHeaderIPv4 = 4;

    /// <summary>Next Header for an IPv6 inner packet.</summary>
    public const byte NextHeaderIPv6 = 41;

    /// <summary>Next Header of a dummy packet (RFC 4303 §2.6).</summary>
    public const byte NextHeaderNone = 59;

    /// <summary>Next Header of a UDP segment in a transport-mode SA (e.g. the daemon's own L2TP).</summary>
    public const byte NextHeaderUdp = 17;

    /// <summary>The size of the ESP packet <see cref="Encapsulate(EspSa, ReadOnlySpan{byte}, Span{byte}, out int)"/> writes for an inner packet of <paramref name="innerLength"/> bytes.</summary>
    public static int GetEncapsulatedLength(EspSa sa, int innerLength)
    {
        ArgumentNullException.ThrowIfNull(sa);
        return HeaderSize + sa.IvSize + PaddedLength(innerLength, sa.PaddingUnit) + sa.IcvSize;
    }

    private static int PaddedLength(int innerLength, int unit) => (innerLength + TrailerSize + unit - 1) / unit * unit;

    /// <summary>
    /// Encapsulates <paramref name="innerIpPacket"/> for <paramref name="sa"/> (outbound) into
    /// <paramref name="output"/>, which must not overlap it. The sequence number is taken only when the packet
    /// is written.
    /// </summary>
    public static EncapsulateResult Encapsulate(EspSa sa, ReadOnlySpan<byte> innerIpPacket, Span<byte> output, out int written)
    {
        written = 0;
        if (innerIpPacket.IsEmpty) return EncapsulateResult.InvalidInnerPacket;
        byte nextHeader = (innerIpPacket[0] >> 4) switch
        {
            4 => NextHeaderIPv4,
            6 => NextHeaderIPv6,
            _ => 0,
        };
        if (nextHeader == 0) return EncapsulateResult.InvalidInnerPacket;
        return Encapsulate(sa, innerIpPacket, nextHeader, output, out written);
    }

    /// <summary>
    /// Encapsulates any payload with an explicit Next Header: in transport mode (RFC 4303 §3.1.1) the payload is the
    /// transport segment (e.g. 17 for the UDP of L2TP) that follows the IP header of the host's own packet.
    /// </summary>
    public static EncapsulateResult Encapsulate(EspSa sa, ReadOnlySpan<byte> innerIpPacket, byte nextHeader, Span<byte> output, out int written)
    {
        ArgumentNullException.ThrowIfNull(sa);
        written = 0;
        if (sa.IsInbound || sa.IsDisposed) return EncapsulateResult.UnusableSa;
        if (innerIpPacket.IsEmpty) return EncapsulateResult.InvalidInnerPacket;

        int ivSize = sa.IvSize, icvSize = sa.IcvSize;
        int encryptedLength = PaddedLength(innerIpPacket.Length, sa.PaddingUnit);
        int total = HeaderSize + ivSize + encryptedLength + icvSize;
        if (output.Length < total) return EncapsulateResult.OutputTooSmall;
        if (!sa.TryNextSequence(out ulong sequence))
        {
            Interlocked.Increment(ref sa.ExhaustedCount);
            return EncapsulateResult.SequenceNumberExhausted;
        }

        Span<byte> packet = output[..total];
        BinaryPrimitives.WriteUInt32BigEndian(packet, sa.Spi);
        BinaryPrimitives.WriteUInt32BigEndian(packet[4..], (uint)sequence);
        Span<byte> iv = packet.Slice(HeaderSize, ivSize);
        Span<byte> encrypted = packet.Slice(HeaderSize + ivSize, encryptedLength);
        Span<byte> icv = packet.Slice(HeaderSize + ivSize + encryptedLength, icvSize);

        // Plaintext first, in place: payload ‖ 1, 2, 3 … ‖ Pad Length ‖ Next Header.
        innerIpPacket.CopyTo(encrypted);
        int padLength = encryptedLength - innerIpPacket.Length - TrailerSize;
        for (int i = 0; i < padLength; i++) encrypted[innerIpPacket.Length + i] = (byte)(i + 1);
        encrypted[^2] = (byte)padLength;
        encrypted[^1] = nextHeader;

        if (sa.Aead is { } aead)
        {
            // RFC 4106 §3.1 (and 4309, 4543, 7634): any IV unique per key will do; the sequence number is.
            BinaryPrimitives.WriteUInt64BigEndian(iv, sequence);
            Span<byte> aad = stackalloc byte[EsnAadSize];
            aead.Seal(iv, AssociatedData(sa, packet, sequence, aad), encrypted, encrypted, icv);
        }
        else
        {
            ICipher cipher = sa.Cipher!;
            if (sa.UsesRandomIv) RandomNumberGenerator.Fill(iv); // CBC: unpredictable (RFC 3602 §3)
            else if (ivSize == 8) BinaryPrimitives.WriteUInt64BigEndian(iv, sequence); // counter mode (RFC 3686 §3.1)
            cipher.Encrypt(iv, encrypted, encrypted);
            // Encrypt-then-MAC over SPI ‖ Sequence Number ‖ IV ‖ ciphertext (RFC 4303 §3.3.4), with ESN followed by
            // the sequence number's high-order bits, which are not sent (RFC 4303 §2.2.1).
            Span<byte> high = stackalloc byte[4];
            sa.IntegrityPrimitive!.Compute(packet[..^icvSize], SequenceHigh(sa, sequence, high), icv);
        }

        sa.PacketCount++;
        sa.ByteCount += innerIpPacket.Length;
        written = total;
        return EncapsulateResult.Ok;
    }

    /// <summary>
    /// Verifies and decrypts, in place, an ESP packet (starting at the SPI) received for <paramref name="sa"/>
    /// (inbound). On <see cref="DecapsulateResult.Ok"/> the inner packet is
    /// <c>espPacket.Slice(innerOffset, innerLength)</c> and still has to pass <see cref="IpsecSa.MatchesInbound"/>;
    /// on anything else the outputs are 0 and the packet must be dropped (its bytes may have been changed). The
    /// replay window is checked before the ICV and moved only after the ICV verifies.
    /// </summary>
    public static DecapsulateResult Decapsulate(EspSa sa, Span<byte> espPacket, out int innerOffset, out int innerLength, out byte nextHeader)
    {
        ArgumentNullException.ThrowIfNull(sa);
        innerOffset = innerLength = 0;
        nextHeader = 0;
        if (!sa.IsInbound || sa.IsDisposed) return DecapsulateResult.UnusableSa;

        int ivSize = sa.IvSize, icvSize = sa.IcvSize;
        int encryptedLength = espPacket.Length - HeaderSize - ivSize - icvSize;
        if (encryptedLength < TrailerSize || (sa.Cipher is { } c && encryptedLength % c.BlockSize != 0))
            return Count(ref sa.MalformedCount, DecapsulateResult.Truncated);
        if (BinaryPrimitives.ReadUInt32BigEndian(espPacket) != sa.Spi)
            return Count(ref sa.MalformedCount, DecapsulateResult.SpiMismatch);

        // With ESN the high-order bits are inferred from the window (RFC 4303 Appendix A2); the ICV, which covers
        // them, confirms the guess.
        ulong sequence = sa.InboundSequence(BinaryPrimitives.ReadUInt32BigEndian(espPacket[4..]));
        ReplayWindow window = sa.ReplayWindow!;
        if (!window.Check(sequence)) return Count(ref sa.ReplayCount, DecapsulateResult.Replayed);

        ReadOnlySpan<byte> iv = espPacket.Slice(HeaderSize, ivSize);
        Span<byte> encrypted = espPacket.Slice(HeaderSize + ivSize, encryptedLength);
        ReadOnlySpan<byte> icv = espPacket.Slice(HeaderSize + ivSize + encryptedLength, icvSize);

        if (sa.Aead is { } aead)
        {
            Span<byte> aad = stackalloc byte[EsnAadSize];
            if (!aead.Open(iv, AssociatedData(sa, espPacket, sequence, aad), encrypted, icv, encrypted))
                return Count(ref sa.AuthenticationFailureCount, DecapsulateResult.AuthenticationFailed);
        }
        else
        {
            // Verify before decrypting (RFC 4303 §3.4.4.1).
            Span<byte> high = stackalloc byte[4];
            if (!sa.IntegrityPrimitive!.Verify(espPacket[..^icvSize], SequenceHigh(sa, sequence, high), icv))
                return Count(ref sa.AuthenticationFailureCount, DecapsulateResult.AuthenticationFailed);
            sa.Cipher!.Decrypt(iv, encrypted, encrypted);
        }

        // Authentic: now, and only now, the window moves (RFC 4303 §3.4.3).
        window.Commit(sequence);

        int padLength = encrypted[^2];
        byte next = encrypted[^1];
        int payloadLength = encryptedLength - TrailerSize - padLength;
        if (payloadLength < 0) return Count(ref sa.PaddingErrorCount, DecapsulateResult.BadPadding);
        // The receiver SHOULD check the padding (RFC 4303 §2.4); accumulate so the check takes the same time for any mismatch.
        int diff = 0;
        ReadOnlySpan<byte> padding = encrypted.Slice(payloadLength, padLength);
        for (int i = 0; i < padding.Length; i++) diff |= padding[i] ^ (i + 1);
        if (diff != 0) return Count(ref sa.PaddingErrorCount, DecapsulateResult.BadPadding);

        if (next == NextHeaderNone) return Count(ref sa.DummyCount, DecapsulateResult.DummyPacket);
        // Transport mode carries whatever upper layer the host's packet had (RFC 4303 §3.1.1); tunnel mode an IP packet.
        bool supported = sa.TransportMode || next is NextHeaderIPv4 or NextHeaderIPv6;
        if (!supported) return Count(ref sa.MalformedCount, DecapsulateResult.UnsupportedNextHeader);

        sa.PacketCount++;
        sa.ByteCount += payloadLength;
        innerOffset = HeaderSize + ivSize;
        innerLength = payloadLength;
        nextHeader = next;
        return DecapsulateResult.Ok;
    }

    private const int EsnAadSize = 12; // SPI ‖ Sequence Number high ‖ low

    /// <summary>
    /// An AEAD's associated data: SPI ‖ Sequence Number as sent, or with ESN SPI ‖ high ‖ low order 32 bits
    /// (RFC 4106 §5, RFC 4309 §5, RFC 4543 §3.3, RFC 7634 §2.1), built in <paramref name="scratch"/>.
    /// </summary>
    private static ReadOnlySpan<byte> AssociatedData(EspSa sa, ReadOnlySpan<byte> packet, ulong sequence, Span<byte> scratch)
    {
        if (!sa.ExtendedSequenceNumbers) return packet[..HeaderSize];
        packet[..4].CopyTo(scratch);
        BinaryPrimitives.WriteUInt64BigEndian(scratch[4..], sequence);
        return scratch;
    }

    /// <summary>The high-order 32 bits of an extended sequence number for the ICV, in <paramref name="scratch"/>; empty without ESN.</summary>
    internal static ReadOnlySpan<byte> SequenceHigh(IpsecSa sa, ulong sequence, Span<byte> scratch)
    {
        if (!sa.ExtendedSequenceNumbers) return [];
        BinaryPrimitives.WriteUInt32BigEndian(scratch, (uint)(sequence >> 32));
        return scratch;
    }

    private static DecapsulateResult Count(ref long counter, DecapsulateResult result)
    {
        Interlocked.Increment(ref counter);
        return result;
    }
}
