using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Portcullis.Core.Esp;
using Portcullis.Host.Native;

namespace Portcullis.Host.Net;

/// <summary>What a datagram received on a <see cref="UdpEndpoint"/> carries.</summary>
public enum UdpPayloadKind
{
    /// <summary>An IKE message (on a NAT-T socket, with the non-ESP marker already stripped).</summary>
    Ike,

    /// <summary>An ESP packet in UDP (RFC 3948), starting with its SPI.</summary>
    Esp,
}

/// <summary>
/// One received datagram, valid only during the callback: the payload lives in the endpoint's receive buffer.
/// <see cref="Local"/> is the address the datagram was sent to (from IP_PKTINFO), with the endpoint's port.
/// </summary>
public readonly ref struct UdpDatagram
{
    public UdpDatagram(UdpPayloadKind kind, IPEndPoint local, IPEndPoint remote, ReadOnlySpan<byte> payload)
    {
        Kind = kind;
        Local = local;
        Remote = remote;
        Payload = payload;
    }

    public UdpPayloadKind Kind { get; }
    public IPEndPoint Local { get; }
    public IPEndPoint Remote { get; }
    public ReadOnlySpan<byte> Payload { get; }
}

/// <summary>Receives the datagrams of a <see cref="UdpEndpoint"/>, on its receive thread.</summary>
public delegate void UdpDatagramHandler(UdpDatagram datagram);

/// <summary>The result of a send: 0, or the errno the kernel returned (e.g. ENETUNREACH), as a value.</summary>
public readonly record struct UdpSendResult(int Errno)
{
    public bool Ok => Errno == 0;

    public override string ToString() => Ok ? "ok" : $"{Marshal.GetPInvokeErrorMessage(Errno)} (errno {Errno})";
}

/// <summary>
/// A UDP socket for IKE (port 500) or IKE + ESP with NAT traversal (port 4500, RFC 3948 framing).
/// <para>
/// Receiving: a dedicated thread reads into one preallocated buffer with <c>ReceiveMessageFrom</c> and IP_PKTINFO,
/// so each datagram reports the local address it was sent to. On a NAT-T endpoint <see cref="UdpEncapsulation.Classify"/>
/// sorts datagrams: behind the non-ESP marker is IKE (delivered without the marker), a single 0xFF byte is a
/// NAT-keepalive (counted and dropped), anything else of ESP header size is ESP. On a plain endpoint every datagram is IKE.
/// </para>
/// <para>
/// Source address: the endpoint may be bound to the wildcard address; each send then takes an optional
/// <c>from</c> address, normally the <see cref="UdpDatagram.Local"/> of the request being answered, and passes it to
/// the kernel with <c>sendmsg</c> and IP_PKTINFO (IPV6_PKTINFO), so replies leave from the address the peer used.
/// Without it (or on a socket bound to one address) the kernel chooses as usual.
/// </para>
/// </summary>
public sealed unsafe partial class UdpEndpoint : IDisposable
{
    private static readonly byte[] NonEspMarker = [0, 0, 0, 0];
    private static readonly byte[] Keepalive = [0xFF];

    private readonly Socket _socket;
    private readonly object _gate = new();
    private Thread? _receiver;
    private volatile bool _disposed;
    private long _keepalives, _malformed, _receiveErrors;

    private UdpEndpoint(Socket socket, bool natTraversal)
    {
        _socket = socket;
        NatTraversal = natTraversal;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
    }

    /// <summary>The bound address and port (the actual port when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Whether this endpoint uses RFC 3948 framing (the port-4500 socket).</summary>
    public bool NatTraversal { get; }

    /// <summary>NAT-keepalives received and dropped.</summary>
    public long KeepalivesReceived => Interlocked.Read(ref _keepalives);

    /// <summary>Datagrams dropped as malformed: truncated, empty, or too short to be ESP or marked IKE.</summary>
    public long MalformedReceived => Interlocked.Read(ref _malformed);

    /// <summary>Receive calls that failed with a socket error and were retried.</summary>
    public long ReceiveErrors => Interlocked.Read(ref _receiveErrors);

    /// <summary>
    /// Marks every packet the socket sends (<see cref="SocketMark"/>). False when refused.
    /// </summary>
    public bool SetMark(uint mark) => SocketMark.Set(_socket, mark);

