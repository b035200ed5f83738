using System.Collections.Concurrent;
using System.Security.Cryptography;
using Portcullis.Core.Crypto.Native;

namespace Portcullis.Core.Crypto.Transforms;

/// <summary>
/// The two OpenSSL EVP cipher contexts of one keyed transform, one per direction, each made and keyed on first use
/// (an SA direction only ever encrypts or only decrypts, so usually one is ever made). The key is kept, pinned, only
/// until both exist; freeing the contexts cleanses their expanded keys. Shared by <see cref="EvpCipher"/>,
/// <see cref="EvpAead"/> and <see cref="AesCcmAead"/>; not thread-safe, like the transforms.
/// </summary>
internal sealed unsafe class EvpContextPair : IDisposable
{
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
    private readonly Action<nint>? _beforeKey;
    private nint _encrypt;
    private nint _decrypt;
    private bool _disposed;

    /// <param name="evpName">The EVP cipher, e.g. <c>AES-128-GCM</c>, <c>AES-256-CBC</c>, <c>BF-CBC</c>.</param>
    /// <param name="key">The cipher key (without any salt or nonce).</param>
    /// <param name="legacy">The cipher is in OpenSSL 3's legacy provider (DES, Blowfish).</param>
    /// <param name="beforeKey">Settings a new context needs after its cipher and before its key (IV and tag lengths, padding).</param>
    public EvpContextPair(string evpName, ReadOnlySpan<byte> key, bool legacy = false, Action<nint>? beforeKey = null)
    {
        _cipher = s_ciphers.GetOrAdd(legacy ? "legacy:" + evpName : evpName, _ =>
            LibCrypto.Check(LibCrypto.EVP_CIPHER_fetch(legacy ? s_legacyContext.Value : 0, evpName, null), $"EVP_CIPHER_fetch({evpName})"));
        _key = GC.AllocateArray<byte>(key.Length, pinned: true);
        key.CopyTo(_key);
        _beforeKey = beforeKey;
    }

    /// <summary>The encrypting context.</summary>
    public nint Encrypt => _encrypt != 0 ? _encrypt : Make(ref _encrypt, 1);

    /// <summary>The decrypting context.</summary>
    public nint Decrypt => _decrypt != 0 ? _decrypt : Make(ref _decrypt, 0);

    private nint Make(ref nint slot, int enc)
    {
        // Never key a fresh context from the wiped key of a disposed SA.
        ObjectDisposedException.ThrowIf(_disposed, this);
        nint ctx = LibCrypto.Check(LibCrypto.EVP_CIPHER_CTX_new(), "EVP_CIPHER_CTX_new");
        try
        {
            LibCrypto.Check(LibCrypto.EVP_CipherInit_ex(ctx, _cipher, 0, null, null, enc), "EVP_CipherInit_ex");
            _beforeKey?.Invoke(ctx);
            fixed (byte* k = _key)
                LibCrypto.Check(LibCrypto.EVP_CipherInit_ex(ctx, 0, 0, k, null, enc), "EVP_CipherInit_ex");
        }
        catch
        {
            LibCrypto.EVP_CIPHER_CTX_free(ctx);
            throw;
        }
        slot = ctx;
        if (_encrypt != 0 && _decrypt != 0) CryptographicOperations.ZeroMemory(_key);
        return ctx;
    }

    public void Dispose()
    {
        _disposed = true;
        if (_encrypt != 0) LibCrypto.EVP_CIPHER_CTX_free(_encrypt);
        if (_decrypt != 0) LibCrypto.EVP_CIPHER_CTX_free(_decrypt);
        _encrypt = _decrypt = 0;
        CryptographicOperations.ZeroMemory(_key);
    }
}
