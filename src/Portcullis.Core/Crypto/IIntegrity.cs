using System.Security.Cryptography;

namespace Portcullis.Core.Crypto;

/// <summary>A keyed integrity algorithm producing a (possibly truncated) ICV. Not thread-safe.</summary>
public interface IIntegrity : IDisposable
{
    /// <summary>Size of the ICV written by <see cref="Compute(ReadOnlySpan{byte}, Span{byte})"/>.</summary>
    int IcvSize { get; }

    /// <summary>Writes the first <see cref="IcvSize"/> bytes of the MAC of <paramref name="data"/>.</summary>
    void Compute(ReadOnlySpan<byte> data, Span<byte> icv);

    /// <summary>
    /// Writes the ICV of <paramref name="data"/> ‖ <paramref name="trailer"/> without joining them: the high-order
    /// 32 bits of an extended sequence number follow the packet into the MAC but are never sent (RFC 4303 §3.3.2.1,
    /// RFC 4302 §3.3.3.2).
    /// </summary>
    void Compute(ReadOnlySpan<byte> data, ReadOnlySpan<byte> trailer, Span<byte> icv);

    /// <summary>Constant-time check of <paramref name="icv"/> against the MAC of <paramref name="data"/>.</summary>
    bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> icv) => Verify(data, [], icv);

    /// <summary>Constant-time check of <paramref name="icv"/> against the MAC of <paramref name="data"/> ‖ <paramref name="trailer"/>.</summary>
    bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> trailer, ReadOnlySpan<byte> icv)
    {
        if (icv.Length != IcvSize) return false;
        Span<byte> expected = stackalloc byte[IcvSize];
        Compute(data, trailer, expected);
        bool ok = CryptographicOperations.FixedTimeEquals(expected, icv);
        CryptographicOperations.ZeroMemory(expected);
        return ok;
    }
}
