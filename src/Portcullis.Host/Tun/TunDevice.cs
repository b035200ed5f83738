using System.Text;
using Microsoft.Win32.SafeHandles;
using Portcullis.Core.Ipsec;
using Portcullis.Host.Native;

namespace Portcullis.Host.Tun;

/// <summary>Called by the reader thread for each packet read from the TUN device; the span is valid only during the call.</summary>
/// <summary>A packet read from the TUN device, in the reader's own buffer (the handler may rewrite it in place).</summary>
public delegate void TunPacketHandler(Span<byte> packet);

/// <summary>
/// A layer-3 TUN device (IFF_TUN | IFF_NO_PI): every read is one IP packet, every write injects one.
/// One file handle lives as long as the device. Reads block in poll() on the TUN fd and an eventfd, so
/// <see cref="Dispose"/> can wake them (closing the fd would not). Configure the device with <see cref="IpCommand"/>.
/// <para>
/// Opened with offloads, the device is IFF_VNET_HDR and is offered checksum offload and TSO (TUNSETOFFLOAD): the
/// kernel then hands over TCP sends of up to 64 KB in one read (one trip through its stack instead of ~45), and
/// the reader thread cuts them into segments itself (<see cref="TcpSegmentation"/>) and completes partial checksums,
/// so handlers still see one ordinary IP packet per call. Writes carry an empty virtio_net_hdr.
/// </para>
/// </summary>
public sealed unsafe class TunDevice : IDisposable
{
    /// <summary>Largest packet a read can return (the largest IPv4/IPv6 packet).</summary>
    public const int MaxPacketSize = 65535;

    private readonly SafeFileHandle _tun;
    private readonly SafeFileHandle _wake;
    private readonly object _gate = new();
    private Thread? _reader;
    private int _disposed;

    private TunDevice(SafeFileHandle tun, SafeFileHandle wake, string name, bool vnetHeader, bool segmentationOffload)
    {
        _tun = tun;
        _wake = wake;
        Name = name;
        VnetHeader = vnetHeader;
        SegmentationOffload = segmentationOffload;
    }

    /// <summary>Every read and write starts with a virtio_net_hdr (IFF_VNET_HDR).</summary>
    public bool VnetHeader { get; }

    /// <summary>The kernel accepted checksum offload and TSO (TUNSETOFFLOAD): reads may be TCP packets of up to 64 KB.</summary>
    public bool SegmentationOffload { get; }

    /// <summary>TCP packets of up to 64 KB the reader cut into segments.</summary>
    public long GsoPacketsRead => Interlocked.Read(ref _gsoPacketsRead);
    private long _gsoPacketsRead;

    /// <summary>Reads whose virtio_net_hdr or TCP headers could not be handled (dropped).</summary>
    public long OffloadErrors => Interlocked.Read(ref _offloadErrors);
    private long _offloadErrors;

    /// <summary>The interface name the kernel gave the device (the requested one, or e.g. <c>tun0</c> for <c>tun%d</c>).</summary>
    public string Name { get; }

    /// <summary>Packets the reader loop has delivered.</summary>
    public long PacketsRead => Interlocked.Read(ref _packetsRead);
    private long _packetsRead;

    /// <summary>
    /// Creates (or attaches to) the TUN interface <paramref name="name"/> in the calling thread's network namespace.
    /// Needs CAP_NET_ADMIN. The device disappears when this object is disposed (unless made persistent elsewhere).
    /// </summary>
    public static TunDevice Open(string name) => Open(name, offload: false);

    /// <summary>
    /// As <see cref="Open(string)"/>; with <paramref name="offload"/>, asks for IFF_VNET_HDR with checksum offload and
    /// TSO (see the class remarks), falling back to what the kernel accepts.
    /// </summary>
    public static TunDevice Open(string name, bool offload)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var nameBytes = Encoding.ASCII.GetBytes(name);
        if (nameBytes.Length >= Libc.IFNAMSIZ)
            throw new ArgumentException($"interface name '{name}' is longer than {Libc.IFNAMSIZ - 1} characters", nameof(name));

