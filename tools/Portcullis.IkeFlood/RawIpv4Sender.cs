using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Portcullis.IkeFlood;

/// <summary>
/// Sends UDP datagrams with any IPv4 source address: a raw socket with IPPROTO_RAW (which implies IP_HDRINCL), the IPv4
/// and UDP headers written here. .NET refuses to create raw sockets for this protocol, so the descriptor comes from
/// libc's socket() and is wrapped (as the daemon does for ESP). Root or CAP_NET_RAW needed.
/// </summary>
internal sealed partial class RawIpv4Sender : IDisposable
{
    private const int AfInet = 2, SockRaw = 3, IpProtoRaw = 255;
    private const int Ipv4HeaderSize = 20, UdpHeaderSize = 8;
    private readonly Socket _socket;
    private readonly byte[] _packet = new byte[65535];
    private ushort _identification = (ushort)Random.Shared.Next();

    private RawIpv4Sender(Socket socket) => _socket = socket;

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int Socket(int domain, int type, int protocol);

    /// <summary>Opens the raw socket; throws with errno's text when that is not allowed.</summary>
    public static RawIpv4Sender Open()
    {
        int fd = Socket(AfInet, SockRaw, IpProtoRaw);
        if (fd < 0) throw new System.ComponentModel.Win32Exception(Marshal.GetLastPInvokeError(), "socket(AF_INET, SOCK_RAW, IPPROTO_RAW)");
        return new RawIpv4Sender(new Socket(new SafeSocketHandle(fd, ownsHandle: true)));
    }

    /// <summary>Sends <paramref name="payload"/> in a UDP datagram from <paramref name="source"/> to <paramref name="destination"/>.</summary>
    public void Send(IPEndPoint source, IPEndPoint destination, ReadOnlySpan<byte> payload)
    {
        int udpLength = UdpHeaderSize + payload.Length;
        int total = Ipv4HeaderSize + udpLength;
        Span<byte> ip = _packet.AsSpan(0, total);
        ip[0] = 0x45; // version 4, 5 words of header
        ip[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)total);
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], _identification++);
        BinaryPrimitives.WriteUInt16BigEndian(ip[6..], 0); // no flags, offset 0
        ip[8] = 64; // TTL
        ip[9] = (byte)ProtocolType.Udp;
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], 0);
        source.Address.TryWriteBytes(ip[12..16], out _);
        destination.Address.TryWriteBytes(ip[16..20], out _);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum(ip[..Ipv4HeaderSize], 0));

        Span<byte> udp = ip[Ipv4HeaderSize..];
        BinaryPrimitives.WriteUInt16BigEndian(udp, (ushort)source.Port);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], (ushort)destination.Port);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)udpLength);
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], 0);
        payload.CopyTo(udp[UdpHeaderSize..]);
        // The UDP checksum covers a pseudo-header of addresses, protocol and length (RFC 768).
        uint pseudo = Sum(ip[12..20]) + (uint)ProtocolType.Udp + (uint)udpLength;
        ushort checksum = Checksum(udp, pseudo);
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], checksum == 0 ? (ushort)0xFFFF : checksum);

        _socket.SendTo(ip, SocketFlags.None, new IPEndPoint(destination.Address, 0));
    }

    private static uint Sum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        int i = 0;
        for (; i + 1 < data.Length; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if (i < data.Length) sum += (uint)data[i] << 8;
        return sum;
    }

    private static ushort Checksum(ReadOnlySpan<byte> data, uint initial)
    {
        uint sum = initial + Sum(data);
        while (sum >> 16 != 0) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }

    /// <summary>Closes the socket.</summary>
    public void Dispose() => _socket.Dispose();
}
