using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Portcullis.Host.Native;

namespace Portcullis.Host.Control;

/// <summary>
/// The daemon's control socket: a Unix stream socket serving two protocols, told apart by the first byte. Our own: one
/// request per connection, the client writes one line of JSON (<see cref="ControlRequest"/>, starting with '{'), the
/// server answers with one line of JSON (<see cref="ControlResponse"/>) and closes. strongSwan's VICI (when
/// <see cref="Vici"/> is set): a 4-byte segment length whose first byte is always 0, then as many packets as the
/// client likes (<see cref="ViciSession"/>), so Debian's <c>swanctl --list-sas --uri unix://PATH</c> drives the daemon.
/// <para>
/// Access: the socket file is made 0600 after bind and before listen (so nobody can connect in between), inside a
/// directory created 0700; and each connection's peer credentials (SO_PEERCRED) are checked, so a loosened file mode
/// still lets no one but root in (or whoever <see cref="AuthorizePeer"/> admits).
/// </para>
/// </summary>
public sealed class ControlSocket : IAsyncDisposable
{
    /// <summary>Where the daemon listens unless configured otherwise.</summary>
    public const string DefaultPath = "/run/portcullis/portcullis.sock";

    /// <summary>Longest request line accepted.</summary>
    public const int MaxRequestBytes = 64 * 1024;

    private readonly Func<ControlRequest, CancellationToken, Task<ControlResponse>> _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private Socket? _listener;
    private Task? _acceptLoop;

    public ControlSocket(string path, Func<ControlRequest, CancellationToken, Task<ControlResponse>> handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = path;
        _handler = handler ?? throw new ArgumentNullException(nameof(handler));
    }

    /// <summary>The socket file.</summary>
    public string Path { get; }

    /// <summary>Decides from the peer's uid whether it may send commands. Root only by default.</summary>
    public Func<uint, bool> AuthorizePeer { get; init; } = static uid => uid == 0;

    /// <summary>Serves VICI clients on this socket; null answers only the JSON protocol.</summary>
    public IViciService? Vici { get; init; }

    /// <summary>How long a client may take to send its request line.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Requests refused because of the peer's credentials.</summary>
    public long Refused => Interlocked.Read(ref _refused);
    private long _refused;

