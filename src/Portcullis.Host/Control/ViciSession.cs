using System.Threading.Channels;
using Portcullis.Core.Vici;

namespace Portcullis.Host.Control;

/// <summary>What serves VICI commands and events: the daemon.</summary>
public interface IViciService
{
    /// <summary>
    /// Runs one command and returns its response message, or null when the command is unknown (CMD_UNKNOWN). Streamed
    /// commands (list-sas, list-conns, initiate's control-log) send their events through <paramref name="session"/>
    /// before returning.
    /// </summary>
    Task<ViciMessage?> ExecuteAsync(ViciSession session, string command, ViciMessage request, CancellationToken cancellationToken);

    /// <summary>Whether an event of this name exists (EVENT_CONFIRM) or not (EVENT_UNKNOWN).</summary>
    bool HasEvent(string name);

    /// <summary>The session opened (it may register for broadcast events).</summary>
    void Opened(ViciSession session);

    /// <summary>The session closed.</summary>
    void Closed(ViciSession session);
}

/// <summary>
/// One client connection speaking strongSwan's VICI protocol (as <c>swanctl</c> does) on the control socket: a
/// sequence of length-prefixed packets; one command active at a time; events for the names the client registered,
/// at any time. Everything the session sends (responses and events) goes through one queue written by one task, so
/// a streamed command's events always precede its response and broadcast events never interleave with them.
/// </summary>
public sealed class ViciSession
{
    private readonly Stream _stream;
    private readonly Channel<byte[]> _outgoing = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>
    /// Events queued beyond this are dropped: a client that stops reading must not make the daemon hold its log in
    /// memory. Responses are always queued (a command's answer is never lost).
    /// </summary>
    public const int MaxQueuedEvents = 10_000;

    private int _queued;
    private readonly HashSet<string> _events = [];
    private readonly Lock _lock = new();

    internal ViciSession(Stream stream, uint? peerUid)
    {
        _stream = stream;
        PeerUid = peerUid;
    }

    /// <summary>The client's uid (SO_PEERCRED), if the kernel said.</summary>
    public uint? PeerUid { get; }

    /// <summary>Whether the client registered for the event.</summary>
    public bool IsRegistered(string name)
    {
        lock (_lock) return _events.Contains(name);
    }

    /// <summary>Queues an event for the client if it registered for it; false when it did not (or the queue is full).</summary>
    public bool TrySendEvent(string name, ViciMessage message)
    {
        if (!IsRegistered(name)) return false;
        if (Interlocked.Increment(ref _queued) > MaxQueuedEvents)
        {
            Interlocked.Decrement(ref _queued);
            return false;
        }
        return _outgoing.Writer.TryWrite(new ViciPacket(ViciPacketType.Event, name, message.Encode()).ToSegment());
    }

    private void Send(ViciPacket packet)
    {
        Interlocked.Increment(ref _queued);
        _outgoing.Writer.TryWrite(packet.ToSegment());
    }

