using System.Security.Cryptography;

namespace Portcullis.Core.Crypto.Transforms;

/// <summary>
/// AES-CTR for ESP and IKEv2 (RFC 3686, RFC 5930). Key material is the AES key followed by a 4-byte nonce; the
/// counter block is nonce ‖ IV ‖ 32-bit block counter starting at 1.
/// </summary>
internal sealed class AesCtr : ICipher
{
    public const int NonceSize = 4;
    private readonly Aes _aes;
    private readonly byte[] _nonce = new byte[NonceSize];

    public AesCtr(ReadOnlySpan<byte> keyMaterial)
    {
        _aes = Keys.CreateAes(keyMaterial[..^NonceSize]);
        keyMaterial[^NonceSize..].CopyTo(_nonce);
    }

    public int BlockSize => 1;
    public int IvSize => 8;

    public void Encrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output) => Transform(iv, input, output);

    public void Decrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output) => Transform(iv, input, output);

    private void Transform(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (iv.Length != IvSize) throw new ArgumentException("AES-CTR takes an 8-byte IV", nameof(iv));
        Span<byte> prefix = stackalloc byte[12];
        _nonce.CopyTo(prefix);
        iv.CopyTo(prefix[NonceSize..]);
        CounterMode.Xor(_aes, prefix, 1, input, output);
    }

    public void Dispose()
    {
        _aes.Dispose();
        CryptographicOperations.ZeroMemory(_nonce);
    }
}
