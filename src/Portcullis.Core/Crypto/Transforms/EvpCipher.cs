using System.Collections.Concurrent;
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
    private static readonly ConcurrentDictionary<string, nint> s_ciphers = new();

    // DES and Blowfish live in OpenSSL 3's "legacy" provider: it is loaded into a private library context so the
    // process-wide default, which the rest of .NET uses, stays untouched.
    private static readonly Lazy<nint> s_legacyContext = new(() =>
    {
        nint libctx = LibCrypto.Check(LibCrypto.OSSL_LIB_CTX_new(), "OSSL_LIB_CTX_new");
        LibCrypto.Check(LibCrypto.OSSL_PROVIDER_load(libctx, "legacy"), "OSSL_PROVIDER_load(legacy)");
        LibCrypto.Check(LibCrypto.OSSL_PROVIDER_load(libctx, "default"), "OSSL_PROVIDER_load(default)");
        return libctx;
    });

    private readonly nint _cipher;
    private readonly byte[] _key;
    private readonly byte[]? _ctrNonce;
    private nint _encrypt;
    private nint _decrypt;
    private bool _disposed;

    private EvpCipher(nint cipher, ReadOnlySpan<byte> key, ReadOnlySpan<byte> ctrNonce, int blockSize, int ivSize)
    {
        _cipher = cipher;
        // Kept only until both contexts exist; pinned so that no copy is left behind by the GC.
        _key = GC.AllocateArray<byte>(key.Length, pinned: true);
        key.CopyTo(_key);
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
        new(Fetch(evpName, legacy), key, [], blockSize, blockSize);

    /// <summary>
    /// AES-CTR (<c>AES-128-CTR</c> …): key material is the AES key followed by a 4-byte nonce; the counter block is
    /// nonce ‖ 8-byte IV ‖ 32-bit block counter starting at 1 (RFC 3686 §4).
    /// </summary>
    public static EvpCipher Ctr(string evpName, ReadOnlySpan<byte> keyMaterial) =>
        new(Fetch(evpName, legacy: false), keyMaterial[..^CtrNonceSize], keyMaterial[^CtrNonceSize..], blockSize: 1, ivSize: 8);

    private static nint Fetch(string name, bool legacy) => s_ciphers.GetOrAdd(legacy ? "legacy:" + name : name, _ =>
        LibCrypto.Check(LibCrypto.EVP_CIPHER_fetch(legacy ? s_legacyContext.Value : 0, name, null), $"EVP_CIPHER_fetch({name})"));

    public int BlockSize { get; }
    public int IvSize { get; }

    public void Encrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output) => Run(ref _encrypt, 1, iv, input, output);

    public void Decrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output) => Run(ref _decrypt, 0, iv, input, output);

    private void Run(ref nint slot, int enc, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (iv.Length != IvSize) throw new ArgumentException($"the IV must be {IvSize} bytes", nameof(iv));
        if (input.Length % BlockSize != 0) throw new ArgumentException("input is not a whole number of blocks", nameof(input));
        if (output.Length < input.Length) throw new ArgumentException("output shorter than input", nameof(output));
        nint ctx = Context(ref slot, enc);
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

    private nint Context(ref nint slot, int enc)
    {
        if (slot != 0) return slot;
        // Never key a fresh context from the wiped key of a disposed SA.
        ObjectDisposedException.ThrowIf(_disposed, this);
        nint ctx = LibCrypto.Check(LibCrypto.EVP_CIPHER_CTX_new(), "EVP_CIPHER_CTX_new");
        // Cipher first, then the key length (Blowfish's varies), padding off, then the key.
        LibCrypto.Check(LibCrypto.EVP_CipherInit_ex(ctx, _cipher, 0, null, null, enc), "EVP_CipherInit_ex");
        LibCrypto.Check(LibCrypto.EVP_CIPHER_CTX_set_key_length(ctx, _key.Length), "EVP_CIPHER_CTX_set_key_length");
        LibCrypto.Check(LibCrypto.EVP_CIPHER_CTX_set_padding(ctx, 0), "EVP_CIPHER_CTX_set_padding");
        fixed (byte* k = _key)
            LibCrypto.Check(LibCrypto.EVP_CipherInit_ex(ctx, 0, 0, k, null, enc), "EVP_CipherInit_ex");
        slot = ctx;
        if (_encrypt != 0 && _decrypt != 0) CryptographicOperations.ZeroMemory(_key);
        return ctx;
    }

    public void Dispose()
    {
        // EVP_CIPHER_CTX_free cleanses the expanded key.
        _disposed = true;
        if (_encrypt != 0) LibCrypto.EVP_CIPHER_CTX_free(_encrypt);
        if (_decrypt != 0) LibCrypto.EVP_CIPHER_CTX_free(_decrypt);
        _encrypt = _decrypt = 0;
        CryptographicOperations.ZeroMemory(_key);
        if (_ctrNonce is not null) CryptographicOperations.ZeroMemory(_ctrNonce);
    }
}
