namespace Portcullis.Core.Crypto;

/// <summary>
/// A confidentiality-only cipher keyed for one SA direction (CBC or counter mode), used with a separate
/// integrity transform. One instance per SA and pipeline; not thread-safe.
/// </summary>
public interface ICipher : IDisposable
{
    /// <summary>The unit the input must be padded to (1 for stream modes; ESP still pads to 4).</summary>
    int BlockSize { get; }

    /// <summary>Size of the explicit IV carried in each packet.</summary>
    int IvSize { get; }

    /// <summary>Encrypts; <paramref name="input"/> must be a multiple of <see cref="BlockSize"/>. Input and output may overlap exactly.</summary>
    void Encrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output);

    /// <summary>Decrypts; <paramref name="input"/> must be a multiple of <see cref="BlockSize"/>. Input and output may overlap exactly.</summary>
    void Decrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output);
}
