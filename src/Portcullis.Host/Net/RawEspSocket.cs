using System.Net;
using System.Net.Sockets;
using Portcullis.Host.Native;

namespace Portcullis.Host.Net;

/// <summary>
/// Receives one packet: for ESP the ESP packet (SPI first, the IP header already removed), for AH the whole IPv4
/// packet (AH's ICV covers the IP header); the SA is found by its SPI.
/// </summary>
public delegate void RawEspHandler(ReadOnlySpan<byte> packet);

/// <summary>
/// Plain ESP, IP protocol 50 (RFC 4303), for CHILD SAs without UDP encapsulation, and AH, IP protocol 51 (RFC 4302).
/// .NET refuses to create a raw socket for protocols 50 and 51, so the descriptor comes from libc's socket() (lab
/// notes) and is wrapped. One socket per address family and protocol: IPv4 reads include the IP header, which ESP
/// skips and AH keeps; IPv6 raw sockets never deliver the IPv6 header (RFC 3542 §3), so their reads start with the
/// SPI. ESP sends leave the header to the kernel; AH sends carry their own (IP_HDRINCL), since the ICV covers it.
/// One receive thread with one buffer.
/// </summary>
public sealed class RawEspSocket : IDisposable
{
    /// <summary>IP protocol 50.</summary>
    public const int IpProtoEsp = 50;

    /// <summary>IP protocol 51.</summary>
    public const int IpProtoAh = 51;

    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[65535];
    private Thread? _thread;
    private volatile bool _disposed;

    private RawEspSocket(Socket socket, AddressFamily family, int protocol)
    {
        _socket = socket;
        Family = family;
        Protocol = protocol;
    }

    /// <summary>The address family of the peers this socket reaches.</summary>
    public AddressFamily Family { get; }

    /// <summary>The IP protocol: <see cref="IpProtoEsp"/> or <see cref="IpProtoAh"/>.</summary>
    public int Protocol { get; }

    /// <summary>
    /// Opens the socket for <paramref name="family"/> (IPv4 by default) and <paramref name="protocol"/> (ESP by
    /// default; AH over IPv4 only, sending its own IP header); root or CAP_NET_RAW needed.
    /// </summary>
    public static RawEspSocket Open(AddressFamily family = AddressFamily.InterNetwork, int protocol = IpProtoEsp)
    {
        bool v6 = family == AddressFamily.InterNetworkV6;
        if (protocol is not (IpProtoEsp or IpProtoAh)) throw new ArgumentOutOfRangeException(nameof(protocol));
        if (protocol == IpProtoAh && v6) throw new NotSupportedException("AH over IPv6 needs the IPv6 header, which raw IPv6 sockets neither deliver nor take");
        string name = $"socket({(v6 ? "AF_INET6" : "AF_INET")}, SOCK_RAW, {(protocol == IpProtoAh ? "IPPROTO_AH" : "IPPROTO_ESP")})";
        int fd = Libc.Socket(v6 ? Libc.AF_INET6 : Libc.AF_INET, (int)SocketType.Raw, protocol);
        if (fd < 0) throw Libc.Error(name);
        var socket = new Socket(new SafeSocketHandle(fd, ownsHandle: true));
        // AH's ICV covers the IPv4 header (identification included), so the header goes out exactly as AH wrote it.
        if (protocol == IpProtoAh) socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.HeaderIncluded, true);
        return new RawEspSocket(socket, v6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork, protocol);
    }

    /// <summary>Starts the receive thread.</summary>
    public void Start(RawEspHandler onPacket, Action<Exception>? onError = null)
    {
        string name = Protocol == IpProtoAh ? "ah-raw-rx" : Family == AddressFamily.InterNetworkV6 ? "esp-raw6-rx" : "esp-raw-rx";
        _thread = new Thread(() => ReceiveLoop(onPacket, onError)) { IsBackground = true, Name = name };
        _thread.Start();
    }

    private void ReceiveLoop(RawEspHandler onPacket, Action<Exception>? onError)
    {
        // A SocketAddress filled in place: no EndPoint is allocated per packet.
        var from = new SocketAddress(Family);
        bool v6 = Family == AddressFamily.InterNetworkV6;
        while (!_disposed)
        {
            int n;
            try { n = _socket.ReceiveFrom(_buffer, SocketFlags.None, from); }
            catch (SocketException) when (_disposed) { return; }
            catch (ObjectDisposedException) { return; }
            catch (SocketException e) { onError?.Invoke(e); continue; }
            int headerLength = 0;
            if (!v6)
            {
                if (n < 20) continue;
                headerLength = (_buffer[0] & 0x0F) * 4;
                if (headerLength < 20 || headerLength >= n) continue;
                if (Protocol == IpProtoAh) headerLength = 0;
            }
            else if (n == 0)
            {
                continue;
            }
            try { onPacket(_buffer.AsSpan(headerLength, n - headerLength)); }
            catch (Exception e) when (onError is not null) { onError(e); }
        }
    }

    /// <summary>
    /// Marks every packet the socket sends (<see cref="SocketMark"/>). False when refused.
    /// </summary>
    public bool SetMark(uint mark) => SocketMark.Set(_socket, mark);

    /// <summary>The socket address to pass to <see cref="Send"/> for a peer (made once per SA, not per packet).</summary>
    public static SocketAddress AddressOf(IPAddress remote) => new IPEndPoint(remote, 0).Serialize();

    /// <summary>
    /// Sends one ESP packet (or, for AH, one whole IPv4 packet) to <paramref name="remote"/>; false on a send error
    /// (counted by the caller).
    /// </summary>
    public bool Send(SocketAddress remote, ReadOnlySpan<byte> esp)
    {
        try
        {
            _socket.SendTo(esp, SocketFlags.None, remote);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Closes the socket; the receive thread ends.</summary>
    public void Dispose()
    {
        _disposed = true;
        try { _socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { }
        _socket.Dispose();
    }
}
