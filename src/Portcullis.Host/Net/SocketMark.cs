using System.Net.Sockets;

namespace Portcullis.Host.Net;

/// <summary>SO_MARK on the daemon's own sockets (needs CAP_NET_ADMIN).</summary>
internal static class SocketMark
{
    /// <summary>
    /// Marks every packet <paramref name="socket"/> sends, so the policy routing rules that send a transport-mode
    /// peer's traffic into the TUN device pass the daemon's own IKE and ESP packets by. False when refused.
    /// </summary>
    public static bool Set(Socket socket, uint mark)
    {
        Span<byte> value = stackalloc byte[4];
        BitConverter.TryWriteBytes(value, mark); // an int in host order, as setsockopt takes it
        try
        {
            socket.SetRawSocketOption(1 /* SOL_SOCKET */, 36 /* SO_MARK */, value);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
