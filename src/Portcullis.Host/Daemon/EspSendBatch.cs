using System.Net;
using Portcullis.Host.Net;

namespace Portcullis.Host.Daemon;

/// <summary>
/// Consecutive ESP packets for one UDP route, encrypted straight into one preallocated buffer back to back and sent
/// in one <c>sendmsg</c> with UDP GSO (<see cref="UdpEndpoint.SendEspSegments"/>). GSO needs every datagram but the
/// last to be the same size, so a batch is sent before a larger packet, after a smaller one, for another route, when
/// full, and whenever the TUN device has nothing more queued (so batching never holds a packet back). Used by the TUN
/// reader thread only; packets keep their order, and so their ESP sequence numbers go out in order.
/// </summary>
internal sealed class EspSendBatch(Func<IPEndPoint, UdpEndpoint?> socketFor)
{
    private readonly byte[] _buffer = GC.AllocateArray<byte>(UdpEndpoint.MaxGsoBytes, pinned: true);
    private EspRoute? _route;
    private int _length, _count, _segmentSize;
    private bool _closed;
    private long _sends, _packets, _errors;

    /// <summary>sendmsg calls made for batches (one per batch).</summary>
    public long Sends => Interlocked.Read(ref _sends);

    /// <summary>ESP packets sent in batches.</summary>
    public long Packets => Interlocked.Read(ref _packets);

    /// <summary>Batches the socket refused.</summary>
    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>
    /// Room for an ESP packet of exactly <paramref name="length"/> bytes to <paramref name="route"/>, after sending
    /// the batch so far when the packet cannot join it; empty when it can never fit a batch (send it alone).
    /// </summary>
    public Span<byte> Reserve(EspRoute route, int length)
    {
        if (length > _buffer.Length) return default;
        if (_count > 0 && (_closed || !ReferenceEquals(route, _route) || length > _segmentSize
            || _count == UdpEndpoint.MaxGsoSegments || _length + length > _buffer.Length))
            Flush();
        _route = route;
        return _buffer.AsSpan(_length, length);
    }

    /// <summary>The packet written into the span <see cref="Reserve"/> gave is part of the batch.</summary>
    public void Commit(int length)
    {
        if (_count == 0) _segmentSize = length;
        else if (length < _segmentSize) _closed = true; // a shorter datagram can only be the last
        _length += length;
        _count++;
    }

    /// <summary>Sends what is batched; false when the socket refused it.</summary>
    public bool Flush()
    {
        if (_count == 0) return true;
        EspRoute route = _route!;
        // The NAT-T socket of the peer's address family (IPv4 or IPv6).
        UdpEndpoint? socket = socketFor(route.Remote);
        UdpSendResult result = socket?.SendEspSegments(route.Remote, _buffer.AsSpan(0, _length), _segmentSize, route.Local.Address) ?? new UdpSendResult(97); // EAFNOSUPPORT
        Interlocked.Increment(ref _sends);
        Interlocked.Add(ref _packets, _count);
        if (!result.Ok) Interlocked.Increment(ref _errors);
        _length = _count = _segmentSize = 0;
        _closed = false;
        return result.Ok;
    }
}
