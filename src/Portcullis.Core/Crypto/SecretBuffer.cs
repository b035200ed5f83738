using System.Security.Cryptography;

namespace Portcullis.Core.Crypto;

/// <summary>
/// Key material in a pinned array (the GC never copies it elsewhere), zeroed when disposed.
/// Every key an SA holds lives in one of these so that deleting the SA wipes it.
/// </summary>
public sealed class SecretBuffer : IDisposable
{
    private readonly byte[] _bytes;
    private bool _disposed;

    /// <summary>A zero-filled secret of <paramref name="length"/> bytes.</summary>
    public SecretBuffer(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _bytes = GC.AllocateArray<byte>(length, pinned: true);
    }

    /// <summary>A copy of <paramref name="source"/>; the caller still owns (and should wipe) the source.</summary>
    public SecretBuffer(ReadOnlySpan<byte> source) : this(source.Length) => source.CopyTo(_bytes);

    /// <summary>Length in bytes.</summary>
    public int Length => _bytes.Length;

    /// <summary>The secret bytes; throws once disposed so that a dead SA's keys are never used.</summary>
    public Span<byte> Span
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _bytes;
        }
    }

    /// <summary>A read-only view of the secret bytes.</summary>
    public ReadOnlySpan<byte> ReadOnlySpan => Span;

    /// <summary>Zeroes the bytes.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        CryptographicOperations.ZeroMemory(_bytes);
        _disposed = true;
    }
}
