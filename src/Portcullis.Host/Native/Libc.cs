using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Portcullis.Host.Native;

/// <summary>
/// The few libc calls the host needs that .NET does not expose: TUN (open/ioctl), poll + eventfd for a wakeable
/// reader, sendmsg with IP_PKTINFO / IPV6_PKTINFO for choosing a UDP source address, a netlink socket for address
/// changes, and namespace/signal calls the tests use. Linux x86-64/arm64 (LP64) layouts only. Every call that can fail sets errno (<c>SetLastError = true</c>);
/// read it with <see cref="Marshal.GetLastPInvokeError"/> or throw it with <see cref="Error"/>.
/// </summary>
internal static unsafe partial class Libc
{
    private const string Lib = "libc";

    // errno values (Linux, all architectures we run on).
    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int EBADF = 9;

    // open(2) flags.
    public const int O_RDWR = 0x2;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;

    // eventfd(2) flags.
    public const int EFD_NONBLOCK = 0x800;
    public const int EFD_CLOEXEC = 0x80000;

    // poll(2) events.
    public const short POLLIN = 0x1;
    public const short POLLERR = 0x8;
    public const short POLLHUP = 0x10;
    public const short POLLNVAL = 0x20;

    // Sockets.
    public const int AF_INET = 2;
    public const int AF_INET6 = 10;
    public const int SOL_SOCKET = 1;
    public const int SO_PEERCRED = 17;
    public const int IPPROTO_IP = 0;
    public const int IPPROTO_IPV6 = 41;
    public const int IP_PKTINFO = 8;
    public const int IPV6_PKTINFO = 50;
    public const int MSG_NOSIGNAL = 0x4000;
    public const int MSG_TRUNC = 0x20;
    public const int SHUT_RDWR = 2;

    // Netlink (address change notifications).
    public const int AF_NETLINK = 16;
    public const int SOCK_RAW = 3;
    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int NETLINK_ROUTE = 0;
    public const uint RTMGRP_IPV4_IFADDR = 0x10;
    public const uint RTMGRP_IPV6_IFADDR = 0x100;
    public const int ENOBUFS = 105;

    /// <summary>struct sockaddr_nl.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct SockAddrNl
    {
        public ushort Family;
        public ushort Pad;
        public uint Pid;
        public uint Groups;
    }

    // TUN.
    public const nuint TUNSETIFF = 0x400454ca; // _IOW('T', 202, int)
    public const short IFF_TUN = 0x0001;
    public const short IFF_NO_PI = 0x1000;
    public const int IFNAMSIZ = 16;

    // Namespaces and signals.
    public const int CLONE_NEWNET = 0x40000000;
    public const int SIGHUP = 1;
    public const int SIGINT = 2;
    public const int SIGTERM = 15;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short REvents;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    /// <summary>struct cmsghdr on LP64: size_t len; int level; int type; data aligned to 8.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct CMsgHdr
    {
        public nuint Length;
        public int Level;
        public int Type;
    }

    /// <summary>struct ucred, the value of SO_PEERCRED.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct UCred
    {
        public int Pid;
        public uint Uid;
        public uint Gid;
    }

    public static nuint CmsgAlign(nuint length) => (length + (nuint)sizeof(nuint) - 1) & ~((nuint)sizeof(nuint) - 1);
    public static nuint CmsgSpace(nuint dataLength) => CmsgAlign((nuint)sizeof(CMsgHdr)) + CmsgAlign(dataLength);
    public static nuint CmsgLen(nuint dataLength) => CmsgAlign((nuint)sizeof(CMsgHdr)) + dataLength;

    [LibraryImport(Lib, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport(Lib, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(Lib, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, void* buffer, nuint count);

    [LibraryImport(Lib, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, void* buffer, nuint count);

    [LibraryImport(Lib, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, void* argument);

    [LibraryImport(Lib, EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    [LibraryImport(Lib, EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initialValue, int flags);

    [LibraryImport(Lib, EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Lib, EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(int fd, int level, int name, void* value, uint length);

    [LibraryImport(Lib, EntryPoint = "getsockopt", SetLastError = true)]
    public static partial int GetSockOpt(int fd, int level, int name, void* value, uint* length);

    [LibraryImport(Lib, EntryPoint = "sendmsg", SetLastError = true)]
    public static partial nint SendMsg(int fd, MsgHdr* message, int flags);

    [LibraryImport(Lib, EntryPoint = "recvmsg", SetLastError = true)]
    public static partial nint RecvMsg(int fd, MsgHdr* message, int flags);

    [LibraryImport(Lib, EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(int fd, void* address, uint length);

    [LibraryImport(Lib, EntryPoint = "recv", SetLastError = true)]
    public static partial nint Recv(int fd, void* buffer, nuint length, int flags);

    [LibraryImport(Lib, EntryPoint = "shutdown", SetLastError = true)]
    public static partial int Shutdown(int fd, int how);

    [LibraryImport(Lib, EntryPoint = "geteuid")]
    public static partial uint GetEUid();

    [LibraryImport(Lib, EntryPoint = "getpid")]
    public static partial int GetPid();

    [LibraryImport(Lib, EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    /// <summary>signal(2); <paramref name="handler"/> 0 is SIG_DFL, 1 SIG_IGN. Returns the previous handler.</summary>
    [LibraryImport(Lib, EntryPoint = "signal")]
    public static partial nint Signal(int signal, nint handler);

    [LibraryImport(Lib, EntryPoint = "setns", SetLastError = true)]
    public static partial int SetNs(int fd, int namespaceType);

    // statx(2): architecture-independent layout; stx_mode is a u16 at offset 28, stx_uid a u32 at offset 20.
    public const int AT_FDCWD = -100;
    public const int AT_SYMLINK_NOFOLLOW = 0x100;
    public const uint STATX_TYPE = 0x1;
    public const uint STATX_MODE = 0x2;
    public const uint STATX_UID = 0x8;
    public const int S_IFMT = 0xF000;
    public const int S_IFSOCK = 0xC000;
    public const int ENOENT = 2;

    [LibraryImport(Lib, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatX(int dirFd, string path, int flags, uint mask, byte* buffer);

    /// <summary>lstat-like: the file type and mode bits and the owner of <paramref name="path"/>, or the errno.</summary>
    public static int LStat(string path, out int mode, out uint uid)
    {
        byte* buffer = stackalloc byte[256];
        new Span<byte>(buffer, 256).Clear();
        mode = 0;
        uid = 0;
        if (StatX(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_MODE | STATX_UID, buffer) < 0) return Errno;
        mode = *(ushort*)(buffer + 28);
        uid = *(uint*)(buffer + 20);
        return 0;
    }

    /// <summary>The errno of the last P/Invoke on this thread.</summary>
    public static int Errno => Marshal.GetLastPInvokeError();

    /// <summary>An exception for errno (<see cref="Win32Exception.NativeErrorCode"/> carries it), naming the call.</summary>
    public static Win32Exception Error(string operation, int errno) =>
        new(errno, $"{operation}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");

    /// <summary>An exception for the last P/Invoke's errno.</summary>
    public static Win32Exception Error(string operation) => Error(operation, Errno);
}
