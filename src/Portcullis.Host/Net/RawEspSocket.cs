using System.Net;
using System.Net.Sockets;
using Portcullis.Host.Native;

namespace Portcullis.Host.Net;

/// <summary>Receives one ESP packet (SPI first, the IP header already removed); the SA is found by its SPI.</summary>
public delegate void RawEspHandler(ReadOnlySpan<byte> esp);

/// <summary>
/// Plain ESP, IP protocol 50 (RFC 4303), for CHILD SAs without UDP encapsulation. .NET refuses to create a raw socket
/// for protocol 50, so the descriptor comes from libc's socket() (lab notes) and is wrapped. One socket per address
/// family: IPv4 reads include the IP header, which is skipped; IPv6 raw sockets never deliver the IPv6 header (RFC 3542
/// §3), so their reads start with the SPI. Sends leave the header to the kernel. One receive thread with one buffer.
/// </summary>
public sealed class RawEspSocket : IDisposable
{
    private const int IpProtoEsp = 50;
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[65535];
    private Thread? _thread;
    private volatile bool _disposed;

    private RawEspSocket(Socket socket, AddressFamily family)
    {
        _socket = socket;
        Family = family;
    }

    /// <summary>The address family of the peers this socket reaches.</summary>
    public AddressFamily Family { get; }

    /// <summary>Opens the socket for <paramref name="family"/> (IPv4 by default; root or CAP_NET_RAW needed).</summary>
    public static RawEspSocket Open(AddressFamily family = AddressFamily.InterNetwork)
    {
        bool v6 = family == AddressFamily.InterNetworkV6;
        int fd = Libc.Socket(v6 ? Libc.AF_INET6 : Libc.AF_INET, (int)SocketType.Raw, IpProtoEsp);
        if (fd < 0) throw Libc.Error(v6 ? "socket(AF_INET6, SOCK_RAW, IPPROTO_ESP)" : "socket(AF_INET, SOCK_RAW, IPPROTO_ESP)");
        return new RawEspSocket(new Socket(new SafeSocketHandle(fd, ownsHandle: true)), v6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork);
    }

    /// <summary>Starts the receive thread.</summary>
    public void Start(RawEspHandler onPacket, Action<Exception>? onError = null)
    {
        _thread = new Thread(() => ReceiveLoop(onPacket, onError)) { IsBackground = true, Name = Family == AddressFamily.InterNetworkV6 ? "esp-raw6-rx" : "esp-raw-rx" };
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
    /// Marks every packet the socket sends (SO_MARK, needs CAP_NET_ADMIN), so the policy routing rules that send a
    /// transport-mode peer's traffic into the TUN device pass the daemon's own IKE and ESP packets by. False when refused.
    /// </summary>
    public bool SetMark(uint mark)
    {
        Span<byte> value = stackalloc byte[4];
        BitConverter.TryWriteBytes(value, mark); // an int in host order, as setsockopt takes it
        try
        {
            _socket.SetRawSocketOption(1 /* SOL_SOCKET */, 36 /* SO_MARK */, value);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The socket address to pass to <see cref="Send"/> for a peer (made once per SA, not per packet).</summary>
    public static SocketAddress AddressOf(IPAddress remote) => new IPEndPoint(remote, 0).Serialize();

    /// <summary>Sends one ESP packet to <paramref name="remote"/>; false on a send error (counted by the caller).</summary>
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
