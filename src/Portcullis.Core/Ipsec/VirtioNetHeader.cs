using System.Buffers.Binary;

namespace Portcullis.Core.Ipsec;

/// <summary>Why a <see cref="VirtioNetHeader"/> was refused; each value names the field at fault.</summary>
public enum VirtioNetHeaderError
{
    /// <summary>Accepted.</summary>
    None,

    /// <summary>Fewer than <see cref="VirtioNetHeader.Size"/> bytes.</summary>
    Truncated,

    /// <summary><c>flags</c> has bits other than NEEDS_CSUM and DATA_VALID.</summary>
    Flags,

    /// <summary><c>gso_type</c> is not NONE, TCPV4 or TCPV6 (with or without ECN): the only kinds we offer the kernel.</summary>
    GsoType,

    /// <summary><c>gso_size</c> is 0 for a GSO packet.</summary>
    GsoSize,

    /// <summary><c>csum_start</c> lies outside the packet.</summary>
    CsumStart,

    /// <summary><c>csum_offset</c> puts the checksum field outside the packet.</summary>
    CsumOffset,
}

/// <summary>
/// <c>struct virtio_net_hdr</c> (virtio 1.x §5.1.6, without num_buffers), the 10 bytes in front of every packet on a
/// TUN device opened with IFF_VNET_HDR. In host byte order (little-endian here; the kernel's TUN uses the legacy
/// host-endian layout unless TUNSETVNETBE/LE says otherwise).
/// <code>
///  0      1      2             4             6              8               10
///  +------+------+-------------+-------------+--------------+---------------+
///  |flags |gso_  |  hdr_len    |  gso_size   |  csum_start  |  csum_offset  |
///  |      |type  |             |             |              |               |
///  +------+------+-------------+-------------+--------------+---------------+
/// </code>
/// </summary>
public readonly record struct VirtioNetHeader(byte Flags, byte GsoType, ushort HeaderLength, ushort GsoSize, ushort CsumStart, ushort CsumOffset)
{
    /// <summary>Bytes on the wire.</summary>
    public const int Size = 10;

    /// <summary>The checksum from <see cref="CsumStart"/> to the end is still to be computed and stored at CsumStart + CsumOffset.</summary>
    public const byte FlagNeedsCsum = 1;

    /// <summary>The checksum was already verified.</summary>
    public const byte FlagDataValid = 2;

    /// <summary>Not a GSO packet.</summary>
    public const byte GsoNone = 0;

    /// <summary>A TCP over IPv4 packet to be cut into <see cref="GsoSize"/>-byte segments.</summary>
    public const byte GsoTcpV4 = 1;

    /// <summary>A TCP over IPv6 packet to be cut into <see cref="GsoSize"/>-byte segments.</summary>
    public const byte GsoTcpV6 = 4;

    /// <summary>Added to a GSO type: the sender set ECN's CWR in the first segment only.</summary>
    public const byte GsoEcn = 0x80;

    /// <summary>Whether the packet is a TCP GSO packet.</summary>
    public bool IsTcpGso => (GsoType & ~GsoEcn) is GsoTcpV4 or GsoTcpV6;

    /// <summary>
    /// Reads the header in front of a packet of <paramref name="packetLength"/> bytes and checks it against it: a
    /// checksum to complete must lie inside the packet, and a GSO packet needs a segment size.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> data, int packetLength, out VirtioNetHeader header, out VirtioNetHeaderError error)
    {
        header = default;
        if (data.Length < Size) { error = VirtioNetHeaderError.Truncated; return false; }
        header = new VirtioNetHeader(data[0], data[1], BinaryPrimitives.ReadUInt16LittleEndian(data[2..]),
            BinaryPrimitives.ReadUInt16LittleEndian(data[4..]), BinaryPrimitives.ReadUInt16LittleEndian(data[6..]),
            BinaryPrimitives.ReadUInt16LittleEndian(data[8..]));
        error = header.Verify(packetLength);
        return error == VirtioNetHeaderError.None;
    }

    private VirtioNetHeaderError Verify(int packetLength)
    {
        if ((Flags & ~(FlagNeedsCsum | FlagDataValid)) != 0) return VirtioNetHeaderError.Flags;
        if ((GsoType & ~GsoEcn) is not (GsoNone or GsoTcpV4 or GsoTcpV6)) return VirtioNetHeaderError.GsoType;
        if (GsoType != GsoNone && GsoSize == 0) return VirtioNetHeaderError.GsoSize;
        if ((Flags & FlagNeedsCsum) != 0)
        {
            if (CsumStart >= packetLength) return VirtioNetHeaderError.CsumStart;
            if (CsumStart + CsumOffset + 2 > packetLength) return VirtioNetHeaderError.CsumOffset;
        }
        return VirtioNetHeaderError.None;
    }

    /// <summary>Writes the header; false when <paramref name="destination"/> is shorter than <see cref="Size"/>.</summary>
    public bool TryWrite(Span<byte> destination)
    {
        if (destination.Length < Size) return false;
        destination[0] = Flags;
        destination[1] = GsoType;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[2..], HeaderLength);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], GsoSize);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], CsumStart);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[8..], CsumOffset);
        return true;
    }
}
