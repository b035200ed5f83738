using System.Buffers.Binary;
using System.Net.Sockets;
using Portcullis.Core.Vici;
using Portcullis.Host.Control;
using Portcullis.Host.Native;

namespace Portcullis.Host.Tests;

/// <summary>VICI on the control socket, beside the JSON protocol, with a fake service in place of the daemon.</summary>
public sealed class ViciSessionTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"pc-vici-{Guid.NewGuid():N}");
    private string SocketPath => Path.Combine(_root, "run", "portcullis.sock");
    private static readonly uint Me = Libc.GetEUid();

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private sealed class FakeService : IViciService
    {
        public int OpenedCount, ClosedCount;

        public Task<ViciMessage?> ExecuteAsync(ViciSession session, string command, ViciMessage request, CancellationToken cancellationToken)
        {
            switch (command)
            {
                case "version":
                    return Task.FromResult<ViciMessage?>(new ViciMessage().Add("daemon", "fake").Add("asked", request.Text("x") ?? "-"));
                case "list-sas":
                    // Streamed: two events, then the (empty) response.
                    session.TrySendEvent("list-sa", new ViciMessage().Add("n", "1"));
                    session.TrySendEvent("list-sa", new ViciMessage().Add("n", "2"));
                    return Task.FromResult<ViciMessage?>(new ViciMessage());
                default:
                    return Task.FromResult<ViciMessage?>(null);
            }
        }

        public bool HasEvent(string name) => name is "list-sa" or "log";

        public void Opened(ViciSession session) => Interlocked.Increment(ref OpenedCount);

        public void Closed(ViciSession session) => Interlocked.Increment(ref ClosedCount);
    }

    private sealed class Client : IDisposable
    {
        private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);

        public async Task ConnectAsync(string path) => await _socket.ConnectAsync(new UnixDomainSocketEndPoint(path));

        public async Task SendAsync(ViciPacketType type, string name, ViciMessage? message = null) =>
            await _socket.SendAsync(new ViciPacket(type, name, message?.Encode() ?? []).ToSegment());

        public async Task<ViciPacket?> ReceiveAsync()
        {
            var header = new byte[4];
            if (!await FillAsync(header)) return null;
            var segment = new byte[BinaryPrimitives.ReadUInt32BigEndian(header)];
            if (!await FillAsync(segment)) return null;
            Assert.True(ViciPacket.TryParse(segment, out ViciPacket? packet, out ViciParseError? error), error?.ToString());
            return packet;
        }

        private async Task<bool> FillAsync(byte[] buffer)
        {
            int filled = 0;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (filled < buffer.Length)
            {
                int n = await _socket.ReceiveAsync(buffer.AsMemory(filled), timeout.Token);
                if (n == 0) return false;
                filled += n;
            }
            return true;
        }

        public void Dispose() => _socket.Dispose();
    }

    private ControlSocket Server(FakeService service, Func<uint, bool>? authorize = null) =>
        new(SocketPath, (r, _) => Task.FromResult(ControlResponse.Success($"json:{r.Command}"))) { Vici = service, AuthorizePeer = authorize ?? (uid => uid == Me) };

    private static ViciMessage Parse(ViciPacket packet)
    {
        Assert.True(ViciMessage.TryParse(packet.Message, out ViciMessage? m, out ViciParseError? error), error?.ToString());
        return m!;
    }

    [Fact]
    public async Task Commands_unknown_commands_and_event_registration_on_one_connection()
    {
        var service = new FakeService();
        await using var server = Server(service);
        server.Start();
        using var client = new Client();
        await client.ConnectAsync(SocketPath);

        await client.SendAsync(ViciPacketType.CmdRequest, "version", new ViciMessage().Add("x", "y"));
        ViciPacket version = (await client.ReceiveAsync())!;
        Assert.Equal(ViciPacketType.CmdResponse, version.Type);
        Assert.Equal(("fake", "y"), (Parse(version).Text("daemon"), Parse(version).Text("asked")));

        await client.SendAsync(ViciPacketType.CmdRequest, "no-such-command");
        Assert.Equal(ViciPacketType.CmdUnknown, (await client.ReceiveAsync())!.Type);

        await client.SendAsync(ViciPacketType.EventRegister, "no-such-event");
        Assert.Equal(ViciPacketType.EventUnknown, (await client.ReceiveAsync())!.Type);

        // Not registered: the streamed events are not sent, only the response.
        await client.SendAsync(ViciPacketType.CmdRequest, "list-sas");
        Assert.Equal(ViciPacketType.CmdResponse, (await client.ReceiveAsync())!.Type);

        await client.SendAsync(ViciPacketType.EventRegister, "list-sa");
        Assert.Equal(ViciPacketType.EventConfirm, (await client.ReceiveAsync())!.Type);
        await client.SendAsync(ViciPacketType.CmdRequest, "list-sas");
        ViciPacket first = (await client.ReceiveAsync())!, second = (await client.ReceiveAsync())!, done = (await client.ReceiveAsync())!;
        Assert.Equal((ViciPacketType.Event, "list-sa", "1"), (first.Type, first.Name, Parse(first).Text("n")));
        Assert.Equal((ViciPacketType.Event, "2"), (second.Type, Parse(second).Text("n")));
        Assert.Equal(ViciPacketType.CmdResponse, done.Type);

        await client.SendAsync(ViciPacketType.EventUnregister, "list-sa");
        Assert.Equal(ViciPacketType.EventConfirm, (await client.ReceiveAsync())!.Type);
        await client.SendAsync(ViciPacketType.EventUnregister, "list-sa");
        Assert.Equal(ViciPacketType.EventUnknown, (await client.ReceiveAsync())!.Type);
        Assert.Equal(1, service.OpenedCount);
    }

    [Fact]
    public async Task The_json_protocol_still_works_on_the_same_socket()
    {
        await using var server = Server(new FakeService());
        server.Start();
        ControlResponse response = await ControlClient.SendAsync(SocketPath, new ControlRequest { Command = "list-sas" });
        Assert.Equal("json:list-sas", response.Output);
    }

    [Fact]
    public async Task A_malformed_message_gets_an_error_response_and_a_server_packet_type_closes_the_connection()
    {
        var service = new FakeService();
        await using var server = Server(service);
        server.Start();
        using var client = new Client();
        await client.ConnectAsync(SocketPath);
        await client.SendAsync(ViciPacketType.CmdRequest, "version", null);
        Assert.Equal(ViciPacketType.CmdResponse, (await client.ReceiveAsync())!.Type);

        // A request whose message opens a section and never closes it.
        var broken = new ViciPacket(ViciPacketType.CmdRequest, "version", [1, 1, (byte)'s']);
        await ((Func<Task>)(async () =>
        {
            using var raw = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await raw.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath));
            await raw.SendAsync(broken.ToSegment());
            var buffer = new byte[4096];
            int n = await raw.ReceiveAsync(buffer);
            Assert.True(ViciPacket.TryParse(buffer.AsSpan(4, n - 4), out ViciPacket? answer, out _));
            ViciMessage m = Parse(answer!);
            Assert.Equal("no", m.Text("success"));
            Assert.Equal("malformed version request: Unbalanced section at byte 3", m.Text("errmsg"));
        }))();

        // CMD_RESPONSE is the server's to send: the session ends.
        await client.SendAsync(ViciPacketType.CmdResponse, "");
        Assert.Null(await client.ReceiveAsync());
    }

    [Fact]
    public async Task An_unauthorised_peer_gets_an_error_for_every_command_and_no_events()
    {
        var service = new FakeService();
        await using var server = Server(service, authorize: _ => false);
        server.Start();
        using var client = new Client();
        await client.ConnectAsync(SocketPath);
        await client.SendAsync(ViciPacketType.CmdRequest, "version");
        ViciMessage m = Parse((await client.ReceiveAsync())!);
        Assert.Equal("no", m.Text("success"));
        Assert.Contains("must be root", m.Text("errmsg"));
        await client.SendAsync(ViciPacketType.EventRegister, "log");
        Assert.Equal(ViciPacketType.EventUnknown, (await client.ReceiveAsync())!.Type);
        Assert.Equal(0, service.OpenedCount);
        Assert.Equal(1, server.Refused);
    }
}
