using System.Security.Cryptography;

namespace Portcullis.Core.Crypto;

/// <summary>A keyed integrity algorithm producing a (possibly truncated) ICV. Not thread-safe.</summary>
public interface IIntegrity : IDisposable
{
    /// <summary>Size of the ICV written by <see cref="Compute"/>.</summary>
    int IcvSize { get; }

    /// <summary>Writes the first <see cref="IcvSize"/> bytes of the MAC of <paramref name="data"/>.</summary>
    void Compute(ReadOnlySpan<byte> data, Span<byte> icv);

    /// <summary>Constant-time check of <paramref name="icv"/> against the MAC of <paramref name="data"/>.</summary>
    bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> icv)
    {
        if (icv.Length != IcvSize) return false;
        Span<byte> expected = stackalloc byte[IcvSize];
        Compute(data, expected);
        bool ok = CryptographicOperations.FixedTimeEquals(expected, icv);
        CryptographicOperations.ZeroMemory(expected);
        return ok;
    }
}
