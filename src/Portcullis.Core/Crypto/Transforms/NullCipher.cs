namespace Portcullis.Core.Crypto.Transforms;

/// <summary>ENCR_NULL (RFC 2410): integrity-only ESP, for tests and debugging. Never offered unless configured.</summary>
internal sealed class NullCipher : ICipher
{
    public int BlockSize => 1;
    public int IvSize => 0;

    public void Encrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output) => input.CopyTo(output);

    public void Decrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output) => input.CopyTo(output);

    public void Dispose() { }
}