    /// <summary>
    /// Binds a UDP socket on <paramref name="local"/> (an address or the wildcard, and a port; 0 picks one) with
    /// SO_REUSEADDR. Ports below 1024 need root or CAP_NET_BIND_SERVICE. IPv6 sockets are IPv6-only.
    /// </summary>
    public static UdpEndpoint Bind(IPEndPoint local, bool natTraversal)
    {
        ArgumentNullException.ThrowIfNull(local);
        var socket = new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            if (local.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = false;
                socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.PacketInformation, true);
            }
            else
            {
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.PacketInformation, true);
            }
            socket.Bind(local);
            return new UdpEndpoint(socket, natTraversal);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Starts the receive thread. With <paramref name="onError"/> given, an exception from the handler is reported
    /// there and reception goes on; without it the exception is unhandled (and ends the process).
    /// </summary>
    public void Start(UdpDatagramHandler onDatagram, Action<Exception>? onError = null)
    {
        ArgumentNullException.ThrowIfNull(onDatagram);
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_gate)
        {
            if (_receiver is not null) throw new InvalidOperationException("the endpoint is already receiving");
            _receiver = new Thread(() => ReceiveLoop(onDatagram, onError))
            {
                IsBackground = true,
                Name = $"udp-receive {LocalEndPoint}",
            };
            _receiver.Start();
        }
    }

    private void ReceiveLoop(UdpDatagramHandler onDatagram, Action<Exception>? onError)
    {
        var buffer = GC.AllocateArray<byte>(65535, pinned: true);
        bool v6 = LocalEndPoint.AddressFamily == AddressFamily.InterNetworkV6;
        // recvmsg directly (not ReceiveMessageFrom, which allocates an EndPoint per datagram): the local and remote
        // endpoints are reused while they stay the same, so a steady flow of ESP allocates nothing.
        IPEndPoint? lastLocal = null, lastRemote = null;
        byte* name = stackalloc byte[28];
        byte* control = stackalloc byte[128];
        Span<byte> address = stackalloc byte[16];
        var iov = new Libc.IoVec { Base = Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer)), Length = (nuint)buffer.Length };
        while (!_disposed)
        {
            var message = new Libc.MsgHdr { Name = name, NameLength = 28, Iov = &iov, IovLength = 1, Control = control, ControlLength = 128 };
            nint received;
            bool added = false;
            try
            {
                _socket.SafeHandle.DangerousAddRef(ref added);
                received = Libc.RecvMsg((int)_socket.SafeHandle.DangerousGetHandle(), &message, 0);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            finally
            {
                if (added) _socket.SafeHandle.DangerousRelease();
            }
            if (_disposed) return;
            if (received < 0)
            {
                if (Libc.Errno != Libc.EINTR) Interlocked.Increment(ref _receiveErrors);
                continue;
            }
            int n = (int)received;
            SocketFlags flags = (message.Flags & Libc.MSG_TRUNC) != 0 ? SocketFlags.Truncated : SocketFlags.None;

            // Remote: sockaddr_in (port at 2, address at 4) or sockaddr_in6 (port at 2, address at 8).
            int addressLength = v6 ? 16 : 4;
            new ReadOnlySpan<byte>(name + (v6 ? 8 : 4), addressLength).CopyTo(address);
            int port = BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(name + 2, 2));
            if (lastRemote is null || lastRemote.Port != port || !SameAddress(lastRemote.Address, address[..addressLength]))
                lastRemote = new IPEndPoint(new IPAddress(address[..addressLength]), port);

            // Local: the destination address from IP_PKTINFO (in_pktinfo.ipi_addr at 8, in6_pktinfo.ipi6_addr at 0).
            IPAddress? localAddress = null;
            int groSize = 0;
            for (byte* c = control; c + sizeof(Libc.CMsgHdr) <= control + message.ControlLength;)
            {
                var header = (Libc.CMsgHdr*)c;
                if (header->Length < (nuint)sizeof(Libc.CMsgHdr)) break;
                byte* value = c + Libc.CmsgAlign((nuint)sizeof(Libc.CMsgHdr));
                if (!v6 && header->Level == Libc.IPPROTO_IP && header->Type == Libc.IP_PKTINFO)
                    localAddress = LocalFrom(ref lastLocal, new ReadOnlySpan<byte>(value + 8, 4));
                else if (v6 && header->Level == Libc.IPPROTO_IPV6 && header->Type == Libc.IPV6_PKTINFO)
                    localAddress = LocalFrom(ref lastLocal, new ReadOnlySpan<byte>(value, 16));
                else if (header->Level == Libc.SOL_UDP && header->Type == Libc.UDP_GRO)
                    groSize = *(int*)value;
                c += Libc.CmsgAlign(header->Length);
            }
            localAddress ??= LocalEndPoint.Address;
            if (lastLocal is null || !lastLocal.Address.Equals(localAddress)) lastLocal = new IPEndPoint(localAddress, LocalEndPoint.Port);

            if ((flags & SocketFlags.Truncated) != 0 || n == 0)
            {
                Interlocked.Increment(ref _malformed);
                continue;
            }
            // With UDP_GRO the kernel may hand over several datagrams of one flow back to back, all groSize bytes long
            // but the last.
            int size = groSize > 0 ? groSize : n;
            for (int offset = 0; offset < n; offset += size)
                Deliver(new ReadOnlySpan<byte>(buffer, offset, Math.Min(size, n - offset)), lastLocal, lastRemote, onDatagram, onError);
            if (BatchEnd is { } batchEnd)
            {
                try { batchEnd(); }
                catch (Exception e) when (onError is not null) { onError(e); }
            }
        }
    }

    private static bool SameAddress(IPAddress address, ReadOnlySpan<byte> bytes)
    {
        Span<byte> current = stackalloc byte[16];
        return address.TryWriteBytes(current, out int written) && current[..written].SequenceEqual(bytes);
    }

    /// <summary>The cached local address when it matches, a new one otherwise.</summary>
    private static IPAddress LocalFrom(ref IPEndPoint? last, ReadOnlySpan<byte> bytes) =>
        last is not null && SameAddress(last.Address, bytes) ? last.Address : new IPAddress(bytes);

    /// <summary>
    /// Sends an IKE message to <paramref name="remote"/>, with the four-byte non-ESP marker in front when
    /// <paramref name="withNonEspMarker"/> (required on port 4500, forbidden on 500). <paramref name="from"/> picks
    /// the source address (see the class remarks).
    /// </summary>
    public UdpSendResult SendIke(IPEndPoint remote, ReadOnlySpan<byte> message, bool withNonEspMarker, IPAddress? from = null) =>
        withNonEspMarker ? Send(remote, NonEspMarker, message, from) : Send(remote, default, message, from);

    /// <summary>Sends an ESP packet (starting with its SPI) in UDP to <paramref name="remote"/>.</summary>
    public UdpSendResult SendEsp(IPEndPoint remote, ReadOnlySpan<byte> esp, IPAddress? from = null)
    {
        if (esp.Length < 8 || BinaryPrimitives.ReadUInt32BigEndian(esp) == 0)
            throw new ArgumentException("an ESP packet starts with a non-zero SPI and a sequence number", nameof(esp));
        return Send(remote, default, esp, from);
    }

    /// <summary>Sends a NAT-keepalive (one 0xFF byte, RFC 3948 §2.3).</summary>
    public UdpSendResult SendKeepalive(IPEndPoint remote, IPAddress? from = null) => Send(remote, default, Keepalive, from);

    private UdpSendResult Send(IPEndPoint remote, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> payload, IPAddress? from, ushort segmentSize = 0)
    {
        ArgumentNullException.ThrowIfNull(remote);
        bool v6 = LocalEndPoint.AddressFamily == AddressFamily.InterNetworkV6;
        if (remote.AddressFamily != LocalEndPoint.AddressFamily)
            throw new ArgumentException($"cannot send to {remote} from a socket bound to {LocalEndPoint}", nameof(remote));
        if (from is not null)
        {
            if (from.AddressFamily != LocalEndPoint.AddressFamily)
                throw new ArgumentException($"source {from} does not match {LocalEndPoint}", nameof(from));
            if (from.Equals(IPAddress.Any) || from.Equals(IPAddress.IPv6Any)) from = null; // let the kernel choose
        }

        // sockaddr_in (16 bytes) or sockaddr_in6 (28 bytes).
        byte* name = stackalloc byte[28];
        new Span<byte>(name, 28).Clear();
        uint nameLength;
        *(ushort*)name = (ushort)(v6 ? Libc.AF_INET6 : Libc.AF_INET);
        BinaryPrimitives.WriteUInt16BigEndian(new Span<byte>(name + 2, 2), (ushort)remote.Port);
        if (v6)
        {
            remote.Address.TryWriteBytes(new Span<byte>(name + 8, 16), out _);
            *(uint*)(name + 24) = (uint)remote.Address.ScopeId;
            nameLength = 28;
        }
        else
        {
            remote.Address.TryWriteBytes(new Span<byte>(name + 4, 4), out _);
            nameLength = 16;
        }

        // One control message: struct in_pktinfo (12 bytes) or struct in6_pktinfo (20 bytes).
        const int controlSize = 64;
        byte* control = stackalloc byte[controlSize];
        nuint controlLength = 0;
        new Span<byte>(control, controlSize).Clear();
        if (from is not null)
        {
            var header = (Libc.CMsgHdr*)control;
            byte* data = control + Libc.CmsgAlign((nuint)sizeof(Libc.CMsgHdr));
            if (v6)
            {
                header->Level = Libc.IPPROTO_IPV6;
                header->Type = Libc.IPV6_PKTINFO;
                header->Length = Libc.CmsgLen(20);
                from.TryWriteBytes(new Span<byte>(data, 16), out _);
                *(uint*)(data + 16) = (uint)from.ScopeId;
                controlLength = Libc.CmsgSpace(20);
            }
            else
            {
                header->Level = Libc.IPPROTO_IP;
                header->Type = Libc.IP_PKTINFO;
                header->Length = Libc.CmsgLen(12);
                // ipi_ifindex = 0, ipi_spec_dst = from, ipi_addr unused
                from.TryWriteBytes(new Span<byte>(data + 4, 4), out _);
                controlLength = Libc.CmsgSpace(12);
            }
        }
        if (segmentSize > 0)
        {
            // UDP GSO: the kernel cuts the payload into datagrams of this size (the last may be shorter).
            var header = (Libc.CMsgHdr*)(control + controlLength);
            header->Level = Libc.SOL_UDP;
            header->Type = Libc.UDP_SEGMENT;
            header->Length = Libc.CmsgLen(2);
            *(ushort*)(control + controlLength + Libc.CmsgAlign((nuint)sizeof(Libc.CMsgHdr))) = segmentSize;
            controlLength += Libc.CmsgSpace(2);
        }

        bool added = false;
        try
        {
            _socket.SafeHandle.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
            throw new ObjectDisposedException(nameof(UdpEndpoint));
        }
        try
        {
            fixed (byte* p0 = prefix)
            fixed (byte* p1 = payload)
            {
                Libc.IoVec* iov = stackalloc Libc.IoVec[2];
                int count = 0;
                if (!prefix.IsEmpty) iov[count++] = new Libc.IoVec { Base = p0, Length = (nuint)prefix.Length };
                iov[count++] = new Libc.IoVec { Base = p1, Length = (nuint)payload.Length };
                var message = new Libc.MsgHdr
                {
                    Name = name,
                    NameLength = nameLength,
                    Iov = iov,
                    IovLength = (nuint)count,
                    Control = controlLength == 0 ? null : control,
                    ControlLength = controlLength,
                };
                int fd = (int)_socket.SafeHandle.DangerousGetHandle();
                while (true)
                {
                    nint sent = Libc.SendMsg(fd, &message, Libc.MSG_NOSIGNAL);
                    if (sent >= 0) return default;
                    int errno = Libc.Errno;
                    if (errno != Libc.EINTR) return new UdpSendResult(errno);
                }
            }
        }
        finally
        {
            if (added) _socket.SafeHandle.DangerousRelease();
        }
    }

    /// <summary>Closes the socket (which wakes the receive thread) and joins the receive thread.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        // shutdown() wakes a thread blocked in recvmsg on this socket; close() alone would not.
        bool added = false;
        try
        {
            _socket.SafeHandle.DangerousAddRef(ref added);
            Libc.Shutdown((int)_socket.SafeHandle.DangerousGetHandle(), Libc.SHUT_RDWR);
        }
        catch (ObjectDisposedException) { }
        finally
        {
            if (added) _socket.SafeHandle.DangerousRelease();
        }
        _socket.Dispose();
        Thread? receiver;
        lock (_gate) receiver = _receiver;
        if (receiver is not null && receiver != Thread.CurrentThread) receiver.Join();
    }
}