    /// <summary>
    /// Creates the directory (0700) if missing, removes a stale socket file (refusing if a live daemon answers on it,
    /// or if the path is not a socket), binds, restricts the file to 0600, listens, and starts accepting.
    /// </summary>
    public void Start()
    {
        if (_listener is not null) throw new InvalidOperationException("the control socket is already started");
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("the control socket needs Unix file modes");
        string? directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path));
        if (!string.IsNullOrEmpty(directory) && !Directory.Exists(directory))
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        RemoveStaleSocket();

        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(Path));
            // Before listen(): until then a connect() is refused, so there is no window with a looser mode.
            File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            listener.Listen(16);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        _listener = listener;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    private void RemoveStaleSocket()
    {
        int errno = Libc.LStat(Path, out int mode, out _);
        if (errno == Libc.ENOENT) return;
        if (errno != 0) throw Libc.Error($"stat {Path}", errno);
        if ((mode & Libc.S_IFMT) != Libc.S_IFSOCK) throw new IOException($"{Path} exists and is not a socket; not removing it");

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(Path));
        }
        catch (SocketException)
        {
            File.Delete(Path); // nobody listening: left over from a daemon that did not exit cleanly
            return;
        }
        throw new IOException($"another daemon is listening on {Path}");
    }

    private async Task AcceptLoopAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener!.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (token.IsCancellationRequested) return;
                continue;
            }
            var task = Task.Run(() => ServeAsync(client, token));
            lock (_connections)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(task);
            }
        }
    }

    private async Task ServeAsync(Socket client, CancellationToken stopping)
    {
        using (client)
        await using (var stream = new NetworkStream(client, ownsSocket: false))
        {
            ControlResponse response;
            try
            {
                var uid = PeerUid(client);
                bool authorised = uid is not null && AuthorizePeer(uid.Value);
                // Read the request even from a refused peer, so closing does not reset the connection under its answer.
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                timeout.CancelAfter(RequestTimeout);
                var first = new byte[1];
                int got = await stream.ReadAsync(first, timeout.Token).ConfigureAwait(false);
                if (got == 1 && Vici is { } vici && ViciSession.LooksLikeVici(first[0]))
                {
                    if (!authorised) Interlocked.Increment(ref _refused);
                    // A VICI session lives as long as the client wants (swanctl --monitor-sa): no request timeout.
                    await new ViciSession(stream, uid).RunAsync(first, vici, authorised, stopping).ConfigureAwait(false);
                    return;
                }
                var line = got == 0 ? null : await ReadLineAsync(stream, first[0], timeout.Token).ConfigureAwait(false);
                if (!authorised)
                {
                    Interlocked.Increment(ref _refused);
                    response = ControlResponse.Failure($"permission denied (peer uid {uid?.ToString() ?? "unknown"}): must be root", 77);
                }
                else
                {
                    response = line is null
                        ? ControlResponse.Failure($"request too long or not terminated by a newline (limit {MaxRequestBytes} bytes)", 64)
                        : await DispatchAsync(line, stopping).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
            {
                response = ControlResponse.Failure("timed out waiting for the request", 64);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
                return; // the client went away, or we are stopping
            }

            try
            {
                var json = JsonSerializer.SerializeToUtf8Bytes(response, ControlJsonContext.Default.ControlResponse);
                await stream.WriteAsync(json, stopping).ConfigureAwait(false);
                await stream.WriteAsync("\n"u8.ToArray(), stopping).ConfigureAwait(false);
                client.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
            }
        }
    }

    private async Task<ControlResponse> DispatchAsync(byte[] line, CancellationToken stopping)
    {
        ControlRequest? request = ParseRequest(line, out string? malformed);
        if (request is null) return ControlResponse.Failure(malformed!, 64);
        try
        {
            return await _handler(request, stopping).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
        {
            return ControlResponse.Failure($"{request.Command} failed: {e.Message}", 70);
        }
    }

    /// <summary>
    /// Reads one request line (JSON); null with the reason (<c>malformed request: …</c>) for anything else. Never throws:
    /// a local client's bytes are input like a peer's.
    /// </summary>
    internal static ControlRequest? ParseRequest(ReadOnlySpan<byte> line, out string? error)
    {
        ControlRequest? request;
        try
        {
            request = JsonSerializer.Deserialize(line, ControlJsonContext.Default.ControlRequest);
        }
        catch (JsonException e)
        {
            error = $"malformed request: {e.Message}";
            return null;
        }
        if (request is null || string.IsNullOrEmpty(request.Command))
        {
            error = "malformed request: no command";
            return null;
        }
        error = null;
        return request;
    }

    /// <summary>Reads up to the first newline; null when the line is longer than the limit or the stream ends first.</summary>
    private static async Task<byte[]?> ReadLineAsync(Stream stream, byte first, CancellationToken token)
    {
        var buffer = new byte[4096];
        using var line = new MemoryStream();
        if (first == (byte)'\n') return [];
        line.WriteByte(first);
        while (true)
        {
            int n = await stream.ReadAsync(buffer, token).ConfigureAwait(false);
            if (n == 0) return null;
            int newline = Array.IndexOf(buffer, (byte)'\n', 0, n);
            line.Write(buffer, 0, newline < 0 ? n : newline);
            if (line.Length > MaxRequestBytes) return null;
            if (newline >= 0) return line.ToArray();
        }
    }

    /// <summary>The uid of the process at the other end (SO_PEERCRED), or null if the kernel would not say.</summary>
    internal static uint? PeerUid(Socket socket)
    {
        Span<byte> credentials = stackalloc byte[Marshal.SizeOf<Libc.UCred>()];
        try
        {
            int length = socket.GetRawSocketOption(Libc.SOL_SOCKET, Libc.SO_PEERCRED, credentials);
            if (length < credentials.Length) return null;
        }
        catch (SocketException)
        {
            return null;
        }
        return MemoryMarshal.Read<Libc.UCred>(credentials).Uid;
    }

    /// <summary>Stops accepting, lets running requests see cancellation, waits for them, and removes the socket file.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        _stop.Cancel();
        _listener?.Dispose();
        if (_acceptLoop is not null) await _acceptLoop.ConfigureAwait(false);
        Task[] running;
        lock (_connections) running = [.. _connections];
        try
        {
            await Task.WhenAll(running).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // connection tasks swallow their own errors; nothing more to report here
        }
        if (_listener is not null)
        {
            try { File.Delete(Path); } catch (IOException) { }
        }
        _stop.Dispose();
    }
}