    /// <summary>Reads and answers packets until the client closes, breaks the protocol, or the daemon stops.</summary>
    /// <param name="first">Bytes already read from the stream to tell VICI from the JSON protocol.</param>
    /// <param name="service">The daemon.</param>
    /// <param name="authorised">Whether the peer may send commands; others get an error for each.</param>
    /// <param name="stopping">The daemon is stopping.</param>
    internal async Task RunAsync(ReadOnlyMemory<byte> first, IViciService service, bool authorised, CancellationToken stopping)
    {
        Task writer = WriteLoopAsync(stopping);
        if (authorised) service.Opened(this);
        try
        {
            var reader = new PrefixedReader(_stream, first);
            var header = new byte[ViciPacket.LengthFieldSize];
            while (!stopping.IsCancellationRequested)
            {
                if (!await reader.ReadExactlyAsync(header, stopping).ConfigureAwait(false)) return;
                if (!ViciPacket.TryReadSegmentLength(header, out int length, out _)) return; // framing lost: nothing sensible to answer
                var segment = new byte[length];
                if (!await reader.ReadExactlyAsync(segment, stopping).ConfigureAwait(false)) return;
                if (!ViciPacket.TryParse(segment, out ViciPacket? packet, out _)) return;
                if (!await HandleAsync(packet!, service, authorised, stopping).ConfigureAwait(false)) return;
            }
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // the client went away, or we are stopping
        }
        finally
        {
            if (authorised) service.Closed(this);
            _outgoing.Writer.TryComplete();
            try { await writer.ConfigureAwait(false); } catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException or ObjectDisposedException) { }
        }
    }

    /// <summary>Answers one packet; false when the client broke the protocol (the connection then closes).</summary>
    private async Task<bool> HandleAsync(ViciPacket packet, IViciService service, bool authorised, CancellationToken stopping)
    {
        switch (packet.Type)
        {
            case ViciPacketType.CmdRequest:
            {
                ViciMessage response;
                if (!authorised)
                    response = Failure($"permission denied (peer uid {PeerUid?.ToString() ?? "unknown"}): must be root");
                else if (!ViciMessage.TryParse(packet.Message, out ViciMessage? request, out ViciParseError? error))
                    response = Failure($"malformed {packet.Name} request: {error}");
                else
                {
                    ViciMessage? answer;
                    try { answer = await service.ExecuteAsync(this, packet.Name, request!, stopping).ConfigureAwait(false); }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        answer = Failure($"{packet.Name} failed: {e.Message}");
                    }
                    if (answer is null)
                    {
                        Send(new ViciPacket(ViciPacketType.CmdUnknown, "", []));
                        return true;
                    }
                    response = answer;
                }
                Send(new ViciPacket(ViciPacketType.CmdResponse, "", response.Encode()));
                return true;
            }
            case ViciPacketType.EventRegister:
            {
                bool known = authorised && service.HasEvent(packet.Name);
                if (known) lock (_lock) _events.Add(packet.Name);
                Send(new ViciPacket(known ? ViciPacketType.EventConfirm : ViciPacketType.EventUnknown, "", []));
                return true;
            }
            case ViciPacketType.EventUnregister:
            {
                bool removed;
                lock (_lock) removed = _events.Remove(packet.Name);
                Send(new ViciPacket(removed ? ViciPacketType.EventConfirm : ViciPacketType.EventUnknown, "", []));
                return true;
            }
            default:
                return false; // responses and events are the server's to send
        }
    }

    /// <summary>strongSwan's shape of a failed command: <c>success = no</c>, <c>errmsg</c>.</summary>
    public static ViciMessage Failure(string error) => new ViciMessage().Add("success", "no").Add("errmsg", error);

    /// <summary><c>success = yes</c>.</summary>
    public static ViciMessage Success() => new ViciMessage().Add("success", "yes");

    private async Task WriteLoopAsync(CancellationToken stopping)
    {
        await foreach (byte[] segment in _outgoing.Reader.ReadAllAsync(stopping).ConfigureAwait(false))
        {
            Interlocked.Decrement(ref _queued);
            await _stream.WriteAsync(segment, stopping).ConfigureAwait(false);
            await _stream.FlushAsync(stopping).ConfigureAwait(false);
        }
    }

    /// <summary>Reads first from the bytes already taken off the stream, then from the stream.</summary>
    private sealed class PrefixedReader(Stream stream, ReadOnlyMemory<byte> prefix)
    {
        private ReadOnlyMemory<byte> _prefix = prefix;

        /// <summary>Fills <paramref name="buffer"/>; false when the stream ends first (cleanly between packets or not).</summary>
        public async Task<bool> ReadExactlyAsync(Memory<byte> buffer, CancellationToken token)
        {
            int filled = 0;
            if (!_prefix.IsEmpty)
            {
                int n = Math.Min(_prefix.Length, buffer.Length);
                _prefix[..n].CopyTo(buffer);
                _prefix = _prefix[n..];
                filled = n;
            }
            while (filled < buffer.Length)
            {
                int n = await stream.ReadAsync(buffer[filled..], token).ConfigureAwait(false);
                if (n == 0) return false;
                filled += n;
            }
            return true;
        }
    }

    /// <summary>Whether the first byte of a connection starts a VICI segment: its length field's high byte, always 0 (segments are at most 512 KiB), where the JSON protocol starts with '{'.</summary>
    internal static bool LooksLikeVici(byte first) => first == 0;
}
