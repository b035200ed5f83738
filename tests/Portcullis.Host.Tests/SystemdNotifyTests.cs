using System.Net.Sockets;
using System.Text;

namespace Portcullis.Host.Tests;

public sealed class SystemdNotifyTests
{
    private static string Receive(Socket socket)
    {
        var buffer = new byte[256];
        socket.ReceiveTimeout = 10_000;
        int n = socket.Receive(buffer);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }

    [Fact]
    public void Sends_the_state_to_a_path_socket()
    {
        string path = Path.Combine(Path.GetTempPath(), $"pc-notify-{Guid.NewGuid():N}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        try
        {
            Assert.True(SystemdNotify.Notify("READY=1\nSTATUS=2 connections loaded", path));
            Assert.Equal("READY=1\nSTATUS=2 connections loaded", Receive(listener));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void An_at_sign_names_an_abstract_socket()
    {
        string name = $"pc-notify-{Guid.NewGuid():N}";
        using var listener = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint("\0" + name));
        Assert.True(SystemdNotify.Notify("STOPPING=1", "@" + name));
        Assert.Equal("STOPPING=1", Receive(listener));
    }

    [Theory]
    [InlineData("")]
    [InlineData("vsock:2:1234")]
    public void Without_a_usable_socket_nothing_is_sent(string notifySocket) =>
        Assert.False(SystemdNotify.Notify("READY=1", notifySocket));

    [Fact]
    public void A_socket_nobody_listens_on_is_a_false_not_an_exception() =>
        Assert.False(SystemdNotify.Notify("READY=1", Path.Combine(Path.GetTempPath(), $"pc-none-{Guid.NewGuid():N}.sock")));
}
