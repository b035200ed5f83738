using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;
using Portcullis.Host.Native;

namespace Portcullis.Host.Net;

/// <summary>
/// Watches this machine's addresses for MOBIKE (RFC 4555): a netlink socket subscribed to RTMGRP_IPV4_IFADDR and
/// RTMGRP_IPV6_IFADDR wakes a thread on every RTM_NEWADDR/RTM_DELADDR; once a burst of them has been quiet for
/// <see cref="Settle"/>, the addresses are listed again and reported if the set changed. The messages themselves are
/// not parsed: a fresh listing is simpler and cannot drift (an overflowing socket, ENOBUFS, is handled the same way).
/// </summary>
internal sealed unsafe class AddressMonitor : IDisposable
{
    /// <summary>How long a burst of notifications must be quiet before the addresses are listed (an "ip addr add; ip addr del" is one change).</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(100);

    private readonly SafeFileHandle _netlink;
    private readonly SafeFileHandle _wake;
    private readonly string? _ignoredInterface;
    private readonly Thread _thread;
    private IReadOnlyList<IPAddress> _last;
    private int _disposed;

    private AddressMonitor(SafeFileHandle netlink, SafeFileHandle wake, string? ignoredInterface, Action<IReadOnlyList<IPAddress>> onChange, Action<Exception> onError)
    {
        _netlink = netlink;
        _wake = wake;
        _ignoredInterface = ignoredInterface;
        _last = Current(ignoredInterface);
        _thread = new Thread(() => Run(onChange, onError)) { IsBackground = true, Name = "address-monitor" };
    }

    /// <summary>The addresses at start (and after the last reported change).</summary>
    public IReadOnlyList<IPAddress> Addresses => Volatile.Read(ref _last);

    /// <summary>
    /// Opens the netlink socket and starts watching; <paramref name="onChange"/> gets the whole new list, on the
    /// monitor's thread. Leaves out loopback interfaces and <paramref name="ignoredInterface"/> (the daemon's TUN device).
    /// </summary>
    public static AddressMonitor Start(string? ignoredInterface, Action<IReadOnlyList<IPAddress>> onChange, Action<Exception> onError)
    {
        int fd = Libc.Socket(Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, Libc.NETLINK_ROUTE);
        if (fd < 0) throw Libc.Error("socket AF_NETLINK");
        var netlink = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            var address = new Libc.SockAddrNl { Family = Libc.AF_NETLINK, Groups = Libc.RTMGRP_IPV4_IFADDR | Libc.RTMGRP_IPV6_IFADDR };
            if (Libc.Bind(fd, &address, (uint)sizeof(Libc.SockAddrNl)) < 0) throw Libc.Error("bind netlink RTMGRP_IPV4_IFADDR|RTMGRP_IPV6_IFADDR");
            int efd = Libc.EventFd(0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
            if (efd < 0) throw Libc.Error("eventfd");
            var monitor = new AddressMonitor(netlink, new SafeFileHandle(efd, ownsHandle: true), ignoredInterface, onChange, onError);
            monitor._thread.Start();
            return monitor;
        }
        catch
        {
            netlink.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The unicast addresses of the interfaces that are not down, without loopback interfaces, IPv6 link-local
    /// addresses and <paramref name="ignoredInterface"/>; sorted, so two listings compare element by element.
    /// </summary>
    public static IReadOnlyList<IPAddress> Current(string? ignoredInterface)
    {
        var list = new List<IPAddress>();
        foreach (NetworkInterface nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            if (nic.NetworkInterfaceType == NetworkInterfaceType.Loopback || nic.OperationalStatus == OperationalStatus.Down || nic.Name == ignoredInterface) continue;
            foreach (UnicastIPAddressInformation a in nic.GetIPProperties().UnicastAddresses)
            {
                IPAddress ip = a.Address;
                if (IPAddress.IsLoopback(ip) || ip.IsIPv6LinkLocal || ip.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)) continue;
                if (!list.Contains(ip)) list.Add(ip);
            }
        }
        list.Sort((x, y) => x.AddressFamily != y.AddressFamily ? x.AddressFamily.CompareTo(y.AddressFamily)
            : x.GetAddressBytes().AsSpan().SequenceCompareTo(y.GetAddressBytes()));
        return list;
    }

    private void Run(Action<IReadOnlyList<IPAddress>> onChange, Action<Exception> onError)
    {
        byte[] buffer = new byte[16384];
        Libc.PollFd* fds = stackalloc Libc.PollFd[2];
        bool pending = false;
        while (Volatile.Read(ref _disposed) == 0)
        {
            fds[0] = new Libc.PollFd { Fd = (int)_netlink.DangerousGetHandle(), Events = Libc.POLLIN };
            fds[1] = new Libc.PollFd { Fd = (int)_wake.DangerousGetHandle(), Events = Libc.POLLIN };
            int r = Libc.Poll(fds, 2, pending ? (int)Settle.TotalMilliseconds : -1);
            if (r < 0)
            {
                if (Libc.Errno == Libc.EINTR) continue;
                onError(Libc.Error("poll netlink"));
                return;
            }
            if (fds[1].REvents != 0) return;
            if (r == 0)
            {
                // Quiet for Settle after the last notification: list the addresses now.
                pending = false;
                try
                {
                    IReadOnlyList<IPAddress> now = Current(_ignoredInterface);
                    if (now.SequenceEqual(_last)) continue;
                    Volatile.Write(ref _last, now);
                    onChange(now);
                }
                catch (Exception e) when (e is NetworkInformationException or IOException or SocketException)
                {
                    onError(e);
                }
                continue;
            }
            // Drain what is there; the content does not matter, only that something changed.
            fixed (byte* p = buffer)
            {
                while (true)
                {
                    nint n = Libc.Recv((int)_netlink.DangerousGetHandle(), p, (nuint)buffer.Length, 0);
                    if (n > 0) { pending = true; continue; }
                    int errno = Libc.Errno;
                    if (n < 0 && errno == Libc.ENOBUFS) { pending = true; continue; } // messages were lost: relist anyway
                    if (n < 0 && errno == Libc.EINTR) continue;
                    break; // EAGAIN: drained
                }
            }
        }
    }

    /// <summary>Wakes and joins the thread, then closes the sockets.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        ulong one = 1;
        Libc.Write((int)_wake.DangerousGetHandle(), &one, sizeof(ulong));
        if (_thread.IsAlive && _thread != Thread.CurrentThread) _thread.Join();
        _netlink.Dispose();
        _wake.Dispose();
    }
}
