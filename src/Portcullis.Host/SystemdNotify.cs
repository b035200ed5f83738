using System.Net.Sockets;
using System.Text;

namespace Portcullis.Host;

/// <summary>
/// systemd's readiness protocol (sd_notify(3)) without libsystemd: when the service runs with <c>Type=notify</c>,
/// systemd sets <c>NOTIFY_SOCKET</c> to a Unix datagram socket (a path, or an abstract name written with a leading
/// '@'), and the daemon sends newline-separated assignments such as <c>READY=1</c> or <c>STOPPING=1</c>. Without
/// the variable it does nothing, so the daemon runs the same in a shell.
/// </summary>
public static class SystemdNotify
{
    /// <summary>The endpoint named by <paramref name="notifySocket"/>, or null when it is unset or not a Unix socket.</summary>
    internal static UnixDomainSocketEndPoint? EndpointOf(string? notifySocket) => notifySocket switch
    {
        null or "" => null,
        ['@', .. var name] => new UnixDomainSocketEndPoint("\0" + name),
        ['/', ..] => new UnixDomainSocketEndPoint(notifySocket),
        _ => null, // e.g. vsock: not for a service on this host
    };

    /// <summary>Sends <paramref name="state"/> (e.g. <c>READY=1\nSTATUS=…</c>); false when not under systemd or the send failed.</summary>
    public static bool Notify(string state, string? notifySocket = null)
    {
        UnixDomainSocketEndPoint? endpoint = EndpointOf(notifySocket ?? Environment.GetEnvironmentVariable("NOTIFY_SOCKET"));
        if (endpoint is null) return false;
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.SendTo(Encoding.UTF8.GetBytes(state), endpoint);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
