using System.Net.Sockets;
using System.Text.Json;
using Portcullis.Host.Native;

namespace Portcullis.Host.Control;

/// <summary>The control client could not get an answer; <see cref="Exception.Message"/> says why in words for the user.</summary>
public sealed class ControlClientException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The CLI side of <see cref="ControlSocket"/>: one request, one response.</summary>
public static class ControlClient
{
    /// <summary>The user-facing reason a connect to the control socket failed.</summary>
    internal static string ExplainConnectFailure(string path, SocketError error, bool missing, string detail) =>
        missing
            ? $"cannot reach the daemon: {path} does not exist (is the daemon running?)"
            : error switch
            {
                SocketError.AccessDenied => $"permission denied on {path}: must be root",
                SocketError.ConnectionRefused => $"nothing is listening on {path} (is the daemon running?)",
                _ => $"cannot connect to {path}: {detail}",
            };

    /// <summary>
    /// Connects to the control socket at <paramref name="path"/>, sends <paramref name="request"/> and returns the
    /// daemon's response. Throws <see cref="ControlClientException"/> with an explanation when the socket is missing
    /// or refuses connections ("is the daemon running?"), when access is denied ("must be root"), or when the answer
    /// is not a valid response.
    /// </summary>
    public static async Task<ControlResponse> SendAsync(string path, ControlRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(request);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new ControlClientException(ExplainConnectFailure(path, e.SocketErrorCode, Libc.LStat(path, out _, out _) == Libc.ENOENT, e.Message), e);
        }

        await using var stream = new NetworkStream(socket, ownsSocket: false);
        try
        {
            var json = JsonSerializer.SerializeToUtf8Bytes(request, ControlJsonContext.Default.ControlRequest);
            await stream.WriteAsync(json, cancellationToken).ConfigureAwait(false);
            await stream.WriteAsync("\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
            using var answer = new MemoryStream();
            await stream.CopyToAsync(answer, cancellationToken).ConfigureAwait(false);
            if (answer.Length == 0) throw new ControlClientException($"the daemon on {path} closed the connection without answering");
            var response = JsonSerializer.Deserialize(answer.GetBuffer().AsSpan(0, (int)answer.Length).TrimEnd((byte)'\n'), ControlJsonContext.Default.ControlResponse);
            return response ?? throw new ControlClientException($"the daemon on {path} sent an empty response");
        }
        catch (JsonException e)
        {
            throw new ControlClientException($"the daemon on {path} sent a malformed response: {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            throw new ControlClientException($"lost the connection to the daemon on {path}: {e.Message}", e);
        }
    }
}
