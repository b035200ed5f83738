using System.Runtime.InteropServices;

namespace Portcullis.Host.Native;

/// <summary>The calls and constants of the batched data plane: TUN offloads (virtio_net_hdr), UDP GSO/GRO, socket buffers.</summary>
internal static unsafe partial class Libc
{
    public const short IFF_VNET_HDR = 0x4000;
    public const nuint TUNSETOFFLOAD = 0x400454d0; // _IOW('T', 208, unsigned int)
    public const uint TUN_F_CSUM = 0x01, TUN_F_TSO4 = 0x02, TUN_F_TSO6 = 0x04, TUN_F_TSO_ECN = 0x08;

    public const int SOL_UDP = 17;
    public const int UDP_SEGMENT = 103;
    public const int UDP_GRO = 104;
    public const int SO_SNDBUF = 7, SO_RCVBUF = 8, SO_SNDBUFFORCE = 32, SO_RCVBUFFORCE = 33;
    public const int EIO = 5, EINVAL = 22, ENOPROTOOPT = 92, EMSGSIZE = 90, EOPNOTSUPP = 95;

    [LibraryImport(Lib, EntryPoint = "writev", SetLastError = true)]
    public static partial nint Writev(int fd, IoVec* iov, int count);
}
