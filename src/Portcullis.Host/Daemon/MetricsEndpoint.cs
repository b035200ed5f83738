using System.Net;
using System.Net.Sockets;
using System.Text;
using Portcullis.Core.Metrics;

namespace Portcullis.Host.Daemon;

/// <summary>
/// A tiny HTTP/1.x server for Prometheus: <c>GET /metrics</c> answers the text exposition, anything else 404 (or 405
/// for other methods). One request per connection, then close; headers beyond 8 KiB or slower than 5 s are cut off.
/// Meant for a loopback or management address: it has no authentication, like every Prometheus exporter.
/// </summary>
public sealed class MetricsEndpoint : IAsyncDisposable
{
    private const int MaxHeaderBytes = 8 * 1024;
    private readonly TcpListener _listener;
    private readonly Func<CancellationToken, Task<string>> _render;
    private readonly CancellationTokenSource _stop = new();
    private Task? _accept;

    /// <summary>Binds (but does not yet serve) <paramref name="endpoint"/>.</summary>
    public MetricsEndpoint(IPEndPoint endpoint, Func<CancellationToken, Task<string>> render)
    {
        _listener = new TcpListener(endpoint);
        _render = render;
    }

    /// <summary>The bound address (port 0 resolved).</summary>
    public IPEndPoint LocalEndpoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>Parses <c>ADDRESS:PORT</c> (<c>[v6]:PORT</c> for IPv6).</summary>
    public static bool TryParseEndpoint(string text, out IPEndPoint? endpoint) => IPEndPoint.TryParse(text, out endpoint) && endpoint.Port != 0;

    /// <summary>Starts listening and serving.</summary>
    public void Start()
    {
        _listener.Start(16);
        _accept = Task.Run(AcceptLoopAsync);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stop.IsCancellationRequested) return;
                continue;
            }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                NetworkStream stream = client.GetStream();
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                string? requestLine = await ReadRequestLineAsync(stream, timeout.Token).ConfigureAwait(false);
                (int status, string reason, string type, string body) = Route(requestLine) switch
                {
                    200 => (200, "OK", PrometheusTextWriter.ContentType, await _render(timeout.Token).ConfigureAwait(false)),
                    405 => (405, "Method Not Allowed", "text/plain; charset=utf-8", "only GET\n"),
                    400 => (400, "Bad Request", "text/plain; charset=utf-8", "bad request\n"),
                    _ => (404, "Not Found", "text/plain; charset=utf-8", "metrics are at /metrics\n"),
                };
                byte[] payload = Encoding.UTF8.GetBytes(body);
                bool head = requestLine?.StartsWith("HEAD ", StringComparison.Ordinal) == true;
                string headers = $"HTTP/1.1 {status} {reason}\r\nContent-Type: {type}\r\nContent-Length: {payload.Length}\r\nConnection: close\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(headers), timeout.Token).ConfigureAwait(false);
                if (!head) await stream.WriteAsync(payload, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // a client that went away or dawdled: nothing to report
            }
        }
    }

    /// <summary>200 for GET or HEAD of /metrics (a query string allowed), 405 for other methods, 404 for other paths, 400 for garbage.</summary>
    internal static int Route(string? requestLine)
    {
        string[] parts = requestLine?.Split(' ') ?? [];
        if (parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal)) return 400;
        string path = parts[1].Split('?')[0];
        if (path != "/metrics") return 404;
        return parts[0] is "GET" or "HEAD" ? 200 : 405;
    }

    /// <summary>The first line of the request, after the whole header has arrived; null when it is too long or ends early.</summary>
    private static async Task<string?> ReadRequestLineAsync(Stream stream, CancellationToken token)
    {
        var buffer = new byte[MaxHeaderBytes];
        int filled = 0;
        while (filled < buffer.Length)
        {
            int n = await stream.ReadAsync(buffer.AsMemory(filled), token).ConfigureAwait(false);
            if (n == 0) break;
            filled += n;
            string text = Encoding.ASCII.GetString(buffer, 0, filled);
            int end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end < 0) end = text.IndexOf("\n\n", StringComparison.Ordinal);
            if (end >= 0) return text[..text.IndexOf('\n')].TrimEnd('\r');
        }
        return null;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        _stop.Cancel();
        _listener.Stop();
        if (_accept is not null) await _accept.ConfigureAwait(false);
        _stop.Dispose();
    }
}
