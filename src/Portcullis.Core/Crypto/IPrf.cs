namespace Portcullis.Core.Crypto;

/// <summary>A keyed pseudo-random function (RFC 7296 §2.13). Not thread-safe.</summary>
public interface IPrf : IDisposable
{
    /// <summary>Size of one output block.</summary>
    int OutputSize { get; }

    /// <summary>Writes prf(K, <paramref name="data"/>) into <paramref name="output"/> (exactly <see cref="OutputSize"/> bytes).</summary>
    void Compute(ReadOnlySpan<byte> data, Span<byte> output);
}
