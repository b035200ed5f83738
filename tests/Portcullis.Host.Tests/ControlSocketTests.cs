using System.Net.Sockets;
using System.Text.Json;
using Portcullis.Host.Control;
using Portcullis.Host.Native;

namespace Portcullis.Host.Tests;

public sealed class ControlSocketTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"pc-ctl-{Guid.NewGuid():N}");
    private string SocketPath => Path.Combine(_root, "run", "portcullis.sock");
    private static readonly uint Me = Libc.GetEUid();

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private ControlSocket Server(Func<ControlRequest, CancellationToken, Task<ControlResponse>> handler, Func<uint, bool>? authorize = null) =>
        new(SocketPath, handler) { AuthorizePeer = authorize ?? (uid => uid == Me) };

    private static Task<ControlResponse> Echo(ControlRequest request, CancellationToken _) =>
        Task.FromResult(ControlResponse.Success($"{request.Command}:{string.Join(',', (request.Args ?? []).Select(kv => $"{kv.Key}={kv.Value}"))}"));

    [Fact]
    public async Task Round_trip_calls_the_handler_and_returns_its_response()
    {
        await using var server = Server(Echo);
        server.Start();
        var response = await ControlClient.SendAsync(SocketPath, new ControlRequest { Command = "list-sas", Args = new() { ["ike"] = "site" } });
        Assert.True(response.Ok);
        Assert.Equal("list-sas:ike=site", response.Output);
        Assert.Equal(0, response.ExitCode);
        Assert.Null(response.Error);
    }

    [Fact]
    public async Task Socket_is_0600_in_a_0700_directory_and_removed_on_dispose()
    {
        var server = Server(Echo);
        server.Start();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(SocketPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(SocketPath)!));
        Assert.Equal(0, Libc.LStat(SocketPath, out int mode, out uint owner));
        Assert.Equal(Libc.S_IFSOCK, mode & Libc.S_IFMT);
        Assert.Equal(Me, owner);
        await server.DisposeAsync();
        Assert.Equal(Libc.ENOENT, Libc.LStat(SocketPath, out _, out _));
    }

    [Fact]
    public async Task Peer_whose_uid_is_not_authorised_is_refused_even_with_open_file_mode()
    {
        bool called = false;
        await using var server = Server((r, c) => { called = true; return Echo(r, c); }, authorize: _ => false);
        server.Start();
        File.SetUnixFileMode(SocketPath, (UnixFileMode)0b110_110_110); // loosened on purpose
        var response = await ControlClient.SendAsync(SocketPath, new ControlRequest { Command = "list-sas" });
        Assert.False(response.Ok);
        Assert.Contains("must be root", response.Error);
        Assert.Contains($"uid {Me}", response.Error);
        Assert.NotEqual(0, response.ExitCode);
        Assert.False(called);
        Assert.Equal(1, server.Refused);
    }

    [Fact]
    public async Task Peer_credentials_are_read_with_SO_PEERCRED()
    {
        uint? seen = null;
        await using var server = Server(Echo, authorize: uid => { seen = uid; return true; });
        server.Start();
        Assert.True((await ControlClient.SendAsync(SocketPath, new ControlRequest { Command = "x" })).Ok);
        Assert.Equal(Me, seen);
    }

    [Fact]
    public async Task Handler_exception_and_malformed_json_become_error_responses()
    {
        await using var server = Server((r, _) => r.Command == "boom" ? throw new InvalidOperationException("kaput") : Echo(r, default));
        server.Start();
        var failed = await ControlClient.SendAsync(SocketPath, new ControlRequest { Command = "boom" });
        Assert.False(failed.Ok);
        Assert.Contains("kaput", failed.Error);

        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath));
        await socket.SendAsync("{not json\n"u8.ToArray());
        var buffer = new byte[4096];
        int total = 0, n;
        while ((n = await socket.ReceiveAsync(buffer.AsMemory(total))) > 0) total += n;
        var response = JsonSerializer.Deserialize(buffer.AsSpan(0, total).TrimEnd((byte)'\n'), ControlJsonContext.Default.ControlResponse)!;
        Assert.False(response.Ok);
        Assert.StartsWith("malformed request", response.Error);
    }

    [Fact]
    public async Task Concurrent_requests_are_all_answered()
    {
        await using var server = Server(async (r, c) => { await Task.Delay(20, c); return await Echo(r, c); });
        server.Start();
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => ControlClient.SendAsync(SocketPath, new ControlRequest { Command = $"c{i}" })));
        Assert.Equal(Enumerable.Range(0, 8).Select(i => $"c{i}:"), answers.Select(a => a.Output));
    }

    [Fact]
    public async Task Stale_socket_file_is_replaced_but_a_live_one_or_a_regular_file_is_not()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(SocketPath)!);
        MakeStaleSocket(SocketPath);
        Assert.Equal(0, Libc.LStat(SocketPath, out _, out _));

        await using (var server = Server(Echo))
        {
            server.Start();
            Assert.True((await ControlClient.SendAsync(SocketPath, new ControlRequest { Command = "a" })).Ok);
            var second = Server(Echo);
            var live = Assert.Throws<IOException>(second.Start);
            Assert.Contains("another daemon", live.Message);
        }

        File.WriteAllText(SocketPath, "precious");
        var regular = Assert.Throws<IOException>(Server(Echo).Start);
        Assert.Contains("not a socket", regular.Message);
        Assert.Equal("precious", File.ReadAllText(SocketPath));
    }

    [Fact]
    public async Task Client_explains_a_missing_socket()
    {
        var e = await Assert.ThrowsAsync<ControlClientException>(() => ControlClient.SendAsync(SocketPath, new ControlRequest { Command = "list-sas" }));
        Assert.Contains("is the daemon running?", e.Message);
        Assert.Contains(SocketPath, e.Message);
    }

    [Fact]
    public void Client_explains_refused_and_denied_connections()
    {
        Assert.Contains("must be root", ControlClient.ExplainConnectFailure("/p", SocketError.AccessDenied, missing: false, "x"));
        Assert.Contains("is the daemon running?", ControlClient.ExplainConnectFailure("/p", SocketError.ConnectionRefused, missing: false, "x"));
        Assert.Contains("is the daemon running?", ControlClient.ExplainConnectFailure("/p", SocketError.AddressNotAvailable, missing: true, "x"));
    }

    /// <summary>
    /// A socket file nobody listens on, as a crashed daemon leaves it. (.NET deletes the file when a bound Socket is
    /// disposed, so this binds and closes in a child python3.)
    /// </summary>
    private static void MakeStaleSocket(string path)
    {
        var start = new System.Diagnostics.ProcessStartInfo("python3") { UseShellExecute = false };
        foreach (var a in new[] { "-c", "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()", path }) start.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(start)!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
    }

    [Fact]
    public async Task Client_explains_a_socket_nobody_listens_on()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(SocketPath)!);
        MakeStaleSocket(SocketPath);
        var e = await Assert.ThrowsAsync<ControlClientException>(() => ControlClient.SendAsync(SocketPath, new ControlRequest { Command = "x" }));
        Assert.Contains("nothing is listening", e.Message);
        Assert.Contains("is the daemon running?", e.Message);
    }
}

public sealed class ControlJsonTests
{
    [Fact]
    public void Request_serialises_to_the_documented_shape()
    {
        var json = JsonSerializer.Serialize(new ControlRequest { Command = "list-sas", Args = new() { ["ike"] = "site" } }, ControlJsonContext.Default.ControlRequest);
        Assert.Equal("""{"command":"list-sas","args":{"ike":"site"}}""", json);
        Assert.Equal("""{"command":"reload"}""", JsonSerializer.Serialize(new ControlRequest { Command = "reload" }, ControlJsonContext.Default.ControlRequest));
    }

    [Fact]
    public void Response_round_trips_and_omits_nulls()
    {
        Assert.Equal("""{"ok":true,"output":"text","exitCode":0}""", JsonSerializer.Serialize(ControlResponse.Success("text"), ControlJsonContext.Default.ControlResponse));
        var parsed = JsonSerializer.Deserialize("""{"ok":false,"error":"no such SA","exitCode":3}""", ControlJsonContext.Default.ControlResponse)!;
        Assert.Equal(ControlResponse.Failure("no such SA", 3), parsed);
    }

    [Fact]
    public void Request_without_command_is_rejected()
    {
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize("""{"args":{}}""", ControlJsonContext.Default.ControlRequest));
    }
}
