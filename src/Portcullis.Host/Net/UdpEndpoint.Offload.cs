using System.Buffers.Binary;
using System.Net;
using Portcullis.Core.Esp;
using Portcullis.Host.Native;

namespace Portcullis.Host.Net;

/// <summary>The batched ESP path of a <see cref="UdpEndpoint"/>: UDP GSO sends, UDP GRO receives, large socket buffers.</summary>
public sealed unsafe partial class UdpEndpoint
{
    /// <summary>Most datagrams one UDP GSO send may carry (UDP_MAX_SEGMENTS of older kernels; newer ones allow 128).</summary>
    public const int MaxGsoSegments = 64;

    /// <summary>Most bytes one UDP GSO send may carry: what fits one IPv6 UDP datagram's length field, less headroom.</summary>
    public const int MaxGsoBytes = 65000;

    private volatile bool _gsoRefused;

    /// <summary>Whether sends may use UDP GSO: not refused by the kernel so far (the first refusal turns it off).</summary>
    public bool GsoAvailable => !_gsoRefused;

    /// <summary>
    /// Called on the receive thread after the datagrams of one receive call were handled (several with UDP_GRO): the
    /// moment to write what the handler held back. Set before <see cref="Start"/>.
    /// </summary>
    public Action? BatchEnd { get; set; }

    /// <summary>Whether the kernel may hand over coalesced datagrams (UDP_GRO is on).</summary>
    public bool GroEnabled { get; private set; }

    /// <summary>
    /// Sets the socket buffers to <paramref name="bytes"/> each (SO_RCVBUFFORCE/SO_SNDBUFFORCE, which root may set past
    /// net.core.rmem_max; otherwise capped there), so a burst of ESP is not dropped while the receive thread decrypts,
    /// and turns UDP_GRO on when <paramref name="gro"/>. Best effort: what the kernel refuses stays as it was.
    /// </summary>
    public void TuneForEsp(int bytes, bool gro)
    {
        bool added = false;
        try
        {
            _socket.SafeHandle.DangerousAddRef(ref added);
            int fd = (int)_socket.SafeHandle.DangerousGetHandle();
            int value = bytes;
            if (Libc.SetSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_RCVBUFFORCE, &value, sizeof(int)) < 0)
                Libc.SetSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_RCVBUF, &value, sizeof(int));
            if (Libc.SetSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_SNDBUFFORCE, &value, sizeof(int)) < 0)
                Libc.SetSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_SNDBUF, &value, sizeof(int));
            int on = 1;
            GroEnabled = gro && Libc.SetSockOpt(fd, Libc.SOL_UDP, Libc.UDP_GRO, &on, sizeof(int)) == 0;
        }
        finally
        {
            if (added) _socket.SafeHandle.DangerousRelease();
        }
    }

    /// <summary>
    /// Sends ESP packets laid back to back in <paramref name="packets"/>, each <paramref name="segmentSize"/> bytes but
    /// the last (which may be shorter), to <paramref name="remote"/> in one <c>sendmsg</c> with UDP_SEGMENT: one trip
    /// through the stack for up to <see cref="MaxGsoSegments"/> datagrams. When the kernel refuses GSO (no checksum
    /// offload on the way out, an old kernel) the packets go one by one, and so do all later batches.
    /// </summary>
    public UdpSendResult SendEspSegments(IPEndPoint remote, ReadOnlySpan<byte> packets, int segmentSize, IPAddress? from = null)
    {
        if (packets.Length <= segmentSize || segmentSize <= 0) return SendEsp(remote, packets, from);
        if (!_gsoRefused)
        {
            UdpSendResult result = Send(remote, default, packets, from, (ushort)segmentSize);
            if (result.Errno is not (Libc.EIO or Libc.EINVAL or Libc.ENOPROTOOPT or Libc.EOPNOTSUPP)) return result;
            _gsoRefused = true;
        }
        UdpSendResult last = default;
        for (int offset = 0; offset < packets.Length; offset += segmentSize)
        {
            UdpSendResult r = SendEsp(remote, packets.Slice(offset, Math.Min(segmentSize, packets.Length - offset)), from);
            if (!r.Ok) last = r;
        }
        return last;
    }

    /// <summary>Classifies one datagram (RFC 3948 framing on a NAT-T endpoint) and hands it to the handler.</summary>
    private void Deliver(ReadOnlySpan<byte> data, IPEndPoint local, IPEndPoint remote, UdpDatagramHandler onDatagram, Action<Exception>? onError)
    {
        UdpPayloadKind kind = UdpPayloadKind.Ike;
        if (NatTraversal)
        {
            // RFC 3948 demultiplexing lives in Core (UdpEncapsulation), where it is unit-tested and fuzzed.
            switch (UdpEncapsulation.Classify(data, out data))
            {
                case UdpEncapsulatedKind.NatKeepalive:
                    Interlocked.Increment(ref _keepalives);
                    return;
                case UdpEncapsulatedKind.Malformed:
                    Interlocked.Increment(ref _malformed);
                    return;
                case UdpEncapsulatedKind.Esp:
                    kind = UdpPayloadKind.Esp;
                    break;
            }
        }

        try
        {
            onDatagram(new UdpDatagram(kind, local, remote, data));
        }
        catch (Exception e) when (onError is not null)
        {
            onError(e);
        }
    }
}
