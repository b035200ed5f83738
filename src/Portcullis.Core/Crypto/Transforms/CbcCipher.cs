using System.Security.Cryptography;

namespace Portcullis.Core.Crypto.Transforms;

/// <summary>
/// CBC mode over a BCL block cipher (AES: RFC 3602; 3DES: RFC 2451; DES: RFC 2405), no padding: ESP and the
/// IKEv2 SK payload pad themselves.
/// </summary>
internal sealed class CbcCipher : ICipher
{
    private readonly SymmetricAlgorithm _algorithm;

    public CbcCipher(SymmetricAlgorithm algorithm, ReadOnlySpan<byte> key)
    {
        _algorithm = Keys.WithKey(algorithm, key);
        BlockSize = _algorithm.BlockSize / 8;
    }

    public int BlockSize { get; }
    public int IvSize => BlockSize;

    public void Encrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output)
    {
        CheckBlocks(input, output);
        _algorithm.EncryptCbc(input, iv, output, PaddingMode.None);
    }

    public void Decrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output)
    {
        CheckBlocks(input, output);
        _algorithm.DecryptCbc(input, iv, output, PaddingMode.None);
    }

    private void CheckBlocks(ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (input.Length % BlockSize != 0) throw new ArgumentException("input is not a whole number of blocks", nameof(input));
        if (output.Length < input.Length) throw new ArgumentException("output shorter than input", nameof(output));
    }

    public void Dispose()
    {
        // SymmetricAlgorithm.Dispose zeroes its copy of the key.
        _algorithm.Dispose();
    }
}