        int fd = Libc.Open("/dev/net/tun", Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        if (fd < 0) throw Libc.Error("open /dev/net/tun");
        var tun = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            // struct ifreq: char ifr_name[16]; union { short ifr_flags; ... } — 40 bytes in all.
            byte* ifr = stackalloc byte[40];
            new Span<byte>(ifr, 40).Clear();
            nameBytes.CopyTo(new Span<byte>(ifr, Libc.IFNAMSIZ));
            bool vnet = offload;
            *(short*)(ifr + Libc.IFNAMSIZ) = (short)(Libc.IFF_TUN | Libc.IFF_NO_PI | (vnet ? Libc.IFF_VNET_HDR : 0));
            if (Libc.Ioctl(fd, Libc.TUNSETIFF, ifr) < 0)
            {
                if (!vnet) throw Libc.Error($"ioctl TUNSETIFF {name}");
                vnet = false; // a kernel without IFF_VNET_HDR: plain packets
                *(short*)(ifr + Libc.IFNAMSIZ) = Libc.IFF_TUN | Libc.IFF_NO_PI;
                if (Libc.Ioctl(fd, Libc.TUNSETIFF, ifr) < 0) throw Libc.Error($"ioctl TUNSETIFF {name}");
            }
            // UDP segmentation (USO) is not offered: UDP then arrives as single datagrams, which the reader handles as they are.
            bool tso = vnet && Libc.Ioctl(fd, Libc.TUNSETOFFLOAD,
                (void*)(nuint)(Libc.TUN_F_CSUM | Libc.TUN_F_TSO4 | Libc.TUN_F_TSO6 | Libc.TUN_F_TSO_ECN)) == 0;
            var actual = new ReadOnlySpan<byte>(ifr, Libc.IFNAMSIZ);
            int end = actual.IndexOf((byte)0);
            string actualName = Encoding.ASCII.GetString(end < 0 ? actual : actual[..end]);

            int efd = Libc.EventFd(0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
            if (efd < 0) throw Libc.Error("eventfd");
            return new TunDevice(tun, new SafeFileHandle(efd, ownsHandle: true), actualName, vnet, tso);
        }
        catch
        {
            tun.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Blocks until a packet arrives and copies it into <paramref name="buffer"/> (which should hold
    /// <see cref="MaxPacketSize"/> bytes, or the MTU). Returns its length, or 0 once the device is being disposed.
    /// A packet longer than the buffer is truncated by the kernel. With <see cref="VnetHeader"/> the data starts with
    /// the virtio_net_hdr.
    /// </summary>
    public int Read(Span<byte> buffer) => Read(buffer, null);

    /// <summary>As <see cref="Read(Span{byte})"/>, calling <paramref name="beforeWait"/> each time no packet is queued, before blocking.</summary>
    private int Read(Span<byte> buffer, Action? beforeWait)
    {
        bool tunRef = false, wakeRef = false;
        try
        {
            _tun.DangerousAddRef(ref tunRef);
            _wake.DangerousAddRef(ref wakeRef);
        }
        catch (ObjectDisposedException)
        {
            if (tunRef) _tun.DangerousRelease();
            return 0;
        }
        try
        {
            int tunFd = (int)_tun.DangerousGetHandle();
            Libc.PollFd* fds = stackalloc Libc.PollFd[2];
            while (true)
            {
                if (Volatile.Read(ref _disposed) != 0) return 0;
                fixed (byte* p = buffer)
                {
                    nint n = Libc.Read(tunFd, p, (nuint)buffer.Length);
                    if (n >= 0) return (int)n;
                    int errno = Libc.Errno;
                    if (errno == Libc.EINTR) continue;
                    if (errno != Libc.EAGAIN) throw Libc.Error($"read {Name}", errno);
                }
                beforeWait?.Invoke();
                fds[0] = new Libc.PollFd { Fd = tunFd, Events = Libc.POLLIN };
                fds[1] = new Libc.PollFd { Fd = (int)_wake.DangerousGetHandle(), Events = Libc.POLLIN };
                int r = Libc.Poll(fds, 2, -1);
                if (r < 0)
                {
                    int errno = Libc.Errno;
                    if (errno == Libc.EINTR) continue;
                    throw Libc.Error($"poll {Name}", errno);
                }
                if (fds[1].REvents != 0) return 0; // shutdown requested: the eventfd stays readable for every reader
                if ((fds[0].REvents & (Libc.POLLERR | Libc.POLLHUP | Libc.POLLNVAL)) != 0 && (fds[0].REvents & Libc.POLLIN) == 0)
                    throw new IOException($"TUN device {Name} reported poll events 0x{fds[0].REvents:x}");
            }
        }
        finally
        {
            _wake.DangerousRelease();
            _tun.DangerousRelease();
        }
    }

    private static readonly byte[] EmptyVnetHeader = new byte[VirtioNetHeader.Size];

    /// <summary>
    /// Injects a packet with its own virtio_net_hdr in front (a GSO packet from <see cref="TcpCoalescer"/>); only on a
    /// device with <see cref="VnetHeader"/>.
    /// </summary>
    public void WriteWithHeader(ReadOnlySpan<byte> headerAndPacket)
    {
        if (!VnetHeader) throw new InvalidOperationException($"{Name} was opened without IFF_VNET_HDR");
        bool added = false;
        _tun.DangerousAddRef(ref added);
        try
        {
            fixed (byte* p = headerAndPacket)
            {
                while (true)
                {
                    nint n = Libc.Write((int)_tun.DangerousGetHandle(), p, (nuint)headerAndPacket.Length);
                    if (n >= 0)
                    {
                        if (n != headerAndPacket.Length) throw new IOException($"short write to {Name}: {n} of {headerAndPacket.Length} bytes");
                        return;
                    }
                    int errno = Libc.Errno;
                    if (errno != Libc.EINTR) throw Libc.Error($"write {Name}", errno);
                }
            }
        }
        finally
        {
            _tun.DangerousRelease();
        }
    }

    /// <summary>Injects one IP packet into the kernel as if received on this interface.</summary>
    public void Write(ReadOnlySpan<byte> packet)
    {
        bool added = false;
        _tun.DangerousAddRef(ref added);
        try
        {
            int fd = (int)_tun.DangerousGetHandle();
            fixed (byte* p = packet)
            fixed (byte* header = EmptyVnetHeader)
            {
                // With IFF_VNET_HDR an empty header goes first (no GSO, checksums complete): one writev, no copy.
                Libc.IoVec* iov = stackalloc Libc.IoVec[2];
                iov[0] = new Libc.IoVec { Base = header, Length = VirtioNetHeader.Size };
                iov[1] = new Libc.IoVec { Base = p, Length = (nuint)packet.Length };
                while (true)
                {
                    nint n = VnetHeader ? Libc.Writev(fd, iov, 2) : Libc.Write(fd, p, (nuint)packet.Length);
                    if (n >= 0)
                    {
                        if (n != packet.Length + (VnetHeader ? VirtioNetHeader.Size : 0)) throw new IOException($"short write to {Name}: {n} of {packet.Length} bytes");
                        return;
                    }
                    int errno = Libc.Errno;
                    if (errno != Libc.EINTR) throw Libc.Error($"write {Name}", errno);
                }
            }
        }
        finally
        {
            _tun.DangerousRelease();
        }
    }

    /// <summary>
    /// Starts the reader thread, which reads into one preallocated buffer (no allocation per packet) and calls
    /// <paramref name="onPacket"/> for each packet until <see cref="Dispose"/>. With <paramref name="onError"/> given,
    /// an exception from the handler is reported there and the loop goes on; a read error is reported and stops the
    /// loop. Without it, either exception is unhandled (and ends the process).
    /// </summary>
    public void Start(TunPacketHandler onPacket, Action<Exception>? onError = null, int bufferSize = MaxPacketSize) =>
        Start(onPacket, null, onError, bufferSize);

    /// <summary>
    /// As <see cref="Start(TunPacketHandler, Action{Exception}?, int)"/>, calling <paramref name="onIdle"/> on the reader
    /// thread whenever the device has no more packets queued, before it blocks: the moment to send what the handler
    /// batched.
    /// </summary>
    public void Start(TunPacketHandler onPacket, Action? onIdle, Action<Exception>? onError, int bufferSize = MaxPacketSize)
    {
        ArgumentNullException.ThrowIfNull(onPacket);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        lock (_gate)
        {
            if (_reader is not null) throw new InvalidOperationException($"the reader of {Name} is already running");
            // With a virtio_net_hdr the read buffer must hold a whole 64 KB TSO packet, and segments go to a second buffer.
            var buffer = new byte[VnetHeader ? VirtioNetHeader.Size + MaxPacketSize : bufferSize];
            byte[] segment = VnetHeader ? new byte[MaxPacketSize] : [];
            Action? idle = onIdle is null ? null : () =>
            {
                try { onIdle(); }
                catch (Exception e) when (onError is not null) { onError(e); }
            };
            _reader = new Thread(() =>
            {
                while (true)
                {
                    int n;
                    try
                    {
                        n = Read(buffer, idle);
                    }
                    catch (Exception e) when (onError is not null)
                    {
                        onError(e);
                        return;
                    }
                    if (n == 0) return;
                    if (VnetHeader)
                    {
                        DeliverOffloaded(buffer.AsSpan(0, n), segment, onPacket, onError);
                        continue;
                    }
                    Deliver(buffer.AsSpan(0, n), onPacket, onError);
                }
            })
            {
                IsBackground = true,
                Name = $"tun-reader {Name}",
            };
            _reader.Start();
        }
    }

    private void Deliver(Span<byte> packet, TunPacketHandler onPacket, Action<Exception>? onError)
    {
        Interlocked.Increment(ref _packetsRead);
        try
        {
            onPacket(packet);
        }
        catch (Exception e) when (onError is not null)
        {
            onError(e);
        }
    }

    /// <summary>A read behind a virtio_net_hdr: a TSO packet is cut into segments, a partial checksum completed.</summary>
    private void DeliverOffloaded(Span<byte> read, Span<byte> segment, TunPacketHandler onPacket, Action<Exception>? onError)
    {
        Span<byte> packet = read[Math.Min(read.Length, VirtioNetHeader.Size)..];
        if (!VirtioNetHeader.TryParse(read, packet.Length, out VirtioNetHeader header, out _))
        {
            Interlocked.Increment(ref _offloadErrors);
            return;
        }
        if (header.IsTcpGso)
        {
            bool ipv6 = (header.GsoType & ~VirtioNetHeader.GsoEcn) == VirtioNetHeader.GsoTcpV6;
            if (!TcpSegmentation.TryPrepare(packet, ipv6, header.GsoSize, out TcpGsoLayout layout, out _))
            {
                Interlocked.Increment(ref _offloadErrors);
                return;
            }
            Interlocked.Increment(ref _gsoPacketsRead);
            for (int i = 0; i < layout.Count; i++)
            {
                int length = TcpSegmentation.WriteSegment(packet, layout, i, segment);
                if (length == 0)
                {
                    Interlocked.Increment(ref _offloadErrors);
                    return;
                }
                Deliver(segment[..length], onPacket, onError);
            }
            return;
        }
        if ((header.Flags & VirtioNetHeader.FlagNeedsCsum) != 0) TcpSegmentation.CompleteChecksum(packet, header.CsumStart, header.CsumOffset);
        Deliver(packet, onPacket, onError);
    }

    /// <summary>Wakes and joins the reader thread, then closes the device (which removes a non-persistent interface).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        ulong one = 1;
        bool added = false;
        _wake.DangerousAddRef(ref added);
        try
        {
            Libc.Write((int)_wake.DangerousGetHandle(), &one, sizeof(ulong));
        }
        finally
        {
            _wake.DangerousRelease();
        }
        Thread? reader;
        lock (_gate) reader = _reader;
        if (reader is not null && reader != Thread.CurrentThread) reader.Join();
        // A Read still running on a caller's own thread holds a reference; the fds close when it returns.
        _tun.Dispose();
        _wake.Dispose();
    }
}
