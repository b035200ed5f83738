using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;

namespace Portcullis.Core.Ikev2;

/// <summary>NAT_DETECTION_*_IP data (RFC 7296 §2.23): SHA-1(SPIi | SPIr | IP address | port).</summary>
public static class NatDetection
{
    /// <summary>The hash for one endpoint, with the SPIs as they appear in the message's header.</summary>
    public static byte[] Hash(ulong spiI, ulong spiR, IPEndPoint endpoint)
    {
        Span<byte> input = stackalloc byte[8 + 8 + 16 + 2];
        BinaryPrimitives.WriteUInt64BigEndian(input, spiI);
        BinaryPrimitives.WriteUInt64BigEndian(input[8..], spiR);
        endpoint.Address.TryWriteBytes(input[16..], out int n);
        BinaryPrimitives.WriteUInt16BigEndian(input[(16 + n)..], (ushort)endpoint.Port);
        return SHA1.HashData(input[..(16 + n + 2)]);
    }
}
