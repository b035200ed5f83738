using System.Security.Cryptography;
using Portcullis.Core.Crypto.Native;

namespace Portcullis.Core.Crypto.Transforms;

/// <summary>
/// The confidentiality-only ciphers (AES-CBC: RFC 3602; AES-CTR: RFC 3686, RFC 5930; 3DES, DES, Blowfish: RFC 2451,
/// RFC 2405) on OpenSSL EVP cipher contexts keyed once per SA. The BCL's one-shot EncryptCbc/DecryptCbc build a
/// native context, key schedule included, on every call (and allocate for it); here a packet costs an IV reset and
/// one update. One context per direction, made on first use (an SA direction only ever encrypts or only decrypts);
/// not thread-safe, as <see cref="ICipher"/> says.
/// </summary>
internal sealed unsafe class EvpCipher : ICipher
{
    /// <summary>The nonce that ends AES-CTR's key material (RFC 3686 §5.1).</summary>
    public const int CtrNonceSize = 4;

    private const int CounterBlockSize = 16;

    private readonly EvpContextPair _contexts;
    private readonly byte[]? _ctrNonce;

    private EvpCipher(string evpName, bool legacy, ReadOnlySpan<byte> key, ReadOnlySpan<byte> ctrNonce, int blockSize, int ivSize)
    {
        int keyLength = key.Length;
        // The key length is set before the key (Blowfish's varies); ESP and the SK payload pad themselves.
        _contexts = new EvpContextPair(evpName, key, legacy, ctx =>
        {
            LibCrypto.Check(LibCrypto.EVP_CIPHER_CTX_set_key_length(ctx, keyLength), "EVP_CIPHER_CTX_set_key_length");
            LibCrypto.Check(LibCrypto.EVP_CIPHER_CTX_set_padding(ctx, 0), "EVP_CIPHER_CTX_set_padding");
        });
        if (!ctrNonce.IsEmpty) _ctrNonce = ctrNonce.ToArray();
        BlockSize = blockSize;
        IvSize = ivSize;
    }

    /// <summary>A CBC cipher, no padding (ESP and the SK payload pad themselves).</summary>
    /// <param name="evpName"><c>AES-128-CBC</c>, <c>DES-EDE3-CBC</c>, <c>BF-CBC</c> …</param>
    /// <param name="key">The key; its length is set on the context (Blowfish's varies).</param>
    /// <param name="blockSize">The cipher's block size, which is also its IV size.</param>
    /// <param name="legacy">The cipher is in OpenSSL 3's legacy provider (DES, Blowfish).</param>
    public static EvpCipher Cbc(string evpName, ReadOnlySpan<byte> key, int blockSize, bool legacy = false) =>
        new(evpName, legacy, key, [], blockSize, blockSize);

    /// <summary>
    /// AES-CTR (<c>AES-128-CTR</c> …): key material is the AES key followed by a 4-byte nonce; the counter block is
    /// nonce ‖ 8-byte IV ‖ 32-bit block counter starting at 1 (RFC 3686 §4).
    /// </summary>
    public static EvpCipher Ctr(string evpName, ReadOnlySpan<byte> keyMaterial) =>
        new(evpName, legacy: false, keyMaterial[..^CtrNonceSize], keyMaterial[^CtrNonceSize..], blockSize: 1, ivSize: 8);

    public int BlockSize { get; }
    public int IvSize { get; }

    public void Encrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output) => Run(encrypt: true, iv, input, output);

    public void Decrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output) => Run(encrypt: false, iv, input, output);

    private void Run(bool encrypt, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (iv.Length != IvSize) throw new ArgumentException($"the IV must be {IvSize} bytes", nameof(iv));
        if (input.Length % BlockSize != 0) throw new ArgumentException("input is not a whole number of blocks", nameof(input));
        if (output.Length < input.Length) throw new ArgumentException("output shorter than input", nameof(output));
        nint ctx = encrypt ? _contexts.Encrypt : _contexts.Decrypt;
        Span<byte> counterBlock = stackalloc byte[CounterBlockSize];
        scoped ReadOnlySpan<byte> ivBlock = iv;
        if (_ctrNonce is not null)
        {
            _ctrNonce.CopyTo(counterBlock);
            iv.CopyTo(counterBlock[CtrNonceSize..]);
            counterBlock[^4..].Clear();
            counterBlock[^1] = 1;
            ivBlock = counterBlock;
        }
        fixed (byte* pIv = ivBlock)
        fixed (byte* pIn = input)
        fixed (byte* pOut = output)
        {
            // A null cipher and key with a new IV keeps the key schedule: this is the per-packet cost.
            LibCrypto.Check(LibCrypto.EVP_CipherInit_ex(ctx, 0, 0, null, pIv, -1), "EVP_CipherInit_ex");
            if (input.Length > 0)
                LibCrypto.Check(LibCrypto.EVP_CipherUpdate(ctx, pOut, out _, pIn, input.Length), "EVP_CipherUpdate");
        }
    }

    public void Dispose()
    {
        _contexts.Dispose();
        if (_ctrNonce is not null) CryptographicOperations.ZeroMemory(_ctrNonce);
    }
}
